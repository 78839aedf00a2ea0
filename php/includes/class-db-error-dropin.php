<?php
/**
 * The database error drop-in (php/db-error.php → wp-content/db-error.php): installed on activation when the site
 * has none, kept current on plugin updates, removed on deactivation when it is ours.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Installs and removes the drop-in.
 */
class Mulopimfwc_Bulk_Sync_Db_Error_Dropin {

	/** A line of our drop-in that no other db-error.php has. */
	const MARKER = 'mulopimfwc-bulk-sync-db-error-dropin';

	/** Option: the drop-in state after the last install attempt (see install()), and the plugin version then. */
	const OPTION = 'mulopimfwc_bulk_sync_db_error_dropin';

	/**
	 * The shipped drop-in.
	 *
	 * @return string
	 */
	public static function source() {
		return dirname( __DIR__ ) . '/db-error.php';
	}

	/**
	 * Where WordPress looks for it.
	 *
	 * @return string
	 */
	public static function target() {
		return WP_CONTENT_DIR . '/db-error.php';
	}

	/**
	 * Whether a file is our drop-in (any version).
	 *
	 * @param string $file Path.
	 * @return bool
	 */
	public static function is_ours( $file ) {
		if ( ! is_file( $file ) || ! is_readable( $file ) ) {
			return false;
		}
		$head = (string) file_get_contents( $file, false, null, 0, 4096 ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file.
		return false !== strpos( $head, self::MARKER );
	}

	/**
	 * Installs or refreshes the drop-in unless the site has a db-error.php of its own.
	 *
	 * @return string 'installed' (ours is in place and current), 'foreign' (the site's own file is kept) or
	 *                'failed' (wp-content is not writable).
	 */
	public static function install() {
		$target = self::target();
		$source = self::source();
		if ( file_exists( $target ) && ! self::is_ours( $target ) ) {
			$state = 'foreign';
		} elseif ( self::is_ours( $target ) && md5_file( $target ) === md5_file( $source ) ) {
			$state = 'installed';
		} else {
			// A temporary file renamed into place: a request that fails to connect meanwhile never reads half a file.
			$tmp   = $target . '.' . wp_generate_password( 8, false ) . '.tmp';
			$state = ( @copy( $source, $tmp ) && @rename( $tmp, $target ) ) ? 'installed' : 'failed'; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged, WordPress.WP.AlternativeFunctions.rename_rename -- reported through the state and an admin notice.
			if ( file_exists( $tmp ) ) {
				wp_delete_file( $tmp );
			}
		}
		update_option(
			self::OPTION,
			array(
				'state'   => $state,
				'version' => MULOPIMFWC_BULK_SYNC_VERSION,
			)
		);
		return $state;
	}

	/**
	 * Removes our drop-in (never the site's own).
	 */
	public static function remove() {
		$target = self::target();
		if ( self::is_ours( $target ) ) {
			wp_delete_file( $target );
		}
		delete_option( self::OPTION );
	}

	/**
	 * After a plugin update (the version stored at the last install differs): install again.
	 */
	public static function maybe_update() {
		$o = get_option( self::OPTION );
		if ( ! is_array( $o ) || ! isset( $o['version'] ) || MULOPIMFWC_BULK_SYNC_VERSION !== $o['version'] ) {
			self::install();
		}
	}

	/**
	 * `rest_post_dispatch`: when the answer is the plugin's 503 `mulopimfwc_db_error`, the client gets it as soon as
	 * the REST server has sent it. The database is gone, and whatever runs on `shutdown` after the answer and
	 * queries it (WooCommerce 10.5's batch processing asks Action Scheduler) waits in wpdb's reconnect loop
	 * (5 x 1 s) and then calls dead_db(): without this the client waited those 5 s too, and read the drop-in's
	 * JSON appended to the answer. Found by tests/reliability (MariaDB stopped after WordPress connected).
	 *
	 * @param mixed $response The REST response.
	 * @return mixed The same response.
	 */
	public static function finish_db_error_response( $response ) {
		if ( $response instanceof WP_HTTP_Response && 503 === $response->get_status() ) {
			$data = $response->get_data();
			if ( is_array( $data ) && isset( $data['code'] ) && 'mulopimfwc_db_error' === $data['code'] ) {
				add_action( 'shutdown', array( __CLASS__, 'finish_request' ), PHP_INT_MIN );
			}
		}
		return $response;
	}

	/**
	 * First on `shutdown` after a `mulopimfwc_db_error` answer: ends the HTTP response (php-fpm), so that what
	 * runs later on `shutdown` neither delays nor extends it.
	 */
	public static function finish_request() {
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		}
	}

	/**
	 * Tells administrators, on the Plugins screen, when the drop-in could not be installed.
	 */
	public static function admin_notice() {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( ! current_user_can( 'activate_plugins' ) || ! $screen || 'plugins' !== $screen->id ) {
			return;
		}
		$o     = get_option( self::OPTION );
		$state = is_array( $o ) && isset( $o['state'] ) ? $o['state'] : '';
		if ( 'foreign' === $state ) {
			$text = __( 'Multi Location Bulk Sync: this site has its own wp-content/db-error.php, so while the database is down the bulk sync routes answer with that page instead of a JSON 503 error (mulopimfwc_db_error) that sync clients retry on.', 'mulopimfwc-bulk-sync' );
		} elseif ( 'failed' === $state ) {
			$text = __( 'Multi Location Bulk Sync could not copy its db-error.php into wp-content (not writable). Copy it from the plugin folder by hand so that the bulk sync routes answer with a JSON 503 error while the database is down.', 'mulopimfwc-bulk-sync' );
		} else {
			return;
		}
		printf( '<div class="notice notice-warning"><p>%s</p></div>', esc_html( $text ) );
	}
}
