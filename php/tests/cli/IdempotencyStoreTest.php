<?php
/**
 * The idempotency store's life cycle inside a real WordPress (an e2e site's, WooCommerce active): activation
 * creates the table and the daily prune event, lazy creation, pruning, a 5xx releases the key, the TTL filter.
 * (Moved from the WP-CLI stand-in's Issue6CommandTest; Idempotency-Key over HTTP is tests/e2e/idempotency-routes-tests.php.)
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

final class IdempotencyStoreTest extends TestCase {

	// ------------------------------------------------------------------------------------------ idempotency store

	private static function table_exists(): bool {
		global $wpdb;
		return Mulopimfwc_Bulk_Sync_Idempotency::table() === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', Mulopimfwc_Bulk_Sync_Idempotency::table() ) );
	}

	private static function request( string $body, string $key ): WP_REST_Request {
		$r = new WP_REST_Request( 'POST', '/mulopimfwc/v1/inventory/bulk-sync' );
		$r->set_body( $body );
		$r->set_header( 'Idempotency-Key', $key );
		return $r;
	}

	public function testActivationCreatesTheTableAndTheDailyPrune(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Mulopimfwc_Bulk_Sync_Idempotency::table() );
		wp_clear_scheduled_hook( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK );
		$this->assertFalse( self::table_exists() );
		do_action( 'activate_' . plugin_basename( MULOPIMFWC_BULK_SYNC_FILE ) );
		$this->assertTrue( self::table_exists(), 'activation (register_activation_hook) creates the table' );
		$this->assertNotFalse( wp_next_scheduled( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) );
		$this->assertSame( 'daily', wp_get_schedule( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) );
		$this->assertTrue( has_action( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) > 0 || false !== has_action( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ) );
		Mulopimfwc_Bulk_Sync_Idempotency::create_table(); // dbDelta again: a no-op.
		$this->assertTrue( self::table_exists() );
	}

	public function testTableIsCreatedLazilyAndExpiredRowsArePruned(): void {
		global $wpdb;
		$wpdb->query( 'DROP TABLE IF EXISTS ' . Mulopimfwc_Bulk_Sync_Idempotency::table() );
		$calls = 0;
		$r     = Mulopimfwc_Bulk_Sync_Idempotency::run(
			self::request( '{"a":1}', 'lazy-' . uniqid() ),
			'test:1',
			function () use ( &$calls ) {
				++$calls;
				return new WP_REST_Response( array( 'ok' => true ), 200 );
			}
		);
		$this->assertSame( 200, $r->get_status() );
		$this->assertSame( 1, $calls );
		$this->assertTrue( self::table_exists(), 'created on first use' );

		$t = Mulopimfwc_Bulk_Sync_Idempotency::table();
		$wpdb->query( "INSERT INTO $t (key_hash, scope, request_hash, state, status_code, response, created_at, expires_at) VALUES (REPEAT('a', 64), 'test:1', REPEAT('b', 64), 'done', 200, '{}', '2001-01-01 00:00:00', '2001-01-02 00:00:00')" );
		$before = (int) $wpdb->get_var( "SELECT COUNT(*) FROM $t" );
		do_action( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK ); // The daily event.
		$this->assertSame( $before - 1, (int) $wpdb->get_var( "SELECT COUNT(*) FROM $t" ), 'the expired row is pruned, the live one stays' );

		// Opportunistic pruning: with the odds at 1 in 1, any request with a key prunes.
		$wpdb->query( "INSERT INTO $t (key_hash, scope, request_hash, state, status_code, response, created_at, expires_at) VALUES (REPEAT('c', 64), 'test:1', REPEAT('b', 64), 'done', 200, '{}', '2001-01-01 00:00:00', '2001-01-02 00:00:00')" );
		$always = static fn () => 1;
		add_filter( 'mulopimfwc_idempotency_prune_chance', $always );
		Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{}', 'prune-' . uniqid() ), 'test:1', fn () => new WP_REST_Response( array(), 200 ) );
		remove_filter( 'mulopimfwc_idempotency_prune_chance', $always );
		$this->assertSame( '0', (string) $wpdb->get_var( "SELECT COUNT(*) FROM $t WHERE key_hash = REPEAT('c', 64)" ) );
	}

	public function testA5xxReleasesTheKeyAndA2xxIsReplayedWithTheTtlFilter(): void {
		$key   = 'five-' . uniqid();
		$calls = 0;
		$fail  = function () use ( &$calls ) {
			++$calls;
			return new WP_Error( 'mulopimfwc_db_error', 'down', array( 'status' => 503 ) );
		};
		$ok    = function () use ( &$calls ) {
			++$calls;
			return new WP_REST_Response( array( 'n' => $calls ), 200 );
		};
		$r1 = Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:2', $fail );
		$this->assertInstanceOf( WP_Error::class, $r1 );
		$r2 = Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:2', $ok );
		$this->assertSame( array( 'n' => 2 ), $r2->get_data(), 'after a 503 the retry runs' );
		$r3 = Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:2', $ok );
		$this->assertSame( 2, $calls, 'the 200 is replayed, the handler does not run again' );
		$this->assertEquals( (object) array( 'n' => 2 ), $r3->get_data() );
		$this->assertSame( 'true', $r3->get_headers()['Idempotent-Replayed'] ?? null );
		// Another principal with the same key runs.
		Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{"x":1}', $key ), 'test:3', $ok );
		$this->assertSame( 3, $calls );

		// The retention window is the filter's.
		global $wpdb;
		$ttl = static fn () => 120;
		add_filter( 'mulopimfwc_idempotency_ttl', $ttl );
		$k2 = 'ttl-' . uniqid();
		Mulopimfwc_Bulk_Sync_Idempotency::run( self::request( '{}', $k2 ), 'test:2', $ok );
		remove_filter( 'mulopimfwc_idempotency_ttl', $ttl );
		$t    = Mulopimfwc_Bulk_Sync_Idempotency::table();
		$secs = (int) $wpdb->get_var( $wpdb->prepare( "SELECT TIMESTAMPDIFF(SECOND, created_at, expires_at) FROM $t WHERE key_hash = %s", hash( 'sha256', "test:2\n" . $k2 ) ) );
		$this->assertSame( 120, $secs );
		$this->assertSame( DAY_IN_SECONDS, Mulopimfwc_Bulk_Sync_Idempotency::ttl(), 'default 24 h' );
	}
}
