<?php
/**
 * Demo data for tests/e2e/demo.sh, and what the shop shows afterwards.
 *
 *   php demo-setup.php WP_DIR URL setup    locations, products, the primary location and a wp-admin password;
 *                                          prints JSON: {"woocommerce": "7.9.0"|null, "locations": {slug: id},
 *                                          "products": {sku: id}, "product_url": ..., "admin_password": ...}
 *   php demo-setup.php WP_DIR URL report   prints what the shop reports now, as tables
 *
 * With WooCommerce active (stacks wc79, wc105), the products are made by WooCommerce's own API, so the rows are
 * the ones WooCommerce writes: PROD-001 "Demo T-Shirt" and PROD-002 "Demo Mug" are WC_Product_Simple,
 * PROD-003 "Demo Cap" is a WC_Product_Variable with the variations PROD-003-S and PROD-003-L (stock managed on
 * each variation). `report` reads them back as a shop page would: wc_get_product() (stock quantity, stock status,
 * is_in_stock(), prices), WooCommerce's product lookup row, the `outofstock` visibility term, and each location's
 * stock and prices (the location plugin's meta, through $product->get_meta()). Run it as a new process after a
 * request: nothing of the request's PHP process is in it.
 *
 * Without WooCommerce (stack nowc) the products are written as plain posts and meta, as before; `report` shows
 * the rows.
 *
 * The location taxonomy is registered here only (the location plugin is not installed on the demo site).
 */

[$_, $wp_dir, $url, $what] = $argv + array_fill( 0, 4, null );
if ( ! $wp_dir || ! $url || ! in_array( $what, array( 'setup', 'report' ), true ) ) {
	fwrite( STDERR, "usage: php demo-setup.php WP_DIR URL setup|report\n" );
	exit( 2 );
}
require dirname( __DIR__, 2 ) . '/lib/php/wordpress.php';
mulopimfwc_test_request_vars( $url );
$ok = false;
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

/**
 * Ends the script with a message on STDERR.
 *
 * @param string $msg Message.
 */
function demo_fail( $msg ) {
	fwrite( STDERR, "demo-setup.php: $msg\n" );
	exit( 1 );
}

/**
 * Prints a table (ASCII, as WP-CLI's).
 *
 * @param array $head Column titles.
 * @param array $rows Rows (lists of scalars).
 */
function demo_table( array $head, array $rows ) {
	$w = array_map( 'strlen', $head );
	foreach ( $rows as $r ) {
		foreach ( array_values( $r ) as $i => $c ) {
			$w[ $i ] = max( $w[ $i ], strlen( (string) $c ) );
		}
	}
	$sep  = '+' . implode( '+', array_map( static fn ( $n ) => str_repeat( '-', $n + 2 ), $w ) ) . '+';
	$line = static fn ( $r ) => '| ' . implode( ' | ', array_map( static fn ( $c, $i ) => str_pad( (string) $c, $w[ $i ] ), array_values( $r ), array_keys( array_values( $r ) ) ) ) . ' |';
	echo $sep, "\n", $line( $head ), "\n", $sep, "\n";
	foreach ( $rows as $r ) {
		echo $line( $r ), "\n";
	}
	echo $sep, "\n";
}

$has_wc = class_exists( 'WooCommerce' ) && function_exists( 'wc_get_product' );
if ( ! taxonomy_exists( 'mulopimfwc_store_location' ) ) {
	register_taxonomy( 'mulopimfwc_store_location', array( 'product', 'product_variation' ), array( 'public' => false ) );
}
if ( ! $has_wc ) {
	register_taxonomy( 'product_type', 'product', array( 'public' => false ) );
	register_taxonomy( 'product_visibility', array( 'product', 'product_variation' ), array( 'public' => false ) );
}

$locations = array(
	'main-store' => 'Main Store',
	'warehouse'  => 'Warehouse',
	'downtown'   => 'Downtown Shop',
);

