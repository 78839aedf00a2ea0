<?php
/**
 * Plugin Name: mulopimfwc schema test helper
 * Description: TEST SITES ONLY (copied into wp-content/mu-plugins by tests/e2e/schema-tests.php, removed after).
 *
 * POST /wp-json/mulopimfwc-schema-test/v1/validate (X-API-Key as the plugin's routes) with
 * `{"cases": [{"name": "...", "schema": {...}, "value": ...}, ...]}`: each value checked by this WordPress's own
 * rest_validate_value_from_schema() against its schema. Answers `{"wp_version", "results": [{"name", "valid",
 * "code", "message", "doing_it_wrong": [...]}]}`; `doing_it_wrong` lists what WordPress said was wrong with the
 * schema itself (e.g. a schema without "type") while it validated.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'rest_api_init',
	static function () {
		register_rest_route(
			'mulopimfwc-schema-test/v1',
			'/validate',
			array(
				'methods'             => 'POST',
				'permission_callback' => static function ( $request ) {
					$key = (string) get_option( 'mulopimfwc_api_key', '' );
					return '' !== $key && hash_equals( $key, (string) $request->get_header( 'x_api_key' ) );
				},
				'callback'            => static function ( $request ) {
					$body  = json_decode( (string) $request->get_body(), true );
					$cases = is_array( $body ) && isset( $body['cases'] ) && is_array( $body['cases'] ) ? $body['cases'] : null;
					if ( null === $cases ) {
						return new WP_Error( 'bad_request', 'cases: an array expected', array( 'status' => 400 ) );
					}
					$wrong = array();
					$log   = static function ( $function_name, $message ) use ( &$wrong ) {
						$wrong[] = $function_name . ': ' . $message;
					};
					add_action( 'doing_it_wrong_run', $log, 10, 2 );
					$results = array();
					foreach ( $cases as $case ) {
						$wrong  = array();
						$schema = isset( $case['schema'] ) && is_array( $case['schema'] ) ? $case['schema'] : array();
						$value  = array_key_exists( 'value', $case ) ? $case['value'] : null;
						$valid  = rest_validate_value_from_schema( $value, $schema, 'response' );
						$results[] = array(
							'name'           => isset( $case['name'] ) ? (string) $case['name'] : '',
							'valid'          => true === $valid,
							'code'           => is_wp_error( $valid ) ? $valid->get_error_code() : null,
							'message'        => is_wp_error( $valid ) ? $valid->get_error_message() : null,
							'doing_it_wrong' => $wrong,
						);
					}
					remove_action( 'doing_it_wrong_run', $log, 10 );
					return new WP_REST_Response(
						array(
							'wp_version' => get_bloginfo( 'version' ),
							'results'    => $results,
						),
						200
					);
				},
			)
		);
	}
);
