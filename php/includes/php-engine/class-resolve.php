<?php
/**
 * The PHP engine's resolution (native: src/resolve.rs, and the set queries of src/engine.rs lookup()): which
 * product and which location each item names, one set query for the products by id, one per packet-sized chunk
 * for the SKUs, one for the locations.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Products and locations of one attempt's items, looked up inside its transaction.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Resolve extends Mulopimfwc_Bulk_Sync_PHP_Engine_Room {

	const LOCATION_TAXONOMY = 'mulopimfwc_store_location';
	const MAX_SKU_BYTES     = 65536;

	/**
	 * Resolve the valid items: the product (by id and/or SKU) and the location (by id and/or slug) each names.
	 *
	 * @param array $items  Valid items by index (Mulopimfwc_Bulk_Sync_PHP_Engine_Request::validate_item()).
	 * @param array $errors Item errors by index (not found, ambiguous, mismatch are added).
	 * @return array [resolved items by index (with `post` and `location`), post rows by id].
	 */
	public function items( array $items, array &$errors ) {
		list( $posts, $by_id, $by_sku ) = $this->products( $items );
		list( $loc_ids, $loc_slugs )    = $this->locations( $items );

		$resolved = array();
		foreach ( $items as $n => $it ) {
			$pid = null;
			if ( null !== $it['product_id'] ) {
				if ( ! isset( $by_id[ $it['product_id'] ] ) ) {
					$errors[ $n ] = array( 'product_not_found', 'product_id' );
					continue;
				}
				$pid = $it['product_id'];
			}
			if ( null !== $it['sku'] ) {
				$matches = isset( $by_sku[ $it['sku'] ] ) ? $by_sku[ $it['sku'] ] : array();
				if ( count( $matches ) > 1 ) {
					$errors[ $n ] = array( 'ambiguous_sku', 'sku' );
					continue;
				}
				if ( null === $pid && ! $matches ) {
					$errors[ $n ] = array( 'product_not_found', 'sku' );
					continue;
				}
				$sku_pid = $matches ? (int) $matches[0] : 0;
				if ( null !== $pid && $sku_pid !== $pid ) {
					$errors[ $n ] = array( 'product_mismatch', 'sku' );
					continue;
				}
				$pid = $sku_pid;
			}
			$lid = null;
			if ( null !== $it['location_id'] ) {
				if ( ! isset( $loc_ids[ $it['location_id'] ] ) ) {
					$errors[ $n ] = array( 'location_not_found', 'location_id' );
					continue;
				}
				$lid = $it['location_id'];
			}
			if ( null !== $it['slug'] ) {
				$key      = strtolower( $it['slug'] );
				$slug_lid = ( '' !== $key && isset( $loc_slugs[ $key ] ) ) ? $loc_slugs[ $key ] : 0;
				if ( null === $lid && ! $slug_lid ) {
					$errors[ $n ] = array( 'location_not_found', 'location_slug' );
					continue;
				}
				if ( null !== $lid && $slug_lid !== $lid ) {
					$errors[ $n ] = array( 'location_mismatch', 'location_slug' );
					continue;
				}
				$lid = $slug_lid;
			}
			$it['post']     = $pid;
			$it['location'] = $lid;
			$resolved[ $n ] = $it;
		}
		return array( $resolved, $posts );
	}

	/**
	 * Find the products named by id and by SKU.
	 *
	 * @param array $items Items.
	 * @return array [posts by id, ids found by id, sku => list of ids].
	 */
	private function products( array $items ) {
		$t    = $this->t;
		$ids  = array();
		$skus = array();
		foreach ( $items as $it ) {
			if ( null !== $it['product_id'] ) {
				$ids[ $it['product_id'] ] = true;
			}
			if ( null !== $it['sku'] ) {
				$skus[ $it['sku'] ] = true;
			}
		}
		$posts  = array();
		$by_id  = array();
		$by_sku = array();
		if ( $ids ) {
			$rows = $this->store->select_chunked(
				array_keys( $ids ),
				function ( $chunk ) use ( $t ) {
					return "SELECT ID, post_type, post_parent, post_status FROM `{$t['posts']}` WHERE ID IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ") AND post_type IN ('product','product_variation')";
				}
			);
			foreach ( $rows as $r ) {
				$posts[ (int) $r['ID'] ] = $r;
				$by_id[ (int) $r['ID'] ]  = true;
			}
		}
		if ( $skus ) {
			// As the native engine (src/engine.rs lookup()): one pass over the `_sku` rows whose value the
			// column's collation finds IN the list (one statement per packet-sized chunk), then the rows kept
			// are those whose key (case folded, trailing spaces ignored) is a requested SKU's key. Matching in
			// the database per SKU (a join on the value) made MariaDB compare every catalogue SKU with every
			// requested one.
			$wanted = array(); // key => list of requested SKUs with that key.
			$in     = array();
			foreach ( array_keys( $skus ) as $sku ) {
				$sku = (string) $sku;
				if ( strlen( $sku ) > self::MAX_SKU_BYTES ) {
					continue; // Not looked up (not found), as native.
				}
				$wanted[ Mulopimfwc_Bulk_Sync_PHP_Engine_Request::sku_key( $sku ) ][] = $sku;
				$in[]                              = $this->store->q( $sku );
			}
			// STRAIGHT_JOIN: read the matching `_sku` rows first, then their posts by id (the other
			// order reads every product's meta rows).
			$head = "SELECT STRAIGHT_JOIN pm.post_id, pm.meta_value, p.post_type, p.post_parent, p.post_status FROM `{$t['postmeta']}` pm
				JOIN `{$t['posts']}` p ON p.ID = pm.post_id
				WHERE pm.meta_key = '_sku' AND p.post_type IN ('product','product_variation') AND p.post_status <> 'trash'
				AND pm.meta_value IN (";
			foreach ( $this->store->in_chunks( $in ) as $list ) {
				foreach ( $this->store->sql( $head . $list . ')', true ) as $r ) {
					if ( ! is_string( $r['meta_value'] ) ) {
						continue;
					}
					$key = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::sku_key( $r['meta_value'] );
					if ( ! isset( $wanted[ $key ] ) ) {
						continue; // The collation is looser than the key (accents, for one).
					}
					$id           = (int) $r['post_id'];
					$posts[ $id ] = array(
						'ID'          => $r['post_id'],
						'post_type'   => $r['post_type'],
						'post_parent' => $r['post_parent'],
						'post_status' => $r['post_status'],
					);
					foreach ( $wanted[ $key ] as $sku ) {
						if ( ! isset( $by_sku[ $sku ] ) || ! in_array( $id, $by_sku[ $sku ], true ) ) {
							$by_sku[ $sku ][] = $id;
						}
					}
				}
			}
		}
		return array( $posts, $by_id, $by_sku );
	}

	/**
	 * Find the locations named by id and by slug.
	 *
	 * @param array $items Items.
	 * @return array [term_id => true, lower-case slug => term_id].
	 */
	private function locations( array $items ) {
		$t     = $this->t;
		$ids   = array();
		$slugs = array();
		foreach ( $items as $it ) {
			if ( null !== $it['location_id'] ) {
				$ids[ $it['location_id'] ] = true;
			}
			if ( null !== $it['slug'] && '' !== $it['slug'] ) {
				$slugs[ $it['slug'] ] = true;
			}
		}
		$by_id   = array();
		$by_slug = array();
		if ( ! $ids && ! $slugs ) {
			return array( $by_id, $by_slug );
		}
		$where = array();
		if ( $ids ) {
			$where[] = 't.term_id IN (' . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( array_keys( $ids ) ) . ')';
		}
		if ( $slugs ) {
			$where[] = 't.slug IN (' . $this->store->q_list( array_map( 'strval', array_keys( $slugs ) ) ) . ')';
		}
		$rows = $this->store->sql(
			"SELECT t.term_id, t.slug FROM `{$t['terms']}` t JOIN `{$t['tt']}` tt ON tt.term_id = t.term_id
			WHERE tt.taxonomy = '" . self::LOCATION_TAXONOMY . "' AND (" . implode( ' OR ', $where ) . ') ORDER BY t.term_id',
			true
		);
		foreach ( $rows as $r ) {
			$id = (int) $r['term_id'];
			if ( isset( $ids[ $id ] ) ) {
				$by_id[ $id ] = true;
			}
			$key = strtolower( $r['slug'] );
			if ( ! isset( $by_slug[ $key ] ) ) {
				$by_slug[ $key ] = $id;
			}
		}
		// Slugs that differ from the stored one only in ways the collation ignores (case).
		foreach ( array_keys( $slugs ) as $slug ) {
			$key = strtolower( $slug );
			if ( ! isset( $by_slug[ $key ] ) ) {
				foreach ( $rows as $r ) {
					if ( 0 === strcasecmp( rtrim( $r['slug'], ' ' ), rtrim( $slug, ' ' ) ) ) {
						$by_slug[ $key ] = (int) $r['term_id'];
						break;
					}
				}
			}
		}
		return array( $by_id, $by_slug );
	}
}
