<?php
/**
 * The export benchmark (issue 6; bench/run.sh starts it after the sync cases, or alone with --export-only):
 * the whole inventory export of the seeded store, page by page, warm-up then interleaved runs, and the raw
 * numbers in a JSON file (bench/lib/export-report.php makes the table).
 *
 *   php bench/lib/export.php --state STATE.json --work DIR --out RAW.json [--runs 5] [--per-page 10000,1000]
 *       [--location-id L] [--cases native/http,...] [--meta META.json]
 *
 * Environment: as bench/lib/driver.php (E2E_URL, E2E_WP_DIR, E2E_API_KEY, E2E_DB_*, MULOPIMFWC_DB_ROOT_SOCKET,
 * BENCH_SO; BENCH_NO_HTTP=1 leaves out the HTTP cases).
 *
 * Cases (each: every page until `total` is covered):
 *   native/http, php/http   GET /wp-json/mulopimfwc/v1/inventory/export?per_page=N&page=P (JSON) through nginx +
 *                           php-fpm; the PHP engine forced with `X-E2E-Force-PHP: 1` (tests/e2e/lib/
 *                           mulopimfwc-test-helpers.php, installed on the bench site by site.sh); time = the sum
 *                           of curl's total time per page, one keep-alive connection;
 *   native/http-csv, php/http-csv   the same with format=csv at the largest per_page;
 *   native/cli, php/cli     mulopimfwc_export() / Mulopimfwc_Bulk_Sync_Export::export() called directly inside a
 *                           loaded WordPress (bench/lib/export-cli.php), the calls timed;
 *   floor/sql               the same rows by ONE plain SQL query (bench/lib/export-common.php) from a mysqli
 *                           client (query + fetching every row).
 * Every run's rows are counted and hashed in order; the count must equal an independent SQL COUNT, and the
 * hash is compared with the floor's.
 */

require __DIR__ . '/common.php';
require __DIR__ . '/export-common.php';
$o = bench_options( 'export.php', array( 'state:', 'work:', 'out:', 'runs:', 'per-page:', 'location-id:', 'cases:', 'meta:' ) );
$per_pages   = array_map( 'intval', explode( ',', $o['per-page'] ?? '10000,1000' ) );
$location_id = (int) ( $o['location-id'] ?? 0 );
$shutdown_log = rtrim( (string) $wp_dir, '/' ) . '/wp-content/mulopimfwc-bench-shutdown.jsonl'; // bench mu-plugin

bench_connect( $state );

// The cases, in the order each run goes through them.
$cases = array();
foreach ( $per_pages as $pp ) {
	foreach ( array( 'native', 'php' ) as $e ) {
		$cases[] = array( 'case' => "$e/http", 'engine' => $e, 'path' => 'http', 'format' => 'json', 'per_page' => $pp );
	}
}
foreach ( array( 'native', 'php' ) as $e ) {
	$cases[] = array( 'case' => "$e/http-csv", 'engine' => $e, 'path' => 'http', 'format' => 'csv', 'per_page' => max( $per_pages ) );
}
foreach ( $per_pages as $pp ) {
	foreach ( array( 'native', 'php' ) as $e ) {
		$cases[] = array( 'case' => "$e/cli", 'engine' => $e, 'path' => 'cli', 'format' => 'array', 'per_page' => $pp );
	}
}
$cases[] = array( 'case' => 'floor/sql', 'engine' => 'floor', 'path' => 'sql', 'format' => 'rows', 'per_page' => null );
$cases   = array_values(
	array_filter(
		$cases,
		static function ( $c ) use ( $only, $no_http ) {
			return ( ! $only || in_array( $c['case'], $only, true ) ) && ! ( $no_http && 'http' === $c['path'] );
		}
	)
);
function case_key( $c ) {
	return $c['case'] . ( null === $c['per_page'] ? '' : ' ' . $c['per_page'] );
}

