<?php
/**
 * The PHP engine's snapshot (native: src/plan.rs `Snapshot`, read by src/engine.rs read_meta(), insert_and_lock()):
 * the products locked, the rows the plan reads, the missing rows inserted and the rows read locked.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * What one attempt reads and locks inside its transaction.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Snapshot extends Mulopimfwc_Bulk_Sync_PHP_Engine_Room {

	/**
	 * Lock the products the items name and their parents, in id order (concurrent syncs queue instead of
	 * deadlocking), and read their product types.
	 *
	 * @param array $resolved Resolved items by index.
	 * @param array $posts    Post rows by id; the locked rows replace them.
	 * @return array [locked post ids in order, callable: whether a post is a variable product].
	 */
	public function lock_posts( array $resolved, array &$posts ) {
		$t       = $this->t;
		$targets = array();
		$parents = array();
		foreach ( $resolved as $it ) {
			$targets[ $it['post'] ] = true;
			$p                      = $posts[ $it['post'] ];
			if ( 'product_variation' === $p['post_type'] && (int) $p['post_parent'] > 0 ) {
				$parents[ (int) $p['post_parent'] ] = true;
			}
		}
		$lock_ids = array_keys( $targets + $parents );
		sort( $lock_ids, SORT_NUMERIC );

		// Lock the affected products (sorted ids: concurrent syncs queue instead of deadlocking).
		$parent_rows = $this->store->select_chunked(
			$lock_ids,
			function ( $chunk ) use ( $t ) {
				return "SELECT ID, post_type, post_parent, post_status FROM `{$t['posts']}` WHERE ID IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ') ORDER BY ID FOR UPDATE';
			}
		);
		foreach ( $parent_rows as $r ) {
			$posts[ (int) $r['ID'] ] = $r;
		}

		// Product types (variable products sync their parent-managed variations).
		$types = array();
		$rows  = $this->store->select_chunked(
			$lock_ids,
			function ( $chunk ) use ( $t ) {
				return "SELECT tr.object_id, te.slug FROM `{$t['tr']}` tr JOIN `{$t['tt']}` tt ON tt.term_taxonomy_id = tr.term_taxonomy_id AND tt.taxonomy = 'product_type' JOIN `{$t['terms']}` te ON te.term_id = tt.term_id WHERE tr.object_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')';
			}
		);
		foreach ( $rows as $r ) {
			$types[ (int) $r['object_id'] ] = $r['slug'];
		}
		$is_variable = static function ( $id ) use ( $types, $posts, $parents ) {
			return isset( $parents[ $id ] ) || ( isset( $types[ $id ] ) && 'variable' === $types[ $id ] );
		};

		return array( $lock_ids, $is_variable );
	}

	/**
	 * The rows the plan reads: WooCommerce's own keys of every post involved, a location's keys only of the posts
	 * that have items there (the plan reads no other; as the native engine's read_meta()), and the management mode
	 * and status of the variations of the variable products involved.
	 *
	 * @param array    $resolved    Resolved items by index.
	 * @param int[]    $lock_ids    Posts involved (lock_posts()).
	 * @param callable $is_variable Whether a post is a variable product (lock_posts()).
	 * @param array    $posts       Post rows by id; the variations are added.
	 * @return array [meta: post => key => list of [meta_id, value] by meta_id, children: parent => child ids].
	 */
	public function read_meta( array $resolved, array $lock_ids, $is_variable, array &$posts ) {
		$locs = array();
		foreach ( $resolved as $it ) {
			$locs[ $it['location'] ] = true;
		}
		$keys    = array( '_stock', '_stock_status', '_manage_stock', '_backorders', '_regular_price' );
		$key_loc = array(); // location key => location id.
		foreach ( array_keys( $locs ) as $l ) {
			foreach ( array( 'stock', 'regular_price', 'sale_price', 'backorders', 'disabled' ) as $k ) {
				$keys[]                                = '_location_' . $k . '_' . $l;
				$key_loc[ '_location_' . $k . '_' . $l ] = $l;
			}
		}
		$wanted = array(); // post => location id => true.
		foreach ( $resolved as $it ) {
			$wanted[ $it['post'] ][ $it['location'] ] = true;
		}
		$key_sql      = $this->store->q_list( $keys );
		$variable_ids = array();
		foreach ( $lock_ids as $id ) {
			if ( $is_variable( $id ) ) {
				$variable_ids[] = $id;
			}
		}

		return $this->rows( $lock_ids, $key_sql, $variable_ids, $posts, $key_loc, $wanted );
	}

	/**
	 * The rows read_meta() asks for, chunk by chunk.
	 *
	 * @param int[]  $lock_ids     Posts involved.
	 * @param string $key_sql      SQL list of the meta keys.
	 * @param int[]  $variable_ids Variable products among them.
	 * @param array  $posts        Post rows by id; the variations are added.
	 * @param array  $key_loc      Location meta key => its location id.
	 * @param array  $wanted       Post => location ids it has items at (its other locations' rows are left out).
	 * @return array [meta: post => key => list of [meta_id, value] by meta_id, children: parent => child ids].
	 */
	private function rows( array $lock_ids, $key_sql, array $variable_ids, array &$posts, array $key_loc, array $wanted ) {
		$t    = $this->t;
		$meta = array();
		$seen = array();
		// Chunk by chunk: a large request's rows are never all held twice (as result rows and as $meta).
		foreach ( array_chunk( $lock_ids, Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK ) as $chunk ) {
			$rows = $this->store->sql( "SELECT meta_id, post_id, meta_key, meta_value FROM `{$t['postmeta']}` WHERE post_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ") AND meta_key IN ({$key_sql}) ORDER BY meta_id", true );
			foreach ( $rows as $r ) {
				$post = (int) $r['post_id'];
				if ( isset( $key_loc[ $r['meta_key'] ] ) && ! isset( $wanted[ $post ][ $key_loc[ $r['meta_key'] ] ] ) ) {
					continue;
				}
				$seen[ $r['meta_id'] ]              = true;
				$meta[ $post ][ $r['meta_key'] ][] = array( (int) $r['meta_id'], $r['meta_value'] );
			}
		}
		unset( $rows );
		$children = array();
		if ( $variable_ids ) {
			$rows = $this->store->select_chunked(
				$variable_ids,
				function ( $chunk ) use ( $t ) {
					return "SELECT p.ID, p.post_parent, p.post_status, pm.meta_id, pm.meta_key, pm.meta_value FROM `{$t['posts']}` p
						LEFT JOIN `{$t['postmeta']}` pm ON pm.post_id = p.ID AND pm.meta_key IN ('_manage_stock','_stock_status')
						WHERE p.post_type = 'product_variation' AND p.post_parent IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ') ORDER BY p.ID, pm.meta_id';
				}
			);
			foreach ( $rows as $r ) {
				$cid = (int) $r['ID'];
				if ( ! isset( $posts[ $cid ] ) ) {
					$posts[ $cid ] = array(
						'ID'          => $r['ID'],
						'post_type'   => 'product_variation',
						'post_parent' => $r['post_parent'],
						'post_status' => $r['post_status'],
					);
				}
				if ( ! isset( $children[ (int) $r['post_parent'] ] ) || ! in_array( $cid, $children[ (int) $r['post_parent'] ], true ) ) {
					$children[ (int) $r['post_parent'] ][] = $cid;
				}
				if ( null !== $r['meta_id'] && ! isset( $seen[ $r['meta_id'] ] ) ) {
					$seen[ $r['meta_id'] ]            = true;
					$meta[ $cid ][ $r['meta_key'] ][] = array( (int) $r['meta_id'], $r['meta_value'] );
				}
			}
		}
		return array( $meta, $children );
	}

	/**
	 * Inserts the rows that do not exist yet and locks the rows read, by primary key.
	 *
	 * An order's stock decrement (`UPDATE ... SET meta_value = meta_value - 1 WHERE post_id = X AND meta_key =
	 * '_stock'`, REPEATABLE READ) locks post X's rows one by one in meta_id order through the post_id index, then
	 * the gap after them, where a new row of X goes. Inserting a row of X and then locking X's older rows can meet
	 * a decrement that scanned up to the new row in between; holding rows of the next post while inserting into
	 * X's gap can meet that post's decrement. Either way each waits for the other and InnoDB rolls back the
	 * smaller, the decrement, which WooCommerce does not retry. So (as the native engine, src/engine.rs `Order`):
	 * first every new row, then the rows read locked in id order without waiting (NOWAIT) when rows were inserted,
	 * so that a conflict fails the attempt at once; the retry ($post_by_post) locks a post's rows and inserts its new
	 * rows, post by post in id order, waiting normally.
	 *
	 * @param array $meta         The rows read: post => key => list of [meta_id, value]; afterwards their values now
	 *                            (a row deleted meanwhile is gone).
	 * @param array $inserts      New rows: list of [post, key, value].
	 * @param bool  $post_by_post Whether to lock and insert post by post (a retry after a lock conflict).
	 * @return int The first auto-increment id the inserts got (0: none).
	 */
	public function insert_and_lock( array &$meta, array $inserts, $post_by_post ) {
		$t          = $this->t;
		$now        = array(); // meta_id => value, as locked.
		$fresh_from = 0;
		$lock       = function ( array $ids, $nowait ) use ( $t, &$now ) {
			sort( $ids, SORT_NUMERIC );
			foreach ( array_chunk( $ids, Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK ) as $chunk ) {
				$rows = $this->store->sql( "SELECT meta_id, meta_value FROM `{$t['postmeta']}` WHERE meta_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ') ORDER BY meta_id FOR UPDATE' . ( $nowait ? ' NOWAIT' : '' ), true, false );
				foreach ( $rows as $r ) {
					$now[ (int) $r[0] ] = $r[1];
				}
			}
		};
		$ids_of = array();
		foreach ( $meta as $post => $by_key ) {
			foreach ( $by_key as $list ) {
				foreach ( $list as $row ) {
					$ids_of[ $post ][] = $row[0];
				}
			}
		}
		// In post id order: a row inserted into a later post's range first would be one that post's decrement can
		// wait for while it holds the gap an earlier post's new row goes into.
		usort(
			$inserts,
			static function ( $a, $b ) {
				return array( $a[0], $a[1] ) <=> array( $b[0], $b[1] );
			}
		);
		$insert = function ( array $rows ) use ( $t, &$fresh_from ) {
			$tuples = array();
			foreach ( $rows as $r ) {
				$tuples[] = '(' . (int) $r[0] . ',' . $this->store->q( $r[1] ) . ',' . $this->store->q( $r[2] ) . ')';
			}
			if ( $tuples ) {
				$first = $this->store->write_chunked( "INSERT INTO `{$t['postmeta']}` (post_id, meta_key, meta_value) VALUES ", $tuples );
				if ( $first > 0 && ( 0 === $fresh_from || $first < $fresh_from ) ) {
					$fresh_from = $first;
				}
			}
		};
		// A server without NOWAIT cannot fail the bulk lock fast: new rows then go post by post.
		if ( ! $post_by_post && ( $this->store->nowait() || ! $inserts ) ) {
			$insert( $inserts );
			$lock( $ids_of ? array_merge( ...array_values( $ids_of ) ) : array(), $this->store->nowait() && $inserts );
		} else {
			$new_of = array();
			foreach ( $inserts as $r ) {
				$new_of[ (int) $r[0] ][] = $r;
			}
			$posts = array_keys( $ids_of + $new_of );
			sort( $posts, SORT_NUMERIC );
			$pending = array(); // Rows of posts without new rows join the next lock statement.
			foreach ( $posts as $post ) {
				if ( isset( $ids_of[ $post ] ) ) {
					array_push( $pending, ...$ids_of[ $post ] );
				}
				if ( isset( $new_of[ $post ] ) ) {
					$lock( $pending, false );
					$pending = array();
					$insert( $new_of[ $post ] );
				}
			}
			$lock( $pending, false );
		}
		// The values as locked; only what changed meanwhile is touched (a large request reads many rows).
		foreach ( $meta as $post => $by_key ) {
			foreach ( $by_key as $key => $list ) {
				$gone = false;
				foreach ( $list as $i => $row ) {
					if ( ! array_key_exists( $row[0], $now ) ) {
						unset( $meta[ $post ][ $key ][ $i ] );
						$gone = true;
					} elseif ( $now[ $row[0] ] !== $row[1] ) {
						$meta[ $post ][ $key ][ $i ][1] = $now[ $row[0] ];
					}
				}
				if ( $gone ) {
					$meta[ $post ][ $key ] = array_values( $meta[ $post ][ $key ] );
					if ( ! $meta[ $post ][ $key ] ) {
						unset( $meta[ $post ][ $key ] );
					}
				}
			}
		}
		return $fresh_from;
	}

	/**
	 * The rows this transaction just inserted, as the database holds them: ids from the first one the inserts got
	 * (auto-increment ids only grow, so every row that existed before is below it).
	 *
	 * @param array $inserts New rows: list of [post, key, value].
	 * @param int   $from    The first id the inserts got (0: unknown, no bound).
	 * @return array post => key => list of [meta_id, value] by meta_id.
	 */
	public function read_fresh( array $inserts, $from ) {
		if ( ! $inserts ) {
			return array();
		}
		$t    = $this->t;
		$want = array();
		$keys = array();
		foreach ( $inserts as $ins ) {
			$want[ $ins[0] ][ $ins[1] ] = true;
			$keys[ $ins[1] ]            = true;
		}
		$key_sql = $this->store->q_list( array_keys( $keys ) );
		$from    = $from > 0 ? ' AND meta_id >= ' . (int) $from : '';
		$fresh   = array();
		foreach ( array_chunk( array_keys( $want ), Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK ) as $chunk ) {
			$rows = $this->store->sql( "SELECT meta_id, post_id, meta_key, meta_value FROM `{$t['postmeta']}` WHERE post_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ") AND meta_key IN ({$key_sql}){$from} ORDER BY meta_id", true );
			foreach ( $rows as $r ) {
				if ( isset( $want[ (int) $r['post_id'] ][ $r['meta_key'] ] ) ) {
					$fresh[ (int) $r['post_id'] ][ $r['meta_key'] ][] = array( (int) $r['meta_id'], $r['meta_value'] );
				}
			}
		}
		return $fresh;
	}
}
