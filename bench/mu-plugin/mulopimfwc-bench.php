<?php
/**
 * Plugin Name: mulopimfwc benchmark helpers
 * Description: BENCHMARK SITES ONLY (copied into wp-content/mu-plugins by bench/run.sh). Never install on a real site.
 *
 * 1. Measurement of a request sent with the header `X-Bench: 1`: response headers with the PHP worker's
 *    memory (Zend allocator: memory_get_peak_usage(true) and its growth over the request; process RSS:
 *    VmHWM after resetting it through /proc/self/clear_refs at the start, which also counts the native
 *    engine's own allocations), the queries WordPress's $wpdb sent, the engine's own statement count and the
 *    time spent inside PHP. Deprecation notices of WordPress 6.1 on PHP 8.2 are not logged for these
 *    requests (WP_DEBUG is on in the test sites; a production site has it off). With `X-Bench-Id: <id>` as
 *    well (the export benchmark), the peaks at the end of the request go to wp-content/mulopimfwc-bench-shutdown.jsonl.
 * 2. The taxonomy the location plugin registers (it is not installed here), and WooCommerce's product_type and
 *    product_visibility where WooCommerce is not active, so that WordPress's term APIs work on them.
 * 3. The baseline: POST /wp-json/mulopimfwc-bench/v1/baseline-sync (X-API-Key as the real route) runs
 *    mulopimfwc_bench_baseline_sync(): the per-item way the location plugin's own endpoint works, with
 *    WooCommerce's own API when WooCommerce is active (mulopimfwc_bench_baseline_sync_wc()), else written with
 *    WordPress's APIs as WooCommerce would do it (see that function). bench/lib/cli.php calls the same
 *    function directly.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/*
 * 1. Measurement.
 */

/** Reads a field (kB) of /proc/self/status. */
function mulopimfwc_bench_proc_kb( $field ) {
	$s = @file_get_contents( '/proc/self/status' ); // phpcs:ignore
	if ( is_string( $s ) && preg_match( '/^' . preg_quote( $field, '/' ) . ':\s+(\d+)\s+kB/m', $s, $m ) ) {
		return (int) $m[1];
	}
	return -1;
}

/** Resets the process's peak RSS (VmHWM) to its current RSS; returns whether that worked. */
function mulopimfwc_bench_reset_hwm() {
	return false !== @file_put_contents( '/proc/self/clear_refs', '5' ); // phpcs:ignore
}

if ( isset( $_SERVER['HTTP_X_BENCH'] ) && '1' === $_SERVER['HTTP_X_BENCH'] ) {
	error_reporting( E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED ); // phpcs:ignore
	$GLOBALS['mulopimfwc_bench'] = array(
		'mem_start'  => memory_get_usage( true ),
		'hwm_reset'  => mulopimfwc_bench_reset_hwm(),
		'rss_start'  => mulopimfwc_bench_proc_kb( 'VmRSS' ),
		'statements' => null,
	);
	// With `X-Bench-Id: <id>` (bench/lib/export.php): the request's peaks at its very end (after WordPress
	// encoded and sent the response body, which the headers below cannot include), one JSON line per request
	// appended to wp-content/mulopimfwc-bench-shutdown.jsonl.
	if ( isset( $_SERVER['HTTP_X_BENCH_ID'] ) && preg_match( '/^[A-Za-z0-9-]{1,64}$/D', (string) $_SERVER['HTTP_X_BENCH_ID'] ) ) {
		register_shutdown_function(
			static function () {
				$b   = $GLOBALS['mulopimfwc_bench'];
				$hwm = mulopimfwc_bench_proc_kb( 'VmHWM' );
				$ok  = $b['hwm_reset'] && $hwm > 0 && $b['rss_start'] > 0;
				@file_put_contents( // phpcs:ignore
					WP_CONTENT_DIR . '/mulopimfwc-bench-shutdown.jsonl',
					wp_json_encode(
						array(
							'id'         => (string) $_SERVER['HTTP_X_BENCH_ID'],
							'mem_peak'   => memory_get_peak_usage( true ),
							'mem_growth' => memory_get_peak_usage( true ) - $b['mem_start'],
							'rss_peak'   => $ok ? $hwm * 1024 : null,
							'rss_growth' => $ok ? ( $hwm - $b['rss_start'] ) * 1024 : null,
						)
					) . "\n",
					FILE_APPEND | LOCK_EX
				);
			}
		);
	}
	add_action(
		'mulopimfwc_bulk_sync_completed',
		static function ( $result ) {
			if ( isset( $result['stats']['statements'] ) ) {
				$GLOBALS['mulopimfwc_bench']['statements'] = (int) $result['stats']['statements'];
			}
		}
	);
	add_filter(
		'rest_post_dispatch',
		static function ( $response ) {
			global $wpdb;
			if ( ! $response instanceof WP_HTTP_Response ) {
				return $response;
			}
			$b    = $GLOBALS['mulopimfwc_bench'];
			$peak = memory_get_peak_usage( true );
			$response->header( 'X-Bench-Mem-Peak', (string) $peak );
			$response->header( 'X-Bench-Mem-Growth', (string) ( $peak - $b['mem_start'] ) );
			$hwm = mulopimfwc_bench_proc_kb( 'VmHWM' );
			if ( $b['hwm_reset'] && $hwm > 0 && $b['rss_start'] > 0 ) {
				$response->header( 'X-Bench-Rss-Peak', (string) ( $hwm * 1024 ) );
				$response->header( 'X-Bench-Rss-Growth', (string) ( ( $hwm - $b['rss_start'] ) * 1024 ) );
			}
			$response->header( 'X-Bench-Wpdb-Queries', (string) ( isset( $wpdb->num_queries ) ? (int) $wpdb->num_queries : -1 ) );
			if ( null !== $b['statements'] ) {
				$response->header( 'X-Bench-Engine-Statements', (string) $b['statements'] );
			}
			if ( isset( $_SERVER['REQUEST_TIME_FLOAT'] ) ) {
				$response->header( 'X-Bench-Php-Seconds', sprintf( '%.6f', microtime( true ) - (float) $_SERVER['REQUEST_TIME_FLOAT'] ) );
			}
			return $response;
		},
		PHP_INT_MAX
	);
}

