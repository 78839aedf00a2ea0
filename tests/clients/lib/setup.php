<?php
/**
 * What tests/clients/run.sh needs on a site, made inside it by WP-CLI:
 *
 *   wp --path=SITE eval-file tests/clients/lib/setup.php
 *
 * - the location `main-store` (taxonomy mulopimfwc_store_location; the location plugin is not installed on the test
 *   sites, so the taxonomy is registered here as tests/e2e/lib/wc-setup.php does);
 * - simple products with managed stock 5, made by WooCommerce's API: SKUs CL-1, CL-2, CL-3 (the tests of the
 *   official clients) and PROD-001, PROD-002 (the README's "Clients" examples);
 * - WooCommerce REST API keys made by WooCommerce's own code (WC_Auth::create_keys(), as the "Connect" flow makes
 *   them: ck_/cs_ strings, the consumer key stored as wc_api_hash() in {prefix}woocommerce_api_keys):
 *   rw (read_write, user admin), rw2 (read_write, admin), read (read, admin), write (write, admin), nocap (read_write,
 *   user reader, a subscriber without manage_woocommerce).
 * Prints one JSON line: {"location": ID, "products": {"CL-1": ID, ...}, "keys": {"rw": {"key_id", "ck", "cs"}, ...}}.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals

if ( ! function_exists( 'wc_get_product' ) || ! class_exists( 'WC_Auth' ) ) {
	fwrite( STDERR, "WooCommerce is not active\n" );
	exit( 2 );
}

if ( ! taxonomy_exists( 'mulopimfwc_store_location' ) ) {
	register_taxonomy( 'mulopimfwc_store_location', array( 'product' ), array( 'hierarchical' => true ) );
}
$loc = get_term_by( 'slug', 'main-store', 'mulopimfwc_store_location' );
if ( ! $loc ) {
	$made = wp_insert_term( 'Main Store', 'mulopimfwc_store_location', array( 'slug' => 'main-store' ) );
	if ( is_wp_error( $made ) ) {
		fwrite( STDERR, 'wp_insert_term: ' . $made->get_error_message() . "\n" );
		exit( 1 );
	}
	$loc = get_term( $made['term_id'], 'mulopimfwc_store_location' );
}

$products = array();
foreach ( array( 'CL-1', 'CL-2', 'CL-3', 'PROD-001', 'PROD-002' ) as $sku ) {
	$id = wc_get_product_id_by_sku( $sku );
	$p  = $id ? wc_get_product( $id ) : new WC_Product_Simple();
	$p->set_name( "Clients $sku" );
	$p->set_sku( $sku );
	$p->set_regular_price( '10' );
	$p->set_manage_stock( true );
	$p->set_stock_quantity( 5 );
	$p->save();
	$products[ $sku ] = $p->get_id();
}

/**
 * WooCommerce's own key maker (WC_Auth::create_keys() is protected: it makes the key for the current user).
 */
class Mulopimfwc_Clients_Key_Maker extends WC_Auth {
	/**
	 * A key for a user.
	 *
	 * @param string $login User login.
	 * @param string $scope read | write | read_write.
	 * @return array
	 */
	public function make( $login, $scope ) {
		$user = get_user_by( 'login', $login );
		if ( ! $user ) {
			fwrite( STDERR, "no user $login\n" );
			exit( 1 );
		}
		wp_set_current_user( $user->ID );
		$k = $this->create_keys( 'mulopimfwc clients test', $user->ID, $scope );
		wp_set_current_user( 0 );
		return array(
			'key_id' => (int) $k['key_id'],
			'ck'     => $k['consumer_key'],
			'cs'     => $k['consumer_secret'],
			'scope'  => $k['key_permissions'],
		);
	}
}
$maker = new Mulopimfwc_Clients_Key_Maker();
$keys  = array();
foreach ( array(
	'rw'    => array( 'admin', 'read_write' ),
	'rw2'   => array( 'admin', 'read_write' ),
	'read'  => array( 'admin', 'read' ),
	'write' => array( 'admin', 'write' ),
	'nocap' => array( 'reader', 'read_write' ),
) as $name => $def ) {
	$keys[ $name ] = $maker->make( $def[0], $def[1] );
}

echo wp_json_encode(
	array(
		'location' => (int) $loc->term_id,
		'products' => $products,
		'keys'     => $keys,
	)
) . "\n";
