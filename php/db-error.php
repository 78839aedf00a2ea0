<?php
/**
 * Database error drop-in of Multi Location Bulk Sync (native). Marker: mulopimfwc-bulk-sync-db-error-dropin
 *
 * Copied to wp-content/db-error.php when the plugin is activated (only when the site has none), removed again
 * on deactivation. WordPress loads this file, before any plugin, when it cannot connect to the database.
 *
 * Requests to the plugin's routes (/wp-json/mulopimfwc/v1/..., ?rest_route=/mulopimfwc/v1/...) get what the
 * routes answer for any other database failure: HTTP 503, Retry-After, and the JSON error
 * {"code":"mulopimfwc_db_error",...}, so that an ERP or POS client retries instead of reading an HTML page.
 * Every other request gets WordPress's own "Error establishing a database connection" page.
 *
 * Nothing here names the host, the user or the password.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

$mulopimfwc_uri   = isset( $_SERVER['REQUEST_URI'] ) ? rawurldecode( (string) wp_unslash( $_SERVER['REQUEST_URI'] ) ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- only matched against a fixed pattern.
$mulopimfwc_route = isset( $_GET['rest_route'] ) ? (string) wp_unslash( $_GET['rest_route'] ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- read only, matched against a fixed pattern.
$mulopimfwc_path  = (string) strtok( $mulopimfwc_uri, '?' );

if ( 1 === preg_match( '#^/?mulopimfwc/v1(/|$)#', ltrim( $mulopimfwc_route ) ) || false !== strpos( $mulopimfwc_path, '/mulopimfwc/v1/' ) ) {
	// Loaded late (dead_db() from a query on `shutdown`, after the route answered): the answer has gone out
	// already; a second JSON document appended to it would make the body unreadable.
	if ( headers_sent() || ( function_exists( 'did_filter' ) && did_filter( 'rest_pre_echo_response' ) ) ) {
		return;
	}
	status_header( 503 );
	nocache_headers();
	header( 'Content-Type: application/json; charset=UTF-8' );
	header( 'Retry-After: 10' );
	echo wp_json_encode(
		array(
			'code'    => 'mulopimfwc_db_error',
			// Not translated: without the database no locale or plugin translation can be loaded (__() with a text
			// domain other than WordPress's own would query the options table here and fail).
			'message' => 'The database is not reachable; nothing was changed. Please try again.',
			'data'    => array( 'status' => 503 ),
		)
	);
	return;
}

// Everything else: what WordPress shows without a drop-in (dead_db()).
wp_die( '<h1>' . __( 'Error establishing a database connection' ) . '</h1>', __( 'Database Error' ) ); // phpcs:ignore WordPress.WP.I18n.MissingArgDomain -- WordPress's own strings, translated by WordPress.
