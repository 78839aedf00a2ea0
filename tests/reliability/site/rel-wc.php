<?php
/**
 * WooCommerce's own code for the reliability suite, run in a CLI process that loads a test site's WordPress
 * (WooCommerce active, as the site's php-fpm has it; the extension is not needed here):
 *
 *   php rel-wc.php WP_DIR template STOCK
 *       creates one simple product through WooCommerce's API (WC_Product_Simple: SKU, regular price 100, stock
 *       managed, STOCK in stock) and prints {"id": N}; tests/reliability/lib.php clones its rows in bulk.
 *   php rel-wc.php WP_DIR decrement IDS_FILE OUT_FILE
 *       for each product id of IDS_FILE (one a line): wc_update_product_stock( $product, 1, 'decrease' ), the call
 *       wc_reduce_stock_levels() makes for an order line of quantity 1 (the data store's update_product_stock():
 *       `UPDATE wp_postmeta SET meta_value = meta_value -1.000000 WHERE post_id = X AND meta_key='_stock'`,
 *       autocommit, then the lookup row, then $product->save()). The session variable @rel_who = 'wc-decrement'
 *       lets the suite's audit trigger tell these writes from the sync's. Every failed SQL statement (wpdb keeps
 *       them in $EZSQL_ERROR; WooCommerce does not retry) goes to OUT_FILE as one JSON line
 *       {"n": index, "post": id, "query": ..., "error": ...}; the last line is {"done": count, "connection": id}.
 *
 * Exits non-zero when WordPress or WooCommerce does not load.
 */

[$_, $wp_dir, $cmd] = $argv + array_fill( 0, 3, null );
if ( ! $wp_dir || ! in_array( $cmd, array( 'template', 'decrement' ), true ) ) {
	fwrite( STDERR, "usage: php rel-wc.php WP_DIR template STOCK | decrement IDS_FILE OUT_FILE\n" );
	exit( 2 );
}
$url = 'http://127.0.0.1/';
require dirname( __DIR__, 3 ) . '/tests/lib/php/wordpress.php';
mulopimfwc_test_request_vars( $url );

ob_start();
require $wp_dir . '/wp-load.php';
ob_end_clean();
if ( ! function_exists( 'wc_update_product_stock' ) || ! class_exists( 'WC_Product_Simple' ) ) {
	fwrite( STDERR, "rel-wc.php: WooCommerce is not active in $wp_dir\n" );
	exit( 1 );
}
global $wpdb, $EZSQL_ERROR;
$wpdb->suppress_errors( true );

if ( 'template' === $cmd ) {
	$stock = (int) ( $argv[3] ?? 10 );
	$p     = new WC_Product_Simple();
	$p->set_name( 'Reliability template ' . $stock );
	$id    = mulopimfwc_test_save_stocked( $p, 'REL-TPL-' . $stock . '-' . bin2hex( random_bytes( 4 ) ), '100', $stock );
	if ( ! $id || ! empty( $EZSQL_ERROR ) ) {
		fwrite( STDERR, 'rel-wc.php: the product was not saved: ' . wp_json_encode( $EZSQL_ERROR ) . "\n" );
		exit( 1 );
	}
	echo wp_json_encode( array( 'id' => $id ) ), "\n";
	exit( 0 );
}

// decrement
$ids = array_map( 'intval', file( $argv[3], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ) );
$out = fopen( $argv[4], 'w' );
$wpdb->query( "SET @rel_who = 'wc-decrement'" );
$conn = (int) $wpdb->get_var( 'SELECT CONNECTION_ID()' );
foreach ( $ids as $n => $id ) {
	$EZSQL_ERROR = array();
	// A fresh object per order line, as the order code has (caches would otherwise serve the stock read).
	wp_cache_delete( $id, 'post_meta' );
	wp_cache_delete( $id, 'posts' );
	$product = wc_get_product( $id );
	if ( ! $product ) {
		fwrite( $out, wp_json_encode( array( 'n' => $n, 'post' => $id, 'query' => '', 'error' => 'wc_get_product() found no product' ) ) . "\n" );
		continue;
	}
	wc_update_product_stock( $product, 1, 'decrease' );
	foreach ( $EZSQL_ERROR as $e ) {
		fwrite( $out, wp_json_encode( array( 'n' => $n, 'post' => $id, 'query' => substr( (string) $e['query'], 0, 200 ), 'error' => $e['error_str'] ) ) . "\n" );
	}
	if ( 0 === $n % 50 ) {
		fflush( $out );
	}
}
fwrite( $out, wp_json_encode( array( 'done' => count( $ids ), 'connection' => (int) $wpdb->get_var( 'SELECT CONNECTION_ID()' ), 'first_connection' => $conn ) ) . "\n" );
fclose( $out );
exit( 0 );
