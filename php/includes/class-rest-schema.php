<?php
/**
 * What the routes of mulopimfwc/v1 declare about themselves: their `args` (the request: body fields, query
 * parameters, their types and limits) and their JSON schema (the response), as WooCommerce's own controllers
 * declare them (`get_endpoint_args_for_item_schema()` / `get_item_schema()`). WordPress shows both on
 * `OPTIONS /wp-json/mulopimfwc/v1/...` (args and schema) and in the namespace index `/wp-json/mulopimfwc/v1` (args).
 *
 * The args describe; they do not validate. Every arg has `validate_callback` and `sanitize_callback` set to null,
 * so WordPress runs nothing per argument and nothing per item (without them, an arg with a `type` would be run
 * through rest_parse_request_arg(), which walks a 100,000-item array item by item), and marks none `required`
 * (which would answer WordPress's own `rest_missing_callback_param`). The handlers and the engines validate, with the
 * contract's codes (`invalid_data`, `too_many_items`, per-item `results.items_failed`, `rest_invalid_param`); the
 * raw body goes to the engine as before.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * The routes' args and response schemas.
 */
class Mulopimfwc_Bulk_Sync_REST_Schema {

	/**
	 * The JSON Schema draft WordPress's REST API declares.
	 */
	const SCHEMA_DRAFT = 'http://json-schema.org/draft-04/schema#';

	/**
	 * The item error codes of `results.items_failed[].code` (and `data.item_code` of the single-item routes).
	 */
	const ITEM_ERROR_CODES = array(
		'invalid_item',
		'missing_product',
		'invalid_product_id',
		'invalid_sku',
		'missing_location',
		'invalid_location_id',
		'invalid_location_slug',
		'stock_conflict',
		'missing_stock',
		'invalid_stock',
		'invalid_stock_adjust',
		'invalid_expected_stock',
		'invalid_regular_price',
		'invalid_sale_price',
		'invalid_backorders',
		'invalid_disabled',
		'product_not_found',
		'ambiguous_sku',
		'product_mismatch',
		'location_not_found',
		'location_mismatch',
		'stock_mismatch',
		'sale_price_not_below_regular',
	);

	/**
	 * An arg that WordPress shows but does not run: no validation, no sanitizing, never required.
	 *
	 * @param array $schema The arg's schema (type, description, limits, ...).
	 * @return array
	 */
	private static function arg( array $schema ) {
		return array_merge(
			$schema,
			array(
				'required'          => false,
				'validate_callback' => null,
				'sanitize_callback' => null,
			)
		);
	}

	/**
	 * Args of their schemas (see arg()).
	 *
	 * @param array $schemas name => schema.
	 * @return array
	 */
	private static function args( array $schemas ) {
		return array_map( array( __CLASS__, 'arg' ), $schemas );
	}

	/**
	 * An integer, or a string holding one (`"12"`, `" -3 "`), as the engines accept it.
	 *
	 * @param string $description Description.
	 * @param bool   $positive    Whether it must be positive (ids).
	 * @return array
	 */
	private static function integer_field( $description, $positive = false ) {
		return array(
			'description' => $description,
			'type'        => array( 'integer', 'string' ),
			'minimum'     => $positive ? 1 : null,
			'pattern'     => $positive ? '^\s*\+?0*[1-9][0-9]*\s*$' : '^\s*[+-]?[0-9]+\s*$',
		);
	}

