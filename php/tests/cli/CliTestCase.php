<?php
/**
 * Base of the WP-CLI command tests: runs the REAL WP-CLI (`wp --path=SITE mulopimfwc ...`, the site's
 * E2E_WP_CLI) as a separate process, with the extension (engine native: PHP_ARGS="-d extension=...") or without it
 * (engine php), and checks what it printed, its exit status, the database rows and what WooCommerce reports in this
 * process (the site's WordPress, loaded by bootstrap.php, caches flushed before each read).
 *
 * Products are made through WooCommerce's own API (WC_Product_Simple, WC_Product_Variable + WC_Product_Variation,
 * save()), one set per test with its own SKUs, so tests do not depend on each other. Locations are terms of
 * taxonomy mulopimfwc_store_location (main-store, warehouse, outlet); main-store is the primary location, so
 * WooCommerce's own stock follows it.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

abstract class CliTestCase extends TestCase {

	/** @var array<string,int> slug => term id */
	protected static array $loc = array();
	/** @var list<string> */
	private array $tmp = array();
	private int $log_offset = 0;
	/** @var list<string> options to delete after the test */
	private array $options = array();

	protected static function site(): array {
		return $GLOBALS['mulopimfwc_cli_site'];
	}

	protected static function engine(): string {
		return $GLOBALS['mulopimfwc_cli_engine'];
	}

	public static function setUpBeforeClass(): void {
		foreach ( array( 'main-store' => 'Main Store', 'warehouse' => 'Warehouse', 'outlet' => 'Outlet' ) as $slug => $name ) {
			$t = term_exists( $slug, 'mulopimfwc_store_location' );
			if ( ! $t ) {
				$t = wp_insert_term( $name, 'mulopimfwc_store_location', array( 'slug' => $slug ) );
			}
			self::assertIsArray( $t, is_wp_error( $t ) ? $t->get_error_message() : 'term' );
			self::$loc[ $slug ] = (int) $t['term_id'];
		}
		update_option( 'mulopimfwc_primary_location', (string) self::$loc['main-store'] );
	}

	protected function tearDown(): void {
		foreach ( $this->tmp as $f ) {
			if ( is_dir( $f ) ) {
				@rmdir( $f );
			} else {
				@unlink( $f );
			}
		}
		foreach ( $this->options as $o ) {
			delete_option( $o );
		}
	}

	/** Sets a site option for this test only (the wp process reads it). */
	protected function option( string $name, $value ): void {
		update_option( $name, $value );
		$this->options[] = $name;
	}

	// ------------------------------------------------------------------------------------------ processes

	/** PHP_ARGS for the wp process: the extension for engine native, nothing for php. */
	protected static function phpArgs(): string {
		if ( 'native' !== self::engine() ) {
			return '';
		}
		$ext = getenv( 'MULOPIMFWC_EXT' ) ?: dirname( __DIR__, 3 ) . '/target/release/libmulopimfwc.so';
		return '-d extension=' . $ext;
	}

	/** The environment of a wp process. */
	protected static function wpEnv( array $extra = array() ): array {
		$env                      = getenv();
		$env['WP_CLI_ALLOW_ROOT'] = '1';
		$env['PHP_ARGS']          = self::phpArgs();
		$env['WP_CLI_CACHE_DIR']  = sys_get_temp_dir() . '/mulopimfwc-wp-cli-cache';
		unset( $env['SHELL_PIPE'] );
		return array_merge( $env, $extra );
	}

	/** `wp --path=SITE ARGS...` as a process: ['exit' => int, 'stdout' => string, 'stderr' => string]. */
	protected function wp( array $args, ?string $stdin = null, array $env = array() ): array {
		$cmd  = array_merge( array( self::site()['E2E_WP_CLI'], '--path=' . self::site()['E2E_WP_DIR'] ), $args );
		$proc = proc_open(
			$cmd,
			array( 0 => array( 'pipe', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ),
			$pipes,
			sys_get_temp_dir(),
			self::wpEnv( $env )
		);
		$this->assertIsResource( $proc, 'proc_open wp' );
		if ( null !== $stdin ) {
			fwrite( $pipes[0], $stdin );
		}
		fclose( $pipes[0] );
		list( $exit, $out, $err ) = self::ended( $proc, $pipes );
		return array( 'exit' => $exit, 'stdout' => $out, 'stderr' => $err );
	}

	/**
	 * Reads a process's stdout and stderr pipes to their end, waits for it; WordPress's caches flushed (the process
	 * may have changed rows this one has cached).
	 *
	 * @return array{0:int,1:string,2:string} exit status, stdout, stderr
	 */
	private static function ended( $proc, array $pipes ): array {
		$out = stream_get_contents( $pipes[1] );
		$err = stream_get_contents( $pipes[2] );
		fclose( $pipes[1] );
		fclose( $pipes[2] );
		$exit = proc_close( $proc );
		wp_cache_flush();
		return array( $exit, (string) $out, (string) $err );
	}

	/** `wp mulopimfwc bulk-sync ARGS...`. */
	protected function sync( array $args, ?string $stdin = null, array $env = array() ): array {
		return $this->wp( array_merge( array( 'mulopimfwc', 'bulk-sync' ), $args ), $stdin, $env );
	}

	/**
	 * A shell command line run on a pseudo-terminal (`script -qec LINE /dev/null`): what the terminal showed.
	 * `WP` in $line is replaced by the wp command for this site and engine.
	 */
	protected function onTerminal( string $line ): array {
		exec( 'command -v script', $o, $rc );
		if ( 0 !== $rc ) {
			$this->markTestSkipped( 'script(1) (util-linux) is not installed: no pseudo-terminal' );
		}
		$wp   = escapeshellarg( self::site()['E2E_WP_CLI'] ) . ' --path=' . escapeshellarg( self::site()['E2E_WP_DIR'] );
		$line = str_replace( 'WP ', $wp . ' ', $line );
		$proc = proc_open(
			array( 'script', '-qec', $line, '/dev/null' ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ),
			$pipes,
			sys_get_temp_dir(),
			self::wpEnv( array( 'COLUMNS' => '100', 'TERM' => 'xterm' ) )
		);
		list( $exit, $out, $err ) = self::ended( $proc, $pipes );
		// The terminal's text without WP-CLI's colours.
		$text = preg_replace( '/\e\[[0-9;]*m/', '', str_replace( "\r\n", "\n", $out ) );
		return array( 'exit' => $exit, 'terminal' => $text, 'stderr' => $err );
	}

	/** A temporary file with this content and extension (removed after the test). */
	protected function file( string $content, string $ext ): string {
		$f = tempnam( sys_get_temp_dir(), 'mulopimfwc-cli-' );
		unlink( $f );
		$f .= '.' . $ext;
		file_put_contents( $f, $content );
		$this->tmp[] = $f;
		return $f;
	}

	/** A temporary path that does not exist yet (removed after the test). */
	protected function tmpPath( string $ext ): string {
		$f = tempnam( sys_get_temp_dir(), 'mulopimfwc-cli-' );
		unlink( $f );
		$f          .= '.' . $ext;
		$this->tmp[] = $f;
		return $f;
	}

	protected function tmpDir(): string {
		$d = tempnam( sys_get_temp_dir(), 'mulopimfwc-cli-dir-' );
		unlink( $d );
		mkdir( $d );
		$this->tmp[] = $d;
		return $d;
	}

	// ------------------------------------------------------------------------------------------ products

	protected static function sku( string $what ): string {
		return strtoupper( 'CLI-' . $what . '-' . substr( md5( uniqid( '', true ) ), 0, 8 ) );
	}

	/** A simple product made by WooCommerce, stock managed, at every location. */
	protected function simple( int $stock = 5, string $price = '20.00', string $backorders = 'no' ): WC_Product_Simple {
		$p = new WC_Product_Simple();
		$p->set_name( 'CLI simple ' . $stock );
		mulopimfwc_test_save_stocked( $p, self::sku( 'S' ), $price, $stock, $backorders );
		wp_set_object_terms( $p->get_id(), array_values( self::$loc ), 'mulopimfwc_store_location' );
		return $p;
	}

	/**
	 * A variable product (attribute Size: S, M) made by WooCommerce; each variation manages its stock.
	 *
	 * @return array{0:WC_Product_Variable,1:WC_Product_Variation,2:WC_Product_Variation} parent, S, M
	 */
	protected function variable( int $stock_s = 3, int $stock_m = 4 ): array {
		$parent = new WC_Product_Variable();
		$parent->set_name( 'CLI variable' );
		$parent->set_sku( self::sku( 'V' ) );
		$parent->set_attributes( array( mulopimfwc_test_variation_attribute( 'Size', array( 'S', 'M' ) ) ) );
		$parent->set_status( 'publish' );
		$parent->save();
		$vars = array();
		foreach ( array( 'S' => $stock_s, 'M' => $stock_m ) as $size => $stock ) {
			$v = new WC_Product_Variation();
			$v->set_parent_id( $parent->get_id() );
			$v->set_attributes( array( 'size' => $size ) );
			mulopimfwc_test_save_stocked( $v, $parent->get_sku() . '-' . $size, '15.00', $stock );
			$vars[] = $v;
		}
		wp_set_object_terms( $parent->get_id(), array_values( self::$loc ), 'mulopimfwc_store_location' );
		WC_Product_Variable::sync( $parent->get_id() );
		wp_cache_flush();
		return array( wc_get_product( $parent->get_id() ), $vars[0], $vars[1] );
	}

	/** WooCommerce's view of a product now (caches flushed first). */
	protected static function wc( int $id ): WC_Product {
		wp_cache_flush();
		$p = wc_get_product( $id );
		self::assertInstanceOf( WC_Product::class, $p, "wc_get_product($id)" );
		return $p;
	}

	/** A meta key's rows in the database (not the object cache). */
	protected static function meta( int $post, string $key ): array {
		global $wpdb;
		return $wpdb->get_col( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = %s ORDER BY meta_id", $post, $key ) );
	}

	/** The location stock rows of a post: slug => list of values. */
	protected static function locStock( int $post ): array {
		$out = array();
		foreach ( self::$loc as $slug => $id ) {
			$out[ $slug ] = self::meta( $post, '_location_stock_' . $id );
		}
		return $out;
	}

	/** Everything a sync could change for these posts: meta rows, lookup rows, posts' modified times, terms. */
	protected static function snapshot( array $ids ): array {
		global $wpdb;
		$in = implode( ',', array_map( 'intval', $ids ) );
		return array(
			'postmeta' => $wpdb->get_results( "SELECT post_id, meta_key, meta_value FROM {$wpdb->postmeta} WHERE post_id IN ($in) ORDER BY meta_id", ARRAY_N ),
			'lookup'   => $wpdb->get_results( "SELECT * FROM {$wpdb->prefix}wc_product_meta_lookup WHERE product_id IN ($in) ORDER BY product_id", ARRAY_A ),
			'posts'    => $wpdb->get_results( "SELECT ID, post_modified, post_modified_gmt FROM {$wpdb->posts} WHERE ID IN ($in) ORDER BY ID", ARRAY_A ),
			'terms'    => $wpdb->get_results( "SELECT object_id, term_taxonomy_id FROM {$wpdb->term_relationships} WHERE object_id IN ($in) ORDER BY object_id, term_taxonomy_id", ARRAY_N ),
		);
	}

	protected static function json( array $items, array $top = array() ): string {
		return (string) wp_json_encode( $top + array( 'items' => $items ) );
	}

	/** The failure details of --format=json. */
	protected static function failures( string $stdout ): array {
		$rows = json_decode( trim( $stdout ), true );
		self::assertIsArray( $rows, "stdout is not a JSON array:\n" . $stdout );
		return $rows;
	}

	/** Lines the site's debug.log gained since the test started. */
	protected function debugLogSinceStart(): string {
		$log = self::site()['E2E_SITE_DIR'] . '/debug.log';
		clearstatcache();
		if ( ! is_file( $log ) ) {
			return '';
		}
		return (string) file_get_contents( $log, false, null, $this->log_offset );
	}

	protected function setUp(): void {
		$wp = self::site()['E2E_WP_CLI'] ?? '';
		if ( '' === $wp || ! is_executable( $wp ) ) {
			$this->markTestSkipped( 'WP-CLI not found (tests/lib/deps.sh wp): E2E_WP_CLI of the site is empty' );
		}
		$log = self::site()['E2E_SITE_DIR'] . '/debug.log';
		clearstatcache();
		$this->log_offset = is_file( $log ) ? (int) filesize( $log ) : 0;
	}

	/** No PHP notice, warning or deprecation from the plugin: printed, or in the site's debug.log. */
	protected function noPhpNotice( array $r ): void {
		$this->assertDoesNotMatchRegularExpression( '/PHP (Notice|Warning|Deprecated|Fatal error):[^\n]*mulopimfwc/', $this->debugLogSinceStart(), 'debug.log' );
		foreach ( array( 'stdout', 'stderr', 'terminal' ) as $k ) {
			if ( isset( $r[ $k ] ) ) {
				self::assertDoesNotMatchRegularExpression( '/(PHP )?(Notice|Warning|Deprecated|Fatal error):/', $r[ $k ], "a PHP message on $k" );
			}
		}
	}
}
