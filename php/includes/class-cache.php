<?php
/**
 * What follows a sync: caches invalidated, WooCommerce's transients and attributes lookup table kept right, the
 * hooks a product save would have fired, and our own completion action.
 *
 * Set-based, so that the statements of a request do not depend on the number of products it changed (issue 11):
 * the posts of a round are read with one query, cleaned, put back, and their meta and terms primed with one query
 * each before any product is loaded or any hook fired, so that loading a product or reading its meta in a listener
 * costs no statement; WooCommerce's transients (shop-wide and per product) are looked up with one query and the
 * ones that exist deleted with one more; WooCommerce core's own listeners that do, per product, work whose effect
 * is the same for every product are done once (see guard_listeners()). Rounds of chunk_size() posts bound the
 * memory of a large request; a request of up to chunk_size() changed posts is one round.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Cache invalidation, transients, lookup table and actions after a bulk sync.
 */
class Mulopimfwc_Bulk_Sync_Cache {

	/**
	 * Posts read, cleaned and loaded per round (bounds the memory of a large request; each round costs a few
	 * statements: posts, meta, terms, the lookup table).
	 */
	const CHUNK = 10000;

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
	 * WordPress's and WooCommerce's own listeners to the meta API's hooks, each a cache invalidation whose effect
	 * the follow-ons produce once per request or per product (not per row): wp_cache_set_posts_last_changed()
	 * (WordPress 6.3+, on all three: a new `last_changed` of the `posts` group, once) and
	 * WC_Post_Data::flush_object_meta_cache() (on updated_post_meta: the `object_{id}` cache group of the product,
	 * once per product, in clean_wc_objects()). With a persistent object cache each was one round trip per meta row.
	 * Only other listeners make the engines report the rows written (wants_meta_writes()).
	 */
	const CORE_META_LISTENERS = array(
		array( '', 'wp_cache_set_posts_last_changed' ),
		array( 'WC_Post_Data', 'flush_object_meta_cache' ),
	);

	/**
	 * The stock and save actions fired with a product object.
	 */
	const OBJECT_HOOKS = array(
		'woocommerce_product_set_stock',
		'woocommerce_variation_set_stock',
		'woocommerce_product_set_stock_status',
		'woocommerce_variation_set_stock_status',
		'woocommerce_update_product',
		'woocommerce_update_product_variation',
	);

	/**
	 * Whether the attributes lookup table exists (null: not asked yet in this request).
	 *
	 * @var bool|null
	 */
	private static $attributes_lookup_exists = null;

	/**
	 * Existing per-product transients found by the lookup of this sync: product id => option names
	 * (`_transient_...` and `_transient_timeout_...`) not deleted yet.
	 *
	 * @var array
	 */
	private static $found_transients = array();

	/**
	 * Products with a pending scheduled sale action (null: not asked yet in this sync).
	 *
	 * @var array|null
	 */
	private static $pending_sales = null;

	/**
	 * Whether WooCommerce's WC_Post_Data::flush_object_meta_cache() listens to the meta API (asked once per sync).
	 *
	 * @var bool
	 */
	private static $flush_object_meta = false;

	/**
	 * Whether the terms of the products whose actions fire are read (the recount's stand-in collects them) even when
	 * no product object is loaded.
	 *
	 * @var bool
	 */
	private static $prime_terms = false;