	/**
	 * The fields of one item (a bulk-sync item, the body of inventory/update, the webhook's single item).
	 * An item that breaks these rules fails alone (results.items_failed), never the request.
	 *
	 * @return array name => schema.
	 */
	public static function item_properties() {
		$price = array(
			'type'    => array( 'string', 'number' ),
			'minimum' => 0,
			'pattern' => '^\s*([0-9]+([.,][0-9]*)?|[.,][0-9]+)?\s*$',
		);
		$props = array(
			'product_id'     => self::integer_field( __( 'WooCommerce product or variation ID (a positive integer, or a string of one). product_id or sku is required; both must name the same product.', 'mulopimfwc-bulk-sync' ), true ),
			'sku'            => array(
				'description' => __( 'Product SKU, matched as WooCommerce matches it (case-insensitive, trailing spaces ignored; a trashed product is not found by SKU). product_id or sku is required.', 'mulopimfwc-bulk-sync' ),
				'type'        => 'string',
			),
			'location_id'    => self::integer_field( __( 'Location ID: the term_id of a mulopimfwc_store_location term (a positive integer, or a string of one). location_id or location_slug is required; both must name the same location.', 'mulopimfwc-bulk-sync' ), true ),
			'location_slug'  => array(
				'description' => __( "Location slug, percent-decoded and sanitized by the site's own sanitize_title(), as WordPress stored it. location_id or location_slug is required.", 'mulopimfwc-bulk-sync' ),
				'type'        => 'string',
			),
			'stock'          => self::integer_field( __( 'Stock at the location: an integer (a JSON integer, or a string of an optional sign and digits); negative allowed (backorders). Required unless stock_adjust is given; never both.', 'mulopimfwc-bulk-sync' ) ),
			'stock_adjust'   => self::integer_field( __( 'Instead of stock: a signed integer added to the stock at the location (and to WooCommerce\'s stock when it follows this location), applied to the current value with the rows locked.', 'mulopimfwc-bulk-sync' ) ),
			'expected_stock' => self::integer_field( __( 'Compare-and-set: the item applies only when the stock at the location equals this integer, else it fails with stock_mismatch.', 'mulopimfwc-bulk-sync' ) ),
			'regular_price'  => array_merge(
				array( 'description' => __( 'Regular price at the location: a non-negative decimal as a string ("29.99"; the store\'s decimal separator accepted) or a JSON number, stored with the digits given; "" clears it.', 'mulopimfwc-bulk-sync' ) ),
				$price
			),
			'sale_price'     => array_merge(
				array( 'description' => __( 'Sale price at the location (same forms as regular_price): must be strictly less than the regular price in force at the location; "" clears it.', 'mulopimfwc-bulk-sync' ) ),
				$price
			),
			'backorders'     => array(
				'description' => __( 'Backorders at the location.', 'mulopimfwc-bulk-sync' ),
				'type'        => 'string',
				'enum'        => array( 'no', 'notify', 'yes' ),
			),
			'disabled'       => array(
				'description' => __( 'Whether the product is disabled at the location (stored yes/no).', 'mulopimfwc-bulk-sync' ),
				'type'        => 'boolean',
			),
		);
		foreach ( $props as $name => $schema ) {
			$props[ $name ] = array_filter(
				$schema,
				static function ( $v ) {
					return null !== $v;
				}
			);
		}
		return $props;
	}

	/**
	 * One item as a JSON schema object.
	 *
	 * @return array
	 */
	private static function item_schema() {
		return array(
			'description' => __( 'One product at one location: product_id or sku, location_id or location_slug, stock or stock_adjust.', 'mulopimfwc-bulk-sync' ),
			'type'        => 'object',
			'properties'  => self::item_properties(),
		);
	}

	/**
	 * The `dry_run` arg of the write routes.
	 *
	 * @return array
	 */
	private static function dry_run_arg() {
		return array(
			'description' => __( 'Validate and resolve everything, write nothing; the response says "dry_run": true and "changes" counts what would change. In the query string (?dry_run=1|true|yes|(empty), 0|false|no) or as a JSON boolean at the top level of the body (null: not given); any other value is a 400 invalid_data.', 'mulopimfwc-bulk-sync' ),
			'type'        => 'boolean',
			'default'     => false,
		);
	}

	/**
	 * Args of POST inventory/bulk-sync: the body `{"items": [...], "dry_run": bool}`.
	 *
	 * @param int $max_items The item limit of the engine that answers (filter mulopimfwc_max_bulk_sync_items).
	 * @return array
	 */
	public static function bulk_sync_args( $max_items ) {
		return self::args(
			array(
				'items'   => array(
					/* translators: %d: the item limit. */
					'description' => sprintf( __( 'The items, each one product at one location (required; a body without an items array is a 400 invalid_data). At most %d items (filter mulopimfwc_max_bulk_sync_items; more: 400 too_many_items). Each item is independent: one that breaks a rule fails alone (results.items_failed) and never stops the others.', 'mulopimfwc-bulk-sync' ), (int) $max_items ),
					'type'        => 'array',
					'maxItems'    => (int) $max_items,
					'items'       => self::item_schema(),
				),
				'dry_run' => self::dry_run_arg(),
			)
		);
	}

