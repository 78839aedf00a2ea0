<?php
/**
 * Loaded into a wp process by the tests with `wp --require=THIS_FILE ...`: appends every
 * `mulopimfwc_bulk_sync_completed` action (its $result and $info) as one JSON line to the file named by the
 * environment variable MULOPIMFWC_CLI_HOOK_LOG.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable

WP_CLI::add_wp_hook(
	'mulopimfwc_bulk_sync_completed',
	static function ( $result, $info = null ) {
		$log = getenv( 'MULOPIMFWC_CLI_HOOK_LOG' );
		if ( $log ) {
			file_put_contents( $log, json_encode( array( 'result' => $result, 'info' => $info ) ) . "\n", FILE_APPEND );
		}
	},
	10,
	2
);
