<?php
/**
 * `report_meta_writes` through the plugin's PHP engine (as tests/php/MetaWritesTest.php for the native one):
 * `meta_writes` is exactly the rows written, for every contract case and a request that writes every kind of row;
 * absent without the option, empty on a dry run; after a retry only the committed attempt's rows; a row only the
 * final plan inserts (a concurrent decrement moved a value in between) with its real id. When the extension is
 * loaded too (`php -d extension=.../libmulopimfwc.so /usr/bin/phpunit -c php/tests/phpunit-php-engine.xml`), both
 * engines run the same request on the same store and must list the same writes.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

require_once dirname( __DIR__, 2 ) . '/tests/lib/php/hold-row.php';

require_once dirname( __DIR__, 2 ) . '/tests/php/lib/MetaWritesChecks.php';

final class MetaWritesPhpEngineTest extends TestCase {

	use MetaWritesChecks;

	public function testScenario(): void {
		$this->assertScenario( ...self::scenario( new PhpEngineAdapter(), ContractStore::fromEnv() ) );
	}

	public function testOptionOffAndDryRun(): void {
		$this->assertOptionOffAndDryRun( new PhpEngineAdapter(), ContractStore::fromEnv() );
	}

	public function testEveryContractCase(): void {
		$failures = self::checkEveryCase( new PhpEngineAdapter(), ContractStore::fromEnv(), true );
		$this->assertSame( array(), $failures, implode( "\n", $failures ) );
	}

	/** The same request on two identical stores, with and without the option: as many statements. */
	public function testAskingForTheListCostsNoStatement(): void {
		$counts = array();
		foreach ( array( array(), array( 'report_meta_writes' => true ) ) as $extra ) {
			$adapter = new PhpEngineAdapter();
			list( $out ) = self::scenario( $adapter, ContractStore::fromEnv(), $extra );
			$this->assertSame( 5, $out['results']['success'], json_encode( $out ) );
			$counts[] = $adapter->engine->query_count;
		}
		$this->assertSame( $counts[0], $counts[1], 'statements without / with report_meta_writes' );
	}

	/** Both engines, the same request on the same store: the same writes (ids aside, which each store hands out). */
	public function testBothEnginesListTheSameWrites(): void {
		$native = new NativeEngineAdapter();
		if ( ! $native->available() ) {
			$this->markTestSkipped( 'extension mulopimfwc not loaded (php -d extension=/abs/libmulopimfwc.so /usr/bin/phpunit -c php/tests/phpunit-php-engine.xml)' );
		}
		$store = ContractStore::fromEnv();
		$logs  = array();
		foreach ( array( 'php' => new PhpEngineAdapter(), 'native' => $native ) as $name => $adapter ) {
			list( $out, $before, $after, $prepared ) = self::scenario( $adapter, $store );
			$this->assertSame( $name, $out['engine'] );
			$log           = $this->assertScenario( $out, $before, $after, $prepared );
			$posts         = array_flip( $prepared['ids']['post'] );
			$locs          = array_flip( $prepared['ids']['loc'] );
			$logs[ $name ] = array_map(
				static fn ( $e ) => array(
					$e[0],
					$posts[ $e[2] ],
					preg_replace_callback( '/_(\d+)$/', static fn ( $m ) => '_' . ( $locs[ (int) $m[1] ] ?? $m[1] ), $e[3] ),
					$e[4],
				),
				$log
			);
		}
		$this->assertNotEmpty( $logs['php'] );
		$this->assertSame( $logs['php'], $logs['native'] );
	}

	/**
	 * The first attempt inserts its new rows, meets a row another session holds (NOWAIT) and rolls back; the retry
	 * goes post by post. Only the retry's rows are listed, with the ids they kept.
	 */
	public function testRetryListsOnlyTheCommittedAttempt(): void {
		$store    = ContractStore::fromEnv();
		$prepared = $store->prepare( array( 'name' => 'meta writes retry', 'expect' => array() ) );
		try {
			$options = array( 'report_meta_writes' => true ) + ContractTest::engineOptions( $store, $prepared, 'tcp' );
			$items   = array();
			foreach ( array( 'second', 'notify', 'price20' ) as $key ) {
				$items[] = array( 'product_id' => $prepared['ids']['post'][ $key ], 'location_slug' => 'main-store', 'stock' => 9, 'regular_price' => '25.00' );
			}
			$before  = self::rowsOf( $store, $prepared );
			$proc    = hold_stock_row( $store->dbSettings(), $prepared['db'], $prepared['prefix'], $prepared['ids']['post']['notify'], 0.6 );
			$adapter = new PhpEngineAdapter();
			$out     = $adapter->run( array( 'items' => $items ), $options );
			proc_close( $proc );
			$after = self::rowsOf( $store, $prepared );
			$this->assertSame( 2, $adapter->engine->attempts, 'the first attempt must not wait for the held row' );
			$this->assertSame( self::metaDiff( $before, $after ), $out['meta_writes'], json_encode( $out ) );
			$this->assertCount( 6, array_filter( $out['meta_writes'], fn ( $e ) => 'added' === $e[0] ) );
		} finally {
			$store->cleanup( $prepared );
		}
	}

	/**
	 * An order's decrement (3 -> 2) is under way when the sync reads: the first plan sees 3, the item's
	 * expected_stock 2 fails there and its new price row is not inserted in the first pass; the final plan, on the
	 * locked row (2), applies the item and inserts the row itself. It is listed with its id.
	 */
	public function testRowOnlyTheFinalPlanInsertsIsListed(): void {
		$store    = ContractStore::fromEnv();
		$prepared = $store->prepare( array( 'name' => 'meta writes late insert', 'expect' => array() ) );
		try {
			$options = array( 'report_meta_writes' => true ) + ContractTest::engineOptions( $store, $prepared, 'tcp' );
			$post    = $prepared['ids']['post']['simple'];
			$loc     = $prepared['ids']['loc']['main-store'];
			$before  = self::rowsOf( $store, $prepared );
			$order   = $store->connect( $prepared['db'] );
			mysqli_report( MYSQLI_REPORT_OFF );
			$order->query(
				"UPDATE wp_postmeta SET meta_value = meta_value - 1 WHERE post_id = $post AND meta_key = '_location_stock_$loc' AND SLEEP(0.6) = 0",
				MYSQLI_ASYNC
			);
			usleep( 150000 );
			$out   = ( new PhpEngineAdapter() )->run( array( 'items' => array( array( 'sku' => 'PROD-001', 'location_slug' => 'main-store', 'stock' => 20, 'expected_stock' => 2, 'regular_price' => '28.00' ) ) ), $options );
			$links = $errors = $reject = array( $order );
			mysqli_poll( $links, $errors, $reject, 5 );
			$order->reap_async_query();
			$after = self::rowsOf( $store, $prepared );
			$this->assertSame( 0, $out['results']['failed'], json_encode( $out ) );
			$this->assertSame( self::metaDiff( $before, $after ), $out['meta_writes'], json_encode( $out ) );
			$added = self::entries( $out['meta_writes'], 'added', $post, "_location_regular_price_$loc" );
			$this->assertCount( 1, $added, json_encode( $out ) );
			$this->assertSame( array( $post, "_location_regular_price_$loc", '28.00' ), $after[ $added[0][1] ] ?? null );
			$this->assertSame( '20', self::entries( $out['meta_writes'], 'updated', $post, '_stock' )[0][4] ?? null );
			$this->assertSame( '20', self::entries( $out['meta_writes'], 'updated', $post, "_location_stock_$loc" )[0][4] ?? null );
		} finally {
			$store->cleanup( $prepared );
		}
	}
}