/** Parses CSV text (the REST export's: UTF-8 BOM, header row) into lists of cells. */
function csv_rows( $text ) {
	if ( 0 === strncmp( $text, "\xEF\xBB\xBF", 3 ) ) {
		$text = substr( $text, 3 );
	}
	$h = fopen( 'php://temp', 'r+' );
	fwrite( $h, $text );
	rewind( $h );
	$rows   = array();
	$header = fgetcsv( $h, null, ',', '"', '' );
	while ( false !== ( $r = fgetcsv( $h, null, ',', '"', '' ) ) ) {
		if ( array( null ) !== $r ) {
			$rows[] = $r;
		}
	}
	fclose( $h );
	return array( $header, $rows );
}

function run_http( $c ) {
	global $url, $api_key, $location_id, $shutdown_log;
	static $ch = null;
	if ( null === $ch ) {
		$ch = curl_init();
	}
	$hdr = array( 'X-API-Key: ' . $api_key, 'X-Bench: 1', 'Expect:' );
	if ( 'php' === $c['engine'] ) {
		$hdr[] = 'X-E2E-Force-PHP: 1';
	}
	$run_id    = bin2hex( random_bytes( 6 ) );
	$hash      = hash_init( 'md5' );
	$seconds   = 0.0;
	$rows      = 0;
	$pages     = 0;
	$total     = null;
	$stmts     = array();
	$mem_peak  = null;
	$rss_peak  = null;
	$rss_grow  = null;
	$bytes     = 0;
	$engines   = array();
	$error     = null;
	for ( $page = 1; ; $page++ ) {
		$q = array( 'per_page' => $c['per_page'], 'page' => $page );
		if ( $location_id > 0 ) {
			$q['location_id'] = $location_id;
		}
		if ( 'csv' === $c['format'] ) {
			$q['format'] = 'csv';
		}
		$r       = bench_http(
			$ch,
			array(
				CURLOPT_URL        => $url . '/wp-json/mulopimfwc/v1/inventory/export?' . http_build_query( $q ),
				CURLOPT_HTTPGET    => true,
				CURLOPT_HTTPHEADER => array_merge( $hdr, array( "X-Bench-Id: $run_id-$page" ) ),
				CURLOPT_TIMEOUT    => 600,
			)
		);
		list( $code, $resp, $headers ) = array( $r['code'], $r['body'], $r['headers'] );
		$seconds += $r['seconds'];
		++$pages;
		$stmts[] = $r['statements'];
		if ( 200 !== $code || ! is_string( $resp ) ) {
			$error = "page $page: HTTP $code " . substr( (string) ( $resp ? $resp : curl_error( $ch ) ), 0, 300 );
			break;
		}
		$bytes    += strlen( $resp );
		$engines[ $headers['x-mulopimfwc-engine'] ?? '?' ] = true;
		$mem_peak  = max( (float) $mem_peak, (float) ( $headers['x-bench-mem-peak'] ?? 0 ) );
		$rss_peak  = max( (float) $rss_peak, (float) ( $headers['x-bench-rss-peak'] ?? 0 ) );
		$rss_grow  = max( (float) $rss_grow, (float) ( $headers['x-bench-rss-growth'] ?? 0 ) );
		if ( 'csv' === $c['format'] ) {
			list( , $list ) = csv_rows( $resp );
			$total = (int) ( $headers['x-wp-total'] ?? 0 );
		} else {
			$json  = json_decode( $resp, true );
			$list  = $json['data'] ?? array();
			$total = (int) ( $json['total'] ?? 0 );
		}
		foreach ( $list as $r ) {
			hash_update( $hash, mulopimfwc_bench_export_line( $r ) );
		}
		$rows += count( $list );
		$resp  = null;
		$list  = null;
		$json  = null;
		if ( $page * $c['per_page'] >= $total ) {
			break;
		}
	}
	// The worker's peaks at the end of each request (after the response was encoded), logged by the bench
	// mu-plugin's shutdown function; the headers above are taken before WordPress encodes the response.
	$sd_mem  = null;
	$sd_rss  = null;
	$sd_grow = null;
	if ( is_file( $shutdown_log ) ) {
		foreach ( file( $shutdown_log, FILE_IGNORE_NEW_LINES ) as $l ) {
			$x = json_decode( $l, true );
			if ( is_array( $x ) && 0 === strpos( (string) ( $x['id'] ?? '' ), $run_id . '-' ) ) {
				$sd_mem  = max( (float) $sd_mem, (float) $x['mem_peak'] );
				if ( isset( $x['rss_peak'] ) ) {
					$sd_rss  = max( (float) $sd_rss, (float) $x['rss_peak'] );
					$sd_grow = max( (float) $sd_grow, (float) $x['rss_growth'] );
				}
			}
		}
	}
	sort( $stmts );
	return array(
		'seconds'             => $error ? null : $seconds,
		'pages'               => $pages,
		'rows'                => $rows,
		'total'               => $total,
		'bytes'               => $bytes,
		'hash'                => hash_final( $hash ),
		'statements'          => array_sum( $stmts ),
		'statements_per_page' => $stmts ? $stmts[ intdiv( count( $stmts ), 2 ) ] : null,
		'statements_page_max' => $stmts ? max( $stmts ) : null,
		'mem_peak'            => null !== $sd_mem ? $sd_mem : $mem_peak,
		'rss_peak'            => null !== $sd_rss ? $sd_rss : ( $rss_peak ? $rss_peak : null ),
		'rss_growth'          => null !== $sd_grow ? $sd_grow : ( $rss_peak ? $rss_grow : null ),
		'memory_at'           => null !== $sd_mem ? 'shutdown' : 'rest_post_dispatch',
		'engine_used'         => implode( ',', array_keys( $engines ) ),
		'first_error'         => $error,
	);
}

