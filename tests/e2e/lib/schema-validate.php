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
 * With the request header `X-Schema-Measure: 1` on one of the plugin's routes: the cost of WordPress's handling of
 * the route's args (from rest_pre_dispatch to rest_request_before_callbacks: the JSON body parsed, the args checked
 * and sanitized), answered as a 418 `schema_measure` whose data has `ms`, `mem_growth` and `peak_growth` (bytes);
 * the route's callback never runs. `X-Schema-Args: none` measures the route without its args, `validated` with
 * WordPress's own validation and sanitizing of them (rest_validate_request_arg / rest_parse_request_arg).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * The validate route: each case's value checked by rest_validate_value_from_schema() against its schema.
 *
 * @param WP_REST_Request $request The request.
 * @return WP_REST_Response|WP_Error
 */
function mulopimfwc_schema_validate( $request ) {
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
}

// X-API-Key as the plugin's routes (mulopimfwc_e2e_route() of mulopimfwc-test-helpers.php, on every e2e site).
add_action( 'rest_api_init', static fn () => mulopimfwc_e2e_route( '/validate', 'POST', 'mulopimfwc_schema_validate', 'mulopimfwc-schema-test/v1' ) );

if ( isset( $_SERVER['HTTP_X_SCHEMA_MEASURE'] ) && '1' === $_SERVER['HTTP_X_SCHEMA_MEASURE'] ) {
	$variant = isset( $_SERVER['HTTP_X_SCHEMA_ARGS'] ) ? (string) $_SERVER['HTTP_X_SCHEMA_ARGS'] : 'declared';
	add_filter(
		'rest_endpoints',
		static function ( $endpoints ) use ( $variant ) {
			if ( 'none' !== $variant && 'validated' !== $variant ) {
				return $endpoints;
			}
			foreach ( $endpoints as $route => $handlers ) {
				foreach ( $handlers as $i => $handler ) {
					if ( 0 !== strpos( $route, '/mulopimfwc/v1/' ) || ! is_int( $i ) || empty( $handler['args'] ) ) {
						continue;
					}
					$args = array();
					foreach ( 'none' === $variant ? array() : $handler['args'] as $name => $arg ) {
						unset( $arg['sanitize_callback'] ); // WordPress's default: rest_parse_request_arg for an arg with a type.
						// Every item validated, whatever the engine's item limit (the PHP engine's 1,000 would stop
						// WordPress at the count, before it looks at any item).
						unset( $arg['maxItems'] );
						$args[ $name ] = array_merge( $arg, array( 'validate_callback' => 'rest_validate_request_arg' ) );
					}
					$endpoints[ $route ][ $i ]['args'] = $args;
				}
			}
			return $endpoints;
		}
	);
	add_filter(
		'rest_pre_dispatch',
		static function ( $result ) {
			$GLOBALS['mulopimfwc_schema_measure'] = array( microtime( true ), memory_get_usage(), memory_get_peak_usage() );
			return $result;
		},
		-5000
	);
	add_filter(
		'rest_request_before_callbacks',
		static function ( $response ) {
			$t = microtime( true );
			$m = isset( $GLOBALS['mulopimfwc_schema_measure'] ) ? $GLOBALS['mulopimfwc_schema_measure'] : array( $t, 0, 0 );
			return new WP_Error(
				'schema_measure',
				is_wp_error( $response ) ? $response->get_error_code() : 'measured',
				array(
					'status'      => 418,
					'ms'          => round( ( $t - $m[0] ) * 1000, 3 ),
					'mem_growth'  => memory_get_usage() - $m[1],
					'peak_growth' => memory_get_peak_usage() - $m[2],
				)
			);
		},
		1
	);
}