/*
 * 2. The location plugin's taxonomy, and WooCommerce's (product_type, product_visibility) where WooCommerce is not
 *    active, registered as those plugins register them.
 */
add_action(
	'init',
	static function () {
		$types = array( 'product', 'product_variation' );
		// WooCommerce registers its own on init (priority 5) unless product_type exists already: never before it.
		$taxonomies = class_exists( 'WooCommerce' ) ? array( 'mulopimfwc_store_location' ) : array( 'product_type', 'product_visibility', 'mulopimfwc_store_location' );
		foreach ( $taxonomies as $tax ) {
			if ( ! taxonomy_exists( $tax ) ) {
				register_taxonomy(
					$tax,
					'product_type' === $tax ? array( 'product' ) : $types,
					array(
						'hierarchical' => false,
						'public'       => false,
						'query_var'    => false,
						'rewrite'      => false,
						'show_ui'      => false,
					)
				);
			}
		}
	},
	0
);

/*
 * 3. The baseline.
 */

/**
 * WooCommerce's wc_get_product_id_by_sku(): WC_Product_Data_Store_CPT::get_product_id_by_sku() runs this
 * query (the indexed lookup-table form of current WooCommerce; older releases joined postmeta on an
 * unindexed meta_value, which would be slower).
 *
 * @param string $sku SKU.
 * @return int
 */
function mulopimfwc_bench_product_id_by_sku( $sku ) {
	global $wpdb;
	return (int) $wpdb->get_var(
		$wpdb->prepare(
			"SELECT posts.ID FROM {$wpdb->posts} as posts
			INNER JOIN {$wpdb->prefix}wc_product_meta_lookup AS lookup ON posts.ID = lookup.product_id
			WHERE posts.post_type IN ( 'product', 'product_variation' ) AND posts.post_status != 'trash'
			AND lookup.sku = %s LIMIT 1",
			$sku
		)
	);
}

/**
 * A product's new stock status as WooCommerce's save leaves it: the meta, the visibility terms (update_visibility():
 * outofstock following the status) and the lookup row (handle_updated_props()).
 *
 * @param int    $id     Product id.
 * @param string $status instock, onbackorder or outofstock.
 */
function mulopimfwc_bench_set_stock_status( $id, $status ) {
	update_post_meta( $id, '_stock_status', $status );
	$terms = wp_get_post_terms( $id, 'product_visibility', array( 'fields' => 'slugs' ) );
	$terms = array_values( array_diff( is_array( $terms ) ? $terms : array(), array( 'outofstock' ) ) );
	if ( 'outofstock' === $status ) {
		$terms[] = 'outofstock';
	}
	wp_set_post_terms( $id, $terms, 'product_visibility', false );
	mulopimfwc_bench_update_lookup( $id );
}

