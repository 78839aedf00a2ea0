<?php
/**
 * Activates WooCommerce, then the plugin, in an installed e2e site (called by install-site.php):
 *   php activate-woocommerce.php WP_DIR URL woocommerce|woocommerce+product_cache
 * A normal WordPress load (not WP_INSTALLING): WooCommerce's installer creates its tables, pages, roles and terms
 * as on a real shop. Store settings as a shop has them: stock management on, no-stock threshold 0, '.' as the
 * decimal separator, the store live (no "coming soon" mode), WooCommerce's setup wizard and tracking off.
 * With +product_cache, WooCommerce 10.5's product object cache (feature product_instance_caching) is switched on.
 * Exits non-zero on any failure.
 */

[$_, $wp_dir, $url, $mode] = $argv + array_fill( 0, 4, null );
if ( ! $wp_dir || ! $url || ! $mode ) {
	fwrite( STDERR, "usage: php activate-woocommerce.php WP_DIR URL woocommerce|woocommerce+product_cache\n" );
	exit( 2 );
}
require __DIR__ . '/script-guard.php';
e2e_script_start( $url, 'activate-woocommerce.php' );

function e2e_wc_fail( $msg ) {
	fwrite( STDERR, "activate-woocommerce.php: $msg\n" );
	exit( 1 );
}

ob_start();
require $wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
global $wpdb;

// Settings before WooCommerce installs (its installer keeps options that exist).
foreach ( array(
	'woocommerce_manage_stock'             => 'yes',
	'woocommerce_notify_no_stock_amount'   => '0',
	'woocommerce_notify_low_stock_amount'  => '2',
	'woocommerce_price_decimal_sep'        => '.',
	'woocommerce_price_thousand_sep'       => ',',
	'woocommerce_currency'                 => 'USD',
	'woocommerce_default_country'          => 'US:CA',
	'woocommerce_coming_soon'              => 'no',
	'woocommerce_store_pages_only'         => 'no',
	'woocommerce_allow_tracking'           => 'no',
	'woocommerce_show_marketplace_suggestions' => 'no',
	'woocommerce_task_list_hidden'         => 'yes',
	'woocommerce_onboarding_profile'       => array( 'skipped' => true ),
) as $k => $v ) {
	update_option( $k, $v );
}

$res = activate_plugin( 'woocommerce/woocommerce.php' );
if ( is_wp_error( $res ) ) {
	e2e_wc_fail( 'activate_plugin(woocommerce): ' . $res->get_error_message() );
}
if ( ! class_exists( 'WC_Install' ) ) {
	e2e_wc_fail( 'WooCommerce did not load (no WC_Install)' );
}
// The activation hook only flags the install on some versions; run it now so the tables exist before any request.
WC_Install::install();
if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->prefix . 'wc_product_meta_lookup' ) ) !== $wpdb->prefix . 'wc_product_meta_lookup' ) {
	e2e_wc_fail( 'WooCommerce did not create wc_product_meta_lookup: ' . $wpdb->last_error );
}
if ( ! term_exists( 'outofstock', 'product_visibility' ) ) {
	e2e_wc_fail( 'WooCommerce did not create the product_visibility terms' );
}
delete_transient( '_wc_activation_redirect' );

if ( 'woocommerce+product_cache' === $mode ) {
	update_option( 'woocommerce_feature_product_instance_caching_enabled', 'yes' );
}

$plugin = 'mulopimfwc-bulk-sync/mulopimfwc-bulk-sync.php';
// Not silent: the activation hooks run as on a real site (the idempotency table, the db-error.php drop-in).
$res = activate_plugin( $plugin );
if ( is_wp_error( $res ) ) {
	e2e_wc_fail( 'activate_plugin: ' . $res->get_error_message() );
}
$active = (array) get_option( 'active_plugins' );
foreach ( array( 'woocommerce/woocommerce.php', $plugin ) as $p ) {
	if ( ! in_array( $p, $active, true ) ) {
		e2e_wc_fail( "$p is not active after activate_plugin()" );
	}
}
ob_end_clean();
echo 'WooCommerce ', WC()->version, " active\n";
$GLOBALS['e2e_script_completed'] = true;
