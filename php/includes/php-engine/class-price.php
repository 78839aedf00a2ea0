<?php
/**
 * The PHP engine's numbers (native: src/price.rs): ids, integer stock and exact decimal prices, as the contract
 * reads them. Prices never go through a binary float: a JSON number arrives as the text it was written with
 * (Mulopimfwc_Bulk_Sync_Json_Number), and decimals are compared digit by digit.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Pure number parsing and comparison (no database).
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Price {

	/**
	 * The most digits a price may have (leading zeros of the integer part aside), as in the native
	 * engine: what an exact 96-bit decimal holds. Longer prices are refused, never rounded.
	 */
	const MAX_PRICE_DIGITS = 28;

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
	public static function is_decimal( $v ) {
		return is_string( $v ) && 1 === preg_match( '/^(\d+(\.\d*)?|\.\d+)$/D', trim( $v ) );
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
	public static function stock_text( $v ) {
		if ( null === $v || '' === $v ) {
			return null;
		}
		if ( preg_match( '/^\s*(-?)0*(\d+)(?:\.0*)?\s*$/D', (string) $v, $m ) ) {
			return ( '0' === ltrim( $m[2], '0' ) || '' === ltrim( $m[2], '0' ) ? '0' : $m[1] . ltrim( $m[2], '0' ) );
		}
		return (string) $v;
	}
}