/**
 * WooCommerce's WC_Product_Data_Store_CPT::update_lookup_table( $id, 'wc_product_meta_lookup' ): the row
 * rebuilt from the product's meta (object cache) and written with $wpdb->replace().
 *
 * @param int $id Product id.
 */
function mulopimfwc_bench_update_lookup( $id ) {
	global $wpdb;
	$meta  = get_post_meta( $id );
	$get   = static function ( $k ) use ( $meta ) {
		return isset( $meta[ $k ][0] ) ? $meta[ $k ][0] : '';
	};
	$price = $get( '_price' );
	$stock = $get( '_stock' );
	$wpdb->replace(
		$wpdb->prefix . 'wc_product_meta_lookup',
		array(
			'product_id'     => $id,
			'sku'            => $get( '_sku' ),
			'virtual'        => 'yes' === $get( '_virtual' ) ? 1 : 0,
			'downloadable'   => 'yes' === $get( '_downloadable' ) ? 1 : 0,
			'min_price'      => '' === $price ? null : $price,
			'max_price'      => '' === $price ? null : $price,
			'onsale'         => '' !== $get( '_sale_price' ) ? 1 : 0,
			'stock_quantity' => ( 'yes' === $get( '_manage_stock' ) && '' !== $stock ) ? (float) $stock : null,
			'stock_status'   => $get( '_stock_status' ),
			'rating_count'   => 0,
			'average_rating' => 0,
			'total_sales'    => (int) $get( 'total_sales' ),
			'tax_status'     => $get( '_tax_status' ) ? $get( '_tax_status' ) : 'taxable',
			'tax_class'      => $get( '_tax_class' ),
		)
	);
	wp_cache_delete( 'lookup_table', 'object_' . $id );
}

/**
 * WooCommerce's wc_update_product_stock( $product, $stock ) followed by its product save, for a product
 * that manages its stock: the data store's direct `_stock` UPDATE and lookup-table update, the re-read of
 * the stock, the stock status from the no-stock threshold and backorders, `_stock_status` through
 * update_post_meta(), the product_visibility `outofstock` term through wp_set_post_terms(), the lookup row
 * again when a prop changed, post_modified (WooCommerce's "record this save event" UPDATE) and
 * clean_post_cache(); for a variation whose status changed, the variable parent's status as
 * WC_Product_Variable::sync_stock_status() computes it.
 *
 * @param WP_Post $post  Product or variation (loaded as wc_get_product() would: post, meta, type term).
 * @param int     $stock New stock.
 */
function mulopimfwc_bench_update_main_stock( $post, $stock ) {
	global $wpdb;
	$id = (int) $post->ID;
	if ( 'yes' !== get_post_meta( $id, '_manage_stock', true ) ) {
		if ( 'product_variation' !== $post->post_type || ! $post->post_parent || 'yes' !== get_post_meta( $post->post_parent, '_manage_stock', true ) ) {
			return;
		}
		$post = get_post( $post->post_parent ); // The parent manages the variation's stock.
		$id   = (int) $post->ID;
	}
	// WC_Product_Data_Store_CPT::update_product_stock().
	$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->postmeta} SET meta_value = %f WHERE post_id = %d AND meta_key='_stock'", $stock, $id ) );
	wp_cache_delete( $id, 'post_meta' );
	mulopimfwc_bench_update_lookup( $id );
	// read_stock_quantity().
	$new_stock = (float) $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_stock'", $id ) );
	// save(): validate_props() sets the stock status.
	$threshold  = (int) get_option( 'woocommerce_notify_no_stock_amount', 0 );
	$backorders = get_post_meta( $id, '_backorders', true );
	if ( $new_stock > $threshold ) {
		$status = 'instock';
	} elseif ( 'no' !== $backorders && '' !== $backorders ) {
		$status = 'onbackorder';
	} else {
		$status = 'outofstock';
	}
	$old_status = get_post_meta( $id, '_stock_status', true );
	if ( $status !== $old_status ) {
		mulopimfwc_bench_set_stock_status( $id, $status );
		if ( 'product_variation' === $post->post_type && $post->post_parent ) {
			$parent   = (int) $post->post_parent;
			$statuses = $wpdb->get_col(
				$wpdb->prepare(
					"SELECT pm.meta_value FROM {$wpdb->postmeta} pm JOIN {$wpdb->posts} p ON p.ID = pm.post_id
					WHERE p.post_parent = %d AND p.post_type = 'product_variation' AND p.post_status IN ('publish','private') AND pm.meta_key = '_stock_status'",
					$parent
				)
			);
			$p_status = in_array( 'instock', $statuses, true ) ? 'instock' : ( in_array( 'onbackorder', $statuses, true ) ? 'onbackorder' : 'outofstock' );
			if ( get_post_meta( $parent, '_stock_status', true ) !== $p_status ) {
				mulopimfwc_bench_set_stock_status( $parent, $p_status );
			}
		}
	}
	$wpdb->update(
		$wpdb->posts,
		array(
			'post_modified'     => current_time( 'mysql' ),
			'post_modified_gmt' => current_time( 'mysql', 1 ),
		),
		array( 'ID' => $id )
	);
	clean_post_cache( $id );
}

