<?php
/**
 * The pure-PHP bulk sync engine: the same contract as the native `mulopimfwc_bulk_sync()`.
 *
 * Set-based: every request costs a constant number of SQL statements, whatever its item count
 * (beyond chunking of very long IN lists and multi-row writes). Read once, decide in memory, write once,
 * in one transaction.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * A JSON number kept as the text it was written with (prices never go through a binary float).
 */
final class Mulopimfwc_Bulk_Sync_Json_Number {

	/**
	 * The number exactly as written in the JSON body.
	 *
	 * @var string
	 */
	public $text;

	/**
	 * Constructor.
	 *
	 * @param string $text Number text.
	 */
	public function __construct( $text ) {
		$this->text = (string) $text;
	}
}

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
 * Pure-PHP bulk sync engine.
 */
class Mulopimfwc_Bulk_Sync_PHP_Engine {

	const NUMBER_TAG        = "\0mulopimfwc:number";
	const LOCATION_TAXONOMY = 'mulopimfwc_store_location';
	const MAX_RETRIES       = 3;
	const CHUNK_ROWS        = 1000000;
	const CHUNK_BYTES       = 1048576;
	const IN_CHUNK          = 50000;
	const MAX_SKU_BYTES     = 65536;
	const MAX_JSON_DEPTH    = 128;

	/**
	 * The phases of a request, as the result's `timings` names them (tests/contract/README.md, "timings").
	 */
	const PHASES = array( 'parse', 'resolve', 'lock', 'read', 'plan', 'write' );

	/**
	 * Item error messages by code (the contract's wording; translated where WordPress translates).
	 *
	 * @var array
	 */
	private static $messages = array();

	/**
	 * Database.
	 *
	 * @var wpdb
	 */
	private $wpdb;

	/**
	 * Statements sent to the server during the last run (for tests and benchmarks).
	 *
	 * @var int
	 */
	public $query_count = 0;

	/**
	 * Transactions the last run took (1 unless a lock conflict made it try again).
	 *
	 * @var int
	 */
	public $attempts = 0;

	/**
	 * Table names.
	 *
	 * @var array
	 */
	private $t = array();

	/**
	 * Options for the current run.
	 *
	 * @var array
	 */
	private $opts = array();

	/**
	 * Whether the body of the current run asked for a dry run (`"dry_run": true`).
	 *
	 * @var bool
	 */
	private $body_dry = false;

	/**
	 * The items of the current run as given (for the identifiers in items_failed).
	 *
	 * @var array
	 */
	private $raw_items = array();

	/**
	 * Whether tune_session() ran on this connection.
	 *
	 * @var bool
	 */
	private $session_tuned = false;

	/**
	 * Longest statement text, from the server's max_allowed_packet (tune_session()); CHUNK_BYTES until asked.
	 *
	 * @var int
	 */
	private $chunk_bytes = self::CHUNK_BYTES;

	/**
	 * Whether the server knows `SELECT ... FOR UPDATE NOWAIT` (MariaDB 10.3, MySQL 8.0).
	 *
	 * @var bool
	 */
	private $nowait = false;

	/**
	 * Whether this attempt locks and inserts post by post (after a lock conflict; see insert_and_lock()).
	 *
	 * @var bool
	 */
	private $post_by_post = false;

	/**
	 * The first auto-increment id this attempt's inserts got (0: none yet).
	 *
	 * @var int
	 */
	private $fresh_from = 0;

	/**
	 * Seconds spent per phase in the current run (summed over attempts).
	 *
	 * @var array
	 */
	private $clock = array();

	/**
	 * The last run's `timings` (milliseconds per phase and `total`), also after a whole-request error.
	 *
	 * @var array|null
	 */
	private $last_timings = null;

	/**
	 * Constructor.
	 *
	 * @param wpdb|null $db Database object (default: the global $wpdb).
	 */
	public function __construct( $db = null ) {
		global $wpdb;
		$this->wpdb = $db ? $db : $wpdb;
	}

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
	 * Run a bulk sync.
	 *
	 * @param string|array $payload Raw JSON body, or the same structure as a PHP array.
	 * @param array        $options Engine options (see tests/contract/README.md), plus `dry_run`.
	 * @return array|WP_Error The result array, or a WP_Error for a whole-request error.
	 */
	public function run( $payload, $options = array() ) {
		$started            = microtime( true );
		$this->query_count  = 0;
		$this->opts         = is_array( $options ) ? $options : array();
		$this->body_dry     = false;
		$this->clock        = array_fill_keys( self::PHASES, 0.0 );
		$this->last_timings = null;
		try {
			try {
				$items = $this->decode_payload( $payload );
			} finally {
				$this->lap( 'parse', $started );
			}
			if ( $this->body_dry ) {
				$this->opts['dry_run'] = true;
			}
			$max = isset( $this->opts['max_items'] ) ? (int) $this->opts['max_items'] : 100000;
			if ( $max > 0 && count( $items ) > $max ) {
				throw new Mulopimfwc_Bulk_Sync_Request_Exception(
					'too_many_items',
					sprintf(
						/* translators: %d: the maximum number of items per request. */
						__( 'Too many items: at most %d items per request.', 'mulopimfwc-bulk-sync' ),
						$max
					),
					400
				);
			}
			$result             = $this->sync( $items );
			$this->last_timings = $this->timings_since( $started );
			$result['timings']  = $this->last_timings;
			return $result;
		} catch ( Mulopimfwc_Bulk_Sync_Request_Exception $e ) {
			$this->last_timings = $this->timings_since( $started );
			return new WP_Error( $e->error_code, $e->getMessage(), array( 'status' => $e->getCode() ) );
		}
	}

	/**
	 * The last run's `timings`: milliseconds per phase and `total`, also after a whole-request error (the phases
	 * that did not run are 0). Null before any run.
	 *
	 * @return array|null
	 */
	public function timings() {
		return $this->last_timings;
	}

	/**
	 * Add the time since `$since` to a phase.
	 *
	 * @param string $phase One of PHASES.
	 * @param float  $since microtime( true ) at the phase's start.
	 * @return float Now (microtime( true )).
	 */
	private function lap( $phase, $since ) {
		$now                    = microtime( true );
		$this->clock[ $phase ] += max( 0.0, $now - $since );
		return $now;
	}

	/**
	 * The phases in milliseconds (rounded down to the microsecond) and `total`, the time since `$started` (rounded
	 * up, never below the phases' sum), as the native engine reports them (src/timing.rs).
	 *
	 * @param float $started microtime( true ) at the start of the run.
	 * @return array
	 */
	private function timings_since( $started ) {
		$out = array();
		$sum = 0.0;
		foreach ( self::PHASES as $phase ) {
			$ms            = floor( $this->clock[ $phase ] * 1000000 ) / 1000;
			$out[ $phase ] = (float) $ms;
			$sum          += $this->clock[ $phase ];
		}
		$out['total'] = (float) ( ceil( max( microtime( true ) - $started, $sum ) * 1000000 ) / 1000 );
		return $out;
	}

	/*
	|--------------------------------------------------------------------------
	| Parsing
	|--------------------------------------------------------------------------
	*/

	/**
	 * Turn the payload into a list of items (each an array of fields, or a non-object value).
	 *
	 * @param mixed $payload Payload.
	 * @return array
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception When the payload is not a valid request.
	 */
	private function decode_payload( $payload ) {
		if ( is_string( $payload ) ) {
			$data = $this->decode_json( $payload );
			if ( ! ( $data instanceof stdClass ) || ! property_exists( $data, 'items' ) || ! is_array( $data->items ) || ! ( $this->untag( $data->items ) === $data->items ) ) {
				throw $this->invalid_data();
			}
			$this->body_dry = $this->dry_run_flag( property_exists( $data, 'dry_run' ) ? $this->untag( $data->dry_run ) : null );
			$items          = array();
			foreach ( $data->items as $item ) {
				$items[] = $item instanceof stdClass ? $this->untag_fields( get_object_vars( $item ) ) : false;
			}
			return $items;
		}
		if ( is_array( $payload ) || $payload instanceof stdClass ) {
			if ( ! self::depth_ok( $payload, self::MAX_JSON_DEPTH ) ) {
				throw $this->invalid_data(); // As native: a value nested deeper than 128 ends the request.
			}
			$payload = (array) $payload;
			if ( ! array_key_exists( 'items', $payload ) || ! is_array( $payload['items'] ) || ! $this->is_list( $payload['items'] ) ) {
				throw $this->invalid_data();
			}
			$this->body_dry = $this->dry_run_flag( array_key_exists( 'dry_run', $payload ) ? $payload['dry_run'] : null );
			$items          = array();
			foreach ( $payload['items'] as $item ) {
				if ( $item instanceof stdClass ) {
					$item = get_object_vars( $item );
				} elseif ( is_array( $item ) && ! empty( $item ) && $this->is_list( $item ) ) {
					$item = false; // A JSON array, not an object.
				}
				$items[] = $item;
			}
			return $items;
		}
		throw $this->invalid_data();
	}

