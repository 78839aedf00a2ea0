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

foreach ( array( 'error', 'timing', 'store', 'price', 'request', 'response' ) as $mulopimfwc_room ) {
	require_once __DIR__ . '/php-engine/class-' . $mulopimfwc_room . '.php';
}
unset( $mulopimfwc_room );

/**
 * Pure-PHP bulk sync engine.
 */
class Mulopimfwc_Bulk_Sync_PHP_Engine {

	const NUMBER_TAG        = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::NUMBER_TAG;
	const LOCATION_TAXONOMY = 'mulopimfwc_store_location';
	const MAX_RETRIES       = 3;
	const CHUNK_ROWS        = Mulopimfwc_Bulk_Sync_PHP_Engine_Store::CHUNK_ROWS;
	const CHUNK_BYTES       = Mulopimfwc_Bulk_Sync_PHP_Engine_Store::CHUNK_BYTES;
	const IN_CHUNK          = Mulopimfwc_Bulk_Sync_PHP_Engine_Store::IN_CHUNK;
	const MAX_SKU_BYTES     = 65536;
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
	 * The items of the current run as given (for the identifiers in items_failed).
	 *
	 * @var array
	 */
	private $raw_items = array();

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
	 * Constructor.
	 *
	 * @param wpdb|null $db Database object (default: the global $wpdb).
	 */
	public function __construct( $db = null ) {
		$this->store  = new Mulopimfwc_Bulk_Sync_PHP_Engine_Store( $db );
		$this->timing = new Mulopimfwc_Bulk_Sync_PHP_Engine_Timing();
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
	 * @param array        $options Engine options (see tests/contract/README.md), plus `dry_run`.
	 * @return array|WP_Error The result array, or a WP_Error for a whole-request error.
	 */
	public function run( $payload, $options = array() ) {
		$started                  = microtime( true );
		$this->store->query_count = 0;
		$this->opts               = is_array( $options ) ? $options : array();
		$this->last_timings       = null;
		$this->timing->reset();
		try {
			try {
				list( $items, $body_dry ) = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::decode( $payload );
			} finally {
				$this->timing->lap( 'parse', $started );
			}
			if ( $body_dry ) {
				$this->opts['dry_run'] = true;
			}
			$max = isset( $this->opts['max_items'] ) ? (int) $this->opts['max_items'] : 100000;
			if ( $max > 0 && count( $items ) > $max ) {
				throw Mulopimfwc_Bulk_Sync_PHP_Engine_Request::too_many_items( $max );
			}
			$result             = $this->sync( $items );
			$this->last_timings = $this->timing->since( $started );
			$result['timings']  = $this->last_timings;
			return $result;
		} catch ( Mulopimfwc_Bulk_Sync_Request_Exception $e ) {
			$this->last_timings = $this->timing->since( $started );
			return new WP_Error( $e->error_code, $e->getMessage(), array( 'status' => $e->getCode() ) );
		} finally {
			$this->query_count = $this->store->query_count;
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
		$db      = $this->store->db();
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
		$mark = $this->timing->lap( 'resolve', $mark );

		$this->raw_items = array_values( $raw_items );

		// 1. Validate every item (pure).
		$items  = array();
		$errors = array();
		foreach ( array_values( $raw_items ) as $i => $raw ) {
			$v = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::validate_item( $raw, $sep );
			if ( isset( $v['error'] ) ) {
				$errors[ $i + 1 ] = $v['error'];
			} else {
				$items[ $i + 1 ] = $v;
			}
		}
		$this->timing->lap( 'parse', $mark );

		$attempt            = 0;
		$this->post_by_post = false;
		while ( true ) {
			try {
				$this->attempts = $attempt + 1;
				$outcome        = $this->attempt( $items, $errors );
				break;
			} catch ( Mulopimfwc_Bulk_Sync_Db_Exception $e ) {
				$this->store->rollback();
				// Deadlock, lock wait timeout (MariaDB's NOWAIT too), MySQL's NOWAIT.
				if ( in_array( $e->errno, array( 1213, 1205, 3572 ), true ) && $attempt < self::MAX_RETRIES ) {
					++$attempt;
					$this->post_by_post = true;
					usleep( 20000 * $attempt );
					continue;
				}
				throw Mulopimfwc_Bulk_Sync_PHP_Engine_Error::db_error();
			}
		}

		return Mulopimfwc_Bulk_Sync_PHP_Engine_Response::build( count( $raw_items ), $outcome, $this->raw_items, ! empty( $this->opts['dry_run'] ) );
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

	/**
	 * One transaction: resolve, lock, read, plan, write.
	 *
	 * @param array $items  Valid items by index.
	 * @param array $errors Validation errors by index.
	 * @return array Outcome.
	 */
	private function attempt( array $items, array $errors ) {
		$t = $this->t;
		if ( ! $this->store->connected() ) {
			throw new Mulopimfwc_Bulk_Sync_Db_Exception( 2006 );
		}

		$mark = microtime( true );
		$this->store->tune_session();
		// READ COMMITTED for this transaction only (WordPress's own session keeps its level): reads see the latest
		// committed rows, and locking reads take no gap locks, which would block the inserts of concurrent writers.
		$this->store->sql( 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED' );
		$this->store->sql( 'START TRANSACTION' );

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
		$this->timing->lap( 'resolve', $mark );

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
				$this->store->sql( 'ROLLBACK' );
			} else {
				$this->store->sql( 'COMMIT' );
			}
		} finally {
			$this->timing->lap( 'write', $mark );
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
			$rows = $this->store->select_chunked(
				array_keys( $ids ),
				function ( $chunk ) use ( $t ) {
					return "SELECT ID, post_type, post_parent, post_status FROM `{$t['posts']}` WHERE ID IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ") AND post_type IN ('product','product_variation')";
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
				$wanted[ Mulopimfwc_Bulk_Sync_PHP_Engine_Request::sku_key( $sku ) ][] = $sku;
				$in[]                              = $this->store->q( $sku );
			}
			// STRAIGHT_JOIN: read the matching `_sku` rows first, then their posts by id (the other
			// order reads every product's meta rows).
			$head = "SELECT STRAIGHT_JOIN pm.post_id, pm.meta_value, p.post_type, p.post_parent, p.post_status FROM `{$t['postmeta']}` pm
				JOIN `{$t['posts']}` p ON p.ID = pm.post_id
				WHERE pm.meta_key = '_sku' AND p.post_type IN ('product','product_variation') AND p.post_status <> 'trash'
				AND pm.meta_value IN (";
			foreach ( $this->store->in_chunks( $in ) as $list ) {
				foreach ( $this->store->sql( $head . $list . ')', true ) as $r ) {
					if ( ! is_string( $r['meta_value'] ) ) {
						continue;
					}
					$key = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::sku_key( $r['meta_value'] );
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
			$where[] = 't.term_id IN (' . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( array_keys( $ids ) ) . ')';
		}
		if ( $slugs ) {
			$where[] = 't.slug IN (' . implode( ',', array_map( array( $this->store, 'q' ), array_map( 'strval', array_keys( $slugs ) ) ) ) . ')';
		}
		$rows = $this->store->sql(
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
		$parent_rows = $this->store->select_chunked(
			$lock_ids,
			function ( $chunk ) use ( $t ) {
				return "SELECT ID, post_type, post_parent, post_status FROM `{$t['posts']}` WHERE ID IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ') ORDER BY ID FOR UPDATE';
			}
		);
		foreach ( $parent_rows as $r ) {
			$posts[ (int) $r['ID'] ] = $r;
		}

		// Product types (variable products sync their parent-managed variations).
		$types = array();
		$rows  = $this->store->select_chunked(
			$lock_ids,
			function ( $chunk ) use ( $t ) {
				return "SELECT tr.object_id, te.slug FROM `{$t['tr']}` tr JOIN `{$t['tt']}` tt ON tt.term_taxonomy_id = tr.term_taxonomy_id AND tt.taxonomy = 'product_type' JOIN `{$t['terms']}` te ON te.term_id = tt.term_id WHERE tr.object_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')';
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
		$key_sql      = implode( ',', array_map( array( $this->store, 'q' ), $keys ) );
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
			$mark = $this->timing->lap( 'read', $mark );
		}
		$plan = $this->plan_state( $resolved, $posts, $meta, $children, $is_variable, $errors );
		$rows = $this->meta_rows( $plan['new'], $meta );
		$mark = $this->timing->lap( 'plan', $mark );
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
			$mark = $this->timing->lap( 'lock', $mark );
		}
		unset( $inserts );
		$errors = $given;
		$plan   = $this->plan_state( $resolved, $posts, $meta, $children, $is_variable, $errors );
		$rows   = $this->meta_rows( $plan['new'], $meta );
		$final  = $this->reconcile_fresh( $rows, $fresh );
		$mark   = $this->timing->lap( 'plan', $mark );
		try {
			$late = $this->write( $plan['new'], $final, $plan['holders'], $plan['full_save'], $plan['status_only'], $plan['modified'], $report );
		} finally {
			$this->timing->lap( 'write', $mark );
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
			$rows = $this->store->sql( "SELECT meta_id, post_id, meta_key, meta_value FROM `{$t['postmeta']}` WHERE post_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ") AND meta_key IN ({$key_sql}) ORDER BY meta_id", true );
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
			$rows = $this->store->select_chunked(
				$variable_ids,
				function ( $chunk ) use ( $t ) {
					return "SELECT p.ID, p.post_parent, p.post_status, pm.meta_id, pm.meta_key, pm.meta_value FROM `{$t['posts']}` p
						LEFT JOIN `{$t['postmeta']}` pm ON pm.post_id = p.ID AND pm.meta_key IN ('_manage_stock','_stock_status')
						WHERE p.post_type = 'product_variation' AND p.post_parent IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ') ORDER BY p.ID, pm.meta_id';
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
				$rows = $this->store->sql( "SELECT meta_id, meta_value FROM `{$t['postmeta']}` WHERE meta_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ') ORDER BY meta_id FOR UPDATE' . ( $nowait ? ' NOWAIT' : '' ), true, false );
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
				$tuples[] = '(' . (int) $r[0] . ',' . $this->store->q( $r[1] ) . ',' . $this->store->q( $r[2] ) . ')';
			}
			if ( $tuples ) {
				$first = $this->store->write_chunked( "INSERT INTO `{$t['postmeta']}` (post_id, meta_key, meta_value) VALUES ", $tuples );
				if ( $first > 0 && ( 0 === $this->fresh_from || $first < $this->fresh_from ) ) {
					$this->fresh_from = $first;
				}
			}
		};
		// A server without NOWAIT cannot fail the bulk lock fast: new rows then go post by post.
		if ( ! $this->post_by_post && ( $this->store->nowait() || ! $inserts ) ) {
			$insert( $inserts );
			$lock( $ids_of ? array_merge( ...array_values( $ids_of ) ) : array(), $this->store->nowait() && $inserts );
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
		$key_sql = implode( ',', array_map( array( $this->store, 'q' ), array_keys( $keys ) ) );
		$from    = $this->fresh_from > 0 ? ' AND meta_id >= ' . (int) $this->fresh_from : '';
		$fresh   = array();
		foreach ( array_chunk( array_keys( $want ), self::IN_CHUNK ) as $chunk ) {
			$rows = $this->store->sql( "SELECT meta_id, post_id, meta_key, meta_value FROM `{$t['postmeta']}` WHERE post_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ") AND meta_key IN ({$key_sql}){$from} ORDER BY meta_id", true );
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
			$primary = (int) Mulopimfwc_Bulk_Sync_PHP_Engine_Price::parse_positive_int( is_int( $primary_raw ) ? $primary_raw : ( is_string( $primary_raw ) ? trim( $primary_raw ) : '' ) );
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
			$upserts[] = '(' . (int) $u[0] . ',' . (int) $u[1] . ',' . $this->store->q( $u[2] ) . ',' . $this->store->q( $u[3] ) . ')';
		}
		if ( ! $logged ) {
			foreach ( $rows['inserts'] as $i ) {
				$upserts[] = '(NULL,' . (int) $i[0] . ',' . $this->store->q( $i[1] ) . ',' . $this->store->q( $i[2] ) . ')';
			}
		}
		$deletes = $rows['deletes'];
		if ( $upserts ) {
			$this->store->write_chunked(
				"INSERT INTO `{$t['postmeta']}` (meta_id, post_id, meta_key, meta_value) VALUES ",
				$upserts,
				' ON DUPLICATE KEY UPDATE meta_value = VALUES(meta_value)'
			);
		}
		if ( $logged && $rows['inserts'] ) {
			$tuples = array();
			foreach ( $rows['inserts'] as $i ) {
				$tuples[] = '(' . (int) $i[0] . ',' . $this->store->q( $i[1] ) . ',' . $this->store->q( $i[2] ) . ')';
			}
			$this->fresh_from = $this->store->write_chunked( "INSERT INTO `{$t['postmeta']}` (post_id, meta_key, meta_value) VALUES ", $tuples );
			foreach ( $this->read_fresh( $rows['inserts'] ) as $post => $by_key ) {
				foreach ( $by_key as $key => $list ) {
					foreach ( $list as $row ) {
						$late[] = array( $row[0], (int) $post, (string) $key, $row[1] );
					}
				}
			}
		}
		foreach ( array_chunk( $deletes, self::IN_CHUNK ) as $chunk ) {
			$this->store->sql( "DELETE FROM `{$t['postmeta']}` WHERE meta_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')' );
		}

		// The outofstock visibility term of the saved products.
		if ( $full_save ) {
			$this->write_visibility( $new, $full_save );
		}

		// WooCommerce's lookup table, when it exists.
		if ( $full_save || $status_only ) {
			$exists = $this->store->sql( 'SHOW TABLES LIKE ' . $this->store->q( $t['lookup'] ), true );
			if ( $exists ) {
				$full = array();
				$stat = array();
				foreach ( array_keys( $full_save ) as $id ) {
					$stock = isset( $holders[ $id ] ) ? $holders[ $id ] : null;
					if ( null !== $stock ) {
						$full[] = '(' . (int) $id . ',' . (int) $stock . ',' . $this->store->q( $new[ $id ]['_stock_status'] ) . ')';
					} else {
						$stat[] = '(' . (int) $id . ',' . $this->store->q( $new[ $id ]['_stock_status'] ) . ')';
					}
				}
				foreach ( array_keys( $status_only ) as $id ) {
					$stat[] = '(' . (int) $id . ',' . $this->store->q( $new[ $id ]['_stock_status'] ) . ')';
				}
				if ( $full ) {
					$this->store->write_chunked(
						"INSERT INTO `{$t['lookup']}` (product_id, stock_quantity, stock_status) VALUES ",
						$full,
						' ON DUPLICATE KEY UPDATE stock_quantity = VALUES(stock_quantity), stock_status = VALUES(stock_status)'
					);
				}
				if ( $stat ) {
					$this->store->write_chunked(
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
				$this->store->sql( "UPDATE `{$t['posts']}` SET post_modified = " . $this->store->q( $now ) . ', post_modified_gmt = ' . $this->store->q( $now_gmt ) . ' WHERE ID IN (' . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')' );
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
		$rows  = $this->store->sql(
			"SELECT tt.term_taxonomy_id FROM `{$t['tt']}` tt JOIN `{$t['terms']}` te ON te.term_id = tt.term_id WHERE tt.taxonomy = 'product_visibility' AND te.slug = 'outofstock' LIMIT 1",
			true
		);
		$tt_id = $rows ? (int) $rows[0]['term_taxonomy_id'] : 0;
		if ( ! $tt_id ) {
			if ( ! in_array( true, $want, true ) ) {
				return;
			}
			$this->store->sql( "INSERT INTO `{$t['terms']}` (name, slug, term_group) VALUES ('outofstock', 'outofstock', 0)" );
			$term_id = $this->store->insert_id();
			$this->store->sql( "INSERT INTO `{$t['tt']}` (term_id, taxonomy, description, parent, count) VALUES ({$term_id}, 'product_visibility', '', 0, 0)" );
			$tt_id = $this->store->insert_id();
		}
		$have = array();
		$rows = $this->store->select_chunked(
			array_keys( $want ),
			function ( $chunk ) use ( $t, $tt_id ) {
				return "SELECT object_id FROM `{$t['tr']}` WHERE term_taxonomy_id = {$tt_id} AND object_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')';
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
			$this->store->write_chunked( "INSERT IGNORE INTO `{$t['tr']}` (object_id, term_taxonomy_id, term_order) VALUES ", $add );
		}
		foreach ( array_chunk( $remove, self::IN_CHUNK ) as $chunk ) {
			$this->store->sql( "DELETE FROM `{$t['tr']}` WHERE term_taxonomy_id = {$tt_id} AND object_id IN (" . Mulopimfwc_Bulk_Sync_PHP_Engine_Store::ints( $chunk ) . ')' );
		}
		if ( $add || $remove ) {
			// As WordPress's _update_post_term_count() counts: published objects of the taxonomy's post types.
			$this->store->sql(
				"UPDATE `{$t['tt']}` SET count = (SELECT COUNT(*) FROM `{$t['tr']}` tr JOIN `{$t['posts']}` p ON p.ID = tr.object_id
				WHERE tr.term_taxonomy_id = {$tt_id} AND p.post_status = 'publish' AND p.post_type IN ('product','product_variation'))
				WHERE term_taxonomy_id = {$tt_id}"
			);
		}
	}

}

