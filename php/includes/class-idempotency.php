<?php
/**
 * Idempotent retries of the write routes: the `Idempotency-Key` request header.
 *
 * A request with a key claims it by inserting a 'pending' row keyed by (principal, key) — the primary key makes
 * the claim atomic, so of two concurrent requests with one key exactly one runs. When it ends, its response
 * (status and body) is stored with the row ('done'); a retry with the same key and the same request (method,
 * route, dry-run flag and body, hashed) within the retention window gets that response again, with
 * `Idempotent-Replayed: true`, and nothing runs or is written again. The same key with another request: 409
 * `idempotency_key_reused`; while the first still runs: 409 `idempotency_key_in_progress`. Only 2xx and 4xx
 * answers are kept: anything else (a 503 when the database failed) releases the key so the retry runs.
 *
 * Keys are scoped per authenticated principal (an API key, a webhook secret, a user id): one client cannot
 * replay, or block, another's. Rows are pruned by a daily cron event and, opportunistically, by 1 in 50 requests
 * that carry a key.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * The idempotency store and the wrapper the REST routes run their handlers through.
 */
class Mulopimfwc_Bulk_Sync_Idempotency {

	const TABLE          = 'mulopimfwc_idempotency';
	const CRON_HOOK      = 'mulopimfwc_idempotency_prune';
	const MAX_KEY_LENGTH = 255;

	/**
	 * Response headers kept with a stored response (and sent again on replay).
	 */
	const KEPT_HEADERS = array( 'X-Mulopimfwc-Engine', 'X-WP-Total', 'X-WP-TotalPages', 'Location' );

