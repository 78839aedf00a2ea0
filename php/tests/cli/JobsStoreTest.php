<?php
/**
 * The jobs core inside a real WordPress (an e2e site's, WooCommerce active, its Action Scheduler): activation
 * creates the tables and the daily prune, creation queues one action per chunk in group mulopimfwc and a bad
 * body leaves nothing behind, pruning, recovery of an action Action Scheduler marked failed (a killed runner),
 * the file-order wait between chunks, the concurrent-batches filter, cancel. The chunk runner here is the
 * engine of this process; over HTTP with real runners: tests/e2e/jobs-tests.php; WP-CLI: JobsCommandTest.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

require_once __DIR__ . '/CliTestCase.php';

final class JobsStoreTest extends CliTestCase {

	/** @var list<callable> filters to remove after the test */
	private array $filters = array();

	protected function tearDown(): void {
		foreach ( $this->filters as $f ) {
			remove_all_filters( $f );
		}
		parent::tearDown();
	}

	private function filter( string $name, $value ): void {
		add_filter(
			$name,
			static function () use ( $value ) {
				return $value;
			}
		);
		$this->filters[] = $name;
	}

	/** @var array<int,int> job id => its first action's id (the activation test drops the tables: ids restart) */
	private static array $first_action = array();

	/** A job from an NDJSON text, or the WP_Error. */
	private static function create( string $ndjson, int $chunk_size ) {
		global $wpdb;
		$s = fopen( 'php://memory', 'w+b' );
		fwrite( $s, $ndjson );
		rewind( $s );
		self::$first_action[0] = 1 + (int) $wpdb->get_var( "SELECT MAX(action_id) FROM {$wpdb->prefix}actionscheduler_actions" );
		$job                   = Mulopimfwc_Bulk_Sync_Jobs::create(
			$s,
			'ndjson',
			array(
				'source'     => 'cli',
				'chunk_size' => $chunk_size,
			)
		);
		if ( is_array( $job ) ) {
			self::$first_action[ $job['id'] ] = self::$first_action[0];
		}
		return $job;
	}

	private static function ndjson( array $items ): string {
		return implode( "\n", array_map( 'wp_json_encode', $items ) ) . "\n";
	}

	private static function chunk( int $job, int $no ): array {
		global $wpdb;
		return (array) $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . Mulopimfwc_Bulk_Sync_Jobs::chunks_table() . ' WHERE job_id = %d AND chunk_no = %d', $job, $no ), ARRAY_A );
	}

	private static function jobState( int $job ): ?string {
		global $wpdb;
		$v = $wpdb->get_var( $wpdb->prepare( 'SELECT state FROM ' . Mulopimfwc_Bulk_Sync_Jobs::jobs_table() . ' WHERE id = %d', $job ) );
		return null === $v ? null : (string) $v;
	}

	/** The job's chunk actions in Action Scheduler: action id => [status, args, group]. */
	private static function actions( int $job ): array {
		global $wpdb;
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT a.action_id, a.status, a.args, g.slug FROM {$wpdb->prefix}actionscheduler_actions a LEFT JOIN {$wpdb->prefix}actionscheduler_groups g ON g.group_id = a.group_id WHERE a.hook = %s AND a.args LIKE %s AND a.action_id >= %d ORDER BY a.action_id",
				Mulopimfwc_Bulk_Sync_Jobs::CHUNK_HOOK,
				'[' . $job . ',%',
				self::$first_action[ $job ] ?? 0
			),
			ARRAY_A
		);
		$out = array();
		foreach ( $rows as $r ) {
			$out[ (int) $r['action_id'] ] = array( $r['status'], json_decode( $r['args'], true ), $r['slug'] );
		}
		return $out;
	}

	private static function tableExists( string $t ): bool {
		global $wpdb;
		return $t === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) );
	}

	public function testActivationCreatesBothTablesAndTheDailyPrune(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Mulopimfwc_Bulk_Sync_Jobs::chunks_table() . ', ' . Mulopimfwc_Bulk_Sync_Jobs::jobs_table() );
		delete_option( Mulopimfwc_Bulk_Sync_Jobs::DB_VERSION_OPTION );
		wp_clear_scheduled_hook( Mulopimfwc_Bulk_Sync_Jobs::PRUNE_HOOK );
		$this->assertFalse( self::tableExists( Mulopimfwc_Bulk_Sync_Jobs::jobs_table() ) );
		do_action( 'activate_' . plugin_basename( MULOPIMFWC_BULK_SYNC_FILE ) );
		$this->assertTrue( self::tableExists( Mulopimfwc_Bulk_Sync_Jobs::jobs_table() ) );
		$this->assertTrue( self::tableExists( Mulopimfwc_Bulk_Sync_Jobs::chunks_table() ) );
		$this->assertSame( 'daily', wp_get_schedule( Mulopimfwc_Bulk_Sync_Jobs::PRUNE_HOOK ) );
		$this->assertSame( Mulopimfwc_Bulk_Sync_Jobs::DB_VERSION, get_option( Mulopimfwc_Bulk_Sync_Jobs::DB_VERSION_OPTION ) );
		// A site updated without reactivation: the tables come with the next request's init.
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Mulopimfwc_Bulk_Sync_Jobs::chunks_table() . ', ' . Mulopimfwc_Bulk_Sync_Jobs::jobs_table() );
		delete_option( Mulopimfwc_Bulk_Sync_Jobs::DB_VERSION_OPTION );
		Mulopimfwc_Bulk_Sync_Jobs::maybe_create_tables();
		$this->assertTrue( self::tableExists( Mulopimfwc_Bulk_Sync_Jobs::chunks_table() ) );
	}

	public function testCreationQueuesOneActionPerChunkInGroupMulopimfwcAndABadBodyLeavesNothing(): void {
		global $wpdb;
		$p     = array( $this->simple( 5 ), $this->simple( 5 ) );
		$items = array();
		for ( $i = 0; $i < 7; $i++ ) {
			// Alternate products: a chunk grows past its size only over a run of one product's items.
			$items[] = array( 'sku' => $p[ $i % 2 ]->get_sku(), 'location_slug' => 'warehouse', 'stock' => $i );
		}
		$job = self::create( self::ndjson( $items ), 3 );
		$this->assertIsArray( $job, is_wp_error( $job ) ? $job->get_error_message() : '' );
		$this->assertSame( 'queued', $job['state'] );
		$this->assertSame( array( 'total' => 3, 'size' => 3, 'pending' => 3, 'done' => 0, 'failed' => 0, 'cancelled' => 0 ), $job['chunks'] );
		$actions = self::actions( $job['id'] );
		$this->assertCount( 3, $actions );
		$n = 0;
		foreach ( $actions as $id => $a ) {
			$this->assertSame( array( 'pending', array( $job['id'], $n ), 'mulopimfwc' ), $a );
			$this->assertSame( $id, (int) self::chunk( $job['id'], $n )['action_id'] );
			$this->assertSame( 1 + 3 * $n, (int) self::chunk( $job['id'], $n )['first_item'] );
			++$n;
		}

		$jobs_before   = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Mulopimfwc_Bulk_Sync_Jobs::jobs_table() );
		$chunks_before = (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Mulopimfwc_Bulk_Sync_Jobs::chunks_table() );
		// Full chunks are stored before the syntax error at the end is met: they must go too.
		$s = fopen( 'php://memory', 'w+b' );
		fwrite( $s, '{"items": ' . wp_json_encode( $items ) . ', }' );
		rewind( $s );
		$stored = 0;
		$count  = static function ( $query ) use ( &$stored ) {
			if ( 0 === strpos( (string) $query, 'INSERT INTO `' . Mulopimfwc_Bulk_Sync_Jobs::chunks_table() . '`' ) ) {
				++$stored;
			}
			return $query;
		};
		add_filter( 'query', $count );
		$bad = Mulopimfwc_Bulk_Sync_Jobs::create( $s, 'json', array( 'chunk_size' => 3 ) );
		remove_filter( 'query', $count );
		$this->assertGreaterThanOrEqual( 2, $stored, 'chunks were inserted before the error' );
		$this->assertInstanceOf( WP_Error::class, $bad );
		$this->assertSame( 'invalid_data', $bad->get_error_code() );
		$this->assertSame( 400, $bad->get_error_data()['status'] );
		$this->assertSame( $jobs_before, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Mulopimfwc_Bulk_Sync_Jobs::jobs_table() ) );
		$this->assertSame( $chunks_before, (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Mulopimfwc_Bulk_Sync_Jobs::chunks_table() ) );
		Mulopimfwc_Bulk_Sync_Jobs::cancel( $job['id'] );
	}

	public function testPruneDeletesOldFinishedJobsAndAbandonedUploadsWithTheirChunks(): void {
		global $wpdb;
		$p    = $this->simple( 5 );
		$item = array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 1 );
		$ids  = array();
		foreach ( array( 'old-done', 'new-done', 'old-queued', 'old-receiving', 'new-receiving' ) as $what ) {
			$job          = self::create( self::ndjson( array( $item ) ), 10 );
			$ids[ $what ] = $job['id'];
			Mulopimfwc_Bulk_Sync_Jobs::cancel( $job['id'] ); // No action left to run.
		}
		$t   = Mulopimfwc_Bulk_Sync_Jobs::jobs_table();
		$old = gmdate( 'Y-m-d H:i:s', time() - 8 * DAY_IN_SECONDS );
		$set = static function ( int $id, string $state, string $when ) use ( $wpdb, $t ) {
			$wpdb->query( $wpdb->prepare( "UPDATE $t SET state = %s, created_at = %s, finished_at = %s WHERE id = %d", $state, $when, $when, $id ) );
		};
		$set( $ids['old-done'], 'done', $old );
		$set( $ids['new-done'], 'done', gmdate( 'Y-m-d H:i:s', time() - 6 * DAY_IN_SECONDS ) );
		$set( $ids['old-queued'], 'queued', $old );
		$set( $ids['old-receiving'], 'receiving', gmdate( 'Y-m-d H:i:s', time() - 2 * DAY_IN_SECONDS ) );
		$set( $ids['new-receiving'], 'receiving', gmdate( 'Y-m-d H:i:s', time() - 3600 ) );
		$this->assertGreaterThanOrEqual( 2, Mulopimfwc_Bulk_Sync_Jobs::prune() );
		$this->assertNull( self::jobState( $ids['old-done'] ) );
		$this->assertSame( array(), self::chunk( $ids['old-done'], 0 ), 'its chunks (its items) are gone too' );
		$this->assertNull( self::jobState( $ids['old-receiving'] ) );
		$this->assertSame( 'done', self::jobState( $ids['new-done'] ) );
		$this->assertSame( 'queued', self::jobState( $ids['old-queued'] ), 'an unfinished job is never pruned' );
		$this->assertSame( 'receiving', self::jobState( $ids['new-receiving'] ) );
		$this->filter( 'mulopimfwc_job_retention_days', 5 );
		Mulopimfwc_Bulk_Sync_Jobs::prune();
		$this->assertNull( self::jobState( $ids['new-done'] ), 'the retention filter' );
		$wpdb->query( $wpdb->prepare( "DELETE FROM $t WHERE id IN (%d, %d)", $ids['old-queued'], $ids['new-receiving'] ) );
	}

	public function testAnActionAsMarkedFailedGetsANewOneUntilTheAttemptsRunOut(): void {
		global $wpdb;
		$p   = $this->simple( 5 );
		$job = self::create( self::ndjson( array( array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 5 ), array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock_adjust' => 2 ) ) ), 10 );
		$id  = $job['id'];
		// A runner claimed the action, started the chunk (attempt 1) and was killed: Action Scheduler's cleaner
		// marks the action failed after its failure period and fires action_scheduler_failed_action.
		$first = (int) self::chunk( $id, 0 )['action_id'];
		$c     = Mulopimfwc_Bulk_Sync_Jobs::chunks_table();
		$wpdb->query( $wpdb->prepare( "UPDATE $c SET attempts = 1 WHERE job_id = %d", $id ) );
		ActionScheduler::store()->mark_failure( $first );
		do_action( 'action_scheduler_failed_action', $first, 300 );
		$second = (int) self::chunk( $id, 0 )['action_id'];
		$this->assertNotSame( $first, $second, 'a new action for the chunk' );
		$this->assertSame( 'pending', self::actions( $id )[ $second ][0] );
		// The old action failing again (or another's) changes nothing: only the chunk's current action counts.
		do_action( 'action_scheduler_failed_action', $first, 300 );
		$this->assertSame( $second, (int) self::chunk( $id, 0 )['action_id'] );

		// The new action runs: the chunk is written once.
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 0 ) );
		$this->assertSame( array( '7' ), self::meta( $p->get_id(), '_location_stock_' . self::$loc['warehouse'] ) );
		$this->assertSame( 'skipped', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 0 ), 'run again: done already' );
		$this->assertSame( array( '7' ), self::meta( $p->get_id(), '_location_stock_' . self::$loc['warehouse'] ) );
		$this->assertSame( 'done', self::jobState( $id ) );

		// Killed on every attempt: the chunk fails, with it the job, and its item is reported failed.
		$job = self::create( self::ndjson( array( array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 1 ) ) ), 10 );
		$id  = $job['id'];
		$wpdb->query( $wpdb->prepare( "UPDATE $c SET attempts = %d WHERE job_id = %d", Mulopimfwc_Bulk_Sync_Jobs::max_attempts(), $id ) );
		do_action( 'action_scheduler_failed_action', (int) self::chunk( $id, 0 )['action_id'], 300 );
		$this->assertSame( 'failed', self::chunk( $id, 0 )['state'] );
		$status = Mulopimfwc_Bulk_Sync_Jobs::get( $id );
		$this->assertSame( 'failed', $status['state'] );
		$this->assertSame( array( 'total' => 1, 'processed' => 1, 'succeeded' => 0, 'failed' => 1 ), $status['items'] );
		$this->assertSame( 'job_chunk_failed', $status['items_failed'][0]['code'] );
		$this->assertSame( 1, $status['items_failed'][0]['index'] );
		$this->assertSame( array( '7' ), self::meta( $p->get_id(), '_location_stock_' . self::$loc['warehouse'] ), 'never written' );
	}

	public function testAChunkWaitsForAnEarlierOneWithTheSameProductAndLocationOnly(): void {
		$this->filter( 'mulopimfwc_job_chunk_poll', 0 );
		$a  = $this->simple( 5 );
		$b  = $this->simple( 5 );
		$wh = '_location_stock_' . self::$loc['warehouse'];
		// Primary location: main-store (CliTestCase). Chunks of 1 item.
		$c     = $this->simple( 5 );
		$sep   = array( 'sku' => $c->get_sku(), 'location_slug' => 'outlet', 'stock' => 1 ); // keeps a's items in chunks of their own
		$items = array(
			array( 'sku' => $a->get_sku(), 'location_slug' => 'warehouse', 'stock' => 10 ),              // 0
			$sep,                                                                                        // 1
			array( 'sku' => strtolower( $a->get_sku() ) . '  ', 'location_id' => self::$loc['warehouse'], 'stock_adjust' => 1 ), // 2: same product and location, other spellings
			array( 'product_id' => $b->get_id(), 'location_slug' => 'main-store', 'stock' => 4 ),      // 3: b by id at the primary
			array( 'sku' => $a->get_sku(), 'location_slug' => 'outlet', 'stock' => 3 ),                // 4: a at another (non-primary) location
			array( 'sku' => $b->get_sku(), 'location_slug' => 'warehouse', 'stock' => 8 ),            // 5: b by SKU at a non-primary location
		);
		$job = self::create( self::ndjson( $items ), 1 );
		$id  = $job['id'];
		$this->assertSame( 6, $job['chunks']['total'] );
		$this->assertSame( 'waiting', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 2 ), 'chunk 0 holds the same product and location' );
		$this->assertSame( array(), self::meta( $a->get_id(), $wh ), 'nothing written while waiting' );
		$this->assertSame( 'pending', self::chunk( $id, 2 )['state'] );
		$this->assertSame( 'pending', self::actions( $id )[ (int) self::chunk( $id, 2 )['action_id'] ][0], 'rescheduled' );
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 4 ), 'another location that WooCommerce\'s stock does not follow' );
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 5 ), 'b at a non-primary location does not wait for b at the primary' );
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 0 ) );
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 2 ) );
		$this->assertSame( array( '11' ), self::meta( $a->get_id(), $wh ), 'file order: set 10, then +1' );
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 1 ) );
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 3 ) );
		$this->assertSame( 'done', self::jobState( $id ) );

		// With no primary location every location moves WooCommerce's stock: the same product waits, by id or SKU.
		delete_option( 'mulopimfwc_primary_location' );
		try {
			$job = self::create( self::ndjson( array( $items[3], $sep, $items[5] ) ), 1 );
			$this->assertSame( 'waiting', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $job['id'], 2 ), 'b by SKU waits for b by id' );
			$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $job['id'], 1 ), 'another product does not wait' );
			$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $job['id'], 0 ) );
			$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $job['id'], 2 ) );
			$this->assertSame( '8', (string) self::wc( $b->get_id() )->get_stock_quantity(), 'the later item\'s stock' );
		} finally {
			update_option( 'mulopimfwc_primary_location', (string) self::$loc['main-store'] );
		}
	}

	public function testSeveralRunnersMayWorkWhileAJobIsActive(): void {
		global $wpdb;
		$jobs = Mulopimfwc_Bulk_Sync_Jobs::jobs_table();
		foreach ( $wpdb->get_col( "SELECT id FROM $jobs WHERE state IN ('queued', 'running')" ) as $left ) {
			Mulopimfwc_Bulk_Sync_Jobs::cancel( (int) $left ); // Jobs other tests left queued (this site is the tests' own).
		}
		$this->assertSame( 1, apply_filters( 'action_scheduler_queue_runner_concurrent_batches', 1 ) );
		// The filter's answer is kept per process: a new process (a runner) sees the new job.
		$p   = $this->simple( 5 );
		$job = self::create( self::ndjson( array( array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 2 ) ) ), 10 );
		$r   = $this->wp( array( 'eval', 'echo apply_filters( "action_scheduler_queue_runner_concurrent_batches", 1 ), ",", apply_filters( "action_scheduler_queue_runner_concurrent_batches", 5 );' ) );
		$this->assertSame( '3,5', trim( $r['stdout'] ), $r['stderr'] );
		Mulopimfwc_Bulk_Sync_Jobs::cancel( $job['id'] );
		$r = $this->wp( array( 'eval', 'echo apply_filters( "action_scheduler_queue_runner_concurrent_batches", 1 );' ) );
		$this->assertSame( '1', trim( $r['stdout'] ), 'no job active: Action Scheduler\'s own setting' );
	}

	public function testCancelStopsWhatHasNotStarted(): void {
		$p   = $this->simple( 5 );
		$q   = $this->simple( 5 );
		$wh  = '_location_stock_' . self::$loc['warehouse'];
		$job = self::create(
			self::ndjson(
				array(
					array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 6 ),
					array( 'sku' => $q->get_sku(), 'location_slug' => 'warehouse', 'stock' => 1 ),
					array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock_adjust' => 1 ),
				)
			),
			1
		);
		$id = $job['id'];
		$this->assertSame( 'done', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 0 ) );
		$status = Mulopimfwc_Bulk_Sync_Jobs::cancel( $id );
		$this->assertSame( 'cancelled', $status['state'] );
		$this->assertSame( array( 'total' => 3, 'size' => 1, 'pending' => 0, 'done' => 1, 'failed' => 0, 'cancelled' => 2 ), $status['chunks'] );
		$this->assertNotNull( $status['cancelled_at'] );
		$canceled = array_filter(
			self::actions( $id ),
			static function ( $a ) {
				return 'canceled' === $a[0];
			}
		);
		$this->assertCount( 2, $canceled, 'the unstarted chunks\' actions are cancelled in Action Scheduler' );
		$this->assertSame( 'skipped', Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $id, 2 ) );
		$this->assertSame( array( '6' ), self::meta( $p->get_id(), $wh ), 'only the chunk that ran before the cancel' );
		$this->assertSame( 'cancelled', Mulopimfwc_Bulk_Sync_Jobs::cancel( $id )['state'], 'cancel again: still cancelled' );

		$job = self::create( self::ndjson( array( array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 1 ) ) ), 1 );
		Mulopimfwc_Bulk_Sync_Jobs::run_chunk( $job['id'], 0 );
		$done = Mulopimfwc_Bulk_Sync_Jobs::cancel( $job['id'] );
		$this->assertInstanceOf( WP_Error::class, $done );
		$this->assertSame( array( 'job_finished', 409 ), array( $done->get_error_code(), $done->get_error_data()['status'] ) );
		$gone = Mulopimfwc_Bulk_Sync_Jobs::cancel( 999999999 );
		$this->assertSame( array( 'job_not_found', 404 ), array( $gone->get_error_code(), $gone->get_error_data()['status'] ) );
	}

	/** Last: uninstall drops the jobs' tables and pending actions; activation brings everything back for later runs. */
	public function testUninstallDropsTheJobsTablesAndTheirPendingActions(): void {
		global $wpdb;
		$p   = $this->simple( 5 );
		$job = self::create( self::ndjson( array( array( 'sku' => $p->get_sku(), 'location_slug' => 'warehouse', 'stock' => 2 ) ) ), 10 );
		$this->assertSame( 'pending', self::actions( $job['id'] )[ (int) self::chunk( $job['id'], 0 )['action_id'] ][0] );
		try {
			if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
				define( 'WP_UNINSTALL_PLUGIN', plugin_basename( MULOPIMFWC_BULK_SYNC_FILE ) );
			}
			include dirname( MULOPIMFWC_BULK_SYNC_FILE ) . '/uninstall.php';
			$this->assertFalse( self::tableExists( Mulopimfwc_Bulk_Sync_Jobs::jobs_table() ) );
			$this->assertFalse( self::tableExists( Mulopimfwc_Bulk_Sync_Jobs::chunks_table() ) );
			$this->assertFalse( get_option( Mulopimfwc_Bulk_Sync_Jobs::DB_VERSION_OPTION ) );
			$this->assertFalse( wp_next_scheduled( Mulopimfwc_Bulk_Sync_Jobs::PRUNE_HOOK ) );
			$pending = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions WHERE hook = %s AND status = 'pending'", Mulopimfwc_Bulk_Sync_Jobs::CHUNK_HOOK ) );
			$this->assertSame( 0, $pending, 'no chunk action left to run against tables that are gone' );
		} finally {
			do_action( 'activate_' . plugin_basename( MULOPIMFWC_BULK_SYNC_FILE ) );
		}
		$this->assertTrue( self::tableExists( Mulopimfwc_Bulk_Sync_Jobs::jobs_table() ) );
	}
}
