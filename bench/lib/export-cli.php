<?php
/**
 * One direct (CLI) run of the export inside the bench site's WordPress: the whole export, page by page, timed
 * around the export calls only (WordPress's boot is not timed, nor the hashing of each page's rows between
 * calls).
 *
 *   php [-d extension=/abs/libmulopimfwc.so] bench/lib/export-cli.php WP_DIR native|php PER_PAGE [LOCATION_ID]
 *
 * native: mulopimfwc_export() with the options the plugin builds from wp-config.php;
 * php:    the plugin's Mulopimfwc_Bulk_Sync_Export (what the REST route runs when the PHP engine answers).
 * Prints one JSON line: seconds (sum of the calls), wall seconds, pages, rows, total, statements (the server's
 * Questions counter around the loop, minus the cost of reading it), the engine's own statement count (PHP export),
 * memory (Zend peak/growth, RSS peak/growth over the loop) and a hash of the rows in order.
 */

if ( $argc < 4 ) {
	fwrite( STDERR, "usage: php bench/lib/export-cli.php WP_DIR native|php PER_PAGE [LOCATION_ID]\n" );
	exit( 2 );
}
list( , $wp_dir, $case, $per_page ) = $argv;
$per_page    = (int) $per_page;
$location_id = isset( $argv[4] ) ? (int) $argv[4] : 0;
require __DIR__ . '/export-common.php';

require __DIR__ . '/cli-common.php';
require bench_wp_load( $wp_dir );
bench_plugin_active( $wp_dir, 'export-cli.php', 'Mulopimfwc_Bulk_Sync_Export' );
list( $questions, $self ) = bench_questions();

$engine = mulopimfwc_bulk_sync_engine();
if ( 'native' === $case ) {
	if ( ! function_exists( 'mulopimfwc_export' ) ) {
		fwrite( STDERR, "export-cli.php: the extension is not loaded (php -d extension=...)\n" );
		exit( 1 );
	}
	$options = $engine->options( true );
	$call    = static function ( $params ) use ( $options ) {
		return mulopimfwc_export( $options, $params );
	};
} elseif ( 'php' === $case ) {
	$export  = new Mulopimfwc_Bulk_Sync_Export();
	$options = $engine->options( false );
	$call    = static function ( $params ) use ( $export, $options ) {
		return $export->export( $options, $params );
	};
} else {
	fwrite( STDERR, "export-cli.php: unknown case $case\n" );
	exit( 2 );
}

$m0      = bench_memory_start();
$hash    = hash_init( 'md5' );
$seconds = 0.0;
$rows    = 0;
$pages   = 0;
$total   = null;
$own     = 0;
$error   = null;
$q0      = $questions();
$w0      = hrtime( true );
try {
	for ( $page = 1; ; $page++ ) {
		$params = array(
			'page'     => $page,
			'per_page' => $per_page,
		);
		if ( $location_id > 0 ) {
			$params['location_id'] = $location_id;
		}
		$t0     = hrtime( true );
		$result = $call( $params );
		$seconds += ( hrtime( true ) - $t0 ) / 1e9;
		++$pages;
		if ( isset( $export ) ) {
			$own += $export->query_count;
		}
		if ( ! is_array( $result ) || ! isset( $result['data'] ) ) {
			throw new RuntimeException( 'no result on page ' . $page );
		}
		$total = (int) $result['total'];
		foreach ( $result['data'] as $r ) {
			hash_update( $hash, mulopimfwc_bench_export_line( $r ) );
		}
		$rows  += count( $result['data'] );
		$result = null;
		if ( $page * $per_page >= $total ) {
			break;
		}
	}
} catch ( Throwable $e ) {
	$error = get_class( $e ) . ': ' . $e->getMessage();
}
$w1   = hrtime( true );
$q1   = $questions();
$mem  = bench_memory_end( $m0 );
echo json_encode(
	array(
		'seconds'           => $error ? null : $seconds,
		'wall_seconds'      => ( $w1 - $w0 ) / 1e9,
		'pages'             => $pages,
		'rows'              => $rows,
		'total'             => $total,
		'hash'              => hash_final( $hash ),
		'statements'        => $q1 - $q0 - $self,
		'engine_statements' => isset( $export ) ? $own : null,
	) + $mem + array(
		'first_error'       => $error,
	)
) . "\n";
