<?php
/**
 * The PHP engine's lock order against an order's stock decrement (as src/engine.rs `Order`): with new rows to
 * insert, a row another session holds is not waited for (NOWAIT: that session may be a decrement waiting for the
 * new row) and the retry locks and inserts post by post; with nothing to insert the row is waited for in one
 * transaction. Either way the database ends exactly as after an uncontended run. The race itself, with thousands
 * of decrements over HTTP, is in tests/reliability (group decrements).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

require_once dirname( __DIR__, 2 ) . '/tests/lib/php/hold-row.php';

final class LockOrderTest extends TestCase {

	/** Items at the primary location for products that have no row there yet (first location rows). */
	private static function items( array $ids, int $stock ): array {
		$items = array();
		foreach ( array( 'second', 'notify', 'price20' ) as $key ) {
			$items[] = array( 'product_id' => $ids['post'][ $key ], 'location_slug' => 'main-store', 'stock' => $stock, 'regular_price' => '25.00' );
		}
		return $items;
	}

	/** Runs the items on a fresh store, with $post's `_stock` held for a while when given. */
	private function run_sync( ?string $held, int $stock, bool $warm ): array {
		$store    = ContractStore::fromEnv();
		$prepared = $store->prepare( array( 'name' => 'lock order', 'expect' => array() ) );
		try {
			$options = ContractTest::engineOptions( $store, $prepared, 'tcp' );
			$adapter = new PhpEngineAdapter();
			if ( $warm ) {
				$adapter->run( array( 'items' => self::items( $prepared['ids'], 1 ) ), $options );
			}
			$proc = $held ? hold_stock_row( $store->dbSettings(), $prepared['db'], $prepared['prefix'], $prepared['ids']['post'][ $held ], 0.6 ) : null;
			$t0   = microtime( true );
			$out  = $adapter->run( array( 'items' => self::items( $prepared['ids'], $stock ) ), $options );
			$secs = microtime( true ) - $t0;
			if ( $proc ) {
				proc_close( $proc );
			}
			$snap = $store->snapshotNow( $prepared );
			return array( $out, $adapter->engine->attempts, $secs, $snap );
		} finally {
			$store->cleanup( $prepared );
		}
	}

	public function testFirstRowsWithAHeldRowFailFastThenGoPostByPost(): void {
		list( $calm ) = $this->run_sync( null, 9, false );
		list( $out, $attempts, , $snap ) = $this->run_sync( 'notify', 9, false );
		list( , , , $calm_snap )          = $this->run_sync( null, 9, false );
		$this->assertSame( 3, $out['results']['success'], json_encode( $out ) );
		$this->assertSame( 2, $attempts, 'the first attempt must not wait for the held row' );
		$this->assertSame( $calm['changes'], $out['changes'] );
		$this->assertSame( 6, $out['changes']['meta_rows_inserted'] ); // stock and regular price, per product
		$this->assertSame( self::comparable( $calm_snap ), self::comparable( $snap ) );
	}

	public function testUpdatesOnlyWaitForAHeldRowInOneAttempt(): void {
		list( $out, $attempts, $secs, $snap ) = $this->run_sync( 'notify', 4, true );
		list( , , , $calm_snap )              = $this->run_sync( null, 4, true );
		$this->assertSame( 3, $out['results']['success'], json_encode( $out ) );
		$this->assertSame( 1, $attempts );
		$this->assertGreaterThanOrEqual( 0.5, $secs, 'it waited for the row' );
		$this->assertSame( 0, $out['changes']['meta_rows_inserted'] );
		$this->assertSame( self::comparable( $calm_snap ), self::comparable( $snap ) );
	}

	/** A snapshot without what differs between two runs by nature (meta ids, post_modified times). */
	private static function comparable( array $snap ): array {
		array_walk_recursive(
			$snap,
			static function ( &$v, $k ) {
				if ( in_array( $k, array( 'meta_id', 'post_modified', 'post_modified_gmt' ), true ) ) {
					$v = null;
				}
			}
		);
		return $snap;
	}
}
