<?php
/**
 * `wp mulopimfwc bulk-sync <file>|-` run by the REAL WP-CLI as a process, against an e2e site with WooCommerce
 * active (stack wc79 or wc105), with the engine of MULOPIMFWC_CLI_ENGINE. Products are made by WooCommerce; the
 * tests check the exit status, what goes to STDOUT and what to STDERR, the database rows and what WooCommerce
 * reports afterwards.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

final class BulkSyncCommandTest extends CliTestCase {

	private const CSV_HEADER = "sku,product_id,location_slug,location_id,stock,regular_price,sale_price\n";

	/** Three CSV rows for $sku: good, bad stock, unknown SKU. */
	private static function failingCsv( string $sku ): string {
		return self::CSV_HEADER
			. "$sku,,main-store,,100,29.99,24.99\n"
			. "$sku,,warehouse,,abc,,\n"
			. "NO-SUCH-SKU-CLI,,main-store,,5,,\n";
	}

	private static function failures23(): array {
		return array(
			array( 'item' => 2, 'code' => 'invalid_stock', 'field' => 'stock', 'message' => 'Invalid stock: must be an integer.' ),
			array( 'item' => 3, 'code' => 'product_not_found', 'field' => 'sku', 'message' => 'Product not found.' ),
		);
	}

	/** Five items for one product (one per location and back), the fourth one failing. */
	private static function fiveItems( WC_Product $p ): array {
		return array(
			array( 'sku' => $p->get_sku(), 'location_slug' => 'main-store', 'stock' => 10 ),
			array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 11 ),
			array( 'sku' => $p->get_sku(), 'location_slug' => 'outlet', 'stock' => 12 ),
			array( 'sku' => $p->get_sku(), 'location_slug' => 'outlet', 'stock' => 'x' ),
			array( 'product_id' => $p->get_id(), 'location_id' => self::$loc['main-store'], 'stock' => 14 ),
		);
	}

	// ------------------------------------------------------------------------------------------ the process

	public function testTheWpProcessRunsTheExpectedEngineWithWooCommerce(): void {
		$r = $this->wp( array( 'eval', 'echo mulopimfwc_bulk_sync_engine()->name(), " ", WC()->version, " ", get_bloginfo( "version" );' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( self::engine() . ' ' . self::site()['E2E_WC_VERSION'] . ' ' . self::site()['E2E_WP_VERSION'], trim( $r['stdout'] ) );
		$this->noPhpNotice( $r );
	}

	public function testHelpRendersTheDocblocks(): void {
		$r = $this->wp( array( 'help', 'mulopimfwc', 'bulk-sync' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		foreach ( array( 'NAME', 'wp mulopimfwc bulk-sync', 'Syncs stock and prices per location from a file', 'SYNOPSIS', '<file>', '[--chunk-size=<n>]', '[--dry-run]', '[--format=<format>]', 'EXAMPLES', 'cat body.json | wp mulopimfwc bulk-sync -' ) as $want ) {
			$this->assertStringContainsString( $want, $r['stdout'] );
		}
		$this->assertStringNotContainsString( '@subcommand', $r['stdout'] );
		$this->assertStringNotContainsString( '@param', $r['stdout'] );

		$r = $this->wp( array( 'help', 'mulopimfwc', 'export' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		foreach ( array( 'wp mulopimfwc export', '[--location_id=<id>]', '[--file=<path>]', '[--per-page=<n>]', 'jsonl' ) as $want ) {
			$this->assertStringContainsString( $want, $r['stdout'] );
		}

		$r = $this->wp( array( 'help', 'mulopimfwc' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertMatchesRegularExpression( '/^\s+bulk-sync\s+\S/m', $r['stdout'] );
		$this->assertMatchesRegularExpression( '/^\s+export\s+\S/m', $r['stdout'] );
	}

	// ------------------------------------------------------------------------------------------ files

	public function testJsonFileWritesWhatWooCommerceReports(): void {
		$p                    = $this->simple( 5 );
		list( $parent, $s, $m ) = $this->variable( 3, 4 );
		$body                 = self::json(
			array(
				array( 'sku' => $p->get_sku(), 'location_slug' => 'main-store', 'stock' => 100, 'regular_price' => '29.99', 'sale_price' => '24.99' ),
				array( 'product_id' => $p->get_id(), 'location_id' => self::$loc['warehouse'], 'stock' => 50 ),
				array( 'sku' => $s->get_sku(), 'location_slug' => 'main-store', 'stock' => 0 ),
			)
		);
		$r = $this->sync( array( $this->file( $body, 'json' ) ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertSame( "Success: Processed 3 items. 3 succeeded, 0 failed.\n", $r['stdout'] );
		$this->assertSame( '', $r['stderr'] );
		$this->noPhpNotice( $r );

		$this->assertSame( array( 'main-store' => array( '100' ), 'warehouse' => array( '50' ), 'outlet' => array() ), self::locStock( $p->get_id() ) );
		$this->assertSame( array( '29.99' ), self::meta( $p->get_id(), '_location_regular_price_' . self::$loc['main-store'] ) );
		$this->assertSame( array( '24.99' ), self::meta( $p->get_id(), '_location_sale_price_' . self::$loc['main-store'] ) );
		// WooCommerce's own stock follows the primary location (main-store) only.
		$this->assertSame( 100, self::wc( $p->get_id() )->get_stock_quantity() );
		$this->assertSame( 'instock', self::wc( $p->get_id() )->get_stock_status() );
		global $wpdb;
		$this->assertEquals( 100, $wpdb->get_var( $wpdb->prepare( "SELECT stock_quantity FROM {$wpdb->prefix}wc_product_meta_lookup WHERE product_id = %d", $p->get_id() ) ) );
		$this->assertSame( 0, self::wc( $s->get_id() )->get_stock_quantity() );
		$this->assertSame( 'outofstock', self::wc( $s->get_id() )->get_stock_status() );
		$this->assertFalse( self::wc( $s->get_id() )->is_in_stock() );
		$this->assertSame( 4, self::wc( $m->get_id() )->get_stock_quantity(), 'the other variation is untouched' );
		$this->assertSame( 'instock', self::wc( $parent->get_id() )->get_stock_status(), 'M is still in stock' );
	}

	public function testVariableParentGoesOutOfStockWithItsLastVariation(): void {
		list( $parent, $s, $m ) = $this->variable( 3, 4 );
		$body                 = self::json(
			array(
				array( 'sku' => $s->get_sku(), 'location_slug' => 'main-store', 'stock' => 0 ),
				array( 'product_id' => $m->get_id(), 'location_slug' => 'main-store', 'stock' => 0 ),
			)
		);
		$r = $this->sync( array( $this->file( $body, 'json' ) ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertSame( 'outofstock', self::wc( $parent->get_id() )->get_stock_status() );
		$this->assertFalse( self::wc( $parent->get_id() )->is_in_stock() );
		$this->assertContains( 'outofstock', wp_list_pluck( wp_get_object_terms( $parent->get_id(), 'product_visibility' ), 'slug' ) );
	}

	public function testCsvFileWithBomCrlfAndHeaderCase(): void {
		$p   = $this->simple( 5 );
		$q   = $this->simple( 6 );
		$csv = "\xEF\xBB\xBFSKU,Product_ID,Location_Slug,Location_ID,Stock,Regular_Price,Sale_Price\r\n"
			. $p->get_sku() . ",,main-store,,9,29.99,24.99\r\n"
			. ',' . $q->get_id() . ',,' . self::$loc['warehouse'] . ",50,19.99,\r\n";
		$r   = $this->sync( array( $this->file( $csv, 'csv' ) ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertSame( "Success: Processed 2 items. 2 succeeded, 0 failed.\n", $r['stdout'] );
		$this->assertSame( array( '9' ), self::meta( $p->get_id(), '_location_stock_' . self::$loc['main-store'] ) );
		$this->assertSame( 9, self::wc( $p->get_id() )->get_stock_quantity() );
		$this->assertSame( array( '50' ), self::meta( $q->get_id(), '_location_stock_' . self::$loc['warehouse'] ) );
		$this->assertSame( array( '19.99' ), self::meta( $q->get_id(), '_location_regular_price_' . self::$loc['warehouse'] ) );
		$this->assertSame( 6, self::wc( $q->get_id() )->get_stock_quantity(), 'warehouse is not the primary location' );
	}

	public function testFailingItemsAreATableOnStdoutAndTheSummaryAnErrorOnStderr(): void {
		$p = $this->simple( 5 );
		$r = $this->sync( array( $this->file( self::failingCsv( $p->get_sku() ), 'csv' ) ) );
		$this->assertSame( 1, $r['exit'], 'items failed: the exit status is 1' );
		$this->assertSame( "Error: Processed 3 items. 1 succeeded, 2 failed.\n", $r['stderr'] );
		// WP-CLI prints a table as tab-separated values when STDOUT is not a terminal (a table on one: below).
		$this->assertSame( "item\tcode\tfield\tmessage\n2\tinvalid_stock\tstock\tInvalid stock: must be an integer.\n3\tproduct_not_found\tsku\tProduct not found.\n", $r['stdout'] );
		// The good item is written anyway, the bad one is not.
		$this->assertSame( array( 'main-store' => array( '100' ), 'warehouse' => array(), 'outlet' => array() ), self::locStock( $p->get_id() ) );
		$this->assertSame( 100, self::wc( $p->get_id() )->get_stock_quantity() );
	}

	public function testFormatJsonAndCsv(): void {
		$p = $this->simple( 5 );
		$f = $this->file( self::failingCsv( $p->get_sku() ), 'csv' );
		$r = $this->sync( array( $f, '--format=json' ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertSame( self::failures23(), self::failures( $r['stdout'] ) );
		$this->assertSame( "Error: Processed 3 items. 1 succeeded, 2 failed.\n", $r['stderr'] );

		$r = $this->sync( array( $f, '--format=csv' ) );
		$this->assertSame( 1, $r['exit'] );
		$lines = explode( "\n", rtrim( $r['stdout'], "\n" ) );
		$this->assertCount( 3, $lines, $r['stdout'] );
		$this->assertSame( 'item,code,field,message', $lines[0] );
		$this->assertSame( array( '2', 'invalid_stock', 'stock', 'Invalid stock: must be an integer.' ), str_getcsv( $lines[1], ',', '"', '' ) );
		$this->assertSame( array( '3', 'product_not_found', 'sku', 'Product not found.' ), str_getcsv( $lines[2], ',', '"', '' ) );
		$this->assertSame( "Error: Processed 3 items. 1 succeeded, 2 failed.\n", $r['stderr'] );

		$r = $this->sync( array( $f, '--format=yaml' ) );
		$this->assertSame( 1, $r['exit'], 'an unknown --format is refused by WP-CLI' );
		$this->assertStringContainsString( 'Error:', $r['stderr'] );
	}

	public function testStdinJsonAndCsv(): void {
		$p = $this->simple( 5 );
		$r = $this->sync( array( '-' ), self::json( array( array( 'sku' => $p->get_sku(), 'location_slug' => 'main-store', 'stock' => 7 ) ) ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertSame( "Success: Processed 1 items. 1 succeeded, 0 failed.\n", $r['stdout'] );
		$this->assertSame( 7, self::wc( $p->get_id() )->get_stock_quantity() );

		$r = $this->sync( array( '-', '--format=csv' ), self::failingCsv( $p->get_sku() ) );
		$this->assertSame( 1, $r['exit'], 'CSV on stdin, detected from the content' );
		$this->assertStringContainsString( '2,invalid_stock,stock,', $r['stdout'] );
		$this->assertSame( "Error: Processed 3 items. 1 succeeded, 2 failed.\n", $r['stderr'] );
		$this->assertSame( 100, self::wc( $p->get_id() )->get_stock_quantity() );
	}

	public function testMissingFileIsAnError(): void {
		$r = $this->sync( array( '/nonexistent/mulopimfwc-nothing-here.json' ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertSame( "Error: Cannot read /nonexistent/mulopimfwc-nothing-here.json.\n", $r['stderr'] );
		$this->assertSame( '', $r['stdout'] );
	}

	/** Defect 4: a directory given as the file. */
	public function testADirectoryIsAClearErrorWithoutANotice(): void {
		$dir = $this->tmpDir();
		foreach ( array( $dir, $dir . '.json' ) as $d ) {
			if ( ! is_dir( $d ) ) {
				mkdir( $d );
				$this->tmp_dirs[] = $d;
			}
			$r = $this->sync( array( $d ) );
			$this->assertSame( 1, $r['exit'], $d );
			$this->assertSame( '', $r['stdout'], 'nothing on STDOUT (no notice)' );
			$this->assertStringStartsWith( 'Error: ', $r['stderr'] );
			$this->assertStringContainsString( 'is a directory', $r['stderr'] );
			$this->assertStringNotContainsString( 'CSV', $r['stderr'] );
			$this->noPhpNotice( $r );
		}
	}

	/** @var list<string> */
	private array $tmp_dirs = array();

	protected function tearDown(): void {
		foreach ( $this->tmp_dirs as $d ) {
			@rmdir( $d );
		}
		parent::tearDown();
	}

	public function testCsvWithoutAKnownHeaderIsAnError(): void {
		$p      = $this->simple( 5 );
		$before = self::snapshot( array( $p->get_id() ) );
		$r      = $this->sync( array( $this->file( "a,b,c\n1,2,3\n", 'csv' ) ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringStartsWith( 'Error: The CSV header row must name some of:', $r['stderr'] );
		$this->assertEquals( $before, self::snapshot( array( $p->get_id() ) ) );
	}

	public function testJsonWithoutAnItemsArrayIsAnError(): void {
		$r = $this->sync( array( $this->file( '{"items": {"a": 1}}', 'json' ) ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringContainsString( '"items"', $r['stderr'] );

		// An empty items array is no error: nothing to do, said so.
		$r = $this->sync( array( $this->file( '{"items": []}', 'json' ), '--chunk-size=2' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( "Success: Processed 0 items. 0 succeeded, 0 failed.\n", $r['stdout'] );
	}

	/** Defect 3: a UTF-8 BOM before JSON. */
	public function testJsonWithAUtf8BomIsReadAsJson(): void {
		$p    = $this->simple( 5 );
		$body = "\xEF\xBB\xBF" . self::json( array( array( 'sku' => $p->get_sku(), 'location_slug' => 'main-store', 'stock' => 31 ) ) );
		foreach ( array( array( array( $this->file( $body, 'json' ) ), null ), array( array( '-' ), $body ), array( array( $this->file( $body, 'txt' ) ), null ) ) as $i => list( $args, $stdin ) ) {
			$r = $this->sync( $args, $stdin );
			$this->assertSame( 0, $r['exit'], "case $i: " . $r['stderr'] . $r['stdout'] );
			$this->assertSame( "Success: Processed 1 items. 1 succeeded, 0 failed.\n", $r['stdout'], "case $i" );
			$this->assertSame( 31, self::wc( $p->get_id() )->get_stock_quantity(), "case $i" );
		}
	}

	/** Defect 3: an empty input is a clear error, not CSV header errors. */
	public function testAnEmptyInputIsAClearError(): void {
		foreach ( array( array( array( $this->file( '', 'json' ) ), null ), array( array( $this->file( '', 'csv' ) ), null ), array( array( $this->file( " \n\t\n", 'json' ) ), null ), array( array( '-' ), '' ) ) as $i => list( $args, $stdin ) ) {
			$r = $this->sync( $args, $stdin );
			$this->assertSame( 1, $r['exit'], "case $i" );
			$this->assertStringStartsWith( 'Error: ', $r['stderr'], "case $i" );
			$this->assertStringContainsString( 'empty', $r['stderr'], "case $i" );
			$this->assertStringNotContainsString( 'header', $r['stderr'], "case $i" );
			$this->assertSame( '', $r['stdout'], "case $i" );
		}
	}

	/** Defect 3: a truncated JSON file says where the syntax error is. */
	public function testATruncatedJsonFileSaysWhereTheSyntaxErrorIs(): void {
		$p      = $this->simple( 5 );
		$before = self::snapshot( array( $p->get_id() ) );
		$body   = "{\n  \"items\": [\n    {\"sku\": \"" . $p->get_sku() . "\", \"location_slug\": \"main-store\", \"stock\": 3},\n    {\"sku\": \"" . $p->get_sku() . '", "stock": ';
		$r      = $this->sync( array( $this->file( $body, 'json' ) ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertStringStartsWith( 'Error: ', $r['stderr'] );
		$this->assertMatchesRegularExpression( '/line 4, column ' . ( strlen( substr( $body, strrpos( $body, "\n" ) + 1 ) ) + 1 ) . '\b/', $r['stderr'] );
		$this->assertEquals( $before, self::snapshot( array( $p->get_id() ) ), 'nothing written' );

		// A wrong token in the middle: its own position.
		$r = $this->sync( array( $this->file( "{\"items\": [\n  {\"sku\": \"A\" \"stock\": 1}\n]}", 'json' ) ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertMatchesRegularExpression( '/line 2, column 15\b/', $r['stderr'] );
	}

	// ------------------------------------------------------------------------------------------ dry runs

	public function testDryRunOptionWritesNothingAndSaysSo(): void {
		$p      = $this->simple( 5 );
		$before = self::snapshot( array( $p->get_id() ) );
		$r      = $this->sync( array( $this->file( self::json( self::fiveItems( $p ) ), 'json' ), '--dry-run', '--chunk-size=2', '--format=json' ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertSame( "Error: Processed 5 items. 4 succeeded, 1 failed. (dry run: nothing was written)\n", $r['stderr'] );
		$this->assertSame( array( 4 ), array_column( self::failures( $r['stdout'] ), 'item' ) );
		$this->assertEquals( $before, self::snapshot( array( $p->get_id() ) ) );
		$this->assertSame( 5, self::wc( $p->get_id() )->get_stock_quantity() );
	}

	/** Defect 1: "dry_run": true in the file holds for every chunk, and the summary says so. */
	public function testDryRunInTheFileHoldsForEveryChunk(): void {
		$p      = $this->simple( 5 );
		$items  = self::fiveItems( $p );
		$before = self::snapshot( array( $p->get_id() ) );
		foreach ( array( array( '--chunk-size=2' ), array() ) as $extra ) {
			$good = $items;
			unset( $good[3] );
			$r = $this->sync( array_merge( array( $this->file( self::json( array_values( $good ), array( 'dry_run' => true ) ), 'json' ) ), $extra ) );
			$this->assertEquals( $before, self::snapshot( array( $p->get_id() ) ), implode( ' ', $extra ) . ': nothing written' );
			$this->assertSame( 0, $r['exit'], implode( ' ', $extra ) . ': ' . $r['stderr'] . $r['stdout'] );
			$this->assertSame( "Success: Processed 4 items. 4 succeeded, 0 failed. (dry run: nothing was written)\n", $r['stdout'], implode( ' ', $extra ) );
		}
		$this->assertSame( 5, self::wc( $p->get_id() )->get_stock_quantity() );

		// "dry_run": false writes.
		$r = $this->sync( array( $this->file( self::json( array( $items[0] ), array( 'dry_run' => false ) ), 'json' ), '--chunk-size=2' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( "Success: Processed 1 items. 1 succeeded, 0 failed.\n", $r['stdout'] );
		$this->assertSame( 10, self::wc( $p->get_id() )->get_stock_quantity() );
	}

	/** Defect 1: an invalid dry_run is an error before anything is written, in one chunk or several. */
	public function testAnInvalidDryRunInTheFileIsAnErrorInOneChunkOrSeveral(): void {
		$p      = $this->simple( 5 );
		$good   = array_slice( self::fiveItems( $p ), 0, 3 );
		$before = self::snapshot( array( $p->get_id() ) );
		foreach ( array( '"yes"', '1', '"true"', '[]' ) as $bad ) {
			foreach ( array( array(), array( '--chunk-size=1' ) ) as $extra ) {
				$body = '{"dry_run": ' . $bad . ', "items": ' . wp_json_encode( $good ) . '}';
				$r    = $this->sync( array_merge( array( $this->file( $body, 'json' ) ), $extra ) );
				$what = "dry_run $bad " . implode( ' ', $extra );
				$this->assertEquals( $before, self::snapshot( array( $p->get_id() ) ), "$what: nothing written" );
				$this->assertSame( 1, $r['exit'], $what );
				$this->assertStringStartsWith( 'Error: ', $r['stderr'], $what );
				$this->assertStringContainsString( 'dry_run', $r['stderr'], $what );
			}
		}
	}

	// ------------------------------------------------------------------------------------------ chunks

	public function testChunksReportFailuresByTheirPlaceInTheFile(): void {
		$p = $this->simple( 5 );
		$r = $this->sync( array( $this->file( self::json( self::fiveItems( $p ) ), 'json' ), '--chunk-size=2', '--format=json' ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertSame( "Error: Processed 5 items. 4 succeeded, 1 failed.\n", $r['stderr'] );
		$this->assertSame( array( array( 'item' => 4, 'code' => 'invalid_stock', 'field' => 'stock', 'message' => 'Invalid stock: must be an integer.' ) ), self::failures( $r['stdout'] ) );
		$this->assertSame( array( 'main-store' => array( '14' ), 'warehouse' => array( '11' ), 'outlet' => array( '12' ) ), self::locStock( $p->get_id() ) );
		$this->assertSame( 14, self::wc( $p->get_id() )->get_stock_quantity() );
	}

	/** Defect 6: mulopimfwc_bulk_sync_completed fires once per command, with the totals of the whole file. */
	public function testTheCompletedActionFiresOncePerCommandWithTheTotals(): void {
		$p   = $this->simple( 5 );
		$q   = $this->simple( 6 );
		$log = $this->tmpPath( 'jsonl' );
		$items   = self::fiveItems( $p );
		$items[] = array( 'sku' => $q->get_sku(), 'location_slug' => 'main-store', 'stock' => 0 );
		$args    = array( '--require=' . __DIR__ . '/record-completed.php', 'mulopimfwc', 'bulk-sync', $this->file( self::json( $items ), 'json' ), '--chunk-size=2', '--format=json' );
		$r       = $this->wp( $args, null, array( 'MULOPIMFWC_CLI_HOOK_LOG' => $log ) );
		$this->assertSame( 1, $r['exit'], $r['stderr'] );
		$lines = file_exists( $log ) ? array_values( array_filter( explode( "\n", (string) file_get_contents( $log ) ) ) ) : array();
		$this->assertCount( 1, $lines, 'one action for the command (3 chunks)' );
		$fired = json_decode( $lines[0], true );
		$this->assertSame( 'cli', $fired['info']['source'] ?? null );
		$res = $fired['result'];
		$this->assertTrue( $res['success'] );
		$this->assertSame( 'Processed 6 items. 5 succeeded, 1 failed.', $res['message'] );
		$this->assertSame( 5, $res['results']['success'] );
		$this->assertSame( 1, $res['results']['failed'] );
		$this->assertSame( array( 'Item 4: Invalid stock: must be an integer.' ), $res['results']['errors'] );
		$this->assertCount( 1, $res['results']['items_failed'] );
		$this->assertSame( 4, $res['results']['items_failed'][0]['index'] );
		$this->assertSame( 'invalid_stock', $res['results']['items_failed'][0]['code'] );
		$this->assertEqualsCanonicalizing( array( $p->get_id(), $q->get_id() ), array_values( array_unique( $res['changed_product_ids'] ) ) );
		$this->assertEqualsCanonicalizing( array( $p->get_id(), $q->get_id() ), array_values( array_unique( array_column( $res['stock_changes'], 'product_id' ) ) ) );
		$this->assertSame( self::engine(), $res['engine'] );
		$this->assertFalse( $res['dry_run'] );

		// A dry run fires nothing; a file in one chunk fires once.
		unlink( $log );
		$r = $this->wp( array_merge( $args, array( '--dry-run' ) ), null, array( 'MULOPIMFWC_CLI_HOOK_LOG' => $log ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertFileDoesNotExist( $log, 'no action on a dry run' );
		$args[5] = '--chunk-size=100';
		$r       = $this->wp( $args, null, array( 'MULOPIMFWC_CLI_HOOK_LOG' => $log ) );
		$this->assertSame( 1, $r['exit'] );
		$this->assertCount( 1, array_filter( explode( "\n", (string) file_get_contents( $log ) ) ) );
	}

	/** A chunk that fails as a whole ends the command; what the chunks before it wrote is announced once, as aborted. */
	public function testAChunkFailingAsAWholeEndsTheCommandAndAnnouncesWhatWasWritten(): void {
		$p    = $this->simple( 5 );
		$log  = $this->tmpPath( 'jsonl' );
		$deep = str_repeat( '[', 200 ) . str_repeat( ']', 200 ); // Deeper than an engine request may nest (128).
		$body = '{"items": [' . wp_json_encode( array( 'sku' => $p->get_sku(), 'location_slug' => 'main-store', 'stock' => 21 ) ) . ', '
			. wp_json_encode( array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 22 ) ) . ', '
			. '{"sku": "' . $p->get_sku() . '", "location_slug": "outlet", "stock": 23, "extra": ' . $deep . '}]}';
		$r    = $this->wp( array( '--require=' . __DIR__ . '/record-completed.php', 'mulopimfwc', 'bulk-sync', $this->file( $body, 'json' ), '--chunk-size=2' ), null, array( 'MULOPIMFWC_CLI_HOOK_LOG' => $log ) );
		$this->assertSame( 1, $r['exit'], $r['stdout'] );
		$this->assertStringStartsWith( 'Error: Chunk starting at item 3 failed: ', $r['stderr'] );
		$this->assertSame( array( 'main-store' => array( '21' ), 'warehouse' => array( '22' ), 'outlet' => array() ), self::locStock( $p->get_id() ), 'the first chunk stays written' );
		$this->assertSame( 21, self::wc( $p->get_id() )->get_stock_quantity() );
		$lines = file_exists( $log ) ? array_values( array_filter( explode( "\n", (string) file_get_contents( $log ) ) ) ) : array();
		$this->assertCount( 1, $lines );
		$fired = json_decode( $lines[0], true );
		$this->assertSame( array( 'cli', 2, true ), array( $fired['info']['source'], $fired['info']['items'], $fired['info']['aborted'] ) );
		$this->assertSame( 'Processed 2 items. 2 succeeded, 0 failed.', $fired['result']['message'] );
		$this->assertSame( array( $p->get_id() ), $fired['result']['changed_product_ids'] );
	}

	/** Defect 2: README's `cat items.json | wp mulopimfwc bulk-sync - --format=json --chunk-size=5000`. */
	public function testTheChunkSizeIsCappedAtTheEngineLimit(): void {
		$p     = $this->simple( 5 );
		$items = array();
		for ( $i = 1; $i <= 1200; $i++ ) {
			$items[] = array( 'sku' => $p->get_sku(), 'location_slug' => 'main-store', 'stock' => $i );
		}
		$r = $this->sync( array( '-', '--format=json', '--chunk-size=5000' ), self::json( $items ) );
		$this->assertSame( 0, $r['exit'], substr( $r['stderr'], 0, 500 ) );
		$this->assertSame( "Success: Processed 1200 items. 1200 succeeded, 0 failed.\n", $r['stdout'] );
		$this->assertSame( 1200, self::wc( $p->get_id() )->get_stock_quantity(), 'the last item wins' );

		// A site's lower limit (filter mulopimfwc_max_bulk_sync_items, through the test helpers' option) too.
		$this->option( 'mulopimfwc_e2e_max_items', '50' );
		$items = array_slice( $items, 0, 120 );
		$r     = $this->sync( array( '-', '--format=json', '--chunk-size=5000' ), self::json( $items ) );
		$this->assertSame( 0, $r['exit'], substr( $r['stderr'], 0, 500 ) );
		$this->assertSame( "Success: Processed 120 items. 120 succeeded, 0 failed.\n", $r['stdout'] );
		$this->assertSame( 120, self::wc( $p->get_id() )->get_stock_quantity() );
	}

	/** Defect 2: --chunk-size=0, abc, ... is an error, nothing written. */
	public function testABadChunkSizeIsAnError(): void {
		$p      = $this->simple( 5 );
		$f      = $this->file( self::json( array_slice( self::fiveItems( $p ), 0, 3 ) ), 'json' );
		$before = self::snapshot( array( $p->get_id() ) );
		foreach ( array( '=0', '=abc', '=-2', '=1.5', '=' ) as $bad ) {
			$r   = $this->sync( array( $f, '--chunk-size' . $bad ) );
			$bad = '--chunk-size' . $bad;
			$this->assertSame( 1, $r['exit'], $bad );
			$this->assertStringStartsWith( 'Error: ', $r['stderr'], $bad );
			$this->assertStringContainsString( '--chunk-size', $r['stderr'], $bad );
			$this->assertEquals( $before, self::snapshot( array( $p->get_id() ) ), "$bad: nothing written" );
		}
	}

	public function testJsonNumberPricesAreKeptExactWholeAndChunked(): void {
		foreach ( array( array(), array( '--chunk-size=1' ) ) as $extra ) {
			$p    = $this->simple( 5 );
			$q    = $this->simple( 5 );
			$body = '{"items": [{"sku": "' . $p->get_sku() . '", "location_slug": "main-store", "stock": 1, "regular_price": 29.990, "sale_price": 0.30000000000000004},'
				. ' {"sku": "' . $q->get_sku() . '", "location_slug": "main-store", "stock": 2, "regular_price": 12}]}';
			$r    = $this->sync( array_merge( array( $this->file( $body, 'json' ) ), $extra ) );
			$what = implode( ' ', $extra );
			$this->assertSame( 0, $r['exit'], $what . ': ' . $r['stderr'] . $r['stdout'] );
			$ms = self::$loc['main-store'];
			$this->assertSame( array( '29.990' ), self::meta( $p->get_id(), '_location_regular_price_' . $ms ), $what );
			$this->assertSame( array( '0.30000000000000004' ), self::meta( $p->get_id(), '_location_sale_price_' . $ms ), $what );
			$this->assertSame( array( '12' ), self::meta( $q->get_id(), '_location_regular_price_' . $ms ), $what );
		}
	}

	// ------------------------------------------------------------------------------------------ terminal

	public function testProgressBarOnATerminalAndNoneInAPipe(): void {
		$p = $this->simple( 5 );
		$f = $this->file( self::json( self::fiveItems( $p ) ), 'json' );
		$t = $this->onTerminal( 'WP mulopimfwc bulk-sync ' . escapeshellarg( $f ) . ' --chunk-size=2 --format=json' );
		$this->assertSame( 1, $t['exit'], $t['terminal'] );
		$this->assertMatchesRegularExpression( '/Syncing 5 items\s+100%/', $t['terminal'] );
		$this->assertStringContainsString( '[{"item":4,"code":"invalid_stock","field":"stock","message":"Invalid stock: must be an integer."}]', $t['terminal'] );
		$this->assertStringContainsString( 'Error: Processed 5 items. 4 succeeded, 1 failed.', $t['terminal'] );
		$this->noPhpNotice( $t );

		// The data (failed items as JSON) on STDOUT stays clean on a terminal: the bar is on STDERR.
		$out = $this->tmpPath( 'json' );
		$t   = $this->onTerminal( 'WP mulopimfwc bulk-sync ' . escapeshellarg( $f ) . ' --chunk-size=2 --format=json >' . escapeshellarg( $out ) );
		$this->assertSame( 1, $t['exit'] );
		$this->assertSame( array( 4 ), array_column( self::failures( (string) file_get_contents( $out ) ), 'item' ) );
		$this->assertMatchesRegularExpression( '/Syncing 5 items/', $t['terminal'] );

		// The table format on a terminal is a table.
		$t = $this->onTerminal( 'WP mulopimfwc bulk-sync ' . escapeshellarg( $f ) . ' --chunk-size=2 2>/dev/null' );
		$this->assertSame( 1, $t['exit'] );
		$this->assertMatchesRegularExpression( '/\|\s*item\s*\|\s*code\s*\|\s*field\s*\|\s*message\s*\|/', $t['terminal'] );
		$this->assertMatchesRegularExpression( '/\|\s*4\s*\|\s*invalid_stock\s*\|\s*stock\s*\|/', $t['terminal'] );
		$this->assertStringNotContainsString( 'Error:', $t['terminal'] );

		// In a pipe: no bar at all.
		$r = $this->sync( array( $f, '--chunk-size=2', '--format=json' ) );
		$this->assertStringNotContainsString( 'Syncing', $r['stdout'] . $r['stderr'] );
	}
}