	/**
	 * Args of POST inventory/update: the body is one item.
	 *
	 * @return array
	 */
	public static function update_args() {
		return self::args( array_merge( self::item_properties(), array( 'dry_run' => self::dry_run_arg() ) ) );
	}

	/**
	 * Args of POST webhook/inventory-update: one item, or `{"items": [...]}` as bulk-sync.
	 *
	 * @param int $max_items The item limit.
	 * @return array
	 */
	public static function webhook_args( $max_items ) {
		$bulk = self::bulk_sync_args( $max_items );
		$bulk['items']['description'] = __( 'Several items, answered exactly as bulk-sync (then the single-item fields are not read). Without items, the body is one item (product_id or sku required; else a 400 invalid_data).', 'mulopimfwc-bulk-sync' );
		return array_merge( self::args( self::item_properties() ), $bulk );
	}

	/**
	 * Args of GET inventory/export (query parameters).
	 *
	 * @return array
	 */
	public static function export_args() {
		return self::args(
			array(
				'location_id' => array(
					'description' => __( 'Only this location (a term_id); an unknown one gives total 0.', 'mulopimfwc-bulk-sync' ),
					'type'        => 'integer',
					'minimum'     => 1,
				),
				'page'        => array(
					'description' => __( 'The page, from 1.', 'mulopimfwc-bulk-sync' ),
					'type'        => 'integer',
					'minimum'     => 1,
					'default'     => 1,
				),
				'per_page'    => array(
					/* translators: %d: the largest page. */
					'description' => sprintf( __( 'Rows per page; a larger value than %d is clamped to it.', 'mulopimfwc-bulk-sync' ), Mulopimfwc_Bulk_Sync_Export::MAX_PER_PAGE ),
					'type'        => 'integer',
					'minimum'     => 1,
					'default'     => Mulopimfwc_Bulk_Sync_Export::DEFAULT_PER_PAGE,
				),
				'format'      => array(
					'description' => __( 'json (the schema of this route) or csv (text/csv with a UTF-8 BOM and a header row, disabled as yes/no).', 'mulopimfwc-bulk-sync' ),
					'type'        => 'string',
					'enum'        => array( 'json', 'csv' ),
					'default'     => 'json',
				),
			)
		);
	}

	/**
	 * A non-negative count.
	 *
	 * @param string $description Description.
	 * @return array
	 */
	private static function count( $description ) {
		return array(
			'description' => $description,
			'type'        => 'integer',
			'minimum'     => 0,
		);
	}

	/**
	 * An object whose every listed property is required and which has no others.
	 *
	 * @param array $properties Properties.
	 * @param array $optional   Names of the properties that may be absent.
	 * @return array
	 */
	private static function exact_object( array $properties, array $optional = array() ) {
		return array(
			'type'                 => 'object',
			'properties'           => $properties,
			'required'             => array_values( array_diff( array_keys( $properties ), $optional ) ),
			'additionalProperties' => false,
		);
	}

	/**
	 * The body of a whole-request error (WordPress's shape), under `definitions.error` of every route's schema.
	 *
	 * @return array
	 */
	public static function error_schema() {
		return array(
			'title'       => 'mulopimfwc_error',
			'description' => __( 'A whole-request error, nothing written: code (rest_forbidden, invalid_data, rest_invalid_json, too_many_items, update_failed, webhook_failed, rest_invalid_param, invalid_idempotency_key, idempotency_key_reused, idempotency_key_in_progress, mulopimfwc_db_error, mulopimfwc_engine_error, ...), message, data.status the HTTP status.', 'mulopimfwc-bulk-sync' ),
			'type'        => 'object',
			'properties'  => array(
				'code'    => array(
					'type'      => 'string',
					'minLength' => 1,
				),
				'message' => array( 'type' => 'string' ),
				'data'    => array(
					'type'       => 'object',
					'properties' => array(
						'status'    => array(
							'type'    => 'integer',
							'minimum' => 400,
							'maximum' => 599,
						),
						'item_code' => array(
							'description' => __( 'update_failed / webhook_failed: the item\'s error code.', 'mulopimfwc-bulk-sync' ),
							'type'        => 'string',
							'enum'        => self::ITEM_ERROR_CODES,
						),
						'field'     => array( 'type' => array( 'string', 'null' ) ),
						'engine'    => array(
							'type' => 'string',
							'enum' => array( 'native', 'php' ),
						),
					),
					'required'   => array( 'status' ),
				),
			),
			'required'    => array( 'code', 'message', 'data' ),
		);
	}

