<?php
/**
 * Engine choice and database settings: the one entry point REST and WP-CLI use.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs a bulk sync with the native extension when it is loaded, else with the PHP engine.
 */
class Mulopimfwc_Bulk_Sync_Engine {

	const NATIVE_DEFAULT_MAX_ITEMS = 100000;
	const PHP_DEFAULT_MAX_ITEMS    = 1000;

	/**
	 * The PHP engine (created on first use).
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine|null
	 */
	private $php_engine = null;

	/**
	 * The timings of the last run() (see last_timings()), null before one.
	 *
	 * @var array|null
	 */
	private $last_timings = null;

	/**
	 * The names of the timings, in order: the engines' phases, the plugin's follow-ons, the total.
	 */
	const TIMING_NAMES = array( 'parse', 'resolve', 'lock', 'read', 'plan', 'write', 'follow-ons', 'total' );

	/**
	 * Whether the native engine will run.
	 *
	 * @return bool
	 */
	public function uses_native() {
		/**
		 * Filters whether the pure-PHP engine runs even when the native extension is loaded.
		 *
		 * @param bool $force Default false.
		 */
		$force = (bool) apply_filters( 'mulopimfwc_force_php_engine', false );
		return ! $force && function_exists( 'mulopimfwc_bulk_sync' );
	}

	/**
	 * The name of the engine that will run.
	 *
	 * @return string 'native' or 'php'.
	 */
	public function name() {
		return $this->uses_native() ? 'native' : 'php';
	}

	/**
	 * The item limit for the engine that will run.
	 *
	 * @param bool $native Whether the native engine runs.
	 * @return int
	 */
	public function max_items( $native ) {
		$default = $native ? self::NATIVE_DEFAULT_MAX_ITEMS : self::PHP_DEFAULT_MAX_ITEMS;
		/**
		 * Filters the maximum number of items in one bulk sync request.
		 *
		 * @param int    $max    Default 100000 with the native engine, 1000 with the PHP engine.
		 * @param string $engine 'native' or 'php'.
		 */
		return (int) apply_filters( 'mulopimfwc_max_bulk_sync_items', $default, $native ? 'native' : 'php' );
	}

	/**
	 * Engine options built from WordPress's own settings.
	 *
	 * @param bool  $native Whether the native engine runs.
	 * @param array $args   Extra options (e.g. dry_run) that override the defaults.
	 * @return array
	 */
	public function options( $native, $args = array() ) {
		global $wpdb;
		$options = array(
			'db_host'      => defined( 'DB_HOST' ) ? DB_HOST : 'localhost',
			'db_user'      => defined( 'DB_USER' ) ? DB_USER : '',
			'db_password'  => defined( 'DB_PASSWORD' ) ? DB_PASSWORD : '',
			'db_name'      => defined( 'DB_NAME' ) ? DB_NAME : '',
			'db_charset'   => defined( 'DB_CHARSET' ) && DB_CHARSET ? DB_CHARSET : 'utf8mb4',
			'table_prefix' => isset( $wpdb->prefix ) ? $wpdb->prefix : 'wp_',
			'max_items'    => $this->max_items( $native ),
		);
		// `DB_HOST` = 'localhost' means PHP's default socket, as mysqli reads it.
		$socket = ini_get( 'mysqli.default_socket' );
		if ( is_string( $socket ) && '' !== $socket ) {
			$options['db_default_socket'] = $socket;
		}
		// WordPress's clock (timezone_string aware) for post_modified, as WooCommerce's save stamps it.
		if ( function_exists( 'current_time' ) ) {
			$options['now_local'] = current_time( 'mysql' );
			$options['now_gmt']   = current_time( 'mysql', true );
		}
		return array_merge( $options, is_array( $args ) ? $args : array() );
	}

