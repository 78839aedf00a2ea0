<?php
/**
 * Uninstall: this plugin stores nothing of its own.
 *
 * The API key (`mulopimfwc_api_key`) and the per-location meta belong to the location plugin and stay.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;
