<?php
/**
 * Demo data for tests/e2e/demo.sh, written through WordPress's own API (the taxonomies are registered only for
 * this script: neither WooCommerce nor the location plugin is installed on the demo site).
 *
 *   php demo-setup.php WP_DIR URL setup   creates locations and products; prints their ids as JSON
 *   php demo-setup.php WP_DIR URL rows    prints the per-location meta rows and WooCommerce's main stock as a table
 */

[$_, $wp_dir, $url, $what] = $argv + array_fill( 0, 4, null );
$u                      = parse_url( (string) $url );
$_SERVER['HTTP_HOST']   = $u['host'] . ':' . $u['port'];
$_SERVER['SERVER_NAME'] = $u['host'];
$_SERVER['REQUEST_URI'] = '/';
$ok                     = false;
register_shutdown_function(
	static function () use ( &$ok ) {
		if ( ! $ok ) {
			fwrite( STDERR, "demo-setup.php: WordPress did not load or the script failed\n" );
			exit( 1 );
		}
	}
);
ob_start();
require $wp_dir . '/wp-load.php';
ob_end_clean();

register_taxonomy( 'mulopimfwc_store_location', array( 'product' ), array( 'public' => false ) );
register_taxonomy( 'product_type', 'product', array( 'public' => false ) );
register_taxonomy( 'product_visibility', array( 'product', 'product_variation' ), array( 'public' => false ) );

$locations = array(
	'main-store' => 'Main Store',
	'warehouse'  => 'Warehouse',
	'downtown'   => 'Downtown Shop',
);

if ( 'setup' === $what ) {
	$ids = array( 'locations' => array(), 'products' => array() );
	foreach ( $locations as $slug => $name ) {
		$t = term_exists( $slug, 'mulopimfwc_store_location' );
		if ( ! $t ) {
			$t = wp_insert_term( $name, 'mulopimfwc_store_location', array( 'slug' => $slug ) );
		}
		if ( is_wp_error( $t ) ) {
			fwrite( STDERR, $t->get_error_message() . "\n" );
			exit( 1 );
		}
		$ids['locations'][ $slug ] = (int) $t['term_id'];
	}
	$products = array(
		'PROD-001' => array( 'Demo T-Shirt', '29.99', 3 ),
		'PROD-002' => array( 'Demo Mug', '14.50', 0 ),
		'PROD-003' => array( 'Demo Cap', '19.00', 12 ),
	);
	foreach ( $products as $sku => list( $title, $price, $stock ) ) {
		$id = wp_insert_post(
			array( 'post_type' => 'product', 'post_status' => 'publish', 'post_title' => $title, 'post_name' => sanitize_title( $title ) ),
			true
		);
		if ( is_wp_error( $id ) ) {
			fwrite( STDERR, $id->get_error_message() . "\n" );
			exit( 1 );
		}
		$status = $stock > 0 ? 'instock' : 'outofstock';
		foreach ( array( '_sku' => $sku, '_regular_price' => $price, '_price' => $price, '_manage_stock' => 'yes', '_stock' => (string) $stock, '_stock_status' => $status, '_backorders' => 'no' ) as $k => $v ) {
			update_post_meta( $id, $k, $v );
		}
		wp_set_object_terms( $id, 'simple', 'product_type' );
		wp_set_object_terms( $id, $stock > 0 ? array() : array( 'outofstock' ), 'product_visibility' );
		wp_set_object_terms( $id, array_values( $ids['locations'] ), 'mulopimfwc_store_location' );
		$GLOBALS['wpdb']->replace( $GLOBALS['wpdb']->prefix . 'wc_product_meta_lookup', array( 'product_id' => $id, 'sku' => $sku, 'stock_quantity' => $stock, 'stock_status' => $status ) );
		$ids['products'][ $sku ] = (int) $id;
	}
	// The main store is the primary location: WooCommerce's own stock follows it.
	update_option( 'mulopimfwc_primary_location', (string) $ids['locations']['main-store'] );
	echo json_encode( $ids ), "\n";
	$ok = true;
	exit( 0 );
}

if ( 'rows' === $what ) {
	global $wpdb;
	$loc_names = array();
	foreach ( get_terms( array( 'taxonomy' => 'mulopimfwc_store_location', 'hide_empty' => false ) ) as $t ) {
		$loc_names[ $t->term_id ] = $t->slug;
	}
	$rows  = array();
	$posts = $wpdb->get_results( "SELECT ID, post_title FROM {$wpdb->posts} WHERE post_type = 'product' ORDER BY ID" );
	foreach ( $posts as $p ) {
		wp_cache_delete( $p->ID, 'post_meta' );
		$sku = get_post_meta( $p->ID, '_sku', true );
		foreach ( $loc_names as $tid => $slug ) {
			$stock = get_post_meta( $p->ID, "_location_stock_$tid", true );
			$reg   = get_post_meta( $p->ID, "_location_regular_price_$tid", true );
			$sale  = get_post_meta( $p->ID, "_location_sale_price_$tid", true );
			if ( '' === $stock && '' === $reg && '' === $sale ) {
				continue;
			}
			$rows[] = array( $p->ID, $sku, "$slug ($tid)", $stock, $reg, $sale );
		}
	}
	$table = static function ( $head, $rows ) {
		$w = array_map( 'strlen', $head );
		foreach ( $rows as $r ) {
			foreach ( $r as $i => $c ) {
				$w[ $i ] = max( $w[ $i ], strlen( (string) $c ) );
			}
		}
		$sep  = '+' . implode( '+', array_map( fn ( $n ) => str_repeat( '-', $n + 2 ), $w ) ) . '+';
		$line = fn ( $r ) => '| ' . implode( ' | ', array_map( fn ( $c, $i ) => str_pad( (string) $c, $w[ $i ] ), $r, array_keys( $r ) ) ) . ' |';
		echo $sep, "\n", $line( $head ), "\n", $sep, "\n";
		foreach ( $rows as $r ) {
			echo $line( $r ), "\n";
		}
		echo $sep, "\n";
	};
	echo "Per-location rows (post meta _location_stock_{id}, _location_regular_price_{id}, _location_sale_price_{id}):\n";
	$table( array( 'product_id', 'sku', 'location (term_id)', 'stock', 'regular_price', 'sale_price' ), $rows );
	echo "\nWooCommerce's own stock (follows the primary location, main-store):\n";
	$main = array();
	foreach ( $posts as $p ) {
		$l      = $wpdb->get_row( $wpdb->prepare( "SELECT stock_quantity, stock_status FROM {$wpdb->prefix}wc_product_meta_lookup WHERE product_id = %d", $p->ID ) );
		$main[] = array( $p->ID, get_post_meta( $p->ID, '_sku', true ), get_post_meta( $p->ID, '_stock', true ), get_post_meta( $p->ID, '_stock_status', true ), $l ? $l->stock_quantity . ' / ' . $l->stock_status : '-' );
	}
	$table( array( 'product_id', 'sku', '_stock', '_stock_status', 'lookup table' ), $main );
	$ok = true;
	exit( 0 );
}
fwrite( STDERR, "usage: php demo-setup.php WP_DIR URL setup|rows\n" );
exit( 2 );