	/**
	 * Run a bulk sync and what follows it: caches invalidated, WooCommerce's lookup tables and hooks, the
	 * completion action (Mulopimfwc_Bulk_Sync_Cache::after_sync()). A PHP caller gets the same follow-ons as the
	 * REST route and WP-CLI.
	 *
	 * @param string|array $payload Raw JSON body or the same structure as an array.
	 * @param array        $args    Extra engine options (`dry_run`, `primary_location`, ...).
	 * @param array        $context Plugin-level, never passed to the engines: 'source' => 'rest'|'cli'|'php'|'job'
	 *                              (default 'php'), 'fire_completed' => bool (default true; false leaves the
	 *                              `mulopimfwc_bulk_sync_completed` action to the caller, e.g. once per command),
	 *                              'after_engine' => callable( array $result ) run after the engine's commit,
	 *                              before the follow-ons.
	 * @return array|WP_Error Result array (see tests/contract/README.md) or a whole-request error. The result's
	 *                        `timings` adds `follow-ons` (after_sync()) to the engine's phases, and `total` is
	 *                        this call's (see last_timings()).
	 */
	public function run( $payload, $args = array(), $context = array() ) {
		$started            = microtime( true );
		$this->last_timings = null;
		$args               = is_array( $args ) ? $args : array();
		$context = array_merge(
			array(
				'source'         => 'php',
				'fire_completed' => true,
			),
			is_array( $context ) ? $context : array()
		);
		if ( ! isset( $args['report_meta_writes'] ) && Mulopimfwc_Bulk_Sync_Cache::wants_meta_writes() ) {
			$args['report_meta_writes'] = true;
		}
		$result = $this->run_engine( $payload, $args );
		if ( is_wp_error( $result ) || ! is_array( $result ) ) {
			// The phases that ran, when the engine says (the PHP engine does; the native one throws, so: total only).
			$engine             = ( ! $this->uses_native() && null !== $this->php_engine ) ? $this->php_engine->timings() : null;
			$this->last_timings = self::timings_of( is_array( $engine ) ? $engine : array(), null, $started );
			return $result;
		}
		if ( isset( $context['after_engine'] ) ) {
			// The caller's step between the engine's commit and the follow-ons (a job records its chunk's progress).
			if ( is_callable( $context['after_engine'] ) ) {
				call_user_func( $context['after_engine'], $result );
			}
			unset( $context['after_engine'] );
		}
		if ( ! isset( $context['items'] ) && isset( $result['results']['success'], $result['results']['failed'] ) ) {
			$context['items'] = (int) $result['results']['success'] + (int) $result['results']['failed'];
		}
		$follow_ons = microtime( true );
		Mulopimfwc_Bulk_Sync_Cache::after_sync( $result, $context );
		$follow_ons = microtime( true ) - $follow_ons;
		unset( $result['meta_writes'] );
		$this->last_timings = self::timings_of( isset( $result['timings'] ) && is_array( $result['timings'] ) ? $result['timings'] : array(), $follow_ons, $started );
		$result['timings']  = $this->last_timings;
		return $result;
	}

	/**
	 * The timings of the last run(), in milliseconds (floats), keys in TIMING_NAMES' order: the engine's phases
	 * (`parse`, `resolve`, `lock`, `read`, `plan`, `write`; tests/contract/README.md), `follow-ons` (what the plugin
	 * does after the engine: Mulopimfwc_Bulk_Sync_Cache::after_sync()) and `total` (the whole run() call). After a
	 * whole-request error only what ran: the PHP engine's phases, no follow-ons, the total. Null before any run.
	 *
	 * @return array|null
	 */
	public function last_timings() {
		return $this->last_timings;
	}

