<?php
/**
 * Plugin Name: mulopimfwc e2e test helpers
 * Description: TEST SITES ONLY (copied into wp-content/mu-plugins by tests/e2e/lib/site.sh). Never install on a real site.
 *
 * 1. A stand-in for the location plugin's own REST registration of the bulk sync route (registered at the
 *    default priority 10 on rest_api_init, answering {"engine":"old"}), so a test proves that ours wins.
 * 2. Site settings the REST path cannot pass as engine options:
 *    - option `mulopimfwc_e2e_max_items` (a positive integer) feeds the filter `mulopimfwc_max_bulk_sync_items`;
 *    - request header `X-E2E-Force-PHP: 1` or option `mulopimfwc_e2e_force_php` = '1' turns the filter
 *      `mulopimfwc_force_php_engine` on.
 * 3. Test endpoints (namespace mulopimfwc-e2e/v1, X-API-Key required like the real route):
 *    - GET  /meta/<id>          get_post_meta() of a post, and whether wp_cache held it before the read;
 *    - POST /cached-sync/<id>   primes the object cache with get_post_meta(<id>), runs the plugin's engine on the
 *                               body (run() does the follow-ons, as for any PHP caller), then reports whether
 *                               wp_cache_get(<id>, 'post_meta') was invalidated and what get_post_meta() reads now.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

// 1. The old registration of the same route, as the location plugin does it (default priority).
add_action(
	'rest_api_init',
	static function () {
		register_rest_route(
			'mulopimfwc/v1',
			'/inventory/bulk-sync',
			array(
				'methods'             => 'POST',
				'callback'            => static function () {
					return new WP_REST_Response( array( 'engine' => 'old' ), 200 );
				},
				'permission_callback' => '__return_true',
			)
		);
	}
);

// 2. Settings.
add_filter(
	'mulopimfwc_max_bulk_sync_items',
	static function ( $max ) {
		$o = get_option( 'mulopimfwc_e2e_max_items', '' );
		return ( is_numeric( $o ) && (int) $o > 0 ) ? (int) $o : $max;
	}
);
add_filter(
	'mulopimfwc_force_php_engine',
	static function ( $force ) {
		if ( isset( $_SERVER['HTTP_X_E2E_FORCE_PHP'] ) && '1' === $_SERVER['HTTP_X_E2E_FORCE_PHP'] ) {
			return true;
		}
		return '1' === (string) get_option( 'mulopimfwc_e2e_force_php', '' ) ? true : $force;
	}
);

// Counts our completion action (reported by the test endpoints).
$GLOBALS['mulopimfwc_e2e_completed'] = array();
add_action(
	'mulopimfwc_bulk_sync_completed',
	static function ( $result, $info ) {
		$GLOBALS['mulopimfwc_e2e_completed'][] = array(
			'info'                => $info,
			'changed_product_ids' => isset( $result['changed_product_ids'] ) ? array_values( (array) $result['changed_product_ids'] ) : null,
		);
	},
	10,
	2
);

// 3. Test endpoints.
function mulopimfwc_e2e_key_ok( $request ) {
	$given  = (string) $request->get_header( 'x_api_key' );
	$stored = (string) get_option( 'mulopimfwc_api_key', '' );
	return '' !== $stored && '' !== $given && hash_equals( $stored, $given );
}

function mulopimfwc_e2e_meta( $id ) {
	$out = array();
	foreach ( (array) get_post_meta( $id ) as $k => $vals ) {
		$out[ $k ] = array_values( (array) $vals );
	}
	ksort( $out );
	return $out;
}

add_action(
	'rest_api_init',
	static function () {
		register_rest_route(
			'mulopimfwc-e2e/v1',
			'/meta/(?P<id>\d+)',
			array(
				'methods'             => 'GET',
				'permission_callback' => 'mulopimfwc_e2e_key_ok',
				'callback'            => static function ( $request ) {
					$id     = (int) $request['id'];
					$cached = false !== wp_cache_get( $id, 'post_meta' );
					return array(
						'id'            => $id,
						'cached_before' => $cached,
						'meta'          => mulopimfwc_e2e_meta( $id ),
					);
				},
			)
		);
		register_rest_route(
			'mulopimfwc-e2e/v1',
			'/cached-sync/(?P<id>\d+)',
			array(
				'methods'             => 'POST',
				'permission_callback' => 'mulopimfwc_e2e_key_ok',
				'callback'            => static function ( $request ) {
					$id     = (int) $request['id'];
					$before = mulopimfwc_e2e_meta( $id ); // primes wp_cache 'post_meta'
					$primed = false !== wp_cache_get( $id, 'post_meta' );
					$engine = mulopimfwc_bulk_sync_engine();
					$name   = $engine->name();
					// run() does the follow-ons itself, as for any PHP caller.
					$result = $engine->run( (string) $request->get_body(), array(), array( 'source' => 'e2e-cached-sync' ) );
					if ( is_wp_error( $result ) ) {
						return $result;
					}
					// With WooCommerce loaded, its stock actions load the product again: the cache may hold the row
					// again, which is right as long as it holds the new values (the test checks that).
					$cached_after = wp_cache_get( $id, 'post_meta' );
					$still        = false !== $cached_after;
					return array(
						'engine'                  => $name,
						'result_engine'           => isset( $result['engine'] ) ? $result['engine'] : null,
						'results'                 => $result['results'],
						'primed'                  => $primed,
						'cache_present_after_sync' => $still,
						'cache_after_sync'        => $still ? $cached_after : null,
						'before'                  => $before,
						'after'                   => mulopimfwc_e2e_meta( $id ),
						'completed_actions'       => $GLOBALS['mulopimfwc_e2e_completed'],
					);
				},
			)
		);
	}
);

// 4. Issue 6: the location plugin's other sync routes, registered the old way (default priority), so a test proves
//    that ours answer; and a pause after an Idempotency-Key is claimed (request header X-E2E-Sleep-Ms, at most 5 s),
//    so a test can send a concurrent duplicate while the first request still runs.
add_action(
	'rest_api_init',
	static function () {
		foreach ( array( array( '/inventory/update', 'POST' ), array( '/webhook/inventory-update', 'POST' ), array( '/inventory/export', 'GET' ) ) as $r ) {
			register_rest_route(
				'mulopimfwc/v1',
				$r[0],
				array(
					'methods'             => $r[1],
					'callback'            => static function () {
						return new WP_REST_Response( array( 'engine' => 'old' ), 200 );
					},
					'permission_callback' => '__return_true',
				)
			);
		}
	}
);
add_action(
	'mulopimfwc_idempotency_claimed',
	static function () {
		if ( isset( $_SERVER['HTTP_X_E2E_SLEEP_MS'] ) ) {
			usleep( 1000 * min( 5000, max( 0, (int) $_SERVER['HTTP_X_E2E_SLEEP_MS'] ) ) );
		}
	}
);
