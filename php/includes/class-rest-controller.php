<?php
/**
 * The REST route: POST mulopimfwc/v1/inventory/bulk-sync.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Serves the bulk sync route, in place of the location plugin's own registration of it.
 */
class Mulopimfwc_Bulk_Sync_REST_Controller {

	const REST_NAMESPACE = 'mulopimfwc/v1';
	const ROUTE          = '/inventory/bulk-sync';

	/**
	 * Registered after the location plugin (which registers the same route at the default priority 10).
	 */
	const PRIORITY = 999;

	/**
	 * Engine.
	 *
	 * @var Mulopimfwc_Bulk_Sync_Engine
	 */
	private $engine;

	/**
	 * Constructor.
	 *
	 * @param Mulopimfwc_Bulk_Sync_Engine $engine Engine.
	 */
	public function __construct( $engine ) {
		$this->engine = $engine;
	}

	/**
	 * Hook into WordPress.
	 */
	public function hooks() {
		add_action( 'rest_api_init', array( $this, 'register_routes' ), self::PRIORITY );
		add_filter( 'rest_request_before_callbacks', array( $this, 'authenticate_before_body_errors' ), 10, 3 );
	}

	/**
	 * WordPress validates a JSON body (rest_invalid_json, 400) before it runs the permission callback: for our
	 * route, an unauthenticated request gets the 401/403 instead, so nothing about the body is answered to it.
	 *
	 * @param WP_REST_Response|WP_HTTP_Response|WP_Error|mixed $response Result so far (a WP_Error here when the body failed validation).
	 * @param array                                            $handler  Route handler.
	 * @param WP_REST_Request                                  $request  Request.
	 * @return mixed
	 */
	public function authenticate_before_body_errors( $response, $handler, $request ) {
		if ( ! is_wp_error( $response ) || ! isset( $handler['callback'] ) || ! is_array( $handler['callback'] )
			|| $this !== $handler['callback'][0] || 'bulk_sync' !== $handler['callback'][1] ) {
			return $response;
		}
		$allowed = $this->permissions_check( $request );
		return is_wp_error( $allowed ) ? $allowed : $response;
	}

	/**
	 * Register the route, replacing any earlier registration of it.
	 */
	public function register_routes() {
		register_rest_route(
			self::REST_NAMESPACE,
			self::ROUTE,
			array(
				array(
					'methods'             => 'POST',
					'callback'            => array( $this, 'bulk_sync' ),
					'permission_callback' => array( $this, 'permissions_check' ),
				),
			),
			true
		);
	}

	/**
	 * X-API-Key against the stored key (constant time; an empty stored key matches nothing), or a user who
	 * can manage WooCommerce.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function permissions_check( $request ) {
		$given  = $request->get_header( 'x_api_key' );
		$stored = get_option( 'mulopimfwc_api_key', '' );
		$stored = is_string( $stored ) ? $stored : '';
		if ( is_string( $given ) && '' !== $given && '' !== $stored && hash_equals( $stored, $given ) ) {
			return true;
		}
		if ( current_user_can( 'manage_woocommerce' ) ) {
			return true;
		}
		if ( null === $given || '' === $given ) {
			if ( ! is_user_logged_in() ) {
				return new WP_Error(
					'rest_forbidden',
					__( 'Authentication required: send the X-API-Key header.', 'mulopimfwc-bulk-sync' ),
					array( 'status' => 401 )
				);
			}
			return new WP_Error(
				'rest_forbidden',
				__( 'Sorry, you are not allowed to sync inventory.', 'mulopimfwc-bulk-sync' ),
				array( 'status' => 403 )
			);
		}
		return new WP_Error(
			'rest_forbidden',
			__( 'Invalid API key.', 'mulopimfwc-bulk-sync' ),
			array( 'status' => 403 )
		);
	}

	/**
	 * Run the sync on the raw body.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function bulk_sync( $request ) {
		$engine_name = $this->engine->name();
		$result      = $this->engine->run( (string) $request->get_body() );

		if ( is_wp_error( $result ) ) {
			$result->add_data( array_merge( (array) $result->get_error_data(), array( 'engine' => $engine_name ) ) );
			$response = rest_convert_error_to_response( $result );
			$response->header( 'X-Mulopimfwc-Engine', $engine_name );
			return $response;
		}

		Mulopimfwc_Bulk_Sync_Cache::after_sync(
			$result,
			array(
				'source' => 'rest',
				'items'  => isset( $result['results'] ) ? (int) $result['results']['success'] + (int) $result['results']['failed'] : 0,
			)
		);

		$engine = isset( $result['engine'] ) ? (string) $result['engine'] : $engine_name;
		$body   = array(
			'success' => true,
			'message' => $result['message'],
			'results' => $result['results'],
			'engine'  => $engine,
		);

		$response = new WP_REST_Response( $body, 200 );
		$response->header( 'X-Mulopimfwc-Engine', 'native' === $engine ? 'native' : 'php' );
		return $response;
	}
}
