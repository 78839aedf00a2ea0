<?php
/**
 * The PHP engine's writes (native: the write statements of src/engine.rs, built as src/sql.rs chunks them): the
 * planned meta rows, WooCommerce's `outofstock` visibility term, its lookup table and the posts' modified dates,
 * each as few multi-row statements as the server's packet size allows.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Writing one attempt's final plan.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Write extends Mulopimfwc_Bulk_Sync_PHP_Engine_Room {

	/**
	 * The attempt's snapshot (reads back the rows a logged write inserts).
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Snapshot
	 */
	private $snapshot;

	/**
	 * Constructor.
	 *
	 * @param Mulopimfwc_Bulk_Sync_PHP_Engine_Store    $store    The database session.
	 * @param array                                    $tables   Table names (Mulopimfwc_Bulk_Sync_PHP_Engine_Options::tables()).
	 * @param Mulopimfwc_Bulk_Sync_PHP_Engine_Snapshot $snapshot The attempt's snapshot.
	 */
	public function __construct( Mulopimfwc_Bulk_Sync_PHP_Engine_Store $store, array $tables, Mulopimfwc_Bulk_Sync_PHP_Engine_Snapshot $snapshot ) {
		parent::__construct( $store, $tables );
		$this->snapshot = $snapshot;
	}

	/**
	 * Write the planned state: meta rows, visibility terms, lookup rows, post dates.
	 *
	 * @param array $new         Planned meta values: post => key => value.
	 * @param array $rows        Meta row writes (Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::meta_rows(), reconcile_fresh()).
	 * @param array $holders     Products whose WooCommerce stock was set: id => stock.
	 * @param array $full_save   Posts saved by WooCommerce (status, term, lookup stock + status).
	 * @param array $status_only Posts whose status alone WooCommerce updates.
	 * @param array $modified    Posts whose post_modified moves.
	 * @param bool  $logged      Whether the caller wants `meta_writes`: the final plan's inserts (rows the first pass
	 *                           did not insert, which only a value a concurrent writer moved in between can cause)
	 *                           then go in a statement of their own, so that their ids are known.
	 * @return array With $logged, the rows the final plan inserted: list of [meta_id, post, key, value].
	 */
	public function write( array $new, array $rows, array $holders, array $full_save, array $status_only, array $modified, $logged = false ) {
		$t       = $this->t;
		$upserts = array();
		$late    = array();
		foreach ( $rows['updates'] as $u ) {
			$upserts[] = '(' . (int) $u[0] . ',' . (int) $u[1] . ',' . $this->store->q( $u[2] ) . ',' . $this->store->q( $u[3] ) . ')';
		}
		if ( ! $logged ) {
			foreach ( $rows['inserts'] as $i ) {
				$upserts[] = '(NULL,' . (int) $i[0] . ',' . $this->store->q( $i[1] ) . ',' . $this->store->q( $i[2] ) . ')';
			}
		}
		$deletes = $rows['deletes'];
		if ( $upserts ) {
			$this->store->write_chunked(
				"INSERT INTO `{$t['postmeta']}` (meta_id, post_id, meta_key, meta_value) VALUES ",
				$upserts,
				' ON DUPLICATE KEY UPDATE meta_value = VALUES(meta_value)'
			);
		}
		if ( $logged && $rows['inserts'] ) {
			$tuples = array();
			foreach ( $rows['inserts'] as $i ) {
				$tuples[] = '(' . (int) $i[0] . ',' . $this->store->q( $i[1] ) . ',' . $this->store->q( $i[2] ) . ')';
			}
			$from = $this->store->write_chunked( "INSERT INTO `{$t['postmeta']}` (post_id, meta_key, meta_value) VALUES ", $tuples );
			foreach ( $this->snapshot->read_fresh( $rows['inserts'], $from ) as $post => $by_key ) {
				foreach ( $by_key as $key => $list ) {
					foreach ( $list as $row ) {
						$late[] = array( $row[0], (int) $post, (string) $key, $row[1] );
					}
				}
			}
		}
		foreach ( array_chunk( $deletes, Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK ) as $chunk ) {
			$this->store->sql( "DELETE FROM `{$t['postmeta']}` WHERE meta_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')' );
		}

		// The outofstock visibility term of the saved products.
		if ( $full_save ) {
			$this->visibility( $new, $full_save );
		}

		// WooCommerce's lookup table, when it exists.
		if ( $full_save || $status_only ) {
			$exists = $this->store->sql( 'SHOW TABLES LIKE ' . $this->store->q( $t['lookup'] ), true );
			if ( $exists ) {
				$full = array();
				$stat = array();
				foreach ( array_keys( $full_save ) as $id ) {
					$stock = isset( $holders[ $id ] ) ? $holders[ $id ] : null;
					if ( null !== $stock ) {
						$full[] = '(' . (int) $id . ',' . (int) $stock . ',' . $this->store->q( $new[ $id ]['_stock_status'] ) . ')';
					} else {
						$stat[] = '(' . (int) $id . ',' . $this->store->q( $new[ $id ]['_stock_status'] ) . ')';
					}
				}
				foreach ( array_keys( $status_only ) as $id ) {
					$stat[] = '(' . (int) $id . ',' . $this->store->q( $new[ $id ]['_stock_status'] ) . ')';
				}
				if ( $full ) {
					$this->store->write_chunked(
						"INSERT INTO `{$t['lookup']}` (product_id, stock_quantity, stock_status) VALUES ",
						$full,
						' ON DUPLICATE KEY UPDATE stock_quantity = VALUES(stock_quantity), stock_status = VALUES(stock_status)'
					);
				}
				if ( $stat ) {
					$this->store->write_chunked(
						"INSERT INTO `{$t['lookup']}` (product_id, stock_status) VALUES ",
						$stat,
						' ON DUPLICATE KEY UPDATE stock_status = VALUES(stock_status)'
					);
				}
			}
		}

		if ( $modified ) {
			$now     = function_exists( 'current_time' ) ? current_time( 'mysql' ) : gmdate( 'Y-m-d H:i:s' );
			$now_gmt = function_exists( 'current_time' ) ? current_time( 'mysql', true ) : gmdate( 'Y-m-d H:i:s' );
			foreach ( array_chunk( array_keys( $modified ), Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK ) as $chunk ) {
				$this->store->sql( "UPDATE `{$t['posts']}` SET post_modified = " . $this->store->q( $now ) . ', post_modified_gmt = ' . $this->store->q( $now_gmt ) . ' WHERE ID IN (' . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')' );
			}
		}
		return $late;
	}

	/**
	 * Add or remove the product_visibility `outofstock` term, set-based, and keep its count right.
	 *
	 * @param array $new       Planned meta values.
	 * @param array $full_save Saved posts.
	 */
	private function visibility( array $new, array $full_save ) {
		$t    = $this->t;
		$want = array();
		foreach ( array_keys( $full_save ) as $id ) {
			$want[ $id ] = ( 'outofstock' === $new[ $id ]['_stock_status'] );
		}
		$rows  = $this->store->sql(
			"SELECT tt.term_taxonomy_id FROM `{$t['tt']}` tt JOIN `{$t['terms']}` te ON te.term_id = tt.term_id WHERE tt.taxonomy = 'product_visibility' AND te.slug = 'outofstock' LIMIT 1",
			true
		);
		$tt_id = $rows ? (int) $rows[0]['term_taxonomy_id'] : 0;
		if ( ! $tt_id ) {
			if ( ! in_array( true, $want, true ) ) {
				return;
			}
			$this->store->sql( "INSERT INTO `{$t['terms']}` (name, slug, term_group) VALUES ('outofstock', 'outofstock', 0)" );
			$term_id = $this->store->insert_id();
			$this->store->sql( "INSERT INTO `{$t['tt']}` (term_id, taxonomy, description, parent, count) VALUES ({$term_id}, 'product_visibility', '', 0, 0)" );
			$tt_id = $this->store->insert_id();
		}
		$have = array();
		$rows = $this->store->select_chunked(
			array_keys( $want ),
			function ( $chunk ) use ( $t, $tt_id ) {
				return "SELECT object_id FROM `{$t['tr']}` WHERE term_taxonomy_id = {$tt_id} AND object_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')';
			}
		);
		foreach ( $rows as $r ) {
			$have[ (int) $r['object_id'] ] = true;
		}
		$add    = array();
		$remove = array();
		foreach ( $want as $id => $on ) {
			if ( $on && ! isset( $have[ $id ] ) ) {
				$add[] = '(' . (int) $id . ',' . $tt_id . ',0)';
			} elseif ( ! $on && isset( $have[ $id ] ) ) {
				$remove[] = (int) $id;
			}
		}
		if ( $add ) {
			$this->store->write_chunked( "INSERT IGNORE INTO `{$t['tr']}` (object_id, term_taxonomy_id, term_order) VALUES ", $add );
		}
		foreach ( array_chunk( $remove, Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK ) as $chunk ) {
			$this->store->sql( "DELETE FROM `{$t['tr']}` WHERE term_taxonomy_id = {$tt_id} AND object_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')' );
		}
		if ( $add || $remove ) {
			// As WordPress's _update_post_term_count() counts: published objects of the taxonomy's post types.
			$this->store->sql(
				"UPDATE `{$t['tt']}` SET count = (SELECT COUNT(*) FROM `{$t['tr']}` tr JOIN `{$t['posts']}` p ON p.ID = tr.object_id
				WHERE tr.term_taxonomy_id = {$tt_id} AND p.post_status = 'publish' AND p.post_type IN ('product','product_variation'))
				WHERE term_taxonomy_id = {$tt_id}"
			);
		}
	}
}
