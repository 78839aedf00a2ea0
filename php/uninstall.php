<?php
/**
 * Uninstall: drops what this plugin stores of its own: the idempotency table and its prune event, the bulk-sync
 * jobs' tables, their prune event, their Action Scheduler actions still pending and their schema version, and its
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
wp_clear_scheduled_hook( 'mulopimfwc_bulk_sync_jobs_prune' );
if ( function_exists( 'as_unschedule_all_actions' ) ) {
	as_unschedule_all_actions( 'mulopimfwc_bulk_sync_job_chunk' );
}
$wpdb->query( 'DROP TABLE IF EXISTS `' . $wpdb->prefix . 'mulopimfwc_job_chunks`' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.SchemaChange
$wpdb->query( 'DROP TABLE IF EXISTS `' . $wpdb->prefix . 'mulopimfwc_jobs`' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.SchemaChange
delete_option( 'mulopimfwc_jobs_db_version' );
