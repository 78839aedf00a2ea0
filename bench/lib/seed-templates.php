<?php
/**
 * The benchmark store's template products, made by WooCommerce's own API inside the bench site's WordPress
 * (bench/lib/seed.php then clones their rows in bulk, so that every product of the store has exactly the rows
 * WooCommerce writes: meta as WooCommerce formats it, the lookup row, the product_type and product_visibility
 * terms, the attributes lookup rows).
 *
 *   php bench/lib/seed-templates.php WP_DIR URL
 *
 * Makes: a simple product in stock, a simple product out of stock (stock 0: WooCommerce's `outofstock` status
 * and visibility term), and a variable product with a global attribute `pa_size` and one variation per size,
 * each variation managing its own stock. Prints one JSON line: the ids, the attribute's taxonomy and term ids,
 * WooCommerce's version. Exits non-zero when WooCommerce is not active.
 */

[$_, $wp_dir, $url] = $argv + array_fill( 0, 3, null );
if ( ! $wp_dir || ! $url ) {
	fwrite( STDERR, "usage: php bench/lib/seed-templates.php WP_DIR URL\n" );
	exit( 2 );
}
require dirname( __DIR__, 2 ) . '/tests/lib/php/wordpress.php';
mulopimfwc_test_request_vars( $url );
define( 'WP_USE_THEMES', false );
require rtrim( $wp_dir, '/' ) . '/wp-load.php';
error_reporting( E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED );

/**
 * Ends with a message.
 *
 * @param string $m Message.
 */
function bench_tpl_fail( $m ) {
	fwrite( STDERR, "seed-templates.php: $m\n" );
	exit( 1 );
}

if ( ! class_exists( 'WooCommerce' ) ) {
	bench_tpl_fail( 'WooCommerce is not active on this site' );
}

// WooCommerce updates its attributes lookup table from a product save directly (instead of through Action
// Scheduler, which needs WP-Cron: off on these sites).
update_option( 'woocommerce_attribute_lookup_direct_updates', 'yes' );
update_option( 'woocommerce_attribute_lookup_enabled', 'yes' );

// A global attribute "Size" with five terms.
$sizes = array( 'XS', 'S', 'M', 'L', 'XL' );
$tax   = wc_attribute_taxonomy_name( 'size' );
if ( ! wc_attribute_taxonomy_id_by_name( 'size' ) ) {
	$aid = wc_create_attribute(
		array(
			'name'         => 'Size',
			'slug'         => 'size',
			'type'         => 'select',
			'order_by'     => 'menu_order',
			'has_archives' => false,
		)
	);
	if ( is_wp_error( $aid ) ) {
		bench_tpl_fail( 'wc_create_attribute: ' . $aid->get_error_message() );
	}
}
if ( ! taxonomy_exists( $tax ) ) {
	register_taxonomy( $tax, array( 'product' ), array( 'hierarchical' => false, 'public' => false ) );
}
$term_ids = array();
foreach ( $sizes as $s ) {
	$t = term_exists( $s, $tax );
	if ( ! $t ) {
		$t = wp_insert_term( $s, $tax, array( 'slug' => strtolower( $s ) ) );
	}
	if ( is_wp_error( $t ) ) {
		bench_tpl_fail( "term $s: " . $t->get_error_message() );
	}
	$term_ids[ strtolower( $s ) ] = (int) $t['term_id'];
}

$run = substr( md5( uniqid( '', true ) ), 0, 6 ); // templates of an earlier, unfinished seed keep their SKUs
$out = array(
	'woocommerce'    => WC()->version,
	'attribute_tax'  => $tax,
	'attribute_terms' => $term_ids,
);
foreach ( array(
	'simple'     => 5,
	'simple_out' => 0,
) as $key => $stock ) {
	$p = new WC_Product_Simple();
	$p->set_name( "Bench template $key" );
	$id = mulopimfwc_test_save_stocked( $p, "BENCH-TPL-$run-$key", '19.99', $stock );
	if ( ! $id ) {
		bench_tpl_fail( "WooCommerce did not save the $key template" );
	}
	// The stock as WooCommerce writes it after a stock change (wc_update_product_stock(): `_stock` = '5.000000').
	wc_update_product_stock( wc_get_product( $id ), $stock, 'set' );
	$out[ $key ] = (int) $id;
}

$attr   = mulopimfwc_test_variation_attribute( $tax, array_values( $term_ids ), wc_attribute_taxonomy_id_by_name( 'size' ) );
$parent = mulopimfwc_test_save_variable( 'Bench template variable', "BENCH-TPL-$run-variable", $attr );
if ( ! $parent ) {
	bench_tpl_fail( 'WooCommerce did not save the variable template' );
}
$out['variable']   = (int) $parent;
$out['variations'] = array();
foreach ( $term_ids as $slug => $tid ) {
	$v = new WC_Product_Variation();
	$v->set_parent_id( $parent );
	$v->set_attributes( array( $tax => $slug ) );
	$vid = mulopimfwc_test_save_stocked( $v, "BENCH-TPL-$run-variable-$slug", '24.99', 7 );
	if ( ! $vid ) {
		bench_tpl_fail( "WooCommerce did not save the variation $slug" );
	}
	wc_update_product_stock( wc_get_product( $vid ), 7, 'set' );
	$out['variations'][ $slug ] = (int) $vid;
}
WC_Product_Variable::sync( $parent );
wc_delete_product_transients( $parent );
echo wp_json_encode( $out ), "\n";
