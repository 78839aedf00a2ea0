<?php
/**
 * Installs WordPress into an e2e site dir (called by tests/e2e/lib/site.sh start):
 *   php install-site.php WP_DIR URL API_KEY REPO [WOOCOMMERCE]
 * wp_install(), pretty permalinks, users with application passwords, the API key; then
 * - WOOCOMMERCE none (default): WooCommerce's wc_product_meta_lookup table and the product_type /
 *   product_visibility terms made by hand (WooCommerce is not there), and the plugin activated;
 * - WOOCOMMERCE woocommerce[+product_cache]: tests/e2e/lib/activate-woocommerce.php in a second process (a normal
 *   WordPress load, which WooCommerce's installer needs) activates WooCommerce, which creates its own tables and
 *   terms, then the plugin (it requires WooCommerce).
 * Prints KEY=VALUE lines (ADMIN_APP_PASSWORD, SHOP_APP_PASSWORD, NOCAP_APP_PASSWORD); exits non-zero on any
 * failure (WordPress prints an error page and exits 0 when it cannot load: that is turned into a failure).
 */

[$_, $wp_dir, $url, $api_key, $repo, $woocommerce] = $argv + array_fill( 0, 6, null );
$woocommerce = $woocommerce ? $woocommerce : 'none';
if ( ! $wp_dir || ! $url || ! $api_key || ! $repo ) {
	fwrite( STDERR, "usage: php install-site.php WP_DIR URL API_KEY REPO\n" );
	exit( 2 );
}
require __DIR__ . '/script-guard.php';
e2e_script_start( $url, 'install-site.php' );

define( 'WP_INSTALLING', true );
ob_start();
require $wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/user.php';

function e2e_fail( $msg ) {
	fwrite( STDERR, "install-site.php: $msg\n" );
	exit( 1 );
}

$admin_password = wp_generate_password( 24, false );
$r              = wp_install( 'mulopimfwc e2e', 'admin', 'admin@example.com', false, '', wp_slash( $admin_password ), 'en_US' );
if ( empty( $r['user_id'] ) ) {
	e2e_fail( 'wp_install() failed' );
}
$install_output = ob_get_clean();

global $wp_rewrite, $wpdb;
update_option( 'permalink_structure', '/%postname%/' );
$wp_rewrite->set_permalink_structure( '/%postname%/' );
// The REST API's rewrite rules are added on init; add them now so that the flushed rules hold them.
rest_api_register_rewrites();
$wp_rewrite->flush_rules( false );

// Roles: WooCommerce gives administrators and shop managers manage_woocommerce.
get_role( 'administrator' )->add_cap( 'manage_woocommerce' );
if ( ! get_role( 'shop_manager' ) ) {
	add_role( 'shop_manager', 'Shop manager', array( 'read' => true, 'manage_woocommerce' => true ) );
}

$users = array(
	'ADMIN' => (int) $r['user_id'],
	'SHOP'  => wp_insert_user( array( 'user_login' => 'shopmgr', 'user_pass' => wp_generate_password( 24 ), 'user_email' => 'shopmgr@example.com', 'role' => 'shop_manager' ) ),
	'NOCAP' => wp_insert_user( array( 'user_login' => 'reader', 'user_pass' => wp_generate_password( 24 ), 'user_email' => 'reader@example.com', 'role' => 'subscriber' ) ),
);
$lines = array();
foreach ( $users as $k => $uid ) {
	if ( is_wp_error( $uid ) ) {
		e2e_fail( "user $k: " . $uid->get_error_message() );
	}
	$created = WP_Application_Passwords::create_new_application_password( $uid, array( 'name' => 'e2e' ) );
	if ( is_wp_error( $created ) ) {
		e2e_fail( "application password for $k: " . $created->get_error_message() );
	}
	$lines[] = $k . '_APP_PASSWORD=' . $created[0];
}

update_option( 'mulopimfwc_api_key', $api_key );
update_option( 'woocommerce_manage_stock', 'yes' );
update_option( 'woocommerce_notify_no_stock_amount', '0' );
update_option( 'woocommerce_price_decimal_sep', '.' );

if ( 'none' !== $woocommerce ) {
	// WooCommerce and the plugin are activated by a normal WordPress load (WooCommerce's installer needs one).
	$cmd = array( PHP_BINARY, __DIR__ . '/activate-woocommerce.php', $wp_dir, $url, $woocommerce );
	$p   = proc_open( $cmd, array( 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ), $pipes );
	$out = stream_get_contents( $pipes[1] ) . stream_get_contents( $pipes[2] );
	if ( 0 !== proc_close( $p ) ) {
		e2e_fail( "activate-woocommerce.php failed:\n" . $out );
	}
	foreach ( $lines as $l ) {
		echo $l, "\n";
	}
	$GLOBALS['e2e_script_completed'] = true;
	exit( 0 );
}

// WooCommerce's lookup table (and the other tables of the contract schema that WordPress already has: no-ops).
require_once $repo . '/tests/php/lib/ContractStore.php';
$schema = (string) file_get_contents( $repo . '/tests/sql/schema.sql' );
if ( ! preg_match( '/CREATE TABLE IF NOT EXISTS `\{prefix\}wc_product_meta_lookup`.*?;\s*$/ms', $schema, $m ) ) {
	e2e_fail( 'wc_product_meta_lookup not found in tests/sql/schema.sql' );
}
$wpdb->query( str_replace( '{prefix}', $wpdb->prefix, $m[0] ) );
if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->prefix . 'wc_product_meta_lookup' ) ) !== $wpdb->prefix . 'wc_product_meta_lookup' ) {
	e2e_fail( 'could not create wc_product_meta_lookup: ' . $wpdb->last_error );
}

// WooCommerce's terms (the taxonomies are registered only for this script: WooCommerce is not loaded).
register_taxonomy( 'product_type', 'product', array( 'public' => false ) );
register_taxonomy( 'product_visibility', array( 'product', 'product_variation' ), array( 'public' => false ) );
foreach ( array(
	'product_type'       => array( 'simple', 'grouped', 'variable', 'external' ),
	'product_visibility' => array( 'exclude-from-search', 'exclude-from-catalog', 'featured', 'outofstock', 'rated-1', 'rated-2', 'rated-3', 'rated-4', 'rated-5' ),
) as $tax => $slugs ) {
	foreach ( $slugs as $slug ) {
		if ( ! term_exists( $slug, $tax ) ) {
			$t = wp_insert_term( $slug, $tax, array( 'slug' => $slug ) );
			if ( is_wp_error( $t ) ) {
				e2e_fail( "term $tax:$slug: " . $t->get_error_message() );
			}
		}
	}
}

$plugin = 'mulopimfwc-bulk-sync/mulopimfwc-bulk-sync.php';
// Not silent: the activation hooks run as on a real site (the idempotency table, the db-error.php drop-in).
$res    = activate_plugin( $plugin );
if ( is_wp_error( $res ) ) {
	e2e_fail( 'activate_plugin: ' . $res->get_error_message() );
}
if ( ! in_array( $plugin, (array) get_option( 'active_plugins' ), true ) ) {
	e2e_fail( 'the plugin is not active after activate_plugin()' );
}

foreach ( $lines as $l ) {
	echo $l, "\n";
}
$GLOBALS['e2e_script_completed'] = true;
