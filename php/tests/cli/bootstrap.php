<?php
/**
 * Bootstrap of the WP-CLI command tests (php/tests/cli/phpunit.xml): a real WordPress, loaded through the
 * wp-load.php of an e2e site (tests/e2e/lib/site.sh), with the WP-CLI stand-in (WpCliStandIn.php: WP-CLI itself
 * cannot be installed here) defined first, so the plugin registers its command as under WP-CLI.
 *
 * Environment:
 *   MULOPIMFWC_E2E_SITE_ENV  the site's env file (target/e2e/NAME/env), required
 *   MULOPIMFWC_CLI_ENGINE    native | php: which engine this run must see (native: the extension must be
 *                            loaded, `php -d extension=/abs/libmulopimfwc.so /usr/bin/phpunit -c ...`;
 *                            php: it must not be)
 *
 * The tests seed the site's database with the contract suite's ContractStore ('existing' mode): do not run
 * them at the same time as other tests of the same site.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable

$mulopimfwc_env_file = getenv( 'MULOPIMFWC_E2E_SITE_ENV' );
if ( ! $mulopimfwc_env_file || ! is_file( $mulopimfwc_env_file ) ) {
	fwrite( STDERR, "MULOPIMFWC_E2E_SITE_ENV must name an e2e site's env file (tests/e2e/lib/site.sh start NAME; target/e2e/NAME/env).\n" );
	exit( 1 );
}
$mulopimfwc_site = array();
foreach ( explode( "\0", (string) shell_exec( 'bash -c ' . escapeshellarg( 'set -a; . ' . escapeshellarg( $mulopimfwc_env_file ) . '; env -0' ) ) ) as $kv ) {
	if ( 0 === strpos( $kv, 'E2E_' ) ) {
		list( $k, $v )            = explode( '=', $kv, 2 );
		$mulopimfwc_site[ $k ] = $v;
	}
}
if ( empty( $mulopimfwc_site['E2E_WP_DIR'] ) || ! is_file( $mulopimfwc_site['E2E_WP_DIR'] . '/wp-load.php' ) ) {
	fwrite( STDERR, "$mulopimfwc_env_file: no E2E_WP_DIR with a wp-load.php\n" );
	exit( 1 );
}
$GLOBALS['mulopimfwc_cli_site'] = $mulopimfwc_site;

$mulopimfwc_engine = getenv( 'MULOPIMFWC_CLI_ENGINE' ) ?: ( extension_loaded( 'mulopimfwc' ) ? 'native' : 'php' );
if ( 'native' === $mulopimfwc_engine && ! extension_loaded( 'mulopimfwc' ) ) {
	fwrite( STDERR, "MULOPIMFWC_CLI_ENGINE=native but the extension is not loaded: php -d extension=/abs/libmulopimfwc.so /usr/bin/phpunit -c php/tests/cli/phpunit.xml\n" );
	exit( 1 );
}
if ( 'php' === $mulopimfwc_engine && extension_loaded( 'mulopimfwc' ) ) {
	fwrite( STDERR, "MULOPIMFWC_CLI_ENGINE=php but the extension is loaded (php.ini?)\n" );
	exit( 1 );
}
$GLOBALS['mulopimfwc_cli_engine'] = $mulopimfwc_engine;

require __DIR__ . '/WpCliStandIn.php';

// WordPress's files expect their globals at file scope; PHPUnit includes this file from a method.
global $wpdb, $table_prefix, $wp, $wp_query, $wp_the_query, $wp_rewrite, $wp_roles, $wp_locale, $wp_embed,
	$wp_filter, $wp_actions, $wp_current_filter, $wp_version, $wp_db_version, $wp_plugin_paths, $wp_post_types,
	$wp_taxonomies, $wp_theme_directories, $shortcode_tags, $wp_textdomain_registry, $l10n, $l10n_unloaded,
	$wp_widget_factory, $wp_object_cache, $current_user, $pagenow, $allowedposttags, $allowedtags, $wp_scripts,
	$wp_styles, $wp_meta_keys, $wp_registered_sidebars, $wp_registered_widgets, $wp_sitemaps, $wp_user_roles;

$mulopimfwc_url                     = parse_url( $mulopimfwc_site['E2E_URL'] );
$_SERVER['HTTP_HOST']               = $mulopimfwc_url['host'] . ':' . $mulopimfwc_url['port'];
$_SERVER['SERVER_NAME']             = $mulopimfwc_url['host'];
$_SERVER['REQUEST_URI']             = '/';
$_SERVER['SERVER_PORT']             = (string) $mulopimfwc_url['port'];
$_SERVER['REQUEST_METHOD']          = 'GET';
ob_start();
$mulopimfwc_loaded = false;
register_shutdown_function(
	static function () use ( &$mulopimfwc_loaded ) {
		if ( ! $mulopimfwc_loaded ) {
			$out = ob_get_level() ? (string) ob_get_clean() : '';
			fwrite( STDERR, "WordPress did not load (it exits 0 after printing an error page):\n" . strip_tags( $out ) . "\n" );
			exit( 1 );
		}
	}
);
require $mulopimfwc_site['E2E_WP_DIR'] . '/wp-load.php';
$mulopimfwc_boot_output = (string) ob_get_clean();
if ( ! function_exists( 'mulopimfwc_bulk_sync_engine' ) || ! class_exists( 'Mulopimfwc_Bulk_Sync_CLI_Command', false ) ) {
	fwrite( STDERR, "WordPress loaded but the plugin (or its WP-CLI command) did not:\n" . $mulopimfwc_boot_output . "\n" );
	exit( 1 );
}
$mulopimfwc_loaded = true;
mysqli_report( MYSQLI_REPORT_OFF );

// Errors: everything is an exception, except the deprecations WordPress 6.1 itself raises on PHP 8.2.
$mulopimfwc_plugin_dir = realpath( dirname( __DIR__, 2 ) );
set_error_handler(
	static function ( $no, $msg, $file = '', $line = 0 ) use ( $mulopimfwc_plugin_dir ) {
		if ( ! ( error_reporting() & $no ) ) {
			return false;
		}
		$ours = 0 === strpos( (string) realpath( $file ), $mulopimfwc_plugin_dir ) || false !== strpos( $file, 'mulopimfwc' );
		if ( in_array( $no, array( E_DEPRECATED, E_USER_DEPRECATED ), true ) && ! $ours ) {
			return true;
		}
		throw new ErrorException( $msg, 0, $no, $file, $line );
	}
);

require_once dirname( __DIR__, 3 ) . '/tests/php/lib/ContractStore.php';
