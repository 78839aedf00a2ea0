<?php
/**
 * `wp mulopimfwc export` run by the REAL WP-CLI as a process (CSV, JSON, JSON lines, location filter, pages, the
 * progress bar on a terminal), compared with the rows the plugin's export gives in this process and with what
 * bulk-sync wrote.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

final class ExportCommandTest extends CliTestCase {

	/** Every row of the export, through the plugin's export in this process (the REST route's source). */
	private static function allRows( array $params = array() ): array {
		wp_cache_flush();
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

	private static function jsonLines( string $text ): array {
		return array_map( static fn ( $l ) => json_decode( $l, true ), array_values( array_filter( explode( "\n", str_replace( "\r", '', $text ) ) ) ) );
	}

	/** A product whose locations hold values (written by bulk-sync), one name that needs CSV quoting. */
	private function stock(): WC_Product_Simple {
		$p = $this->simple( 5 );
		$p->set_name( 'Shirt, "blue"' );
		$p->save();
		$body = self::json(
			array(
				array( 'sku' => $p->get_sku(), 'location_slug' => 'main-store', 'stock' => 7, 'regular_price' => '29.99', 'sale_price' => '24.99' ),
				array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 3, 'disabled' => true ),
			)
		);
		$r    = $this->sync( array( '-' ), $body );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		return $p;
	}

	public function testCsvFileHoldsTheWholeCataloguePageByPage(): void {
		$p   = $this->stock();
		$all = self::allRows();
		$this->assertGreaterThan( 3, count( $all ) );

		$file = $this->tmpPath( 'csv' );
		$r    = $this->wp( array( 'mulopimfwc', 'export', '--file=' . $file, '--per-page=7' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] . $r['stdout'] );
		$this->assertSame( 'Success: Exported ' . count( $all ) . ' rows to ' . $file . ".\n", $r['stdout'] );
		$this->assertSame( '', $r['stderr'] );
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
		$mine = array();
		foreach ( $rows as $row ) {
			if ( (string) $p->get_id() === $row[0] ) {
				$mine[ $row[4] ] = array( $row[2], $row[6], $row[7], $row[8], $row[10] );
			}
		}
		$this->assertSame( array( 'Shirt, "blue"', '7', '29.99', '24.99', 'no' ), $mine['main-store'] ?? null );
		$this->assertSame( array( 'Shirt, "blue"', '3', '', '', 'yes' ), $mine['warehouse'] ?? null );
		$this->assertSame( array( 'Shirt, "blue"', '', '', '', 'no' ), $mine['outlet'] ?? null );
	}

	public function testJsonArrayJsonLinesAndLocationFilter(): void {
		$this->stock();
		$loc = self::$loc['warehouse'];
		$all = self::allRows();

		$json = $this->tmpPath( 'json' );
		$r    = $this->wp( array( 'mulopimfwc', 'export', '--file=' . $json, '--format=json', '--per-page=11' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( $all, json_decode( (string) file_get_contents( $json ), true ) );

		$want = self::allRows( array( 'location_id' => $loc ) );
		$this->assertNotEmpty( $want );
		foreach ( $want as $row ) {
			$this->assertSame( $loc, $row['location_id'] );
		}
		// To standard output: the data alone, nothing on STDERR.
		$r = $this->wp( array( 'mulopimfwc', 'export', '--format=jsonl', '--location_id=' . $loc, '--per-page=3' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( '', $r['stderr'] );
		$this->assertSame( $want, self::jsonLines( $r['stdout'] ) );

		// An unknown location: the header row only.
		$empty = $this->tmpPath( 'csv' );
		$r     = $this->wp( array( 'mulopimfwc', 'export', '--file=' . $empty, '--location_id=99999' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertStringContainsString( 'Exported 0 rows', $r['stdout'] );
		$this->assertSame( 1, substr_count( (string) file_get_contents( $empty ), "\n" ) );
	}

	public function testBadOptionsAreErrors(): void {
		foreach ( array( array( '--format=xml' ), array( '--per-page=0' ), array( '--per-page=10001' ), array( '--location_id=abc' ), array( '--file=/nonexistent-dir/x.csv' ) ) as $args ) {
			$r = $this->wp( array_merge( array( 'mulopimfwc', 'export' ), $args ) );
			$this->assertSame( 1, $r['exit'], implode( ' ', $args ) );
			$this->assertStringStartsWith( 'Error: ', $r['stderr'], implode( ' ', $args ) );
			$this->assertSame( '', $r['stdout'], implode( ' ', $args ) );
		}
	}

	/** Defect 5: on a terminal the progress bar goes to STDERR, never into the data on STDOUT. */
	public function testOnATerminalTheProgressBarIsOnStderrNotInTheData(): void {
		$this->stock();
		$all = self::allRows();

		// STDOUT is the terminal, STDERR a file: the terminal shows the data and nothing else.
		$err = $this->tmpPath( 'txt' );
		$t   = $this->onTerminal( 'WP mulopimfwc export --format=jsonl --per-page=2 2>' . escapeshellarg( $err ) );
		$this->assertSame( 0, $t['exit'], $t['terminal'] . file_get_contents( $err ) );
		$this->assertFalse( strpos( $t['terminal'], 'Exporting' ), 'no progress bar in the data on STDOUT' );
		$this->assertSame( $all, self::jsonLines( $t['terminal'] ) );

		// STDOUT a file, STDERR the terminal: the bar on the terminal, the file holds the data alone.
		$data = $this->tmpPath( 'jsonl' );
		$t    = $this->onTerminal( 'WP mulopimfwc export --format=jsonl --per-page=2 >' . escapeshellarg( $data ) );
		$this->assertSame( 0, $t['exit'], $t['terminal'] );
		$this->assertMatchesRegularExpression( '/Exporting ' . count( $all ) . ' rows\s+100%/', $t['terminal'] );
		$this->assertSame( $all, self::jsonLines( (string) file_get_contents( $data ) ) );
		$this->assertStringNotContainsString( 'Exporting', (string) file_get_contents( $data ) );

		// Both on the terminal, CSV to a file: the bar and the success line.
		$csv = $this->tmpPath( 'csv' );
		$t   = $this->onTerminal( 'WP mulopimfwc export --per-page=2 --file=' . escapeshellarg( $csv ) );
		$this->assertSame( 0, $t['exit'], $t['terminal'] );
		$this->assertMatchesRegularExpression( '/Exporting ' . count( $all ) . ' rows/', $t['terminal'] );
		$this->assertStringContainsString( 'Success: Exported ' . count( $all ) . ' rows to ' . $csv, $t['terminal'] );
		$this->assertStringNotContainsString( 'Exporting', (string) file_get_contents( $csv ) );
		$this->noPhpNotice( $t );
	}
}
