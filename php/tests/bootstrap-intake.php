<?php
/**
 * Bootstrap of the job intake's suite (php/tests/phpunit-intake.xml).
 *
 * The intake needs no database: this loads WordPress's own WP_Error and hooks (Debian's /usr/share/wordpress,
 * or MULOPIMFWC_WP_CORE) and defines __() as the identity (no translations loaded), then the real intake class.
 * Every notice, warning and deprecation is an error.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable WordPress.WP.AlternativeFunctions

error_reporting( E_ALL );
set_error_handler(
	static function ( $errno, $errstr, $file, $line ) {
		throw new ErrorException( $errstr, 0, $errno, $file, $line );
	}
);

$mulopimfwc_core = getenv( 'MULOPIMFWC_WP_CORE' ) ? rtrim( getenv( 'MULOPIMFWC_WP_CORE' ), '/' ) : '/usr/share/wordpress';
if ( ! is_file( $mulopimfwc_core . '/wp-includes/class-wp-error.php' ) ) {
	fwrite( STDERR, "WordPress not found at $mulopimfwc_core (apt-get install wordpress, or set MULOPIMFWC_WP_CORE).\n" );
	exit( 1 );
}
define( 'ABSPATH', $mulopimfwc_core . '/' );
define( 'WPINC', 'wp-includes' );
require_once ABSPATH . WPINC . '/plugin.php';
require_once ABSPATH . WPINC . '/class-wp-error.php';
require_once ABSPATH . WPINC . '/load.php'; // is_wp_error().

if ( ! function_exists( '__' ) ) {
	/**
	 * Identity translation (no text domain is loaded in this suite).
	 *
	 * @param string $text   Text.
	 * @param string $domain Text domain.
	 * @return string
	 */
	function __( $text, $domain = 'default' ) { // phpcs:ignore
		if ( 'mulopimfwc-bulk-sync' !== $domain ) {
			throw new LogicException( "Text domain '$domain' used for: $text" );
		}
		return $text;
	}
}

require_once dirname( __DIR__ ) . '/includes/class-job-intake.php';
