<?php
/**
 * A stand-in for the `wp` executable, for tests only (WP-CLI cannot be installed here): loads the WP-CLI
 * stand-in (WpCliStandIn.php) and the WordPress of an e2e site, runs one registered command, prints what it
 * printed, and exits with its status, as `wp` would.
 *
 *   php [-d extension=/abs/libmulopimfwc.so] php/tests/cli/wp.php target/e2e/NAME/env mulopimfwc bulk-sync FILE|- [--dry-run] [--format=json] ...
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable

$env_file = $argv[1] ?? '';
$words    = array_slice( $argv, 2 );
if ( ! is_file( $env_file ) || count( $words ) < 2 ) {
	fwrite( STDERR, "usage: php wp.php SITE_ENV_FILE COMMAND SUBCOMMAND [ARGS...]\n" );
	exit( 2 );
}
$site = array();
foreach ( explode( "\0", (string) shell_exec( 'bash -c ' . escapeshellarg( 'set -a; . ' . escapeshellarg( $env_file ) . '; env -0' ) ) ) as $kv ) {
	if ( 0 === strpos( $kv, 'E2E_' ) ) {
		list( $k, $v ) = explode( '=', $kv, 2 );
		$site[ $k ]    = $v;
	}
}
require __DIR__ . '/WpCliStandIn.php';
$u                      = parse_url( $site['E2E_URL'] );
$_SERVER['HTTP_HOST']   = $u['host'] . ':' . $u['port'];
$_SERVER['SERVER_NAME'] = $u['host'];
$_SERVER['REQUEST_URI'] = '/';
$loaded                 = false;
register_shutdown_function(
	static function () use ( &$loaded ) {
		if ( ! $loaded ) {
			fwrite( STDERR, "Error: WordPress did not load.\n" );
			exit( 1 );
		}
	}
);
ob_start();
require $site['E2E_WP_DIR'] . '/wp-load.php';
ob_end_clean();
$loaded = true;
$r      = WP_CLI::run_command( $words );
fwrite( STDOUT, $r['stdout'] );
fwrite( STDERR, $r['stderr'] );
exit( $r['exit'] );
