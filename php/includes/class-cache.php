<?php
/**
 * What follows a sync: caches invalidated, WooCommerce's attributes lookup table kept right, the hooks a product
 * save would have fired, and our own completion action.
 *
 * Everything here is set-based where WordPress allows it and independent of the size of the request: the rows
 * are primed into the object cache in chunks, then each post is cleaned and each product loaded from the cache.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Cache invalidation, lookup table and actions after a bulk sync.
 */
class Mulopimfwc_Bulk_Sync_Cache {

	/**
	 * Posts read, cleaned and loaded per round (bounds the memory of a large request).
	 */
	const CHUNK = 500;

	/**
	 * WooCommerce's transients named after a product id (wc_delete_product_transients(), ProductUtil).
	 */
	const PRODUCT_TRANSIENTS = array( 'wc_product_children_', 'wc_var_prices_', 'wc_related_', 'wc_child_has_weight_', 'wc_child_has_dimensions_' );

	/**
	 * WooCommerce's shop-wide product transients (wc_delete_product_transients()).
	 */
	const SHOP_TRANSIENTS = array( 'wc_products_onsale', 'wc_featured_products', 'wc_outofstock_count', 'wc_low_stock_count' );

	/**
	 * The meta API's hooks that follow a write.
	 */
	const META_HOOKS = array( 'added_post_meta', 'updated_post_meta', 'deleted_post_meta' );

	/**
	 * Whether the attributes lookup table exists (null: not asked yet in this request).
	 *
	 * @var bool|null
	 */
	private static $attributes_lookup_exists = null;

	/**
	 * Posts per round of the follow-ons. Only memory depends on it, never what is cleaned or fired.
	 *
	 * @return int
	 */
	public static function chunk_size() {
		/**
		 * Filters how many posts the follow-ons of a sync read, clean and load at a time (default 500).
		 *
		 * @param int $size Posts per round.
		 */
		return max( 1, (int) apply_filters( 'mulopimfwc_follow_on_chunk_size', self::CHUNK ) );
	}

