<?php
/**
 * The PHP engine's clock per phase (native: src/timing.rs): how long each part of a request took, returned as the
 * result's `timings` (tests/contract/README.md, "timings").
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Seconds per phase of one run, summed over its attempts.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Timing {

	/**
	 * The phases of a request, as the result's `timings` names them (tests/contract/README.md, "timings").
	 */
	const PHASES = array( 'parse', 'resolve', 'lock', 'read', 'plan', 'write' );

	/**
	 * Seconds spent per phase in the current run (summed over attempts).
	 *
	 * @var array
	 */
	private $clock = array();

	/**
	 * Constructor: every phase at 0.
	 */
	public function __construct() {
		$this->reset();
	}

	/**
	 * Every phase back to 0 (a new run).
	 */
	public function reset() {
		$this->clock = array_fill_keys( self::PHASES, 0.0 );
	}

	/**
	 * Add the time since `$since` to a phase.
	 *
	 * @param string $phase One of PHASES.
	 * @param float  $since microtime( true ) at the phase's start.
	 * @return float Now (microtime( true )).
	 */
	public function lap( $phase, $since ) {
		$now                    = microtime( true );
		$this->clock[ $phase ] += max( 0.0, $now - $since );
		return $now;
	}

	/**
	 * The phases in milliseconds (rounded down to the microsecond) and `total`, the time since `$started` (rounded
	 * up, never below the phases' sum), as the native engine reports them (src/timing.rs).
	 *
	 * @param float $started microtime( true ) at the start of the run.
	 * @return array
	 */
	public function since( $started ) {
		$out = array();
		$sum = 0.0;
		foreach ( self::PHASES as $phase ) {
			$ms            = floor( $this->clock[ $phase ] * 1000000 ) / 1000;
			$out[ $phase ] = (float) $ms;
			$sum          += $this->clock[ $phase ];
		}
		$out['total'] = (float) ( ceil( max( microtime( true ) - $started, $sum ) * 1000000 ) / 1000 );
		return $out;
	}
}