	/**
	 * The engine's timings plus the follow-ons and this call's total.
	 *
	 * @param array      $engine     The engine's `timings` (milliseconds).
	 * @param float|null $follow_ons Seconds of the follow-ons, null when none ran.
	 * @param float      $started    microtime( true ) when run() started.
	 * @return array
	 */
	private static function timings_of( array $engine, $follow_ons, $started ) {
		$out = array();
		$sum = 0.0;
		foreach ( self::TIMING_NAMES as $name ) {
			if ( 'total' !== $name && 'follow-ons' !== $name && isset( $engine[ $name ] ) && is_numeric( $engine[ $name ] ) ) {
				$out[ $name ] = max( 0.0, (float) $engine[ $name ] );
				$sum         += $out[ $name ];
			}
		}
		if ( null !== $follow_ons ) {
			$out['follow-ons'] = floor( max( 0.0, $follow_ons ) * 1000000 ) / 1000;
			$sum              += $out['follow-ons'];
		}
		$out['total'] = max( $sum, ceil( ( microtime( true ) - $started ) * 1000000 ) / 1000 );
		return $out;
	}

	/**
	 * Timings as a `Server-Timing` header value: `parse;dur=1.234, resolve;dur=0.567, ..., total;dur=12.345`
	 * (RFC 8673 / W3C Server Timing: `name;dur=milliseconds`, names in TIMING_NAMES' order).
	 *
	 * @param array $timings Milliseconds by name.
	 * @return string
	 */
	public static function server_timing( array $timings ) {
		$parts = array();
		foreach ( self::TIMING_NAMES as $name ) {
			if ( isset( $timings[ $name ] ) && is_numeric( $timings[ $name ] ) ) {
				$parts[] = $name . ';dur=' . sprintf( '%.3F', max( 0.0, (float) $timings[ $name ] ) );
			}
		}
		return implode( ', ', $parts );
	}

	/**
	 * Add up timings (e.g. over the chunks of a WP-CLI run): each name's milliseconds summed.
	 *
	 * @param array $sum     Timings so far.
	 * @param array $timings Timings to add.
	 * @return array
	 */
	public static function add_timings( array $sum, array $timings ) {
		foreach ( self::TIMING_NAMES as $name ) {
			if ( isset( $timings[ $name ] ) && is_numeric( $timings[ $name ] ) ) {
				$sum[ $name ] = ( isset( $sum[ $name ] ) ? $sum[ $name ] : 0.0 ) + (float) $timings[ $name ];
			}
		}
		$ordered = array();
		foreach ( self::TIMING_NAMES as $name ) {
			if ( isset( $sum[ $name ] ) ) {
				$ordered[ $name ] = $sum[ $name ];
			}
		}
		return $ordered;
	}

	/**
	 * Run the engine alone (no follow-ons).
	 *
	 * @param string|array $payload Body.
	 * @param array        $args    Extra engine options.
	 * @return array|WP_Error
	 */
	private function run_engine( $payload, $args ) {
		$native  = $this->uses_native();
		$options = $this->options( $native, $args );

		if ( $native ) {
			try {
				$result = mulopimfwc_bulk_sync( $payload, $options );
			} catch ( Exception $e ) {
				return self::exception_to_error( $e );
			} catch ( Error $e ) {
				return new WP_Error(
					'mulopimfwc_engine_error',
					__( 'The bulk sync engine failed; nothing was changed.', 'mulopimfwc-bulk-sync' ),
					array( 'status' => 500 )
				);
			}
			if ( ! is_array( $result ) ) {
				return new WP_Error(
					'mulopimfwc_engine_error',
					__( 'The bulk sync engine returned no result.', 'mulopimfwc-bulk-sync' ),
					array( 'status' => 500 )
				);
			}
			if ( ! isset( $result['engine'] ) ) {
				$result['engine'] = 'native';
			}
			return $result;
		}

		if ( null === $this->php_engine ) {
			$this->php_engine = new Mulopimfwc_Bulk_Sync_PHP_Engine();
		}
		return $this->php_engine->run( $payload, $options );
	}

	/**
	 * Whether the native export will run (the extension is loaded, has `mulopimfwc_export()`, and the PHP engine
	 * is not forced).
	 *
	 * @return bool
	 */
	public function uses_native_export() {
		return $this->uses_native() && function_exists( 'mulopimfwc_export' );
	}

