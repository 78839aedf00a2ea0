<?php
/**
 * The PHP engine is set-based: the number of SQL statements of a request does not grow with its items.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

final class QueryCountTest extends TestCase {

	/**
	 * Items for every product of the store fixture, at every location, by SKU and slug and by ids.
	 */
	private static function items( array $ids, int $repeat ): array {
		$items = array();
		for ( $r = 0; $r < $repeat; $r++ ) {
			foreach ( $ids['post'] as $key => $post_id ) {
				if ( 'page' === $key ) {
					continue;
				}
				foreach ( $ids['loc'] as $slug => $loc_id ) {
					$items[] = 0 === $r % 2
						? array( 'product_id' => $post_id, 'location_id' => $loc_id, 'stock' => 10 + $r, 'regular_price' => '99.00' )
						: array( 'product_id' => (string) $post_id, 'location_slug' => $slug, 'stock' => (string) ( 5 + $r ), 'sale_price' => '' );
				}
			}
		}
		return $items;
	}

	public function testQueryCountDoesNotGrowWithItems(): void {
		$store  = ContractStore::fromEnv();
		$counts = array();
		foreach ( array( 1, 8 ) as $repeat ) {
			$prepared = $store->prepare( array( 'name' => 'query count', 'expect' => array() ) );
			try {
				$options = ContractTest::engineOptions( $store, $prepared, 'tcp' );
				$items   = self::items( $prepared['ids'], $repeat );
				$adapter = new PhpEngineAdapter();
				$result  = $adapter->run( array( 'items' => $items ), $options );
				$this->assertArrayNotHasKey( 'error', $result, json_encode( $result ) );
				$this->assertSame( count( $items ), $result['results']['success'] + $result['results']['failed'] );
				$counts[ count( $items ) ] = $adapter->engine->query_count;
			} finally {
				$store->cleanup( $prepared );
			}
		}
		$values = array_values( $counts );
		fwrite( STDERR, "\nPHP engine SQL statements per request: " . json_encode( $counts ) . "\n" );
		$this->assertSame( $values[0], $values[1], 'statements per request by item count: ' . json_encode( $counts ) );
	}
}
