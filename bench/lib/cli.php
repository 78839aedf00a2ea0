<?php
/**
 * One direct (CLI) run of an engine inside the bench site's WordPress, timed around the engine call only
 * (WordPress's boot is not timed; reading the payload file is not timed).
 *
 *   php [-d extension=/abs/libmulopimfwc.so] bench/lib/cli.php WP_DIR CASE PAYLOAD_FILE
 *
 * CASE: native (mulopimfwc_bulk_sync() with the options the plugin builds from wp-config.php),
 *       php (the plugin's Mulopimfwc_Bulk_Sync_PHP_Engine, item limit lifted to 100,000),
 *       baseline (mulopimfwc_bench_baseline_sync() of the bench mu-plugin, json_decode included).
 * Prints one JSON line: seconds, memory (Zend peak/growth; RSS before, peak, growth, after), statements (the server's
 * Questions counter around the call, minus the cost of reading it), success/failed counts.
 */

if ( $argc < 4 ) {
	fwrite( STDERR, "usage: php bench/lib/cli.php WP_DIR native|php|baseline PAYLOAD_FILE\n" );
	exit( 2 );
}
list( , $wp_dir, $case, $file ) = $argv;

require __DIR__ . '/cli-common.php';
require bench_wp_load( $wp_dir );
bench_plugin_active( $wp_dir, 'cli.php' );
list( $questions, $self ) = bench_questions();

$payload = file_get_contents( $file );
$engine  = mulopimfwc_bulk_sync_engine();
if ( 'native' === $case ) {
	if ( ! function_exists( 'mulopimfwc_bulk_sync' ) ) {
		fwrite( STDERR, "cli.php: the extension is not loaded (php -d extension=...)\n" );
		exit( 1 );
	}
	$options = $engine->options( true, array( 'max_items' => 100000 ) );
} elseif ( 'php' === $case ) {
	$php_engine = new Mulopimfwc_Bulk_Sync_PHP_Engine();
	$options    = $engine->options( false, array( 'max_items' => 100000 ) );
} elseif ( 'baseline' !== $case ) {
	fwrite( STDERR, "cli.php: unknown case $case\n" );
	exit( 2 );
}

$m0     = bench_memory_start();
$q0     = $questions();
$t0     = hrtime( true );
$error  = null;
try {
	if ( 'native' === $case ) {
		$result = mulopimfwc_bulk_sync( $payload, $options );
	} elseif ( 'php' === $case ) {
		$result = $php_engine->run( $payload, $options );
	} else {
		$data   = json_decode( $payload, true );
		$result = mulopimfwc_bench_baseline_sync( $data['items'] );
	}
} catch ( Throwable $e ) {
	$result = null;
	$error  = get_class( $e ) . ': ' . $e->getMessage();
}
$t1   = hrtime( true );
$q1   = $questions();
$mem  = bench_memory_end( $m0 );
$rss1 = bench_proc_kb( 'VmRSS' ); // after the call (the native engine has freed and trimmed its heap)
if ( is_wp_error( $result ) ) {
	$error  = $result->get_error_code() . ': ' . $result->get_error_message();
	$result = null;
}
echo json_encode(
	array(
		'seconds'           => ( $t1 - $t0 ) / 1e9,
	) + $mem + array(
		'rss_before'        => $m0['rss0'] >= 0 ? $m0['rss0'] * 1024 : null,
		'rss_after'         => $rss1 >= 0 ? $rss1 * 1024 : null,
		'statements'        => $q1 - $q0 - $self,
		'engine_statements' => isset( $result['stats']['statements'] ) ? (int) $result['stats']['statements'] : ( isset( $php_engine ) ? $php_engine->query_count : null ),
		'success'           => isset( $result['results']['success'] ) ? (int) $result['results']['success'] : null,
		'failed'            => isset( $result['results']['failed'] ) ? (int) $result['results']['failed'] : null,
		'first_error'       => $error ? $error : ( isset( $result['results']['errors'][0] ) ? $result['results']['errors'][0] : null ),
		'changes'           => isset( $result['changes'] ) ? $result['changes'] : null,
	)
) . "\n";