function run_cli( $c ) {
	global $wp_dir, $location_id;
	list( $r, $err ) = bench_child( $c['engine'], 'export-cli.php', array( $wp_dir, $c['engine'], (string) $c['per_page'], (string) $location_id ) );
	if ( '' !== trim( $err ) ) {
		file_put_contents( $GLOBALS['work'] . '/export-cli-stderr.log', "== {$c['engine']} {$c['per_page']}\n" . substr( $err, 0, 20000 ) . "\n", FILE_APPEND );
	}
	if ( ! isset( $r['pages'] ) ) {
		return $r; // the run failed
	}
	$r['statements_per_page'] = $r['pages'] ? $r['statements'] / $r['pages'] : null;
	$r['engine_used']         = $c['engine'];
	return $r;
}

function run_floor() {
	global $floor, $prefix, $location_id, $q_self;
	$sql = mulopimfwc_bench_export_floor_sql( $prefix, $location_id );
	gc_collect_cycles();
	$q0   = questions();
	$t0   = hrtime( true );
	$res  = $floor->query( $sql );
	$all  = $res->fetch_all( MYSQLI_NUM );
	$t1   = hrtime( true );
	$q1   = questions();
	$hash = hash_init( 'md5' );
	foreach ( $all as $r ) {
		hash_update( $hash, mulopimfwc_bench_export_line( $r ) );
	}
	$n   = count( $all );
	$all = null;
	return array(
		'seconds'             => ( $t1 - $t0 ) / 1e9,
		'pages'               => 1,
		'rows'                => $n,
		'total'               => $n,
		'hash'                => hash_final( $hash ),
		'statements'          => $q1 - $q0 - $q_self,
		'statements_per_page' => $q1 - $q0 - $q_self,
		'engine_used'         => 'floor',
	);
}

