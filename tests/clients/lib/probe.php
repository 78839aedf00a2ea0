<?php
/**
 * What a site holds now, for the client tests' assertions (run inside the site by WP-CLI):
 *
 *   wp --path=SITE eval-file tests/clients/lib/probe.php LOCATION_ID SKU...
 *
 * Prints one JSON line: {"SKU": {"id": ID, "location_stock": [meta values of _location_stock_LOCATION_ID],
 * "wc_stock": wc_get_product()->get_stock_quantity()}, ..., "_idempotency": [{"scope", "state", "status_code"}]}.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals

global $wpdb;
$loc = (int) array_shift( $args );
$out = array();
foreach ( $args as $sku ) {
	$id          = wc_get_product_id_by_sku( $sku );
	$product     = $id ? wc_get_product( $id ) : null;
	$out[ $sku ] = array(
		'id'             => (int) $id,
		'location_stock' => $id ? array_values( get_post_meta( $id, '_location_stock_' . $loc, false ) ) : array(),
		'wc_stock'       => $product ? $product->get_stock_quantity() : null,
	);
}
$table               = $wpdb->prefix . 'mulopimfwc_idempotency';
$out['_idempotency'] = $wpdb->get_results( "SELECT scope, state, status_code FROM `{$table}` ORDER BY created_at, scope", ARRAY_A ); // phpcs:ignore WordPress.DB
echo wp_json_encode( $out ) . "\n";
