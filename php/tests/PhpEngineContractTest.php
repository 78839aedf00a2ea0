<?php
/**
 * Runs every case of tests/contract/cases/*.json through the plugin's PHP engine, exactly as
 * tests/php/ContractTest.php runs them through the native extension (same store, same verification).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

final class PhpEngineContractTest extends TestCase {

	private static ?ContractStore $store = null;
	private static ?array $cases         = null;

	private static function cases(): array {
		return self::$cases ??= ContractStore::loadCases( ContractStore::repoRoot() . '/tests/contract/cases' );
	}

	private static function store(): ContractStore {
		return self::$store ??= ContractStore::fromEnv();
	}

	public static function provideCases(): iterable {
		foreach ( self::cases() as $key => $case ) {
			if ( array_key_exists( 'raw_body', $case ) ) {
				yield "$key [raw]" => array( $key, 'raw' );
			} else {
				yield "$key [array]" => array( $key, 'array' );
				yield "$key [json]" => array( $key, 'json' );
			}
		}
	}

	/**
	 * @dataProvider provideCases
	 */
	public function testCase( string $key, string $mode ): void {
		$adapter = new PhpEngineAdapter();
		$case    = self::cases()[ $key ];
		if ( ! empty( $case['native_only'] ) ) {
			$this->markTestSkipped( 'case marked native_only' );
		}
		foreach ( array( 'db_host', 'db_user', 'db_password', 'db_name' ) as $k ) {
			if ( isset( $case['db_options'][ $k ] ) ) {
				// The PHP engine runs on WordPress's own connection: when WordPress cannot connect, WordPress
				// answers before any plugin runs. These cases test the native engine's own connection.
				$this->markTestSkipped( "db_options.$k: the PHP engine uses WordPress's connection" );
			}
		}
		$store    = self::store();
		$prepared = $store->prepare( $case );
		try {
			$c       = $prepared['case'];
			$payload = match ( $mode ) {
				'raw'   => $c['raw_body'],
				'array' => $c['request'],
				'json'  => json_encode( $c['request'], JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION ),
			};
			$options  = ContractTest::engineOptions( $store, $prepared, 'tcp' );
			$outcome  = $adapter->run( $payload, $options );
			$failures = $store->verify( $prepared, $outcome );
			if ( ! isset( $outcome['error'] ) ) {
				if ( ( $outcome['engine'] ?? null ) !== 'php' ) {
					$failures[] = "result.engine must be 'php'";
				}
			}
			$flags = JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR;
			unset( $options['db_password'] );
			$this->assertSame(
				array(),
				$failures,
				"Case: {$c['_file']}: {$c['name']} [$mode]\n"
				. 'Request: ' . substr( is_string( $payload ) ? $payload : (string) json_encode( $payload, $flags ), 0, 2000 ) . "\n"
				. 'Options: ' . json_encode( $options, $flags ) . "\n"
				. 'Outcome: ' . json_encode( $outcome, $flags ) . "\n"
				. "Failures:\n  - " . implode( "\n  - ", $failures )
			);
		} finally {
			$store->cleanup( $prepared );
		}
	}
}