	/**
	 * The body of a bulk-sync answer (HTTP 200 for any well-formed request, whatever its items did).
	 *
	 * @return array
	 */
	private static function bulk_sync_body() {
		$any = array( 'type' => array( 'string', 'integer', 'number', 'boolean', 'array', 'object' ) );
		return self::exact_object(
			array(
				'success' => array(
					'description' => __( 'The request was processed (always true in a 200).', 'mulopimfwc-bulk-sync' ),
					'type'        => 'boolean',
					'enum'        => array( true ),
				),
				'message' => array(
					'description' => __( 'Summary: "Processed N items. S succeeded, F failed."', 'mulopimfwc-bulk-sync' ),
					'type'        => 'string',
				),
				'results' => self::exact_object(
					array(
						'success'      => self::count( __( 'Items applied (or that would be, on a dry run).', 'mulopimfwc-bulk-sync' ) ),
						'failed'       => self::count( __( 'Items that failed.', 'mulopimfwc-bulk-sync' ) ),
						'errors'       => array(
							'description' => __( 'One "Item N: message" per failed item, N counting from 1.', 'mulopimfwc-bulk-sync' ),
							'type'        => 'array',
							'items'       => array(
								'type'    => 'string',
								'pattern' => '^Item [1-9][0-9]*: ',
							),
						),
						'items_failed' => array(
							'description' => __( 'Each failed item: its index (from 1), error code, field and message, and its identifiers as sent (only those present and not null).', 'mulopimfwc-bulk-sync' ),
							'type'        => 'array',
							'items'       => self::exact_object(
								array(
									'index'         => array(
										'type'    => 'integer',
										'minimum' => 1,
									),
									'code'          => array(
										'type' => 'string',
										'enum' => self::ITEM_ERROR_CODES,
									),
									'field'         => array( 'type' => array( 'string', 'null' ) ),
									'message'       => array( 'type' => 'string' ),
									'sku'           => $any,
									'product_id'    => $any,
									'location_slug' => $any,
									'location_id'   => $any,
								),
								array( 'field', 'sku', 'product_id', 'location_slug', 'location_id' )
							),
						),
					)
				),
				'dry_run' => array(
					'description' => __( 'true on a dry run (nothing was written); false or absent otherwise.', 'mulopimfwc-bulk-sync' ),
					'type'        => 'boolean',
				),
				'changes' => self::exact_object(
					array(
						'meta_rows_inserted' => self::count( __( 'Meta rows inserted (would be, on a dry run).', 'mulopimfwc-bulk-sync' ) ),
						'meta_rows_updated'  => self::count( __( 'Meta rows whose value changed.', 'mulopimfwc-bulk-sync' ) ),
						'meta_rows_deleted'  => self::count( __( 'Duplicate meta rows of one key removed.', 'mulopimfwc-bulk-sync' ) ),
						'main_stock_updates' => self::count( __( 'Products whose WooCommerce stock was set.', 'mulopimfwc-bulk-sync' ) ),
					)
				),
				'engine'  => array(
					'description' => __( 'The engine that answered (also the X-Mulopimfwc-Engine header).', 'mulopimfwc-bulk-sync' ),
					'type'        => 'string',
					'enum'        => array( 'native', 'php' ),
				),
			),
			array( 'dry_run' )
		);
	}