if ( 'setup' === $what ) {
	global $wpdb;
	$ids = array(
		'woocommerce' => $has_wc ? WC()->version : null,
		'locations'   => array(),
		'products'    => array(),
	);
	foreach ( $locations as $slug => $name ) {
		$t = term_exists( $slug, 'mulopimfwc_store_location' );
		if ( ! $t ) {
			$t = wp_insert_term( $name, 'mulopimfwc_store_location', array( 'slug' => $slug ) );
		}
		if ( is_wp_error( $t ) ) {
			demo_fail( $t->get_error_message() );
		}
		$ids['locations'][ $slug ] = (int) $t['term_id'];
	}
	$loc_ids = array_values( $ids['locations'] );

	if ( $has_wc ) {
		// Simple products, through WooCommerce's API (the data store writes the meta, the lookup row and the terms).
		foreach ( array(
			'PROD-001' => array( 'Demo T-Shirt', '29.99', 3 ),
			'PROD-002' => array( 'Demo Mug', '14.50', 0 ),
		) as $sku => list( $title, $price, $stock ) ) {
			$p = new WC_Product_Simple();
			$p->set_name( $title );
			$p->set_slug( sanitize_title( $title ) );
			$id = mulopimfwc_test_save_stocked( $p, $sku, $price, $stock );
			if ( ! $id ) {
				demo_fail( "WooCommerce did not save $sku" );
			}
			$ids['products'][ $sku ] = (int) $id;
		}
		// A variable product with a local attribute and two variations that manage their own stock.
		$attr   = mulopimfwc_test_variation_attribute( 'Size', array( 'S', 'L' ) );
		$cap_id = mulopimfwc_test_save_variable( 'Demo Cap', 'PROD-003', $attr, 'demo-cap' );
		if ( ! $cap_id ) {
			demo_fail( 'WooCommerce did not save PROD-003' );
		}
		$ids['products']['PROD-003'] = (int) $cap_id;
		foreach ( array(
			'S' => array( 'PROD-003-S', 12 ),
			'L' => array( 'PROD-003-L', 0 ),
		) as $size => list( $sku, $stock ) ) {
			$v = new WC_Product_Variation();
			$v->set_parent_id( $cap_id );
			$v->set_attributes( array( 'size' => $size ) );
			$vid = mulopimfwc_test_save_stocked( $v, $sku, '19.00', $stock );
			if ( ! $vid ) {
				demo_fail( "WooCommerce did not save $sku" );
			}
			$ids['products'][ $sku ] = (int) $vid;
		}
		WC_Product_Variable::sync( $cap_id );
		wc_delete_product_transients( $cap_id );
		foreach ( $ids['products'] as $id ) {
			wp_set_object_terms( $id, $loc_ids, 'mulopimfwc_store_location' );
		}
		$ids['product_url'] = get_permalink( $ids['products']['PROD-001'] );
		$ids['shop_url']    = function_exists( 'wc_get_page_permalink' ) ? wc_get_page_permalink( 'shop' ) : home_url( '/' );
		// A block theme where the site has none (Debian's WordPress ships without one; demo.sh copies one in).
		$theme = wp_get_theme( 'twentytwentythree' );
		if ( ! wp_get_theme()->exists() && $theme->exists() ) {
			switch_theme( 'twentytwentythree' );
		}
	} else {
		foreach ( array(
			'PROD-001' => array( 'Demo T-Shirt', '29.99', 3 ),
			'PROD-002' => array( 'Demo Mug', '14.50', 0 ),
			'PROD-003' => array( 'Demo Cap', '19.00', 12 ),
		) as $sku => list( $title, $price, $stock ) ) {
			$id = wp_insert_post(
				array(
					'post_type'   => 'product',
					'post_status' => 'publish',
					'post_title'  => $title,
					'post_name'   => sanitize_title( $title ),
				),
				true
			);
			if ( is_wp_error( $id ) ) {
				demo_fail( $id->get_error_message() );
			}
			$status = $stock > 0 ? 'instock' : 'outofstock';
			foreach ( array(
				'_sku'           => $sku,
				'_regular_price' => $price,
				'_price'         => $price,
				'_manage_stock'  => 'yes',
				'_stock'         => (string) $stock,
				'_stock_status'  => $status,
				'_backorders'    => 'no',
			) as $k => $v ) {
				update_post_meta( $id, $k, $v );
			}
			wp_set_object_terms( $id, 'simple', 'product_type' );
			wp_set_object_terms( $id, $stock > 0 ? array() : array( 'outofstock' ), 'product_visibility' );
			wp_set_object_terms( $id, $loc_ids, 'mulopimfwc_store_location' );
			$wpdb->replace(
				$wpdb->prefix . 'wc_product_meta_lookup',
				array(
					'product_id'     => $id,
					'sku'            => $sku,
					'stock_quantity' => $stock,
					'stock_status'   => $status,
				)
			);
			$ids['products'][ $sku ] = (int) $id;
		}
		$ids['product_url'] = get_permalink( $ids['products']['PROD-001'] );
		$ids['shop_url']    = home_url( '/' );
	}
	// The main store is the primary location: WooCommerce's own stock follows it.
	update_option( 'mulopimfwc_primary_location', (string) $ids['locations']['main-store'] );
	// A wp-admin password for the demo's admin (the site's install made a random one and kept no copy).
	$pw = wp_generate_password( 16, false );
	wp_set_password( $pw, 1 );
	if ( ! wp_check_password( $pw, get_userdata( 1 )->user_pass, 1 ) ) {
		demo_fail( 'could not set the admin password' );
	}
	$ids['admin_user']     = get_userdata( 1 )->user_login;
	$ids['admin_password'] = $pw;
	echo wp_json_encode( $ids, JSON_UNESCAPED_SLASHES ), "\n";
	$ok = true;
	exit( 0 );
}