/**
 * The per-item baseline: what the location plugin's own bulk-sync endpoint does, item by item, with
 * WordPress's APIs and WordPress's object cache (no persistent cache on these sites, as on most):
 * product by id or by SKU (WooCommerce's query), location by get_term() / get_term_by('slug'),
 * update_post_meta() for the location stock and each price given, and WooCommerce's main stock update for
 * the primary location (or every location when none is set). Validation as loose as the old endpoint's.
 *
 * @param array $items Decoded items.
 * @return array The seed's response shape.
 */
function mulopimfwc_bench_baseline_sync( $items ) {
	if ( function_exists( 'wc_get_product' ) && function_exists( 'wc_update_product_stock' ) ) {
		return mulopimfwc_bench_baseline_sync_wc( $items );
	}
	$primary = (int) get_option( 'mulopimfwc_primary_location', 0 );
	return mulopimfwc_bench_baseline_each(
		$items,
		'mulopimfwc_bench_product_id_by_sku',
		static function ( array $item, $product_id ) use ( $primary ) {
			// wc_get_product(): the post, its meta and its type term (object cache).
			$post = get_post( $product_id );
			if ( ! $post || ! in_array( $post->post_type, array( 'product', 'product_variation' ), true ) ) {
				throw new Exception( 'Product not found.' );
			}
			get_post_meta( $product_id );
			if ( 'product' === $post->post_type ) {
				get_the_terms( $product_id, 'product_type' );
			}
			list( $loc, $stock ) = mulopimfwc_bench_baseline_location_meta( $item, $product_id, 'wc_format_decimal_bench' );
			if ( ! $primary || $primary === $loc ) {
				mulopimfwc_bench_update_main_stock( $post, $stock );
			}
		}
	);
}

/**
 * The per-item baseline on a WooCommerce store: the same per-item way with WooCommerce's own API, as the
 * location plugin's endpoint runs it there: wc_get_product_id_by_sku(), wc_get_product(), the location's
 * term, update_post_meta() for the location stock and each price given, and for the primary location (or every
 * location when none is set) wc_update_product_stock( $product, $stock, 'set' ) (WooCommerce's direct stock
 * write, then its product save: stock status, visibility terms, lookup rows, transients, caches, actions).
 *
 * @param array $items Decoded items.
 * @return array The seed's response shape.
 */
function mulopimfwc_bench_baseline_sync_wc( $items ) {
	$primary = (int) get_option( 'mulopimfwc_primary_location', 0 );
	return mulopimfwc_bench_baseline_each(
		$items,
		'wc_get_product_id_by_sku',
		static function ( array $item, $product_id ) use ( $primary ) {
			$product = wc_get_product( $product_id );
			if ( ! $product ) {
				throw new Exception( 'Product not found.' );
			}
			list( $loc, $stock ) = mulopimfwc_bench_baseline_location_meta( $item, $product_id, 'wc_format_decimal' );
			if ( ( ! $primary || $primary === $loc ) && $product->managing_stock() ) {
				wc_update_product_stock( $product, $stock, 'set' );
			}
		}
	);
}

/**
 * The per-item loop both baselines share, as the old endpoint runs it: each item on its own (an exception fails
 * that item only), the product by id or by SKU, then $one( $item, $product_id ); the seed's response shape.
 *
 * @param array    $items  Decoded items.
 * @param callable $by_sku SKU => product id (0: none).
 * @param callable $one    The item's work; throws Exception to fail it.
 * @return array
 */
