<?php
/**
 * Bootstrap of the WP-CLI command tests (php/tests/cli/phpunit.xml). The tests run the REAL WP-CLI of an e2e
 * site (its env's E2E_WP_CLI, `wp --path=SITE mulopimfwc ...`) as separate processes; this process loads the same
 * site's WordPress (WooCommerce active; WP_CLI is NOT defined here) to make products through WooCommerce's API and
 * to read back what WooCommerce reports. DbErrorDropinTest and IdempotencyStoreTest run inside this WordPress.
 *
 * Environment:
 *   MULOPIMFWC_E2E_SITE_ENV  the site's env file (target/e2e/NAME/env, tests/e2e/lib/site.sh start NAME --stack S)
 *   MULOPIMFWC_CLI_ENGINE    native | php: the engine of the wp processes (native: PHP_ARGS="-d extension=$EXT",
 *                            MULOPIMFWC_EXT or target/release/libmulopimfwc.so; php: no extension)
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

$mulopimfwc_engine = (string) getenv( 'MULOPIMFWC_CLI_ENGINE' );
if ( ! in_array( $mulopimfwc_engine, array( 'native', 'php' ), true ) ) {
	fwrite( STDERR, "MULOPIMFWC_CLI_ENGINE must be native or php (the engine of the wp processes)\n" );
	exit( 1 );
}
if ( 'native' === $mulopimfwc_engine ) {
	$mulopimfwc_ext = getenv( 'MULOPIMFWC_EXT' ) ?: dirname( __DIR__, 3 ) . '/target/release/libmulopimfwc.so';
	if ( ! is_file( $mulopimfwc_ext ) ) {
		fwrite( STDERR, "MULOPIMFWC_CLI_ENGINE=native but the extension $mulopimfwc_ext is missing (./build.sh build)\n" );
		exit( 1 );
	}
}
$GLOBALS['mulopimfwc_cli_engine'] = $mulopimfwc_engine;
if ( defined( 'WP_CLI' ) ) {
	fwrite( STDERR, "WP_CLI is defined in the test process: run phpunit, not wp\n" );
	exit( 1 );
}

// WordPress's files expect their globals at file scope; PHPUnit includes this file from a method.
global $wpdb, $table_prefix, $wp, $wp_query, $wp_the_query, $wp_rewrite, $wp_roles, $wp_locale, $wp_embed,
	$wp_filter, $wp_actions, $wp_current_filter, $wp_version, $wp_db_version, $wp_plugin_paths, $wp_post_types,
	$wp_taxonomies, $wp_theme_directories, $shortcode_tags, $wp_textdomain_registry, $l10n, $l10n_unloaded,
	$wp_widget_factory, $wp_object_cache, $current_user, $pagenow, $allowedposttags, $allowedtags, $wp_scripts,
	$wp_styles, $wp_meta_keys, $wp_registered_sidebars, $wp_registered_widgets, $wp_sitemaps, $wp_user_roles;

require_once dirname( __DIR__, 3 ) . '/tests/lib/php/wordpress.php'; // also the products CliTestCase makes
mulopimfwc_test_request_vars( $mulopimfwc_site['E2E_URL'] );
$_SERVER['REQUEST_METHOD'] = 'GET';
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
if ( ! function_exists( 'mulopimfwc_bulk_sync_engine' ) ) {
	fwrite( STDERR, "WordPress loaded but the plugin did not:\n" . $mulopimfwc_boot_output . "\n" );
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

// The location plugin is not installed on test sites: its taxonomy, as it registers it, for the fixtures.
if ( ! taxonomy_exists( 'mulopimfwc_store_location' ) ) {
	register_taxonomy( 'mulopimfwc_store_location', array( 'product' ), array( 'public' => false, 'hierarchical' => true ) );
}
require_once __DIR__ . '/CliTestCase.php';