	/**
	 * The body of a single-item answer (inventory/update, the webhook's single item).
	 *
	 * @return array
	 */
	private static function single_item_body() {
		return self::exact_object(
			array(
				'success' => array(
					'type' => 'boolean',
					'enum' => array( true ),
				),
				'message' => array( 'type' => 'string' ),
				'data'    => self::exact_object(
					array(
						'product_id'  => array(
							'type'    => 'integer',
							'minimum' => 1,
						),
						'location_id' => array(
							'type'    => 'integer',
							'minimum' => 1,
						),
						'sku'         => array(
							'description' => __( 'The product\'s SKU ("" when it has none).', 'mulopimfwc-bulk-sync' ),
							'type'        => 'string',
						),
					)
				),
				'dry_run' => array( 'type' => 'boolean' ),
			),
			array( 'dry_run' )
		);
	}

	/**
	 * A route's schema: the body of its 200 answer, with the whole-request error body under `definitions.error`.
	 *
	 * @param string $title       Title.
	 * @param string $description Description.
	 * @param array  $body        The 200 body's schema.
	 * @return array
	 */
	private static function route_schema( $title, $description, array $body ) {
		return array_merge(
			array(
				'$schema'     => self::SCHEMA_DRAFT,
				'title'       => $title,
				'description' => $description,
			),
			$body,
			array( 'definitions' => array( 'error' => self::error_schema() ) )
		);
	}

	/**
	 * Schema of POST inventory/bulk-sync.
	 *
	 * @return array
	 */
	public static function bulk_sync_schema() {
		return self::route_schema(
			'mulopimfwc_bulk_sync',
			__( 'The answer to a bulk sync: HTTP 200 for any well-formed request, whatever its items did. Whole-request errors: definitions.error.', 'mulopimfwc-bulk-sync' ),
			self::bulk_sync_body()
		);
	}

	/**
	 * Schema of POST inventory/update.
	 *
	 * @return array
	 */
	public static function update_schema() {
		return self::route_schema(
			'mulopimfwc_inventory_update',
			__( 'The answer to one item applied; a failed item is a 400 update_failed (definitions.error, data.item_code).', 'mulopimfwc-bulk-sync' ),
			self::single_item_body()
		);
	}

	/**
	 * Schema of POST webhook/inventory-update.
	 *
	 * @return array
	 */
	public static function webhook_schema() {
		return self::route_schema(
			'mulopimfwc_webhook_inventory_update',
			__( 'A single item answered as inventory/update (a failed item: 400 webhook_failed), or {"items": [...]} answered as bulk-sync.', 'mulopimfwc-bulk-sync' ),
			array(
				'type'  => 'object',
				'oneOf' => array( self::single_item_body(), self::bulk_sync_body() ),
			)
		);
	}

	/**
	 * Schema of GET inventory/export (format=json).
	 *
	 * @return array
	 */
	public static function export_schema() {
		$text = array( 'type' => 'string' );
		$row  = self::exact_object(
			array(
				'product_id'    => array(
					'type'    => 'integer',
					'minimum' => 1,
				),
				'sku'           => $text,
				'product_name'  => $text,
				'location_id'   => array(
					'type'    => 'integer',
					'minimum' => 1,
				),
				'location_slug' => $text,
				'location_name' => $text,
				'stock'         => $text,
				'regular_price' => $text,
				'sale_price'    => $text,
				'backorders'    => $text,
				'disabled'      => array( 'type' => 'boolean' ),
			)
		);
		$row['description'] = __( 'One product (or variation) at one location; text fields are "" where no meta is stored.', 'mulopimfwc-bulk-sync' );
		return self::route_schema(
			'mulopimfwc_inventory_export',
			__( 'One page of per-location stock and prices (format=json). Headers X-WP-Total and X-WP-TotalPages.', 'mulopimfwc-bulk-sync' ),
			self::exact_object(
				array(
					'success'  => array(
						'type' => 'boolean',
						'enum' => array( true ),
					),
					'count'    => self::count( __( 'Rows on this page.', 'mulopimfwc-bulk-sync' ) ),
					'total'    => self::count( __( 'All rows.', 'mulopimfwc-bulk-sync' ) ),
					'page'     => array(
						'type'    => 'integer',
						'minimum' => 1,
					),
					'per_page' => array(
						'type'    => 'integer',
						'minimum' => 1,
						'maximum' => Mulopimfwc_Bulk_Sync_Export::MAX_PER_PAGE,
					),
					'data'     => array(
						'type'  => 'array',
						'items' => $row,
					),
				)
			)
		);
	}
}
