<?php
/**
 * The PHP engine's `meta_writes` (native: src/meta_log.rs): every postmeta row one committed attempt wrote, for
 * the meta API's hooks that the plugin fires after a SQL write. Built only when the caller asks
 * (`report_meta_writes`).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * The rows written (pure).
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Meta_Log {

	/**
	 * `meta_writes`: the rows this attempt wrote, for the meta API's hooks (added/updated/deleted_post_meta), as
	 * the native engine lists them (src/meta_log.rs). Net effect: a fresh row the final plan changed is one `added`
	 * with its final value, a fresh row it deleted again is not listed, an unchanged row is not listed. Order: the
	 * rows added, then updated, then deleted, each by meta_id ascending.
	 *
	 * @param array $meta  The rows the final plan was built on: post => key => list of [meta_id, value].
	 * @param array $fresh The rows inserted before the final plan: post => key => list of [meta_id, value].
	 * @param array $rows  The final writes (Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::reconcile_fresh()).
	 * @param array $late  Rows the final write inserted: list of [meta_id, post, key, value].
	 * @return array List of [op, meta_id, post_id, meta_key, meta_value].
	 */
	public static function build( array $meta, array $fresh, array $rows, array $late ) {
		$deleted = array_fill_keys( array_map( 'intval', $rows['deletes'] ), true );
		$updates = array();
		foreach ( $rows['updates'] as $u ) {
			$updates[ (int) $u[0] ] = $u;
		}
		$added     = array();
		$updated   = array();
		$gone      = array();
		$fresh_ids = array();
		foreach ( $fresh as $post => $by_key ) {
			foreach ( $by_key as $key => $list ) {
				foreach ( $list as $row ) {
					$id               = (int) $row[0];
					$fresh_ids[ $id ] = true;
					if ( ! isset( $deleted[ $id ] ) ) {
						$added[ $id ] = array( 'added', $id, (int) $post, (string) $key, (string) ( isset( $updates[ $id ] ) ? $updates[ $id ][3] : $row[1] ) );
					}
				}
			}
		}
		foreach ( $late as $row ) {
			$added[ (int) $row[0] ] = array( 'added', (int) $row[0], (int) $row[1], (string) $row[2], (string) $row[3] );
		}
		foreach ( $updates as $id => $u ) {
			if ( ! isset( $fresh_ids[ $id ] ) ) {
				$updated[ $id ] = array( 'updated', $id, (int) $u[1], (string) $u[2], (string) $u[3] );
			}
		}
		if ( array_diff_key( $deleted, $fresh_ids ) ) {
			foreach ( $meta as $post => $by_key ) {
				foreach ( $by_key as $key => $list ) {
					foreach ( $list as $row ) {
						$id = (int) $row[0];
						if ( isset( $deleted[ $id ] ) && ! isset( $fresh_ids[ $id ] ) ) {
							$gone[ $id ] = array( 'deleted', $id, (int) $post, (string) $key, (string) $row[1] );
						}
					}
				}
			}
		}
		ksort( $added, SORT_NUMERIC );
		ksort( $updated, SORT_NUMERIC );
		ksort( $gone, SORT_NUMERIC );
		return array_merge( array_values( $added ), array_values( $updated ), array_values( $gone ) );
	}
}
