<?php
/**
 * Plugin Name: mulopimfwc reliability pause (TEST SITES ONLY)
 * Description: Copied into wp-content/mu-plugins of the reliability suite's "down" site by tests/reliability/run.sh.
 * A request with header `X-Rel-Pause: TOKEN` waits in `rest_pre_dispatch` (WordPress has connected to the
 * database and loaded its options; the plugin's callback has not run yet) for as long as the file
 * tmp/rel-hold-TOKEN exists in the site dir (at most 30 s), after creating tmp/rel-paused-TOKEN. The test
 * stops MariaDB in that window, so the engine meets a database that went away after WordPress connected.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

add_filter(
	'rest_pre_dispatch',
	static function ( $result, $server, $request ) {
		$token = $request->get_header( 'x_rel_pause' );
		if ( ! is_string( $token ) || ! preg_match( '/^[a-z0-9]{6,40}$/', $token ) ) {
			return $result;
		}
		$hold = ABSPATH . 'tmp/rel-hold-' . $token;
		if ( ! file_exists( $hold ) ) {
			return $result;
		}
		touch( ABSPATH . 'tmp/rel-paused-' . $token );
		$t0 = microtime( true );
		while ( file_exists( $hold ) && microtime( true ) - $t0 < 30 ) {
			usleep( 20000 );
			clearstatcache();
		}
		return $result;
	},
	10,
	3
);
