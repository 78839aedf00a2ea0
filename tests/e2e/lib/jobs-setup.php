<?php
/**
 * The store of tests/e2e/jobs-tests.php, made by WooCommerce's own API (run inside the site by WP-CLI):
 *
 *   wp --path=SITE eval-file tests/e2e/lib/jobs-setup.php SIMPLE VARIABLE VARIATIONS LOCATIONS
 *
 * LOCATIONS terms of mulopimfwc_store_location (slugs job-loc-01...), SIMPLE simple products (SKU JOB-S-0001...,
 * stock managed, stock 0-19, every 7th with backorders 'notify') and VARIABLE variable products (SKU JOB-V-001...)
 * of VARIATIONS variations each (JOB-V-001-1..., each managing its own stock). Saved in one transaction, term
 * counts deferred.
 * Prints one JSON line: {"locations": {"slug": term id}, "products": [{"id", "sku", "type", "parent"}]} (variations
 * after their parent).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals

if ( ! function_exists( 'wc_get_product' ) ) {
	fwrite( STDERR, "WooCommerce is not active\n" );
	exit( 2 );
}
require_once dirname( __DIR__, 2 ) . '/lib/php/wordpress.php';

list( $n_simple, $n_variable, $n_variations, $n_locations ) = array_map( 'intval', array_pad( (array) $args, 4, 0 ) );

if ( ! taxonomy_exists( 'mulopimfwc_store_location' ) ) {
	register_taxonomy( 'mulopimfwc_store_location', array( 'product' ), array( 'hierarchical' => true ) );
}
$locations = array();
for ( $i = 1; $i <= $n_locations; $i++ ) {
	$slug = sprintf( 'job-loc-%02d', $i );
	$term = get_term_by( 'slug', $slug, 'mulopimfwc_store_location' );
	if ( ! $term ) {
		$made = wp_insert_term( sprintf( 'Job Location %02d', $i ), 'mulopimfwc_store_location', array( 'slug' => $slug ) );
		if ( is_wp_error( $made ) ) {
			fwrite( STDERR, 'wp_insert_term: ' . $made->get_error_message() . "\n" );
			exit( 1 );
		}
		$term = get_term( $made['term_id'], 'mulopimfwc_store_location' );
	}
	$locations[ $slug ] = (int) $term->term_id;
}

// One transaction: each autocommitted statement would wait for its own log flush (~100 ms a product).
global $wpdb;
$wpdb->query( 'START TRANSACTION' );
wp_defer_term_counting( true );
$products = array();
for ( $i = 1; $i <= $n_simple; $i++ ) {
	$p = new WC_Product_Simple();
	$p->set_name( sprintf( 'Job simple %04d', $i ) );
	$sku = sprintf( 'JOB-S-%04d', $i );
	$id  = mulopimfwc_test_save_stocked( $p, $sku, '10.00', $i % 20, 0 === $i % 7 ? 'notify' : 'no' );
	if ( ! $id ) {
		fwrite( STDERR, "could not save $sku\n" );
		exit( 1 );
	}
	$products[] = array( 'id' => $id, 'sku' => $sku, 'type' => 'simple', 'parent' => 0 );
}
for ( $v = 1; $v <= $n_variable; $v++ ) {
	$options = array();
	for ( $k = 1; $k <= $n_variations; $k++ ) {
		$options[] = "O$k";
	}
	$sku    = sprintf( 'JOB-V-%03d', $v );
	$parent = mulopimfwc_test_save_variable( sprintf( 'Job variable %03d', $v ), $sku, mulopimfwc_test_variation_attribute( 'Option', $options ) );
	if ( ! $parent ) {
		fwrite( STDERR, "could not save $sku\n" );
		exit( 1 );
	}
	$products[] = array( 'id' => $parent, 'sku' => $sku, 'type' => 'variable', 'parent' => 0 );
	for ( $k = 1; $k <= $n_variations; $k++ ) {
		$var = new WC_Product_Variation();
		$var->set_parent_id( $parent );
		$var->set_attributes( array( 'option' => "O$k" ) );
		$vsku = "$sku-$k";
		// Some variations start out of stock, so that a parent's status has somewhere to go.
		$id = mulopimfwc_test_save_stocked( $var, $vsku, '12.00', ( $v + $k ) % 3 ? 5 + $k : 0 );
		if ( ! $id ) {
			fwrite( STDERR, "could not save $vsku\n" );
			exit( 1 );
		}
		$products[] = array( 'id' => $id, 'sku' => $vsku, 'type' => 'variation', 'parent' => $parent );
	}
	WC_Product_Variable::sync( $parent );
}
wp_defer_term_counting( false );
$wpdb->query( 'COMMIT' );

echo wp_json_encode(
	array(
		'locations' => $locations,
		'products'  => $products,
	)
), "\n";
