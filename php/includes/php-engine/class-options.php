<?php
/**
 * The PHP engine's options (native: src/options.rs): what the caller hands over (table prefix, limits, dry run,
 * overrides of site options) and the site options read where none is given.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * The options of one run.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Options {

	/**
	 * Engine options as given (see tests/contract/README.md), plus `dry_run`.
	 *
	 * @var array
	 */
	private $opts;

	/**
	 * Constructor.
	 *
	 * @param mixed $options Engine options (anything but an array counts as none).
	 */
	public function __construct( $options ) {
		$this->opts = is_array( $options ) ? $options : array();
	}

	/**
	 * The most items a request may hold (0 or less: no limit).
	 *
	 * @return int
	 */
	public function max_items() {
		return isset( $this->opts['max_items'] ) ? (int) $this->opts['max_items'] : 100000;
	}

	/**
	 * Whether this run writes nothing (the option, or the body's `"dry_run": true`).
	 *
	 * @return bool
	 */
	public function dry_run() {
		return ! empty( $this->opts['dry_run'] );
	}

	/**
	 * Make this run a dry run (the body asked for one).
	 */
	public function set_dry_run() {
		$this->opts['dry_run'] = true;
	}

	/**
	 * Whether the caller wants `meta_writes`, the rows written.
	 *
	 * @return bool
	 */
	public function report_meta_writes() {
		return ! empty( $this->opts['report_meta_writes'] );
	}

	/**
	 * The job chunk this run applies exactly once (the options `job_id` + `job_chunk`; issue 12, "Exactly once per
	 * chunk"; native: src/options.rs job_chunk()): both or neither, `job_id` 1 or more, `job_chunk` 0 or more, each
	 * a PHP integer or a string of decimal digits (what $wpdb reads from a row); null counts as not given. Checked on
	 * a dry run too, which then ignores them.
	 *
	 * @return array|null [job id, chunk number], or null when neither is given.
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception `invalid_options` (400) for one alone or a value it cannot have.
	 */
	public function job_chunk() {
		$job   = $this->int_option( 'job_id' );
		$chunk = $this->int_option( 'job_chunk' );
		if ( null === $job && null === $chunk ) {
			return null;
		}
		if ( 0 === $job ) {
			throw self::invalid( __( 'The job_id option must be an integer of 1 or more.', 'mulopimfwc-bulk-sync' ) );
		}
		if ( null === $job || null === $chunk ) {
			throw self::invalid( __( 'The job_id and job_chunk options go together: give both or neither.', 'mulopimfwc-bulk-sync' ) );
		}
		return array( $job, $chunk );
	}

	/**
	 * An integer option of 0 or more: a PHP integer or a string of decimal digits.
	 *
	 * @param string $key Option key.
	 * @return int|null The value, null when absent or null.
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception `invalid_options` for anything else.
	 */
	private function int_option( $key ) {
		$v = isset( $this->opts[ $key ] ) ? $this->opts[ $key ] : null;
		if ( null === $v || ( is_int( $v ) && $v >= 0 ) ) {
			return $v;
		}
		if ( is_string( $v ) && preg_match( '/^\d{1,19}$/D', $v ) && ( strlen( ltrim( $v, '0' ) ) < 19 || strcmp( ltrim( $v, '0' ), (string) PHP_INT_MAX ) <= 0 ) ) {
			return (int) $v;
		}
		throw self::invalid(
			/* translators: %s: option name (job_id or job_chunk). */
			sprintf( __( 'The %s option must be an integer of 0 or more (job_id: 1 or more).', 'mulopimfwc-bulk-sync' ), $key )
		);
	}

	/**
	 * The whole-request error of an option value that cannot be.
	 *
	 * @param string $message Message.
	 * @return Mulopimfwc_Bulk_Sync_Request_Exception
	 */
	private static function invalid( $message ) {
		return new Mulopimfwc_Bulk_Sync_Request_Exception( 'invalid_options', $message, 400 );
	}

	/**
	 * Table names (native: src/sql.rs `Tables`), from the `table_prefix` option or the database's prefix.
	 *
	 * @param wpdb $db Database.
	 * @return array
	 */
	public function tables( $db ) {
		$prefix = isset( $this->opts['table_prefix'] ) ? (string) $this->opts['table_prefix'] : $db->prefix;
		return array(
			'posts'    => $prefix . 'posts',
			'postmeta' => $prefix . 'postmeta',
			'terms'    => $prefix . 'terms',
			'tt'       => $prefix . 'term_taxonomy',
			'tr'       => $prefix . 'term_relationships',
			'lookup'   => $prefix . 'wc_product_meta_lookup',
			'chunks'   => $prefix . 'mulopimfwc_job_chunks',
		);
	}

	/**
	 * The store's decimal separator for prices ('.' when empty).
	 *
	 * @return string
	 */
	public function decimal_sep() {
		$sep = (string) $this->setting( 'price_decimal_sep', 'woocommerce_price_decimal_sep', '.' );
		return '' === $sep ? '.' : $sep;
	}

	/**
	 * The primary location (native: src/options.rs `Primary`): a positive integer names it; absent/""/"0" means
	 * none (all follow); anything else: no location follows.
	 *
	 * @return array [primary location id (0: none), whether every location follows].
	 */
	public function primary() {
		$primary_raw = $this->setting( 'primary_location', 'mulopimfwc_primary_location', '' );
		if ( null === $primary_raw || false === $primary_raw || '' === $primary_raw || '0' === $primary_raw || 0 === $primary_raw ) {
			return array( 0, true );
		}
		$primary = (int) Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_positive_int( is_int( $primary_raw ) ? $primary_raw : ( is_string( $primary_raw ) ? trim( $primary_raw ) : '' ) );
		return array( $primary, false );
	}

	/**
	 * WooCommerce's out-of-stock threshold (`woocommerce_notify_no_stock_amount`, native: src/options.rs absint()).
	 *
	 * @return int
	 */
	public function no_stock_threshold() {
		return absint( $this->setting( 'notify_no_stock_amount', 'woocommerce_notify_no_stock_amount', 0 ) );
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
}
