<?php
/**
 * Issue 6 inside a real WordPress (an e2e site's), with the WP-CLI STAND-IN (WpCliStandIn.php; WP-CLI cannot be
 * installed on these machines): `wp mulopimfwc export` (CSV, JSON, JSON lines, location filter, pages, progress
 * bar), compared with the rows the REST export gives and with the database; and the idempotency store's life
 * cycle (activation creates the table and the daily prune event, lazy creation, pruning, a 5xx releases the key).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

use Mulopimfwc\Tests\ContractStore;
use PHPUnit\Framework\TestCase;

final class Issue6CommandTest extends TestCase {

	private static ?ContractStore $store = null;
	/** @var list<string> */
	private array $tmp = array();
	private array $p   = array();

	private static function site(): array {
		return $GLOBALS['mulopimfwc_cli_site'];
	}

	private static function store(): ContractStore {
		if ( null === self::$store ) {
			$s           = self::site();
			self::$store = new ContractStore(
				array( 'host' => 'localhost', 'port' => 0, 'socket' => $s['E2E_DB_SOCKET'], 'user' => $s['E2E_DB_USER'], 'password' => $s['E2E_DB_PASSWORD'] ),
				dirname( __DIR__, 3 ) . '/tests/sql/schema.sql',
				dirname( __DIR__, 3 ) . '/tests/contract/fixtures'
			);
		}
		return self::$store;
	}

	private function seedStore(): array {
		$this->p = self::store()->prepare( array( 'name' => 'issue 6 cli', 'expect' => array() ), 'existing', self::site()['E2E_DB_NAME'], 'wp_' );
		mysqli_report( MYSQLI_REPORT_OFF ); // ContractStore switches strict reporting on; wpdb expects it off.
		wp_cache_flush();
		return $this->p;
	}

	private function tmpFile( string $ext ): string {
		$f = tempnam( sys_get_temp_dir(), 'mulopimfwc-export-' );
		unlink( $f );
		$f          .= '.' . $ext;
		$this->tmp[] = $f;
		return $f;
	}

	protected function tearDown(): void {
		foreach ( $this->tmp as $f ) {
			@unlink( $f );
		}
	}

	private function wp( string ...$args ): array {
		$r = WP_CLI::run_command( array_merge( array( 'mulopimfwc', 'export' ), $args ) );
		wp_cache_flush();
		return $r;
	}

	/** Every row of the export, through the engine the plugin uses (the REST route's source), one big page. */
	private static function allRows( array $params = array() ): array {
		$r = mulopimfwc_bulk_sync_engine()->export( $params + array( 'per_page' => 10000 ) );
		self::assertIsArray( $r );
		return $r['data'];
	}

	private static function csvCells( array $row ): array {
		$out = array();
		foreach ( $row as $k => $v ) {
			$out[] = 'disabled' === $k ? ( $v ? 'yes' : 'no' ) : (string) $v;
		}
		return $out;
	}

	// ------------------------------------------------------------------------------------------ export

	public function testExportIsRegisteredWithHelp(): void {
		$doc = ( new ReflectionMethod( Mulopimfwc_Bulk_Sync_CLI_Command::class, 'export' ) )->getDocComment();
		$this->assertStringContainsString( '@subcommand export', (string) $doc );
		$this->assertStringContainsString( '[--location_id=<id>]', (string) $doc );
		$this->assertStringContainsString( '[--file=<path>]', (string) $doc );
		$this->assertStringContainsString( '[--per-page=<n>]', (string) $doc );
	}

	public function testCsvFileHoldsTheWholeCataloguePageByPageWithAProgressBar(): void {
		$p = $this->seedStore();
		// A disabled flag and a name that needs CSV quoting.
		global $wpdb;
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET post_title = %s WHERE ID = %d", 'Shirt, "blue"', $p['ids']['post']['second'] ) );
		add_post_meta( $p['ids']['post']['second'], '_location_disabled_' . $p['ids']['loc']['outlet'], 'yes' );
		wp_cache_flush();
		$all = self::allRows();
		$this->assertGreaterThan( 50, count( $all ) );

		$file = $this->tmpFile( 'csv' );
		$r    = $this->wp( '--file=' . $file, '--per-page=7' );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertStringContainsString( 'Success: Exported ' . count( $all ) . ' rows to ' . $file . '.', $r['stdout'] );
		$csv = (string) file_get_contents( $file );
		$this->assertStringStartsWith( "\xEF\xBB\xBFproduct_id,sku,product_name,location_id,location_slug,location_name,stock,regular_price,sale_price,backorders,disabled\n", $csv );
		$h = fopen( 'php://temp', 'r+' );
		fwrite( $h, substr( $csv, 3 ) );
		rewind( $h );
		fgetcsv( $h, 0, ',', '"', '' );
		$rows = array();
		while ( false !== ( $row = fgetcsv( $h, 0, ',', '"', '' ) ) ) {
			$rows[] = $row;
		}
		fclose( $h );
		$this->assertSame( array_map( array( self::class, 'csvCells' ), $all ), $rows );
		$this->assertContains( array( 'Shirt, "blue"' ), array_map( static fn ( $r ) => array( $r[2] ), $rows ) );

		$bar = WP_CLI::$progress_bars[0] ?? null;
		$this->assertNotNull( $bar, 'a progress bar' );
		$this->assertSame( count( $all ), $bar->count );
		$this->assertSame( count( $all ), $bar->ticks );
		$this->assertSame( 1, $bar->finished );
	}

	public function testJsonArrayJsonLinesAndLocationFilter(): void {
		$p   = $this->seedStore();
		$loc = $p['ids']['loc']['warehouse'];
		$all = self::allRows();

		$json = $this->tmpFile( 'json' );
		$r    = $this->wp( '--file=' . $json, '--format=json', '--per-page=11' );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( $all, json_decode( (string) file_get_contents( $json ), true ) );

		$jsonl = $this->tmpFile( 'jsonl' );
		$r     = $this->wp( '--file=' . $jsonl, '--format=jsonl', '--location_id=' . $loc );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$lines = array_values( array_filter( explode( "\n", (string) file_get_contents( $jsonl ) ) ) );
		$want  = self::allRows( array( 'location_id' => $loc ) );
		$this->assertSame( $want, array_map( static fn ( $l ) => json_decode( $l, true ), $lines ) );
		$this->assertNotEmpty( $want );
		foreach ( $want as $row ) {
			$this->assertSame( $loc, $row['location_id'] );
		}

		// To standard output: the data alone.
		$r = $this->wp( '--format=jsonl', '--location_id=' . $loc, '--per-page=3' );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( $want, array_map( static fn ( $l ) => json_decode( $l, true ), array_values( array_filter( explode( "\n", $r['stdout'] ) ) ) ) );

		// An unknown location: a file with the header row only.
		$empty = $this->tmpFile( 'csv' );
		$r     = $this->wp( '--file=' . $empty, '--location_id=99999' );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertStringContainsString( 'Exported 0 rows', $r['stdout'] );
		$this->assertSame( 1, substr_count( (string) file_get_contents( $empty ), "\n" ) );
	}

	public function testBadOptionsAreErrors(): void {
		$this->seedStore();
		foreach ( array( array( '--format=xml' ), array( '--per-page=0' ), array( '--per-page=10001' ), array( '--location_id=abc' ), array( '--file=/nonexistent-dir/x.csv' ) ) as $args ) {
			$r = $this->wp( ...$args );
			$this->assertSame( 1, $r['exit'], implode( ' ', $args ) );
			$this->assertStringStartsWith( 'Error: ', $r['stderr'], implode( ' ', $args ) );
		}
	}

	// ------------------------------------------------------------------------------------------ idempotency store

	private static function table_exists(): bool {
		global $wpdb;
		return Mulopimfwc_Bulk_Sync_Idempotency::table() === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Mulopimfwc_Bulk_Sync_Idempotency::table() ) );
	}

	private static function request( string $body, string $key ): WP_REST_Request {
		$r = new WP_REST_Request( 'POST', '/mulopimfwc/v1/inventory/bulk-sync' );
		$r->set_body( $body );
		$r->set_header( 'Idempotency-Key', $key );
		return $r;
	}

	public function testActivationCreatesTheTableAndTheDailyPrune(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Mulopimfwc_Bulk_Sync_Idempotency::table() );
		wp_clear_scheduled_hook( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK );
		$this->assertFalse( self::table_exists() );
		do_action( 'activate_' . plugin_basename( MULOPIMFWC_BULK_SYNC_FILE ) );
		$this->assertTrue( self::table_exists(), 'activation (register_activation_hook) creates the table' );
		$this->assertNotFalse( wp_next_scheduled( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) );
		$this->assertSame( 'daily', wp_get_schedule( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) );
		$this->assertTrue( has_action( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) > 0 || false !== has_action( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) );
		Mulopimfwc_Bulk_Sync_Idempotency::create_table(); // dbDelta again: a no-op.
		$this->assertTrue( self::table_exists() );
	}

	public function testTableIsCreatedLazilyAndExpiredRowsArePruned(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Mulopimfwc_Bulk_Sync_Idempotency::table() );
		$calls = 0;
		$r     = Mulopimfwc_Bulk_Sync_Idempotency::run(
			self::request( '{"a":1}', 'lazy-' . uniqid() ),
			'test:1',
			function () use ( &$calls ) {
				++$calls;
				return new WP_REST_Response( array( 'ok' => true ), 200 );
			}
		);
		$this->assertSame( 200, $r->get_status() );
		$this->assertSame( 1, $calls );
		$this->assertTrue( self::table_exists(), 'created on first use' );

		$t = Mulopimfwc_Bulk_Sync_Idempotency::table();
		$wpdb->query( "INSERT INTO $t (key_hash, scope, request_hash, state, status_code, response, created_at, expires_at) VALUES (REPEAT('a', 64), 'test:1', REPEAT('b', 64), 'done', 200, '{}', '2001-01-01 00:00:00', '2001-01-02 00:00:00')" );
		$before = (int) $wpdb->get_var( "SELECT COUNT(*) FROM $t" );
		do_action( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ); // The daily event.
		$this->assertSame( $before - 1, (int) $wpdb->get_var( "SELECT COUNT(*) FROM $t" ), 'the expired row is pruned, the live one stays' );

		// Opportunistic pruning: with the odds at 1 in 1, any request with a key prunes.
		$wpdb->query( "INSERT INTO $t (key_hash, scope, request_hash, state, status_code, response, created_at, expires_at) VALUES (REPEAT('c', 64), 'test:1', REPEAT('b', 64), 'done', 200, '{}', '2001-01-01 00:00:00', '2001-01-02 00:00:00')" );
		$always = static fn () => 1;
		add_filter( 'mulopimfwc_idempotency_prune_chance', $always );
		Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{}', 'prune-' . uniqid() ), 'test:1', fn () => new WP_REST_Response( array(), 200 ) );
		remove_filter( 'mulopimfwc_idempotency_prune_chance', $always );
		$this->assertSame( '0', (string) $wpdb->get_var( "SELECT COUNT(*) FROM $t WHERE key_hash = REPEAT('c', 64)" ) );
	}

	public function testA5xxReleasesTheKeyAndA2xxIsReplayedWithTheTtlFilter(): void {
		$key   = 'five-' . uniqid();
		$calls = 0;
		$fail  = function () use ( &$calls ) {
			++$calls;
			return new WP_Error( 'mulopimfwc_db_error', 'down', array( 'status' => 503 ) );
		};
		$ok    = function () use ( &$calls ) {
			++$calls;
			return new WP_REST_Response( array( 'n' => $calls ), 200 );
		};
		$r1 = Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:2', $fail );
		$this->assertInstanceOf( WP_Error::class, $r1 );
		$r2 = Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:2', $ok );
		$this->assertSame( array( 'n' => 2 ), $r2->get_data(), 'after a 503 the retry runs' );
		$r3 = Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:2', $ok );
		$this->assertSame( 2, $calls, 'the 200 is replayed, the handler does not run again' );
		$this->assertEquals( (object) array( 'n' => 2 ), $r3->get_data() );
		$this->assertSame( 'true', $r3->get_headers()['Idempotent-Replayed'] ?? null );
		// Another principal with the same key runs.
		Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:3', $ok );
		$this->assertSame( 3, $calls );

		// The retention window is the filter's.
		global $wpdb;
		$ttl = static fn () => 120;
		add_filter( 'mulopimfwc_idempotency_ttl', $ttl );
		$k2 = 'ttl-' . uniqid();
		Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{}', $k2 ), 'test:2', $ok );
		remove_filter( 'mulopimfwc_idempotency_ttl', $ttl );
		$t    = Mulopimfwc_Bulk_Sync_Idempotency::table();
		$secs = (int) $wpdb->get_var( $wpdb->prepare( "SELECT TIMESTAMPDIFF(SECOND, created_at, expires_at) FROM $t WHERE key_hash = %s", hash( 'sha256', "test:2\n" . $k2 ) ) );
		$this->assertSame( 120, $secs );
		$this->assertSame( DAY_IN_SECONDS, Mulopimfwc_Bulk_Sync_Idempotency::ttl(), 'default 24 h' );
	}
}
