<?php
/**
 * `wp mulopimfwc bulk-sync <file>|-` (Mulopimfwc_Bulk_Sync_CLI_Command) inside a real WordPress (an e2e site's),
 * driven through a STAND-IN for WP-CLI (WpCliStandIn.php, wp.php): WP-CLI itself cannot be installed on these
 * machines. The store is the contract suite's fixture, seeded into the site's database before each test.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

use Mulopimfwc\Tests\ContractStore;
use PHPUnit\Framework\TestCase;

final class BulkSyncCommandTest extends TestCase {

	private static ?ContractStore $store = null;
	/** @var list<string> */
	private array $tmp = array();
	private array $p = array();

	private static function site(): array {
		return $GLOBALS['mulopimfwc_cli_site'];
	}

	private static function engine(): string {
		return $GLOBALS['mulopimfwc_cli_engine'];
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

	/** The seed example's expectations (tests/contract/cases/identifiers.json), on a freshly seeded store. */
	private function seedStore(): array {
		$cases = ContractStore::loadCases( dirname( __DIR__, 3 ) . '/tests/contract/cases' );
		$case  = $cases['identifiers.json: seed example: sku+slug and id+id'];
		$this->p = self::store()->prepare( $case, 'existing', self::site()['E2E_DB_NAME'], 'wp_' );
		mysqli_report( MYSQLI_REPORT_OFF ); // ContractStore switches strict reporting on; wpdb expects it off.
		wp_cache_flush();
		return $this->p;
	}

	private function id( string $key ): int {
		return $this->p['ids']['post'][ $key ];
	}

	private function loc( string $slug ): int {
		return $this->p['ids']['loc'][ $slug ];
	}

	/** What is in the database now (not the object cache). */
	private function meta( int $post, string $key ): array {
		global $wpdb;
		return $wpdb->get_col( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = %s ORDER BY meta_id", $post, $key ) );
	}

	private function file( string $content, string $ext ): string {
		$f = tempnam( sys_get_temp_dir(), 'mulopimfwc-cli-' );
		rename( $f, $f . '.' . $ext );
		$f .= '.' . $ext;
		file_put_contents( $f, $content );
		$this->tmp[] = $f;
		return $f;
	}

	protected function tearDown(): void {
		foreach ( $this->tmp as $f ) {
			@unlink( $f );
		}
		remove_all_actions( 'mulopimfwc_bulk_sync_completed', 99 );
	}

	/** wp mulopimfwc bulk-sync ARGS (in this process, through the stand-in). */
	private function wp( string ...$args ): array {
		$r = WP_CLI::run_command( array_merge( array( 'mulopimfwc', 'bulk-sync' ), $args ) );
		wp_cache_flush();
		return $r;
	}

	private function assertDbMatchesSeedExample(): void {
		$outcome = array(
			'success' => true,
			'message' => 'Processed 2 items. 2 succeeded, 0 failed.',
			'results' => array( 'success' => 2, 'failed' => 0, 'errors' => array() ),
		);
		$f = self::store()->verify( $this->p, $outcome );
		mysqli_report( MYSQLI_REPORT_OFF );
		$this->assertSame( array(), $f, 'database after the command' );
	}

	private function assertNothingWritten(): void {
		$after = self::store()->snapshotNow( $this->p );
		mysqli_report( MYSQLI_REPORT_OFF );
		foreach ( array( 'postmeta', 'posts', 'term_relationships', 'term_taxonomy', 'lookup', 'options' ) as $t ) {
			$this->assertEquals( $this->p['before'][ $t ], $after[ $t ], "table $t must not change" );
		}
	}

	private function seedJson(): string {
		return json_encode(
			array(
				'items' => array(
					array( 'sku' => 'PROD-001', 'location_slug' => 'main-store', 'stock' => 100, 'regular_price' => '29.99', 'sale_price' => '24.99' ),
					array( 'product_id' => $this->id( 'second' ), 'location_id' => $this->loc( 'warehouse' ), 'stock' => 50, 'regular_price' => '19.99' ),
				),
			)
		);
	}

	/** Three rows: good, bad stock, unknown SKU. */
	private function failingCsv(): string {
		return "sku,product_id,location_slug,location_id,stock,regular_price,sale_price\n"
			. "PROD-001,,main-store,,100,29.99,24.99\n"
			. "PROD-002,,warehouse,,abc,,\n"
			. "NO-SUCH-SKU,,main-store,,5,,\n";
	}

	// ------------------------------------------------------------------------------------------ tests

	public function testCommandIsRegisteredAndUsesTheExpectedEngine(): void {
		$this->assertArrayHasKey( 'mulopimfwc', WP_CLI::$commands, 'the plugin registers `wp mulopimfwc` when WP_CLI is defined' );
		$this->assertInstanceOf( Mulopimfwc_Bulk_Sync_CLI_Command::class, WP_CLI::$commands['mulopimfwc'] );
		$this->assertSame( self::engine(), mulopimfwc_bulk_sync_engine()->name() );
		$doc = ( new ReflectionMethod( Mulopimfwc_Bulk_Sync_CLI_Command::class, 'bulk_sync' ) )->getDocComment();
		$this->assertStringContainsString( '@subcommand bulk-sync', (string) $doc );
		$this->assertStringContainsString( '## OPTIONS', (string) $doc );
	}

	public function testJsonFileSeedExample(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( $this->seedJson(), 'json' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertStringContainsString( 'Success: Processed 2 items. 2 succeeded, 0 failed.', $r['stdout'] );
		$this->assertDbMatchesSeedExample();
	}

	public function testCsvFileSeedExample(): void {
		$this->seedStore();
		$csv = "sku,product_id,location_slug,location_id,stock,regular_price,sale_price\n"
			. "PROD-001,,main-store,,100,29.99,24.99\n"
			. ',' . $this->id( 'second' ) . ',,' . $this->loc( 'warehouse' ) . ",50,19.99,\n";
		$r   = $this->wp( $this->file( $csv, 'csv' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertStringContainsString( 'Success: Processed 2 items. 2 succeeded, 0 failed.', $r['stdout'] );
		$this->assertDbMatchesSeedExample();
	}

	public function testCsvWithBomCrlfAndHeaderCaseIsRead(): void {
		$this->seedStore();
		$csv = "\xEF\xBB\xBFSKU,Location_Slug,Stock\r\nPROD-001,main-store,9\r\n";
		$r   = $this->wp( $this->file( $csv, 'csv' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertSame( array( '9' ), $this->meta( $this->id( 'simple' ), '_location_stock_' . $this->loc( 'main-store' ) ) );
	}

	public function testFailingItemsExitNonZeroAndAreListedAsATable(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( $this->failingCsv(), 'csv' ) );
		$this->assertSame( 1, $r['exit'], 'items failed: the exit status is not 0' );
		$this->assertStringContainsString( 'Error: Processed 3 items. 1 succeeded, 2 failed.', $r['stderr'] );
		$this->assertMatchesRegularExpression( '/\|\s*item\s*\|\s*code\s*\|\s*field\s*\|\s*message\s*\|/', $r['stdout'] );
		$this->assertMatchesRegularExpression( '/\|\s*2\s*\|\s*invalid_stock\s*\|\s*stock\s*\|/', $r['stdout'] );
		$this->assertMatchesRegularExpression( '/\|\s*3\s*\|\s*product_not_found\s*\|\s*sku\s*\|/', $r['stdout'] );
		// the good item is written anyway, the bad one is not
		$this->assertSame( array( '100' ), $this->meta( $this->id( 'simple' ), '_location_stock_' . $this->loc( 'main-store' ) ) );
		$this->assertSame( array(), $this->meta( $this->id( 'second' ), '_location_stock_' . $this->loc( 'warehouse' ) ) );
	}

	public function testFormatJson(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( $this->failingCsv(), 'csv' ), '--format=json' );
		$this->assertSame( 1, $r['exit'] );
		$rows = json_decode( trim( $r['stdout'] ), true );
		$this->assertIsArray( $rows, $r['stdout'] );
		$this->assertSame(
			array(
				array( 'item' => 2, 'code' => 'invalid_stock', 'field' => 'stock', 'message' => 'Invalid stock: must be an integer.' ),
				array( 'item' => 3, 'code' => 'product_not_found', 'field' => 'sku', 'message' => 'Product not found.' ),
			),
			$rows
		);
	}

	public function testFormatCsv(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( $this->failingCsv(), 'csv' ), '--format=csv' );
		$this->assertSame( 1, $r['exit'] );
		$lines = array_values( array_filter( explode( "\n", trim( $r['stdout'] ) ) ) );
		$this->assertSame( 'item,code,field,message', $lines[0] );
		$this->assertSame( array( '2', 'invalid_stock', 'stock', 'Invalid stock: must be an integer.' ), str_getcsv( $lines[1], ',', '"', '' ) );
		$this->assertSame( array( '3', 'product_not_found', 'sku', 'Product not found.' ), str_getcsv( $lines[2], ',', '"', '' ) );
		$this->assertCount( 3, $lines );
	}

	public function testDryRunWritesNothingAndReportsCounts(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( $this->seedJson(), 'json' ), '--dry-run' );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertStringContainsString( 'Success: Processed 2 items. 2 succeeded, 0 failed.', $r['stdout'] );
		$this->assertStringContainsString( 'dry run', $r['stdout'] );
		$this->assertNothingWritten();
	}

	public function testDryRunWithFailingItemsReportsThemAndWritesNothing(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( $this->failingCsv(), 'csv' ), '--dry-run', '--format=json' );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringContainsString( 'Processed 3 items. 1 succeeded, 2 failed.', $r['stderr'] );
		$this->assertStringContainsString( 'dry run', $r['stderr'] );
		$this->assertSame( array( 2, 3 ), array_column( (array) json_decode( trim( $r['stdout'] ), true ), 'item' ) );
		$this->assertNothingWritten();
	}

	public function testChunksWithAProgressBar(): void {
		$this->seedStore();
		$chunks = array();
		add_action(
			'mulopimfwc_bulk_sync_completed',
			static function ( $result, $info ) use ( &$chunks ) {
				$chunks[] = $info;
			},
			99,
			2
		);
		$items = array();
		foreach ( array( 'main-store', 'warehouse', 'outlet', 'munchen', 'cafe-paris' ) as $i => $slug ) {
			$items[] = array( 'sku' => 'PROD-001', 'location_slug' => $slug, 'stock' => 10 + $i );
		}
		$items[3]['stock'] = 'x'; // item 4 fails, in the second chunk
		$r = $this->wp( $this->file( json_encode( array( 'items' => $items ) ), 'json' ), '--chunk-size=2', '--format=json' );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringContainsString( 'Processed 5 items. 4 succeeded, 1 failed.', $r['stderr'] );
		$this->assertSame( array( array( 'item' => 4, 'code' => 'invalid_stock', 'field' => 'stock', 'message' => 'Invalid stock: must be an integer.' ) ), json_decode( trim( $r['stdout'] ), true ) );
		$this->assertCount( 1, WP_CLI::$progress_bars );
		$bar = WP_CLI::$progress_bars[0];
		$this->assertSame( 5, $bar->count );
		$this->assertSame( 5, $bar->ticks );
		$this->assertSame( 1, $bar->finished );
		$this->assertSame( array( 2, 2, 1 ), array_column( $chunks, 'items' ), 'one engine run (and one completion action) per chunk' );
		$this->assertSame( array( 'cli', 'cli', 'cli' ), array_column( $chunks, 'source' ) );
		foreach ( array( 'main-store' => '10', 'warehouse' => '11', 'outlet' => '12', 'cafe-paris' => '14' ) as $slug => $want ) {
			$this->assertSame( array( $want ), $this->meta( $this->id( 'simple' ), '_location_stock_' . $this->loc( $slug ) ), $slug );
		}
		$this->assertSame( array( '1' ), $this->meta( $this->id( 'simple' ), '_location_stock_' . $this->loc( 'munchen' ) ), 'the failed item wrote nothing' );
	}

	public function testJsonNumberPricesAreKeptExactWholeAndChunked(): void {
		foreach ( array( array(), array( '--chunk-size=1' ) ) as $extra ) {
			$this->seedStore();
			$body = '{"items": [{"sku": "PROD-001", "location_slug": "main-store", "stock": 1, "regular_price": 29.990, "sale_price": 0.30000000000000004},'
				. ' {"sku": "PROD-002", "location_slug": "main-store", "stock": 2, "regular_price": 12}]}';
			$r    = $this->wp( $this->file( $body, 'json' ), ...$extra );
			$this->assertSame( 0, $r['exit'], implode( ' ', $extra ) . ': ' . $r['stderr'] . $r['stdout'] );
			$ms = $this->loc( 'main-store' );
			$this->assertSame( array( '29.990' ), $this->meta( $this->id( 'simple' ), '_location_regular_price_' . $ms ), implode( ' ', $extra ) );
			$this->assertSame( array( '0.30000000000000004' ), $this->meta( $this->id( 'simple' ), '_location_sale_price_' . $ms ), implode( ' ', $extra ) );
			$this->assertSame( array( '12' ), $this->meta( $this->id( 'second' ), '_location_regular_price_' . $ms ), implode( ' ', $extra ) );
		}
	}

	public function testInvalidJsonFileIsAnErrorAndWritesNothing(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( '{"items": [', 'json' ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringStartsWith( 'Error: ', $r['stderr'] );
		$this->assertNothingWritten();
	}

	public function testJsonWithoutItemsArrayIsAnError(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( '{"items": {"a": 1}}', 'json' ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringContainsString( 'items', $r['stderr'] );
		$this->assertNothingWritten();
	}

	public function testMissingFileIsAnError(): void {
		$r = $this->wp( '/nonexistent/mulopimfwc-nothing-here.json' );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringContainsString( 'Cannot read', $r['stderr'] );
	}

	public function testCsvWithoutKnownHeaderIsAnError(): void {
		$this->seedStore();
		$r = $this->wp( $this->file( "a,b,c\n1,2,3\n", 'csv' ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringStartsWith( 'Error: ', $r['stderr'] );
		$this->assertNothingWritten();
	}

	/**
	 * `-` reads standard input, and the process exit status is the command's: through wp.php (the stand-in for
	 * the `wp` executable) in a child PHP process with the same engine.
	 */
	public function testStdinAndProcessExitStatus(): void {
		$this->seedStore();
		$php = array( PHP_BINARY );
		if ( 'native' === self::engine() ) {
			$ext = getenv( 'MULOPIMFWC_EXT' ) ?: dirname( __DIR__, 3 ) . '/target/release/libmulopimfwc.so';
			$php = array( PHP_BINARY, '-d', 'extension=' . $ext );
		}
		$env_file = getenv( 'MULOPIMFWC_E2E_SITE_ENV' );
		$run      = function ( string $stdin, array $args ) use ( $php, $env_file ) {
			$cmd  = array_merge( $php, array( __DIR__ . '/wp.php', $env_file, 'mulopimfwc', 'bulk-sync', '-' ), $args );
			$proc = proc_open( $cmd, array( 0 => array( 'pipe', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes );
			fwrite( $pipes[0], $stdin );
			fclose( $pipes[0] );
			$out = stream_get_contents( $pipes[1] );
			$err = stream_get_contents( $pipes[2] );
			fclose( $pipes[1] );
			fclose( $pipes[2] );
			return array( 'exit' => proc_close( $proc ), 'stdout' => $out, 'stderr' => $err );
		};
		$r = $run( $this->seedJson(), array() );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertStringContainsString( 'Success: Processed 2 items. 2 succeeded, 0 failed.', $r['stdout'] );
		$this->assertDbMatchesSeedExample();

		$this->seedStore();
		$r = $run( $this->failingCsv(), array( '--format=csv' ) );
		$this->assertSame( 1, $r['exit'], 'failing items: non-zero exit status of the process' );
		$this->assertStringContainsString( '2,invalid_stock,stock,', $r['stdout'] );
		$this->assertStringContainsString( 'Error: Processed 3 items. 1 succeeded, 2 failed.', $r['stderr'] );
	}
}
