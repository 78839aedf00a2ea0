<?php
/**
 * The pure-PHP bulk sync engine: the same contract as the native `mulopimfwc_bulk_sync()`.
 *
 * Set-based: every request costs a constant number of SQL statements, whatever its item count
 * (beyond chunking of very long IN lists and multi-row writes). Read once, decide in memory, write once,
 * in one transaction.
 *
 * This file is the engine's entry and public API; its rooms are in php-engine/, one file per module of the native
 * engine's src/ (class-request.php and src/request.rs, class-plan.php and src/plan.rs, and so on):
 *
 * - class-request.php  the body decoded and each item's fields validated (src/request.rs);
 * - class-price.php    ids, integer stock and exact decimal prices (src/price.rs);
 * - class-options.php  the caller's options and the site options (src/options.rs);
 * - class-timing.php   the clock per phase (src/timing.rs);
 * - class-error.php    whole-request errors and item error messages (src/error.rs);
 * - class-store.php    statements on WordPress's connection, quoting, chunking (src/store.rs, src/sql.rs);
 * - class-engine.php   the order of it all: validate, then one transaction, retried (src/engine.rs);
 * - class-resolve.php  which product and location each item names (src/resolve.rs);
 * - class-snapshot.php the products locked, the rows read, the missing rows inserted (src/plan.rs `Snapshot`);
 * - class-plan.php     which rows change, and what follows into WooCommerce's stock (src/plan.rs);
 * - class-write.php    the final writes: meta rows, visibility term, lookup table, dates;
 * - class-meta-log.php the rows written, when asked (src/meta_log.rs);
 * - class-response.php the result array (src/response.rs).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

require_once __DIR__ . '/php-engine/class-error.php';
require_once __DIR__ . '/php-engine/class-timing.php';
require_once __DIR__ . '/php-engine/class-options.php';
require_once __DIR__ . '/php-engine/class-store.php';
require_once __DIR__ . '/php-engine/class-price.php';
require_once __DIR__ . '/php-engine/class-request.php';
require_once __DIR__ . '/php-engine/class-resolve.php';
require_once __DIR__ . '/php-engine/class-snapshot.php';
require_once __DIR__ . '/php-engine/class-plan.php';
require_once __DIR__ . '/php-engine/class-write.php';
require_once __DIR__ . '/php-engine/class-meta-log.php';
require_once __DIR__ . '/php-engine/class-response.php';
require_once __DIR__ . '/php-engine/class-engine.php';

/**
 * Pure-PHP bulk sync engine.
 */
class Mulopimfwc_Bulk_Sync_PHP_Engine {

	const NUMBER_TAG        = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::NUMBER_TAG;
	const LOCATION_TAXONOMY = Mulopimfwc_Bulk_Sync_PHP_Engine_Resolve::LOCATION_TAXONOMY;
	const MAX_RETRIES       = Mulopimfwc_Bulk_Sync_PHP_Engine_Engine::MAX_RETRIES;
	const CHUNK_ROWS        = Mulopimfwc_Bulk_Sync_PHP_Engine_Store::CHUNK_ROWS;
	const CHUNK_BYTES       = Mulopimfwc_Bulk_Sync_PHP_Engine_Store::CHUNK_BYTES;
	const IN_CHUNK          = Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK;
	const MAX_SKU_BYTES     = Mulopimfwc_Bulk_Sync_PHP_Engine_Resolve::MAX_SKU_BYTES;
	const MAX_JSON_DEPTH    = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::MAX_JSON_DEPTH;
	const MAX_PRICE_DIGITS  = Mulopimfwc_Bulk_Sync_PHP_Engine_Price::MAX_PRICE_DIGITS;

	/**
	 * The phases of a request, as the result's `timings` names them (tests/contract/README.md, "timings").
	 */
	const PHASES = Mulopimfwc_Bulk_Sync_PHP_Engine_Timing::PHASES;

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
	 * The last run's `timings` (milliseconds per phase and `total`), also after a whole-request error.
	 *
	 * @var array|null
	 */
	private $last_timings = null;

	/**
	 * The database session (every statement the engine sends).
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Store
	 */
	private $store;

	/**
	 * The clock per phase of the current run.
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Timing
	 */
	private $timing;

	/**
	 * The sync itself.
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Engine
	 */
	private $engine;

	/**
	 * Constructor.
	 *
	 * @param wpdb|null $db Database object (default: the global $wpdb).
	 */
	public function __construct( $db = null ) {
		$this->store  = new Mulopimfwc_Bulk_Sync_PHP_Engine_Store( $db );
		$this->timing = new Mulopimfwc_Bulk_Sync_PHP_Engine_Timing();
		$this->engine = new Mulopimfwc_Bulk_Sync_PHP_Engine_Engine( $this->store, $this->timing );
	}

