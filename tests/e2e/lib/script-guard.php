<?php
/**
 * Shared start of the PHP scripts that load a test site's WordPress from the command line (install-site.php,
 * activate-woocommerce.php): the request variables WordPress expects for URL, and a guard that turns "WordPress
 * printed an error page and exited 0" into a failure. A script sets $GLOBALS['e2e_script_completed'] = true last.
 *
 * @param string $url    The site's URL.
 * @param string $script The script's name, for the failure message.
 */
function e2e_script_start( $url, $script ) {
	require_once dirname( __DIR__, 2 ) . '/lib/php/wordpress.php';
	mulopimfwc_test_request_vars( $url );

	$GLOBALS['e2e_script_completed'] = false;
	register_shutdown_function(
		static function () use ( $script ) {
			if ( empty( $GLOBALS['e2e_script_completed'] ) ) {
				$out = ob_get_level() ? ob_get_clean() : '';
				fwrite( STDERR, "$script: WordPress did not load or the script did not complete\n" . strip_tags( (string) $out ) . "\n" );
				exit( 1 );
			}
		}
	);
}