	/**
	 * The table name.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . self::TABLE;
	}

	/**
	 * Create (or upgrade) the table with dbDelta.
	 */
	public static function create_table() {
		global $wpdb;
		if ( ! function_exists( 'dbDelta' ) ) {
			require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		}
		$table   = self::table();
		$collate = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE {$table} (
  key_hash char(64) NOT NULL,
  scope varchar(100) NOT NULL DEFAULT '',
  request_hash char(64) NOT NULL,
  state varchar(10) NOT NULL DEFAULT 'pending',
  status_code smallint(5) unsigned NOT NULL DEFAULT 0,
  response longtext NULL,
  created_at datetime NOT NULL,
  expires_at datetime NOT NULL,
  PRIMARY KEY  (key_hash),
  KEY expires_at (expires_at)
) {$collate};"
		);
	}

	/**
	 * Activation: the table and the daily prune event.
	 */
	public static function activate() {
		self::create_table();
		self::schedule();
	}

	/**
	 * Deactivation: the prune event goes (the table stays, with its unexpired keys).
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::CRON_HOOK );
	}

	/**
	 * Schedule the daily prune when it is not.
	 */
	public static function schedule() {
		if ( function_exists( 'wp_next_scheduled' ) && ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::CRON_HOOK );
		}
	}

	/**
	 * Delete expired rows (and pending rows abandoned past the retention window).
	 *
	 * @return int Rows deleted.
	 */
	public static function prune() {
		global $wpdb;
		$table    = self::table();
		$suppress = $wpdb->suppress_errors( true );
		$n        = $wpdb->query( $wpdb->prepare( "DELETE FROM `{$table}` WHERE expires_at < %s", gmdate( 'Y-m-d H:i:s' ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->suppress_errors( $suppress );
		return (int) $n;
	}

	/**
	 * The retention window in seconds (filter `mulopimfwc_idempotency_ttl`, default 24 h).
	 *
	 * @return int
	 */
	public static function ttl() {
		/**
		 * Filters how long a stored response answers retries with the same Idempotency-Key.
		 *
		 * @param int $seconds Default DAY_IN_SECONDS (24 hours).
		 */
		return max( 1, (int) apply_filters( 'mulopimfwc_idempotency_ttl', DAY_IN_SECONDS ) );
	}

	/**
	 * After how long a 'pending' claim counts as abandoned (its request died) and may be taken over.
	 *
	 * @return int
	 */
	public static function pending_timeout() {
		/**
		 * Filters after how many seconds a claimed key whose request never finished may be claimed again.
		 *
		 * @param int $seconds Default 900 (longer than any request may run).
		 */
		return max( 1, (int) apply_filters( 'mulopimfwc_idempotency_pending_timeout', 900 ) );
	}

	/**
	 * Run a route handler under the request's Idempotency-Key (or straight, without one).
	 *
	 * @param WP_REST_Request $request Request.
	 * @param string          $scope   The authenticated principal ('key:…', 'webhook:…', 'wckey:ID' for a WooCommerce REST API key, 'user:ID').
	 * @param callable        $handler   Returns the route's WP_REST_Response|WP_Error.
	 * @param string|null     $body_hash SHA-256 (hex) of a body WordPress did not read (a job's streamed body),
	 *                                   which then stands for the body in the request's hash.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function run( $request, $scope, $handler, $body_hash = null ) {
		$key = $request->get_header( 'idempotency_key' );
		if ( null === $key ) {
			return $handler();
		}
		$key = (string) $key;
		if ( '' === $key || strlen( $key ) > self::MAX_KEY_LENGTH || ! preg_match( '/^[\x20-\x7E]+$/D', $key ) ) {
			return new WP_Error(
				'invalid_idempotency_key',
				/* translators: %d: maximum key length. */
				sprintf( __( 'Invalid Idempotency-Key: 1 to %d printable ASCII characters.', 'mulopimfwc-bulk-sync' ), self::MAX_KEY_LENGTH ),
				array( 'status' => 400 )
			);
		}

		/**
		 * Filters the odds of pruning expired keys during a request: 1 in N (1: every request).
		 *
		 * @param int $n Default 50.
		 */
		$chance = max( 1, (int) apply_filters( 'mulopimfwc_idempotency_prune_chance', 50 ) );
		if ( 1 === wp_rand( 1, $chance ) ) {
			self::prune();
		}

		$key_hash     = hash( 'sha256', $scope . "\n" . $key );
		$request_hash = self::request_hash( $request, $body_hash );
		$claim        = self::claim( $key_hash, $scope, $request_hash );
		if ( $claim instanceof WP_REST_Response || is_wp_error( $claim ) ) {
			return $claim;
		}

		/**
		 * Fires when a request has claimed its Idempotency-Key, just before its handler runs.
		 *
		 * @param WP_REST_Request $request Request.
		 */
		do_action( 'mulopimfwc_idempotency_claimed', $request );

		$result = null;
		try {
			$result = $handler();
		} finally {
			self::finish( $key_hash, $result );
		}
		return $result;
	}

	/**
	 * What makes two requests the same: method, route, the dry-run query flag and the body.
	 *
	 * @param WP_REST_Request $request   Request.
	 * @param string|null     $body_hash SHA-256 of a body read as a stream (see run()), or null.
	 * @return string
	 */
	public static function request_hash( $request, $body_hash = null ) {
		$query = $request->get_query_params();
		$dry   = isset( $query['dry_run'] ) ? (string) ( is_scalar( $query['dry_run'] ) ? $query['dry_run'] : 'x' ) : '';
		$type  = $request->get_content_type();
		$body  = null === $body_hash ? $request->get_body() : 'sha256:' . $body_hash . "\n" . ( is_array( $type ) && isset( $type['value'] ) ? $type['value'] : '' );
		return hash( 'sha256', $request->get_method() . ' ' . $request->get_route() . "\ndry_run=" . $dry . "\n" . $body );
	}

	/**
	 * Claim the key: true when this request may run, else the response to give (replay or 409).
	 *
	 * @param string $key_hash     Key hash (scope and key).
	 * @param string $scope        Principal.
	 * @param string $request_hash Request hash.
	 * @return true|WP_REST_Response|WP_Error
	 */
	private static function claim( $key_hash, $scope, $request_hash ) {
		global $wpdb;
		$table = self::table();
		for ( $attempt = 0; $attempt < 4; $attempt++ ) {
			$now      = time();
			$suppress = $wpdb->suppress_errors( true );
			$inserted = $wpdb->query(
				$wpdb->prepare(
					"INSERT IGNORE INTO `{$table}` (key_hash, scope, request_hash, state, status_code, response, created_at, expires_at) VALUES (%s, %s, %s, 'pending', 0, NULL, %s, %s)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$key_hash,
					substr( $scope, 0, 100 ),
					$request_hash,
					gmdate( 'Y-m-d H:i:s', $now ),
					gmdate( 'Y-m-d H:i:s', $now + self::ttl() )
				)
			);
			$error    = (string) $wpdb->last_error;
			$wpdb->suppress_errors( $suppress );
			if ( false === $inserted || '' !== $error ) {
				if ( 0 === $attempt && ! self::table_exists() ) {
					self::create_table(); // Lazily, when activation did not run (e.g. the plugin files were replaced).
					self::schedule();
					continue;
				}
				return self::store_error();
			}
			if ( 1 === (int) $inserted ) {
				return true;
			}
			$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM `{$table}` WHERE key_hash = %s", $key_hash ), ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( ! $row ) {
				continue; // Released or pruned in between: claim again.
			}
			$expires = strtotime( $row['expires_at'] . ' UTC' );
			if ( $expires <= $now ) {
				$wpdb->query( $wpdb->prepare( "DELETE FROM `{$table}` WHERE key_hash = %s AND expires_at = %s", $key_hash, $row['expires_at'] ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				continue;
			}
			if ( ! hash_equals( (string) $row['request_hash'], $request_hash ) ) {
				return new WP_Error(
					'idempotency_key_reused',
					__( 'This Idempotency-Key was already used for a different request. Use a new key for a new request.', 'mulopimfwc-bulk-sync' ),
					array( 'status' => 409 )
				);
			}
			if ( 'done' === $row['state'] ) {
				return self::replay( $row );
			}
			// Pending: still running, unless its request died long ago.
			$created = strtotime( $row['created_at'] . ' UTC' );
			if ( $created + self::pending_timeout() < $now ) {
				$taken = $wpdb->query(
					$wpdb->prepare(
						"UPDATE `{$table}` SET created_at = %s, expires_at = %s WHERE key_hash = %s AND state = 'pending' AND created_at = %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
						gmdate( 'Y-m-d H:i:s', $now ),
						gmdate( 'Y-m-d H:i:s', $now + self::ttl() ),
						$key_hash,
						$row['created_at']
					)
				);
				if ( 1 === (int) $taken ) {
					return true;
				}
			}
			return new WP_Error(
				'idempotency_key_in_progress',
				__( 'A request with this Idempotency-Key is still being processed. Retry later to get its response.', 'mulopimfwc-bulk-sync' ),
				array( 'status' => 409 )
			);
		}
		return self::store_error();
	}

	/**
	 * Store the outcome (2xx and 4xx), or release the key (anything else, so a retry runs).
	 *
	 * @param string                             $key_hash Key hash.
	 * @param WP_REST_Response|WP_Error|mixed|null $result  What the handler returned (null: it threw).
	 */
	private static function finish( $key_hash, $result ) {
		global $wpdb;
		$table    = self::table();
		$response = null;
		if ( is_wp_error( $result ) ) {
			$response = rest_convert_error_to_response( $result );
		} elseif ( null !== $result ) {
			$response = rest_ensure_response( $result );
		}
		$status   = $response ? (int) $response->get_status() : 500;
		$suppress = $wpdb->suppress_errors( true );
		if ( $status >= 200 && $status < 500 && ! ( $status >= 300 && $status < 400 ) ) {
			$headers = array();
			foreach ( $response->get_headers() as $name => $value ) {
				foreach ( self::KEPT_HEADERS as $kept ) {
					if ( 0 === strcasecmp( $name, $kept ) ) {
						$headers[ $kept ] = (string) $value;
					}
				}
			}
			$stored = wp_json_encode(
				array(
					'headers' => $headers,
					'body'    => $response->get_data(),
				)
			);
			if ( false !== $stored ) {
				$wpdb->query( $wpdb->prepare( "UPDATE `{$table}` SET state = 'done', status_code = %d, response = %s WHERE key_hash = %s", $status, $stored, $key_hash ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$wpdb->suppress_errors( $suppress );
				return;
			}
		}
		$wpdb->query( $wpdb->prepare( "DELETE FROM `{$table}` WHERE key_hash = %s AND state = 'pending'", $key_hash ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->suppress_errors( $suppress );
	}

	/**
	 * The stored response again.
	 *
	 * @param array $row Stored row.
	 * @return WP_REST_Response
	 */
	private static function replay( array $row ) {
		$stored   = json_decode( (string) $row['response'], false );
		$body     = is_object( $stored ) && property_exists( $stored, 'body' ) ? $stored->body : null;
		$response = new WP_REST_Response( $body, (int) $row['status_code'] );
		if ( is_object( $stored ) && isset( $stored->headers ) ) {
			foreach ( (array) $stored->headers as $name => $value ) {
				$response->header( $name, (string) $value );
			}
		}
		$response->header( 'Idempotent-Replayed', 'true' );
		return $response;
	}

	/**
	 * Whether the table exists.
	 *
	 * @return bool
	 */
	private static function table_exists() {
		global $wpdb;
		$table = self::table();
		return $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
	}

	/**
	 * The idempotency store could not be used: nothing ran, the client may retry.
	 *
	 * @return WP_Error
	 */
	private static function store_error() {
		return new WP_Error(
			'mulopimfwc_db_error',
			__( 'The request could not be registered for idempotent retries; nothing was changed. Please try again.', 'mulopimfwc-bulk-sync' ),
			array( 'status' => 503 )
		);
	}
}