	/**
	 * Whether anyone listens to the meta API's hooks (then the engines are asked for the list of rows written).
	 *
	 * @return bool
	 */
	public static function wants_meta_writes() {
		foreach ( self::META_HOOKS as $hook ) {
			if ( has_action( $hook ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Everything that follows a successful sync. Called by Mulopimfwc_Bulk_Sync_Engine::run().
	 *
	 * @param array $result  Engine result.
	 * @param array $context 'source' => 'rest'|'cli'|'php', 'fire_completed' => bool (default true), 'items' => count.
	 */
	public static function after_sync( array $result, array $context = array() ) {
		if ( ! empty( $result['dry_run'] ) ) {
			return;
		}
		$ids     = isset( $result['changed_product_ids'] ) ? array_map( 'absint', (array) $result['changed_product_ids'] ) : array();
		$changes = isset( $result['stock_changes'] ) ? array_values( (array) $result['stock_changes'] ) : array();

		self::invalidate( $ids, $changes );
		if ( ! empty( $result['meta_writes'] ) ) {
			self::fire_meta_hooks( (array) $result['meta_writes'] );
		}
		self::fire_stock_actions( $changes );

		$fire = ! isset( $context['fire_completed'] ) || (bool) $context['fire_completed'];
		if ( $fire ) {
			unset( $context['fire_completed'] );
			unset( $result['meta_writes'] );
			/**
			 * Fires after a bulk sync has been written, caches were invalidated and WooCommerce's actions fired.
			 * Once per sync: once per REST request, once per WP-CLI command (with the totals), once per PHP call
			 * of mulopimfwc_bulk_sync_engine()->run().
			 *
			 * @param array $result  The engine's result (success counts, errors, changed ids, stock changes, engine).
			 * @param array $context Where the request came from: 'source' => 'rest'|'cli'|'php', 'items' => count.
			 */
			do_action( 'mulopimfwc_bulk_sync_completed', $result, $context );
		}
	}

	/**
	 * Invalidate what WordPress and WooCommerce cache for the changed products, whatever their number.
	 *
	 * Mirrors what WooCommerce's product save leaves: clean_post_cache() of each post (post row, meta, terms, and
	 * the hook WooCommerce 10.5's product object cache listens to), the product transients of the product and of
	 * a variation's parent (wc_delete_product_transients()), the shop-wide product transients, the `product_{id}`
	 * cache groups, the children stock status caches, the lookup row cache, the layered nav counts.
	 *
	 * @param int[] $ids           Changed post ids (variations and parents included).
	 * @param array $stock_changes Stock changes (gives the parents of variations).
	 */
	public static function invalidate( array $ids, array $stock_changes = array() ) {
		$ids = array_values( array_unique( array_filter( array_map( 'intval', $ids ) ) ) );
		foreach ( $stock_changes as $change ) {
			if ( ! empty( $change['product_id'] ) ) {
				$ids[] = (int) $change['product_id'];
			}
		}
		$ids = array_values( array_unique( $ids ) );
		if ( ! $ids ) {
			return;
		}
		$parents = array();
		foreach ( $stock_changes as $change ) {
			if ( ! empty( $change['parent_id'] ) ) {
				$parents[ (int) $change['parent_id'] ] = true;
			}
		}

		// Post rows and meta: every post, in chunks. The rows are read fresh (post_modified moved) with one query
		// per chunk, so that clean_post_cache()'s get_post() queries nothing; the parents of variations come with them.
		foreach ( array_chunk( $ids, self::chunk_size() ) as $chunk ) {
			foreach ( $chunk as $id ) {
				wp_cache_delete( $id, 'posts' );
				wp_cache_delete( $id, 'post_meta' );
			}
			if ( function_exists( '_prime_post_caches' ) ) {
				_prime_post_caches( $chunk, false, false );
			}
			foreach ( $chunk as $id ) {
				$post = function_exists( 'get_post' ) ? get_post( $id ) : null;
				if ( $post && 'product_variation' === $post->post_type && $post->post_parent ) {
					$parents[ (int) $post->post_parent ] = true;
				}
				if ( $post && function_exists( 'clean_post_cache' ) ) {
					clean_post_cache( $post );
				}
			}
		}
		// Parents that were not written themselves: their children (prices, stock status) changed.
		$extra = array_values( array_diff( array_keys( $parents ), $ids ) );
		foreach ( array_chunk( $extra, self::chunk_size() ) as $chunk ) {
			if ( function_exists( '_prime_post_caches' ) ) {
				_prime_post_caches( $chunk, false, false );
			}
			foreach ( $chunk as $id ) {
				$post = function_exists( 'get_post' ) ? get_post( $id ) : null;
				if ( $post && function_exists( 'clean_post_cache' ) ) {
					clean_post_cache( $post );
				}
			}
		}
		$all = array_values( array_unique( array_merge( $ids, array_keys( $parents ) ) ) );

		// WooCommerce's object cache entries (kept even without WooCommerce: they cost no statement).
		$wc_helper = class_exists( 'WC_Cache_Helper' ) && method_exists( 'WC_Cache_Helper', 'invalidate_cache_group' );
		foreach ( $all as $id ) {
			wp_cache_delete( 'woocommerce_product_' . $id, 'product' );
			wp_cache_delete( 'woocommerce_product_children_stock_status_' . $id, 'product' );
			wp_cache_delete( 'lookup_table', 'object_' . $id );
			if ( $wc_helper ) {
				WC_Cache_Helper::invalidate_cache_group( 'product_' . $id );
			}
		}
		if ( ! function_exists( 'wc_delete_product_transients' ) ) {
			return;
		}

		// WooCommerce's product transients, as wc_delete_product_transients() of each product and parent would,
		// but the shop-wide ones once and the per-product ones looked up set-based.
		foreach ( self::SHOP_TRANSIENTS as $transient ) {
			delete_transient( $transient );
		}
		self::delete_product_transients( $all );
		if ( method_exists( 'WC_Cache_Helper', 'get_transient_version' ) ) {
			WC_Cache_Helper::get_transient_version( 'product', true );
		}
		if ( has_action( 'woocommerce_delete_product_transients' ) ) {
			foreach ( $all as $id ) {
				/** This action is documented in WooCommerce's includes/wc-product-functions.php */
				do_action( 'woocommerce_delete_product_transients', $id );
			}
		}
		// The layered nav counts (WooCommerce's clear_caches() on every product save).
		if ( method_exists( 'WC_Cache_Helper', 'invalidate_attribute_count' ) && function_exists( 'wc_get_attribute_taxonomy_names' ) ) {
			WC_Cache_Helper::invalidate_attribute_count( wc_get_attribute_taxonomy_names() );
		}
		// The `outofstock` visibility term: the engines keep its count in SQL, the cached term object must follow.
		self::clean_visibility_term( $stock_changes );
		// WooCommerce 10.5's product object cache (clean_post_cache() cleared it already where the feature hooks).
		self::remove_product_objects( $all );
	}

	/**
	 * Delete WooCommerce's per-product transients of the given products. Without a persistent object cache one
	 * query per chunk finds the transients that exist and only those are deleted (delete_transient() reads the row
	 * of each name first); with one, each is a cache delete.
	 *
	 * @param int[] $ids Product ids.
	 */
	private static function delete_product_transients( array $ids ) {
		global $wpdb;
		if ( ! $ids ) {
			return;
		}
		$names = array();
		foreach ( $ids as $id ) {
			foreach ( self::PRODUCT_TRANSIENTS as $prefix ) {
				$names[] = $prefix . (int) $id;
			}
		}
		if ( wp_using_ext_object_cache() || ( function_exists( 'wp_installing' ) && wp_installing() ) || ! isset( $wpdb->options ) ) {
			foreach ( $names as $name ) {
				delete_transient( $name );
			}
			return;
		}
		foreach ( array_chunk( $names, 1000 ) as $chunk ) {
			$placeholders = implode( ',', array_fill( 0, count( $chunk ), '%s' ) );
			$option_names = array_map(
				static function ( $name ) {
					return '_transient_' . $name;
				},
				$chunk
			);
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
			$found = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name IN ({$placeholders})", $option_names ) );
			foreach ( (array) $found as $option_name ) {
				delete_transient( substr( (string) $option_name, strlen( '_transient_' ) ) );
			}
		}
	}

	/**
	 * After a stock status change, clean the cache of the `outofstock` term of product_visibility (its count, and
	 * the term queries): what wp_update_term_count() leaves after WooCommerce's own save. The term may have been
	 * created by the engine, so the term queries' cache is invalidated before it is looked up.
	 *
	 * @param array $stock_changes Stock changes.
	 */
	private static function clean_visibility_term( array $stock_changes ) {
		$changed = false;
		foreach ( $stock_changes as $change ) {
			if ( isset( $change['new_status'] ) && ( ! isset( $change['old_status'] ) || $change['old_status'] !== $change['new_status'] ) ) {
				$changed = true;
				break;
			}
		}
		if ( ! $changed || ! function_exists( 'clean_term_cache' ) || ! taxonomy_exists( 'product_visibility' ) ) {
			return;
		}
		if ( function_exists( 'wp_cache_set_last_changed' ) ) {
			wp_cache_set_last_changed( 'terms' );
		} else {
			wp_cache_set( 'last_changed', microtime(), 'terms' ); // WordPress < 6.3.
		}
		$term = get_term_by( 'slug', 'outofstock', 'product_visibility' );
		if ( $term && ! is_wp_error( $term ) ) {
			clean_term_cache( (int) $term->term_id, 'product_visibility' );
		}
	}

	/**
	 * Remove products from WooCommerce 10.5's product object cache (feature product_instance_caching), when on.
	 *
	 * @param int[] $ids Product ids.
	 */
	private static function remove_product_objects( array $ids ) {
		$cache_class = 'Automattic\\WooCommerce\\Internal\\Caches\\ProductCache';
		$features    = 'Automattic\\WooCommerce\\Utilities\\FeaturesUtil';
		if ( ! $ids || ! function_exists( 'wc_get_container' ) || ! class_exists( $cache_class ) || ! class_exists( $features ) ) {
			return;
		}
		if ( ! $features::feature_is_enabled( 'product_instance_caching' ) ) {
			return;
		}
		try {
			$cache = wc_get_container()->get( $cache_class );
		} catch ( Exception $e ) {
			return;
		}
		foreach ( $ids as $id ) {
			$cache->remove( (int) $id );
		}
	}

	/**
	 * The meta API's hooks for the rows the engine wrote, in write order (`meta_writes` of the result:
	 * [op, meta_id, post_id, meta_key, meta_value], op 'added'|'updated'|'deleted'). Each hook only when someone
	 * listens to it.
	 *
	 * @param array $writes Rows written.
	 */
	public static function fire_meta_hooks( array $writes ) {
		$listen = array();
		foreach ( array( 'added', 'updated', 'deleted' ) as $op ) {
			$listen[ $op ] = (bool) has_action( $op . '_post_meta' );
		}
		if ( ! in_array( true, $listen, true ) ) {
			return;
		}
		foreach ( $writes as $w ) {
			if ( ! is_array( $w ) || count( $w ) < 5 ) {
				continue;
			}
			list( $op, $meta_id, $post_id, $meta_key, $meta_value ) = array_values( $w );
			$op = (string) $op;
			if ( empty( $listen[ $op ] ) ) {
				continue;
			}
			if ( 'deleted' === $op ) {
				/** This action is documented in wp-includes/meta.php */
				do_action( 'deleted_post_meta', array( (int) $meta_id ), (int) $post_id, (string) $meta_key, $meta_value );
			} else {
				/** This action is documented in wp-includes/meta.php */
				do_action( "{$op}_post_meta", (int) $meta_id, (int) $post_id, (string) $meta_key, $meta_value );
			}
		}
	}

	/**
	 * For the products whose WooCommerce stock or status changed: the attributes lookup table's `in_stock`, and the
	 * actions WooCommerce's stock update and product save fire, with product objects loaded after the caches were
	 * invalidated (they hold the new values). In chunks, the posts, meta and terms of a chunk primed set-based.
	 *
	 * @param array $stock_changes Engine's stock_changes.
	 */
	public static function fire_stock_actions( array $stock_changes ) {
		if ( ! $stock_changes || ! function_exists( 'wc_get_product' ) ) {
			return;
		}
		$stock_changes = self::without_parent_managed( $stock_changes );
		$object_hooks = array(
			'woocommerce_product_set_stock',
			'woocommerce_variation_set_stock',
			'woocommerce_product_set_stock_status',
			'woocommerce_variation_set_stock_status',
			'woocommerce_update_product',
			'woocommerce_update_product_variation',
		);
		$need_objects = (bool) has_filter( 'woocommerce_product_is_in_stock' );
		foreach ( $object_hooks as $hook ) {
			$need_objects = $need_objects || (bool) has_action( $hook );
		}
		$updated_stock = (bool) has_action( 'woocommerce_updated_product_stock' );

		// Term counts of WooCommerce's recount after a stock status change: once at the end, not per product.
		$defer = function_exists( 'wp_defer_term_counting' ) && ! wp_defer_term_counting();
		if ( $defer ) {
			wp_defer_term_counting( true );
		}
		foreach ( array_chunk( $stock_changes, self::chunk_size() ) as $chunk ) {
			$products = $need_objects ? self::load_products( $chunk ) : array();
			self::update_attributes_lookup( $chunk, $products );
			foreach ( $chunk as $change ) {
				$id           = (int) $change['product_id'];
				$product      = isset( $products[ $id ] ) ? $products[ $id ] : null;
				$is_variation = isset( $change['type'] ) && 'variation' === $change['type'];
				$stock_chg    = isset( $change['new_stock'] ) && null !== $change['new_stock']
					&& ( ! isset( $change['old_stock'] ) || (string) $change['old_stock'] !== (string) $change['new_stock'] );
				$status_chg   = isset( $change['new_status'] ) && ( ! isset( $change['old_status'] ) || $change['old_status'] !== $change['new_status'] );

				if ( $stock_chg && $updated_stock ) {
					/** This action is documented in WooCommerce's data store (update_product_stock()). */
					do_action( 'woocommerce_updated_product_stock', $id );
				}
				if ( ! $product ) {
					continue;
				}
				if ( $stock_chg ) {
					do_action( $is_variation ? 'woocommerce_variation_set_stock' : 'woocommerce_product_set_stock', $product );
				}
				if ( $status_chg ) {
					do_action(
						$is_variation ? 'woocommerce_variation_set_stock_status' : 'woocommerce_product_set_stock_status',
						$id,
						$product->get_stock_status(),
						$product
					);
				}
				if ( $stock_chg || $status_chg ) {
					/** This action is documented in WooCommerce's product data stores (update()). */
					do_action( $is_variation ? 'woocommerce_update_product_variation' : 'woocommerce_update_product', $id, $product );
				}
			}
			unset( $products );
		}
		if ( $defer ) {
			wp_defer_term_counting( false );
		}
	}

	/**
	 * Drop the variations whose stock their parent manages: WooCommerce's parent save only rewrites their
	 * `_stock_status` meta and lookup row (WC_Product_Variable_Data_Store_CPT::sync_managed_variation_stock_status()),
	 * it fires no stock action and no save for them and leaves their attributes lookup rows as they are. A variation
	 * without a stock of its own (new_stock null) whose parent's stock changed in the same sync is one of those.
	 *
	 * @param array $stock_changes Engine's stock_changes.
	 * @return array
	 */
	private static function without_parent_managed( array $stock_changes ) {
		$holders = array();
		foreach ( $stock_changes as $change ) {
			if ( isset( $change['new_stock'] ) && null !== $change['new_stock'] ) {
				$holders[ (int) $change['product_id'] ] = true;
			}
		}
		$out = array();
		foreach ( $stock_changes as $change ) {
			$is_variation = isset( $change['type'] ) && 'variation' === $change['type'];
			if ( $is_variation && ( ! isset( $change['new_stock'] ) || null === $change['new_stock'] )
				&& ! empty( $change['parent_id'] ) && isset( $holders[ (int) $change['parent_id'] ] ) ) {
				continue;
			}
			$out[] = $change;
		}
		return $out;
	}

	/**
	 * Load the products of some stock changes, their posts, meta and terms (and their parents') primed first.
	 *
	 * @param array $changes Stock changes.
	 * @return WC_Product[] By id.
	 */
	private static function load_products( array $changes ) {
		$ids = array();
		foreach ( $changes as $change ) {
			$ids[ (int) $change['product_id'] ] = true;
			if ( ! empty( $change['parent_id'] ) ) {
				$ids[ (int) $change['parent_id'] ] = true;
			}
		}
		if ( function_exists( '_prime_post_caches' ) ) {
			_prime_post_caches( array_keys( $ids ), true, true );
		}
		$products = array();
		foreach ( $changes as $change ) {
			$id = (int) $change['product_id'];
			if ( ! isset( $products[ $id ] ) ) {
				$product = wc_get_product( $id );
				if ( $product ) {
					$products[ $id ] = $product;
				}
			}
		}
		return $products;
	}

	/**
	 * WooCommerce's attributes lookup table after a stock change: the `in_stock` of the product's own rows
	 * (a variation's rows and a product's rows are keyed by their own id, product_id), as
	 * LookupDataStore::update_stock_status_for() sets it from `is_in_stock()` when a save changes stock_quantity,
	 * stock_status or manage_stock. WooCommerce runs that per product, directly or queued in Action Scheduler
	 * (option woocommerce_attribute_lookup_direct_updates); here one UPDATE per chunk, directly.
	 *
	 * @param array        $changes  Stock changes of one chunk.
	 * @param WC_Product[] $products Loaded products by id (used for is_in_stock() when given).
	 */
	private static function update_attributes_lookup( array $changes, array $products ) {
		global $wpdb;
		if ( ! $changes || ! isset( $wpdb->prefix ) || ! function_exists( 'wc_get_container' ) ) {
			return;
		}
		$table = $wpdb->prefix . 'wc_product_attributes_lookup';
		if ( null === self::$attributes_lookup_exists ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			self::$attributes_lookup_exists = ( $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) ) );
		}
		if ( ! self::$attributes_lookup_exists ) {
			return;
		}
		$in  = array();
		$all = array();
		foreach ( $changes as $change ) {
			$id = (int) $change['product_id'];
			if ( $id <= 0 ) {
				continue;
			}
			if ( isset( $products[ $id ] ) ) {
				$in_stock = $products[ $id ]->is_in_stock();
			} else {
				$in_stock = 'outofstock' !== ( isset( $change['new_status'] ) ? $change['new_status'] : '' );
			}
			$all[ $id ] = true;
			if ( $in_stock ) {
				$in[ $id ] = true;
			}
		}
		if ( ! $all ) {
			return;
		}
		$all_list = implode( ',', array_map( 'intval', array_keys( $all ) ) );
		$in_list  = $in ? implode( ',', array_map( 'intval', array_keys( $in ) ) ) : '0';
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$wpdb->query( "UPDATE `{$table}` SET in_stock = IF(product_id IN ({$in_list}), 1, 0) WHERE product_id IN ({$all_list})" );
	}

	/**
	 * Forget what this request learnt about the database (tests).
	 */
	public static function reset() {
		self::$attributes_lookup_exists = null;
	}
}
