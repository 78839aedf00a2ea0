<?php
/**
 * Shared by the direct runs (bench/lib/cli.php, bench/lib/export-cli.php): WordPress loaded, the process's memory
 * from /proc, and the server's statement counter on a second connection.
 */

/**
 * Readies a request-less WordPress load: `require bench_wp_load( $wp_dir );` at the script's top level (WordPress
 * must be loaded in the global scope), then bench_plugin_active().
 *
 * @param string $wp_dir WordPress directory.
 * @return string its wp-load.php
 */
function bench_wp_load( $wp_dir ) {
	$_SERVER['HTTP_HOST']   = '127.0.0.1';
	$_SERVER['REQUEST_URI'] = '/';
	define( 'WP_USE_THEMES', false );
	return rtrim( $wp_dir, '/' ) . '/wp-load.php';
}

/**
 * After WordPress loaded: exits 1 when the plugin is not active; the bench requests' error level (as the
 * mu-plugin sets it).
 *
 * @param string $wp_dir WordPress directory (for the error).
 * @param string $prog   Script name for the error.
 * @param string $class  A class of the plugin the script needs ('' for none).
 */
function bench_plugin_active( $wp_dir, $prog, $class = '' ) {
	if ( ! function_exists( 'mulopimfwc_bulk_sync_engine' ) || ( '' !== $class && ! class_exists( $class ) ) ) {
		fwrite( STDERR, "$prog: the plugin is not active in $wp_dir\n" );
		exit( 1 );
	}
	error_reporting( E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED ); // as the mu-plugin does for bench requests
}

/**
 * Starts measuring memory: Zend's peak reset, the kernel's high-water mark reset (where it may be).
 *
 * @return array what bench_memory_end() compares with
 */
function bench_memory_start() {
	gc_collect_cycles();
	memory_reset_peak_usage();
	return array(
		'mem0'   => memory_get_usage( true ),
		'hwm_ok' => false !== @file_put_contents( '/proc/self/clear_refs', '5' ),
		'rss0'   => bench_proc_kb( 'VmRSS' ),
	);
}

/**
 * Memory since bench_memory_start(): Zend's peak and growth, the RSS peak and growth (bytes; null where unknown).
 *
 * @param array $m0 bench_memory_start()'s answer.
 * @return array
 */
function bench_memory_end( array $m0 ) {
	$peak = memory_get_peak_usage( true );
	$hwm  = bench_proc_kb( 'VmHWM' );
	return array(
		'mem_peak'   => $peak,
		'mem_growth' => $peak - $m0['mem0'],
		'rss_peak'   => $m0['hwm_ok'] ? $hwm * 1024 : null,
		'rss_growth' => $m0['hwm_ok'] ? ( $hwm - $m0['rss0'] ) * 1024 : null,
	);
}

/**
 * A field of /proc/self/status in kB (-1: unknown).
 *
 * @param string $field VmRSS, VmHWM...
 * @return int
 */
function bench_proc_kb( $field ) {
	$s = @file_get_contents( '/proc/self/status' );
	return ( is_string( $s ) && preg_match( '/^' . $field . ':\s+(\d+)\s+kB/m', $s, $m ) ) ? (int) $m[1] : -1;
}

/**
 * The server's Questions counter on a second connection (wp-config.php's settings), and what one reading adds.
 *
 * @return array [callable that reads the counter, int its own cost]
 */
function bench_questions() {
	$host = DB_HOST;
	$sock = null;
	if ( preg_match( '/^localhost:(\/.*)$/', $host, $m ) ) {
		$host = 'localhost';
		$sock = $m[1];
	}
	$mon       = new mysqli( $host, DB_USER, DB_PASSWORD, DB_NAME, 0, $sock );
	$questions = static function () use ( $mon ) {
		return (int) $mon->query( "SHOW GLOBAL STATUS LIKE 'Questions'" )->fetch_row()[1];
	};
	$a = $questions();
	$b = $questions();
	return array( $questions, $b - $a );
}
