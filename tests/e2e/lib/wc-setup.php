<?php
/**
 * Products for tests/e2e/wc-tests.php, made by WooCommerce's own API (run inside the site by WP-CLI):
 *
 *   wp --path=SITE eval-file tests/e2e/lib/wc-setup.php PREFIX[,PREFIX...] [BULK]
 *
 * Each PREFIX makes one set of products named after it (one set per engine pass); BULK (default 12) simple products for the chunk test.
 * Makes the attributes pa_size (S, M) and pa_color (Red), the location term `wc-main` of mulopimfwc_store_location,
 * and, with their SKUs PREFIX-...:
 *   S1, S2          simple, managed stock 5, attribute pa_size S (so the attributes lookup table has their rows);
 *   V1, V3          variable, pa_size S/M used for variations, pa_color Red not; variations -S, -M manage their
 *                   own stock (3);
 *   V2              variable whose parent manages stock (4); variations -S, -M leave it to the parent;
 *   B01..BNN        simple, managed stock 5, pa_size M.
 * The attributes lookup table is filled directly (option woocommerce_attribute_lookup_direct_updates on while the
 * products are saved, then restored). Prints one JSON line: {"sets": {"PREFIX": {"S1": id, ...}}, "location": {...}}.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals

if ( ! function_exists( 'wc_get_product' ) ) {
	fwrite( STDERR, "WooCommerce is not active\n" );
	exit( 2 );
}
$prefixes = array_filter( array_map( static function ( $p ) {
	return preg_replace( '/[^A-Za-z0-9]/', '', $p );
}, explode( ',', isset( $args[0] ) ? (string) $args[0] : 'E' ) ) );
$bulk   = isset( $args[1] ) ? max( 0, (int) $args[1] ) : 12;

// Attributes and their terms.
$attr_terms = array();
foreach ( array(
	'size'  => array( 's' => 'S', 'm' => 'M' ),
	'color' => array( 'red' => 'Red' ),
) as $slug => $terms ) {
	$taxonomy = 'pa_' . $slug;
	if ( ! wc_attribute_taxonomy_id_by_name( $taxonomy ) ) {
		$made = wc_create_attribute( array( 'name' => ucfirst( $slug ), 'slug' => $slug ) );
		if ( is_wp_error( $made ) ) {
			fwrite( STDERR, 'wc_create_attribute: ' . $made->get_error_message() . "\n" );
			exit( 1 );
		}
	}
	if ( ! taxonomy_exists( $taxonomy ) ) {
		register_taxonomy( $taxonomy, array( 'product' ), array( 'hierarchical' => false ) );
	}
	foreach ( $terms as $term_slug => $name ) {
		$term = get_term_by( 'slug', $term_slug, $taxonomy );
		if ( ! $term ) {
			$made = wp_insert_term( $name, $taxonomy, array( 'slug' => $term_slug ) );
			if ( is_wp_error( $made ) ) {
				fwrite( STDERR, 'wp_insert_term: ' . $made->get_error_message() . "\n" );
				exit( 1 );
			}
			$term = get_term( $made['term_id'], $taxonomy );
		}
		$attr_terms[ $taxonomy ][ $term_slug ] = (int) $term->term_id;
	}
}

// The location (the location plugin registers the taxonomy; it is not installed on the test sites).
if ( ! taxonomy_exists( 'mulopimfwc_store_location' ) ) {
	register_taxonomy( 'mulopimfwc_store_location', array( 'product' ), array( 'hierarchical' => true ) );
}
$loc = get_term_by( 'slug', 'wc-main', 'mulopimfwc_store_location' );
if ( ! $loc ) {
	$made = wp_insert_term( 'WC Main', 'mulopimfwc_store_location', array( 'slug' => 'wc-main' ) );
	$loc  = get_term( $made['term_id'], 'mulopimfwc_store_location' );
}

update_option( 'woocommerce_hide_out_of_stock_items', 'yes' );
$direct_before = get_option( 'woocommerce_attribute_lookup_direct_updates', null );
update_option( 'woocommerce_attribute_lookup_direct_updates', 'yes' );

$attribute = static function ( $taxonomy, array $slugs, $variation ) use ( $attr_terms ) {
	$a = new WC_Product_Attribute();
	$a->set_id( wc_attribute_taxonomy_id_by_name( $taxonomy ) );
	$a->set_name( $taxonomy );
	$a->set_options(
		array_map(
			static function ( $s ) use ( $attr_terms, $taxonomy ) {
				return $attr_terms[ $taxonomy ][ $s ];
			},
			$slugs
		)
	);
	$a->set_visible( true );
	$a->set_variation( $variation );
	return $a;
};

$ids    = array();
$prefix = '';
$simple = static function ( $key, $size ) use ( &$prefix, $attribute, &$ids ) {
	$p = new WC_Product_Simple();
	$p->set_name( "$prefix $key" );
	$p->set_sku( "$prefix-$key" );
	$p->set_regular_price( '10' );
	$p->set_manage_stock( true );
	$p->set_stock_quantity( 5 );
	$p->set_attributes( array( $attribute( 'pa_size', array( $size ), false ) ) );
	$p->save();
	$ids[ $key ] = $p->get_id();
};
$variable = static function ( $key, $parent_stock ) use ( &$prefix, $attribute, &$ids ) {
	$p = new WC_Product_Variable();
	$p->set_name( "$prefix $key" );
	$p->set_sku( "$prefix-$key" );
	$p->set_attributes(
		array(
			$attribute( 'pa_size', array( 's', 'm' ), true ),
			$attribute( 'pa_color', array( 'red' ), false ),
		)
	);
	if ( null !== $parent_stock ) {
		$p->set_manage_stock( true );
		$p->set_stock_quantity( $parent_stock );
	}
	$p->save();
	$ids[ $key ] = $p->get_id();
	foreach ( array( 's', 'm' ) as $size ) {
		$v = new WC_Product_Variation();
		$v->set_parent_id( $p->get_id() );
		$v->set_attributes( array( 'pa_size' => $size ) );
		$v->set_sku( "$prefix-$key-" . strtoupper( $size ) );
		$v->set_regular_price( '10' );
		if ( null === $parent_stock ) {
			$v->set_manage_stock( true );
			$v->set_stock_quantity( 3 );
		}
		$v->save();
		$ids[ "$key-" . strtoupper( $size ) ] = $v->get_id();
	}
	WC_Product_Variable::sync( $p->get_id() );
};

$sets = array();
foreach ( $prefixes as $prefix ) {
	$ids = array();
	$simple( 'S1', 's' );
	$simple( 'S2', 's' );
	$variable( 'V1', null );
	$variable( 'V3', null );
	$variable( 'V2', 4 );
	for ( $i = 1; $i <= $bulk; $i++ ) {
		$simple( sprintf( 'B%02d', $i ), 'm' );
	}
	$sets[ $prefix ] = $ids;
}

if ( null === $direct_before ) {
	delete_option( 'woocommerce_attribute_lookup_direct_updates' );
} else {
	update_option( 'woocommerce_attribute_lookup_direct_updates', $direct_before );
}

echo wp_json_encode(
	array(
		'sets'     => $sets,
		'location' => array(
			'id'   => (int) $loc->term_id,
			'slug' => $loc->slug,
		),
	)
), "\n";
