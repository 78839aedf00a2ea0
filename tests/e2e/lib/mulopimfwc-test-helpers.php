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
/**
 * A test option's positive integer, else $default (a filter's value).
 *
 * @param string $option  Option name.
 * @param mixed  $default What the filter had.
 * @return mixed
 */
function mulopimfwc_e2e_positive_option( $option, $default ) {
	$o = get_option( $option, '' );
	return ( is_numeric( $o ) && (int) $o > 0 ) ? (int) $o : $default;
}
add_filter(
	'mulopimfwc_max_bulk_sync_items',
	static function ( $max ) {
		return mulopimfwc_e2e_positive_option( 'mulopimfwc_e2e_max_items', $max );
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

/**
 * A test endpoint (under mulopimfwc-e2e/v1 unless another namespace is given), for requests with the site's
 * X-API-Key.
 *
 * @param string   $path      Route.
 * @param string   $method    GET or POST.
 * @param callable $callback  The endpoint.
 * @param string   $namespace REST namespace.
 */
function mulopimfwc_e2e_route( $path, $method, $callback, $namespace = 'mulopimfwc-e2e/v1' ) {
	register_rest_route(
		$namespace,
		$path,
		array(
			'methods'             => $method,
			'permission_callback' => 'mulopimfwc_e2e_key_ok',
			'callback'            => $callback,
		)
	);
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
		mulopimfwc_e2e_route(
			'/meta/(?P<id>\d+)',
			'GET',
			static function ( $request ) {
				$id     = (int) $request['id'];
				$cached = false !== wp_cache_get( $id, 'post_meta' );
				return array(
					'id'            => $id,
					'cached_before' => $cached,
					'meta'          => mulopimfwc_e2e_meta( $id ),
				);
			}
		);
		mulopimfwc_e2e_route(
			'/cached-sync/(?P<id>\d+)',
			'POST',
			static function ( $request ) {
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
			}
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

// 5. Issue 10 (tests/e2e/wc-tests.php): what WooCommerce reports after a sync, read in a request of its own.
//    - option `mulopimfwc_e2e_record_hooks` = '1': the hooks a sync fires are recorded (product objects' values at
//      the moment each fires) and appended to option `mulopimfwc_e2e_hook_log` at shutdown; the location plugin's
//      dashboard cache listener is emulated (updated_post_meta of _stock, _stock_status, _location_stock_* bumps
//      option mulopimfwc_dashboard_cache_version). Off, nothing listens (so the engines are not asked for meta_writes).
//    - option `mulopimfwc_e2e_chunk` (a positive integer): the follow-ons' chunk size and the old
//      clean_post_cache limit, so that a small request goes through the path of a large one.
//    - POST /wc-prime   {"ids": [...], "transients": {"name": value}, "options": {"mulopimfwc_e2e_...": value|null}}:
//                        loads the products (object caches, WooCommerce's own transients of variable products), sets
//                        the transients and the test options (they apply from the next request), empties the hook log;
//    - POST /wc-state   {"ids": [...], "transients": [...]}: per product what WooCommerce reports and the rows;
//    - POST /php-run    {"ids": [...], "payload": {...}}: loads the products, then mulopimfwc_bulk_sync_engine()->run()
//                        as a plugin would call it, then reads them again in the same request;
//    - GET  /wc-compat  whether WooCommerce lists the plugin as compatible with its features.
foreach ( array( 'mulopimfwc_follow_on_chunk_size', 'mulopimfwc_clean_post_cache_limit' ) as $mulopimfwc_e2e_filter ) {
	add_filter(
		$mulopimfwc_e2e_filter,
		static function ( $n ) {
			return mulopimfwc_e2e_positive_option( 'mulopimfwc_e2e_chunk', $n );
		}
	);
}

// Option `mulopimfwc_e2e_hide_out_of_stock` = '1': WooCommerce's "Hide out of stock items" on (its term recounts).
add_filter(
	'pre_option_woocommerce_hide_out_of_stock_items',
	static function ( $value ) {
		return '1' === get_option( 'mulopimfwc_e2e_hide_out_of_stock' ) ? 'yes' : $value;
	}
);

/**
 * The product_cat counts WooCommerce keeps for "Hide out of stock items" (term meta product_count_product_cat) as
 * stored, then as a full recount (_wc_term_recount()) finds them.
 *
 * @return array 'stored' => term id => count, 'recounted' => term id => count.
 */
function mulopimfwc_e2e_cat_counts() {
	$terms = get_terms(
		array(
			'taxonomy'   => 'product_cat',
			'hide_empty' => false,
		)
	);
	$out   = array(
		'stored'    => array(),
		'recounted' => array(),
	);
	if ( is_wp_error( $terms ) || ! function_exists( '_wc_term_recount' ) ) {
		return $out;
	}
	foreach ( $terms as $t ) {
		$out['stored'][ (int) $t->term_id ] = (string) get_term_meta( $t->term_id, 'product_count_product_cat', true );
	}
	$by_id = array();
	foreach ( $terms as $t ) {
		$by_id[ (int) $t->term_id ] = (int) $t->parent;
	}
	_wc_term_recount( $by_id, get_taxonomy( 'product_cat' ), false, false );
	foreach ( $terms as $t ) {
		$out['recounted'][ (int) $t->term_id ] = (string) get_term_meta( $t->term_id, 'product_count_product_cat', true );
	}
	return $out;
}

$GLOBALS['mulopimfwc_e2e_hooks'] = array();
function mulopimfwc_e2e_record( array $entry ) {
	$GLOBALS['mulopimfwc_e2e_hooks'][] = $entry;
}
function mulopimfwc_e2e_product_entry( $hook, $product, $extra = array() ) {
	if ( ! is_object( $product ) || ! method_exists( $product, 'get_id' ) ) {
		mulopimfwc_e2e_record( array( 'hook' => $hook, 'id' => 0, 'error' => 'no product object' ) );
		return;
	}
	mulopimfwc_e2e_record(
		array_merge(
			array(
				'hook'     => $hook,
				'id'       => (int) $product->get_id(),
				'qty'      => $product->get_stock_quantity(),
				'status'   => $product->get_stock_status(),
				'in_stock' => $product->is_in_stock(),
			),
			$extra
		)
	);
}
if ( '1' === (string) get_option( 'mulopimfwc_e2e_record_hooks', '' ) ) {
	foreach ( array( 'woocommerce_product_set_stock', 'woocommerce_variation_set_stock' ) as $mulopimfwc_e2e_h ) {
		add_action(
			$mulopimfwc_e2e_h,
			static function ( $product ) use ( $mulopimfwc_e2e_h ) {
				mulopimfwc_e2e_product_entry( $mulopimfwc_e2e_h, $product );
			}
		);
	}
	foreach ( array( 'woocommerce_product_set_stock_status', 'woocommerce_variation_set_stock_status' ) as $mulopimfwc_e2e_h ) {
		add_action(
			$mulopimfwc_e2e_h,
			static function ( $id, $status = null, $product = null ) use ( $mulopimfwc_e2e_h ) {
				mulopimfwc_e2e_product_entry( $mulopimfwc_e2e_h, $product, array( 'arg_id' => (int) $id, 'arg_status' => $status ) );
			},
			10,
			3
		);
	}
	foreach ( array( 'woocommerce_update_product', 'woocommerce_update_product_variation' ) as $mulopimfwc_e2e_h ) {
		add_action(
			$mulopimfwc_e2e_h,
			static function ( $id, $product = null ) use ( $mulopimfwc_e2e_h ) {
				mulopimfwc_e2e_product_entry( $mulopimfwc_e2e_h, $product, array( 'arg_id' => (int) $id ) );
			},
			10,
			2
		);
	}
	add_action(
		'woocommerce_updated_product_stock',
		static function ( $id ) {
			mulopimfwc_e2e_record( array( 'hook' => 'woocommerce_updated_product_stock', 'id' => (int) $id ) );
		}
	);
	foreach ( array( 'added_post_meta', 'updated_post_meta', 'deleted_post_meta' ) as $mulopimfwc_e2e_h ) {
		add_action(
			$mulopimfwc_e2e_h,
			static function ( $meta_id, $post_id, $key, $value ) use ( $mulopimfwc_e2e_h ) {
				if ( 0 === strpos( (string) $key, '_mulopimfwc_e2e' ) ) {
					return;
				}
				mulopimfwc_e2e_record(
					array(
						'hook'    => $mulopimfwc_e2e_h,
						'meta_id' => $meta_id,
						'id'      => (int) $post_id,
						'key'     => (string) $key,
						'value'   => is_scalar( $value ) ? (string) $value : $value,
						// What the meta API reads at that moment (the cache must already hold the new value).
						'read'    => 'deleted_post_meta' === $mulopimfwc_e2e_h ? null : get_post_meta( (int) $post_id, (string) $key, true ),
					)
				);
				// The location plugin's dashboard cache (mulopimfwc_clear_dashboard_cache()), emulated.
				if ( 'updated_post_meta' === $mulopimfwc_e2e_h && ( in_array( $key, array( '_stock', '_stock_status' ), true ) || 0 === strpos( (string) $key, '_location_stock_' ) ) ) {
					update_option( 'mulopimfwc_dashboard_cache_version', (int) get_option( 'mulopimfwc_dashboard_cache_version', 0 ) + 1 );
				}
			},
			10,
			4
		);
	}
	add_action(
		'mulopimfwc_bulk_sync_completed',
		static function ( $result, $context ) {
			mulopimfwc_e2e_record(
				array(
					'hook'    => 'mulopimfwc_bulk_sync_completed',
					'id'      => 0,
					'context' => $context,
				)
			);
		},
		10,
		2
	);
	add_action(
		'shutdown',
		static function () {
			if ( $GLOBALS['mulopimfwc_e2e_hooks'] ) {
				$log = get_option( 'mulopimfwc_e2e_hook_log', array() );
				$log = is_array( $log ) ? $log : array();
				update_option( 'mulopimfwc_e2e_hook_log', array_merge( $log, $GLOBALS['mulopimfwc_e2e_hooks'] ), false );
			}
		},
		0
	);
}

/** What WooCommerce and the database say about a product. */
function mulopimfwc_e2e_wc_state( $id ) {
	global $wpdb;
	$id  = (int) $id;
	$out = array( 'id' => $id );
	$p   = function_exists( 'wc_get_product' ) ? wc_get_product( $id ) : null;
	if ( $p ) {
		$out['type']         = $p->get_type();
		$out['qty']          = $p->get_stock_quantity();
		$out['status']       = $p->get_stock_status();
		$out['in_stock']     = $p->is_in_stock();
		$out['manage_stock'] = $p->get_manage_stock();
		if ( $p->is_type( 'variable' ) ) {
			$out['children'] = array_map( 'intval', $p->get_children() );
		}
		// The location plugin's meta as the product object has it (WooCommerce caches it in the `object_{id}` group
		// of a persistent object cache), beside the rows themselves.
		$out['wc_location_meta'] = array();
		foreach ( $p->get_meta_data() as $m ) {
			if ( 0 === strpos( (string) $m->key, '_location_' ) ) {
				$out['wc_location_meta'][ (string) $m->key ] = (string) $m->value;
			}
		}
		ksort( $out['wc_location_meta'] );
		$out['db_location_meta'] = array();
		foreach ( $wpdb->get_results( $wpdb->prepare( "SELECT meta_key, meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key LIKE %s", $id, $wpdb->esc_like( '_location_' ) . '%' ), ARRAY_A ) as $row ) {
			$out['db_location_meta'][ (string) $row['meta_key'] ] = (string) $row['meta_value'];
		}
		ksort( $out['db_location_meta'] );
	}
	$out['meta_stock']        = get_post_meta( $id, '_stock', true );
	$out['meta_stock_status'] = get_post_meta( $id, '_stock_status', true );
	$out['db_stock']          = $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_stock' LIMIT 1", $id ) );
	$out['db_stock_status']   = $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_stock_status' LIMIT 1", $id ) );
	$out['lookup']            = $wpdb->get_row( $wpdb->prepare( "SELECT stock_quantity, stock_status FROM {$wpdb->prefix}wc_product_meta_lookup WHERE product_id = %d", $id ), ARRAY_A );
	$out['outofstock_term']   = has_term( 'outofstock', 'product_visibility', $id );
	$out['outofstock_db']     = (bool) $wpdb->get_var(
		$wpdb->prepare(
			"SELECT COUNT(*) FROM {$wpdb->term_relationships} tr JOIN {$wpdb->term_taxonomy} tt ON tt.term_taxonomy_id = tr.term_taxonomy_id JOIN {$wpdb->terms} t ON t.term_id = tt.term_id WHERE tr.object_id = %d AND tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock'",
			$id
		)
	);
	$out['attr_lookup'] = $wpdb->get_results( $wpdb->prepare( "SELECT taxonomy, term_id, is_variation_attribute, in_stock FROM {$wpdb->prefix}wc_product_attributes_lookup WHERE product_id = %d ORDER BY taxonomy, term_id", $id ), ARRAY_A );
	return $out;
}

add_action(
	'rest_api_init',
	static function () {
		mulopimfwc_e2e_route(
			'/wc-prime',
			'POST',
			static function ( $request ) {
				$body = (array) $request->get_json_params();
				$read = array();
				foreach ( (array) ( $body['ids'] ?? array() ) as $id ) {
					$read[ (int) $id ] = mulopimfwc_e2e_wc_state( $id );
					$p                 = wc_get_product( (int) $id );
					if ( $p && $p->is_type( 'variable' ) ) {
						$p->get_variation_prices(); // wc_var_prices_ID
					}
				}
				foreach ( (array) ( $body['transients'] ?? array() ) as $name => $value ) {
					set_transient( (string) $name, $value, DAY_IN_SECONDS );
				}
				foreach ( (array) ( $body['options'] ?? array() ) as $name => $value ) {
					if ( 0 !== strpos( (string) $name, 'mulopimfwc_e2e_' ) ) {
						continue;
					}
					if ( null === $value ) {
						delete_option( (string) $name );
					} else {
						update_option( (string) $name, $value );
					}
				}
				if ( ! empty( $body['cat_counts'] ) ) {
					mulopimfwc_e2e_cat_counts(); // Counts right before the sync (a full recount).
				}
				delete_option( 'mulopimfwc_e2e_hook_log' );
				$GLOBALS['mulopimfwc_e2e_hooks'] = array();
				$set                             = array();
				foreach ( array_keys( (array) ( $body['transients'] ?? array() ) ) as $name ) {
					$set[ (string) $name ] = false !== get_transient( (string) $name );
				}
				return array(
					'read'              => $read,
					'transients'        => $set,
					'dashboard_version' => (int) get_option( 'mulopimfwc_dashboard_cache_version', 0 ),
				);
			}
		);
		mulopimfwc_e2e_route(
			'/wc-state',
			'POST',
			static function ( $request ) {
				global $wpdb;
				$body = (array) $request->get_json_params();
				// Transients first: loading a variable product sets wc_product_children_ID again.
				$transients = array();
				foreach ( (array) ( $body['transients'] ?? array() ) as $name ) {
					$transients[ (string) $name ] = false !== get_transient( (string) $name );
				}
				$products = array();
				foreach ( (array) ( $body['ids'] ?? array() ) as $id ) {
					$products[ (int) $id ] = mulopimfwc_e2e_wc_state( $id );
				}
				$term = get_term_by( 'slug', 'outofstock', 'product_visibility' );
				$real = (int) $wpdb->get_var(
					"SELECT COUNT(*) FROM {$wpdb->term_relationships} tr JOIN {$wpdb->term_taxonomy} tt ON tt.term_taxonomy_id = tr.term_taxonomy_id JOIN {$wpdb->terms} t ON t.term_id = tt.term_id JOIN {$wpdb->posts} p ON p.ID = tr.object_id WHERE tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock' AND p.post_status = 'publish'"
				);
				$db_count = (int) $wpdb->get_var( "SELECT tt.count FROM {$wpdb->term_taxonomy} tt JOIN {$wpdb->terms} t ON t.term_id = tt.term_id WHERE tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock'" );
				$log      = get_option( 'mulopimfwc_e2e_hook_log', array() );
				return array(
					'products'          => $products,
					'transients'        => $transients,
					'outofstock_count'  => $term ? (int) $term->count : null,
					'outofstock_db'     => $db_count,
					'outofstock_real'   => $real,
					'hooks'             => is_array( $log ) ? $log : array(),
					'dashboard_version' => (int) get_option( 'mulopimfwc_dashboard_cache_version', 0 ),
					'query_version'     => class_exists( 'WC_Cache_Helper' ) ? WC_Cache_Helper::get_transient_version( 'product_query' ) : null,
					'cat_counts'        => empty( $body['cat_counts'] ) ? null : mulopimfwc_e2e_cat_counts(),
					'pending_lookup'    => function_exists( 'as_get_scheduled_actions' ) ? count( as_get_scheduled_actions( array( 'hook' => 'woocommerce_run_product_attribute_lookup_update_callback', 'status' => 'pending', 'per_page' => 100 ), 'ids' ) ) : null,
					'ext_cache'         => wp_using_ext_object_cache(),
				);
			}
		);
		mulopimfwc_e2e_route(
			'/php-run',
			'POST',
			static function ( $request ) {
				$body = (array) $request->get_json_params();
				$ids  = array_map( 'intval', (array) ( $body['ids'] ?? array() ) );
				foreach ( $ids as $id ) {
					mulopimfwc_e2e_wc_state( $id ); // every cache holds the old values
				}
				global $wpdb;
				$q0     = (int) $wpdb->num_queries;
				$t0     = microtime( true );
				$engine = mulopimfwc_bulk_sync_engine();
				$result = $engine->run( wp_json_encode( $body['payload'] ?? array() ) );
				if ( is_wp_error( $result ) ) {
					return $result;
				}
				// A plugin before issue 10 (run() without follow-ons): its after-sync step, for a statement count.
				if ( ( new ReflectionMethod( $engine, 'run' ) )->getNumberOfParameters() < 3 ) {
					Mulopimfwc_Bulk_Sync_Cache::after_sync( $result, array( 'source' => 'php' ) );
				}
				$queries = (int) $wpdb->num_queries - $q0;
				$seconds = microtime( true ) - $t0;
				$after = array();
				foreach ( $ids as $id ) {
					$after[ $id ] = mulopimfwc_e2e_wc_state( $id );
				}
				return array(
					'engine'  => $result['engine'] ?? null,
					'results' => $result['results'],
					'wpdb_queries' => $queries,
					'seconds' => round( $seconds, 3 ),
					'after'   => $after,
				);
			}
		);
		mulopimfwc_e2e_route(
			'/wc-compat',
			'GET',
			static function () {
				$out    = array( 'plugin' => plugin_basename( MULOPIMFWC_BULK_SYNC_FILE ) );
				$class  = 'Automattic\\WooCommerce\\Internal\\Features\\FeaturesController';
				if ( ! function_exists( 'wc_get_container' ) || ! class_exists( $class ) ) {
					$out['error'] = 'no FeaturesController';
					return $out;
				}
				$fc = wc_get_container()->get( $class );
				foreach ( array( 'custom_order_tables', 'product_instance_caching' ) as $feature ) {
					$lists             = $fc->get_compatible_plugins_for_feature( $feature, true );
					$out[ $feature ] = array(
						'compatible'   => in_array( $out['plugin'], (array) ( $lists['compatible'] ?? array() ), true ),
						'incompatible' => in_array( $out['plugin'], (array) ( $lists['incompatible'] ?? array() ), true ),
						'uncertain'    => in_array( $out['plugin'], (array) ( $lists['uncertain'] ?? array() ), true ),
						'enabled'      => \Automattic\WooCommerce\Utilities\FeaturesUtil::feature_is_enabled( $feature ),
					);
				}
				return $out;
			}
		);
	}
);

// 6. Issue 12 (tests/e2e/jobs-tests.php): bulk-sync jobs run by Action Scheduler.
//    - option `mulopimfwc_e2e_job_chunk_size` (a positive integer) feeds the filter `mulopimfwc_job_chunk_size`;
//    - option `mulopimfwc_e2e_as_failure_period` (seconds, a positive integer): Action Scheduler's
//      `action_scheduler_failure_period` (when an action a killed runner left in progress is marked failed);
//    - option `mulopimfwc_e2e_job_applied_sleep` = 'JOB:CHUNK:MS': the runner that applied chunk CHUNK of job JOB
//      sleeps MS ms in `mulopimfwc_bulk_sync_job_chunk_applied` (after the chunk's commit, before the follow-ons);
//    - option `mulopimfwc_e2e_job_chunk_delay` = 'JOB:CHUNK:MS': the runner that takes chunk CHUNK of job JOB waits
//      MS ms before the plugin's callback runs it (a slow runner: later chunks may start first);
//    - option `mulopimfwc_e2e_record_chunks` = '1': each chunk's engine run is recorded, when it committed, as an
//      option `mulopimfwc_e2e_chunkrun_JOB_CHUNK_PID_N` = {"start": s, "end": s, "pid": n} (microtime; start = the
//      commit less the engine's own phases), so that a test sees which runs overlapped.
add_filter(
	'mulopimfwc_job_chunk_size',
	static function ( $n ) {
		return mulopimfwc_e2e_positive_option( 'mulopimfwc_e2e_job_chunk_size', $n );
	}
);
add_filter(
	'action_scheduler_failure_period',
	static function ( $n ) {
		return mulopimfwc_e2e_positive_option( 'mulopimfwc_e2e_as_failure_period', $n );
	}
);
/**
 * Whether a test option 'JOB:CHUNK:MS' names this chunk; its MS, else 0.
 *
 * @param string $option   Option name.
 * @param int    $job_id   Job.
 * @param int    $chunk_no Chunk.
 * @return int
 */
function mulopimfwc_e2e_chunk_ms( $option, $job_id, $chunk_no ) {
	$want = explode( ':', (string) get_option( $option, '' ) );
	return ( 3 === count( $want ) && (int) $want[0] === (int) $job_id && (int) $want[1] === (int) $chunk_no ) ? max( 0, (int) $want[2] ) : 0;
}
add_action(
	'mulopimfwc_bulk_sync_job_chunk',
	static function ( $job_id, $chunk_no ) {
		usleep( 1000 * mulopimfwc_e2e_chunk_ms( 'mulopimfwc_e2e_job_chunk_delay', $job_id, $chunk_no ) );
	},
	5,
	2
);
add_action(
	'mulopimfwc_bulk_sync_job_chunk_applied',
	static function ( $job_id, $chunk_no, $result = array() ) {
		if ( '1' === (string) get_option( 'mulopimfwc_e2e_record_chunks', '' ) ) {
			$end    = microtime( true );
			$engine = 0.0;
			foreach ( (array) ( $result['timings'] ?? array() ) as $phase => $ms ) {
				$engine += in_array( $phase, array( 'parse', 'resolve', 'lock', 'read', 'plan', 'write' ), true ) ? (float) $ms / 1000 : 0.0;
			}
			add_option(
				sprintf( 'mulopimfwc_e2e_chunkrun_%d_%d_%d_%d', $job_id, $chunk_no, getmypid(), wp_rand() ),
				wp_json_encode(
					array(
						'start' => $end - $engine,
						'end'   => $end,
						'pid'   => getmypid(),
					)
				),
				'',
				'no'
			);
		}
		usleep( 1000 * mulopimfwc_e2e_chunk_ms( 'mulopimfwc_e2e_job_applied_sleep', $job_id, $chunk_no ) );
	},
	10,
	3
);