function mulopimfwc_bench_baseline_each( $items, $by_sku, $one ) {
	$success = 0;
	$failed  = 0;
	$errors  = array();
	foreach ( array_values( (array) $items ) as $i => $item ) {
		try {
			if ( ! is_array( $item ) ) {
				throw new Exception( 'Invalid item.' );
			}
			$product_id = 0;
			if ( ! empty( $item['product_id'] ) ) {
				$product_id = absint( $item['product_id'] );
			} elseif ( ! empty( $item['sku'] ) ) {
				$product_id = $by_sku( sanitize_text_field( $item['sku'] ) );
			}
			if ( ! $product_id ) {
				throw new Exception( 'Product not found.' );
			}
			$one( $item, $product_id );
			++$success;
		} catch ( Exception $e ) {
			++$failed;
			$errors[] = sprintf( 'Item %d: %s', $i + 1, $e->getMessage() );
		}
	}
	return mulopimfwc_bench_baseline_response( $success, $failed, $errors );
}

/**
 * The per-item baseline's location part, as the old endpoint does it for one item: the location's term (by id or
 * slug), then update_post_meta() for the location's stock and each price given.
 *
 * @param array    $item       The item.
 * @param int      $product_id The product found.
 * @param callable $format     How a price is formatted before it is stored.
 * @return array [location term id, stock]
 * @throws Exception Location not found, no stock.
 */
function mulopimfwc_bench_baseline_location_meta( array $item, $product_id, $format ) {
	if ( ! empty( $item['location_id'] ) ) {
		$location = get_term( absint( $item['location_id'] ), 'mulopimfwc_store_location' );
	} elseif ( ! empty( $item['location_slug'] ) ) {
		$location = get_term_by( 'slug', sanitize_title( $item['location_slug'] ), 'mulopimfwc_store_location' );
	} else {
		throw new Exception( 'Location ID or slug is required.' );
	}
	if ( ! $location || is_wp_error( $location ) ) {
		throw new Exception( 'Location not found.' );
	}
	if ( ! isset( $item['stock'] ) ) {
		throw new Exception( 'Stock is required.' );
	}
	$loc   = (int) $location->term_id;
	$stock = intval( $item['stock'] );
	update_post_meta( $product_id, '_location_stock_' . $loc, $stock );
	if ( isset( $item['regular_price'] ) ) {
		update_post_meta( $product_id, '_location_regular_price_' . $loc, $format( $item['regular_price'] ) );
	}
	if ( isset( $item['sale_price'] ) ) {
		update_post_meta( $product_id, '_location_sale_price_' . $loc, $format( $item['sale_price'] ) );
	}
	return array( $loc, $stock );
}

/**
 * The seed's response shape for the baseline's counts.
 *
 * @param int      $success Items applied.
 * @param int      $failed  Items failed.
 * @param string[] $errors  `Item N: message` each.
 * @return array
 */
function mulopimfwc_bench_baseline_response( $success, $failed, array $errors ) {
	return array(
		'success' => true,
		'message' => sprintf( 'Processed %d items. %d succeeded, %d failed.', $success + $failed, $success, $failed ),
		'results' => array(
			'success' => $success,
			'failed'  => $failed,
			'errors'  => $errors,
		),
	);
}

/** WooCommerce's wc_format_decimal() for a plain price string (trim, dot separator). */
function wc_format_decimal_bench( $v ) {
	return is_string( $v ) ? trim( str_replace( ',', '.', $v ) ) : (string) $v;
}

add_action(
	'rest_api_init',
	static function () {
		register_rest_route(
			'mulopimfwc-bench/v1',
			'/baseline-sync',
			array(
				'methods'             => 'POST',
				'permission_callback' => static function ( $request ) {
					$given  = (string) $request->get_header( 'x_api_key' );
					$stored = (string) get_option( 'mulopimfwc_api_key', '' );
					return '' !== $stored && '' !== $given && hash_equals( $stored, $given );
				},
				'callback'            => static function ( $request ) {
					$data = $request->get_json_params();
					if ( ! is_array( $data ) || ! isset( $data['items'] ) || ! is_array( $data['items'] ) ) {
						return new WP_Error( 'invalid_data', 'Invalid data.', array( 'status' => 400 ) );
					}
					return new WP_REST_Response( mulopimfwc_bench_baseline_sync( $data['items'] ), 200 );
				},
			)
		);
	}
);
