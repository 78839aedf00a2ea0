<?php
/**
 * The contract suite's adapter for the plugin's PHP engine, running inside WordPress (SHORTINIT).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

/**
 * Runs Mulopimfwc_Bulk_Sync_PHP_Engine on the case's database through $wpdb.
 */
final class PhpEngineAdapter implements EngineAdapter {

	/**
	 * The engine of the last run (its query_count is read by QueryCountTest).
	 *
	 * @var \Mulopimfwc_Bulk_Sync_PHP_Engine|null
	 */
	public ?\Mulopimfwc_Bulk_Sync_PHP_Engine $engine = null;

	public function name(): string {
		return 'php';
	}

	public function available(): bool {
		return class_exists( '\Mulopimfwc_Bulk_Sync_PHP_Engine' ) && isset( $GLOBALS['wpdb'] );
	}

	/**
	 * Point $wpdb at the case's database and prefix, forget cached options.
	 *
	 * @param array $options Engine options (db_name, table_prefix).
	 */
	public static function use_database( array $options ): void {
		global $wpdb;
		mysqli_report( MYSQLI_REPORT_OFF ); // As wpdb runs it (ContractStore's connections switch strict reporting on).
		$wpdb->select( $options['db_name'] );
		$wpdb->set_prefix( $options['table_prefix'] ?? 'wp_' );
		wp_cache_flush();
	}

	public function run( string|array $payload, array $options ): array {
		self::use_database( $options );
		$engine_options = $options;
		foreach ( array( 'db_host', 'db_user', 'db_password', 'db_name', 'db_charset' ) as $k ) {
			unset( $engine_options[ $k ] ); // The PHP engine uses WordPress's own connection.
		}
		$this->engine = new \Mulopimfwc_Bulk_Sync_PHP_Engine();
		$result       = $this->engine->run( $payload, $engine_options );
		if ( $result instanceof \WP_Error ) {
			$data = $result->get_error_data();
			return array(
				'error' => array(
					'code'    => $result->get_error_code(),
					'status'  => is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 0,
					'message' => $result->get_error_message(),
				),
			);
		}
		return $result;
	}
}
