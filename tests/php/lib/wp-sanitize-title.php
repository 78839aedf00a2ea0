<?php
/**
 * WordPress's own sanitize_title() for the native contract run, which runs outside WordPress: the extension asks
 * the site's sanitize_title() for location slugs (src/php.rs) and refuses slugs where there is none. Loads
 * WordPress's plugin API, functions.php and formatting functions (MULOPIMFWC_WP_CORE, else Debian's /usr/share/wordpress) with the
 * default `sanitize_title` filter and the `en_US` locale the contract cases assume. Nothing else of WordPress.
 */

declare(strict_types=1);

if (!function_exists('sanitize_title') && extension_loaded('mulopimfwc')) {
    $core = getenv('MULOPIMFWC_WP_CORE') ? rtrim((string) getenv('MULOPIMFWC_WP_CORE'), '/') : '/usr/share/wordpress';
    if (!is_file($core . '/wp-includes/formatting.php')) {
        fwrite(STDERR, "WordPress not found at $core (apt-get install wordpress, or set MULOPIMFWC_WP_CORE): "
            . "the native engine needs its sanitize_title() for location slugs.\n");
        exit(1);
    }
    if (!function_exists('get_locale')) {
        function get_locale(): string
        {
            return 'en_US';
        }
    }
    // WordPress's files expect these globals at file scope.
    global $wp_filter, $wp_actions, $wp_current_filter;
    if (!defined('ABSPATH')) {
        define('ABSPATH', $core . '/');
    }
    if (!defined('WPINC')) {
        define('WPINC', 'wp-includes');
    }
    require_once $core . '/wp-includes/plugin.php';
    require_once $core . '/wp-includes/functions.php';
    require_once $core . '/wp-includes/formatting.php';
    add_filter('sanitize_title', 'sanitize_title_with_dashes', 10, 3);
}