	/**
	 * The name of the engine that answers exports.
	 *
	 * @return string 'native' or 'php'.
	 */
	public function export_engine_name() {
		return $this->uses_native_export() ? 'native' : 'php';
	}

	/**
	 * One page of the inventory export (tests/contract/README.md, "Export").
	 *
	 * @param array $params `location_id` (optional), `page` (from 1), `per_page` (1..10000).
	 * @return array|WP_Error ['success' => true, 'count', 'total', 'page', 'per_page', 'data' => rows].
	 */
	public function export( $params = array() ) {
		$params = is_array( $params ) ? $params : array();
		if ( $this->uses_native_export() ) {
			try {
				$result = mulopimfwc_export( $this->options( true ), $params );
			} catch ( Exception $e ) {
				return self::exception_to_error( $e );
			} catch ( Error $e ) {
				return new WP_Error( 'mulopimfwc_engine_error', __( 'The export engine failed.', 'mulopimfwc-bulk-sync' ), array( 'status' => 500 ) );
			}
			if ( ! is_array( $result ) || ! isset( $result['data'] ) || ! is_array( $result['data'] ) ) {
				return new WP_Error( 'mulopimfwc_engine_error', __( 'The export engine returned no result.', 'mulopimfwc-bulk-sync' ), array( 'status' => 500 ) );
			}
			return $result;
		}
		try {
			$export = new Mulopimfwc_Bulk_Sync_Export();
			return $export->export( $this->options( false ), $params );
		} catch ( RuntimeException $e ) {
			return new WP_Error(
				'mulopimfwc_db_error',
				__( 'The database could not complete the export. Please try again.', 'mulopimfwc-bulk-sync' ),
				array( 'status' => 503 )
			);
		}
	}

	/**
	 * Map an exception from the native extension to a WP_Error.
	 *
	 * @param Exception $e Exception.
	 * @return WP_Error
	 */
	public static function exception_to_error( $e ) {
		$class = get_class( $e );
		if ( 'Mulopimfwc\\TooManyItemsException' === $class || is_a( $e, 'Mulopimfwc\\TooManyItemsException' ) ) {
			return new WP_Error( 'too_many_items', $e->getMessage(), array( 'status' => 400 ) );
		}
		if ( is_a( $e, 'Mulopimfwc\\InvalidDataException' ) ) {
			return new WP_Error( 'invalid_data', $e->getMessage(), array( 'status' => 400 ) );
		}
		$codes = array(
			'Mulopimfwc\\InvalidOptionsException'     => array( 'invalid_options', 400 ),
			'Mulopimfwc\\JobChunkMissingException'    => array( 'job_chunk_missing', 404 ),
			'Mulopimfwc\\JobChunkNotPendingException' => array( 'job_chunk_not_pending', 409 ),
		);
		foreach ( $codes as $exception => $code ) {
			if ( is_a( $e, $exception ) ) {
				return new WP_Error( $code[0], $e->getMessage(), array( 'status' => $code[1] ) );
			}
		}
		if ( is_a( $e, 'Mulopimfwc\\DatabaseException' ) ) {
			// Our own message: whatever the driver said may name a host or user.
			return new WP_Error(
				'mulopimfwc_db_error',
				__( 'The database could not complete the bulk sync; nothing was changed. Please try again.', 'mulopimfwc-bulk-sync' ),
				array( 'status' => 503 )
			);
		}
		if ( is_a( $e, 'Mulopimfwc\\BulkSyncException' ) ) {
			$status = (int) $e->getCode();
			return new WP_Error(
				'mulopimfwc_error',
				$e->getMessage(),
				array( 'status' => $status >= 400 && $status < 600 ? $status : 500 )
			);
		}
		return new WP_Error(
			'mulopimfwc_engine_error',
			__( 'The bulk sync engine failed; nothing was changed.', 'mulopimfwc-bulk-sync' ),
			array( 'status' => 500 )
		);
	}
}