	/**
	 * Item error messages.
	 *
	 * @return array code => message.
	 */
	public static function messages() {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Error::messages();
	}

	/**
	 * Run a bulk sync.
	 *
	 * @param string|array $payload Raw JSON body, or the same structure as a PHP array.
	 * @param array        $options Engine options (see tests/contract/README.md), plus `dry_run`, and `job_id` +
	 *                              `job_chunk` (both or neither: the run applies that chunk of a bulk-sync job exactly
	 *                              once, see Mulopimfwc_Bulk_Sync_PHP_Engine_Engine; ignored by a dry run).
	 * @return array|WP_Error The result array, or a WP_Error for a whole-request error (with the job options also
	 *                        `job_chunk_missing` 404, `job_chunk_not_pending` 409, `invalid_options` 400).
	 */
	public function run( $payload, $options = array() ) {
		$started                  = microtime( true );
		$this->store->query_count = 0;
		$this->last_timings       = null;
		$this->timing->reset();
		Mulopimfwc_Bulk_Sync_PHP_Engine_Request::forget_slugs();
		$opts = new Mulopimfwc_Bulk_Sync_PHP_Engine_Options( $options );
		try {
			$opts->job_chunk(); // Bad options end the request before the body is read, as the native engine's do.
			try {
				list( $items, $body_dry ) = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::decode( $payload );
			} finally {
				$this->timing->lap( 'parse', $started );
			}
			if ( $body_dry ) {
				$opts->set_dry_run();
			}
			$max = $opts->max_items();
			if ( $max > 0 && count( $items ) > $max ) {
				throw Mulopimfwc_Bulk_Sync_PHP_Engine_Request::too_many_items( $max );
			}
			$result             = $this->engine->sync( $items, $opts );
			$this->last_timings = $this->timing->since( $started );
			$result['timings']  = $this->last_timings;
			return $result;
		} catch ( Mulopimfwc_Bulk_Sync_Request_Exception $e ) {
			$this->last_timings = $this->timing->since( $started );
			return new WP_Error( $e->error_code, $e->getMessage(), array( 'status' => $e->getCode() ) );
		} finally {
			$this->query_count = $this->store->query_count;
			$this->attempts    = $this->engine->attempts;
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

	/*
	|--------------------------------------------------------------------------
	| The rooms' pure helpers, as the plugin and its tests call them
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
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Request::validate_item( $item, $sep );
	}

	/**
	 * A positive integer (JSON integer or integer-valued string), else null.
	 *
	 * @param mixed $v Value.
	 * @return int|null
	 */
	public static function parse_positive_int( $v ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_positive_int( $v );
	}

	/**
	 * Stock: a JSON integer or a string of an optional sign and digits; canonical decimal string or null.
	 *
	 * @param mixed $v Value.
	 * @return string|null
	 */
	public static function parse_stock( $v ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_stock( $v );
	}

	/**
	 * Price: a non-negative decimal (string or JSON number), stored with '.'; '' clears; null if invalid.
	 *
	 * @param mixed  $v   Value.
	 * @param string $sep Store decimal separator.
	 * @return string|null
	 */
	public static function parse_price( $v, $sep ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_price( $v, $sep );
	}

	/**
	 * Compare two non-negative decimal strings without floats.
	 *
	 * @param string $a Decimal.
	 * @param string $b Decimal.
	 * @return int -1, 0 or 1.
	 */
	public static function compare_decimals( $a, $b ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Price::compare_decimals( $a, $b );
	}

	/**
	 * A stored stock as a whole number, the way PHP's (int) reads a numeric string ("5", "5.000000", "-2");
	 * null when absent or not a number.
	 *
	 * @param mixed $v Stored value.
	 * @return int|null
	 */
	public static function stored_stock( $v ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Price::stored_stock( $v );
	}

	/**
	 * Slug as get_term_by( 'slug' ) would look it up: percent-decoded when that gives UTF-8, then sanitize_title().
	 *
	 * @param string $slug Raw slug.
	 * @return string
	 */
	public static function normalize_slug( $slug ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Request::normalize_slug( $slug );
	}

	/**
	 * The key two SKUs match by (native: src/request.rs sku_key()): trailing spaces dropped, lower-cased
	 * (Unicode-aware when mbstring is there, as Rust's to_lowercase()).
	 *
	 * @param string $sku SKU.
	 * @return string
	 */
	public static function sku_key( $sku ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Request::sku_key( $sku );
	}

	/**
	 * Whether a server of this version supports `FOR UPDATE NOWAIT` (native: src/store.rs supports_nowait()).
	 *
	 * @param string $version Server version ("10.11.6-MariaDB-0+deb12u1", "5.5.5-10.11.6-MariaDB", "8.0.36").
	 * @return bool
	 */
	public static function supports_nowait( $version ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Store::supports_nowait( $version );
	}
}
