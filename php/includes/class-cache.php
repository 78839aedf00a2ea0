<?php
/**
 * What to do after a sync: invalidate caches, fire WooCommerce's stock actions and our own.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Cache invalidation and actions after a bulk sync.
 */
class Mulopimfwc_Bulk_Sync_Cache {

	/**
	 * Everything that follows a successful sync.
	 *
	 * @param array $result       Engine result.
	 * @param array $payload_info Where the request came from (e.g. 'source' => 'rest'|'cli', 'items' => count).
	 */
	public static function after_sync( array $result, array $payload_info = array() ) {
		if ( ! empty( $result['dry_run'] ) ) {
			return;
		}
		$ids = isset( $result['changed_product_ids'] ) ? array_map( 'absint', (array) $result['changed_product_ids'] ) : array();
		self::invalidate( $ids, isset( $result['stock_changes'] ) ? (array) $result['stock_changes'] : array() );
		self::fire_stock_actions( isset( $result['stock_changes'] ) ? (array) $result['stock_changes'] : array() );

		/**
		 * Fires after a bulk sync has been written and caches were invalidated.
		 *
		 * @param array $result       The engine's result (success counts, errors, changed ids, stock changes, engine).
		 * @param array $payload_info Where the request came from.
		 */
		do_action( 'mulopimfwc_bulk_sync_completed', $result, $payload_info );
	}

	/**
	 * Invalidate what WordPress and WooCommerce cache for the changed products.
	 *
	 * Mirrors WooCommerce's product data store clear_caches(): product transients of the product and
	 * its parent, the `product_{id}` cache groups, the children stock status cache of a variation's parent.
	 *
	 * @param int[] $ids           Changed post ids (variations and parents included).
	 * @param array $stock_changes Stock changes (gives the parents of variations).
	 */
	public static function invalidate( array $ids, array $stock_changes = array() ) {
		$ids = array_values( array_unique( array_filter( $ids ) ) );
		if ( ! $ids ) {
			return;
		}
		$parents = array();
		foreach ( $stock_changes as $change ) {
			if ( ! empty( $change['parent_id'] ) ) {
				$parents[ (int) $change['parent_id'] ] = true;
			}
		}

		// The object cache: post meta and post rows (post_modified moved).
		foreach ( $ids as $id ) {
			wp_cache_delete( $id, 'post_meta' );
			wp_cache_delete( $id, 'posts' );
		}
		if ( function_exists( 'clean_post_cache' ) && function_exists( 'get_post' ) ) {
			// clean_post_cache() also fires clean_post_cache for integrations; skip it for very large syncs.
			if ( count( $ids ) <= (int) apply_filters( 'mulopimfwc_clean_post_cache_limit', 2000 ) ) {
				// clean_post_cache() starts with get_post(): without the rows in the object cache that is one
				// query per post. Read the (fresh) rows once, set-based, then clean each post from the cache.
				self::prime_posts( $ids );
				foreach ( $ids as $id ) {
					clean_post_cache( $id );
				}
			} elseif ( function_exists( 'wp_cache_set_last_changed' ) ) {
				wp_cache_set_last_changed( 'posts' );
			}
		}

		// WooCommerce's caches, only when WooCommerce is loaded.
		$wc_helper = class_exists( 'WC_Cache_Helper' );
		foreach ( $ids as $id ) {
			wp_cache_delete( 'woocommerce_product_' . $id, 'product' );
			wp_cache_delete( 'woocommerce_product_children_stock_status_' . $id, 'product' );
			if ( $wc_helper && method_exists( 'WC_Cache_Helper', 'invalidate_cache_group' ) ) {
				WC_Cache_Helper::invalidate_cache_group( 'product_' . $id );
			}
		}
		foreach ( array_keys( $parents ) as $parent ) {
			wp_cache_delete( 'woocommerce_product_children_stock_status_' . $parent, 'product' );
		}
		if ( function_exists( 'wc_delete_product_transients' ) ) {
			foreach ( $ids as $id ) {
				wc_delete_product_transients( $id );
			}
		}
	}

	/**
	 * Put the rows of the given posts into the object cache with one query per chunk (no term or meta caches),
	 * so that the get_post() of clean_post_cache() does not query each post.
	 *
	 * @param int[] $ids Post ids (none of them in the cache: their entries were just deleted).
	 */
	private static function prime_posts( array $ids ) {
		if ( ! function_exists( '_prime_post_caches' ) ) {
			return;
		}
		foreach ( array_chunk( $ids, 1000 ) as $chunk ) {
			_prime_post_caches( $chunk, false, false );
		}
	}

	/**
	 * Fire WooCommerce's stock actions for products whose WooCommerce stock or status changed.
	 *
	 * @param array $stock_changes Engine's stock_changes.
	 */
	public static function fire_stock_actions( array $stock_changes ) {
		if ( ! $stock_changes || ! function_exists( 'wc_get_product' ) ) {
			return;
		}
		foreach ( $stock_changes as $change ) {
			$product = wc_get_product( (int) $change['product_id'] );
			if ( ! $product ) {
				continue;
			}
			$is_variation = isset( $change['type'] ) && 'variation' === $change['type'];
			if ( isset( $change['new_stock'] ) && null !== $change['new_stock'] && (string) $change['old_stock'] !== (string) $change['new_stock'] ) {
				do_action( $is_variation ? 'woocommerce_variation_set_stock' : 'woocommerce_product_set_stock', $product );
			}
			if ( isset( $change['new_status'] ) && $change['old_status'] !== $change['new_status'] ) {
				do_action(
					$is_variation ? 'woocommerce_variation_set_stock_status' : 'woocommerce_product_set_stock_status',
					(int) $change['product_id'],
					$change['new_status'],
					$product
				);
			}
		}
	}
}
