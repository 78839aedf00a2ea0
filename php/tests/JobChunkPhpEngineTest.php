<?php
/**
 * The PHP engine's options `job_id` + `job_chunk` (issue 12, "Exactly once per chunk"): the chunk's row of
 * `{prefix}mulopimfwc_job_chunks` is claimed (`SELECT state ... FOR UPDATE`) as the first statement of every attempt's
 * transaction and marked done, with the counts and the result as JSON, as its last statement before COMMIT. A chunk
 * run again, one without a row, one the final UPDATE fails on: nothing written. A dry run ignores both options.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

require_once dirname( __DIR__, 2 ) . '/tests/lib/php/hold-row.php';

final class JobChunkPhpEngineTest extends TestCase {

	/** The test's table prefix (the store's schema under it, a decoy copy under wp_). */
	const PREFIX = 'jc_';

	const JOB   = 12;
	const CHUNK = 3;

	/** The design's DDL of the chunks table (php/includes/class-jobs.php creates the same with dbDelta). */
	const CHUNKS_DDL = <<<'SQL'
CREATE TABLE {prefix}mulopimfwc_job_chunks (
  job_id bigint(20) unsigned NOT NULL,
  chunk_no int(10) unsigned NOT NULL,               -- 0-based
  first_item int(10) unsigned NOT NULL,             -- 1-based number in the file of the chunk's first item
  items int(10) unsigned NOT NULL,                  -- items of the file in this chunk, rejected ones included
  rejected int(10) unsigned NOT NULL DEFAULT 0,     -- malformed lines (never reach the engine)
  payload longtext NOT NULL,                        -- '{"items":[...]}' of the valid items, raw JSON text, file order
  meta longtext NOT NULL,                           -- JSON: {"rejected":[...], "lines":[...]|null} (see intake)
  state varchar(12) NOT NULL DEFAULT 'pending',     -- pending|done|failed|cancelled
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  action_id bigint(20) unsigned NOT NULL DEFAULT 0,
  started_at datetime NULL DEFAULT NULL,
  finished_at datetime NULL DEFAULT NULL,
  succeeded int(10) unsigned NOT NULL DEFAULT 0,    -- the engine's results.success
  failed int(10) unsigned NOT NULL DEFAULT 0,       -- the engine's results.failed (rejected lines NOT included)
  result longtext NULL,                             -- the engine's result (JSON) written with state 'done'
  followons tinyint(1) NOT NULL DEFAULT 0,          -- 1 once the plugin's follow-ons ran for this chunk
  error text NULL,
  PRIMARY KEY  (job_id,chunk_no),
  KEY state (job_id,state)
)
SQL;

	/** @var ContractStore */
	private $store;

	/** @var array ContractStore::prepare()'s case. */
	private $prepared;

	/** @var array Engine options of the case's store. */
	private $options;

	protected function setUp(): void {
		$this->store    = ContractStore::fromEnv();
		$this->prepared = $this->store->prepare( array( 'name' => 'job chunk', 'expect' => array() ), 'fresh', null, self::PREFIX );
		$this->options  = ContractTest::engineOptions( $this->store, $this->prepared, 'tcp' );
		$c              = $this->db();
		foreach ( array( self::PREFIX, 'wp_' ) as $prefix ) {
			$c->query( "DROP TABLE IF EXISTS `{$prefix}mulopimfwc_job_chunks`" );
			$c->query( str_replace( '{prefix}', $prefix, self::CHUNKS_DDL ) );
		}
		// The decoy prefix holds the same chunk, pending: the engine must not take it for the case's.
		foreach ( array( self::PREFIX, 'wp_' ) as $prefix ) {
			$c->query( "INSERT INTO `{$prefix}mulopimfwc_job_chunks` (job_id, chunk_no, first_item, items, payload, meta) VALUES (" . self::JOB . ', ' . self::CHUNK . ", 15001, 3, '{\"items\":[]}', '{}')" );
		}
		$c->close();
	}

	protected function tearDown(): void {
		$c = $this->db();
		foreach ( array( self::PREFIX, 'wp_' ) as $prefix ) {
			$c->query( "DROP TABLE IF EXISTS `{$prefix}mulopimfwc_job_chunks`" );
		}
		$c->close();
		$this->store->cleanup( $this->prepared );
	}

	private function db(): \mysqli {
		return $this->store->connect( $this->prepared['db'] );
	}

	/** The chunk's row (null when there is none). */
	private function chunkRow( string $prefix = self::PREFIX, int $chunk = self::CHUNK ): ?array {
		$c = $this->db();
		try {
			$row = $c->query( "SELECT * FROM `{$prefix}mulopimfwc_job_chunks` WHERE job_id = " . self::JOB . " AND chunk_no = $chunk" )->fetch_assoc();
			return $row ?: null;
		} finally {
			$c->close();
		}
	}

	/** The location stock of PROD-001 at main-store (3 in the fixture). */
	private function stock(): string {
		$post = $this->prepared['ids']['post']['simple'];
		$loc  = $this->prepared['ids']['loc']['main-store'];
		$c    = $this->db();
		try {
			return (string) $c->query( 'SELECT meta_value FROM `' . self::PREFIX . "postmeta` WHERE post_id = $post AND meta_key = '_location_stock_$loc'" )->fetch_row()[0];
		} finally {
			$c->close();
		}
	}

	/** The store's tables as they are (postmeta, posts, terms, lookup, options) under $prefix. */
	private function snapshot( string $prefix = self::PREFIX ): array {
		return $this->store->snapshotNow( $this->prepared, $prefix );
	}

	/** A relative change (proves a second application), an absolute one, and an item that fails. */
	private static function items(): array {
		return array(
			array( 'sku' => 'PROD-001', 'location_slug' => 'main-store', 'stock_adjust' => 5 ),
			array( 'sku' => 'PROD-002', 'location_slug' => 'warehouse', 'stock' => 3, 'regular_price' => '18.00' ),
			array( 'sku' => 'NOPE', 'location_slug' => 'main-store', 'stock' => 1 ),
		);
	}

	/** Runs the engine on the case's store; returns [result or ['error' => ...], engine]. */
	private function run_engine( array $extra, ?array $items = null, bool $body_dry = false ): array {
		$adapter = new PhpEngineAdapter();
		$body    = array( 'items' => $items ?? self::items() );
		if ( $body_dry ) {
			$body['dry_run'] = true;
		}
		$out = $adapter->run( $body, $extra + $this->options );
		return array( $out, $adapter->engine );
	}

	private function job( int $chunk = self::CHUNK ): array {
		return array(
			'job_id'    => self::JOB,
			'job_chunk' => $chunk,
		);
	}

	public function testPendingChunkIsMarkedDoneWithTheResult(): void {
		$before = $this->snapshot( 'wp_' );
		list( $out, $engine ) = $this->run_engine( $this->job() + array( 'report_meta_writes' => true ) );
		$this->assertArrayNotHasKey( 'error', $out, json_encode( $out ) );
		$this->assertSame( 2, $out['results']['success'], json_encode( $out ) );
		$this->assertSame( 1, $out['results']['failed'] );
		$this->assertSame( 1, $engine->attempts );
		$this->assertSame( '8', $this->stock() ); // 3 + 5

		$row = $this->chunkRow();
		$this->assertSame( 'done', $row['state'] );
		$this->assertSame( '2', $row['succeeded'] );
		$this->assertSame( '1', $row['failed'] );
		$this->assertNotNull( $row['finished_at'] );
		$c   = $this->db();
		$age = (int) $c->query( "SELECT TIMESTAMPDIFF(SECOND, '{$row['finished_at']}', UTC_TIMESTAMP())" )->fetch_row()[0];
		$c->close();
		$this->assertTrue( $age >= 0 && $age < 60, "finished_at is UTC now: {$row['finished_at']} ($age s ago)" );
		// The result as run() returned it, without timings.
		$expected = $out;
		unset( $expected['timings'] );
		$this->assertSame( $expected, json_decode( (string) $row['result'], true ) );
		$this->assertStringNotContainsString( 'timings', (string) $row['result'] );
		$this->assertNotEmpty( $expected['meta_writes'] );
		$this->assertSame( 'product_not_found', $expected['results']['items_failed'][0]['code'] );
		// The rest of the row is the jobs' business.
		$this->assertSame( array( '0', '0', null, '15001', '3', '{"items":[]}', '{}', '0', null ), array( $row['attempts'], $row['action_id'], $row['started_at'], $row['first_item'], $row['items'], $row['payload'], $row['meta'], $row['followons'], $row['error'] ) );
		// Another chunk, and the decoy prefix's copy of this one, untouched.
		$this->assertSame( 'pending', $this->chunkRow( 'wp_' )['state'] );
		$this->assertSame( $before, $this->snapshot( 'wp_' ) );
	}

	public function testSecondRunOfAChunkWritesNothing(): void {
		list( $first ) = $this->run_engine( $this->job() );
		$this->assertArrayNotHasKey( 'error', $first, json_encode( $first ) );
		$this->assertSame( '8', $this->stock() );
		$row    = $this->chunkRow();
		$before = $this->snapshot();

		list( $again, $engine ) = $this->run_engine( $this->job() );
		$this->assertSame(
			array(
				'code'    => 'job_chunk_not_pending',
				'status'  => 409,
				'message' => 'Job 12 chunk 3 is done: nothing was written.',
			),
			$again['error'] ?? $again
		);
		$this->assertSame( 1, $engine->attempts, 'not retried' );
		$this->assertSame( '8', $this->stock(), 'the stock_adjust applied once' );
		$this->assertSame( $before, $this->snapshot() );
		$this->assertSame( $row, $this->chunkRow() );

		// Any state but pending: cancelled, failed.
		foreach ( array( 'cancelled', 'failed' ) as $state ) {
			$c = $this->db();
			$c->query( 'UPDATE `' . self::PREFIX . "mulopimfwc_job_chunks` SET state = '$state'" );
			$c->close();
			list( $out ) = $this->run_engine( $this->job() );
			$this->assertSame( 'job_chunk_not_pending', $out['error']['code'] ?? null, json_encode( $out ) );
			$this->assertSame( "Job 12 chunk 3 is $state: nothing was written.", $out['error']['message'] );
			$this->assertSame( $before, $this->snapshot() );
		}
	}

	public function testChunkWithoutARowWritesNothing(): void {
		$before = $this->snapshot();
		list( $out, $engine ) = $this->run_engine( $this->job( 4 ) );
		$this->assertSame(
			array(
				'code'    => 'job_chunk_missing',
				'status'  => 404,
				'message' => 'Job 12 has no chunk 4: nothing was written.',
			),
			$out['error'] ?? $out
		);
		$this->assertSame( 1, $engine->attempts );
		$this->assertSame( $before, $this->snapshot() );
		$this->assertNull( $this->chunkRow( self::PREFIX, 4 ) );
		$this->assertSame( 'pending', $this->chunkRow()['state'] );
	}

	/** The option dry_run, and the body's: the row stays pending, nothing written, not one statement more. */
	public function testDryRunIgnoresTheJobOptions(): void {
		$before = $this->snapshot();
		$row    = $this->chunkRow();
		foreach ( array( false, true ) as $body_dry ) {
			$extra           = $body_dry ? array() : array( 'dry_run' => true );
			list( $plain, $e0 ) = $this->run_engine( $extra, null, $body_dry );
			list( $out, $e1 )   = $this->run_engine( $extra + $this->job(), null, $body_dry );
			$this->assertArrayNotHasKey( 'error', $out, json_encode( $out ) );
			$this->assertTrue( $out['dry_run'] );
			$this->assertSame( 2, $out['results']['success'] );
			$this->assertSame( $e0->query_count, $e1->query_count, 'a dry run sends no statement for the job options' );
			unset( $plain['timings'], $out['timings'] );
			$this->assertSame( $plain, $out );
			$this->assertSame( $row, $this->chunkRow() );
			$this->assertSame( $before, $this->snapshot() );
		}
		// A missing chunk does not matter to a dry run either.
		list( $out ) = $this->run_engine( array( 'dry_run' => true ) + $this->job( 9 ) );
		$this->assertArrayNotHasKey( 'error', $out, json_encode( $out ) );
	}

	/** The chunk's UPDATE fails (its result column is gone): the whole transaction rolls back. */
	public function testFailedMarkRollsBackTheWrites(): void {
		$c = $this->db();
		$c->query( 'ALTER TABLE `' . self::PREFIX . 'mulopimfwc_job_chunks` DROP COLUMN result' );
		$c->close();
		$before = $this->snapshot();
		$row    = $this->chunkRow();
		list( $out ) = $this->run_engine( $this->job() );
		$this->assertSame( 'mulopimfwc_db_error', $out['error']['code'] ?? null, json_encode( $out ) );
		$this->assertSame( 503, $out['error']['status'] );
		$this->assertSame( '3', $this->stock() );
		$this->assertSame( $before, $this->snapshot() );
		$this->assertSame( $row, $this->chunkRow() );
		$this->assertSame( 'pending', $row['state'] );
	}

	/** The statements of a run on the case's store through a RecordingDb. */
	private function record( array $extra ): array {
		PhpEngineAdapter::use_database( $this->options );
		$options = $extra + $this->options;
		foreach ( array( 'db_host', 'db_user', 'db_password', 'db_name', 'db_charset' ) as $k ) {
			unset( $options[ $k ] ); // WordPress's connection.
		}
		$log = new RecordingDb();
		$out = ( new \Mulopimfwc_Bulk_Sync_PHP_Engine( $log ) )->run( array( 'items' => self::items() ), $options );
		$this->assertIsArray( $out, $out instanceof \WP_Error ? $out->get_error_message() : '' );
		$this->assertSame( 2, $out['results']['success'] );
		return $log->statements;
	}

	/** The claim is the statement right after START TRANSACTION, the mark the one right before COMMIT. */
	public function testClaimFirstAndMarkLast(): void {
		$plain = $this->record( array() );
		$this->assertSame( array(), preg_grep( '/job_chunks/', $plain ), 'without the options, no statement about chunks' );
		$this->tearDown();
		$this->setUp(); // The same store again.

		$sql = $this->record( $this->job() );
		$this->assertSame( 'done', $this->chunkRow()['state'] );
		$start = array_search( 'START TRANSACTION', $sql, true );
		$this->assertIsInt( $start, implode( "\n", $sql ) );
		$this->assertSame( 'SELECT state FROM `jc_mulopimfwc_job_chunks` WHERE job_id = 12 AND chunk_no = 3 FOR UPDATE', $sql[ $start + 1 ] );
		$commit = array_search( 'COMMIT', $sql, true );
		$this->assertIsInt( $commit, implode( "\n", $sql ) );
		$this->assertStringStartsWith( "UPDATE `jc_mulopimfwc_job_chunks` SET state = 'done', succeeded = 2, failed = 1, result = '{", $sql[ $commit - 1 ] );
		$this->assertStringEndsWith( ', finished_at = UTC_TIMESTAMP() WHERE job_id = 12 AND chunk_no = 3', $sql[ $commit - 1 ] );
		$this->assertCount( 2, preg_grep( '/job_chunks/', $sql ) );
		// Otherwise the same statements.
		unset( $sql[ $start + 1 ], $sql[ $commit - 1 ] );
		$this->assertSame( self::unstamped( $plain ), self::unstamped( array_values( $sql ) ) );
	}

	/** Statements with their numbers (meta ids the store hands out, the clock's stamps) left out. */
	private static function unstamped( array $sql ): array {
		return preg_replace( '/\d+/', 'N', $sql );
	}

	/**
	 * A first attempt that meets a held row (NOWAIT) rolls back, its claim with it; the retry claims the chunk again
	 * and marks it: three chunk statements in all, the stock adjusted once.
	 */
	public function testRetryClaimsAgain(): void {
		$items = array(
			array( 'sku' => 'PROD-001', 'location_slug' => 'main-store', 'stock_adjust' => 5 ),
			array( 'product_id' => $this->prepared['ids']['post']['notify'], 'location_slug' => 'main-store', 'stock' => 9 ),
		);
		$proc = hold_stock_row( $this->store->dbSettings(), $this->prepared['db'], self::PREFIX, $this->prepared['ids']['post']['notify'], 0.6 );
		list( $out, $engine ) = $this->run_engine( $this->job(), $items );
		proc_close( $proc );
		$this->assertArrayNotHasKey( 'error', $out, json_encode( $out ) );
		$this->assertSame( 2, $engine->attempts, 'the first attempt must meet the held row' );
		$this->assertSame( '8', $this->stock() );
		$row = $this->chunkRow();
		$this->assertSame( array( 'done', '2', '0' ), array( $row['state'], $row['succeeded'], $row['failed'] ) );
		$with = $engine->query_count;

		// The same, without the options, on the store as it was.
		$this->tearDown();
		$this->setUp();
		$proc = hold_stock_row( $this->store->dbSettings(), $this->prepared['db'], self::PREFIX, $this->prepared['ids']['post']['notify'], 0.6 );
		list( $out, $engine ) = $this->run_engine( array(), $items );
		proc_close( $proc );
		$this->assertSame( 2, $engine->attempts );
		$this->assertSame( $with - 3, $engine->query_count, 'a claim in each attempt and one mark' );
	}

	/** Another session completes the chunk while the engine starts: the claim waits for it, then finds it done. */
	public function testClaimWaitsForAConcurrentCompletion(): void {
		$before = $this->snapshot();
		$other  = $this->db();
		mysqli_report( MYSQLI_REPORT_OFF );
		$other->query(
			'UPDATE `' . self::PREFIX . "mulopimfwc_job_chunks` SET state = 'done' WHERE job_id = 12 AND chunk_no = 3 AND SLEEP(0.6) = 0",
			MYSQLI_ASYNC
		);
		usleep( 150000 );
		$t0                     = microtime( true );
		list( $out, $engine )   = $this->run_engine( $this->job() );
		$secs                   = microtime( true ) - $t0;
		$links                  = $errors = $reject = array( $other );
		mysqli_poll( $links, $errors, $reject, 5 );
		$other->reap_async_query();
		$other->close();
		$this->assertSame( 'job_chunk_not_pending', $out['error']['code'] ?? null, json_encode( $out ) );
		$this->assertGreaterThanOrEqual( 0.3, $secs, 'the claim waited for the other session' );
		$this->assertSame( 1, $engine->attempts );
		$this->assertSame( $before, $this->snapshot() );
	}

	/** The native engine's answer to the same request: the result, or ['error' => code, status, message]. */
	private function run_native( array $extra, ?array $items = null ): array {
		$codes = array(
			'Mulopimfwc\\InvalidOptionsException'      => 'invalid_options',
			'Mulopimfwc\\JobChunkMissingException'     => 'job_chunk_missing',
			'Mulopimfwc\\JobChunkNotPendingException'  => 'job_chunk_not_pending',
			'Mulopimfwc\\DatabaseException'            => 'mulopimfwc_db_error',
		);
		try {
			return \mulopimfwc_bulk_sync( array( 'items' => $items ?? self::items() ), $extra + $this->options );
		} catch ( \Exception $e ) {
			return array(
				'error' => array(
					'code'    => $codes[ get_class( $e ) ] ?? get_class( $e ),
					'status'  => $e->getCode(),
					'message' => $e->getMessage(),
				),
			);
		}
	}

	/**
	 * With the extension loaded, both engines on the same store: the same chunk row (the result's `engine` and the
	 * native `stats` aside) and the same errors.
	 */
	public function testBothEnginesMarkTheSameChunk(): void {
		if ( ! ( new NativeEngineAdapter() )->available() ) {
			$this->markTestSkipped( 'extension mulopimfwc not loaded (php -d extension=/abs/libmulopimfwc.so /usr/bin/phpunit -c php/tests/phpunit-php-engine.xml)' );
		}
		$seen = array();
		foreach ( array( 'php', 'native' ) as $name ) {
			$this->tearDown();
			$this->setUp();
			$run   = function ( array $extra ) use ( $name ) {
				return 'php' === $name ? $this->run_engine( $extra )[0] : $this->run_native( $extra );
			};
			$first = $run( $this->job() + array( 'report_meta_writes' => true ) );
			$this->assertSame( $name, $first['engine'] ?? null, json_encode( $first ) );
			$row    = $this->chunkRow();
			$result = json_decode( (string) $row['result'], true );
			$this->assertSame( $name, $result['engine'] );
			unset( $result['engine'], $result['stats'] ); // The native engine's statement count is its own.
			$this->assertArrayNotHasKey( 'timings', $result );
			foreach ( $result['meta_writes'] as &$w ) {
				$w[1] = 0; // Meta ids: each store hands out its own.
			}
			unset( $w );
			$seen[ $name ] = array(
				'row'         => array( $row['state'], $row['succeeded'], $row['failed'] ),
				'result'      => $result,
				'stock'       => $this->stock(),
				'again'       => $run( $this->job() ),
				'missing'     => $run( $this->job( 4 ) ),
				'alone'       => $run( array( 'job_id' => 12 ) ),
				'zero'        => $run( array( 'job_id' => 0, 'job_chunk' => 3 ) ),
				'bad'         => $run( array( 'job_id' => 12, 'job_chunk' => '3a' ) ),
				'dry_missing' => isset( $run( array( 'dry_run' => true ) + $this->job( 4 ) )['error'] ),
			);
		}
		$this->assertSame( $seen['php'], $seen['native'] );
	}

	/** Both or neither, integers (or strings of digits): else invalid_options, before any statement. */
	public function testBadJobOptions(): void {
		$before = $this->snapshot();
		$bad    = array(
			array( 'job_id' => 12 ),
			array( 'job_chunk' => 3 ),
			array( 'job_id' => null, 'job_chunk' => 3 ),
			array( 'job_id' => 0, 'job_chunk' => 3 ),
			array( 'job_id' => -1, 'job_chunk' => 3 ),
			array( 'job_id' => 12, 'job_chunk' => -1 ),
			array( 'job_id' => 12.0, 'job_chunk' => 3 ),
			array( 'job_id' => 12, 'job_chunk' => '3a' ),
			array( 'job_id' => 12, 'job_chunk' => '-3' ),
			array( 'job_id' => 12, 'job_chunk' => ' 3' ),
			array( 'job_id' => 12, 'job_chunk' => '' ),
			array( 'job_id' => true, 'job_chunk' => 3 ),
			array( 'job_id' => array( 12 ), 'job_chunk' => 3 ),
			array( 'job_id' => '99999999999999999999', 'job_chunk' => 3 ),
			array( 'job_id' => 12, 'dry_run' => true ),
		);
		foreach ( $bad as $options ) {
			list( $out, $engine ) = $this->run_engine( $options );
			$what                 = json_encode( $options );
			$this->assertSame( 'invalid_options', $out['error']['code'] ?? null, $what . ' ' . json_encode( $out ) );
			$this->assertSame( 400, $out['error']['status'], $what );
			$this->assertSame( 0, $engine->query_count, $what );
		}
		$this->assertSame( $before, $this->snapshot() );
		$this->assertSame( 'pending', $this->chunkRow()['state'] );

		// Strings of digits (as $wpdb reads a row) and null for neither.
		list( $out ) = $this->run_engine( array( 'job_id' => null, 'job_chunk' => null ) );
		$this->assertArrayNotHasKey( 'error', $out, json_encode( $out ) );
		$this->assertSame( 'pending', $this->chunkRow()['state'] );
		list( $out ) = $this->run_engine(
			array(
				'job_id'    => '12',
				'job_chunk' => '3',
			)
		);
		$this->assertArrayNotHasKey( 'error', $out, json_encode( $out ) );
		$this->assertSame( 'done', $this->chunkRow()['state'] );
	}
}

/**
 * WordPress's $wpdb seen through a recorder: every statement the engine sends (the engine then goes through
 * $wpdb->query() / get_results(), not the mysqli handle).
 */
final class RecordingDb {

	/** @var string[] */
	public $statements = array();

	public function __get( $name ) {
		return $GLOBALS['wpdb']->$name;
	}

	public function __isset( $name ) {
		return 'use_mysqli' !== $name && isset( $GLOBALS['wpdb']->$name );
	}

	public function __call( $name, $args ) {
		return $GLOBALS['wpdb']->$name( ...$args );
	}

	public function query( $sql ) {
		$this->statements[] = $sql;
		return $GLOBALS['wpdb']->query( $sql );
	}

	public function get_results( $sql, $output = OBJECT ) {
		$this->statements[] = $sql;
		return $GLOBALS['wpdb']->get_results( $sql, $output );
	}

	public function db_server_info() {
		return $GLOBALS['wpdb']->db_server_info();
	}
}
