<?php
/**
 * Plugin Name:       Multi Location Bulk Sync (native)
 * Description:       Fast, safe bulk inventory and price sync per location for WooCommerce (POST /wp-json/mulopimfwc/v1/inventory/bulk-sync, inventory/update, webhook/inventory-update, GET inventory/export; idempotent retries, dry runs, relative changes). Uses the mulopimfwc native extension when loaded, a set-based PHP engine otherwise.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.0
 * Requires Plugins:  woocommerce
 * WC requires at least: 7.9
 * WC tested up to:   10.5
 * License:           GPL-2.0-or-later
 * Text Domain:       mulopimfwc-bulk-sync
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

define( 'MULOPIMFWC_BULK_SYNC_VERSION', '0.1.0' );
define( 'MULOPIMFWC_BULK_SYNC_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-php-engine.php';
require_once __DIR__ . '/includes/class-engine.php';
require_once __DIR__ . '/includes/class-cache.php';
require_once __DIR__ . '/includes/class-export.php';
require_once __DIR__ . '/includes/class-idempotency.php';
require_once __DIR__ . '/includes/class-rest-controller.php';
require_once __DIR__ . '/includes/class-wc-auth.php';
require_once __DIR__ . '/includes/class-db-error-dropin.php';
require_once __DIR__ . '/includes/class-job-intake.php';
require_once __DIR__ . '/includes/class-jobs.php';
require_once __DIR__ . '/includes/class-rest-jobs.php';

register_activation_hook( __FILE__, array( 'Mulopimfwc_Bulk_Sync_Idempotency', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Mulopimfwc_Bulk_Sync_Idempotency', 'deactivate' ) );
add_action( Mulopimfwc_Bulk_Sync_Idempotency::CRON_HOOK, array( 'Mulopimfwc_Bulk_Sync_Idempotency', 'prune' ) );
// Bulk-sync jobs: their tables, their Action Scheduler actions (group mulopimfwc), their daily pruning.
register_activation_hook( __FILE__, array( 'Mulopimfwc_Bulk_Sync_Jobs', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Mulopimfwc_Bulk_Sync_Jobs', 'deactivate' ) );
Mulopimfwc_Bulk_Sync_Jobs::hooks();
// wp-content/db-error.php: a JSON 503 from the plugin's routes while the database is down.
register_activation_hook( __FILE__, array( 'Mulopimfwc_Bulk_Sync_Db_Error_Dropin', 'install' ) );
register_deactivation_hook( __FILE__, array( 'Mulopimfwc_Bulk_Sync_Db_Error_Dropin', 'remove' ) );
add_action( 'admin_init', array( 'Mulopimfwc_Bulk_Sync_Db_Error_Dropin', 'maybe_update' ) );
add_action( 'admin_notices', array( 'Mulopimfwc_Bulk_Sync_Db_Error_Dropin', 'admin_notice' ) );
add_filter( 'rest_post_dispatch', array( 'Mulopimfwc_Bulk_Sync_Db_Error_Dropin', 'finish_db_error_response' ), PHP_INT_MAX );

/**
 * The shared engine (REST, WP-CLI and PHP callers).
 *
 * @return Mulopimfwc_Bulk_Sync_Engine
 */
function mulopimfwc_bulk_sync_engine() {
	static $engine = null;
	if ( null === $engine ) {
		$engine = new Mulopimfwc_Bulk_Sync_Engine();
	}
	return $engine;
}

/**
 * Boot the plugin.
 */
function mulopimfwc_bulk_sync_boot() {
	load_plugin_textdomain( 'mulopimfwc-bulk-sync', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );

	$controller = new Mulopimfwc_Bulk_Sync_REST_Controller( mulopimfwc_bulk_sync_engine() );
	$controller->hooks();
	( new Mulopimfwc_Bulk_Sync_REST_Jobs( $controller ) )->hooks();

	if ( defined( 'WP_CLI' ) && WP_CLI && class_exists( 'WP_CLI' ) ) {
		require_once __DIR__ . '/includes/class-cli-command.php';
		WP_CLI::add_command( 'mulopimfwc', new Mulopimfwc_Bulk_Sync_CLI_Command( mulopimfwc_bulk_sync_engine() ) );
		require_once __DIR__ . '/includes/class-cli-jobs-command.php';
		WP_CLI::add_command( 'mulopimfwc jobs', 'Mulopimfwc_Bulk_Sync_CLI_Jobs_Command' );
	}
}
add_action( 'plugins_loaded', 'mulopimfwc_bulk_sync_boot' );

/**
 * Declare which of WooCommerce's optional features the plugin is safe with: orders in custom tables (the plugin
 * never touches orders) and the product object cache (every sync cleans the products it changed from it).
 */
function mulopimfwc_bulk_sync_declare_wc_compatibility() {
	if ( class_exists( '\\Automattic\\WooCommerce\\Utilities\\FeaturesUtil' ) ) {
		\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', MULOPIMFWC_BULK_SYNC_FILE, true );
		\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'product_instance_caching', MULOPIMFWC_BULK_SYNC_FILE, true );
	}
}
add_action( 'before_woocommerce_init', 'mulopimfwc_bulk_sync_declare_wc_compatibility' );
