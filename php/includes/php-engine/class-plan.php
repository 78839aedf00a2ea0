<?php
/**
 * The PHP engine's write plan (native: src/plan.rs): from the resolved items and the rows read inside the
 * transaction, decide every row to insert, update or delete, and what follows into WooCommerce's own stock
 * and stock status. Pure: no database.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Planning (pure).
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Plan {

	/**
	 * Applies the items in order, in memory, on the rows as read: the planned meta values and what WooCommerce's
	 * product save would do with them.
	 *
	 * @param array                                   $resolved    Resolved items by index.
	 * @param array                                   $posts       Post rows by id.
	 * @param array                                   $meta        Rows: post => key => list of [meta_id, value].
	 * @param array                                   $children    Variable product => variation ids.
	 * @param callable                                $is_variable Whether a post is a variable product.
	 * @param array                                   $errors      Item errors by index (stock_mismatch, price errors are added).
	 * @param Mulopimfwc_Bulk_Sync_PHP_Engine_Options $options     The run's options (primary location, out-of-stock threshold).
	 * @return array new, holders, full_save, status_only, modified, changed, stock_changes.
	 */
	public static function build( array $resolved, array $posts, array $meta, array $children, $is_variable, array &$errors, Mulopimfwc_Bulk_Sync_PHP_Engine_Options $options ) {
		$new = array(); // post => key => value.
		$get = static function ( $post, $key ) use ( &$new, &$meta ) {
			if ( isset( $new[ $post ] ) && array_key_exists( $key, $new[ $post ] ) ) {
				return $new[ $post ][ $key ];
			}
			return isset( $meta[ $post ][ $key ][0] ) ? $meta[ $post ][ $key ][0][1] : null;
		};

		// Which location WooCommerce's own stock follows (Mulopimfwc_Bulk_Sync_PHP_Engine_Options::primary()).
		list( $primary, $follow_all ) = $options->primary();

		// Apply the items in order, in memory.
		$holders = array(); // post id => final stock.
		$changed = array();
		foreach ( $resolved as $n => $it ) {
			$p = $it['post'];
			$l = $it['location'];

			// The location's stock now (after the request's earlier items): none stored counts as 0, a stored
			// value that is not a number matches no expected_stock and adjusts from 0.
			$stock_key = '_location_stock_' . $l;
			$stored    = $get( $p, $stock_key );
			$current   = null === $stored ? 0 : Mulopimfwc_Bulk_Sync_PHP_Engine_Price::stored_stock( $stored );
			if ( null !== $it['expected'] && $current !== (int) $it['expected'] ) {
				$errors[ $n ] = array( 'stock_mismatch', 'expected_stock' );
				continue;
			}
			if ( null !== $it['adjust'] ) {
				$sum = ( null === $current ? 0 : $current ) + (int) $it['adjust'];
				if ( ! is_int( $sum ) ) {
					$errors[ $n ] = array( 'invalid_stock_adjust', 'stock_adjust' );
					continue;
				}
				$location_stock = (string) $sum;
			} else {
				$location_stock = $it['stock'];
			}

			if ( null !== $it['regular'] || null !== $it['sale'] ) {
				$reg = null !== $it['regular'] ? $it['regular'] : $get( $p, '_location_regular_price_' . $l );
				if ( null === $reg || '' === trim( (string) $reg ) ) {
					$reg = $get( $p, '_regular_price' );
				}
				$sale = null !== $it['sale'] ? $it['sale'] : $get( $p, '_location_sale_price_' . $l );
				if ( Mulopimfwc_Bulk_Sync_PHP_Engine_Price::is_decimal( $sale ) && Mulopimfwc_Bulk_Sync_PHP_Engine_Price::is_decimal( $reg ) && Mulopimfwc_Bulk_Sync_PHP_Engine_Price::compare_decimals( trim( $sale ), trim( $reg ) ) >= 0 ) {
					$field        = ( null !== $it['sale'] && '' !== $it['sale'] ) ? 'sale_price' : 'regular_price';
					$errors[ $n ] = array( 'sale_price_not_below_regular', $field );
					continue;
				}
			}
			$new[ $p ][ $stock_key ] = $location_stock;
			if ( null !== $it['regular'] ) {
				$new[ $p ][ '_location_regular_price_' . $l ] = $it['regular'];
			}
			if ( null !== $it['sale'] ) {
				$new[ $p ][ '_location_sale_price_' . $l ] = $it['sale'];
			}
			if ( null !== $it['backorders'] ) {
				$new[ $p ][ '_location_backorders_' . $l ] = $it['backorders'];
			}
			if ( null !== $it['disabled'] ) {
				$new[ $p ][ '_location_disabled_' . $l ] = $it['disabled'];
			}
			$changed[ $p ] = true;

			if ( ! $follow_all && $primary !== $l ) {
				continue;
			}
			$holder = 0;
			if ( 'yes' === $get( $p, '_manage_stock' ) ) {
				$holder = $p;
			} elseif ( 'product_variation' === $posts[ $p ]['post_type'] ) {
				$parent = (int) $posts[ $p ]['post_parent'];
				if ( $parent && 'yes' === $get( $parent, '_manage_stock' ) ) {
					$holder = $parent;
				}
			}
			if ( $holder ) {
				if ( null !== $it['adjust'] ) {
					// WooCommerce's stock moves by the same amount, from its own current value.
					$main  = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::stored_stock( $get( $holder, '_stock' ) );
					$value = ( null === $main ? 0 : $main ) + (int) $it['adjust'];
					if ( ! is_int( $value ) ) {
						$value = $it['adjust'] > 0 ? PHP_INT_MAX : PHP_INT_MIN;
					}
					$value = (string) $value;
				} else {
					$value = $it['stock'];
				}
				$holders[ $holder ]       = $value;
				$new[ $holder ]['_stock'] = $value;
				$changed[ $holder ]       = true;
			}
		}

		// WooCommerce's stock status, as its product save would leave it.
		$threshold = $options->no_stock_threshold();
		$old       = static function ( $post, $key ) use ( &$meta ) {
			return isset( $meta[ $post ][ $key ][0] ) ? $meta[ $post ][ $key ][0][1] : null;
		};
		$full_save   = array(); // post => true: status, lookup row, visibility term, post_modified.
		$status_only = array(); // post => true: status and lookup status only.
		$modified    = array();
		foreach ( $holders as $h => $stock ) {
			$bo     = $get( $h, '_backorders' );
			$status = ( (int) $stock > $threshold ) ? 'instock' : ( ( null !== $bo && 'no' !== $bo && '' !== $bo ) ? 'onbackorder' : 'outofstock' );
			$new[ $h ]['_stock_status'] = $status;
			$full_save[ $h ]            = true;
			$modified[ $h ]             = true;
		}
		foreach ( array_keys( $holders ) as $h ) {
			if ( $is_variable( $h ) && isset( $children[ $h ] ) ) {
				// WooCommerce's sync_managed_variation_stock_status(): children not managing their own stock.
				$status = $new[ $h ]['_stock_status'];
				foreach ( $children[ $h ] as $c ) {
					$mode = $old( $c, '_manage_stock' );
					if ( null !== $mode && 'yes' !== $mode && $get( $c, '_stock_status' ) !== $status ) {
						$new[ $c ]['_stock_status'] = $status;
						$status_only[ $c ]          = true;
						$changed[ $c ]              = true;
					}
				}
			}
		}
		$aggregated = array();
		foreach ( array_keys( $holders ) as $h ) {
			if ( 'product_variation' !== $posts[ $h ]['post_type'] ) {
				continue;
			}
			$parent = (int) $posts[ $h ]['post_parent'];
			if ( ! $parent ) {
				continue;
			}
			$modified[ $parent ] = true;
			$changed[ $parent ]  = true;
			if ( 'yes' !== $get( $parent, '_manage_stock' ) ) {
				$aggregated[ $parent ] = true;
			}
		}
		foreach ( array_keys( $aggregated ) as $parent ) {
			$has = array();
			foreach ( isset( $children[ $parent ] ) ? $children[ $parent ] : array() as $c ) {
				if ( 'publish' === $posts[ $c ]['post_status'] ) {
					$has[ (string) $get( $c, '_stock_status' ) ] = true;
				}
			}
			$status                          = isset( $has['instock'] ) ? 'instock' : ( isset( $has['onbackorder'] ) ? 'onbackorder' : 'outofstock' );
			$new[ $parent ]['_stock_status'] = $status;
			$full_save[ $parent ]            = true;
		}

		// Stock changes (for WooCommerce's actions).
		$stock_changes = array();
		foreach ( array_keys( $full_save + $status_only ) as $id ) {
			$old_stock = isset( $holders[ $id ] ) ? Mulopimfwc_Bulk_Sync_PHP_Engine_Price::stock_text( $old( $id, '_stock' ) ) : null;
			$new_stock = isset( $holders[ $id ] ) ? $holders[ $id ] : null;
			$os        = $old( $id, '_stock_status' );
			$ns        = $get( $id, '_stock_status' );
			$stock_chg = isset( $holders[ $id ] ) && ( null === $old_stock || $old_stock !== $new_stock );
			if ( ! $stock_chg && $os === $ns ) {
				continue;
			}
			$is_var          = 'product_variation' === $posts[ $id ]['post_type'];
			$stock_changes[] = array(
				'product_id' => (int) $id,
				'parent_id'  => $is_var ? (int) $posts[ $id ]['post_parent'] : 0,
				'type'       => $is_var ? 'variation' : ( $is_variable( $id ) ? 'variable' : 'product' ),
				'old_stock'  => $old_stock,
				'new_stock'  => $new_stock,
				'old_status' => $os,
				'new_status' => $ns,
			);
		}

		return array(
			'new'           => $new,
			'holders'       => $holders,
			'full_save'     => $full_save,
			'status_only'   => $status_only,
			'modified'      => $modified,
			'changed'       => $changed,
			'stock_changes' => $stock_changes,
		);
	}

	/**
	 * The meta row writes of the planned state: update the first existing row when its value differs, insert
	 * where none exists, delete any extra rows of the same key.
	 *
	 * @param array $new  Planned meta values: post => key => value.
	 * @param array $meta Current rows: post => key => list of [meta_id, value].
	 * @return array ['inserts' => list of [post, key, value], 'updates' => list of [meta_id, post, key, value],
	 *               'deletes' => meta ids].
	 */
	public static function meta_rows( array $new, array $meta ) {
		$out = array(
			'inserts' => array(),
			'updates' => array(),
			'deletes' => array(),
		);
		foreach ( $new as $post => $values ) {
			foreach ( $values as $key => $value ) {
				$rows = isset( $meta[ $post ][ $key ] ) ? $meta[ $post ][ $key ] : array();
				if ( $rows ) {
					$first = array_shift( $rows );
					foreach ( $rows as $extra ) {
						$out['deletes'][] = $extra[0];
					}
					if ( $first[1] !== $value ) {
						$out['updates'][] = array( $first[0], (int) $post, (string) $key, $value );
					}
				} else {
					$out['inserts'][] = array( (int) $post, (string) $key, $value );
				}
			}
		}
		return $out;
	}

	/**
	 * The final writes once the fresh rows exist: a planned insert whose row was inserted already updates it when
	 * the value moved; a fresh row the final plan no longer writes is deleted again.
	 *
	 * @param array $rows  Row writes of the final plan (see meta_rows()).
	 * @param array $fresh Fresh rows: post => key => list of [meta_id, value].
	 * @return array The writes.
	 */
	public static function reconcile_fresh( array $rows, array $fresh ) {
		$inserts = array();
		foreach ( $rows['inserts'] as $ins ) {
			list( $post, $key, $value ) = $ins;
			if ( empty( $fresh[ $post ][ $key ] ) ) {
				$inserts[] = $ins;
				continue;
			}
			$row = array_shift( $fresh[ $post ][ $key ] );
			if ( $row[1] !== $value ) {
				$rows['updates'][] = array( $row[0], $post, $key, $value );
			}
		}
		$rows['inserts'] = $inserts;
		foreach ( $fresh as $by_key ) {
			foreach ( $by_key as $list ) {
				foreach ( $list as $row ) {
					$rows['deletes'][] = $row[0];
				}
			}
		}
		return $rows;
	}

	/**
	 * What an attempt's planning returns: changed posts, stock changes, row counts as the client sees them (a fresh row
	 * the final plan writes counts as inserted; one it dropped, not at all).
	 *
	 * @param array      $plan        The plan (see build()).
	 * @param array      $rows        Row writes of the final plan, before reconcile_fresh() (its inserts count the
	 *                                fresh rows the plan kept).
	 * @param array|null $meta_writes The rows written (Mulopimfwc_Bulk_Sync_PHP_Engine_Meta_Log::build()), null when
	 *                                not asked for.
	 * @return array [changed post ids, stock changes, counts, meta_writes].
	 */
	public static function summary( array $plan, array $rows, $meta_writes = null ) {
		$ids = array_map( 'intval', array_keys( $plan['changed'] ) );
		sort( $ids, SORT_NUMERIC );
		$counts = array(
			'meta_rows_inserted' => count( $rows['inserts'] ),
			'meta_rows_updated'  => count( $rows['updates'] ),
			'meta_rows_deleted'  => count( $rows['deletes'] ),
			'main_stock_updates' => count( $plan['holders'] ),
		);
		return array( $ids, $plan['stock_changes'], $counts, $meta_writes );
	}
}
