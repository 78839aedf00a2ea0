<?php
/**
 * The PHP engine's request (native: src/request.rs): the body decoded (every JSON number kept as its text) and
 * each item's fields validated, the key SKUs match by, the slug a location is looked up by. No database.
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
 * Parsing and validation (pure).
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Request {

	/**
	 * Raw slug => sanitized slug, for the run in progress (one sanitize_title() per distinct slug, not per item).
	 *
	 * @var array
	 */
	private static $slugs = array();

	const NUMBER_TAG     = "\0mulopimfwc:number";
	const MAX_JSON_DEPTH = 128;

	/**
	 * The body as the engine reads it: its items and whether it asked for a dry run.
	 *
	 * @param string|array|object $payload Raw JSON body, or the same structure as a PHP array.
	 * @return array [items (each an array of fields, or a non-object value), whether `"dry_run": true`].
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception When the payload is not a valid request.
	 */
	public static function decode( $payload ) {
		$dry   = false;
		$items = self::decode_payload( $payload, $dry );
		return array( $items, $dry );
	}

	/**
	 * The too_many_items whole-request error.
	 *
	 * @param int $max The most items a request may hold.
	 * @return Mulopimfwc_Bulk_Sync_Request_Exception
	 */
	public static function too_many_items( $max ) {
		return new Mulopimfwc_Bulk_Sync_Request_Exception(
			'too_many_items',
			sprintf(
				/* translators: %d: the maximum number of items per request. */
				__( 'Too many items: at most %d items per request.', 'mulopimfwc-bulk-sync' ),
				$max
			),
			400
		);
	}

	/**
	 * Turn the payload into a list of items (each an array of fields, or a non-object value).
	 *
	 * @param mixed $payload Payload.
	 * @param bool  $dry     Set to the body's `dry_run`.
	 * @return array
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception When the payload is not a valid request.
	 */
	private static function decode_payload( $payload, &$dry ) {
		if ( is_string( $payload ) ) {
			$data = self::decode_json( $payload );
			if ( ! ( $data instanceof stdClass ) || ! property_exists( $data, 'items' ) || ! is_array( $data->items ) || ! ( self::untag( $data->items ) === $data->items ) ) {
				throw self::invalid_data();
			}
			$dry   = self::dry_run_flag( property_exists( $data, 'dry_run' ) ? self::untag( $data->dry_run ) : null );
			$items = array();
			foreach ( $data->items as $item ) {
				$items[] = $item instanceof stdClass ? self::untag_fields( get_object_vars( $item ) ) : false;
			}
			return $items;
		}
		if ( is_array( $payload ) || $payload instanceof stdClass ) {
			if ( ! self::depth_ok( $payload, self::MAX_JSON_DEPTH ) ) {
				throw self::invalid_data(); // As native: a value nested deeper than 128 ends the request.
			}
			$payload = (array) $payload;
			if ( ! array_key_exists( 'items', $payload ) || ! is_array( $payload['items'] ) || ! self::is_list( $payload['items'] ) ) {
				throw self::invalid_data();
			}
			$dry   = self::dry_run_flag( array_key_exists( 'dry_run', $payload ) ? $payload['dry_run'] : null );
			$items = array();
			foreach ( $payload['items'] as $item ) {
				if ( $item instanceof stdClass ) {
					$item = get_object_vars( $item );
				} elseif ( is_array( $item ) && ! empty( $item ) && self::is_list( $item ) ) {
					$item = false; // A JSON array, not an object.
				}
				$items[] = $item;
			}
			return $items;
		}
		throw self::invalid_data();
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
	private static function dry_run_flag( $v ) {
		if ( null === $v ) {
			return false;
		}
		if ( ! is_bool( $v ) ) {
			throw self::invalid_data();
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
	private static function decode_json( $body ) {
		// Depth as the native engine's (serde_json's recursion limit of 128): deeper bodies are invalid_data.
		$plain = json_decode( $body, false, self::MAX_JSON_DEPTH, JSON_BIGINT_AS_STRING );
		if ( JSON_ERROR_NONE !== json_last_error() ) {
			throw self::invalid_data();
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
	private static function untag_fields( array $fields ) {
		foreach ( $fields as $k => $v ) {
			$fields[ $k ] = self::untag( $v );
		}
		return $fields;
	}

	/**
	 * Replace a tagged number by a Mulopimfwc_Bulk_Sync_Json_Number.
	 *
	 * @param mixed $v Value.
	 * @return mixed
	 */
	private static function untag( $v ) {
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
	private static function is_list( array $a ) {
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
	private static function invalid_data() {
		return new Mulopimfwc_Bulk_Sync_Request_Exception(
			'invalid_data',
			__( 'Invalid data: the body must be a JSON object with an "items" array.', 'mulopimfwc-bulk-sync' ),
			400
		);
	}

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
			$out['product_id'] = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_positive_int( $item['product_id'] );
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
			$out['location_id'] = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_positive_int( $item['location_id'] );
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
			$out['stock'] = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_stock( $item['stock'] );
			if ( null === $out['stock'] ) {
				return array( 'error' => array( 'invalid_stock', 'stock' ) );
			}
		} else {
			$out['adjust'] = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_stock( $item['stock_adjust'] );
			if ( null === $out['adjust'] ) {
				return array( 'error' => array( 'invalid_stock_adjust', 'stock_adjust' ) );
			}
		}
		if ( array_key_exists( 'expected_stock', $item ) && null !== $item['expected_stock'] ) {
			$out['expected'] = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_stock( $item['expected_stock'] );
			if ( null === $out['expected'] ) {
				return array( 'error' => array( 'invalid_expected_stock', 'expected_stock' ) );
			}
		}
		foreach ( array(
			'regular_price' => 'regular',
			'sale_price'    => 'sale',
		) as $field => $key ) {
			if ( array_key_exists( $field, $item ) && null !== $item[ $field ] ) {
				$out[ $key ] = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_price( $item[ $field ], $sep );
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
	 * Slug as get_term_by( 'slug' ) would look it up: percent-decoded when that gives UTF-8, then sanitize_title().
	 *
	 * @param string $slug Raw slug.
	 * @return string
	 */
	public static function normalize_slug( $slug ) {
		if ( isset( self::$slugs[ $slug ] ) ) {
			return self::$slugs[ $slug ];
		}
		$raw = $slug;
		if ( preg_match( '/%[0-9a-fA-F]{2}/', $slug ) ) {
			$decoded = rawurldecode( $slug );
			if ( ! function_exists( 'mb_check_encoding' ) || mb_check_encoding( $decoded, 'UTF-8' ) ) {
				$slug = $decoded;
			}
		}
		// Exactly what get_term_by( 'slug' ) does with it: the site's sanitize_title(), its filters and locale.
		$title = (string) sanitize_title( $slug );
		if ( count( self::$slugs ) < 10000 ) {
			self::$slugs[ $raw ] = $title;
		}
		return $title;
	}

	/**
	 * Forget the slugs sanitized so far (each run asks the site again: its locale and filters may have changed).
	 */
	public static function forget_slugs() {
		self::$slugs = array();
	}
}
