<?php
/**
 * The PHP engine's response (native: src/response.rs): the result array, with the items that failed and the
 * identifiers they carried.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Building the result (pure).
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Response {

	/**
	 * Build the result array.
	 *
	 * @param int   $total     Item count.
	 * @param array $outcome   Outcome of the transaction.
	 * @param array $raw_items The items as given (for the identifiers in items_failed).
	 * @param bool  $dry_run   Whether nothing was written.
	 * @return array
	 */
	public static function build( $total, array $outcome, array $raw_items, $dry_run ) {
		$messages = Mulopimfwc_Bulk_Sync_PHP_Engine_Error::messages();
		$failed   = count( $outcome['errors'] );
		$texts    = array();
		$details  = array();
		foreach ( $outcome['errors'] as $n => $err ) {
			list( $code, $field ) = $err;
			$msg                  = $messages[ $code ];
			$texts[]              = sprintf(
				/* translators: 1: item number (from 1), 2: error message. */
				__( 'Item %1$d: %2$s', 'mulopimfwc-bulk-sync' ),
				$n,
				$msg
			);
			$details[] = array(
				'index'   => (int) $n,
				'code'    => $code,
				'field'   => $field,
				'message' => $msg,
			) + self::identifiers( isset( $raw_items[ $n - 1 ] ) ? $raw_items[ $n - 1 ] : null );
		}
		$success = $total - $failed;
		$result  = array(
			'success'             => true,
			'message'             => sprintf(
				/* translators: 1: items processed, 2: items that succeeded, 3: items that failed. */
				__( 'Processed %1$d items. %2$d succeeded, %3$d failed.', 'mulopimfwc-bulk-sync' ),
				$total,
				$success,
				$failed
			),
			'results'             => array(
				'success'      => $success,
				'failed'       => $failed,
				'errors'       => $texts,
				'items_failed' => $details,
			),
			'changed_product_ids' => $outcome['changed'],
			'stock_changes'       => $outcome['stock_changes'],
			'dry_run'             => (bool) $dry_run,
			'changes'             => $outcome['changes'],
			'engine'              => 'php',
		);
		if ( null !== $outcome['meta_writes'] ) {
			$result['meta_writes'] = $outcome['meta_writes']; // [op, meta_id, post_id, meta_key, meta_value], as written.
		}
		return $result;
	}

	/**
	 * The identifiers an item carries, as given (only those present and not null), for items_failed.
	 *
	 * @param mixed $item Item (array of fields when it was an object).
	 * @return array
	 */
	private static function identifiers( $item ) {
		$out = array();
		if ( ! is_array( $item ) ) {
			return $out;
		}
		foreach ( array( 'sku', 'product_id', 'location_slug', 'location_id' ) as $k ) {
			if ( array_key_exists( $k, $item ) && null !== $item[ $k ] ) {
				$out[ $k ] = self::plain_value( $item[ $k ] );
			}
		}
		return $out;
	}

	/**
	 * A value as plain PHP data: JSON numbers as int (or float), objects as arrays, recursively.
	 *
	 * @param mixed $v Value.
	 * @return mixed
	 */
	private static function plain_value( $v ) {
		if ( $v instanceof Mulopimfwc_Bulk_Sync_Json_Number ) {
			if ( preg_match( '/^-?\d+$/D', $v->text ) ) {
				$i = (int) $v->text;
				if ( (string) $i === ltrim( $v->text, '+' ) ) {
					return $i;
				}
			}
			// A number no float holds (1e400) goes back as its text: json_encode() refuses INF.
			$f = (float) $v->text;
			return is_finite( $f ) ? $f : $v->text;
		}
		if ( is_array( $v ) && 2 === count( $v ) && isset( $v[0], $v[1] ) && Mulopimfwc_Bulk_Sync_PHP_Engine_Request::NUMBER_TAG === $v[0] ) {
			return self::plain_value( new Mulopimfwc_Bulk_Sync_Json_Number( $v[1] ) );
		}
		if ( $v instanceof stdClass ) {
			$v = get_object_vars( $v );
		}
		if ( is_array( $v ) ) {
			foreach ( $v as $k => $x ) {
				$v[ $k ] = self::plain_value( $x );
			}
		}
		return $v;
	}
}
