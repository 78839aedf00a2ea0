<?php
/**
 * Bootstrap of the PHP engine's contract run (php/tests/phpunit-php-engine.xml).
 *
 * Loads WordPress (Debian's /usr/share/wordpress, or MULOPIMFWC_WP_CORE) with SHORTINIT through a throwaway
 * wp-config.php in a temp dir pointing at the test MariaDB (MULOPIMFWC_DB_HOST/PORT/SOCKET/USER/PASSWORD, the
 * defaults of tests/lib/mariadb.sh), adds the few WordPress files SHORTINIT leaves out that the engine uses
 * (l10n, options), then the contract suite's own bootstrap (every notice is an error), then the plugin's
 * engine classes. Each case switches $wpdb to the case's database and prefix (see PhpEngineAdapter).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.RestrictedFunctions

$mulopimfwc_repo = dirname( __DIR__, 2 );
$mulopimfwc_core = getenv( 'MULOPIMFWC_WP_CORE' ) ? rtrim( getenv( 'MULOPIMFWC_WP_CORE' ), '/' ) : '/usr/share/wordpress';
if ( ! is_file( $mulopimfwc_core . '/wp-settings.php' ) ) {
	fwrite( STDERR, "WordPress not found at $mulopimfwc_core (apt-get install wordpress, or set MULOPIMFWC_WP_CORE).\n" );
	exit( 1 );
}

$mulopimfwc_env = static function ( $k, $d = null ) {
	$v = getenv( $k );
	return ( false === $v || '' === $v ) ? $d : $v;
};
$mulopimfwc_db  = array(
	'host'     => $mulopimfwc_env( 'MULOPIMFWC_DB_HOST', '127.0.0.1' ),
	'port'     => (int) $mulopimfwc_env( 'MULOPIMFWC_DB_PORT', '33306' ),
	'socket'   => $mulopimfwc_env( 'MULOPIMFWC_DB_SOCKET' ),
	'user'     => $mulopimfwc_env( 'MULOPIMFWC_DB_USER', 'mulopimfwc' ),
	'password' => $mulopimfwc_env( 'MULOPIMFWC_DB_PASSWORD', 'test-pass-Xy9' ),
);

// A database for WordPress to boot on (the cases then switch to their own).
$mulopimfwc_boot_db = 'mulopimfwc_pe_boot_' . getmypid();
mysqli_report( MYSQLI_REPORT_OFF );
$mulopimfwc_use_socket = $mulopimfwc_db['socket'] && in_array( $mulopimfwc_db['host'], array( 'localhost', '' ), true );
$mulopimfwc_conn       = @mysqli_connect( // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged
	$mulopimfwc_use_socket ? 'localhost' : $mulopimfwc_db['host'],
	$mulopimfwc_db['user'],
	$mulopimfwc_db['password'],
	'',
	$mulopimfwc_db['port'],
	$mulopimfwc_use_socket ? $mulopimfwc_db['socket'] : null
);
if ( ! $mulopimfwc_conn ) {
	fwrite( STDERR, "Cannot reach the test MariaDB (start it: tests/lib/mariadb.sh start): " . mysqli_connect_error() . "\n" );
	exit( 1 );
}
mysqli_query( $mulopimfwc_conn, "CREATE DATABASE IF NOT EXISTS `$mulopimfwc_boot_db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci" );
register_shutdown_function(
	static function () use ( $mulopimfwc_db, $mulopimfwc_boot_db, $mulopimfwc_use_socket ) {
		$c = @mysqli_connect( $mulopimfwc_use_socket ? 'localhost' : $mulopimfwc_db['host'], $mulopimfwc_db['user'], $mulopimfwc_db['password'], '', $mulopimfwc_db['port'], $mulopimfwc_use_socket ? $mulopimfwc_db['socket'] : null ); // phpcs:ignore
		if ( $c ) {
			mysqli_query( $c, "DROP DATABASE IF EXISTS `$mulopimfwc_boot_db`" );
		}
	}
);
mysqli_close( $mulopimfwc_conn );

$mulopimfwc_db_host = $mulopimfwc_use_socket ? 'localhost:' . $mulopimfwc_db['socket'] : $mulopimfwc_db['host'] . ':' . $mulopimfwc_db['port'];
$mulopimfwc_tmp     = sys_get_temp_dir() . '/mulopimfwc-pe-' . getmypid();
if ( ! is_dir( $mulopimfwc_tmp ) ) {
	mkdir( $mulopimfwc_tmp, 0700, true );
}
$mulopimfwc_config = $mulopimfwc_tmp . '/wp-config.php';
file_put_contents(
	$mulopimfwc_config,
	"<?php\n// Throwaway wp-config for the PHP engine's contract run.\n"
	. 'define( \'DB_NAME\', ' . var_export( $mulopimfwc_boot_db, true ) . " );\n"
	. 'define( \'DB_USER\', ' . var_export( $mulopimfwc_db['user'], true ) . " );\n"
	. 'define( \'DB_PASSWORD\', ' . var_export( $mulopimfwc_db['password'], true ) . " );\n"
	. 'define( \'DB_HOST\', ' . var_export( $mulopimfwc_db_host, true ) . " );\n"
	. "define( 'DB_CHARSET', 'utf8mb4' );\ndefine( 'DB_COLLATE', '' );\n"
	. "define( 'SHORTINIT', true );\ndefine( 'WP_DEBUG', false );\n"
	. "\$table_prefix = 'wp_';\n"
	. 'define( \'ABSPATH\', ' . var_export( $mulopimfwc_core . '/', true ) . " );\n"
	. "require_once ABSPATH . 'wp-settings.php';\n"
);
register_shutdown_function(
	static function () use ( $mulopimfwc_config, $mulopimfwc_tmp ) {
		@unlink( $mulopimfwc_config ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged
		@rmdir( $mulopimfwc_tmp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged
	}
);

// WordPress's files expect these globals at file scope.
global $wpdb, $table_prefix, $wp_filter, $wp_actions, $wp_current_filter, $wp_textdomain_registry, $l10n, $l10n_unloaded;
$_SERVER['HTTP_HOST']   = $_SERVER['HTTP_HOST'] ?? 'localhost';
$_SERVER['SERVER_NAME'] = $_SERVER['SERVER_NAME'] ?? 'localhost';
ob_start();
require $mulopimfwc_config;
$mulopimfwc_boot_output = ob_get_clean();
if ( ! isset( $wpdb ) || ! ( $wpdb instanceof wpdb ) || empty( $wpdb->dbh ) || ! function_exists( 'sanitize_title' ) ) {
	fwrite( STDERR, "WordPress did not load:\n" . $mulopimfwc_boot_output . "\n" );
	exit( 1 );
}
// What SHORTINIT leaves out and the engine uses: translations and options.
require_once ABSPATH . WPINC . '/l10n.php';
if ( is_file( ABSPATH . WPINC . '/class-wp-textdomain-registry.php' ) ) {
	require_once ABSPATH . WPINC . '/class-wp-textdomain-registry.php';
	$GLOBALS['wp_textdomain_registry'] = new WP_Textdomain_Registry();
}
require_once ABSPATH . WPINC . '/option.php';
$GLOBALS['locale'] = 'en_US';

// The contract suite's bootstrap: E_ALL, every notice/warning/deprecation is an exception.
require_once $mulopimfwc_repo . '/tests/php/bootstrap.php';

require_once $mulopimfwc_repo . '/php/includes/class-php-engine.php';
require_once $mulopimfwc_repo . '/php/includes/class-engine.php';
require_once $mulopimfwc_repo . '/php/includes/class-cache.php';
require_once $mulopimfwc_repo . '/php/includes/class-export.php';
require_once __DIR__ . '/PhpEngineAdapter.php';
// For ContractTest::engineOptions() only: the native suite itself is not part of this run.
require_once $mulopimfwc_repo . '/tests/php/ContractTest.php';
