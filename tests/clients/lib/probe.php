<?php
/**
 * Plugin Name: mulopimfwc clients test probe
 * Description: TEST SITES ONLY (copied into wp-content/mu-plugins by tests/clients/run.sh). What a site holds now,
 * for the client tests' assertions, read inside WordPress by php-fpm (faster than a WP-CLI process per check).
 *
 *   GET /wp-json/mulopimfwc-e2e/v1/clients-probe?location=LOCATION_ID&sku=SKU,SKU...   (X-API-Key: the site's key)
 *
 * A test endpoint of tests/e2e/lib/mulopimfwc-test-helpers.php's (mulopimfwc_e2e_route()). Answers
 * {"SKU": {"id": ID, "location_stock": [meta values of _location_stock_LOCATION_ID],
 * "wc_stock": wc_get_product()->get_stock_quantity()}, ..., "_idempotency": [{"scope", "state", "status_code"}]}.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'rest_api_init',
	static function () {
		mulopimfwc_e2e_route(
			'/clients-probe',
			'GET',
			static function ( $request ) {
				global $wpdb;
				$loc = (int) $request->get_param( 'location' );
				$out = array();
				foreach ( array_filter( explode( ',', (string) $request->get_param( 'sku' ) ) ) as $sku ) {
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
				return new WP_REST_Response( $out, 200 );
			}
		);
	},
	11
);
