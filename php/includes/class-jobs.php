<?php
/**
 * Bulk-sync jobs: a file of any size, split into chunks, each chunk one Action Scheduler action (group
 * `mulopimfwc`) and one engine call, applied exactly once.
 *
 * A job lives in two tables, `{prefix}mulopimfwc_jobs` and `{prefix}mulopimfwc_job_chunks`: the items of each chunk
 * are stored in its row, so runners on any machine that shares the database can work the job, and nothing is kept
 * where the web server could serve it. The engine claims a chunk's row (`SELECT ... FOR UPDATE`) first in its
 * write transaction and marks it done, with its result, last in the same transaction (engine options `job_id` and
 * `job_chunk`): a runner killed mid-chunk leaves the chunk pending, to be run again, and a chunk run twice finds
 * it done and writes nothing.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Jobs: creation from a stream, Action Scheduler actions, the chunk runner, status, cancel, pruning.
 */
class Mulopimfwc_Bulk_Sync_Jobs {

	const GROUP              = 'mulopimfwc';
	const CHUNK_HOOK         = 'mulopimfwc_bulk_sync_job_chunk';
	const PRUNE_HOOK         = 'mulopimfwc_bulk_sync_jobs_prune';
	const DB_VERSION         = '1';
	const DB_VERSION_OPTION  = 'mulopimfwc_jobs_db_version';
	const DEFAULT_CHUNK_SIZE = 5000;
	const DEFAULT_MAX_ITEMS  = 10000000;
	const FINAL_STATES       = array( 'done', 'failed', 'cancelled' );

	/**
	 * Per-process cache of chunk keys (see chunk_keys()), by "job:chunk".
	 *
	 * @var array
	 */
	private static $keys_cache = array();

	/**
	 * Register the hooks: the chunk action, pruning, recovery of actions Action Scheduler gave up on.
	 */
	public static function hooks() {
		add_action( self::CHUNK_HOOK, array( __CLASS__, 'run_chunk' ), 10, 2 );
		add_action( self::PRUNE_HOOK, array( __CLASS__, 'prune' ) );
		add_action( 'init', array( __CLASS__, 'maybe_create_tables' ) );
		// A runner killed or timed out mid-chunk: Action Scheduler marks the action failed (after its failure
		// period) and never runs it again. The chunk is still pending: it gets a new action.
		add_action( 'action_scheduler_failed_action', array( __CLASS__, 'recover_action' ), 10, 1 );
		add_action( 'action_scheduler_failed_execution', array( __CLASS__, 'recover_action' ), 10, 1 );
		add_action( 'action_scheduler_unexpected_shutdown', array( __CLASS__, 'recover_action' ), 10, 1 );
		add_filter( 'action_scheduler_queue_runner_concurrent_batches', array( __CLASS__, 'concurrent_batches' ) );
	}

