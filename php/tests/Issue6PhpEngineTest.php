<?php
/**
 * Issue 6 in the PHP engine beyond the table-driven cases: row locks of relative changes and compare-and-set
 * against a concurrent writer, and the set-based PHP export (Mulopimfwc_Bulk_Sync_Export) against rows built
 * the slow, obvious way.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

final class Issue6PhpEngineTest extends TestCase {

	private static ?ContractStore $store = null;

	private static function store(): ContractStore {
		return self::$store ??= ContractStore::fromEnv();
	}

	private function prepared( string $fixture = 'store' ): array {
		return self::store()->prepare( array( 'name' => 'issue 6', 'fixture' => $fixture, 'expect' => array() ) );
	}

	private static function value( \mysqli $c, int $post, string $key ): array {
		$r = $c->query( "SELECT meta_value FROM wp_postmeta WHERE post_id = $post AND meta_key = '" . $c->real_escape_string( $key ) . "' ORDER BY meta_id" );
		return array_column( $r->fetch_all( MYSQLI_NUM ), 0 );
	}

	/**
	 * A concurrent `UPDATE ... SET meta_value = meta_value - 1` (an order) holds the row while the engine adjusts
	 * the same row: the engine's locked read waits for it and adds to 9, not to the 10 it would have read from its
	 * snapshot. Without the lock the result would be 15 and the order's decrement lost.
	 *
	 * @dataProvider provideConcurrentWrites
	 */
	public function testConcurrentDecrementIsNotLost( array $item, array $want_stock, int $want_failed ): void {
		$prepared = $this->prepared();
		try {
			$options = ContractTest::engineOptions( self::store(), $prepared, 'tcp' );
			$post    = $prepared['ids']['post']['simple'];
			$key     = '_location_stock_' . $prepared['ids']['loc']['warehouse'];
			$order   = self::store()->connect( $prepared['db'] );
			mysqli_report( MYSQLI_REPORT_OFF );
			// The order: takes the row's lock, then holds it for 0.6 s inside its statement (autocommit).
			$order->query(
				"UPDATE wp_postmeta SET meta_value = meta_value - 1 WHERE post_id = $post AND meta_key = '$key' AND SLEEP(0.6) = 0",
				MYSQLI_ASYNC
			);
			usleep( 150000 );
			$adapter = new PhpEngineAdapter();
			$t0      = microtime( true );
			$result  = $adapter->run( array( 'items' => array( $item + array( 'sku' => 'PROD-001', 'location_slug' => 'warehouse' ) ) ), $options );
			$waited  = microtime( true ) - $t0;
			$links   = $errors = $reject = array( $order );
			mysqli_poll( $links, $errors, $reject, 5 );
			$order->reap_async_query();
			$this->assertArrayNotHasKey( 'error', $result, json_encode( $result ) );
			$this->assertSame( $want_failed, $result['results']['failed'], json_encode( $result ) );
			$check = self::store()->connect( $prepared['db'] );
			$this->assertSame( $want_stock, self::value( $check, $post, $key ) );
			$this->assertGreaterThan( 0.2, $waited, 'the engine should have waited for the order\'s row lock' );
		} finally {
			self::store()->cleanup( $prepared );
		}
	}

	public static function provideConcurrentWrites(): iterable {
		yield 'stock_adjust +5: 10 - 1 (order) + 5' => array( array( 'stock_adjust' => 5 ), array( '14' ), 0 );
		yield 'expected_stock 10 after the order took one: stock_mismatch, the order\'s 9 stays' => array( array( 'stock' => 20, 'expected_stock' => 10 ), array( '9' ), 1 );
		yield 'expected_stock 9 (the value after the order): applies' => array( array( 'stock' => 20, 'expected_stock' => 9 ), array( '20' ), 0 );
	}

	/** The export's rows built one product and one location at a time, straight from the tables. */
	private static function naiveRows( \mysqli $c, ?int $location = null ): array {
		$locs = $c->query(
			"SELECT t.term_id, t.slug, t.name FROM wp_terms t JOIN wp_term_taxonomy tt ON tt.term_id = t.term_id
			WHERE tt.taxonomy = 'mulopimfwc_store_location'" . ( $location ? " AND t.term_id = $location" : '' ) . ' ORDER BY t.name, t.term_id'
		)->fetch_all( MYSQLI_ASSOC );
		$meta = static function ( int $id, string $k ) use ( $c ): string {
			$r = $c->query( "SELECT meta_value FROM wp_postmeta WHERE post_id = $id AND meta_key = '$k' ORDER BY meta_id LIMIT 1" )->fetch_row();
			return $r ? (string) $r[0] : '';
		};
		$rows = array();
		foreach ( $c->query( "SELECT ID, post_title FROM wp_posts WHERE post_type = 'product' AND post_status = 'publish' ORDER BY ID" )->fetch_all( MYSQLI_ASSOC ) as $p ) {
			$id       = (int) $p['ID'];
			$variable = (bool) $c->query(
				"SELECT 1 FROM wp_term_relationships tr JOIN wp_term_taxonomy tt ON tt.term_taxonomy_id = tr.term_taxonomy_id
				JOIN wp_terms t ON t.term_id = tt.term_id WHERE tr.object_id = $id AND tt.taxonomy = 'product_type' AND t.slug = 'variable'"
			)->fetch_row();
			$members = $variable
				? $c->query( "SELECT ID, post_title FROM wp_posts WHERE post_parent = $id AND post_type = 'product_variation' AND post_status IN ('publish','private') ORDER BY menu_order, ID" )->fetch_all( MYSQLI_ASSOC )
				: array( $p );
			foreach ( $locs as $l ) {
				$lid = (int) $l['term_id'];
				foreach ( $members as $m ) {
					$mid    = (int) $m['ID'];
					$rows[] = array(
						'product_id'    => $mid,
						'sku'           => $meta( $mid, '_sku' ),
						'product_name'  => (string) $m['post_title'],
						'location_id'   => $lid,
						'location_slug' => (string) $l['slug'],
						'location_name' => (string) $l['name'],
						'stock'         => $meta( $mid, "_location_stock_$lid" ),
						'regular_price' => $meta( $mid, "_location_regular_price_$lid" ),
						'sale_price'    => $meta( $mid, "_location_sale_price_$lid" ),
						'backorders'    => $meta( $mid, "_location_backorders_$lid" ),
						'disabled'      => 'yes' === $meta( $mid, "_location_disabled_$lid" ),
					);
				}
			}
		}
		return $rows;
	}

	public function testExportPagesMatchTheRowsBuiltOneByOne(): void {
		$prepared = $this->prepared();
		try {
			$options = ContractTest::engineOptions( self::store(), $prepared, 'tcp' );
			PhpEngineAdapter::use_database( $options );
			$c = self::store()->connect( $prepared['db'] );
			// A variation that is private (exported), one in draft (not), a menu_order that reorders, a disabled flag.
			$red  = $prepared['ids']['post']['var-own-red'];
			$blue = $prepared['ids']['post']['var-own-blue'];
			$c->query( "UPDATE wp_posts SET menu_order = 1 WHERE ID = $red" );
			$c->query( "UPDATE wp_posts SET post_status = 'private' WHERE ID = $blue" );
			$c->query( "UPDATE wp_posts SET post_status = 'draft' WHERE ID = " . $prepared['ids']['post']['var-bo-2'] );
			$c->query( 'INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (' . $prepared['ids']['post']['second'] . ", '_location_disabled_" . $prepared['ids']['loc']['outlet'] . "', 'yes')" );

			$all = self::naiveRows( $c );
			$this->assertGreaterThan( 50, count( $all ) );
			$export = new \Mulopimfwc_Bulk_Sync_Export();
			$counts = array();
			foreach ( array( 1, 7, 100, 10000 ) as $per_page ) {
				$got = array();
				for ( $page = 1; $page <= 1000; $page++ ) {
					$r = $export->export( array( 'table_prefix' => 'wp_' ), array( 'page' => $page, 'per_page' => $per_page ) );
					$this->assertSame( count( $all ), $r['total'] );
					$this->assertSame( array( $page, $per_page ), array( $r['page'], $r['per_page'] ) );
					$this->assertSame( count( $r['data'] ), $r['count'] );
					$counts[ $export->query_count ] = true;
					if ( ! $r['data'] ) {
						break;
					}
					$this->assertLessThanOrEqual( $per_page, $r['count'] );
					array_push( $got, ...$r['data'] );
				}
				$this->assertSame( $all, $got, "per_page $per_page: the pages put together are the export" );
			}
			$this->assertLessThanOrEqual( 6, max( array_keys( $counts ) ), 'queries per page' );

			$loc = $prepared['ids']['loc']['warehouse'];
			$r   = $export->export( array(), array( 'location_id' => $loc, 'per_page' => 10000 ) );
			$this->assertSame( self::naiveRows( $c, $loc ), $r['data'] );
			$this->assertSame( count( $r['data'] ), $r['total'] );
			foreach ( $r['data'] as $row ) {
				$this->assertSame( $loc, $row['location_id'] );
			}
			$this->assertSame( 0, $export->export( array(), array( 'location_id' => 99999 ) )['total'], 'unknown location_id' );
			$this->assertSame( array(), $export->export( array(), array( 'page' => 99 ) )['data'], 'page past the end' );
			$d = $export->export( array(), array( 'page' => '0', 'per_page' => 'x' ) );
			$this->assertSame( array( 1, 100 ), array( $d['page'], $d['per_page'] ), 'defaults' );
			$this->assertSame( 10000, $export->export( array(), array( 'per_page' => 50000 ) )['per_page'], 'per_page at most 10000' );

			$csv = \Mulopimfwc_Bulk_Sync_Export::to_csv( array_slice( $all, 0, 2 ) );
			$this->assertStringStartsWith( "\xEF\xBB\xBFproduct_id,sku,product_name,location_id,location_slug,location_name,stock,regular_price,sale_price,backorders,disabled\n", $csv );
			$this->assertSame( 3, substr_count( $csv, "\n" ) );
		} finally {
			self::store()->cleanup( $prepared );
		}
	}
}
