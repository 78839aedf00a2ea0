<?php
/**
 * WooCommerce REST API keys on our routes: WooCommerce's own REST authentication (WC_REST_Authentication) opted in
 * for the namespace mulopimfwc/v1.
 *
 * WooCommerce authenticates a request only when it decides the request is "to its REST API"
 * (WC_REST_Authentication::is_request_to_rest_api(): the URI holds `wp-json/wc/` or `wp-json/wc-`, then the filter
 * `woocommerce_rest_is_request_to_rest_api`). Saying yes for our namespace gives our routes all of it, unchanged:
 * HTTP Basic with the consumer key and secret over HTTPS, `consumer_key`/`consumer_secret` in the query string over
 * HTTPS, OAuth 1.0a one-legged (signature, timestamp, nonce) over plain HTTP, its 401 errors
 * (`woocommerce_rest_authentication_error`, `woocommerce_rest_authentication_missing_parameter`) and its check of
 * the key's permission against the HTTP method (read: GET/HEAD; write: POST/PUT/PATCH/DELETE) on
 * `rest_pre_dispatch`, before the route's callback runs. Nothing of that is re-implemented here.
 *
 * What this class adds: which key WooCommerce authenticated (the key id is the principal that scopes
 * Idempotency-Keys) and whether the current user was set by WooCommerce's key authentication (the webhook route
 * accepts a key, not a logged-in user). The key's user must still have `manage_woocommerce`: that is the
 * routes' own permission check (Mulopimfwc_Bulk_Sync_REST_Controller).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Opts our routes into WooCommerce's REST authentication and remembers what it authenticated.
 */
class Mulopimfwc_Bulk_Sync_WC_Auth {

	/**
	 * The key WooCommerce authenticated and let through for this request's method: [key_id, user_id], or null.
	 *
	 * @var array|null
	 */
	private static $key = null;

	/**
	 * The user WooCommerce's key authentication determined (0: none).
	 *
	 * @var int
	 */
	private static $key_user = 0;

	/**
	 * The current user as it came into WooCommerce's authentication (priority 15 of determine_current_user).
	 *
	 * @var int|false|null
	 */
	private static $user_before = null;

	/**
	 * Hook into WordPress and WooCommerce (harmless without WooCommerce: its filters are then never applied).
	 */
	public static function hooks() {
		add_filter( 'woocommerce_rest_is_request_to_rest_api', array( __CLASS__, 'is_request_to_rest_api' ) );
		// WooCommerce authenticates on determine_current_user at priority 15 (cookies come before, at 10;
		// application passwords after, at 20): a user that appears between 14 and 16 is WooCommerce's.
		add_filter( 'determine_current_user', array( __CLASS__, 'before_wc_authentication' ), 14 );
		add_filter( 'determine_current_user', array( __CLASS__, 'after_wc_authentication' ), 16 );
		// Applied by WooCommerce once the key passed its permission check (rest_pre_dispatch, priority 10), with the
		// key's id: recorded, the answer left as it is.
		add_filter( 'woocommerce_disable_rest_api_access_log', array( __CLASS__, 'note_key' ), PHP_INT_MAX, 3 );
	}

	/**
	 * `woocommerce_rest_is_request_to_rest_api`: yes for our namespace (`/wp-json/mulopimfwc/v1…` or
	 * `?rest_route=/mulopimfwc/v1…`, matched without regard to case, as WordPress matches routes).
	 *
	 * @param bool $is WooCommerce's own answer (its namespaces).
	 * @return bool
	 */
	public static function is_request_to_rest_api( $is ) {
		return $is || self::is_request_to_our_routes();
	}

	/**
	 * Whether the current HTTP request is to our namespace.
	 *
	 * @return bool
	 */
	public static function is_request_to_our_routes() {
		$ns = '/' . Mulopimfwc_Bulk_Sync_REST_Controller::REST_NAMESPACE;
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized, WordPress.Security.NonceVerification.Recommended -- only compared.
		if ( isset( $_GET['rest_route'] ) && is_string( $_GET['rest_route'] ) && self::starts_with_route( '/' . ltrim( wp_unslash( $_GET['rest_route'] ), '/' ), $ns ) ) {
			return true;
		}
		if ( empty( $_SERVER['REQUEST_URI'] ) || ! is_string( $_SERVER['REQUEST_URI'] ) ) {
			return false;
		}
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- only compared.
		$path = wp_parse_url( wp_unslash( $_SERVER['REQUEST_URI'] ), PHP_URL_PATH );
		if ( ! is_string( $path ) ) {
			return false;
		}
		$prefix = '/' . trim( rest_get_url_prefix(), '/' );
		$at     = stripos( $path, $prefix . $ns );
		return false !== $at && self::starts_with_route( substr( $path, $at + strlen( $prefix ) ), $ns );
	}

	/**
	 * Whether $route is $ns or lies under it (`/mulopimfwc/v1`, `/mulopimfwc/v1/…`; not `/mulopimfwc/v10`).
	 *
	 * @param string $route Route.
	 * @param string $ns    Namespace with a leading slash.
	 * @return bool
	 */
	private static function starts_with_route( $route, $ns ) {
		if ( 0 !== strncasecmp( $route, $ns, strlen( $ns ) ) ) {
			return false;
		}
		$next = substr( $route, strlen( $ns ), 1 );
		return '' === $next || '/' === $next;
	}

	/**
	 * The current user before WooCommerce's authentication.
	 *
	 * @param int|false $user_id User id so far.
	 * @return int|false
	 */
	public static function before_wc_authentication( $user_id ) {
		self::$user_before = $user_id;
		return $user_id;
	}

	/**
	 * The current user after WooCommerce's authentication: one that appeared there is the user of a key.
	 *
	 * @param int|false $user_id User id so far.
	 * @return int|false
	 */
	public static function after_wc_authentication( $user_id ) {
		if ( empty( self::$user_before ) && ! empty( $user_id ) && self::is_request_to_our_routes() ) {
			self::$key_user = (int) $user_id;
		}
		self::$user_before = null;
		return $user_id;
	}

	/**
	 * `woocommerce_disable_rest_api_access_log`: remember the key WooCommerce authenticated.
	 *
	 * @param bool $disable Whether WooCommerce skips recording the key's last access (returned as it is).
	 * @param int  $key_id  The key's id.
	 * @param int  $user_id The key's user.
	 * @return bool
	 */
	public static function note_key( $disable, $key_id = 0, $user_id = 0 ) {
		if ( (int) $key_id > 0 ) {
			self::$key = array( (int) $key_id, (int) $user_id );
		}
		return $disable;
	}

	/**
	 * Whether the current user is the user of a WooCommerce API key that WooCommerce authenticated for this request.
	 *
	 * @return bool
	 */
	public static function is_key_user() {
		$user = get_current_user_id();
		return $user > 0 && ( self::$key_user === $user || ( null !== self::$key && self::$key[1] === $user ) );
	}

	/**
	 * The principal of a request that WooCommerce authenticated with an API key: `wckey:ID` (its key_id in the
	 * table woocommerce_api_keys), or null.
	 *
	 * @return string|null
	 */
	public static function principal() {
		$user = get_current_user_id();
		if ( null === self::$key || $user <= 0 || self::$key[1] !== $user ) {
			return null;
		}
		return 'wckey:' . self::$key[0];
	}
}