// report
global $wpdb;
$loc_names = array();
foreach ( get_terms(
	array(
		'taxonomy'   => 'mulopimfwc_store_location',
		'hide_empty' => false,
		'orderby'    => 'term_id',
	)
) as $t ) {
	$loc_names[ (int) $t->term_id ] = $t->slug;
}
$posts = $wpdb->get_results( "SELECT ID, post_parent, post_type FROM {$wpdb->posts} WHERE post_type IN ('product', 'product_variation') AND post_status = 'publish' ORDER BY ID" );
// Variations right after their parent.
usort(
	$posts,
	static function ( $a, $b ) {
		$ka = $a->post_parent ? array( (int) $a->post_parent, (int) $a->ID ) : array( (int) $a->ID, 0 );
		$kb = $b->post_parent ? array( (int) $b->post_parent, (int) $b->ID ) : array( (int) $b->ID, 0 );
		return $ka <=> $kb;
	}
);
$lookup = static function ( $id ) use ( $wpdb ) {
	$l = $wpdb->get_row( $wpdb->prepare( "SELECT stock_quantity, stock_status FROM {$wpdb->prefix}wc_product_meta_lookup WHERE product_id = %d", $id ) );
	return $l ? ( null === $l->stock_quantity ? '-' : (string) ( 0 + $l->stock_quantity ) ) . ' / ' . $l->stock_status : '(no row)';
};
$outofstock = static function ( $id ) {
	return has_term( 'outofstock', 'product_visibility', $id ) ? 'yes' : 'no';
};
$per_location = array();

if ( $has_wc ) {
	$rows = array();
	foreach ( $posts as $p ) {
		$product = wc_get_product( $p->ID );
		if ( ! $product ) {
			continue;
		}
		$is_var = $product->is_type( 'variable' );
		$rows[] = array(
			$product->get_id(),
			( $p->post_parent ? '  ' : '' ) . $product->get_sku(),
			$product->get_type(),
			$product->managing_stock() ? wc_stock_amount( $product->get_stock_quantity() ) : '-',
			$product->get_stock_status(),
			$product->is_in_stock() ? 'yes' : 'no',
			$is_var ? $product->get_variation_regular_price( 'min' ) . '-' . $product->get_variation_regular_price( 'max' ) : $product->get_regular_price(),
			$is_var ? '' : $product->get_sale_price(),
			$lookup( $p->ID ),
			$outofstock( $p->ID ),
		);
		foreach ( $loc_names as $tid => $slug ) {
			$stock = $product->get_meta( "_location_stock_$tid" );
			$reg   = $product->get_meta( "_location_regular_price_$tid" );
			$sale  = $product->get_meta( "_location_sale_price_$tid" );
			if ( '' !== $stock || '' !== $reg || '' !== $sale ) {
				$per_location[] = array( $product->get_sku(), "$slug ($tid)", $stock, $reg, $sale );
			}
		}
	}
	echo 'What WooCommerce reports (wc_get_product() in a new PHP process; WooCommerce ', WC()->version, ', WordPress ', get_bloginfo( 'version' ), "):\n";
	demo_table( array( 'id', 'sku', 'type', 'stock', 'stock status', 'in stock', 'regular price', 'sale price', 'lookup row (stock / status)', 'outofstock term' ), $rows );
	echo "\nEach location's stock and prices (\$product->get_meta(): _location_stock_{id}, _location_regular_price_{id}, _location_sale_price_{id}):\n";
} else {
	$rows = array();
	foreach ( $posts as $p ) {
		wp_cache_delete( $p->ID, 'post_meta' );
		$sku    = get_post_meta( $p->ID, '_sku', true );
		$rows[] = array( $p->ID, $sku, get_post_meta( $p->ID, '_stock', true ), get_post_meta( $p->ID, '_stock_status', true ), $lookup( $p->ID ), $outofstock( $p->ID ) );
		foreach ( $loc_names as $tid => $slug ) {
			$stock = get_post_meta( $p->ID, "_location_stock_$tid", true );
			$reg   = get_post_meta( $p->ID, "_location_regular_price_$tid", true );
			$sale  = get_post_meta( $p->ID, "_location_sale_price_$tid", true );
			if ( '' !== $stock || '' !== $reg || '' !== $sale ) {
				$per_location[] = array( $sku, "$slug ($tid)", $stock, $reg, $sale );
			}
		}
	}
	echo "WooCommerce is not active on this site: the rows as stored (post meta, the lookup table, the visibility term):\n";
	demo_table( array( 'id', 'sku', '_stock', '_stock_status', 'lookup row (stock / status)', 'outofstock term' ), $rows );
	echo "\nEach location's stock and prices (post meta _location_stock_{id}, _location_regular_price_{id}, _location_sale_price_{id}):\n";
}
if ( $per_location ) {
	demo_table( array( 'sku', 'location (term_id)', 'stock', 'regular price', 'sale price' ), $per_location );
} else {
	echo "(none yet)\n";
}
$ok = true;
exit( 0 );
