<?php
/**
 * The REST routes: POST mulopimfwc/v1/inventory/bulk-sync, POST inventory/update, POST webhook/inventory-update,
 * GET inventory/export.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Serves the sync routes, in place of the location plugin's own registrations of them.
 */
class Mulopimfwc_Bulk_Sync_REST_Controller {

	const REST_NAMESPACE = 'mulopimfwc/v1';
	const ROUTE          = '/inventory/bulk-sync';
	const ROUTE_UPDATE   = '/inventory/update';
	const ROUTE_WEBHOOK  = '/webhook/inventory-update';
	const ROUTE_EXPORT   = '/inventory/export';

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
		// WooCommerce REST API keys (consumer key and secret) on our routes, through WooCommerce's own authentication.
		Mulopimfwc_Bulk_Sync_WC_Auth::hooks();
		add_filter( 'rest_pre_dispatch', array( $this, 'authenticate_before_dispatch' ), -1000, 3 );
		add_filter( 'rest_pre_serve_request', array( $this, 'serve_csv' ), 10, 4 );
		add_filter( 'rest_post_dispatch', array( $this, 'add_server_timing' ), 10, 3 );
	}

	/**
	 * A `Server-Timing` header on every response of the write routes (bulk-sync, inventory/update, the webhook;
	 * dry runs and errors too) for which the engine ran: the engine's phases, the plugin's follow-ons and the
	 * request's total (from PHP's request start), e.g.
	 * `parse;dur=1.204, resolve;dur=3.010, lock;dur=0.802, read;dur=2.113, plan;dur=0.950, write;dur=4.377,
	 * follow-ons;dur=12.480, total;dur=61.925` (milliseconds; see Mulopimfwc_Bulk_Sync_Engine::last_timings()).
	 * A request the engine did not run for (refused, invalid before the engine, an idempotent replay) has none.
	 *
	 * @param WP_HTTP_Response|mixed $response Response (errors are converted before this filter).
	 * @param WP_REST_Server         $server   Server.
	 * @param WP_REST_Request        $request  Request.
	 * @return WP_HTTP_Response|mixed
	 */
	public function add_server_timing( $response, $server, $request ) {
		if ( ! ( $response instanceof WP_HTTP_Response ) || ! ( $request instanceof WP_REST_Request ) ) {
			return $response;
		}
		$timings = $this->engine->last_timings();
		if ( ! is_array( $timings ) ) {
			return $response;
		}
		$route = strtolower( untrailingslashit( (string) $request->get_route() ) );
		$ns    = '/' . self::REST_NAMESPACE;
		if ( ! in_array( $route, array( strtolower( $ns . self::ROUTE ), strtolower( $ns . self::ROUTE_UPDATE ), strtolower( $ns . self::ROUTE_WEBHOOK ) ), true ) ) {
			return $response;
		}
		// The request's total, from PHP's start of it (WordPress's own loading included).
		$start = isset( $_SERVER['REQUEST_TIME_FLOAT'] ) ? (float) $_SERVER['REQUEST_TIME_FLOAT'] : 0.0;
		if ( $start > 0 ) {
			$request_ms = ceil( ( microtime( true ) - $start ) * 1000000 ) / 1000;
			if ( $request_ms > 0 && $request_ms < 86400000 ) {
				$timings['total'] = max( isset( $timings['total'] ) ? (float) $timings['total'] : 0.0, $request_ms );
			}
		}
		$response->header( 'Server-Timing', Mulopimfwc_Bulk_Sync_Engine::server_timing( $timings ) );
		return $response;
	}

	/**
	 * Our routes and their permission checks, by lower-cased route: [methods, permission callback method].
	 *
	 * @return array
	 */
	private static function route_permissions() {
		$ns = '/' . self::REST_NAMESPACE;
		return array(
			strtolower( $ns . self::ROUTE )         => array( array( 'POST' ), 'permissions_check' ),
			strtolower( $ns . self::ROUTE_UPDATE )  => array( array( 'POST' ), 'permissions_check' ),
			strtolower( $ns . self::ROUTE_WEBHOOK ) => array( array( 'POST' ), 'webhook_permissions_check' ),
			strtolower( $ns . self::ROUTE_EXPORT )  => array( array( 'GET', 'HEAD' ), 'permissions_check' ),
		);
	}

	/**
	 * Authenticate requests to our routes before WordPress dispatches them: WordPress parses and validates a
	 * JSON body (has_valid_params(): json_decode of the whole body, rest_invalid_json 400) before it runs the
	 * permission callback. Here, on `rest_pre_dispatch`, an unauthenticated or wrongly authenticated request
	 * gets its 401/403 before anything reads the body, so nothing about the body is answered to it and it
	 * cannot make PHP parse a large body. Authenticated requests go on as usual (the route's
	 * permission_callback runs again, as WordPress always does; no query: the options are cached).
	 *
	 * @param mixed           $result  Response so far (null unless another filter answered).
	 * @param WP_REST_Server  $server  Server.
	 * @param WP_REST_Request $request Request.
	 * @return mixed
	 */
	public function authenticate_before_dispatch( $result, $server, $request ) {
		if ( ! empty( $result ) || ! ( $request instanceof WP_REST_Request ) ) {
			return $result;
		}
		$route  = strtolower( untrailingslashit( (string) $request->get_route() ) );
		$routes = self::route_permissions();
		if ( ! isset( $routes[ $route ] ) || ! in_array( strtoupper( (string) $request->get_method() ), $routes[ $route ][0], true ) ) {
			return $result; // Not ours (or a method the route does not serve: WordPress answers that).
		}
		$allowed = call_user_func( array( $this, $routes[ $route ][1] ), $request );
		if ( is_wp_error( $allowed ) ) {
			return $allowed;
		}
		if ( true !== $allowed ) {
			return new WP_Error(
				'rest_forbidden',
				__( 'Sorry, you are not allowed to do that.', 'mulopimfwc-bulk-sync' ),
				array( 'status' => rest_authorization_required_code() )
			);
		}
		return $result;
	}

	/**
	 * Register the routes, replacing any earlier registration of them.
	 */
	public function register_routes() {
		// Each route's args (the request) and schema (the answer): OPTIONS and the namespace index show them.
		// The args describe only (no validate/sanitize callbacks): see Mulopimfwc_Bulk_Sync_REST_Schema.
		require_once __DIR__ . '/class-rest-schema.php';
		$max    = $this->engine->max_items( $this->engine->uses_native() );
		$schema = 'Mulopimfwc_Bulk_Sync_REST_Schema';
		$routes = array(
			self::ROUTE         => array( 'POST', 'bulk_sync', 'permissions_check', $schema::bulk_sync_args( $max ), 'bulk_sync_schema' ),
			self::ROUTE_UPDATE  => array( 'POST', 'update_inventory', 'permissions_check', $schema::update_args(), 'update_schema' ),
			self::ROUTE_WEBHOOK => array( 'POST', 'webhook_inventory_update', 'webhook_permissions_check', $schema::webhook_args( $max ), 'webhook_schema' ),
			self::ROUTE_EXPORT  => array( 'GET', 'export_inventory', 'permissions_check', $schema::export_args(), 'export_schema' ),
		);
		foreach ( $routes as $route => $def ) {
			register_rest_route(
				self::REST_NAMESPACE,
				$route,
				array(
					array(
						'methods'             => $def[0],
						'callback'            => array( $this, $def[1] ),
						'permission_callback' => array( $this, $def[2] ),
						'args'                => $def[3],
					),
					'schema' => array( $schema, $def[4] ),
				),
				true
			);
		}
	}

	/**
	 * Whether the request carries the stored API key (constant time; an empty stored key matches nothing).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return bool
	 */
	private static function api_key_ok( $request ) {
		$given  = $request->get_header( 'x_api_key' );
		$stored = get_option( 'mulopimfwc_api_key', '' );
		$stored = is_string( $stored ) ? $stored : '';
		return is_string( $given ) && '' !== $given && '' !== $stored && hash_equals( $stored, $given );
	}

	/**
	 * Whether the request carries the stored webhook secret (constant time; an empty stored secret matches nothing).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return bool
	 */
	private static function webhook_secret_ok( $request ) {
		$given  = $request->get_header( 'x_webhook_secret' );
		$stored = get_option( 'mulopimfwc_webhook_secret', '' );
		$stored = is_string( $stored ) ? $stored : '';
		return is_string( $given ) && '' !== $given && '' !== $stored && hash_equals( $stored, $given );
	}

	/**
	 * X-API-Key against the stored key (constant time; an empty stored key matches nothing), or a user who
	 * can manage WooCommerce: logged in, by an application password, or the user of a WooCommerce REST API key
	 * (WooCommerce authenticated the key and, on rest_pre_dispatch after this check, refuses a key whose
	 * permission does not cover the method: a read key on a write route gets its 401
	 * woocommerce_rest_authentication_error; see Mulopimfwc_Bulk_Sync_WC_Auth).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function permissions_check( $request ) {
		$given = $request->get_header( 'x_api_key' );
		if ( self::api_key_ok( $request ) ) {
			return true;
		}
		if ( current_user_can( 'manage_woocommerce' ) ) {
			return true;
		}
		if ( null === $given || '' === $given ) {
			if ( ! is_user_logged_in() ) {
				return new WP_Error(
					'rest_forbidden',
					__( 'Authentication required: send the X-API-Key header or a WooCommerce REST API key.', 'mulopimfwc-bulk-sync' ),
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
	 * The webhook: X-Webhook-Secret against the option `mulopimfwc_webhook_secret`, or X-API-Key (as the location
	 * plugin checked them; an empty stored value matches nothing), or a WooCommerce REST API key whose user can
	 * manage WooCommerce. No logged-in user or application password, as before.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function webhook_permissions_check( $request ) {
		if ( self::webhook_secret_ok( $request ) || self::api_key_ok( $request ) ) {
			return true;
		}
		if ( Mulopimfwc_Bulk_Sync_WC_Auth::is_key_user() ) {
			if ( current_user_can( 'manage_woocommerce' ) ) {
				return true;
			}
			return new WP_Error(
				'rest_forbidden',
				__( 'Sorry, you are not allowed to sync inventory.', 'mulopimfwc-bulk-sync' ),
				array( 'status' => 403 )
			);
		}
		$secret = $request->get_header( 'x_webhook_secret' );
		$key    = $request->get_header( 'x_api_key' );
		if ( ( null === $secret || '' === $secret ) && ( null === $key || '' === $key ) ) {
			return new WP_Error(
				'rest_forbidden',
				__( 'Authentication required: send the X-Webhook-Secret or X-API-Key header.', 'mulopimfwc-bulk-sync' ),
				array( 'status' => 401 )
			);
		}
		return new WP_Error(
			'rest_forbidden',
			__( 'Invalid webhook secret or API key.', 'mulopimfwc-bulk-sync' ),
			array( 'status' => 403 )
		);
	}

	/**
	 * The authenticated principal, which scopes Idempotency-Keys: the API key (by a hash of it), the webhook
	 * secret, the WooCommerce REST API key (by its key_id), or the user.
	 *
	 * @param WP_REST_Request $request Request.
	 * @param bool            $webhook Whether the webhook's secret counts.
	 * @return string
	 */
	public static function principal( $request, $webhook = false ) {
		if ( self::api_key_ok( $request ) ) {
			return 'key:' . substr( hash( 'sha256', (string) $request->get_header( 'x_api_key' ) ), 0, 32 );
		}
		if ( $webhook && self::webhook_secret_ok( $request ) ) {
			return 'webhook:' . substr( hash( 'sha256', (string) $request->get_header( 'x_webhook_secret' ) ), 0, 32 );
		}
		$wc_key = Mulopimfwc_Bulk_Sync_WC_Auth::principal();
		if ( null !== $wc_key ) {
			return $wc_key;
		}
		return 'user:' . (int) get_current_user_id();
	}

	/**
	 * `?dry_run=` of the query string (not the body's dry_run, which the engine reads): 1/true/yes or empty →
	 * true, 0/false/no → false, absent → false; anything else is a 400.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return bool|WP_Error
	 */
	public static function query_dry_run( $request ) {
		$query = $request->get_query_params();
		if ( ! isset( $query['dry_run'] ) ) {
			return false;
		}
		$v = is_scalar( $query['dry_run'] ) ? strtolower( trim( (string) $query['dry_run'] ) ) : 'x';
		if ( in_array( $v, array( '', '1', 'true', 'yes' ), true ) ) {
			return true;
		}
		if ( in_array( $v, array( '0', 'false', 'no' ), true ) ) {
			return false;
		}
		return new WP_Error(
			'invalid_data',
			__( 'Invalid dry_run: use dry_run=1 or dry_run=0.', 'mulopimfwc-bulk-sync' ),
			array( 'status' => 400 )
		);
	}

	/**
	 * The common frame of the write routes: `?dry_run=` read (a bad value is a 400), then the handler
	 * run under the request's Idempotency-Key (if any), with the dry-run flag.
	 *
	 * @param WP_REST_Request $request   Request.
	 * @param string          $principal Who is asking (scopes the idempotency key).
	 * @param callable        $handler   function ( bool $dry ): WP_REST_Response|WP_Error.
	 * @return WP_REST_Response|WP_Error
	 */
	private function idempotent( $request, $principal, $handler ) {
		$dry = self::query_dry_run( $request );
		if ( is_wp_error( $dry ) ) {
			return $dry;
		}
		return Mulopimfwc_Bulk_Sync_Idempotency::run(
			$request,
			$principal,
			function () use ( $handler, $dry ) {
				return $handler( $dry );
			}
		);
	}

	/**
	 * POST inventory/bulk-sync: run the sync on the raw body.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function bulk_sync( $request ) {
		return $this->idempotent(
			$request,
			self::principal( $request ),
			function ( $dry ) use ( $request ) {
				return $this->sync_response( (string) $request->get_body(), $dry, 'rest' );
			}
		);
	}

	/**
	 * Run a sync and answer with the bulk-sync response.
	 *
	 * @param string|array $payload Body.
	 * @param bool         $dry     Dry run (from the query string).
	 * @param string       $source  Where the request came from (for the completion action).
	 * @return WP_REST_Response
	 */
	private function sync_response( $payload, $dry, $source ) {
		$engine_name = $this->engine->name();
		$result      = $this->engine->run( $payload, $dry ? array( 'dry_run' => true ) : array(), array( 'source' => $source ) );
		if ( is_wp_error( $result ) ) {
			return $this->error_response( $result, $engine_name );
		}

		$engine = isset( $result['engine'] ) ? (string) $result['engine'] : $engine_name;
		$body   = array(
			'success' => true,
			'message' => $result['message'],
			'results' => $result['results'],
		);
		if ( isset( $result['dry_run'] ) ) {
			$body['dry_run'] = (bool) $result['dry_run'];
		}
		if ( isset( $result['changes'] ) ) {
			$body['changes'] = $result['changes'];
		}
		$body['engine'] = $engine;

		$response = new WP_REST_Response( $body, 200 );
		$response->header( 'X-Mulopimfwc-Engine', 'native' === $engine ? 'native' : 'php' );
		return $response;
	}

	/**
	 * A whole-request error as a response (with the engine named).
	 *
	 * @param WP_Error $error       Error.
	 * @param string   $engine_name Engine.
	 * @return WP_REST_Response
	 */
	private function error_response( $error, $engine_name ) {
		$error->add_data( array_merge( (array) $error->get_error_data(), array( 'engine' => $engine_name ) ) );
		$response = rest_convert_error_to_response( $error );
		$response->header( 'X-Mulopimfwc-Engine', $engine_name );
		return $response;
	}

	/**
	 * Run one item (the body of inventory/update and of the webhook's single-item form) through the engine.
	 *
	 * @param string $body   The item as JSON text.
	 * @param bool   $dry    Dry run.
	 * @param string $source Source.
	 * @return array|WP_Error ['ok' => bool, 'result' => engine result, 'failure' => items_failed entry or null].
	 */
	private function run_one( $body, $dry, $source ) {
		// The item's own JSON text inside an items array: numbers keep their exact text through the engine.
		$result = $this->engine->run( '{"items":[' . $body . ']}', $dry ? array( 'dry_run' => true ) : array(), array( 'source' => $source ) );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$failed = isset( $result['results']['items_failed'][0] ) ? $result['results']['items_failed'][0] : null;
		return array(
			'ok'      => ! $failed && (int) $result['results']['success'] > 0,
			'result'  => $result,
			'failure' => $failed,
		);
	}

	/**
	 * POST inventory/update: one item as the body, answered as the location plugin answered it.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function update_inventory( $request ) {
		return $this->idempotent(
			$request,
			self::principal( $request ),
			function ( $dry ) use ( $request ) {
				$body = trim( (string) $request->get_body() );
				$item = json_decode( $body, false, 512, JSON_BIGINT_AS_STRING );
				if ( '' === $body || JSON_ERROR_NONE !== json_last_error() ) {
					return new WP_Error( 'invalid_data', __( 'Invalid data: the body must be one item as a JSON object.', 'mulopimfwc-bulk-sync' ), array( 'status' => 400 ) );
				}
				$engine_name = $this->engine->name();
				$one         = $this->run_one( $body, $dry, 'rest-update' );
				if ( is_wp_error( $one ) ) {
					return $this->error_response( $one, $engine_name );
				}
				if ( ! $one['ok'] ) {
					return self::item_error( 'update_failed', $one['failure'] );
				}
				$body = array(
					'success' => true,
					'message' => __( 'Inventory updated successfully.', 'mulopimfwc-bulk-sync' ),
					'data'    => $this->item_data( $item ),
				);
				if ( $dry ) {
					$body['dry_run'] = true;
				}
				$response = new WP_REST_Response( $body, 200 );
				$response->header( 'X-Mulopimfwc-Engine', $engine_name );
				return $response;
			}
		);
	}

	/**
	 * POST webhook/inventory-update: a single item (answered as the location plugin answered it) or
	 * {"items": [...]} (answered as bulk-sync).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function webhook_inventory_update( $request ) {
		return $this->idempotent(
			$request,
			self::principal( $request, true ),
			function ( $dry ) use ( $request ) {
				$body = trim( (string) $request->get_body() );
				$data = json_decode( $body, false, 512, JSON_BIGINT_AS_STRING );
				if ( $data instanceof stdClass && property_exists( $data, 'items' ) ) {
					return $this->sync_response( $body, $dry, 'webhook' );
				}
				if ( ! ( $data instanceof stdClass ) || ( ! isset( $data->product_id ) && ! isset( $data->sku ) ) ) {
					return new WP_Error( 'invalid_data', __( 'Invalid webhook data format.', 'mulopimfwc-bulk-sync' ), array( 'status' => 400 ) );
				}
				$engine_name = $this->engine->name();
				$one         = $this->run_one( $body, $dry, 'webhook' );
				if ( is_wp_error( $one ) ) {
					return $this->error_response( $one, $engine_name );
				}
				if ( ! $one['ok'] ) {
					return self::item_error( 'webhook_failed', $one['failure'] );
				}
				$item_data = $this->item_data( $data );
				if ( ! $dry ) {
					/**
					 * Fires after the webhook updated one item (as the location plugin fired it).
					 *
					 * @param array $item_data product_id, location_id, sku.
					 * @param array $data      The webhook's body.
					 */
					do_action( 'mulopimfwc_webhook_inventory_updated', $item_data, json_decode( $body, true ) );
				}
				$out = array(
					'success' => true,
					'message' => __( 'Inventory updated via webhook.', 'mulopimfwc-bulk-sync' ),
					'data'    => $item_data,
				);
				if ( $dry ) {
					$out['dry_run'] = true;
				}
				$response = new WP_REST_Response( $out, 200 );
				$response->header( 'X-Mulopimfwc-Engine', $engine_name );
				return $response;
			}
		);
	}

	/**
	 * The failed item as the old routes' WP_Error (its message), with its code and field beside the status.
	 *
	 * @param string     $code    update_failed | webhook_failed.
	 * @param array|null $failure items_failed entry.
	 * @return WP_Error
	 */
	private static function item_error( $code, $failure ) {
		$data = array( 'status' => 400 );
		if ( is_array( $failure ) ) {
			$data['item_code'] = $failure['code'];
			$data['field']     = $failure['field'];
		}
		return new WP_Error( $code, is_array( $failure ) ? (string) $failure['message'] : __( 'The item was not applied.', 'mulopimfwc-bulk-sync' ), $data );
	}

	/**
	 * What the old routes answered for an applied item: its product id, location id and the product's SKU.
	 *
	 * @param stdClass $item The applied item (valid: the engine accepted it).
	 * @return array
	 */
	private function item_data( $item ) {
		global $wpdb;
		$product_id = null;
		if ( isset( $item->product_id ) && '' !== $item->product_id ) {
			$product_id = Mulopimfwc_Bulk_Sync_PHP_Engine::parse_positive_int( is_int( $item->product_id ) ? $item->product_id : (string) $item->product_id );
		}
		if ( null === $product_id && isset( $item->sku ) && is_scalar( $item->sku ) ) {
			$product_id = (int) $wpdb->get_var(
				$wpdb->prepare(
					"SELECT p.ID FROM {$wpdb->postmeta} pm JOIN {$wpdb->posts} p ON p.ID = pm.post_id
					WHERE pm.meta_key = '_sku' AND pm.meta_value = %s AND p.post_type IN ('product','product_variation') AND p.post_status <> 'trash'
					ORDER BY p.ID LIMIT 1",
					(string) $item->sku
				)
			);
		}
		$location_id = null;
		if ( isset( $item->location_id ) && '' !== $item->location_id ) {
			$location_id = Mulopimfwc_Bulk_Sync_PHP_Engine::parse_positive_int( is_int( $item->location_id ) ? $item->location_id : (string) $item->location_id );
		}
		if ( null === $location_id && isset( $item->location_slug ) && is_string( $item->location_slug ) ) {
			$location_id = (int) $wpdb->get_var(
				$wpdb->prepare(
					"SELECT t.term_id FROM {$wpdb->terms} t JOIN {$wpdb->term_taxonomy} tt ON tt.term_id = t.term_id
					WHERE tt.taxonomy = %s AND t.slug = %s ORDER BY t.term_id LIMIT 1",
					Mulopimfwc_Bulk_Sync_PHP_Engine::LOCATION_TAXONOMY,
					Mulopimfwc_Bulk_Sync_PHP_Engine::normalize_slug( $item->location_slug )
				)
			);
		}
		$sku = $product_id ? $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_sku' ORDER BY meta_id LIMIT 1", $product_id ) ) : null;
		return array(
			'product_id'  => (int) $product_id,
			'location_id' => (int) $location_id,
			'sku'         => null === $sku ? '' : (string) $sku,
		);
	}

	/**
	 * GET inventory/export: one page of per-location stock and prices, as JSON or CSV.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function export_inventory( $request ) {
		$format = $request->get_param( 'format' );
		$format = ( null === $format || '' === $format ) ? 'json' : strtolower( (string) $format );
		if ( ! in_array( $format, array( 'json', 'csv' ), true ) ) {
			return new WP_Error( 'rest_invalid_param', __( 'Invalid format: json or csv.', 'mulopimfwc-bulk-sync' ), array( 'status' => 400 ) );
		}
		$params = array();
		foreach ( array( 'location_id', 'page', 'per_page' ) as $p ) {
			$v = $request->get_param( $p );
			if ( null === $v || '' === $v ) {
				continue;
			}
			$n = Mulopimfwc_Bulk_Sync_Export::positive( is_scalar( $v ) ? ( is_int( $v ) ? $v : (string) $v ) : null );
			if ( null === $n ) {
				return new WP_Error(
					'rest_invalid_param',
					/* translators: %s: parameter name. */
					sprintf( __( 'Invalid %s: must be a positive integer.', 'mulopimfwc-bulk-sync' ), $p ),
					array(
						'status' => 400,
						'params' => array( $p ),
					)
				);
			}
			$params[ $p ] = $n;
		}
		$engine_name = $this->engine->export_engine_name();
		$result      = $this->engine->export( $params );
		if ( is_wp_error( $result ) ) {
			return $this->error_response( $result, $engine_name );
		}
		$total = (int) $result['total'];
		$pages = $result['per_page'] > 0 ? (int) ceil( $total / (int) $result['per_page'] ) : 0;
		if ( 'csv' === $format ) {
			$response = new Mulopimfwc_Bulk_Sync_CSV_Response( Mulopimfwc_Bulk_Sync_Export::to_csv( $result['data'] ), 200 );
			$response->header( 'Content-Type', 'text/csv; charset=utf-8' );
			$response->header( 'Content-Disposition', 'attachment; filename=inventory-export-' . gmdate( 'Y-m-d-His' ) . ( (int) $result['page'] > 1 ? '-page-' . (int) $result['page'] : '' ) . '.csv' );
		} else {
			$response = new WP_REST_Response(
				array(
					'success'  => true,
					'count'    => (int) $result['count'],
					'total'    => $total,
					'page'     => (int) $result['page'],
					'per_page' => (int) $result['per_page'],
					'data'     => $result['data'],
				),
				200
			);
		}
		$response->header( 'X-WP-Total', (string) $total );
		$response->header( 'X-WP-TotalPages', (string) $pages );
		$response->header( 'X-Mulopimfwc-Engine', $engine_name );
		return $response;
	}

	/**
	 * Serve a CSV export as it is (WordPress would JSON-encode it).
	 *
	 * @param bool             $served  Whether the request was served already.
	 * @param WP_HTTP_Response $result  Result.
	 * @param WP_REST_Request  $request Request.
	 * @param WP_REST_Server   $server  Server.
	 * @return bool
	 */
	public function serve_csv( $served, $result, $request, $server ) {
		if ( $served || ! ( $result instanceof Mulopimfwc_Bulk_Sync_CSV_Response ) || 'HEAD' === $request->get_method() ) {
			return $served;
		}
		echo $result->get_data(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- CSV, served as text/csv.
		return true;
	}
}

/**
 * A REST response whose data is CSV text, served as it is (see serve_csv()).
 */
class Mulopimfwc_Bulk_Sync_CSV_Response extends WP_REST_Response {
}