	/**
	 * Whether a hook has a listener that guard_listeners() did not stand in for with one that ignores the product.
	 *
	 * @param string $hook Hook name.
	 * @param array  $free Hook => priority => key => true: the stand-ins that never read the product.
	 * @return bool
	 */
	private static function has_unguarded_listener( $hook, array $free ) {
		if ( ! has_action( $hook ) ) {
			return false;
		}
		if ( ! isset( $GLOBALS['wp_filter'][ $hook ]->callbacks ) || ! is_array( $GLOBALS['wp_filter'][ $hook ]->callbacks ) ) {
			return true;
		}
		foreach ( $GLOBALS['wp_filter'][ $hook ]->callbacks as $priority => $callbacks ) {
			foreach ( array_keys( $callbacks ) as $key ) {
				if ( ! isset( $free[ $hook ][ $priority ][ $key ] ) ) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Posts per round of the follow-ons. Only memory and the number of rounds depend on it, never what is cleaned
	 * or fired.
	 *
	 * @return int
	 */
	public static function chunk_size() {
		/**
		 * Filters how many posts the follow-ons of a sync read, clean and load at a time (default 10,000).
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
			if ( self::has_other_listeners( $hook, self::CORE_META_LISTENERS ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether a hook has a listener other than the given ones.
	 *
	 * @param string $hook  Hook name.
	 * @param array  $known [class ('' for a function), method] each.
	 * @return bool
	 */
	private static function has_other_listeners( $hook, array $known ) {
		if ( ! has_action( $hook ) ) {
			return false;
		}
		if ( ! isset( $GLOBALS['wp_filter'][ $hook ]->callbacks ) || ! is_array( $GLOBALS['wp_filter'][ $hook ]->callbacks ) ) {
			return true;
		}
		foreach ( $GLOBALS['wp_filter'][ $hook ]->callbacks as $callbacks ) {
			foreach ( $callbacks as $cb ) {
				$is_known = false;
				foreach ( $known as $k ) {
					$is_known = $is_known || self::callback_is( $cb['function'], $k[0], $k[1] );
				}
				if ( ! $is_known ) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Whether one of the given listeners is registered on one of the meta API's hooks.
	 *
	 * @param string $class  Class ('' for a function).
	 * @param string $method Method or function.
	 * @return bool
	 */
	private static function meta_listener_registered( $class, $method ) {
		foreach ( self::META_HOOKS as $hook ) {
			if ( ! isset( $GLOBALS['wp_filter'][ $hook ]->callbacks ) || ! is_array( $GLOBALS['wp_filter'][ $hook ]->callbacks ) ) {
				continue;
			}
			foreach ( $GLOBALS['wp_filter'][ $hook ]->callbacks as $callbacks ) {
				foreach ( $callbacks as $cb ) {
					if ( self::callback_is( $cb['function'], $class, $method ) ) {
						return true;
					}
				}
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
		$writes  = ! empty( $result['meta_writes'] ) ? (array) $result['meta_writes'] : array();

		self::follow_ons( $ids, $changes, $writes );

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
	 * Invalidate what WordPress and WooCommerce cache for the changed products, whatever their number (no hook
	 * fired but clean_post_cache's and WooCommerce's transient ones).
	 *
	 * @param int[] $ids           Changed post ids (variations and parents included).
	 * @param array $stock_changes Stock changes (gives the parents of variations).
	 */
	public static function invalidate( array $ids, array $stock_changes = array() ) {
		self::follow_ons( $ids, $stock_changes, array(), false );
	}

	/**
	 * For the products whose WooCommerce stock or status changed: the caches, the attributes lookup table's
	 * `in_stock`, and the actions WooCommerce's stock update and product save fire (see follow_ons()).
	 *
	 * @param array $stock_changes Engine's stock_changes.
	 */
	public static function fire_stock_actions( array $stock_changes ) {
		self::follow_ons( array(), $stock_changes, array() );
	}

	/**
	 * The follow-ons, round by round.
	 *
	 * Mirrors what WooCommerce's product save leaves: clean_post_cache() of each post (post row, meta, terms, and
	 * the hook WooCommerce 10.5's product object cache listens to), the product transients of the product and of a
	 * variation's parent and the shop-wide ones (wc_delete_product_transients()), the `product_{id}` cache groups,
	 * the children stock status caches, the lookup row cache, the layered nav counts, the `outofstock` term; then
	 * the meta API's hooks of the rows written and the stock and save actions with product objects that hold the
	 * new values.
	 *
	 * @param int[] $ids     Changed post ids.
	 * @param array $changes Engine's stock_changes.
	 * @param array $writes  Engine's meta_writes.
	 * @param bool  $fire    Whether to fire the meta, stock and save actions.
	 */
	private static function follow_ons( array $ids, array $changes, array $writes, $fire = true ) {
		$queue   = array();
		$parents = array();
		foreach ( $ids as $id ) {
			if ( (int) $id > 0 ) {
				$queue[ (int) $id ] = true;
			}
		}
		foreach ( $changes as $change ) {
			if ( ! empty( $change['product_id'] ) ) {
				$queue[ (int) $change['product_id'] ] = true;
			}
			if ( ! empty( $change['parent_id'] ) ) {
				$parents[ (int) $change['parent_id'] ] = true;
			}
		}
		$queue += $parents;
		if ( ! $queue ) {
			return;
		}
		$wc = function_exists( 'wc_get_product' );

		// The stock changes to act on, by product, and what they will fire.
		$acts        = array();
		$will_update = false;
		$will_status = false;
		if ( $fire && $wc ) {
			foreach ( self::without_parent_managed( $changes ) as $change ) {
				$acts[ (int) $change['product_id'] ][] = $change;
				$status_chg                            = self::status_changed( $change );
				$will_status                           = $will_status || $status_chg;
				$will_update                           = $will_update || $status_chg || self::stock_changed( $change );
			}
		}
		$meta_hooks = $fire && $writes && self::wants_meta_writes();

		// Asked before guard_listeners() stands in for it.
		self::$flush_object_meta = $wc && self::meta_listener_registered( 'WC_Post_Data', 'flush_object_meta_cache' );
		$guards                  = $wc ? self::guard_listeners(
			array(
				'woocommerce_update_product'            => $will_update,
				'woocommerce_delete_product_transients' => (bool) has_action( 'woocommerce_delete_product_transients' ),
				'woocommerce_product_set_stock_status'  => $will_status,
				'added_post_meta'                       => $meta_hooks,
				'updated_post_meta'                     => $meta_hooks,
				'deleted_post_meta'                     => $meta_hooks,
			)
		) : array( 'restore' => array(), 'transients' => array(), 'recount' => false, 'free' => array() );

		// Product objects are loaded (their meta and terms primed first) only when a listener may use them: with
		// only WooCommerce core's listeners that guard_listeners() stood in for and that never read the product,
		// the actions fire without loading any (WooCommerce 7.9's core listeners are all of that kind).
		$need_objects = false;
		if ( $fire && $wc && $acts ) {
			$need_objects = (bool) has_filter( 'woocommerce_product_is_in_stock' );
			foreach ( self::OBJECT_HOOKS as $hook ) {
				$fires        = false !== strpos( $hook, '_status' ) ? $will_status : $will_update;
				$need_objects = $need_objects || ( $fires && self::has_unguarded_listener( $hook, $guards['free'] ) );
			}
		}
		self::$prime_terms = $guards['recount'] && 'yes' === get_option( 'woocommerce_hide_out_of_stock_items' );

		// Term counts of WooCommerce's recount after a stock status change: once at the end, not per product.
		$defer = $fire && function_exists( 'wp_defer_term_counting' ) && ! wp_defer_term_counting();
		if ( $defer ) {
			wp_defer_term_counting( true );
		}
		try {
			if ( $wc ) {
				// WooCommerce's transients: the shop-wide ones (those of wc_delete_product_transients() and the
				// equivalents of the listeners guarded), and the products' own, with one lookup and one delete.
				$shop = array_merge( self::SHOP_TRANSIENTS, $guards['transients'] );
				// The `product` transient version (WC_Cache_Helper::get_transient_version( 'product', true ) on every
				// product save) and the layered nav counts of every attribute taxonomy (its clear_caches(), through
				// invalidate_attribute_count(): one delete_transient() each at shutdown) go with them: a version
				// deleted is a new version at its next read, as one set to the time is.
				$shop[] = 'product-transient-version';
				if ( function_exists( 'wc_get_attribute_taxonomy_names' ) ) {
					foreach ( (array) wc_get_attribute_taxonomy_names() as $taxonomy ) {
						$shop[] = 'wc_layered_nav_counts_' . $taxonomy;
					}
				}
				if ( $will_status && 'yes' === get_option( 'woocommerce_hide_out_of_stock_items' ) ) {
					// The term recount after a stock status change (wc_recount_after_stock_change(), through
					// _wc_term_recount()) deletes it: deleted here with the others, so that the recount finds it gone.
					$shop[] = 'wc_term_counts';
				}
				self::delete_transients( array_values( array_unique( $shop ) ), array_keys( $queue ) );
			}
			$pending = $queue;
			$done    = array();
			$size    = self::chunk_size();
			$writes  = $meta_hooks ? array_values( $writes ) : array();
			while ( $pending ) {
				$chunk   = array_slice( array_keys( $pending ), 0, $size );
				$pending = array_diff_key( $pending, array_flip( $chunk ) );
				$more    = self::round( $chunk, $acts, $writes, $need_objects, $meta_hooks, $wc );
				foreach ( $chunk as $id ) {
					$done[ $id ] = true;
				}
				// Parents of variations found in the posts that were not written themselves: their children
				// (prices, stock status) changed.
				foreach ( $more as $id ) {
					if ( ! isset( $done[ $id ] ) ) {
						$pending[ $id ] = true;
					}
				}
			}
			// Meta rows of posts that were not in any round (none expected): their hooks all the same.
			if ( $writes ) {
				self::fire_meta_hooks( $writes );
			}
			if ( $guards['recount'] ) {
				self::recount_collected_terms();
			}
			// The `outofstock` visibility term: the engines keep its count in SQL, the cached term object must follow.
			self::clean_visibility_term( $changes );
		} finally {
			self::restore_listeners( $guards['restore'] );
			if ( $defer ) {
				wp_defer_term_counting( false );
			}
			self::$found_transients = array();
			self::$pending_sales    = null;
			self::$recount_terms    = array();
			self::$prime_terms      = false;
		}
	}

	/**
	 * One round: the posts read with one query, cleaned and put back, their meta and terms primed (one query
	 * each), WooCommerce's object caches cleaned, then the meta API's hooks of their rows and their stock and save
	 * actions.
	 *
	 * @param int[] $chunk        Post ids of the round.
	 * @param array $acts         Stock changes by product id (taken from as they are fired).
	 * @param array $writes       Meta rows not fired yet (those of the round are taken out).
	 * @param bool  $need_objects Whether the actions need product objects.
	 * @param bool  $meta_hooks   Whether the meta API's hooks are fired.
	 * @param bool  $wc           Whether WooCommerce is active.
	 * @return int[] Parents of variations of the round not asked for.
	 */
	private static function round( array $chunk, array &$acts, array &$writes, $need_objects, $meta_hooks, $wc ) {
		self::cache_delete_ids( $chunk, 'posts' );
		self::cache_delete_ids( $chunk, 'post_meta' );
		// The rows read fresh (post_modified moved) with one query, so that clean_post_cache() queries nothing.
		_prime_post_caches( $chunk, false, false );
		$posts   = array();
		$parents = array();
		$in      = array_flip( $chunk );
		foreach ( $chunk as $id ) {
			$post = get_post( $id );
			if ( ! $post ) {
				continue;
			}
			$posts[ $id ] = $post;
			if ( 'product_variation' === $post->post_type && $post->post_parent && ! isset( $in[ (int) $post->post_parent ] ) ) {
				$parents[ (int) $post->post_parent ] = true;
			}
		}
		self::clean_posts( $posts );
		// The same rows back into the cache (clean_post_cache() dropped them): reading them again would give them.
		if ( $posts ) {
			update_post_cache( $posts );
		}
		if ( $wc ) {
			self::clean_wc_objects( $chunk );
			if ( has_action( 'woocommerce_delete_product_transients' ) ) {
				foreach ( $chunk as $id ) {
					/** This action is documented in WooCommerce's includes/wc-product-functions.php */
					do_action( 'woocommerce_delete_product_transients', $id );
				}
			}
		}

		$round_acts = array();
		foreach ( $chunk as $id ) {
			if ( isset( $acts[ $id ] ) ) {
				$round_acts = array_merge( $round_acts, $acts[ $id ] );
				unset( $acts[ $id ] );
			}
		}
		$round_writes = array();
		if ( $writes ) {
			$rest = array();
			foreach ( $writes as $w ) {
				$w_arr = is_array( $w ) ? array_values( $w ) : array();
				if ( isset( $w_arr[2] ) && isset( $in[ (int) $w_arr[2] ] ) ) {
					$round_writes[] = $w;
				} else {
					$rest[] = $w;
				}
			}
			$writes = $rest;
		}
		$load = ( $need_objects && $round_acts ) || $round_writes;
		if ( $load ) {
			// Meta and terms of the round (and of the parents its variations read) primed set-based, so that a
			// product loaded or a meta value read by a listener costs no statement.
			$prime = $chunk;
			foreach ( $round_acts as $change ) {
				if ( ! empty( $change['parent_id'] ) && ! isset( $in[ (int) $change['parent_id'] ] ) ) {
					$prime[] = (int) $change['parent_id'];
				}
			}
			$prime = array_values( array_unique( array_merge( $prime, array_keys( $parents ) ) ) );
			_prime_post_caches( $prime, false, false );
			update_meta_cache( 'post', $prime );
			self::prime_terms( $prime );
			if ( $wc ) {
				self::seed_missing_transients( $prime );
			}
		} elseif ( $round_acts && self::$prime_terms ) {
			// No product object, but the recount's stand-in reads the products' categories and tags.
			self::prime_terms( array_keys( $posts ) );
		}
		if ( $round_writes ) {
			self::fire_meta_hooks( $round_writes );
		}
		if ( $round_acts ) {
			self::fire_round_actions( $round_acts, $need_objects );
		}
		// A large request: what this round put into the (non persistent) object cache is let go before the next.
		if ( count( $chunk ) >= self::chunk_size() && ! wp_using_ext_object_cache() ) {
			foreach ( $chunk as $id ) {
				wp_cache_delete( $id, 'posts' );
				wp_cache_delete( $id, 'post_meta' );
			}
			self::unseed_missing_transients();
		}
		return array_keys( $parents );
	}

	/**
	 * The term relationships of some posts (in the post cache) primed with one query per post type.
	 *
	 * @param int[] $ids Post ids.
	 */
	private static function prime_terms( array $ids ) {
		$by_type = array();
		foreach ( $ids as $id ) {
			$post = get_post( $id );
			if ( $post ) {
				$by_type[ $post->post_type ][] = (int) $id;
			}
		}
		// WooCommerce's wc_change_term_counts() (a `get_terms` filter) rebuilds its wc_term_counts transient
		// when the terms it adjusts are read and the transient is missing; it only changes the count on the
		// term objects returned, which priming throws away (the caches keep ids and raw terms): left out here,
		// so that priming costs the same whatever the last request left.
		$tc_priority = has_filter( 'get_terms', 'wc_change_term_counts' );
		if ( false !== $tc_priority ) {
			remove_filter( 'get_terms', 'wc_change_term_counts', $tc_priority );
		}
		foreach ( $by_type as $type => $type_ids ) {
			if ( get_object_taxonomies( $type ) ) {
				update_object_term_cache( $type_ids, $type );
			}
		}
		if ( false !== $tc_priority ) {
			add_filter( 'get_terms', 'wc_change_term_counts', $tc_priority, 2 );
		}
	}

	/**
	 * Delete keys of one cache group: with wp_cache_delete_multiple() where WordPress has it (6.0+; one pipelined
	 * round trip with a persistent object cache that supports it), else key by key.
	 *
	 * @param array  $keys  Cache keys.
	 * @param string $group Cache group.
	 */
	private static function cache_delete_ids( array $keys, $group ) {
		if ( ! $keys ) {
			return;
		}
		if ( function_exists( 'wp_cache_delete_multiple' ) ) {
			wp_cache_delete_multiple( $keys, $group );
			return;
		}
		foreach ( $keys as $key ) {
			wp_cache_delete( $key, $group );
		}
	}

	/**
	 * What clean_post_cache() does for each post, with the keys of all the posts deleted together: the post rows
	 * and meta (wp_cache_delete_multiple()), the term relationships (clean_object_term_cache() once per post type,
	 * or per post when someone listens to its action, as clean_post_cache() fires it), `wp_get_archives` once, the
	 * `clean_post_cache` (and `clean_page_cache`) action for each post, and the posts' `last_changed` once at the
	 * end. Without wp_cache_delete_multiple() (WordPress < 6.0), clean_post_cache() for each post.
	 *
	 * @param WP_Post[] $posts Posts by id.
	 */
	private static function clean_posts( array $posts ) {
		global $_wp_suspend_cache_invalidation;
		if ( ! $posts || ! empty( $_wp_suspend_cache_invalidation ) ) {
			return;
		}
		if ( ! function_exists( 'wp_cache_delete_multiple' ) ) {
			foreach ( $posts as $post ) {
				clean_post_cache( $post );
			}
			return;
		}
		$ids     = array();
		$by_type = array();
		foreach ( $posts as $post ) {
			$ids[]                         = (int) $post->ID;
			$by_type[ $post->post_type ][] = (int) $post->ID;
		}
		wp_cache_delete_multiple( $ids, 'posts' );
		wp_cache_delete_multiple( $ids, 'post_meta' );
		$term_listeners = (bool) has_action( 'clean_object_term_cache' );
		foreach ( $by_type as $type => $type_ids ) {
			if ( $term_listeners ) {
				foreach ( $type_ids as $id ) {
					clean_object_term_cache( $id, $type );
				}
			} else {
				clean_object_term_cache( $type_ids, $type );
			}
		}
		wp_cache_delete( 'wp_get_archives', 'general' );
		foreach ( $posts as $post ) {
			/** This action is documented in wp-includes/post.php */
			do_action( 'clean_post_cache', $post->ID, $post );
			if ( 'page' === $post->post_type ) {
				wp_cache_delete( 'all_page_ids', 'posts' );
				/** This action is documented in wp-includes/post.php */
				do_action( 'clean_page_cache', $post->ID );
			}
		}
		if ( function_exists( 'wp_cache_set_posts_last_changed' ) ) {
			wp_cache_set_posts_last_changed();
		} else {
			wp_cache_set( 'last_changed', microtime(), 'posts' );
		}
	}

	/**
	 * WooCommerce's object cache entries of some products (they cost no statement).
	 *
	 * @param int[] $ids Product ids.
	 */
	private static function clean_wc_objects( array $ids ) {
		$wc_helper = class_exists( 'WC_Cache_Helper' ) && method_exists( 'WC_Cache_Helper', 'invalidate_cache_group' );
		$product_keys = array();
		foreach ( $ids as $id ) {
			$product_keys[] = 'woocommerce_product_' . $id;
			$product_keys[] = 'woocommerce_product_children_stock_status_' . $id;
		}
		self::cache_delete_ids( $product_keys, 'product' );
		// The lookup row cache, and the `object_{id}` group as WC_Post_Data::flush_object_meta_cache() invalidates it
		// for a meta row updated (once per product here: see CORE_META_LISTENERS); deleting the group's prefix key
		// invalidates it as a new prefix does, and both keys go in one call.
		$flush_object = $wc_helper && self::$flush_object_meta;
		foreach ( $ids as $id ) {
			$object_keys = $flush_object ? array( 'lookup_table', 'wc_object_' . $id . '_cache_prefix' ) : array( 'lookup_table' );
			self::cache_delete_ids( $object_keys, 'object_' . $id );
			if ( $wc_helper ) {
				WC_Cache_Helper::invalidate_cache_group( 'product_' . $id );
			}
		}
		// WooCommerce 10.5's product object cache (clean_post_cache() cleared it already where the feature hooks).
		self::remove_product_objects( $ids );
		// Transients of parents found in this round's posts (a variation written without its parent).
		$names = array();
		foreach ( $ids as $id ) {
			if ( isset( self::$found_transients[ $id ] ) ) {
				$names = array_merge( $names, self::$found_transients[ $id ] );
				unset( self::$found_transients[ $id ] );
			}
		}
		if ( $names ) {
			self::delete_options( $names, array_fill_keys( $names, true ) );
		}
	}

	/**
	 * Whether a stock change moved the stock status.
	 *
	 * @param array $change Stock change.
	 * @return bool
	 */
	private static function status_changed( array $change ) {
		return isset( $change['new_status'] ) && ( ! isset( $change['old_status'] ) || $change['old_status'] !== $change['new_status'] );
	}

	/**
	 * Whether a stock change moved the stock quantity.
	 *
	 * @param array $change Stock change.
	 * @return bool
	 */
	private static function stock_changed( array $change ) {
		return isset( $change['new_stock'] ) && null !== $change['new_stock']
			&& ( ! isset( $change['old_stock'] ) || (string) $change['old_stock'] !== (string) $change['new_stock'] );
	}

	/**
	 * The stock and save actions of one round, with product objects loaded from the primed caches (they hold the
	 * new values), and the attributes lookup table's `in_stock` (one UPDATE).
	 *
	 * @param array $changes      Stock changes of the round.
	 * @param bool  $need_objects Whether someone listens to the actions that carry a product.
	 */
	private static function fire_round_actions( array $changes, $need_objects ) {
		$updated_stock = (bool) has_action( 'woocommerce_updated_product_stock' );
		$products      = array();
		if ( $need_objects ) {
			foreach ( $changes as $change ) {
				$id = (int) $change['product_id'];
				if ( ! isset( $products[ $id ] ) ) {
					$product = wc_get_product( $id );
					if ( $product ) {
						$products[ $id ] = $product;
					}
				}
			}
		}
		self::update_attributes_lookup( $changes, $products );
		foreach ( $changes as $change ) {
			$id           = (int) $change['product_id'];
			$product      = isset( $products[ $id ] ) ? $products[ $id ] : null;
			$is_variation = isset( $change['type'] ) && 'variation' === $change['type'];
			$stock_chg    = self::stock_changed( $change );
			$status_chg   = self::status_changed( $change );

			if ( $stock_chg && $updated_stock ) {
				/** This action is documented in WooCommerce's data store (update_product_stock()). */
				do_action( 'woocommerce_updated_product_stock', $id );
			}
			if ( ! $product && $need_objects ) {
				continue; // Gone since the write.
			}
			// Without objects (see follow_ons()) the listeners are stand-ins that ignore the product.
			if ( $stock_chg ) {
				do_action( $is_variation ? 'woocommerce_variation_set_stock' : 'woocommerce_product_set_stock', $product );
			}
			if ( $status_chg ) {
				do_action(
					$is_variation ? 'woocommerce_variation_set_stock_status' : 'woocommerce_product_set_stock_status',
					$id,
					$product ? $product->get_stock_status() : (string) $change['new_status'],
					$product
				);
			}
			if ( $stock_chg || $status_chg ) {
				/** This action is documented in WooCommerce's product data stores (update()). */
				do_action( $is_variation ? 'woocommerce_update_product_variation' : 'woocommerce_update_product', $id, $product );
			}
		}
	}

	/**
	 * WooCommerce core's own listeners of the actions fired here that do, for each product, work whose effect is
	 * the same for every product (a shop-wide transient deleted, a cache version bumped), or nothing at all for
	 * most products. While the follow-ons run, each one found registered is replaced in its place (same hook,
	 * priority and position) by a stand-in; restore_listeners() puts it back. Third-party listeners are never
	 * touched. Each stand-in leaves the end state the listener leaves:
	 *
	 * - Automattic\WooCommerce\Admin\ReportsSync::clear_stock_count_cache() on woocommerce_update_product
	 *   (WooCommerce 7.9 and 10.5): deletes the transients wc_admin_stock_count_lowstock, wc_admin_product_count and
	 *   wc_admin_stock_count_{status} for every stock status, whatever the product: deleted once here, with the
	 *   other transients (one lookup, one delete), when the action is fired at least once;
	 * - WC_Brands::invalidate_wc_layered_nav_counts_cache() on woocommerce_update_product (10.5): deletes the
	 *   transient wc_layered_nav_counts_product_brand: the same;
	 * - Automattic\WooCommerce\Blocks\BlockTypesController::delete_product_transients() on
	 *   woocommerce_delete_product_transients (10.5): deletes the transient wc_blocks_has_downloadable_product: the
	 *   same;
	 * - WC_Post_Data::delete_product_query_transients() on woocommerce_product_set_stock_status (7.9, 10.5): sets
	 *   the `product_query` transient version to the time, whatever the product: that transient is deleted once
	 *   here with the others (the next read of the version makes a new one);
	 * - Automattic\WooCommerce\Internal\ProductFilters\CacheController::invalidate_filter_data_cache() on
	 *   woocommerce_delete_product_transients (10.5): bumps a transient version and invalidates a cache group, no
	 *   argument: run once;
	 * - wc_maybe_schedule_product_sale_events() on woocommerce_update_product (10.5): unschedules the product's
	 *   pending scheduled-sale actions (two Action Scheduler queries) and schedules new ones when the product has
	 *   sale dates: run for the products that have sale dates or a pending sale action (one query tells which);
	 *   for the others it finds nothing to unschedule and schedules nothing;
	 * - wc_recount_after_stock_change() on woocommerce_product_set_stock_status (7.9; 10.5 defers to
	 *   wp_update_term_count() while term counting is deferred, as it is here, and is left alone): with "Hide out of
	 *   stock items" on, recounts the product_cat and product_tag terms of the product (_wc_term_recount(), which
	 *   counts each term from the database, not by increments): the terms of every product are collected (from the
	 *   primed term cache) and recounted once per taxonomy at the end, which leaves the counts a recount after the
	 *   last product leaves; the statements then follow the number of distinct terms, not of products.
	 *
	 * @param array $will_fire Hook => whether the follow-ons fire it at least once.
	 * @return array 'restore' => what restore_listeners() needs, 'transients' => transients to delete once.
	 */
	private static function guard_listeners( array $will_fire ) {
		$specs = array(
			array( 'woocommerce_update_product', 'Automattic\\WooCommerce\\Admin\\ReportsSync', 'clear_stock_count_cache', 'skip' ),
			array( 'woocommerce_update_product', 'WC_Brands', 'invalidate_wc_layered_nav_counts_cache', 'skip' ),
			array( 'woocommerce_delete_product_transients', 'Automattic\\WooCommerce\\Blocks\\BlockTypesController', 'delete_product_transients', 'skip' ),
			array( 'woocommerce_product_set_stock_status', 'WC_Post_Data', 'delete_product_query_transients', 'skip' ),
			array( 'woocommerce_delete_product_transients', 'Automattic\\WooCommerce\\Internal\\ProductFilters\\CacheController', 'invalidate_filter_data_cache', 'once' ),
			array( 'woocommerce_update_product', '', 'wc_maybe_schedule_product_sale_events', 'sales' ),
			array( 'woocommerce_product_set_stock_status', '', 'wc_recount_after_stock_change', 'recount' ),
		);
		foreach ( self::META_HOOKS as $hook ) {
			foreach ( self::CORE_META_LISTENERS as $listener ) {
				$specs[] = array( $hook, $listener[0], $listener[1], 'done' );
			}
		}
		$out = array(
			'restore'    => array(),
			'transients' => array(),
			'recount'    => false,
			'free'       => array(),
		);
		if ( ! isset( $GLOBALS['wp_filter'] ) || ! is_array( $GLOBALS['wp_filter'] ) ) {
			return $out;
		}
		foreach ( $specs as $spec ) {
			list( $hook, $class, $method, $mode ) = $spec;
			if ( empty( $will_fire[ $hook ] ) || ! isset( $GLOBALS['wp_filter'][ $hook ] ) || ! is_object( $GLOBALS['wp_filter'][ $hook ] ) || ! isset( $GLOBALS['wp_filter'][ $hook ]->callbacks ) ) {
				continue;
			}
			foreach ( $GLOBALS['wp_filter'][ $hook ]->callbacks as $priority => $callbacks ) {
				foreach ( $callbacks as $key => $cb ) {
					if ( ! self::callback_is( $cb['function'], $class, $method ) ) {
						continue;
					}
					$original = $cb['function'];
					if ( 'done' === $mode ) {
						// Its effect is produced once by the round (clean_posts(), clean_wc_objects()).
						$stand_in = static function () {};
					} elseif ( 'skip' === $mode ) {
						$stand_in = static function () {};
						if ( 'clear_stock_count_cache' === $method ) {
							$out['transients'][] = 'wc_admin_stock_count_lowstock';
							$out['transients'][] = 'wc_admin_product_count';
							$statuses            = function_exists( 'wc_get_product_stock_status_options' ) ? wc_get_product_stock_status_options() : array();
							foreach ( array_keys( (array) $statuses ) as $status ) {
								$out['transients'][] = 'wc_admin_stock_count_' . $status;
							}
						} elseif ( 'delete_product_query_transients' === $method ) {
							$out['transients'][] = 'product_query-transient-version';
						} elseif ( 'invalidate_wc_layered_nav_counts_cache' === $method ) {
							$out['transients'][] = 'wc_layered_nav_counts_' . sanitize_title( 'product_brand' );
						} else {
							$out['transients'][] = 'wc_blocks_has_downloadable_product';
						}
					} elseif ( 'once' === $mode ) {
						$state      = new stdClass();
						$state->ran = false;
						$stand_in   = static function ( ...$args ) use ( $original, $state ) {
							if ( ! $state->ran ) {
								$state->ran = true;
								call_user_func_array( $original, $args );
							}
						};
					} elseif ( 'recount' === $mode ) {
						if ( ! self::recounts_per_product() ) {
							continue;
						}
						$stand_in = static function ( $product_id ) {
							self::collect_recount_terms( (int) $product_id );
						};
						$out['recount'] = true;
					} else {
						$stand_in = static function ( ...$args ) use ( $original ) {
							$product = isset( $args[1] ) && is_object( $args[1] ) ? $args[1] : null;
							$id      = isset( $args[0] ) ? (int) $args[0] : 0;
							if ( $product && method_exists( $product, 'get_date_on_sale_from' )
								&& ! $product->get_date_on_sale_from( 'edit' ) && ! $product->get_date_on_sale_to( 'edit' )
								&& ! isset( self::pending_sales()[ $id ] ) ) {
								return;
							}
							call_user_func_array( $original, $args );
						};
					}
					$GLOBALS['wp_filter'][ $hook ]->callbacks[ $priority ][ $key ]['function'] = $stand_in;
					$out['restore'][] = array( $hook, $priority, $key, $original );
					if ( 'sales' !== $mode ) {
						// A stand-in that never reads the product it is given.
						$out['free'][ $hook ][ $priority ][ $key ] = true;
					}
				}
			}
		}
		$out['transients'] = array_values( array_unique( $out['transients'] ) );
		return $out;
	}

	/**
	 * Put back the listeners guard_listeners() stood in for.
	 *
	 * @param array $restore [hook, priority, key, callback] each.
	 */
	private static function restore_listeners( array $restore ) {
		foreach ( $restore as $r ) {
			list( $hook, $priority, $key, $original ) = $r;
			if ( isset( $GLOBALS['wp_filter'][ $hook ]->callbacks[ $priority ][ $key ] ) ) {
				$GLOBALS['wp_filter'][ $hook ]->callbacks[ $priority ][ $key ]['function'] = $original;
			}
		}
	}

	/**
	 * Whether a registered callback is Class::method (static or on an instance) or the function $method.
	 *
	 * @param mixed  $cb     Callback.
	 * @param string $class  Class name ('' for a function).
	 * @param string $method Method or function name.
	 * @return bool
	 */
	private static function callback_is( $cb, $class, $method ) {
		if ( '' === $class ) {
			return is_string( $cb ) && $cb === $method;
		}
		if ( is_string( $cb ) ) {
			return strtolower( $cb ) === strtolower( $class . '::' . $method );
		}
		if ( is_array( $cb ) && 2 === count( $cb ) && isset( $cb[0], $cb[1] ) && is_string( $cb[1] ) ) {
			$owner = is_object( $cb[0] ) ? get_class( $cb[0] ) : ( is_string( $cb[0] ) ? ltrim( $cb[0], '\\' ) : '' );
			return 0 === strcasecmp( $owner, $class ) && 0 === strcasecmp( $cb[1], $method );
		}
		return false;
	}

	/**
	 * Terms to recount once (taxonomy => term id => parent), collected by the stand-in of
	 * wc_recount_after_stock_change().
	 *
	 * @var array
	 */
	private static $recount_terms = array();

	/**
	 * Whether this WooCommerce's wc_recount_after_stock_change() recounts right away for each product (7.9) rather
	 * than through wp_update_term_count() when term counting is deferred (10.5).
	 *
	 * @return bool
	 */
	private static function recounts_per_product() {
		static $per_product = null;
		if ( null === $per_product ) {
			$per_product = false;
			try {
				$fn   = new ReflectionFunction( 'wc_recount_after_stock_change' );
				$file = $fn->getFileName();
				if ( $file && is_readable( $file ) ) {
					$lines       = array_slice( file( $file ), $fn->getStartLine() - 1, $fn->getEndLine() - $fn->getStartLine() + 1 );
					$per_product = false === strpos( implode( '', $lines ), 'wp_defer_term_counting' );
				}
			} catch ( ReflectionException $e ) {
				$per_product = false;
			}
		}
		return $per_product;
	}

	/**
	 * The stand-in of wc_recount_after_stock_change(): the product's product_cat and product_tag terms, when "Hide
	 * out of stock items" is on (the listener's own condition).
	 *
	 * @param int $product_id Product id.
	 */
	private static function collect_recount_terms( $product_id ) {
		if ( ! $product_id || 'yes' !== get_option( 'woocommerce_hide_out_of_stock_items' ) ) {
			return;
		}
		foreach ( array( 'product_cat', 'product_tag' ) as $taxonomy ) {
			$terms = get_the_terms( $product_id, $taxonomy );
			if ( $terms && ! is_wp_error( $terms ) ) {
				foreach ( $terms as $term ) {
					self::$recount_terms[ $taxonomy ][ (int) $term->term_id ] = (int) $term->parent;
				}
			}
		}
	}

	/**
	 * The terms collected by collect_recount_terms() recounted once per taxonomy, as _wc_recount_terms_by_product()
	 * recounts them for one product.
	 */
	private static function recount_collected_terms() {
		if ( ! function_exists( '_wc_term_recount' ) ) {
			return;
		}
		foreach ( self::$recount_terms as $taxonomy => $terms ) {
			$tax = get_taxonomy( $taxonomy );
			if ( $terms && $tax ) {
				_wc_term_recount( $terms, $tax, false, false );
			}
		}
		self::$recount_terms = array();
	}

	/**
	 * Products with a pending scheduled-sale action of WooCommerce (one query, the first time it is asked).
	 *
	 * @return array Product id => true.
	 */
	private static function pending_sales() {
		global $wpdb;
		if ( null !== self::$pending_sales ) {
			return self::$pending_sales;
		}
		self::$pending_sales = array();
		$table               = $wpdb->prefix . 'actionscheduler_actions';
		$wpdb->suppress_errors( true );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$rows = $wpdb->get_col( "SELECT args FROM `{$table}` WHERE hook IN ('wc_product_start_scheduled_sale', 'wc_product_end_scheduled_sale') AND status = 'pending'" );
		$wpdb->suppress_errors( false );
		foreach ( (array) $rows as $args ) {
			$a = json_decode( (string) $args, true );
			if ( is_array( $a ) && isset( $a['product_id'] ) ) {
				self::$pending_sales[ (int) $a['product_id'] ] = true;
			}
		}
		return self::$pending_sales;
	}

	/**
	 * Delete WooCommerce transients: the given shop-wide names and the per-product ones of the given products.
	 *
	 * Without a persistent object cache, one query finds which of them exist (the per-product ones by prefix, so
	 * the query does not grow with the products) and one statement deletes those of these products; the options
	 * cache (alloptions, the option's own entry, notoptions) is brought to what delete_option() leaves, and the
	 * hooks delete_transient() and delete_option() fire are fired for each deleted one (where anyone listens;
	 * after the delete). Per-product transients found for products not given (parents seen later) are kept in
	 * $found_transients. With a persistent object cache, transients live there: delete_transient() of each, no
	 * statement.
	 *
	 * @param string[] $shop Shop-wide transient names.
	 * @param int[]    $ids  Product ids.
	 */
	private static function delete_transients( array $shop, array $ids ) {
		global $wpdb;
		if ( wp_using_ext_object_cache() && function_exists( 'wp_cache_delete_multiple' ) ) {
			// What delete_transient() does with a persistent object cache, for all the names at once.
			$names = $shop;
			foreach ( $ids as $id ) {
				foreach ( self::PRODUCT_TRANSIENTS as $prefix ) {
					$names[] = $prefix . (int) $id;
				}
			}
			$deleted = wp_cache_delete_multiple( $names, 'transient' );
			$after   = (bool) has_action( 'deleted_transient' );
			foreach ( $names as $name ) {
				if ( has_action( "delete_transient_{$name}" ) ) {
					/** This action is documented in wp-includes/option.php */
					do_action( "delete_transient_{$name}", $name );
				}
				if ( $after && ! empty( $deleted[ $name ] ) ) {
					/** This action is documented in wp-includes/option.php */
					do_action( 'deleted_transient', $name );
				}
			}
			return;
		}
		if ( wp_using_ext_object_cache() || ( function_exists( 'wp_installing' ) && wp_installing() ) || ! isset( $wpdb->options ) ) {
			foreach ( $shop as $name ) {
				delete_transient( $name );
			}
			foreach ( $ids as $id ) {
				foreach ( self::PRODUCT_TRANSIENTS as $prefix ) {
					delete_transient( $prefix . (int) $id );
				}
			}
			return;
		}
		$exact = array();
		foreach ( $shop as $name ) {
			$exact[] = '_transient_' . $name;
			$exact[] = '_transient_timeout_' . $name;
		}
		$where = array();
		if ( $exact ) {
			$where[] = $wpdb->prepare( 'option_name IN (' . implode( ',', array_fill( 0, count( $exact ), '%s' ) ) . ')', $exact ); // phpcs:ignore WordPress.DB.PreparedSQLPlaceholders
		}
		foreach ( self::PRODUCT_TRANSIENTS as $prefix ) {
			foreach ( array( '_transient_', '_transient_timeout_' ) as $kind ) {
				$where[] = $wpdb->prepare( 'option_name LIKE %s', $wpdb->esc_like( $kind . $prefix ) . '%' );
			}
		}
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$rows   = $wpdb->get_results( "SELECT option_name, autoload FROM {$wpdb->options} WHERE " . implode( ' OR ', $where ), ARRAY_N );
		$want   = array_flip( array_map( 'intval', $ids ) );
		$delete = array();
		$auto   = array();
		$found  = array();
		foreach ( (array) $rows as $row ) {
			$name = (string) $row[0];
			if ( in_array( $name, $exact, true ) ) {
				$delete[]        = $name;
				$auto[ $name ]   = $row[1];
				continue;
			}
			$bare = preg_replace( '/^_transient_(timeout_)?/', '', $name );
			foreach ( self::PRODUCT_TRANSIENTS as $prefix ) {
				if ( 0 === strpos( $bare, $prefix ) && ctype_digit( substr( $bare, strlen( $prefix ) ) ) ) {
					$id = (int) substr( $bare, strlen( $prefix ) );
					if ( isset( $want[ $id ] ) ) {
						$delete[]      = $name;
						$auto[ $name ] = $row[1];
					} else {
						$found[ $id ][] = $name;
					}
					break;
				}
			}
		}
		self::$found_transients = $found;
		// Nothing else needs them: those not found are known not to exist (notoptions), as after delete_option().
		self::add_notoptions( $exact );
		// Always one DELETE (of the shop-wide names at least), so that the statements of a sync do not depend on
		// which transients the shop's traffic happened to leave.
		self::delete_options( $delete ? array_merge( $delete, $exact ) : $exact, $auto );
	}

	/**
	 * Delete option rows in one statement (per 2,000 names) and leave the options cache and hooks as
	 * delete_transient() / delete_option() do.
	 *
	 * @param string[] $names    Option names.
	 * @param array    $autoload Name => autoload value ('yes', 'on', ... as read), when known.
	 */
	private static function delete_options( array $names, array $autoload ) {
		global $wpdb;
		$names = array_values( array_unique( $names ) );
		if ( ! $names ) {
			return;
		}
		foreach ( array_chunk( $names, 2000 ) as $chunk ) {
			$placeholders = implode( ',', array_fill( 0, count( $chunk ), '%s' ) );
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQLPlaceholders
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name IN ({$placeholders})", $chunk ) );
		}
		$alloptions = wp_cache_get( 'alloptions', 'options' );
		$all_change = false;
		foreach ( $names as $name ) {
			if ( is_array( $alloptions ) && isset( $alloptions[ $name ] ) ) {
				unset( $alloptions[ $name ] );
				$all_change = true;
			}
			wp_cache_delete( $name, 'options' );
		}
		if ( $all_change ) {
			wp_cache_set( 'alloptions', $alloptions, 'options' );
		}
		self::add_notoptions( $names );
		foreach ( $names as $name ) {
			if ( 0 !== strpos( $name, '_transient_' ) || 0 === strpos( $name, '_transient_timeout_' ) || ! isset( $autoload[ $name ] ) ) {
				continue; // Hooks only for the transients that existed (what delete_transient() fires after a delete).
			}
			$transient = substr( $name, strlen( '_transient_' ) );
			if ( has_action( 'delete_transient_' . $transient ) ) {
				/** This action is documented in wp-includes/option.php */
				do_action( "delete_transient_{$transient}", $transient );
			}
			foreach ( array( $name, '_transient_timeout_' . $transient ) as $option ) {
				if ( ! isset( $autoload[ $option ] ) ) {
					continue;
				}
				if ( has_action( 'delete_option' ) ) {
					/** This action is documented in wp-includes/option.php */
					do_action( 'delete_option', $option );
				}
				if ( has_action( "delete_option_{$option}" ) ) {
					/** This action is documented in wp-includes/option.php */
					do_action( "delete_option_{$option}", $option );
				}
				if ( has_action( 'deleted_option' ) ) {
					/** This action is documented in wp-includes/option.php */
					do_action( 'deleted_option', $option );
				}
			}
			if ( has_action( 'deleted_transient' ) ) {
				/** This action is documented in wp-includes/option.php */
				do_action( 'deleted_transient', $transient );
			}
		}
	}

	/**
	 * Names added to notoptions by seed_missing_transients() (taken out again between rounds).
	 *
	 * @var string[]
	 */
	private static $seeded = array();

	/**
	 * Record option names as known not to exist (WordPress's `notoptions` cache, as get_option() does after a
	 * miss), so that reading them costs no statement.
	 *
	 * @param string[] $names Option names.
	 * @return string[] The names added.
	 */
	private static function add_notoptions( array $names ) {
		if ( ! $names || wp_using_ext_object_cache() ) {
			return array();
		}
		$notoptions = wp_cache_get( 'notoptions', 'options' );
		$notoptions = is_array( $notoptions ) ? $notoptions : array();
		$added      = array();
		foreach ( $names as $name ) {
			if ( ! isset( $notoptions[ $name ] ) ) {
				$notoptions[ $name ] = true;
				$added[]             = $name;
			}
		}
		if ( $added ) {
			wp_cache_set( 'notoptions', $notoptions, 'options' );
		}
		return $added;
	}

	/**
	 * The per-product transients of products about to be loaded are known not to exist (the lookup saw them all
	 * and the ones of changed products were deleted): recorded in notoptions, so that WooCommerce's reads of them
	 * while loading a product (a variable product's children, its prices) cost no statement.
	 *
	 * @param int[] $ids Product ids.
	 */
	private static function seed_missing_transients( array $ids ) {
		if ( wp_using_ext_object_cache() ) {
			return;
		}
		$names = array();
		foreach ( $ids as $id ) {
			if ( isset( self::$found_transients[ $id ] ) ) {
				continue;
			}
			$post = get_post( $id );
			if ( ! $post || 'product' !== $post->post_type ) {
				continue;
			}
			foreach ( self::PRODUCT_TRANSIENTS as $prefix ) {
				$names[] = '_transient_timeout_' . $prefix . (int) $id;
				$names[] = '_transient_' . $prefix . (int) $id;
			}
		}
		self::$seeded = array_merge( self::$seeded, self::add_notoptions( $names ) );
	}

	/**
	 * Take the names seed_missing_transients() added out of notoptions again (between rounds, for memory).
	 */
	private static function unseed_missing_transients() {
		if ( ! self::$seeded ) {
			return;
		}
		$notoptions = wp_cache_get( 'notoptions', 'options' );
		if ( is_array( $notoptions ) ) {
			foreach ( self::$seeded as $name ) {
				unset( $notoptions[ $name ] );
			}
			wp_cache_set( 'notoptions', $notoptions, 'options' );
		}
		self::$seeded = array();
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
			// Only the term's count changed: not the taxonomy's hierarchy or term list (no clean_taxonomy_cache()).
			clean_term_cache( (int) $term->term_id, 'product_visibility', false );
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
		self::$found_transients         = array();
		self::$pending_sales            = null;
		self::$seeded                   = array();
		self::$recount_terms            = array();
	}
}
