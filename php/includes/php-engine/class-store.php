<?php
/**
 * The PHP engine's database session (native: src/store.rs, the connection, and src/sql.rs, SQL text): running
 * statements on WordPress's connection, quoting, id lists, statements chunked to the server's packet size, and the
 * base of the rooms that send them.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * One connection's statements: every one the engine sends goes through sql() and is counted.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Store {

	const CHUNK_ROWS  = 1000000;
	const CHUNK_BYTES = 1048576;
	const IN_CHUNK    = 50000;

	/**
	 * Statements sent to the server since reset_count() (for tests and benchmarks).
	 *
	 * @var int
	 */
	public $query_count = 0;

	/**
	 * Database.
	 *
	 * @var wpdb
	 */
	private $wpdb;

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
	 * Constructor.
	 *
	 * @param wpdb|null $db Database object (default: the global $wpdb).
	 */
	public function __construct( $db = null ) {
		global $wpdb;
		$this->wpdb = $db ? $db : $wpdb;
	}

	/**
	 * The database object (the global $wpdb when none was given).
	 *
	 * @return wpdb
	 */
	public function db() {
		return $this->wpdb ? $this->wpdb : $GLOBALS['wpdb'];
	}

	/**
	 * Whether queries go straight to the mysqli handle (no silent reconnect in the middle of a transaction).
	 *
	 * @return bool
	 */
	public function direct() {
		return ! empty( $this->wpdb->use_mysqli ) && isset( $this->wpdb->dbh ) && $this->wpdb->dbh instanceof mysqli;
	}

	/**
	 * Whether there is a connection to send statements on.
	 *
	 * @return bool
	 */
	public function connected() {
		return $this->direct() || ! empty( $this->wpdb->dbh );
	}

	/**
	 * Whether the server knows `FOR UPDATE NOWAIT` (known after tune_session()).
	 *
	 * @return bool
	 */
	public function nowait() {
		return $this->nowait;
	}

	/**
	 * Quote a string for SQL.
	 *
	 * @param string $s String.
	 * @return string
	 */
	public function q( $s ) {
		if ( $this->direct() ) {
			return "'" . mysqli_real_escape_string( $this->wpdb->dbh, (string) $s ) . "'";
		}
		return "'" . $this->wpdb->_real_escape( (string) $s ) . "'";
	}

	/**
	 * Comma list of quoted strings.
	 *
	 * @param array $values Strings.
	 * @return string
	 */
	public function q_list( array $values ) {
		return implode( ',', array_map( array( $this, 'q' ), $values ) );
	}

	/**
	 * Comma list of integers.
	 *
	 * @param array $ids Ids.
	 * @return string
	 */
	public static function ints( array $ids ) {
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
	public function sql( $sql, $select = false, $assoc = true ) {
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
	 * The auto-increment id the last INSERT got.
	 *
	 * @return int
	 */
	public function insert_id() {
		return $this->direct() ? (int) mysqli_insert_id( $this->wpdb->dbh ) : (int) $this->wpdb->insert_id;
	}

	/**
	 * Run a SELECT over chunks of an id/value list.
	 *
	 * @param array    $values List.
	 * @param callable $build  Builds the SQL for one chunk.
	 * @return array Rows.
	 */
	public function select_chunked( array $values, $build ) {
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
	public function in_chunks( array $values ) {
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
	 * Run multi-row statements: `$head . rows . $tail`, chunked by count and size.
	 *
	 * @param string $head SQL before the VALUES tuples.
	 * @param array  $rows SQL tuples "(...)".
	 * @param string $tail SQL after the tuples.
	 * @return int The auto-increment id of the first statement's first row (0: none).
	 */
	public function write_chunked( $head, array $rows, $tail = '' ) {
		$batch = array();
		$bytes = 0;
		$first = 0;
		$run   = function ( array $batch ) use ( $head, $tail, &$first ) {
			$this->sql( $head . implode( ',', $batch ) . $tail );
			if ( 0 === $first ) {
				$first = $this->insert_id();
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
	 * Roll back, ignoring errors.
	 */
	public function rollback() {
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
	public function tune_session() {
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
		$db      = $this->db();
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
}

/**
 * A room that sends statements (resolve, snapshot, write): the session and the run's table names.
 */
abstract class Mulopimfwc_Bulk_Sync_PHP_Engine_Room {

	/**
	 * The database session.
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Store
	 */
	protected $store;

	/**
	 * Table names.
	 *
	 * @var array
	 */
	protected $t;

	/**
	 * Constructor.
	 *
	 * @param Mulopimfwc_Bulk_Sync_PHP_Engine_Store $store  The database session.
	 * @param array                                 $tables Table names (Mulopimfwc_Bulk_Sync_PHP_Engine_Options::tables()).
	 */
	public function __construct( Mulopimfwc_Bulk_Sync_PHP_Engine_Store $store, array $tables ) {
		$this->store = $store;
		$this->t     = $tables;
	}
}
