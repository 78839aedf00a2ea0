<?php
/**
 * The PHP engine's errors (native: src/error.rs): whole-request failures and the per-item error messages.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * An error that ends the whole request (nothing is written).
 */
class Mulopimfwc_Bulk_Sync_Request_Exception extends Exception {

	/**
	 * REST error code.
	 *
	 * @var string
	 */
	public $error_code;

	/**
	 * Constructor.
	 *
	 * @param string $error_code REST error code.
	 * @param string $message    Message.
	 * @param int    $status     HTTP status.
	 */
	public function __construct( $error_code, $message, $status ) {
		parent::__construct( $message, $status );
		$this->error_code = $error_code;
	}
}

/**
 * A database error inside the engine (carries the server's errno; never a host or credential).
 */
class Mulopimfwc_Bulk_Sync_Db_Exception extends Exception {

	/**
	 * MySQL error number (0 when unknown).
	 *
	 * @var int
	 */
	public $errno;

	/**
	 * Constructor.
	 *
	 * @param int $errno Error number.
	 */
	public function __construct( $errno ) {
		parent::__construct( 'database error', 0 );
		$this->errno = (int) $errno;
	}
}

/**
 * Per-item errors: their messages by code.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Error {

	/**
	 * Item error messages by code (the contract's wording; translated where WordPress translates).
	 *
	 * @var array
	 */
	private static $messages = array();

	/**
	 * Item error messages.
	 *
	 * @return array code => message.
	 */
	public static function messages() {
		if ( empty( self::$messages ) ) {
			self::$messages = array(
				'invalid_item'                 => __( 'Invalid item: expected an object.', 'mulopimfwc-bulk-sync' ),
				'missing_product'              => __( 'Product ID or SKU is required.', 'mulopimfwc-bulk-sync' ),
				'invalid_product_id'           => __( 'Invalid product_id: must be a positive integer.', 'mulopimfwc-bulk-sync' ),
				'invalid_sku'                  => __( 'Invalid sku: must be a string.', 'mulopimfwc-bulk-sync' ),
				'missing_location'             => __( 'Location ID or slug is required.', 'mulopimfwc-bulk-sync' ),
				'invalid_location_id'          => __( 'Invalid location_id: must be a positive integer.', 'mulopimfwc-bulk-sync' ),
				'invalid_location_slug'        => __( 'Invalid location_slug: must be a string.', 'mulopimfwc-bulk-sync' ),
				'missing_stock'                => __( 'Stock is required.', 'mulopimfwc-bulk-sync' ),
				'invalid_stock'                => __( 'Invalid stock: must be an integer.', 'mulopimfwc-bulk-sync' ),
				'stock_conflict'               => __( 'Give either stock or stock_adjust, not both.', 'mulopimfwc-bulk-sync' ),
				'invalid_stock_adjust'         => __( 'Invalid stock_adjust: must be an integer.', 'mulopimfwc-bulk-sync' ),
				'invalid_expected_stock'       => __( 'Invalid expected_stock: must be an integer.', 'mulopimfwc-bulk-sync' ),
				'stock_mismatch'               => __( 'Stock at this location has changed: it does not match expected_stock.', 'mulopimfwc-bulk-sync' ),
				'invalid_regular_price'        => __( 'Invalid regular_price: must be a non-negative decimal number.', 'mulopimfwc-bulk-sync' ),
				'invalid_sale_price'           => __( 'Invalid sale_price: must be a non-negative decimal number.', 'mulopimfwc-bulk-sync' ),
				'invalid_backorders'           => __( 'Invalid backorders: must be one of no, notify, yes.', 'mulopimfwc-bulk-sync' ),
				'invalid_disabled'             => __( 'Invalid disabled: must be true or false.', 'mulopimfwc-bulk-sync' ),
				'product_not_found'            => __( 'Product not found.', 'mulopimfwc-bulk-sync' ),
				'ambiguous_sku'                => __( 'SKU matches several products.', 'mulopimfwc-bulk-sync' ),
				'product_mismatch'             => __( 'product_id and sku name different products.', 'mulopimfwc-bulk-sync' ),
				'location_not_found'           => __( 'Location not found.', 'mulopimfwc-bulk-sync' ),
				'location_mismatch'            => __( 'location_id and location_slug name different locations.', 'mulopimfwc-bulk-sync' ),
				'sale_price_not_below_regular' => __( 'Sale price must be less than the regular price.', 'mulopimfwc-bulk-sync' ),
			);
		}
		return self::$messages;
	}

	/**
	 * The database error that ends a request: nothing was changed.
	 *
	 * @return Mulopimfwc_Bulk_Sync_Request_Exception
	 */
	public static function db_error() {
		return new Mulopimfwc_Bulk_Sync_Request_Exception(
			'mulopimfwc_db_error',
			__( 'The database could not complete the bulk sync; nothing was changed. Please try again.', 'mulopimfwc-bulk-sync' ),
			503
		);
	}
}