	/**
	 * While a job is queued or running, let Action Scheduler run several batches at once (its default is one:
	 * a second WP-Cron request or `wp action-scheduler run` would stop with "too many concurrent batches"), so
	 * that chunks run in parallel. Filter `mulopimfwc_job_runners` (default 3); never lowers the site's setting.
	 *
	 * @param int $batches Concurrent batches allowed so far.
	 * @return int
	 */
	public static function concurrent_batches( $batches ) {
		global $wpdb;
		static $active = null;
		if ( null === $active ) {
			$table    = self::jobs_table();
			$suppress = $wpdb->suppress_errors( true );
			$active   = (bool) $wpdb->get_var( "SELECT 1 FROM `{$table}` WHERE state IN ('queued', 'running') LIMIT 1" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$wpdb->suppress_errors( $suppress );
		}
		if ( ! $active ) {
			return $batches;
		}
		/**
		 * Filters how many Action Scheduler batches (runners) may work at once while a bulk-sync job is queued or
		 * running.
		 *
		 * @param int $runners Default 3.
		 */
		return max( (int) $batches, (int) apply_filters( 'mulopimfwc_job_runners', 3 ) );
	}

	/**
	 * The jobs table.
	 *
	 * @return string
	 */
	public static function jobs_table() {
		global $wpdb;
		return $wpdb->prefix . 'mulopimfwc_jobs';
	}

	/**
	 * The chunks table.
	 *
	 * @return string
	 */
	public static function chunks_table() {
		global $wpdb;
		return $wpdb->prefix . 'mulopimfwc_job_chunks';
	}

	/**
	 * Activation: the tables and the daily prune.
	 */
	public static function activate() {
		self::create_tables();
		if ( function_exists( 'wp_next_scheduled' ) && ! wp_next_scheduled( self::PRUNE_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::PRUNE_HOOK );
		}
	}

	/**
	 * Deactivation: the daily prune goes; jobs and their tables stay.
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::PRUNE_HOOK );
	}

	/**
	 * Create the tables when the stored schema version is not this one (an autoloaded option: no query).
	 */
	public static function maybe_create_tables() {
		if ( get_option( self::DB_VERSION_OPTION ) !== self::DB_VERSION ) {
			self::activate();
		}
	}

	/**
	 * Create (or upgrade) both tables with dbDelta.
	 */
	public static function create_tables() {
		global $wpdb;
		if ( ! function_exists( 'dbDelta' ) ) {
			require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		}
		$jobs    = self::jobs_table();
		$chunks  = self::chunks_table();
		$collate = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE {$jobs} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  state varchar(20) NOT NULL DEFAULT 'receiving',
  format varchar(10) NOT NULL DEFAULT '',
  dry_run tinyint(1) NOT NULL DEFAULT 0,
  source varchar(20) NOT NULL DEFAULT '',
  principal varchar(100) NOT NULL DEFAULT '',
  file_name varchar(255) NOT NULL DEFAULT '',
  items_total int(10) unsigned NOT NULL DEFAULT 0,
  chunks_total int(10) unsigned NOT NULL DEFAULT 0,
  chunk_size int(10) unsigned NOT NULL DEFAULT 0,
  rejected int(10) unsigned NOT NULL DEFAULT 0,
  created_at datetime NOT NULL,
  started_at datetime NULL DEFAULT NULL,
  finished_at datetime NULL DEFAULT NULL,
  cancelled_at datetime NULL DEFAULT NULL,
  PRIMARY KEY  (id),
  KEY state (state),
  KEY created_at (created_at)
) {$collate};
CREATE TABLE {$chunks} (
  job_id bigint(20) unsigned NOT NULL,
  chunk_no int(10) unsigned NOT NULL,
  first_item int(10) unsigned NOT NULL,
  items int(10) unsigned NOT NULL,
  rejected int(10) unsigned NOT NULL DEFAULT 0,
  payload longtext NOT NULL,
  meta longtext NOT NULL,
  state varchar(12) NOT NULL DEFAULT 'pending',
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  action_id bigint(20) unsigned NOT NULL DEFAULT 0,
  started_at datetime NULL DEFAULT NULL,
  finished_at datetime NULL DEFAULT NULL,
  succeeded int(10) unsigned NOT NULL DEFAULT 0,
  failed int(10) unsigned NOT NULL DEFAULT 0,
  result longtext NULL,
  followons tinyint(1) NOT NULL DEFAULT 0,
  error text NULL,
  PRIMARY KEY  (job_id,chunk_no),
  KEY state (job_id,state)
) {$collate};"
		);
		update_option( self::DB_VERSION_OPTION, self::DB_VERSION, true );
	}

	/**
	 * The chunk size for a new job: filter `mulopimfwc_job_chunk_size` (default 5,000), capped at the engine's
	 * item limit per request (`mulopimfwc_max_bulk_sync_items`: 1,000 by default with the PHP engine).
	 *
	 * @param int|null $asked A size the caller asked for (WP-CLI --chunk-size), or null.
	 * @return int|WP_Error
	 */
	public static function chunk_size( $asked = null ) {
		/**
		 * Filters the number of items in one chunk (one Action Scheduler action, one engine call) of a bulk-sync job.
		 *
		 * @param int $size Default 5000. Capped at the engine's item limit per request.
		 */
		$size = null === $asked ? (int) apply_filters( 'mulopimfwc_job_chunk_size', self::DEFAULT_CHUNK_SIZE ) : (int) $asked;
		if ( $size < 1 ) {
			return new WP_Error( 'invalid_chunk_size', __( 'The chunk size must be a positive number of items.', 'mulopimfwc-bulk-sync' ), array( 'status' => 400 ) );
		}
		$engine = mulopimfwc_bulk_sync_engine();
		$max    = (int) $engine->max_items( $engine->uses_native() );
		return $max > 0 ? min( $size, $max ) : $size;
	}

	/**
	 * The most items one job may hold: filter `mulopimfwc_max_job_items` (default 10,000,000).
	 *
	 * @return int
	 */
	public static function max_items() {
		/**
		 * Filters the most items one bulk-sync job may hold (the limit of one request does not apply to jobs).
		 *
		 * @param int $max Default 10000000.
		 */
		return max( 1, (int) apply_filters( 'mulopimfwc_max_job_items', self::DEFAULT_MAX_ITEMS ) );
	}

	/**
	 * Create a job from a stream: the items are read in blocks and stored chunk by chunk; only a body that reads
	 * whole as JSON, NDJSON or CSV becomes a job (queued, one action per chunk), else nothing remains of it.
	 *
	 * @param resource $stream Readable stream (php://input, a file).
	 * @param string   $format 'json', 'ndjson', 'csv' or 'auto'.
	 * @param array    $args   'source' ('rest'|'cli'), 'principal', 'file_name', 'dry_run' (bool), 'chunk_size' (int).
	 * @return array|WP_Error The job's status, or why there is no job.
	 */
	public static function create( $stream, $format, array $args = array() ) {
		global $wpdb;
		if ( ! function_exists( 'as_enqueue_async_action' ) ) {
			return new WP_Error( 'action_scheduler_missing', __( 'Bulk-sync jobs run on WooCommerce\'s Action Scheduler: activate WooCommerce.', 'mulopimfwc-bulk-sync' ), array( 'status' => 503 ) );
		}
		self::maybe_create_tables();
		$size = self::chunk_size( isset( $args['chunk_size'] ) ? (int) $args['chunk_size'] : null );
		if ( is_wp_error( $size ) ) {
			return $size;
		}
		$engine    = mulopimfwc_bulk_sync_engine();
		$max_chunk = (int) $engine->max_items( $engine->uses_native() );
		$jobs      = self::jobs_table();
		$chunks    = self::chunks_table();
		$inserted  = $wpdb->insert(
			$jobs,
			array(
				'state'      => 'receiving',
				'dry_run'    => empty( $args['dry_run'] ) ? 0 : 1,
				'source'     => isset( $args['source'] ) ? substr( (string) $args['source'], 0, 20 ) : '',
				'principal'  => isset( $args['principal'] ) ? substr( (string) $args['principal'], 0, 100 ) : '',
				'file_name'  => isset( $args['file_name'] ) ? substr( (string) $args['file_name'], 0, 255 ) : '',
				'chunk_size' => $size,
				'created_at' => gmdate( 'Y-m-d H:i:s' ),
			)
		);
		if ( ! $inserted ) {
			return self::db_error();
		}
		$job_id   = (int) $wpdb->insert_id;
		$on_chunk = static function ( array $chunk ) use ( $job_id, $chunks, $wpdb ) {
			$meta = wp_json_encode(
				array(
					'rejected' => array_values( $chunk['rejected'] ),
					'lines'    => $chunk['lines'],
				)
			);
			$ok   = $wpdb->query(
				$wpdb->prepare(
					"INSERT INTO `{$chunks}` (job_id, chunk_no, first_item, items, rejected, payload, meta) VALUES (%d, %d, %d, %d, %d, %s, %s)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$job_id,
					(int) $chunk['chunk_no'],
					(int) $chunk['first_item'],
					(int) $chunk['items'],
					count( $chunk['rejected'] ),
					(string) $chunk['payload'],
					(string) $meta
				)
			);
			return $ok ? true : self::db_error();
		};
		$read     = Mulopimfwc_Bulk_Sync_Job_Intake::read(
			$stream,
			(string) $format,
			$size,
			$on_chunk,
			array(
				'max_items'       => self::max_items(),
				'max_chunk_items' => max( $size, $max_chunk ),
			)
		);
		if ( is_wp_error( $read ) ) {
			self::delete_jobs( array( $job_id ) );
			return $read;
		}
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE `{$jobs}` SET state = 'queued', format = %s, items_total = %d, chunks_total = %d, rejected = %d, dry_run = dry_run OR %d WHERE id = %d", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				(string) $read['format'],
				(int) $read['items'],
				(int) $read['chunks'],
				(int) $read['rejected'],
				empty( $read['dry_run'] ) ? 0 : 1,
				$job_id
			)
		);
		for ( $no = 0; $no < (int) $read['chunks']; $no++ ) {
			self::enqueue( $job_id, $no, 0 );
		}
		/**
		 * Fires when a bulk-sync job has been created and its chunks queued.
		 *
		 * @param int   $job_id The job.
		 * @param array $args   How it was created ('source', 'principal', 'file_name', 'dry_run').
		 */
		do_action( 'mulopimfwc_bulk_sync_job_created', $job_id, $args );
		return self::get( $job_id );
	}

	/**
	 * Schedule a chunk's action (now, or after $delay seconds) and remember its id on the chunk.
	 *
	 * @param int $job_id   Job.
	 * @param int $chunk_no Chunk.
	 * @param int $delay    Seconds from now (0: as soon as a runner is free).
	 * @return int The action id (0 when Action Scheduler refused).
	 */
	private static function enqueue( $job_id, $chunk_no, $delay ) {
		global $wpdb;
		$args      = array( (int) $job_id, (int) $chunk_no );
		$action_id = $delay > 0
			? as_schedule_single_action( time() + (int) $delay, self::CHUNK_HOOK, $args, self::GROUP )
			: as_enqueue_async_action( self::CHUNK_HOOK, $args, self::GROUP );
		$table = self::chunks_table();
		$wpdb->query( $wpdb->prepare( "UPDATE `{$table}` SET action_id = %d WHERE job_id = %d AND chunk_no = %d", (int) $action_id, $job_id, $chunk_no ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return (int) $action_id;
	}

	/**
	 * A job's row.
	 *
	 * @param int $job_id Job.
	 * @return array|null
	 */
	private static function job_row( $job_id ) {
		global $wpdb;
		$table = self::jobs_table();
		$row   = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM `{$table}` WHERE id = %d", $job_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return is_array( $row ) ? $row : null;
	}

	/**
	 * A chunk's row, with or without its payload and result.
	 *
	 * @param int  $job_id   Job.
	 * @param int  $chunk_no Chunk.
	 * @param bool $full     Whether to read payload, meta and result.
	 * @return array|null
	 */
	private static function chunk_row( $job_id, $chunk_no, $full = true ) {
		global $wpdb;
		$table   = self::chunks_table();
		$columns = $full ? '*' : 'job_id, chunk_no, first_item, items, rejected, state, attempts, action_id, started_at, finished_at, succeeded, failed, followons, error';
		$row     = $wpdb->get_row( $wpdb->prepare( "SELECT {$columns} FROM `{$table}` WHERE job_id = %d AND chunk_no = %d", $job_id, $chunk_no ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return is_array( $row ) ? $row : null;
	}

	/**
	 * The Action Scheduler callback: run one chunk, once.
	 *
	 * @param int $job_id   Job.
	 * @param int $chunk_no Chunk.
	 * @return string What happened: 'done', 'skipped' (done already, or gone), 'waiting' (an earlier chunk with the
	 *                same product and location is still to run: rescheduled), 'retry' (a database failure:
	 *                rescheduled), 'failed', 'cancelled'.
	 */
	public static function run_chunk( $job_id, $chunk_no ) {
		global $wpdb;
		$job_id   = (int) $job_id;
		$chunk_no = (int) $chunk_no;
		$job      = self::job_row( $job_id );
		$chunk    = $job ? self::chunk_row( $job_id, $chunk_no ) : null;
		if ( ! $job || ! $chunk ) {
			return 'skipped';
		}
		if ( 'done' === $chunk['state'] ) {
			self::finish_chunk( $job, $chunk );
			return 'skipped';
		}
		if ( 'pending' !== $chunk['state'] ) {
			return 'skipped';
		}
		if ( 'cancelled' === $job['state'] ) {
			self::cancel_pending_chunks( $job_id );
			return 'cancelled';
		}
		if ( ! self::earlier_chunks_clear( $job, $chunk ) ) {
			self::enqueue( $job_id, $chunk_no, self::wait_delay() );
			return 'waiting';
		}

		$chunks = self::chunks_table();
		$jobs   = self::jobs_table();
		$wpdb->query( $wpdb->prepare( "UPDATE `{$chunks}` SET attempts = attempts + 1, started_at = %s WHERE job_id = %d AND chunk_no = %d AND state = 'pending'", gmdate( 'Y-m-d H:i:s' ), $job_id, $chunk_no ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( $wpdb->prepare( "UPDATE `{$jobs}` SET state = 'running', started_at = COALESCE(started_at, %s) WHERE id = %d AND state = 'queued'", gmdate( 'Y-m-d H:i:s' ), $job_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$attempts = (int) $chunk['attempts'] + 1;

		$dry    = ! empty( $job['dry_run'] );
		$args   = $dry ? array( 'dry_run' => true ) : array(
			'job_id'    => $job_id,
			'job_chunk' => $chunk_no,
		);
		$result = mulopimfwc_bulk_sync_engine()->run(
			(string) $chunk['payload'],
			$args,
			array(
				'source'         => 'job',
				'fire_completed' => false,
				'job_id'         => $job_id,
				'after_engine'   => static function ( $result ) use ( $job_id, $chunk_no ) {
					/**
					 * Fires when a job's chunk has been written (committed), before the follow-ons (caches,
					 * WooCommerce's actions) run for it.
					 *
					 * @param int   $job_id   Job.
					 * @param int   $chunk_no Chunk (from 0).
					 * @param array $result   The engine's result for the chunk.
					 */
					do_action( 'mulopimfwc_bulk_sync_job_chunk_applied', $job_id, $chunk_no, $result );
				},
			)
		);
		unset( $chunk['payload'] );

		if ( is_wp_error( $result ) ) {
			return self::chunk_error( $job, $chunk, $result, $attempts );
		}
		if ( $dry ) {
			// Nothing was written: the result is recorded here (no marker in a transaction to keep).
			$wpdb->query(
				$wpdb->prepare(
					"UPDATE `{$chunks}` SET state = 'done', succeeded = %d, failed = %d, result = %s, finished_at = %s, followons = 1 WHERE job_id = %d AND chunk_no = %d AND state = 'pending'", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					(int) $result['results']['success'],
					(int) $result['results']['failed'],
					(string) wp_json_encode( self::kept_result( $result ) ),
					gmdate( 'Y-m-d H:i:s' ),
					$job_id,
					$chunk_no
				)
			);
		} else {
			self::follow_ons_done( $job_id, $chunk_no, $result ); // They ran inside run().
		}
		self::maybe_finish( $job_id );
		return 'done';
	}

	/**
	 * Record that a written chunk's follow-ons ran; its row then keeps only what the status needs.
	 *
	 * @param int   $job_id   Job.
	 * @param int   $chunk_no Chunk.
	 * @param array $result   The engine's result for the chunk.
	 */
	private static function follow_ons_done( $job_id, $chunk_no, array $result ) {
		global $wpdb;
		$table = self::chunks_table();
		$wpdb->query( $wpdb->prepare( "UPDATE `{$table}` SET followons = 1, result = %s, error = NULL WHERE job_id = %d AND chunk_no = %d", (string) wp_json_encode( self::kept_result( $result ) ), $job_id, $chunk_no ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * What a chunk's row keeps of its result once its follow-ons ran: the failed items.
	 *
	 * @param array $result Engine result.
	 * @return array
	 */
	private static function kept_result( array $result ) {
		return array(
			'items_failed' => isset( $result['results']['items_failed'] ) ? array_values( (array) $result['results']['items_failed'] ) : array(),
		);
	}

	/**
	 * A chunk found done: when the runner that wrote it died before its follow-ons, run them now from the result
	 * the engine stored with the write; then maybe finish the job.
	 *
	 * @param array $job   Job row.
	 * @param array $chunk Chunk row (with result).
	 */
	private static function finish_chunk( array $job, array $chunk ) {
		if ( empty( $chunk['followons'] ) ) {
			$result = json_decode( (string) $chunk['result'], true );
			if ( is_array( $result ) ) {
				Mulopimfwc_Bulk_Sync_Cache::after_sync(
					$result,
					array(
						'source'         => 'job',
						'fire_completed' => false,
					)
				);
				self::follow_ons_done( (int) $job['id'], (int) $chunk['chunk_no'], $result );
			}
		}
		self::maybe_finish( (int) $job['id'] );
	}

	/**
	 * A chunk's engine call failed as a whole: already done elsewhere, retried later, or failed for good.
	 *
	 * @param array    $job      Job row.
	 * @param array    $chunk    Chunk row.
	 * @param WP_Error $error    The error.
	 * @param int      $attempts Attempts so far, this one included.
	 * @return string
	 */
	private static function chunk_error( array $job, array $chunk, WP_Error $error, $attempts ) {
		global $wpdb;
		$job_id   = (int) $job['id'];
		$chunk_no = (int) $chunk['chunk_no'];
		$code     = $error->get_error_code();
		if ( 'job_chunk_not_pending' === $code || 'job_chunk_missing' === $code ) {
			// Another runner wrote it (or the job was cancelled or pruned) in between: nothing was written here.
			$now = self::chunk_row( $job_id, $chunk_no );
			if ( $now && 'done' === $now['state'] ) {
				self::finish_chunk( $job, $now );
			}
			return 'skipped';
		}
		$data   = $error->get_error_data();
		$status = is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 500;
		$table  = self::chunks_table();
		$retry  = $status >= 500 && $attempts < self::max_attempts();
		$message  = $code . ': ' . $error->get_error_message();
		if ( $retry ) {
			$wpdb->query( $wpdb->prepare( "UPDATE `{$table}` SET error = %s WHERE job_id = %d AND chunk_no = %d AND state = 'pending'", $message, $job_id, $chunk_no ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		} else {
			$wpdb->query( $wpdb->prepare( "UPDATE `{$table}` SET error = %s, state = 'failed', finished_at = %s WHERE job_id = %d AND chunk_no = %d AND state = 'pending'", $message, gmdate( 'Y-m-d H:i:s' ), $job_id, $chunk_no ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		if ( $retry ) {
			self::enqueue( $job_id, $chunk_no, 30 * $attempts );
			return 'retry';
		}
		self::maybe_finish( $job_id );
		return 'failed';
	}

	/**
	 * How many times a chunk is tried (a runner killed mid-chunk, a database failure) before it fails.
	 *
	 * @return int
	 */
	public static function max_attempts() {
		/**
		 * Filters how many times a job's chunk is tried before it counts as failed.
		 *
		 * @param int $attempts Default 3.
		 */
		return max( 1, (int) apply_filters( 'mulopimfwc_job_chunk_max_attempts', 3 ) );
	}

	/**
	 * Seconds a chunk waits for an earlier one of the same product and location before it is rescheduled.
	 *
	 * @return int
	 */
	private static function wait_delay() {
		/**
		 * Filters after how many seconds a chunk that must wait for an earlier chunk (items of the same product
		 * and location apply in file order) runs again.
		 *
		 * @param int $seconds Default 5.
		 */
		return max( 1, (int) apply_filters( 'mulopimfwc_job_chunk_wait', 5 ) );
	}

	/**
	 * Whether no earlier chunk still to run holds an item this chunk must apply after: the same product and
	 * location, or the same product where WooCommerce's own stock follows the location (the primary location, or
	 * every location when none is set). Waits a little (a concurrent runner is usually writing it) before saying no.
	 *
	 * @param array $job   Job row.
	 * @param array $chunk Chunk row (with payload).
	 * @return bool
	 */
	private static function earlier_chunks_clear( array $job, array $chunk ) {
		global $wpdb;
		if ( 0 === (int) $chunk['chunk_no'] ) {
			return true;
		}
		$table    = self::chunks_table();
		$job_id   = (int) $job['id'];
		/**
		 * Filters how many seconds a chunk that must wait for an earlier one polls for it (every 0.25 s) before it
		 * is rescheduled (filter `mulopimfwc_job_chunk_wait`).
		 *
		 * @param int $seconds Default 10.
		 */
		$deadline = microtime( true ) + max( 0, (int) apply_filters( 'mulopimfwc_job_chunk_poll', 10 ) );
		$mine     = null;
		do {
			$earlier = $wpdb->get_col( $wpdb->prepare( "SELECT chunk_no FROM `{$table}` WHERE job_id = %d AND chunk_no < %d AND state = 'pending' ORDER BY chunk_no", $job_id, (int) $chunk['chunk_no'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( ! $earlier ) {
				return true;
			}
			if ( null === $mine ) {
				$mine = self::chunk_keys( $job_id, (int) $chunk['chunk_no'], (string) $chunk['payload'] );
			}
			$blocked = false;
			foreach ( $earlier as $no ) {
				$theirs = self::chunk_keys( $job_id, (int) $no, null );
				if ( self::keys_conflict( $theirs, $mine ) ) {
					$blocked = true;
					break;
				}
			}
			if ( ! $blocked ) {
				return true;
			}
			if ( microtime( true ) >= $deadline ) {
				break;
			}
			usleep( 250000 );
		} while ( true );
		return false;
	}

	/**
	 * The keys of a chunk's items for the file-order check: product key => [location key => true, '*' => true when
	 * an item of that product moves WooCommerce's own stock]. Product keys: `s:` + the SKU as WooCommerce matches it
	 * (lower case, trailing spaces dropped), `p:` + the product id, and for an item named by id only, its SKU too.
	 *
	 * @param int         $job_id   Job.
	 * @param int         $chunk_no Chunk.
	 * @param string|null $payload  The payload when at hand, else read.
	 * @return array
	 */
	private static function chunk_keys( $job_id, $chunk_no, $payload ) {
		global $wpdb;
		$cache_key = $job_id . ':' . $chunk_no;
		if ( isset( self::$keys_cache[ $cache_key ] ) ) {
			return self::$keys_cache[ $cache_key ];
		}
		if ( null === $payload ) {
			$table   = self::chunks_table();
			$payload = (string) $wpdb->get_var( $wpdb->prepare( "SELECT payload FROM `{$table}` WHERE job_id = %d AND chunk_no = %d", $job_id, $chunk_no ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		$body    = json_decode( $payload, true, 512, JSON_BIGINT_AS_STRING );
		$items   = is_array( $body ) && isset( $body['items'] ) && is_array( $body['items'] ) ? $body['items'] : array();
		$primary = self::primary_location();
		$keys    = array();
		$by_id   = array();
		foreach ( $items as $item ) {
			if ( ! is_array( $item ) ) {
				continue;
			}
			$products = array();
			if ( isset( $item['sku'] ) && is_scalar( $item['sku'] ) && '' !== (string) $item['sku'] ) {
				$products[] = 's:' . strtolower( rtrim( (string) $item['sku'] ) );
			}
			if ( isset( $item['product_id'] ) && is_scalar( $item['product_id'] ) && (int) $item['product_id'] > 0 ) {
				$products[] = 'p:' . (int) $item['product_id'];
				if ( 1 === count( $products ) ) {
					$by_id[ (int) $item['product_id'] ] = true;
				}
			}
			$location = self::location_key( $item );
			$follows  = null === $location || 0 === $primary || ( $primary > 0 && 'l:' . $primary === $location );
			foreach ( $products as $product ) {
				$keys[ $product ][ null === $location ? '?' : $location ] = true;
				if ( $follows ) {
					$keys[ $product ]['*'] = true;
				}
			}
		}
		if ( $by_id ) {
			// Items named by product_id alone: the same product named by SKU in another chunk must meet them.
			$ids  = implode( ',', array_map( 'intval', array_keys( $by_id ) ) );
			$rows = $wpdb->get_results( "SELECT post_id, meta_value FROM {$wpdb->postmeta} WHERE meta_key = '_sku' AND meta_value <> '' AND post_id IN ({$ids})", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			foreach ( (array) $rows as $row ) {
				$from = 'p:' . (int) $row['post_id'];
				$to   = 's:' . strtolower( rtrim( (string) $row['meta_value'] ) );
				if ( isset( $keys[ $from ] ) ) {
					$keys[ $to ] = isset( $keys[ $to ] ) ? $keys[ $to ] + $keys[ $from ] : $keys[ $from ];
				}
			}
		}
		if ( count( self::$keys_cache ) > 8 ) {
			self::$keys_cache = array();
		}
		self::$keys_cache[ $cache_key ] = $keys;
		return $keys;
	}

	/**
	 * Whether a later chunk's items must wait for an earlier chunk's: an item of the same product at the same
	 * location, or of the same product where both move WooCommerce's own stock of it.
	 *
	 * @param array $earlier Keys of the earlier chunk (chunk_keys()).
	 * @param array $later   Keys of the later chunk.
	 * @return bool
	 */
	private static function keys_conflict( array $earlier, array $later ) {
		foreach ( $later as $product => $locations ) {
			if ( ! isset( $earlier[ $product ] ) ) {
				continue;
			}
			$before = $earlier[ $product ];
			// An unknown location, both moving WooCommerce's own stock ('*'), or one location in common.
			if ( isset( $locations['?'] ) || isset( $before['?'] ) || ( isset( $locations['*'] ) && isset( $before['*'] ) ) ) {
				return true;
			}
			unset( $locations['*'], $before['*'] );
			if ( array_intersect_key( $locations, $before ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * An item's location as `l:` + term id (a slug resolved as the engines resolve it), or null when unknown.
	 *
	 * @param array $item Item.
	 * @return string|null
	 */
	private static function location_key( array $item ) {
		global $wpdb;
		static $slugs = array();
		if ( isset( $item['location_id'] ) && is_scalar( $item['location_id'] ) && (int) $item['location_id'] > 0 ) {
			return 'l:' . (int) $item['location_id'];
		}
		if ( ! isset( $item['location_slug'] ) || ! is_scalar( $item['location_slug'] ) ) {
			return null;
		}
		$raw = (string) $item['location_slug'];
		if ( ! array_key_exists( $raw, $slugs ) ) {
			$decoded = preg_match( '/%[0-9a-fA-F]{2}/', $raw ) ? rawurldecode( $raw ) : $raw;
			// As the engines look it up: by SQL, whether or not the location plugin registered the taxonomy here.
			$term_id       = (int) $wpdb->get_var( $wpdb->prepare( "SELECT t.term_id FROM {$wpdb->terms} t JOIN {$wpdb->term_taxonomy} tt ON tt.term_id = t.term_id WHERE tt.taxonomy = 'mulopimfwc_store_location' AND t.slug = %s LIMIT 1", sanitize_title( $decoded ) ) );
			$slugs[ $raw ] = $term_id > 0 ? 'l:' . $term_id : null;
		}
		return $slugs[ $raw ];
	}

	/**
	 * The primary location as the engines read it: a term id, 0 for none (every location moves WooCommerce's
	 * stock), -1 for a value that names no location (none does).
	 *
	 * @return int
	 */
	private static function primary_location() {
		$value = get_option( 'mulopimfwc_primary_location', '' );
		if ( null === $value || false === $value || '' === $value || '0' === (string) $value || 0 === $value ) {
			return 0;
		}
		if ( is_int( $value ) && $value > 0 ) {
			return $value;
		}
		return ( is_string( $value ) && preg_match( '/^[1-9][0-9]*$/D', $value ) ) ? (int) $value : -1;
	}

	/**
	 * Finish the job when no chunk is left to run: done, or failed when a chunk failed; then its actions fire.
	 *
	 * @param int $job_id Job.
	 */
	private static function maybe_finish( $job_id ) {
		global $wpdb;
		$jobs   = self::jobs_table();
		$chunks = self::chunks_table();
		$now    = gmdate( 'Y-m-d H:i:s' );
		$n      = $wpdb->query(
			$wpdb->prepare(
				"UPDATE `{$jobs}` SET state = IF(EXISTS(SELECT 1 FROM `{$chunks}` WHERE job_id = %d AND state = 'failed'), 'failed', 'done'), finished_at = %s, started_at = COALESCE(started_at, %s) WHERE id = %d AND state IN ('queued', 'running') AND NOT EXISTS (SELECT 1 FROM `{$chunks}` WHERE job_id = %d AND (state = 'pending' OR (state = 'done' AND followons = 0)))", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$job_id,
				$now,
				$now,
				$job_id,
				$job_id
			)
		);
		if ( 1 !== (int) $n ) {
			return;
		}
		$status = self::get( $job_id, 1, 0 );
		if ( is_wp_error( $status ) ) {
			return;
		}
		if ( ! $status['dry_run'] ) {
			/** This action is documented in includes/class-cache.php */
			do_action(
				'mulopimfwc_bulk_sync_completed',
				array(
					'success' => true,
					'message' => self::summary( $status ),
					'results' => array(
						'success' => $status['items']['succeeded'],
						'failed'  => $status['items']['failed'],
					),
				),
				array(
					'source' => 'job',
					'job_id' => $job_id,
					'items'  => $status['items']['processed'],
				)
			);
		}
		/**
		 * Fires once when a bulk-sync job has finished: every chunk done or failed.
		 *
		 * @param array $status The job's status (Mulopimfwc_Bulk_Sync_Jobs::get(), without failed items).
		 */
		do_action( 'mulopimfwc_bulk_sync_job_finished', $status );
	}

	/**
	 * "Processed N items. S succeeded, F failed." for a job.
	 *
	 * @param array $status Status.
	 * @return string
	 */
	public static function summary( array $status ) {
		return sprintf(
			/* translators: 1: items processed, 2: succeeded, 3: failed. */
			__( 'Processed %1$d items. %2$d succeeded, %3$d failed.', 'mulopimfwc-bulk-sync' ),
			$status['items']['processed'],
			$status['items']['succeeded'],
			$status['items']['failed']
		);
	}

	/**
	 * Action Scheduler gave up on an action (its runner was killed or timed out, or it threw): if it was a chunk's
	 * current action and the chunk still has to run (or its follow-ons), schedule it again, up to the attempt limit.
	 *
	 * @param int $action_id Action.
	 */
	public static function recover_action( $action_id ) {
		global $wpdb;
		if ( ! class_exists( 'ActionScheduler' ) ) {
			return;
		}
		try {
			$action = ActionScheduler::store()->fetch_action( (int) $action_id );
		} catch ( Exception $e ) {
			return;
		}
		if ( ! is_object( $action ) || ! method_exists( $action, 'get_hook' ) || self::CHUNK_HOOK !== $action->get_hook() ) {
			return;
		}
		$args = (array) $action->get_args();
		if ( count( $args ) < 2 ) {
			return;
		}
		$job_id   = (int) $args[0];
		$chunk_no = (int) $args[1];
		$job      = self::job_row( $job_id );
		$chunk    = $job ? self::chunk_row( $job_id, $chunk_no, false ) : null;
		if ( ! $job || ! $chunk || (int) $chunk['action_id'] !== (int) $action_id ) {
			return; // Not the chunk's current action: another one is already scheduled.
		}
		$done_without_follow_ons = 'done' === $chunk['state'] && empty( $chunk['followons'] );
		if ( ! $done_without_follow_ons && ( 'pending' !== $chunk['state'] || in_array( $job['state'], self::FINAL_STATES, true ) ) ) {
			return;
		}
		if ( ! $done_without_follow_ons && (int) $chunk['attempts'] >= self::max_attempts() ) {
			$table = self::chunks_table();
			$wpdb->query(
				$wpdb->prepare(
					"UPDATE `{$table}` SET state = 'failed', finished_at = %s, error = %s WHERE job_id = %d AND chunk_no = %d AND state = 'pending'", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					gmdate( 'Y-m-d H:i:s' ),
					/* translators: %d: attempts. */
					sprintf( __( 'The runner stopped before the chunk was written (killed, timed out or out of memory), %d times.', 'mulopimfwc-bulk-sync' ), (int) $chunk['attempts'] ),
					$job_id,
					$chunk_no
				)
			);
			self::maybe_finish( $job_id );
			return;
		}
		self::enqueue( $job_id, $chunk_no, 0 );
	}

	/**
	 * Work a job in this process: every chunk still to run, in order (WP-CLI `jobs run`). Chunks other runners
	 * hold are left to them and checked again until none is left.
	 *
	 * @param int           $job_id Job.
	 * @param callable|null $tick   Called with the number of items of each chunk that is finished.
	 * @return array|WP_Error The job's status at the end.
	 */
	public static function work( $job_id, $tick = null ) {
		global $wpdb;
		$job = self::job_row( (int) $job_id );
		if ( ! $job ) {
			return self::not_found( $job_id );
		}
		$table   = self::chunks_table();
		$counted = array();
		$idle    = 0;
		while ( true ) {
			$rows = $wpdb->get_results( $wpdb->prepare( "SELECT chunk_no, items, state, followons, action_id FROM `{$table}` WHERE job_id = %d ORDER BY chunk_no", (int) $job_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$left = 0;
			$done = 0;
			foreach ( (array) $rows as $row ) {
				$no = (int) $row['chunk_no'];
				if ( 'pending' === $row['state'] || ( 'done' === $row['state'] && empty( $row['followons'] ) ) ) {
					$outcome = self::run_chunk( (int) $job_id, $no );
					if ( 'waiting' === $outcome || 'retry' === $outcome ) {
						++$left;
						continue;
					}
					self::cancel_action_if_pending( (int) $row['action_id'] );
				}
				if ( ! isset( $counted[ $no ] ) ) {
					$counted[ $no ] = true;
					++$done;
					if ( is_callable( $tick ) ) {
						call_user_func( $tick, (int) $row['items'] );
					}
				}
			}
			$job = self::job_row( (int) $job_id );
			if ( ! $job || 0 === $left || in_array( $job['state'], self::FINAL_STATES, true ) ) {
				break;
			}
			$idle = $done > 0 ? 0 : $idle + 1;
			if ( $idle > 120 ) {
				break; // Ten minutes without progress: other runners hold the rest.
			}
			sleep( 5 );
		}
		return self::get( (int) $job_id );
	}

	/**
	 * Cancel an action that has not started (a chunk this process ran itself).
	 *
	 * @param int $action_id Action.
	 */
	private static function cancel_action_if_pending( $action_id ) {
		if ( $action_id <= 0 || ! class_exists( 'ActionScheduler' ) ) {
			return;
		}
		try {
			$store = ActionScheduler::store();
			if ( ActionScheduler_Store::STATUS_PENDING === $store->get_status( $action_id ) ) {
				$store->cancel_action( $action_id );
			}
		} catch ( Exception $e ) {
			return; // Gone already.
		}
	}

	/**
	 * Cancel a job: what has not started never runs (a chunk being written finishes: its row lock makes this wait
	 * for it). A finished job cannot be cancelled; a cancelled one stays so.
	 *
	 * @param int $job_id Job.
	 * @return array|WP_Error Status.
	 */
	public static function cancel( $job_id ) {
		global $wpdb;
		$job = self::job_row( (int) $job_id );
		if ( ! $job || 'receiving' === $job['state'] ) {
			return self::not_found( $job_id );
		}
		if ( in_array( $job['state'], array( 'done', 'failed' ), true ) ) {
			return new WP_Error(
				'job_finished',
				/* translators: 1: job id, 2: state. */
				sprintf( __( 'Job %1$d has finished (%2$s): there is nothing left to cancel.', 'mulopimfwc-bulk-sync' ), (int) $job_id, $job['state'] ),
				array( 'status' => 409 )
			);
		}
		$jobs = self::jobs_table();
		$now  = gmdate( 'Y-m-d H:i:s' );
		$wpdb->query( $wpdb->prepare( "UPDATE `{$jobs}` SET state = 'cancelled', cancelled_at = %s WHERE id = %d AND state IN ('queued', 'running')", $now, (int) $job_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		self::cancel_pending_chunks( (int) $job_id );
		$wpdb->query( $wpdb->prepare( "UPDATE `{$jobs}` SET finished_at = COALESCE(finished_at, %s) WHERE id = %d", gmdate( 'Y-m-d H:i:s' ), (int) $job_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$status = self::get( (int) $job_id, 1, 0 );
		if ( ! is_wp_error( $status ) && 'cancelled' !== $job['state'] ) {
			/** This action is documented in class-jobs.php (maybe_finish). */
			do_action( 'mulopimfwc_bulk_sync_job_finished', $status );
		}
		return self::get( (int) $job_id );
	}

	/**
	 * Mark a cancelled job's pending chunks cancelled and cancel their actions.
	 *
	 * @param int $job_id Job.
	 */
	private static function cancel_pending_chunks( $job_id ) {
		global $wpdb;
		$table   = self::chunks_table();
		$actions = $wpdb->get_col( $wpdb->prepare( "SELECT action_id FROM `{$table}` WHERE job_id = %d AND state = 'pending'", $job_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( $wpdb->prepare( "UPDATE `{$table}` SET state = 'cancelled', finished_at = %s WHERE job_id = %d AND state = 'pending'", gmdate( 'Y-m-d H:i:s' ), $job_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		foreach ( (array) $actions as $action_id ) {
			self::cancel_action_if_pending( (int) $action_id );
		}
	}

	/**
	 * A job's status, with one page of its failed items.
	 *
	 * @param int $job_id   Job.
	 * @param int $page     Page of failed items, from 1.
	 * @param int $per_page Failed items per page (0: none listed).
	 * @return array|WP_Error
	 */
	public static function get( $job_id, $page = 1, $per_page = 100 ) {
		global $wpdb;
		$job = self::job_row( (int) $job_id );
		if ( ! $job || 'receiving' === $job['state'] ) {
			return self::not_found( $job_id );
		}
		$table  = self::chunks_table();
		$counts = $wpdb->get_results( $wpdb->prepare( "SELECT state, COUNT(*) AS n, SUM(items) AS items, SUM(rejected) AS rejected, SUM(succeeded) AS succeeded, SUM(failed) AS failed FROM `{$table}` WHERE job_id = %d GROUP BY state", (int) $job_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$status = self::status_of( $job, (array) $counts );
		if ( $per_page > 0 ) {
			$status = array_merge( $status, self::failed_page( (int) $job_id, max( 1, (int) $page ), (int) $per_page ) );
		}
		return $status;
	}

	/**
	 * The status of a job from its row and its chunk counts by state.
	 *
	 * @param array $job    Job row.
	 * @param array $counts Rows of state, n, items, rejected, succeeded, failed.
	 * @return array
	 */
	private static function status_of( array $job, array $counts ) {
		$chunks = array(
			'total'     => (int) $job['chunks_total'],
			'size'      => (int) $job['chunk_size'],
			'pending'   => 0,
			'done'      => 0,
			'failed'    => 0,
			'cancelled' => 0,
		);
		$items  = array(
			'total'     => (int) $job['items_total'],
			'processed' => 0,
			'succeeded' => 0,
			'failed'    => 0,
		);
		foreach ( $counts as $row ) {
			$state = (string) $row['state'];
			if ( isset( $chunks[ $state ] ) ) {
				$chunks[ $state ] = (int) $row['n'];
			}
			if ( 'done' === $state ) {
				$items['processed'] += (int) $row['items'];
				$items['succeeded'] += (int) $row['succeeded'];
				$items['failed']    += (int) $row['failed'] + (int) $row['rejected'];
			} elseif ( 'failed' === $state ) {
				$items['processed'] += (int) $row['items'];
				$items['failed']    += (int) $row['items'];
			}
		}
		$time    = static function ( $value ) {
			return $value ? gmdate( 'Y-m-d\TH:i:s\Z', strtotime( $value . ' UTC' ) ) : null;
		};
		$created = strtotime( $job['created_at'] . ' UTC' );
		$started = $job['started_at'] ? strtotime( $job['started_at'] . ' UTC' ) : null;
		$ended   = $job['finished_at'] ? strtotime( $job['finished_at'] . ' UTC' ) : time();
		$run     = null === $started ? 0 : max( 0, $ended - $started );
		return array(
			'id'           => (int) $job['id'],
			'state'        => (string) $job['state'],
			'format'       => (string) $job['format'],
			'dry_run'      => (bool) $job['dry_run'],
			'source'       => (string) $job['source'],
			'file_name'    => (string) $job['file_name'],
			'created_at'   => $time( $job['created_at'] ),
			'started_at'   => $time( $job['started_at'] ),
			'finished_at'  => $time( $job['finished_at'] ),
			'cancelled_at' => $time( $job['cancelled_at'] ),
			'items'        => $items,
			'chunks'       => $chunks,
			// WooCommerce -> Status -> Scheduled Actions, searched for this job's chunk actions (args [id, chunk]).
			'actions_url'  => admin_url( 'admin.php?page=wc-status&tab=action-scheduler&s=' . rawurlencode( '[' . (int) $job['id'] . ',' ) ),
			'timings'      => array(
				'wait_seconds'     => null === $started ? max( 0, time() - $created ) : max( 0, $started - $created ),
				'run_seconds'      => $run,
				'items_per_second' => $run > 0 ? round( $items['processed'] / $run, 1 ) : null,
			),
		);
	}

	/**
	 * One page of a job's failed items, in file order: the engine's items_failed of each chunk written (its
	 * `index` turned into the item's number in the file, with its `line`), the malformed lines, and every item of
	 * a chunk that failed as a whole.
	 *
	 * @param int $job_id   Job.
	 * @param int $page     Page, from 1.
	 * @param int $per_page Items per page.
	 * @return array items_failed, errors, failed_page, failed_per_page, failed_total, failed_pages.
	 */
	private static function failed_page( $job_id, $page, $per_page ) {
		global $wpdb;
		$table = self::chunks_table();
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT chunk_no, state, items, rejected, failed FROM `{$table}` WHERE job_id = %d AND state IN ('done', 'failed') ORDER BY chunk_no", $job_id ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$total = 0;
		$from  = ( $page - 1 ) * $per_page;
		$list  = array();
		foreach ( (array) $rows as $row ) {
			$n = 'failed' === $row['state'] ? (int) $row['items'] : (int) $row['failed'] + (int) $row['rejected'];
			if ( $n > 0 && $total + $n > $from && count( $list ) < $per_page ) {
				$entries = self::chunk_failures( $job_id, (int) $row['chunk_no'] );
				$list    = array_merge( $list, array_slice( $entries, max( 0, $from - $total ), $per_page - count( $list ) ) );
			}
			$total += $n;
		}
		$errors = array();
		foreach ( $list as $entry ) {
			$errors[] = sprintf( 'Item %d: %s', (int) $entry['index'], (string) $entry['message'] );
		}
		return array(
			'items_failed'    => $list,
			'errors'          => $errors,
			'failed_page'     => $page,
			'failed_per_page' => $per_page,
			'failed_total'    => $total,
			'failed_pages'    => (int) ceil( $total / max( 1, $per_page ) ),
		);
	}

	/**
	 * Every failed item of one chunk, in file order.
	 *
	 * @param int $job_id   Job.
	 * @param int $chunk_no Chunk.
	 * @return array
	 */
	private static function chunk_failures( $job_id, $chunk_no ) {
		$chunk = self::chunk_row( $job_id, $chunk_no );
		if ( ! $chunk ) {
			return array();
		}
		$meta     = json_decode( (string) $chunk['meta'], true );
		$lines    = is_array( $meta ) && isset( $meta['lines'] ) && is_array( $meta['lines'] ) ? $meta['lines'] : null;
		$rejected = is_array( $meta ) && isset( $meta['rejected'] ) && is_array( $meta['rejected'] ) ? $meta['rejected'] : array();
		$first    = (int) $chunk['first_item'];
		$line_of  = static function ( $number ) use ( $lines, $first ) {
			return ( null !== $lines && isset( $lines[ $number - $first ] ) ) ? (int) $lines[ $number - $first ] : null;
		};
		$out = array();
		if ( 'failed' === $chunk['state'] ) {
			$message = (string) $chunk['error'];
			for ( $i = 0; $i < (int) $chunk['items']; $i++ ) {
				$out[] = array(
					'index'   => $first + $i,
					'line'    => $line_of( $first + $i ),
					'code'    => 'job_chunk_failed',
					'field'   => '',
					/* translators: %s: why the chunk failed. */
					'message' => sprintf( __( 'The chunk holding this item could not be written: %s', 'mulopimfwc-bulk-sync' ), $message ),
				);
			}
			return $out;
		}
		// File numbers of the items the engine saw: the chunk's range without the rejected lines.
		$skipped = array();
		foreach ( $rejected as $r ) {
			$skipped[ (int) $r['index'] ] = true;
			$r['index']                   = (int) $r['index'];
			$r['line']                    = isset( $r['line'] ) ? $r['line'] : $line_of( (int) $r['index'] );
			$out[ (int) $r['index'] ]     = $r;
		}
		$numbers = array();
		for ( $n = $first; $n < $first + (int) $chunk['items']; $n++ ) {
			if ( ! isset( $skipped[ $n ] ) ) {
				$numbers[] = $n;
			}
		}
		$result = json_decode( (string) $chunk['result'], true );
		$failed = is_array( $result ) && isset( $result['items_failed'] ) ? (array) $result['items_failed'] : ( is_array( $result ) && isset( $result['results']['items_failed'] ) ? (array) $result['results']['items_failed'] : array() );
		foreach ( $failed as $f ) {
			$k = (int) $f['index'] - 1;
			if ( ! isset( $numbers[ $k ] ) ) {
				continue;
			}
			$number       = $numbers[ $k ];
			$f            = array_merge(
				array(
					'index' => $number,
					'line'  => $line_of( $number ),
				),
				$f
			);
			$f['index']   = $number;
			$out[ $number ] = $f;
		}
		ksort( $out );
		return array_values( $out );
	}

	/**
	 * Recent jobs, newest first.
	 *
	 * @param array $args 'page' (from 1), 'per_page' (1..100, default 20), 'state'.
	 * @return array ['jobs' => statuses without failed items, 'total' => jobs matching].
	 */
	public static function list_jobs( array $args = array() ) {
		global $wpdb;
		$jobs     = self::jobs_table();
		$chunks   = self::chunks_table();
		$per_page = isset( $args['per_page'] ) ? max( 1, min( 100, (int) $args['per_page'] ) ) : 20;
		$page     = isset( $args['page'] ) ? max( 1, (int) $args['page'] ) : 1;
		$where    = "state <> 'receiving'";
		if ( ! empty( $args['state'] ) ) {
			$where .= $wpdb->prepare( ' AND state = %s', (string) $args['state'] );
		}
		$suppress = $wpdb->suppress_errors( true );
		$total    = (int) $wpdb->get_var( "SELECT COUNT(*) FROM `{$jobs}` WHERE {$where}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows     = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM `{$jobs}` WHERE {$where} ORDER BY id DESC LIMIT %d OFFSET %d", $per_page, ( $page - 1 ) * $per_page ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->suppress_errors( $suppress );
		$out = array();
		if ( $rows ) {
			$ids    = implode( ',', array_map( 'intval', wp_list_pluck( $rows, 'id' ) ) );
			$counts = $wpdb->get_results( "SELECT job_id, state, COUNT(*) AS n, SUM(items) AS items, SUM(rejected) AS rejected, SUM(succeeded) AS succeeded, SUM(failed) AS failed FROM `{$chunks}` WHERE job_id IN ({$ids}) GROUP BY job_id, state", ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$by_job = array();
			foreach ( (array) $counts as $c ) {
				$by_job[ (int) $c['job_id'] ][] = $c;
			}
			foreach ( $rows as $row ) {
				$out[] = self::status_of( $row, isset( $by_job[ (int) $row['id'] ] ) ? $by_job[ (int) $row['id'] ] : array() );
			}
		}
		return array(
			'jobs'  => $out,
			'total' => $total,
		);
	}

	/**
	 * Delete finished jobs older than the retention (filter `mulopimfwc_job_retention_days`, default 7) and jobs
	 * whose body never finished arriving (after a day), with their chunks.
	 *
	 * @return int Jobs deleted.
	 */
	public static function prune() {
		global $wpdb;
		/**
		 * Filters how many days finished bulk-sync jobs (and their items) are kept.
		 *
		 * @param int $days Default 7.
		 */
		$days     = max( 1, (int) apply_filters( 'mulopimfwc_job_retention_days', 7 ) );
		$jobs     = self::jobs_table();
		$suppress = $wpdb->suppress_errors( true );
		$ids      = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT id FROM `{$jobs}` WHERE (state IN ('done', 'failed', 'cancelled') AND finished_at < %s) OR (state = 'receiving' AND created_at < %s) LIMIT 500", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				gmdate( 'Y-m-d H:i:s', time() - $days * DAY_IN_SECONDS ),
				gmdate( 'Y-m-d H:i:s', time() - DAY_IN_SECONDS )
			)
		);
		$wpdb->suppress_errors( $suppress );
		$ids = array_map( 'intval', (array) $ids );
		self::delete_jobs( $ids );
		return count( $ids );
	}

	/**
	 * Delete jobs and their chunks.
	 *
	 * @param int[] $ids Jobs.
	 */
	private static function delete_jobs( array $ids ) {
		global $wpdb;
		if ( ! $ids ) {
			return;
		}
		$list   = implode( ',', array_map( 'intval', $ids ) );
		$jobs   = self::jobs_table();
		$chunks = self::chunks_table();
		$wpdb->query( "DELETE FROM `{$chunks}` WHERE job_id IN ({$list})" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( "DELETE FROM `{$jobs}` WHERE id IN ({$list})" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * 404 for a job that does not exist.
	 *
	 * @param int $job_id Job.
	 * @return WP_Error
	 */
	private static function not_found( $job_id ) {
		return new WP_Error(
			'job_not_found',
			/* translators: %d: job id. */
			sprintf( __( 'There is no bulk-sync job %d.', 'mulopimfwc-bulk-sync' ), (int) $job_id ),
			array( 'status' => 404 )
		);
	}

	/**
	 * The job could not be stored.
	 *
	 * @return WP_Error
	 */
	private static function db_error() {
		return new WP_Error(
			'mulopimfwc_db_error',
			__( 'The job could not be stored in the database; no job was created. Please try again.', 'mulopimfwc-bulk-sync' ),
			array( 'status' => 503 )
		);
	}
}
