<?php
/**
 * The PHP engine's order of it all (native: src/engine.rs): validate, then in one transaction resolve, lock, read,
 * plan, write, retried on a lock conflict, then the report. With the options `job_id` + `job_chunk` (a bulk-sync job's
 * chunk, issue 12) the transaction also claims the chunk's row first and marks it done last.
 *
 * Set-based: every request costs a constant number of SQL statements, whatever its item count (beyond chunking of
 * very long IN lists and multi-row writes). Read once, decide in memory, write once, in one transaction.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * One engine's runs on one connection.
 */
final class Mulopimfwc_Bulk_Sync_PHP_Engine_Engine {

	const MAX_RETRIES = 3;

	/**
	 * Transactions the last sync took (1 unless a lock conflict made it try again).
	 *
	 * @var int
	 */
	public $attempts = 0;

	/**
	 * The database session.
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Store
	 */
	private $store;

	/**
	 * The clock per phase.
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Timing
	 */
	private $timing;

	/**
	 * The current run's options.
	 *
	 * @var Mulopimfwc_Bulk_Sync_PHP_Engine_Options
	 */
	private $options;

	/**
	 * Table names.
	 *
	 * @var array
	 */
	private $t = array();

	/**
	 * Whether this attempt locks and inserts post by post (after a lock conflict; see
	 * Mulopimfwc_Bulk_Sync_PHP_Engine_Snapshot::insert_and_lock()).
	 *
	 * @var bool
	 */
	private $post_by_post = false;

	/**
	 * Constructor.
	 *
	 * @param Mulopimfwc_Bulk_Sync_PHP_Engine_Store  $store  The database session.
	 * @param Mulopimfwc_Bulk_Sync_PHP_Engine_Timing $timing The clock per phase.
	 */
	public function __construct( Mulopimfwc_Bulk_Sync_PHP_Engine_Store $store, Mulopimfwc_Bulk_Sync_PHP_Engine_Timing $timing ) {
		$this->store  = $store;
		$this->timing = $timing;
	}