	/**
	 * Whether no value of an array payload lies deeper than $left levels below it (the native engine refuses a
	 * payload with a value at depth > 128, the payload itself being at depth 0).
	 *
	 * @param array|object $v    Container.
	 * @param int          $left Levels still allowed below it.
	 * @return bool
	 */
	private static function depth_ok( $v, $left ) {
		foreach ( ( $v instanceof stdClass ? get_object_vars( $v ) : (array) $v ) as $x ) {
			if ( is_array( $x ) || is_object( $x ) ) {
				if ( $left < 1 || ( ( $x || is_object( $x ) ) && ! self::depth_ok( $x, $left - 1 ) ) ) {
					return false;
				}
			} elseif ( $left < 1 ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * The body's `dry_run`: absent or null is false, a boolean is itself, anything else ends the request.
	 *
	 * @param mixed $v Value.
	 * @return bool
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception When it is not a boolean.
	 */
	private function dry_run_flag( $v ) {
		if ( null === $v ) {
			return false;
		}
		if ( ! is_bool( $v ) ) {
			throw $this->invalid_data();
		}
		return $v;
	}

	/**
	 * Decode a JSON body keeping every number as its exact text.
	 *
	 * @param string $body Raw body.
	 * @return mixed
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception When the body is not JSON.
	 */
	private function decode_json( $body ) {
		// Depth as the native engine's (serde_json's recursion limit of 128): deeper bodies are invalid_data.
		$plain = json_decode( $body, false, self::MAX_JSON_DEPTH, JSON_BIGINT_AS_STRING );
		if ( JSON_ERROR_NONE !== json_last_error() ) {
			throw $this->invalid_data();
		}
		if ( ! ( $plain instanceof stdClass ) ) {
			return $plain;
		}
		// Valid JSON: wrap each number token (outside strings) as ["\u0000mulopimfwc:number","TEXT"].
		$tagged = preg_replace_callback(
			'/"(?:[^"\\\\]++|\\\\.)*+"|-?\d++(?:\.\d++)?(?:[eE][+-]?\d++)?/s',
			static function ( $m ) {
				if ( '"' === $m[0][0] ) {
					return $m[0];
				}
				return '["\u0000mulopimfwc:number","' . $m[0] . '"]';
			},
			$body
		);
		if ( null === $tagged ) {
			return $plain; // PCRE limit: fall back to the plain decode (numbers as PHP numbers).
		}
		$data = json_decode( $tagged, false, 1024, JSON_BIGINT_AS_STRING );
		return JSON_ERROR_NONE === json_last_error() ? $data : $plain;
	}

	/**
	 * Replace tagged numbers among an item's fields.
	 *
	 * @param array $fields Fields.
	 * @return array
	 */
	private function untag_fields( array $fields ) {
		foreach ( $fields as $k => $v ) {
			$fields[ $k ] = $this->untag( $v );
		}
		return $fields;
	}

	/**
	 * Replace a tagged number by a Mulopimfwc_Bulk_Sync_Json_Number.
	 *
	 * @param mixed $v Value.
	 * @return mixed
	 */
	private function untag( $v ) {
		if ( is_array( $v ) && 2 === count( $v ) && isset( $v[0], $v[1] ) && self::NUMBER_TAG === $v[0] ) {
			return new Mulopimfwc_Bulk_Sync_Json_Number( $v[1] );
		}
		return $v; // Any other array or object stays as it is: only its being one matters.
	}

	/**
	 * Whether an array is a list (0..n-1 keys).
	 *
	 * @param array $a Array.
	 * @return bool
	 */
	private function is_list( array $a ) {
		if ( function_exists( 'array_is_list' ) ) {
			return array_is_list( $a );
		}
		return array_keys( $a ) === range( 0, count( $a ) - 1 ) || array() === $a;
	}

	/**
	 * The invalid_data whole-request error.
	 *
	 * @return Mulopimfwc_Bulk_Sync_Request_Exception
	 */
	private function invalid_data() {
		return new Mulopimfwc_Bulk_Sync_Request_Exception(
			'invalid_data',
			__( 'Invalid data: the body must be a JSON object with an "items" array.', 'mulopimfwc-bulk-sync' ),
			400
		);
	}

	/*
	|--------------------------------------------------------------------------
	| Validation (pure)
	|--------------------------------------------------------------------------
	*/

	/**
	 * Validate one item.
	 *
	 * @param mixed  $item Item (array of fields when it was an object).
	 * @param string $sep  Store decimal separator.
	 * @return array Either ['error' => [code, field]] or the normalized item.
	 */
	public static function validate_item( $item, $sep ) {
		if ( ! is_array( $item ) ) {
			return array( 'error' => array( 'invalid_item', null ) );
		}
		$given = static function ( $k ) use ( $item ) {
			return array_key_exists( $k, $item ) && null !== $item[ $k ] && '' !== $item[ $k ];
		};
		$out = array(
			'product_id'  => null,
			'sku'         => null,
			'location_id' => null,
			'slug'        => null,
			'stock'       => null,
			'adjust'      => null,
			'expected'    => null,
			'regular'     => null,
			'sale'        => null,
			'backorders'  => null,
			'disabled'    => null,
		);
		if ( ! $given( 'product_id' ) && ! $given( 'sku' ) ) {
			return array( 'error' => array( 'missing_product', 'product_id' ) );
		}
		if ( $given( 'product_id' ) ) {
			$out['product_id'] = self::parse_positive_int( $item['product_id'] );
			if ( null === $out['product_id'] ) {
				return array( 'error' => array( 'invalid_product_id', 'product_id' ) );
			}
		}
		if ( $given( 'sku' ) ) {
			$sku = $item['sku'];
			if ( $sku instanceof Mulopimfwc_Bulk_Sync_Json_Number && preg_match( '/^-?\d+$/', $sku->text ) ) {
				$sku = $sku->text;
			} elseif ( is_int( $sku ) ) {
				$sku = (string) $sku;
			}
			if ( ! is_string( $sku ) || ( function_exists( 'mb_check_encoding' ) && ! mb_check_encoding( $sku, 'UTF-8' ) ) ) {
				return array( 'error' => array( 'invalid_sku', 'sku' ) );
			}
			$out['sku'] = $sku;
		}
		if ( ! $given( 'location_id' ) && ! $given( 'location_slug' ) ) {
			return array( 'error' => array( 'missing_location', 'location_id' ) );
		}
		if ( $given( 'location_id' ) ) {
			$out['location_id'] = self::parse_positive_int( $item['location_id'] );
			if ( null === $out['location_id'] ) {
				return array( 'error' => array( 'invalid_location_id', 'location_id' ) );
			}
		}
		if ( $given( 'location_slug' ) ) {
			if ( ! is_string( $item['location_slug'] ) ) {
				return array( 'error' => array( 'invalid_location_slug', 'location_slug' ) );
			}
			$out['slug'] = self::normalize_slug( $item['location_slug'] );
		}
		$has_stock  = array_key_exists( 'stock', $item ) && null !== $item['stock'];
		$has_adjust = array_key_exists( 'stock_adjust', $item ) && null !== $item['stock_adjust'];
		if ( $has_stock && $has_adjust ) {
			return array( 'error' => array( 'stock_conflict', 'stock_adjust' ) );
		}
		if ( ! $has_stock && ! $has_adjust ) {
			return array( 'error' => array( 'missing_stock', 'stock' ) );
		}
		if ( $has_stock ) {
			$out['stock'] = self::parse_stock( $item['stock'] );
			if ( null === $out['stock'] ) {
				return array( 'error' => array( 'invalid_stock', 'stock' ) );
			}
		} else {
			$out['adjust'] = self::parse_stock( $item['stock_adjust'] );
			if ( null === $out['adjust'] ) {
				return array( 'error' => array( 'invalid_stock_adjust', 'stock_adjust' ) );
			}
		}
		if ( array_key_exists( 'expected_stock', $item ) && null !== $item['expected_stock'] ) {
			$out['expected'] = self::parse_stock( $item['expected_stock'] );
			if ( null === $out['expected'] ) {
				return array( 'error' => array( 'invalid_expected_stock', 'expected_stock' ) );
			}
		}
		foreach ( array(
			'regular_price' => 'regular',
			'sale_price'    => 'sale',
		) as $field => $key ) {
			if ( array_key_exists( $field, $item ) && null !== $item[ $field ] ) {
				$out[ $key ] = self::parse_price( $item[ $field ], $sep );
				if ( null === $out[ $key ] ) {
					return array( 'error' => array( 'invalid_' . $field, $field ) );
				}
			}
		}
		if ( array_key_exists( 'backorders', $item ) && null !== $item['backorders'] ) {
			if ( ! is_string( $item['backorders'] ) || ! in_array( $item['backorders'], array( 'no', 'notify', 'yes' ), true ) ) {
				return array( 'error' => array( 'invalid_backorders', 'backorders' ) );
			}
			$out['backorders'] = $item['backorders'];
		}
		if ( array_key_exists( 'disabled', $item ) && null !== $item['disabled'] ) {
			if ( ! is_bool( $item['disabled'] ) ) {
				return array( 'error' => array( 'invalid_disabled', 'disabled' ) );
			}
			$out['disabled'] = $item['disabled'] ? 'yes' : 'no';
		}
		return $out;
	}

	/**
	 * A positive integer (JSON integer or integer-valued string), else null.
	 *
	 * @param mixed $v Value.
	 * @return int|null
	 */
	public static function parse_positive_int( $v ) {
		if ( is_int( $v ) ) {
			return $v > 0 ? $v : null;
		}
		if ( $v instanceof Mulopimfwc_Bulk_Sync_Json_Number ) {
			$v = $v->text;
		} elseif ( ! is_string( $v ) ) {
			return null;
		}
		if ( ! preg_match( '/^[ \t\r\n]*\+?0*(\d{1,19})[ \t\r\n]*$/D', $v, $m ) ) {
			return null;
		}
		$s = ltrim( $m[1], '0' );
		if ( '' === $s || ( strlen( $s ) === 19 && strcmp( $s, (string) PHP_INT_MAX ) > 0 ) ) {
			return null;
		}
		return (int) $s;
	}

	/**
	 * Stock: a JSON integer or a string of an optional sign and digits; canonical decimal string or null.
	 *
	 * @param mixed $v Value.
	 * @return string|null
	 */
	public static function parse_stock( $v ) {
		if ( is_int( $v ) ) {
			return (string) $v;
		}
		if ( $v instanceof Mulopimfwc_Bulk_Sync_Json_Number ) {
			if ( ! preg_match( '/^(-?)(\d+)$/D', $v->text, $m ) ) {
				return null;
			}
		} elseif ( ! is_string( $v ) || ! preg_match( '/^[ \t\r\n]*([+-]?)(\d+)[ \t\r\n]*$/D', $v, $m ) ) {
			return null;
		}
		$digits = ltrim( $m[2], '0' );
		if ( '' === $digits ) {
			return '0';
		}
		if ( strlen( $digits ) > 19 || ( strlen( $digits ) === 19 && strcmp( $digits, (string) PHP_INT_MAX ) > 0 ) ) {
			return null;
		}
		return ( '-' === $m[1] ? '-' : '' ) . $digits;
	}

	/**
	 * Price: a non-negative decimal (string or JSON number), stored with '.'; '' clears; null if invalid.
	 *
	 * @param mixed  $v   Value.
	 * @param string $sep Store decimal separator.
	 * @return string|null
	 */
	public static function parse_price( $v, $sep ) {
		$text = self::price_text( $v, $sep );
		return ( null === $text || '' === $text || self::digit_count( $text ) <= self::MAX_PRICE_DIGITS ) ? $text : null;
	}

	/**
	 * The most digits a price may have (leading zeros of the integer part aside), as in the native
	 * engine: what an exact 96-bit decimal holds. Longer prices are refused, never rounded.
	 */
	const MAX_PRICE_DIGITS = 28;

	/**
	 * Digits of a plain decimal, leading zeros of its integer part aside.
	 *
	 * @param string $text Plain decimal.
	 * @return int
	 */
	private static function digit_count( $text ) {
		$parts = explode( '.', $text, 2 );
		return strlen( ltrim( $parts[0], '0' ) ) + ( isset( $parts[1] ) ? strlen( $parts[1] ) : 0 );
	}

	/**
	 * A price's text as it will be stored, before the digit bound; null when it is not a price.
	 *
	 * @param mixed  $v   Value.
	 * @param string $sep Store decimal separator.
	 * @return string|null
	 */
	private static function price_text( $v, $sep ) {
		if ( $v instanceof Mulopimfwc_Bulk_Sync_Json_Number ) {
			return preg_match( '/^\d+(\.\d+)?$/D', $v->text ) ? $v->text : null;
		}
		if ( is_int( $v ) ) {
			return $v >= 0 ? (string) $v : null;
		}
		if ( is_float( $v ) ) {
			$text = var_export( $v, true ); // Shortest round-trip form (serialize_precision).
			return preg_match( '/^\d+(\.\d+)?$/D', $text ) ? $text : null;
		}
		if ( ! is_string( $v ) ) {
			return null;
		}
		$s = trim( $v, " \t\r\n" );
		if ( '' === $s ) {
			return '' === $v ? '' : null;
		}
		if ( is_string( $sep ) && '' !== $sep && '.' !== $sep && false !== strpos( $s, $sep ) ) {
			if ( false !== strpos( $s, '.' ) || substr_count( $s, $sep ) !== 1 ) {
				return null;
			}
			$s = str_replace( $sep, '.', $s );
		}
		return preg_match( '/^(\d+(\.\d+)?|\.\d+)$/D', $s ) ? $s : null;
	}

	/**
	 * Compare two non-negative decimal strings without floats.
	 *
	 * @param string $a Decimal.
	 * @param string $b Decimal.
	 * @return int -1, 0 or 1.
	 */
	public static function compare_decimals( $a, $b ) {
		list( $ai, $af ) = array_pad( explode( '.', $a, 2 ), 2, '' );
		list( $bi, $bf ) = array_pad( explode( '.', $b, 2 ), 2, '' );
		$ai  = ltrim( $ai, '0' );
		$bi  = ltrim( $bi, '0' );
		$len = max( strlen( $af ), strlen( $bf ) );
		$af  = str_pad( $af, $len, '0' );
		$bf  = str_pad( $bf, $len, '0' );
		if ( strlen( $ai ) !== strlen( $bi ) ) {
			return strlen( $ai ) < strlen( $bi ) ? -1 : 1;
		}
		$c = strcmp( $ai . $af, $bi . $bf );
		return $c < 0 ? -1 : ( $c > 0 ? 1 : 0 );
	}

	/**
	 * Whether a stored value is a comparable decimal.
	 *
	 * @param mixed $v Value.
	 * @return bool
	 */
	private static function is_decimal( $v ) {
		return is_string( $v ) && 1 === preg_match( '/^(\d+(\.\d*)?|\.\d+)$/D', trim( $v ) );
	}

	/**
	 * Slug as get_term_by( 'slug' ) would look it up: percent-decoded when that gives UTF-8, then sanitize_title().
	 *
	 * @param string $slug Raw slug.
	 * @return string
	 */
	public static function normalize_slug( $slug ) {
		if ( preg_match( '/%[0-9a-fA-F]{2}/', $slug ) ) {
			$decoded = rawurldecode( $slug );
			if ( ! function_exists( 'mb_check_encoding' ) || mb_check_encoding( $decoded, 'UTF-8' ) ) {
				$slug = $decoded;
			}
		}
		$title = sanitize_title( $slug );
		if ( ! has_filter( 'sanitize_title', 'sanitize_title_with_dashes' ) ) {
			$title = sanitize_title_with_dashes( $title, '', 'save' );
		}
		return (string) $title;
	}

	/*
	|--------------------------------------------------------------------------
	| Database helpers
	|--------------------------------------------------------------------------
	*/

	/**
	 * Whether queries go straight to the mysqli handle (no silent reconnect in the middle of a transaction).
	 *
	 * @return bool
	 */
	private function direct() {
		return ! empty( $this->wpdb->use_mysqli ) && isset( $this->wpdb->dbh ) && $this->wpdb->dbh instanceof mysqli;
	}

	/**
	 * Quote a string for SQL.
	 *
	 * @param string $s String.
	 * @return string
	 */
	private function q( $s ) {
		if ( $this->direct() ) {
			return "'" . mysqli_real_escape_string( $this->wpdb->dbh, (string) $s ) . "'";
		}
		return "'" . $this->wpdb->_real_escape( (string) $s ) . "'";
	}

	/**
	 * Comma list of integers.
	 *
	 * @param array $ids Ids.
	 * @return string
	 */
	private static function ints( array $ids ) {
		return implode( ',', array_map( 'intval', $ids ) );
	}

	/**
	 * Run one statement.
	 *
	 * @param string $sql    SQL.
	 * @param bool   $select Whether rows are expected back.
	 * @param bool   $assoc  Rows as assoc arrays (else as lists: lighter for many rows).
	 * @return array|int Rows or affected rows.
	 * @throws Mulopimfwc_Bulk_Sync_Db_Exception On any database error.
	 */
	private function sql( $sql, $select = false, $assoc = true ) {
		++$this->query_count;
		if ( $this->direct() ) {
			$dbh = $this->wpdb->dbh;
			try {
				$res = mysqli_query( $dbh, $sql );
			} catch ( Exception $e ) {
				throw new Mulopimfwc_Bulk_Sync_Db_Exception( (int) $e->getCode() );
			}
			if ( false === $res ) {
				throw new Mulopimfwc_Bulk_Sync_Db_Exception( mysqli_errno( $dbh ) );
			}
			if ( $select ) {
				$rows = $res instanceof mysqli_result ? mysqli_fetch_all( $res, $assoc ? MYSQLI_ASSOC : MYSQLI_NUM ) : array();
				if ( $res instanceof mysqli_result ) {
					mysqli_free_result( $res );
				}
				return $rows;
			}
			return mysqli_affected_rows( $dbh );
		}
		$suppress = $this->wpdb->suppress_errors( true );
		if ( $select ) {
			$rows = $this->wpdb->get_results( $sql, $assoc ? ARRAY_A : ARRAY_N );
		} else {
			$rows = $this->wpdb->query( $sql );
		}
		$this->wpdb->suppress_errors( $suppress );
		if ( '' !== (string) $this->wpdb->last_error || false === $rows ) {
			throw new Mulopimfwc_Bulk_Sync_Db_Exception( 0 );
		}
		return $select ? (array) $rows : (int) $rows;
	}

	/**
	 * Run a SELECT over chunks of an id/value list.
	 *
	 * @param array    $values List.
	 * @param callable $build  Builds the SQL for one chunk.
	 * @return array Rows.
	 */
	private function select_chunked( array $values, $build ) {
		$rows = array();
		foreach ( array_chunk( array_values( $values ), self::IN_CHUNK ) as $chunk ) {
			foreach ( $this->sql( $build( $chunk ), true ) as $row ) {
				$rows[] = $row;
			}
		}
		return $rows;
	}

	/**
	 * Comma lists of SQL values, each at most IN_CHUNK values and about CHUNK_BYTES long (one per statement).
	 *
	 * @param array $values Quoted SQL values.
	 * @return string[]
	 */
	private function in_chunks( array $values ) {
		$lists = array();
		$batch = array();
		$bytes = 0;
		foreach ( $values as $v ) {
			if ( $batch && ( count( $batch ) >= self::IN_CHUNK || $bytes + strlen( $v ) > $this->chunk_bytes ) ) {
				$lists[] = implode( ',', $batch );
				$batch   = array();
				$bytes   = 0;
			}
			$batch[] = $v;
			$bytes  += strlen( $v ) + 1;
		}
		if ( $batch ) {
			$lists[] = implode( ',', $batch );
		}
		return $lists;
	}

	/**
	 * The key two SKUs match by (native: src/request.rs sku_key()): trailing spaces dropped, lower-cased
	 * (Unicode-aware when mbstring is there, as Rust's to_lowercase()).
	 *
	 * @param string $sku SKU.
	 * @return string
	 */
	public static function sku_key( $sku ) {
		$sku = rtrim( (string) $sku, ' ' );
		if ( ! function_exists( 'mb_strtolower' ) || ! preg_match( '/[\x80-\xff]/', $sku ) || ! mb_check_encoding( $sku, 'UTF-8' ) ) {
			return strtolower( $sku );
		}
		if ( false === strpos( $sku, "\xCE\xA3" ) ) {
			return mb_strtolower( $sku, 'UTF-8' );
		}
		// Capital sigma: Rust lower-cases it to the final form at the end of a word (a cased letter before it,
		// none after it, case-ignorable characters skipped); mbstring does so only from PHP 8.3.
		$chars = preg_split( '//u', $sku, -1, PREG_SPLIT_NO_EMPTY );
		$out   = '';
		foreach ( $chars as $i => $c ) {
			if ( "\xCE\xA3" !== $c ) {
				$out .= mb_strtolower( $c, 'UTF-8' );
				continue;
			}
			$out .= ( self::cased_near( $chars, $i, -1 ) && ! self::cased_near( $chars, $i, 1 ) ) ? "\xCF\x82" : "\xCF\x83";
		}
		return $out;
	}

	/**
	 * Whether the first character from $i in direction $dir that is not case-ignorable is a cased letter.
	 *
	 * @param string[] $chars Characters.
	 * @param int      $i     Start (excluded).
	 * @param int      $dir   -1 or 1.
	 * @return bool
	 */
	private static function cased_near( array $chars, $i, $dir ) {
		for ( $j = $i + $dir; isset( $chars[ $j ] ); $j += $dir ) {
			if ( preg_match( "/^[\\p{Mn}\\p{Me}\\p{Cf}\\p{Lm}\\p{Sk}'.:\\x{B7}\\x{2018}\\x{2019}\\x{2024}\\x{FE52}\\x{FF07}\\x{FF0E}]$/u", $chars[ $j ] ) ) {
				continue;
			}
			return 1 === preg_match( '/^[\\p{Lu}\\p{Ll}\\p{Lt}]$/u', $chars[ $j ] );
		}
		return false;
	}

	/**
	 * Run multi-row statements: `$head . rows . $tail`, chunked by count and size.
	 *
	 * @param string $head SQL before the VALUES tuples.
	 * @param array  $rows SQL tuples "(...)".
	 * @param string $tail SQL after the tuples.
	 * @return int The auto-increment id of the first statement's first row (0: none).
	 */
	private function write_chunked( $head, array $rows, $tail = '' ) {
		$batch = array();
		$bytes = 0;
		$first = 0;
		$run   = function ( array $batch ) use ( $head, $tail, &$first ) {
			$this->sql( $head . implode( ',', $batch ) . $tail );
			if ( 0 === $first ) {
				$first = $this->direct() ? (int) mysqli_insert_id( $this->wpdb->dbh ) : (int) $this->wpdb->insert_id;
			}
		};
		foreach ( $rows as $row ) {
			if ( $batch && ( count( $batch ) >= self::CHUNK_ROWS || $bytes + strlen( $row ) > $this->chunk_bytes ) ) {
				$run( $batch );
				$batch = array();
				$bytes = 0;
			}
			$batch[] = $row;
			$bytes  += strlen( $row ) + 1;
		}
		if ( $batch ) {
			$run( $batch );
		}
		return $first;
	}

	/**
	 * An option value: the engine option when given, else the WordPress option.
	 *
	 * @param string $key     Engine option key.
	 * @param string $option  WordPress option name.
	 * @param mixed  $default Default.
	 * @return mixed
	 */
	private function setting( $key, $option, $default ) {
		if ( array_key_exists( $key, $this->opts ) ) {
			return $this->opts[ $key ];
		}
		return function_exists( 'get_option' ) ? get_option( $option, $default ) : $default;
	}

	/*
	|--------------------------------------------------------------------------
	| The sync
	|--------------------------------------------------------------------------
	*/

	/**
	 * Validate, resolve, plan and write.
	 *
	 * @param array $raw_items Items.
	 * @return array
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception On database failure.
	 */
	private function sync( array $raw_items ) {
		global $wpdb;
		$db      = $this->wpdb ? $this->wpdb : $wpdb;
		$prefix  = isset( $this->opts['table_prefix'] ) ? (string) $this->opts['table_prefix'] : $db->prefix;
		$this->t = array(
			'posts'    => $prefix . 'posts',
			'postmeta' => $prefix . 'postmeta',
			'terms'    => $prefix . 'terms',
			'tt'       => $prefix . 'term_taxonomy',
			'tr'       => $prefix . 'term_relationships',
			'lookup'   => $prefix . 'wc_product_meta_lookup',
		);

		$mark = microtime( true );
		$sep  = (string) $this->setting( 'price_decimal_sep', 'woocommerce_price_decimal_sep', '.' );
		if ( '' === $sep ) {
			$sep = '.';
		}
		$mark = $this->lap( 'resolve', $mark );

		$this->raw_items = array_values( $raw_items );

		// 1. Validate every item (pure).
		$items  = array();
		$errors = array();
		foreach ( array_values( $raw_items ) as $i => $raw ) {
			$v = self::validate_item( $raw, $sep );
			if ( isset( $v['error'] ) ) {
				$errors[ $i + 1 ] = $v['error'];
			} else {
				$items[ $i + 1 ] = $v;
			}
		}
		$this->lap( 'parse', $mark );

		$attempt            = 0;
		$this->post_by_post = false;
		while ( true ) {
			try {
				$this->attempts = $attempt + 1;
				$outcome        = $this->attempt( $items, $errors );
				break;
			} catch ( Mulopimfwc_Bulk_Sync_Db_Exception $e ) {
				$this->rollback();
				// Deadlock, lock wait timeout (MariaDB's NOWAIT too), MySQL's NOWAIT.
				if ( in_array( $e->errno, array( 1213, 1205, 3572 ), true ) && $attempt < self::MAX_RETRIES ) {
					++$attempt;
					$this->post_by_post = true;
					usleep( 20000 * $attempt );
					continue;
				}
				throw new Mulopimfwc_Bulk_Sync_Request_Exception(
					'mulopimfwc_db_error',
					__( 'The database could not complete the bulk sync; nothing was changed. Please try again.', 'mulopimfwc-bulk-sync' ),
					503
				);
			}
		}

		return $this->report( count( $raw_items ), $outcome );
	}

	/**
	 * Roll back, ignoring errors.
	 */
	private function rollback() {
		try {
			$this->sql( 'ROLLBACK' );
		} catch ( Mulopimfwc_Bulk_Sync_Db_Exception $e ) {
			unset( $e ); // The connection may be gone: nothing was committed either way.
		}
	}

	/**
	 * Optimizer settings for large IN lists, as the native engine sets them on its connection: cost
	 * every IN-list value from the index (the default estimates lists over 200 values from statistics
	 * and may pick a full scan of postmeta), and on MariaDB keep lists of 1,000 values or more as
	 * index ranges instead of a join with a derived table. Both only change plans, never results.
	 */
	private function tune_session() {
		if ( $this->session_tuned ) {
			return;
		}
		$this->session_tuned = true;
		$this->sql( 'SET SESSION eq_range_index_dive_limit = 0' );
		// Statements as long as the server takes (as the native engine's packet budget, src/store.rs), so that
		// their number does not grow with the items.
		$packet            = $this->sql( 'SELECT @@max_allowed_packet AS p', true );
		$packet            = isset( $packet[0]['p'] ) ? (int) $packet[0]['p'] : 0;
		$this->chunk_bytes = $packet > 0 ? max( 16384, min( 64 << 20, $packet - 16384 ) ) : self::CHUNK_BYTES;
		$db      = $this->wpdb ? $this->wpdb : $GLOBALS['wpdb'];
		$version = is_object( $db ) && method_exists( $db, 'db_server_info' ) ? (string) $db->db_server_info() : '';
		if ( false !== stripos( $version, 'mariadb' ) ) {
			$this->sql( 'SET SESSION in_predicate_conversion_threshold = 0' );
		}
		$this->nowait = self::supports_nowait( $version );
	}

	/**
	 * Whether a server of this version supports `FOR UPDATE NOWAIT` (native: src/store.rs supports_nowait()).
	 *
	 * @param string $version Server version ("10.11.6-MariaDB-0+deb12u1", "5.5.5-10.11.6-MariaDB", "8.0.36").
	 * @return bool
	 */
	public static function supports_nowait( $version ) {
		$m = array();
		// The client protocol's version of a MariaDB server reads "5.5.5-10.11.6-MariaDB...": the real one follows.
		if ( ! preg_match( '/^(?:5\.5\.5-)?(\d+)\.(\d+)/', (string) $version, $m ) ) {
			return false;
		}
		$v = array( (int) $m[1], (int) $m[2] );
		if ( false !== stripos( (string) $version, 'mariadb' ) ) {
			return $v >= array( 10, 3 );
		}
		return $v[0] >= 8;
	}

	/**
	 * One transaction: resolve, lock, read, plan, write.
	 *
	 * @param array $items  Valid items by index.
	 * @param array $errors Validation errors by index.
	 * @return array Outcome.
	 */
	private function attempt( array $items, array $errors ) {
		$t = $this->t;
		if ( ! $this->direct() && ( empty( $this->wpdb->dbh ) ) ) {
			throw new Mulopimfwc_Bulk_Sync_Db_Exception( 2006 );
		}

		$mark = microtime( true );
		$this->tune_session();
		// READ COMMITTED for this transaction only (WordPress's own session keeps its level): reads see the latest
		// committed rows, and locking reads take no gap locks, which would block the inserts of concurrent writers.
		$this->sql( 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED' );
		$this->sql( 'START TRANSACTION' );

		// 2. Resolve products and locations, set-based.
		list( $posts, $by_id, $by_sku ) = $this->resolve_products( $items );
		list( $loc_ids, $loc_slugs )    = $this->resolve_locations( $items );

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
		$this->lap( 'resolve', $mark );

		$changed       = array();
		$stock_changes = array();
		$counts        = array(
			'meta_rows_inserted' => 0,
			'meta_rows_updated'  => 0,
			'meta_rows_deleted'  => 0,
			'main_stock_updates' => 0,
		);
		$meta_writes   = empty( $this->opts['report_meta_writes'] ) ? null : array();
		if ( $resolved ) {
			list( $changed, $stock_changes, $counts, $meta_writes ) = $this->plan_and_write( $resolved, $posts, $errors );
		}

		$mark = microtime( true );
		try {
			if ( ! empty( $this->opts['dry_run'] ) ) {
				$this->sql( 'ROLLBACK' );
			} else {
				$this->sql( 'COMMIT' );
			}
		} finally {
			$this->lap( 'write', $mark );
		}

		ksort( $errors );
		return array(
			'errors'        => $errors,
			'changed'       => $changed,
			'stock_changes' => $stock_changes,
			'changes'       => $counts,
			'meta_writes'   => $meta_writes,
		);
	}

	/**
	 * Find the products named by id and by SKU.
	 *
	 * @param array $items Items.
	 * @return array [posts by id, ids found by id, sku => list of ids].
	 */
	private function resolve_products( array $items ) {
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
			$rows = $this->select_chunked(
				array_keys( $ids ),
				function ( $chunk ) use ( $t ) {
					return "SELECT ID, post_type, post_parent, post_status FROM `{$t['posts']}` WHERE ID IN (" . self::ints( $chunk ) . ") AND post_type IN ('product','product_variation')";
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
				$wanted[ self::sku_key( $sku ) ][] = $sku;
				$in[]                              = $this->q( $sku );
			}
			// STRAIGHT_JOIN: read the matching `_sku` rows first, then their posts by id (the other
			// order reads every product's meta rows).
			$head = "SELECT STRAIGHT_JOIN pm.post_id, pm.meta_value, p.post_type, p.post_parent, p.post_status FROM `{$t['postmeta']}` pm
				JOIN `{$t['posts']}` p ON p.ID = pm.post_id
				WHERE pm.meta_key = '_sku' AND p.post_type IN ('product','product_variation') AND p.post_status <> 'trash'
				AND pm.meta_value IN (";
			foreach ( $this->in_chunks( $in ) as $list ) {
				foreach ( $this->sql( $head . $list . ')', true ) as $r ) {
					if ( ! is_string( $r['meta_value'] ) ) {
						continue;
					}
					$key = self::sku_key( $r['meta_value'] );
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
	private function resolve_locations( array $items ) {
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
			$where[] = 't.term_id IN (' . self::ints( array_keys( $ids ) ) . ')';
		}
		if ( $slugs ) {
			$where[] = 't.slug IN (' . implode( ',', array_map( array( $this, 'q' ), array_map( 'strval', array_keys( $slugs ) ) ) ) . ')';
		}
		$rows = $this->sql(
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

	/**
	 * Lock, read the current rows, apply the items in order in memory, write the difference.
	 *
	 * @param array $resolved Resolved items by index.
	 * @param array $posts    Post rows by id.
	 * @param array $errors   Item errors by index (sale price errors are added).
	 * @return array [changed post ids, stock changes, counts, meta_writes (null unless `report_meta_writes`)].
	 */
	private function plan_and_write( array $resolved, array $posts, array &$errors ) {
		$t      = $this->t;
		$report = ! empty( $this->opts['report_meta_writes'] );

		$targets = array();
		$parents = array();
		$locs    = array();
		foreach ( $resolved as $it ) {
			$targets[ $it['post'] ]  = true;
			$locs[ $it['location'] ] = true;
			$p                       = $posts[ $it['post'] ];
			if ( 'product_variation' === $p['post_type'] && (int) $p['post_parent'] > 0 ) {
				$parents[ (int) $p['post_parent'] ] = true;
			}
		}
		$lock_ids = array_keys( $targets + $parents );
		sort( $lock_ids, SORT_NUMERIC );
		$mark = microtime( true );

		// 3. Lock the affected products (sorted ids: concurrent syncs queue instead of deadlocking).
		$parent_rows = $this->select_chunked(
			$lock_ids,
			function ( $chunk ) use ( $t ) {
				return "SELECT ID, post_type, post_parent, post_status FROM `{$t['posts']}` WHERE ID IN (" . self::ints( $chunk ) . ') ORDER BY ID FOR UPDATE';
			}
		);
		foreach ( $parent_rows as $r ) {
			$posts[ (int) $r['ID'] ] = $r;
		}

		// Product types (variable products sync their parent-managed variations).
		$types = array();
		$rows  = $this->select_chunked(
			$lock_ids,
			function ( $chunk ) use ( $t ) {
				return "SELECT tr.object_id, te.slug FROM `{$t['tr']}` tr JOIN `{$t['tt']}` tt ON tt.term_taxonomy_id = tr.term_taxonomy_id AND tt.taxonomy = 'product_type' JOIN `{$t['terms']}` te ON te.term_id = tt.term_id WHERE tr.object_id IN (" . self::ints( $chunk ) . ')';
			}
		);
		foreach ( $rows as $r ) {
			$types[ (int) $r['object_id'] ] = $r['slug'];
		}
		$is_variable = static function ( $id ) use ( $types, $posts, $parents ) {
			return isset( $parents[ $id ] ) || ( isset( $types[ $id ] ) && 'variable' === $types[ $id ] );
		};

		// 4. The meta rows that matter: WooCommerce's own keys of every post involved, a location's keys only of
		// the posts that have items there (the plan reads no other; as the native engine's read_meta()).
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
		$key_sql      = implode( ',', array_map( array( $this, 'q' ), $keys ) );
		$variable_ids = array();
		foreach ( $lock_ids as $id ) {
			if ( $is_variable( $id ) ) {
				$variable_ids[] = $id;
			}
		}

		// 5. Plan on the rows as read (a plain read: with the products locked, the latest committed values).
		$given = $errors;
		try {
			list( $meta, $children ) = $this->read_meta( $lock_ids, $key_sql, $variable_ids, $posts, $key_loc, $wanted );
		} finally {
			$mark = $this->lap( 'read', $mark );
		}
		$plan = $this->plan_state( $resolved, $posts, $meta, $children, $is_variable, $errors );
		$rows = $this->meta_rows( $plan['new'], $meta );
		$mark = $this->lap( 'plan', $mark );
		if ( ! empty( $this->opts['dry_run'] ) ) {
			return $this->planned( $plan, $rows, $report ? array() : null ); // A dry run writes nothing.
		}

		// 6. Insert the rows that do not exist yet and lock the rows read (see insert_and_lock()), then plan again
		// on the locked rows' current values: an order may have moved `_stock` in between, and relative changes and
		// compare-and-set build on the current value. The fresh rows are this transaction's own.
		// The first plan's structures are let go before the second is built (large requests: memory_limit).
		$inserts = $rows['inserts'];
		unset( $plan, $rows );
		try {
			$this->insert_and_lock( $meta, $inserts );
			$fresh = $this->read_fresh( $inserts ); // post => key => list of [meta_id, value]: the rows just inserted.
		} finally {
			$mark = $this->lap( 'lock', $mark );
		}
		unset( $inserts );
		$errors = $given;
		$plan   = $this->plan_state( $resolved, $posts, $meta, $children, $is_variable, $errors );
		$rows   = $this->meta_rows( $plan['new'], $meta );
		$final  = $this->reconcile_fresh( $rows, $fresh );
		$mark   = $this->lap( 'plan', $mark );
		try {
			$late = $this->write( $plan['new'], $final, $plan['holders'], $plan['full_save'], $plan['status_only'], $plan['modified'], $report );
		} finally {
			$this->lap( 'write', $mark );
		}
		return $this->planned( $plan, $rows, $report ? $this->meta_log( $meta, $fresh, $final, $late ) : null );
	}

	/**
	 * `meta_writes`: the rows this attempt wrote, for the meta API's hooks (added/updated/deleted_post_meta), as
	 * the native engine lists them (src/meta_log.rs). Net effect: a fresh row the final plan changed is one `added`
	 * with its final value, a fresh row it deleted again is not listed, an unchanged row is not listed. Order: the
	 * rows added, then updated, then deleted, each by meta_id ascending.
	 *
	 * @param array $meta  The rows the final plan was built on: post => key => list of [meta_id, value].
	 * @param array $fresh The rows inserted before the final plan: post => key => list of [meta_id, value].
	 * @param array $rows  The final writes (see reconcile_fresh()).
	 * @param array $late  Rows the final write inserted: list of [meta_id, post, key, value].
	 * @return array List of [op, meta_id, post_id, meta_key, meta_value].
	 */
	private function meta_log( array $meta, array $fresh, array $rows, array $late ) {
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

	/**
	 * The rows the plan reads: the keys of every post involved, and the management mode and status of the
	 * variations of the variable products involved.
	 *
	 * @param int[]  $lock_ids     Posts involved.
	 * @param string $key_sql      SQL list of the meta keys.
	 * @param int[]  $variable_ids Variable products among them.
	 * @param array  $posts        Post rows by id; the variations are added.
	 * @param array  $key_loc      Location meta key => its location id.
	 * @param array  $wanted       Post => location ids it has items at (its other locations' rows are left out).
	 * @return array [meta: post => key => list of [meta_id, value] by meta_id, children: parent => child ids].
	 */
	private function read_meta( array $lock_ids, $key_sql, array $variable_ids, array &$posts, array $key_loc, array $wanted ) {
		$t    = $this->t;
		$meta = array();
		$seen = array();
		// Chunk by chunk: a large request's rows are never all held twice (as result rows and as $meta).
		foreach ( array_chunk( $lock_ids, self::IN_CHUNK ) as $chunk ) {
			$rows = $this->sql( "SELECT meta_id, post_id, meta_key, meta_value FROM `{$t['postmeta']}` WHERE post_id IN (" . self::ints( $chunk ) . ") AND meta_key IN ({$key_sql}) ORDER BY meta_id", true );
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
			$rows = $this->select_chunked(
				$variable_ids,
				function ( $chunk ) use ( $t ) {
					return "SELECT p.ID, p.post_parent, p.post_status, pm.meta_id, pm.meta_key, pm.meta_value FROM `{$t['posts']}` p
						LEFT JOIN `{$t['postmeta']}` pm ON pm.post_id = p.ID AND pm.meta_key IN ('_manage_stock','_stock_status')
						WHERE p.post_type = 'product_variation' AND p.post_parent IN (" . self::ints( $chunk ) . ') ORDER BY p.ID, pm.meta_id';
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
	 * so that a conflict fails the attempt at once; the retry (post_by_post) locks a post's rows and inserts its new
	 * rows, post by post in id order, waiting normally.
	 *
	 * @param array $meta    The rows read: post => key => list of [meta_id, value]; afterwards their values now (a
	 *                       row deleted meanwhile is gone).
	 * @param array $inserts New rows: list of [post, key, value].
	 */
	private function insert_and_lock( array &$meta, array $inserts ) {
		$t                = $this->t;
		$now              = array(); // meta_id => value, as locked.
		$this->fresh_from = 0;
		$lock             = function ( array $ids, $nowait ) use ( $t, &$now ) {
			sort( $ids, SORT_NUMERIC );
			foreach ( array_chunk( $ids, self::IN_CHUNK ) as $chunk ) {
				$rows = $this->sql( "SELECT meta_id, meta_value FROM `{$t['postmeta']}` WHERE meta_id IN (" . self::ints( $chunk ) . ') ORDER BY meta_id FOR UPDATE' . ( $nowait ? ' NOWAIT' : '' ), true, false );
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
		$insert = function ( array $rows ) use ( $t ) {
			$tuples = array();
			foreach ( $rows as $r ) {
				$tuples[] = '(' . (int) $r[0] . ',' . $this->q( $r[1] ) . ',' . $this->q( $r[2] ) . ')';
			}
			if ( $tuples ) {
				$first = $this->write_chunked( "INSERT INTO `{$t['postmeta']}` (post_id, meta_key, meta_value) VALUES ", $tuples );
				if ( $first > 0 && ( 0 === $this->fresh_from || $first < $this->fresh_from ) ) {
					$this->fresh_from = $first;
				}
			}
		};
		// A server without NOWAIT cannot fail the bulk lock fast: new rows then go post by post.
		if ( ! $this->post_by_post && ( $this->nowait || ! $inserts ) ) {
			$insert( $inserts );
			$lock( $ids_of ? array_merge( ...array_values( $ids_of ) ) : array(), $this->nowait && $inserts );
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
	}

	/**
	 * The rows this transaction just inserted, as the database holds them: ids from the first one the inserts got
	 * (auto-increment ids only grow, so every row that existed before is below it).
	 *
	 * @param array $inserts New rows: list of [post, key, value].
	 * @return array post => key => list of [meta_id, value] by meta_id.
	 */
	private function read_fresh( array $inserts ) {
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
		$key_sql = implode( ',', array_map( array( $this, 'q' ), array_keys( $keys ) ) );
		$from    = $this->fresh_from > 0 ? ' AND meta_id >= ' . (int) $this->fresh_from : '';
		$fresh   = array();
		foreach ( array_chunk( array_keys( $want ), self::IN_CHUNK ) as $chunk ) {
			$rows = $this->sql( "SELECT meta_id, post_id, meta_key, meta_value FROM `{$t['postmeta']}` WHERE post_id IN (" . self::ints( $chunk ) . ") AND meta_key IN ({$key_sql}){$from} ORDER BY meta_id", true );
			foreach ( $rows as $r ) {
				if ( isset( $want[ (int) $r['post_id'] ][ $r['meta_key'] ] ) ) {
					$fresh[ (int) $r['post_id'] ][ $r['meta_key'] ][] = array( (int) $r['meta_id'], $r['meta_value'] );
				}
			}
		}
		return $fresh;
	}

	/**
	 * The final writes once the fresh rows exist: a planned insert whose row was inserted already updates it when
	 * the value moved; a fresh row the final plan no longer writes is deleted again.
	 *
	 * @param array $rows  Row writes of the final plan (see meta_rows()).
	 * @param array $fresh Fresh rows: post => key => list of [meta_id, value].
	 * @return array The writes.
	 */
	private function reconcile_fresh( array $rows, array $fresh ) {
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
	 * What plan_and_write() returns: changed posts, stock changes, row counts as the client sees them (a fresh row
	 * the final plan writes counts as inserted; one it dropped, not at all).
	 *
	 * @param array $plan The plan (see plan_state()).
	 * @param array      $rows        Row writes of the final plan, before reconcile_fresh() (its inserts count the
	 *                                fresh rows the plan kept).
	 * @param array|null $meta_writes The rows written (see meta_log()), null when not asked for.
	 * @return array [changed post ids, stock changes, counts, meta_writes].
	 */
	private function planned( array $plan, array $rows, $meta_writes = null ) {
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

	/**
	 * Applies the items in order, in memory, on the rows as read: the planned meta values and what WooCommerce's
	 * product save would do with them.
	 *
	 * @param array    $resolved    Resolved items by index.
	 * @param array    $posts       Post rows by id.
	 * @param array    $meta        Rows: post => key => list of [meta_id, value].
	 * @param array    $children    Variable product => variation ids.
	 * @param callable $is_variable Whether a post is a variable product.
	 * @param array    $errors      Item errors by index (stock_mismatch, price errors are added).
	 * @return array new, holders, full_save, status_only, modified, changed, stock_changes.
	 */
	private function plan_state( array $resolved, array $posts, array $meta, array $children, $is_variable, array &$errors ) {
		$new = array(); // post => key => value.
		$get = static function ( $post, $key ) use ( &$new, &$meta ) {
			if ( isset( $new[ $post ] ) && array_key_exists( $key, $new[ $post ] ) ) {
				return $new[ $post ][ $key ];
			}
			return isset( $meta[ $post ][ $key ][0] ) ? $meta[ $post ][ $key ][0][1] : null;
		};

		// Primary location: a positive integer names it; absent/""/"0" means none (all follow); anything else: no location follows.
		$primary_raw = $this->setting( 'primary_location', 'mulopimfwc_primary_location', '' );
		$primary     = 0;
		$follow_all  = false;
		if ( null === $primary_raw || false === $primary_raw || '' === $primary_raw || '0' === $primary_raw || 0 === $primary_raw ) {
			$follow_all = true;
		} else {
			$primary = (int) self::parse_positive_int( is_int( $primary_raw ) ? $primary_raw : ( is_string( $primary_raw ) ? trim( $primary_raw ) : '' ) );
		}

		// 5. Apply the items in order, in memory.
		$holders = array(); // post id => final stock.
		$changed = array();
		foreach ( $resolved as $n => $it ) {
			$p = $it['post'];
			$l = $it['location'];

			// The location's stock now (after the request's earlier items): none stored counts as 0, a stored
			// value that is not a number matches no expected_stock and adjusts from 0.
			$stock_key = '_location_stock_' . $l;
			$stored    = $get( $p, $stock_key );
			$current   = null === $stored ? 0 : self::stored_stock( $stored );
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
				if ( self::is_decimal( $sale ) && self::is_decimal( $reg ) && self::compare_decimals( trim( $sale ), trim( $reg ) ) >= 0 ) {
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
					$main  = self::stored_stock( $get( $holder, '_stock' ) );
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

		// 6. WooCommerce's stock status, as its product save would leave it.
		$threshold = absint( $this->setting( 'notify_no_stock_amount', 'woocommerce_notify_no_stock_amount', 0 ) );
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
			$old_stock = isset( $holders[ $id ] ) ? self::stock_text( $old( $id, '_stock' ) ) : null;
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
	 * A stored stock as a whole number, the way PHP's (int) reads a numeric string ("5", "5.000000", "-2");
	 * null when absent or not a number.
	 *
	 * @param mixed $v Stored value.
	 * @return int|null
	 */
	public static function stored_stock( $v ) {
		if ( null === $v || ! is_string( $v ) ) {
			return is_int( $v ) ? $v : null;
		}
		$t = trim( $v );
		if ( preg_match( '/^[+-]?\d+$/D', $t ) ) {
			return (int) $t;
		}
		if ( is_numeric( $t ) ) {
			$f = (float) $t;
			return is_finite( $f ) ? (int) $f : null;
		}
		return null;
	}

	/**
	 * A stored _stock as an integer text ("5.000000" → "5"), null when absent.
	 *
	 * @param mixed $v Stored value.
	 * @return string|null
	 */
	private static function stock_text( $v ) {
		if ( null === $v || '' === $v ) {
			return null;
		}
		if ( preg_match( '/^\s*(-?)0*(\d+)(?:\.0*)?\s*$/D', (string) $v, $m ) ) {
			return ( '0' === ltrim( $m[2], '0' ) || '' === ltrim( $m[2], '0' ) ? '0' : $m[1] . ltrim( $m[2], '0' ) );
		}
		return (string) $v;
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
	private function meta_rows( array $new, array $meta ) {
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
	 * Write the planned state: meta rows, visibility terms, lookup rows, post dates.
	 *
	 * @param array $new         Planned meta values: post => key => value.
	 * @param array $rows        Meta row writes (see meta_rows(), reconcile_fresh()).
	 * @param array $holders     Products whose WooCommerce stock was set: id => stock.
	 * @param array $full_save   Posts saved by WooCommerce (status, term, lookup stock + status).
	 * @param array $status_only Posts whose status alone WooCommerce updates.
	 * @param array $modified    Posts whose post_modified moves.
	 * @param bool  $logged      Whether the caller wants `meta_writes`: the final plan's inserts (rows the first pass
	 *                           did not insert, which only a value a concurrent writer moved in between can cause)
	 *                           then go in a statement of their own, so that their ids are known.
	 * @return array With $logged, the rows the final plan inserted: list of [meta_id, post, key, value].
	 */
	private function write( array $new, array $rows, array $holders, array $full_save, array $status_only, array $modified, $logged = false ) {
		$t       = $this->t;
		$upserts = array();
		$late    = array();
		foreach ( $rows['updates'] as $u ) {
			$upserts[] = '(' . (int) $u[0] . ',' . (int) $u[1] . ',' . $this->q( $u[2] ) . ',' . $this->q( $u[3] ) . ')';
		}
		if ( ! $logged ) {
			foreach ( $rows['inserts'] as $i ) {
				$upserts[] = '(NULL,' . (int) $i[0] . ',' . $this->q( $i[1] ) . ',' . $this->q( $i[2] ) . ')';
			}
		}
		$deletes = $rows['deletes'];
		if ( $upserts ) {
			$this->write_chunked(
				"INSERT INTO `{$t['postmeta']}` (meta_id, post_id, meta_key, meta_value) VALUES ",
				$upserts,
				' ON DUPLICATE KEY UPDATE meta_value = VALUES(meta_value)'
			);
		}
		if ( $logged && $rows['inserts'] ) {
			$tuples = array();
			foreach ( $rows['inserts'] as $i ) {
				$tuples[] = '(' . (int) $i[0] . ',' . $this->q( $i[1] ) . ',' . $this->q( $i[2] ) . ')';
			}
			$this->fresh_from = $this->write_chunked( "INSERT INTO `{$t['postmeta']}` (post_id, meta_key, meta_value) VALUES ", $tuples );
			foreach ( $this->read_fresh( $rows['inserts'] ) as $post => $by_key ) {
				foreach ( $by_key as $key => $list ) {
					foreach ( $list as $row ) {
						$late[] = array( $row[0], (int) $post, (string) $key, $row[1] );
					}
				}
			}
		}
		foreach ( array_chunk( $deletes, self::IN_CHUNK ) as $chunk ) {
			$this->sql( "DELETE FROM `{$t['postmeta']}` WHERE meta_id IN (" . self::ints( $chunk ) . ')' );
		}

		// The outofstock visibility term of the saved products.
		if ( $full_save ) {
			$this->write_visibility( $new, $full_save );
		}

		// WooCommerce's lookup table, when it exists.
		if ( $full_save || $status_only ) {
			$exists = $this->sql( 'SHOW TABLES LIKE ' . $this->q( $t['lookup'] ), true );
			if ( $exists ) {
				$full = array();
				$stat = array();
				foreach ( array_keys( $full_save ) as $id ) {
					$stock = isset( $holders[ $id ] ) ? $holders[ $id ] : null;
					if ( null !== $stock ) {
						$full[] = '(' . (int) $id . ',' . (int) $stock . ',' . $this->q( $new[ $id ]['_stock_status'] ) . ')';
					} else {
						$stat[] = '(' . (int) $id . ',' . $this->q( $new[ $id ]['_stock_status'] ) . ')';
					}
				}
				foreach ( array_keys( $status_only ) as $id ) {
					$stat[] = '(' . (int) $id . ',' . $this->q( $new[ $id ]['_stock_status'] ) . ')';
				}
				if ( $full ) {
					$this->write_chunked(
						"INSERT INTO `{$t['lookup']}` (product_id, stock_quantity, stock_status) VALUES ",
						$full,
						' ON DUPLICATE KEY UPDATE stock_quantity = VALUES(stock_quantity), stock_status = VALUES(stock_status)'
					);
				}
				if ( $stat ) {
					$this->write_chunked(
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
			foreach ( array_chunk( array_keys( $modified ), self::IN_CHUNK ) as $chunk ) {
				$this->sql( "UPDATE `{$t['posts']}` SET post_modified = " . $this->q( $now ) . ', post_modified_gmt = ' . $this->q( $now_gmt ) . ' WHERE ID IN (' . self::ints( $chunk ) . ')' );
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
	private function write_visibility( array $new, array $full_save ) {
		$t    = $this->t;
		$want = array();
		foreach ( array_keys( $full_save ) as $id ) {
			$want[ $id ] = ( 'outofstock' === $new[ $id ]['_stock_status'] );
		}
		$rows  = $this->sql(
			"SELECT tt.term_taxonomy_id FROM `{$t['tt']}` tt JOIN `{$t['terms']}` te ON te.term_id = tt.term_id WHERE tt.taxonomy = 'product_visibility' AND te.slug = 'outofstock' LIMIT 1",
			true
		);
		$tt_id = $rows ? (int) $rows[0]['term_taxonomy_id'] : 0;
		if ( ! $tt_id ) {
			if ( ! in_array( true, $want, true ) ) {
				return;
			}
			$this->sql( "INSERT INTO `{$t['terms']}` (name, slug, term_group) VALUES ('outofstock', 'outofstock', 0)" );
			$term_id = $this->direct() ? (int) mysqli_insert_id( $this->wpdb->dbh ) : (int) $this->wpdb->insert_id;
			$this->sql( "INSERT INTO `{$t['tt']}` (term_id, taxonomy, description, parent, count) VALUES ({$term_id}, 'product_visibility', '', 0, 0)" );
			$tt_id = $this->direct() ? (int) mysqli_insert_id( $this->wpdb->dbh ) : (int) $this->wpdb->insert_id;
		}
		$have = array();
		$rows = $this->select_chunked(
			array_keys( $want ),
			function ( $chunk ) use ( $t, $tt_id ) {
				return "SELECT object_id FROM `{$t['tr']}` WHERE term_taxonomy_id = {$tt_id} AND object_id IN (" . self::ints( $chunk ) . ')';
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
			$this->write_chunked( "INSERT IGNORE INTO `{$t['tr']}` (object_id, term_taxonomy_id, term_order) VALUES ", $add );
		}
		foreach ( array_chunk( $remove, self::IN_CHUNK ) as $chunk ) {
			$this->sql( "DELETE FROM `{$t['tr']}` WHERE term_taxonomy_id = {$tt_id} AND object_id IN (" . self::ints( $chunk ) . ')' );
		}
		if ( $add || $remove ) {
			// As WordPress's _update_post_term_count() counts: published objects of the taxonomy's post types.
			$this->sql(
				"UPDATE `{$t['tt']}` SET count = (SELECT COUNT(*) FROM `{$t['tr']}` tr JOIN `{$t['posts']}` p ON p.ID = tr.object_id
				WHERE tr.term_taxonomy_id = {$tt_id} AND p.post_status = 'publish' AND p.post_type IN ('product','product_variation'))
				WHERE term_taxonomy_id = {$tt_id}"
			);
		}
	}

	/**
	 * Build the result array.
	 *
	 * @param int   $total   Item count.
	 * @param array $outcome Outcome of the transaction.
	 * @return array
	 */
	private function report( $total, array $outcome ) {
		$messages = self::messages();
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
			) + $this->identifiers( isset( $this->raw_items[ $n - 1 ] ) ? $this->raw_items[ $n - 1 ] : null );
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
			'dry_run'             => ! empty( $this->opts['dry_run'] ),
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
	private function identifiers( $item ) {
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
		if ( is_array( $v ) && 2 === count( $v ) && isset( $v[0], $v[1] ) && self::NUMBER_TAG === $v[0] ) {
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