$expected = (int) $floor->query( mulopimfwc_bench_export_count_sql( $prefix, $location_id ) )->fetch_row()[0];
$floor_hash = null;
$results    = array();
$warmups    = array();
$t_start    = microtime( true );
if ( is_file( $shutdown_log ) ) {
	@unlink( $shutdown_log );
}
say( sprintf( '== export: %s rows (SQL COUNT%s); cases %s; %d runs after a warm-up, interleaved', number_format( $expected ), $location_id ? ", location_id $location_id" : ', all locations', implode( ', ', array_map( 'case_key', $cases ) ), $runs ) );

function run_one( $c, $run ) {
	global $expected, $floor_hash, $results, $warmups;
	if ( 'http' === $c['path'] ) {
		$r = run_http( $c );
	} elseif ( 'cli' === $c['path'] ) {
		$r = run_cli( $c );
	} else {
		$r = run_floor();
		if ( null === $floor_hash ) {
			$floor_hash = $r['hash'];
		}
	}
	$r = array_merge(
		array(
			'case'     => $c['case'],
			'engine'   => $c['engine'],
			'path'     => $c['path'],
			'format'   => $c['format'],
			'per_page' => $c['per_page'],
			'run'      => $run ? $run : 'warmup',
		),
		$r
	);
	$engine_ok      = 'floor' === $c['engine'] || ( $r['engine_used'] ?? null ) === $c['engine'];
	$r['count_ok']  = (int) ( $r['rows'] ?? -1 ) === $expected;
	$r['engine_ok'] = $engine_ok;
	$r['ok']        = null !== ( $r['seconds'] ?? null ) && $r['count_ok'] && $engine_ok;
	$r['rows_per_s'] = $r['ok'] && $r['seconds'] > 0 ? $r['rows'] / $r['seconds'] : null;
	say(
		sprintf(
			'  %-22s %-7s %s  pages %d  stmts/page %s%s%s',
			case_key( $c ),
			$run ? "run $run" : 'warm-up',
			$r['ok'] ? sprintf( '%8.3f s %10s rows/s', $r['seconds'], number_format( $r['rows_per_s'] ) ) : 'FAILED: ' . ( $r['first_error'] ?? sprintf( 'rows %s of %s, engine %s', $r['rows'] ?? '?', $expected, $r['engine_used'] ?? '?' ) ),
			$r['pages'] ?? 0,
			isset( $r['statements_per_page'] ) ? number_format( $r['statements_per_page'], 1 ) : '–',
			isset( $r['rss_peak'] ) ? sprintf( '  peak RSS %.1f MB', $r['rss_peak'] / 1048576 ) : '',
			isset( $r['mem_peak'] ) ? sprintf( '  zend %.1f MB', $r['mem_peak'] / 1048576 ) : ''
		)
	);
	if ( $run ) {
		$results[] = $r;
	} else {
		$warmups[] = $r;
	}
}

// The floor first (its hash is the reference), then a warm-up of every case, then interleaved runs.
foreach ( array_merge( array_filter( $cases, static function ( $c ) { return 'sql' === $c['path']; } ), array_filter( $cases, static function ( $c ) { return 'sql' !== $c['path']; } ) ) as $c ) {
	run_one( $c, 0 );
}
for ( $run = 1; $run <= $runs; $run++ ) {
	foreach ( $cases as $c ) {
		run_one( $c, $run );
	}
}
foreach ( array_merge( $warmups, $results ) as $i => $r ) {
	// Same rows, same order as the floor's query.
	$same = null === $floor_hash ? null : $r['hash'] === $floor_hash;
	if ( $i < count( $warmups ) ) {
		$warmups[ $i ]['same_as_floor'] = $same;
	} else {
		$results[ $i - count( $warmups ) ]['same_as_floor'] = $same;
	}
}

bench_write_raw(
	'export',
	$o,
	array(
		'runs'           => $runs,
		'per_page'       => $per_pages,
		'location_id'    => $location_id,
		'expected_rows'  => $expected,
		'floor_hash'     => $floor_hash,
	),
	array(
		'warmups' => $warmups,
		'runs'    => $results,
	),
	count( $results ),
	$t_start
);
