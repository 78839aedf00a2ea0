<?php
/**
 * Uninstall: drops what this plugin stores of its own: the idempotency table and its prune event, and its
 * wp-content/db-error.php drop-in when that is still there.
 *
 * The API key (`mulopimfwc_api_key`), the webhook secret and the per-location meta belong to the location plugin
 * and stay.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

global $wpdb;
require_once __DIR__ . '/includes/class-db-error-dropin.php';
Mulopimfwc_Bulk_Sync_Db_Error_Dropin::remove();
wp_clear_scheduled_hook( 'mulopimfwc_idempotency_prune' );
$wpdb->query( 'DROP TABLE IF EXISTS `' . $wpdb->prefix . 'mulopimfwc_idempotency`' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.SchemaChange
