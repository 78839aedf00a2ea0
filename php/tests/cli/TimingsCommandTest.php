<?php
/**
 * `wp mulopimfwc bulk-sync FILE --timings` (issue 11) run by the real WP-CLI: after the summary on STDOUT, the time
 * of each phase on STDERR (parse, resolve, lock, read, plan, write, follow-ons, total; milliseconds summed over the
 * chunks), the phases adding up to no more than the total; nothing of it without the flag; `wp help` documents it.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

final class TimingsCommandTest extends CliTestCase {

	private const NAMES = array( 'parse', 'resolve', 'lock', 'read', 'plan', 'write', 'follow-ons', 'total' );

	/** The `name  ms` lines of STDERR, name => ms. */
	private static function timings( string $stderr ): array {
		preg_match_all( '/^\s+([a-z-]+)\s+([0-9]+\.[0-9]{3})\s*$/m', $stderr, $m, PREG_SET_ORDER );
		$out = array();
		foreach ( $m as $line ) {
			$out[ $line[1] ] = (float) $line[2];
		}
		return $out;
	}

	private function assertTimings( array $r, string $what ): array {
		$t = self::timings( $r['stderr'] );
		$this->assertSame( self::NAMES, array_keys( $t ), "$what: STDERR was: {$r['stderr']}" );
		$sum = 0.0;
		foreach ( $t as $name => $ms ) {
			$this->assertGreaterThanOrEqual( 0.0, $ms, "$what: $name" );
			if ( 'total' !== $name ) {
				$sum += $ms;
			}
		}
		$this->assertLessThanOrEqual( $t['total'] + 0.01, $sum, "$what: the phases add up to more than total: {$r['stderr']}" );
		$this->assertGreaterThan( 0.0, $t['total'], $what );
		// Nothing of it on STDOUT: the summary is there, the timings are not.
		$this->assertStringNotContainsString( 'follow-ons', $r['stdout'], $what );
		return $t;
	}

	public function testTimingsPrintsEveryPhaseToStderrAfterTheSummary(): void {
		$a     = $this->simple( 5 );
		$b     = $this->simple( 6 );
		$items = array(
			array( 'sku' => $a->get_sku(), 'location_slug' => 'main-store', 'stock' => 40 ),
			array( 'sku' => $b->get_sku(), 'location_slug' => 'warehouse', 'stock' => 41 ),
			array( 'sku' => $a->get_sku(), 'location_slug' => 'outlet', 'stock' => 42 ),
		);
		// Two chunks: the phases are summed over them.
		$r = $this->sync( array( $this->file( self::json( $items ), 'json' ), '--timings', '--chunk-size=2' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertStringContainsString( 'Success: Processed 3 items. 3 succeeded, 0 failed.', $r['stdout'] );
		$t = $this->assertTimings( $r, 'write' );
		foreach ( array( 'resolve', 'read', 'write', 'follow-ons' ) as $phase ) {
			$this->assertGreaterThan( 0.0, $t[ $phase ], "$phase: {$r['stderr']}" );
		}
		$this->assertSame( array( '40' ), self::locStock( $a->get_id() )['main-store'] );
		$this->assertSame( array( '42' ), self::locStock( $a->get_id() )['outlet'] );
		$this->noPhpNotice( $r );

		// A dry run with a failing item: the timings come before the error (WP-CLI exits on it).
		$r = $this->sync( array( $this->file( self::json( array( array( 'sku' => 'NO-SUCH-SKU-TM', 'location_slug' => 'main-store', 'stock' => 1 ) ) ), 'json' ), '--timings', '--dry-run', '--format=json' ) );
		$this->assertSame( 1, $r['exit'], $r['stderr'] );
		$this->assertTimings( $r, 'dry run, item failed' );
		$this->assertStringContainsString( 'Error: Processed 1 items. 0 succeeded, 1 failed.', $r['stderr'] );
		$this->assertLessThan( strpos( $r['stderr'], 'Error: Processed' ), strpos( $r['stderr'], 'total' ) );
	}

	public function testNoTimingsWithoutTheFlag(): void {
		$a = $this->simple( 5 );
		$r = $this->sync( array( $this->file( self::json( array( array( 'sku' => $a->get_sku(), 'location_slug' => 'main-store', 'stock' => 9 ) ) ), 'json' ) ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertSame( array(), self::timings( $r['stderr'] ), $r['stderr'] );
		$this->assertStringNotContainsString( 'follow-ons', $r['stderr'] );
	}

	public function testHelpDocumentsTheFlag(): void {
		$r = $this->wp( array( 'help', 'mulopimfwc', 'bulk-sync' ) );
		$this->assertSame( 0, $r['exit'], $r['stderr'] );
		$this->assertStringContainsString( '[--timings]', $r['stdout'] );
		$this->assertStringContainsString( 'follow-ons', $r['stdout'] );
	}
}