	/**
	 * Validate, resolve, plan and write.
	 *
	 * @param array                                   $raw_items Items (Mulopimfwc_Bulk_Sync_PHP_Engine_Request::decode()).
	 * @param Mulopimfwc_Bulk_Sync_PHP_Engine_Options $options   The run's options.
	 * @return array The result (Mulopimfwc_Bulk_Sync_PHP_Engine_Response::build()).
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception On database failure.
	 */
	public function sync( array $raw_items, Mulopimfwc_Bulk_Sync_PHP_Engine_Options $options ) {
		$this->options = $options;
		$this->t       = $options->tables( $this->store->db() );

		$mark = microtime( true );
		$sep  = $options->decimal_sep();
		$mark = $this->timing->lap( 'resolve', $mark );

		$raw_items = array_values( $raw_items );

		// 1. Validate every item (pure).
		$items  = array();
		$errors = array();
		foreach ( $raw_items as $i => $raw ) {
			$v = Mulopimfwc_Bulk_Sync_PHP_Engine_Request::validate_item( $raw, $sep );
			if ( isset( $v['error'] ) ) {
				$errors[ $i + 1 ] = $v['error'];
			} else {
				$items[ $i + 1 ] = $v;
			}
		}
		$this->timing->lap( 'parse', $mark );

		// A dry run ignores the job chunk: nothing claimed, nothing marked.
		$job                = $options->dry_run() ? null : $options->job_chunk();
		$attempt            = 0;
		$this->post_by_post = false;
		while ( true ) {
			try {
				$this->attempts = $attempt + 1;
				$result         = $this->attempt( $items, $errors, $raw_items, $job );
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

		return $result;
	}

	/**
	 * One transaction: (claim the job chunk,) resolve, lock, read, plan, write, (mark the chunk done,) commit.
	 *
	 * @param array      $items     Valid items by index.
	 * @param array      $errors    Validation errors by index.
	 * @param array      $raw_items The items as given.
	 * @param array|null $job       [job id, chunk number] this run completes, or null.
	 * @return array The result (Mulopimfwc_Bulk_Sync_PHP_Engine_Response::build()).
	 */
	private function attempt( array $items, array $errors, array $raw_items, $job ) {
		if ( ! $this->store->connected() ) {
			throw new Mulopimfwc_Bulk_Sync_Db_Exception( 2006 );
		}

		$mark = microtime( true );
		$this->store->tune_session();
		// READ COMMITTED for this transaction only (WordPress's own session keeps its level): reads see the latest
		// committed rows, and locking reads take no gap locks, which would block the inserts of concurrent writers.
		$this->store->sql( 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED' );
		$this->store->sql( 'START TRANSACTION' );
		if ( null !== $job ) {
			// The chunk row is the transaction's first lock (before any postmeta row): see claim().
			$this->claim( $job[0], $job[1] );
		}

		// 2. Resolve products and locations, set-based.
		list( $resolved, $posts ) = ( new Mulopimfwc_Bulk_Sync_PHP_Engine_Resolve( $this->store, $this->t ) )->items( $items, $errors );
		$this->timing->lap( 'resolve', $mark );

		$changed       = array();
		$stock_changes = array();
		$counts        = array(
			'meta_rows_inserted' => 0,
			'meta_rows_updated'  => 0,
			'meta_rows_deleted'  => 0,
			'main_stock_updates' => 0,
		);
		$meta_writes   = $this->options->report_meta_writes() ? array() : null;
		if ( $resolved ) {
			list( $changed, $stock_changes, $counts, $meta_writes ) = $this->plan_and_write( $resolved, $posts, $errors );
		}

		ksort( $errors );
		$outcome = array(
			'errors'        => $errors,
			'changed'       => $changed,
			'stock_changes' => $stock_changes,
			'changes'       => $counts,
			'meta_writes'   => $meta_writes,
		);
		$build   = function () use ( $raw_items, $outcome ) {
			return Mulopimfwc_Bulk_Sync_PHP_Engine_Response::build( count( $raw_items ), $outcome, $raw_items, $this->options->dry_run() );
		};
		$result  = null;

		$mark = microtime( true );
		try {
			if ( $this->options->dry_run() ) {
				$this->store->sql( 'ROLLBACK' );
			} else {
				if ( null !== $job ) {
					// A job chunk's result is stored with its writes, so it is built before the commit; any other
					// request's after it, with no lock held.
					$result = $build();
					$this->mark_done( $job[0], $job[1], $result );
				}
				$this->store->sql( 'COMMIT' );
			}
		} finally {
			$this->timing->lap( 'write', $mark );
		}
		return null === $result ? $build() : $result;
	}

	/**
	 * Lock the job chunk's row and check that it waits to be applied (issue 12, "Exactly once per chunk"): a
	 * concurrent run of the same chunk waits here until this one commits, then finds it done.
	 *
	 * @param int $job_id   Job id.
	 * @param int $chunk_no Chunk number (from 0).
	 * @throws Mulopimfwc_Bulk_Sync_Request_Exception `job_chunk_missing` (404) when the chunk has no row,
	 *                                                 `job_chunk_not_pending` (409) when it is not pending; the
	 *                                                 transaction is rolled back, nothing written.
	 */
	private function claim( $job_id, $chunk_no ) {
		$rows = $this->store->sql( "SELECT state FROM `{$this->t['chunks']}` WHERE job_id = " . (int) $job_id . ' AND chunk_no = ' . (int) $chunk_no . ' FOR UPDATE', true );
		if ( ! $rows ) {
			$this->store->rollback();
			throw new Mulopimfwc_Bulk_Sync_Request_Exception(
				'job_chunk_missing',
				/* translators: 1: job id, 2: chunk number (from 0). */
				sprintf( __( 'Job %1$d has no chunk %2$d: nothing was written.', 'mulopimfwc-bulk-sync' ), $job_id, $chunk_no ),
				404
			);
		}
		$state = (string) $rows[0]['state'];
		if ( 'pending' !== $state ) {
			$this->store->rollback();
			throw new Mulopimfwc_Bulk_Sync_Request_Exception(
				'job_chunk_not_pending',
				/* translators: 1: job id, 2: chunk number (from 0), 3: the chunk's state (done, failed, cancelled). */
				sprintf( __( 'Job %1$d chunk %2$d is %3$s: nothing was written.', 'mulopimfwc-bulk-sync' ), $job_id, $chunk_no, $state ),
				409
			);
		}
	}

	/**
	 * Record the chunk's completion in the transaction of its writes: state 'done', the counts and the result
	 * (without `timings`, which run() adds after the commit) as JSON.
	 *
	 * @param int   $job_id   Job id.
	 * @param int   $chunk_no Chunk number (from 0).
	 * @param array $result   The result (Mulopimfwc_Bulk_Sync_PHP_Engine_Response::build()).
	 */
	private function mark_done( $job_id, $chunk_no, array $result ) {
		$json = wp_json_encode( $result, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		$this->store->sql(
			"UPDATE `{$this->t['chunks']}` SET state = 'done', succeeded = " . (int) $result['results']['success']
			. ', failed = ' . (int) $result['results']['failed'] . ', result = ' . $this->store->q( (string) $json )
			. ', finished_at = UTC_TIMESTAMP() WHERE job_id = ' . (int) $job_id . ' AND chunk_no = ' . (int) $chunk_no
		);
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
		$report = $this->options->report_meta_writes();

		$snapshot = new Mulopimfwc_Bulk_Sync_PHP_Engine_Snapshot( $this->store, $this->t );
		$mark     = microtime( true );

		// 3. Lock the affected products (sorted ids: concurrent syncs queue instead of deadlocking).
		list( $lock_ids, $is_variable ) = $snapshot->lock_posts( $resolved, $posts );

		// 4. Read the meta rows that matter, 5. plan on the rows as read (a plain read: with the products locked,
		// the latest committed values).
		$given = $errors;
		try {
			list( $meta, $children ) = $snapshot->read_meta( $resolved, $lock_ids, $is_variable, $posts );
		} finally {
			$mark = $this->timing->lap( 'read', $mark );
		}
		$plan = Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::build( $resolved, $posts, $meta, $children, $is_variable, $errors, $this->options );
		$rows = Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::meta_rows( $plan['new'], $meta );
		$mark = $this->timing->lap( 'plan', $mark );
		if ( $this->options->dry_run() ) {
			return Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::summary( $plan, $rows, $report ? array() : null ); // A dry run writes nothing.
		}

		// 6. Insert the rows that do not exist yet and lock the rows read (see Mulopimfwc_Bulk_Sync_PHP_Engine_Snapshot::
		// insert_and_lock()), then plan again on the locked rows' current values: an order may have moved `_stock` in
		// between, and relative changes and compare-and-set build on the current value. The fresh rows are this
		// transaction's own.
		// The first plan's structures are let go before the second is built (large requests: memory_limit).
		$inserts = $rows['inserts'];
		unset( $plan, $rows );
		try {
			$from  = $snapshot->insert_and_lock( $meta, $inserts, $this->post_by_post );
			$fresh = $snapshot->read_fresh( $inserts, $from ); // post => key => list of [meta_id, value]: the rows just inserted.
		} finally {
			$mark = $this->timing->lap( 'lock', $mark );
		}
		unset( $inserts );
		$errors = $given;
		$plan   = Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::build( $resolved, $posts, $meta, $children, $is_variable, $errors, $this->options );
		$rows   = Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::meta_rows( $plan['new'], $meta );
		$final  = Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::reconcile_fresh( $rows, $fresh );
		$mark   = $this->timing->lap( 'plan', $mark );
		try {
			$late = ( new Mulopimfwc_Bulk_Sync_PHP_Engine_Write( $this->store, $this->t, $snapshot ) )->write( $plan['new'], $final, $plan['holders'], $plan['full_save'], $plan['status_only'], $plan['modified'], $report );
		} finally {
			$this->timing->lap( 'write', $mark );
		}
		return Mulopimfwc_Bulk_Sync_PHP_Engine_Plan::summary( $plan, $rows, $report ? Mulopimfwc_Bulk_Sync_PHP_Engine_Meta_Log::build( $meta, $fresh, $final, $late ) : null );
	}
}
