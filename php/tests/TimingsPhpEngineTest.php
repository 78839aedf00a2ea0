<?php
/**
 * The clock per phase (issue 11) through the plugin's PHP engine: every result carries `timings` (parse, resolve,
 * lock, read, plan, write and total, float milliseconds, the phases adding up to no more than total), a dry run locks
 * nothing, a whole-request error keeps the phases that ran (timings()). With the extension loaded, the native engine
 * answers with the same names.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

require_once dirname( __DIR__, 2 ) . '/tests/php/lib/MetaWritesChecks.php';

final class TimingsPhpEngineTest extends TestCase {

	use MetaWritesChecks;

	const NAMES = array( 'parse', 'resolve', 'lock', 'read', 'plan', 'write', 'total' );

	/** Every phase and total present, floats >= 0, the phases' sum <= total. */
	private function assertTimings( $timings, string $what ): array {
		$this->assertIsArray( $timings, "$what: no timings" );
		$this->assertSame( self::NAMES, array_keys( $timings ), "$what: names" );
		$sum = 0.0;
		foreach ( $timings as $name => $ms ) {
			$this->assertIsFloat( $ms, "$what: $name" );
			$this->assertGreaterThanOrEqual( 0.0, $ms, "$what: $name" );
			if ( 'total' !== $name ) {
				$sum += $ms;
			}
		}
		$this->assertLessThanOrEqual( $timings['total'] + 1e-6, $sum, "$what: phases > total " . json_encode( $timings ) );
		$this->assertGreaterThan( 0.0, $timings['total'], $what );
		return $timings;
	}

	private function checkEngine( EngineAdapter $adapter ): void {
		list( $out ) = self::scenario( $adapter, ContractStore::fromEnv(), array() );
		$this->assertArrayNotHasKey( 'error', $out, json_encode( $out ) );
		$t = $this->assertTimings( $out['timings'] ?? null, $adapter->name() . ' write' );
		foreach ( array( 'resolve', 'read', 'lock', 'write' ) as $phase ) {
			$this->assertGreaterThan( 0.0, $t[ $phase ], $adapter->name() . " write: $phase " . json_encode( $t ) );
		}
		list( $out ) = self::scenario( $adapter, ContractStore::fromEnv(), array( 'dry_run' => true ) );
		$t           = $this->assertTimings( $out['timings'] ?? null, $adapter->name() . ' dry run' );
		$this->assertSame( 0.0, $t['lock'], $adapter->name() . ' dry run locks nothing' );
	}

	public function testPhpEngineResultsCarryTimings(): void {
		$this->checkEngine( new PhpEngineAdapter() );
	}

	public function testNativeEngineUsesTheSameNames(): void {
		$native = new NativeEngineAdapter();
		if ( ! $native->available() ) {
			$this->markTestSkipped( 'extension mulopimfwc not loaded (php -d extension=/abs/libmulopimfwc.so /usr/bin/phpunit -c php/tests/phpunit-php-engine.xml)' );
		}
		$this->checkEngine( $native );
	}

	/** A whole-request error: no result, but timings() has the phases that ran (parse) and the total. */
	public function testErrorKeepsThePhasesThatRan(): void {
		$engine = new \Mulopimfwc_Bulk_Sync_PHP_Engine();
		$this->assertNull( $engine->timings() );
		$out = $engine->run( '{"items": [', array() );
		$this->assertInstanceOf( \WP_Error::class, $out );
		$t = $this->assertTimings( $engine->timings(), 'invalid body' );
		$this->assertSame( 0.0, $t['write'] );
	}
}
