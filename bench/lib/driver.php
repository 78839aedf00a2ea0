<?php
/**
 * The benchmark driver (bench/run.sh starts it): payloads, the floor's SQL, warm-up, interleaved runs with a
 * reset before each, and the raw numbers in a JSON file.
 *
 *   php bench/lib/driver.php --state STATE.json --work DIR --out RESULTS.json --sizes 100,1000,...
 *       --runs 5 --slow-runs 3 [--no-baseline] [--baseline-max N] [--max-case-seconds 3600] [--meta META.json]
 *
 * Environment: E2E_URL, E2E_WP_DIR, E2E_API_KEY, E2E_DB_NAME, E2E_DB_SOCKET, E2E_DB_USER, E2E_DB_PASSWORD
 * (tests/e2e/lib/site.sh env), MULOPIMFWC_DB_ROOT_SOCKET, BENCH_SO (the extension), BENCH_NO_HTTP=1 to
 * leave out the HTTP cases (no site server).
 *
 * Cases: native/http, php/http, baseline/http (the site over nginx + php-fpm), native/cli, php/cli,
 * baseline/cli (bench/lib/cli.php: the engine called directly inside WordPress), floor/sql (precomputed
 * multi-row statements sent by a plain mysqli client in one transaction).
 */

require __DIR__ . '/common.php';
$o = bench_options( 'driver.php', array( 'state:', 'work:', 'out:', 'sizes:', 'runs:', 'slow-runs:', 'no-baseline', 'baseline-max:', 'max-case-seconds:', 'meta:', 'cases:', 'payloads-only' ) );
$sizes     = array_map( 'intval', explode( ',', $o['sizes'] ?? '100,1000,10000,100000' ) );
$slow_runs = max( 1, (int) ( $o['slow-runs'] ?? 3 ) );
$max_case  = (float) ( $o['max-case-seconds'] ?? 3600 );
$base_max  = isset( $o['baseline-max'] ) ? (int) $o['baseline-max'] : PHP_INT_MAX;
$no_base   = isset( $o['no-baseline'] );
$repo      = dirname( __DIR__, 2 );

$all_cases = array(
	'native/http'   => array( 'engine' => 'native', 'path' => 'http' ),
	'php/http'      => array( 'engine' => 'php', 'path' => 'http' ),
	'baseline/http' => array( 'engine' => 'baseline', 'path' => 'http' ),
	'native/cli'    => array( 'engine' => 'native', 'path' => 'cli' ),
	'php/cli'       => array( 'engine' => 'php', 'path' => 'cli' ),
	'baseline/cli'  => array( 'engine' => 'baseline', 'path' => 'cli' ),
	'floor/sql'     => array( 'engine' => 'floor', 'path' => 'sql' ),
);

// Connections: root (resets), the site's user (the floor client, like the engines), a monitor (counters).
$root = new mysqli( 'localhost', 'root', '', $state['db'], 0, getenv( 'MULOPIMFWC_DB_ROOT_SOCKET' ) );
bench_connect( $state );
$toggle    = 0;
$results   = array();
$skipped   = array();
$estimates = array();

/*
 * Payloads: N distinct (product, location) pairs in a fixed pseudo-random order (the first N of one
 * permutation, so the sizes nest), sku + location_slug + stock + both prices; two variants whose every
 * value differs, used alternately so that every run changes every row it touches.
 */
function items_for( $n, $variant ) {
	global $state;
	$p     = count( $state['skus'] );
	$l     = count( $state['locations'] );
	$m     = $p * $l;
	$items = array();
	for ( $k = 0; $k < $n; $k++ ) {
		$idx     = ( 104729 * $k + 7 ) % $m;
		$pi      = $idx % $p;
		$li      = intdiv( $idx, $p );
		$cents   = $variant ? '99' : '49';
		$items[] = array(
			'pi'            => $pi,
			'li'            => $li,
			'sku'           => $state['skus'][ $pi ],
			'location_slug' => $state['locations'][ $li ]['slug'],
			'stock'         => 10 + $k % 90 + $variant,
			'regular_price' => ( 15 + $k % 70 ) . '.' . $cents,
			'sale_price'    => ( 10 + $k % 70 ) . '.' . $cents,
		);
	}
	return $items;
}

function payload_file( $n, $variant ) {
	global $work;
	$f = "$work/payload-$n-$variant.json";
	if ( ! is_file( $f ) ) {
		$body = array();
		foreach ( items_for( $n, $variant ) as $it ) {
			$body[] = array(
				'sku'           => $it['sku'],
				'location_slug' => $it['location_slug'],
				'stock'         => $it['stock'],
				'regular_price' => $it['regular_price'],
				'sale_price'    => $it['sale_price'],
			);
		}
		file_put_contents( $f, json_encode( array( 'items' => $body ), JSON_UNESCAPED_SLASHES ) );
	}
	return $f;
}

/*
 * The floor: the row changes the native engine makes (location meta upserted by meta_id or inserted, the
 * main stock of primary-location items: `_stock`, the lookup row, post_modified of the product and of a
 * variation's parent), as precomputed multi-row statements. Reading the meta ids is not timed.
 */
function floor_statements( $n, $variant ) {
	global $root, $state, $prefix;
	$items   = items_for( $n, $variant );
	$primary = (int) $state['primary_term_id'];
	$posts   = array();
	foreach ( $items as $it ) {
		$posts[ $state['ids'][ $it['pi'] ] ] = true;
	}
	$keys = array( "'_stock'" );
	foreach ( $state['locations'] as $loc ) {
		foreach ( array( 'stock', 'regular_price', 'sale_price' ) as $f ) {
			$keys[] = "'_location_{$f}_{$loc['term_id']}'";
		}
	}
	$ids    = array();
	$parent = array();
	foreach ( array_chunk( array_keys( $posts ), 5000 ) as $chunk ) {
		$in  = implode( ',', $chunk );
		$res = $root->query( "SELECT meta_id, post_id, meta_key FROM `{$prefix}postmeta` WHERE meta_id <= {$state['seed_max_meta_id']} AND post_id IN ($in) AND meta_key IN (" . implode( ',', $keys ) . ')' );
		while ( $r = $res->fetch_row() ) {
			$ids[ $r[1] . '|' . $r[2] ] = (int) $r[0];
		}
		$res = $root->query( "SELECT ID, post_parent FROM `{$prefix}posts` WHERE ID IN ($in)" );
		while ( $r = $res->fetch_row() ) {
			$parent[ (int) $r[0] ] = (int) $r[1];
		}
	}
	$meta     = array();
	$lookup   = array();
	$modified = array();
	foreach ( $items as $it ) {
		$post = $state['ids'][ $it['pi'] ];
		$term = $state['locations'][ $it['li'] ]['term_id'];
		foreach ( array( 'stock' => (string) $it['stock'], 'regular_price' => $it['regular_price'], 'sale_price' => $it['sale_price'] ) as $f => $v ) {
			$key    = "_location_{$f}_{$term}";
			$mid    = $ids[ "$post|$key" ] ?? 'NULL';
			$meta[] = "($mid,$post,'$key','$v')";
		}
		if ( $term === $primary ) {
			$meta[]            = '(' . $ids[ "$post|_stock" ] . ",$post,'_stock','{$it['stock']}')";
			$lookup[]          = "($post,{$it['stock']},'instock')";
			$modified[ $post ] = true;
			if ( $parent[ $post ] ) {
				$modified[ $parent[ $post ] ] = true;
			}
		}
	}
	$stmts = array();
	$chunk = static function ( $head, $rows, $tail ) use ( &$stmts ) {
		$cur = '';
		foreach ( $rows as $r ) {
			if ( '' !== $cur && strlen( $cur ) + strlen( $r ) > 16 << 20 ) {
				$stmts[] = $cur . $tail;
				$cur     = '';
			}
			$cur .= ( '' === $cur ? $head : ',' ) . $r;
		}
		if ( '' !== $cur ) {
			$stmts[] = $cur . $tail;
		}
	};
	$chunk( "INSERT INTO `{$prefix}postmeta` (meta_id, post_id, meta_key, meta_value) VALUES ", $meta, ' ON DUPLICATE KEY UPDATE meta_value = VALUES(meta_value)' );
	$chunk( "INSERT INTO `{$prefix}wc_product_meta_lookup` (product_id, stock_quantity, stock_status) VALUES ", $lookup, ' ON DUPLICATE KEY UPDATE stock_quantity = VALUES(stock_quantity), stock_status = VALUES(stock_status)' );
	if ( $modified ) {
		$chunk( "UPDATE `{$prefix}posts` SET post_modified = NOW(), post_modified_gmt = UTC_TIMESTAMP() WHERE ID IN (", array_map( 'strval', array_keys( $modified ) ), ')' );
	}
	return $stmts;
}

/** Deletes the rows the previous run inserted; lets InnoDB's purge settle. */
function reset_store( $n ) {
	global $root, $state, $prefix;
	$root->query( "DELETE FROM `{$prefix}postmeta` WHERE meta_id > {$state['seed_max_meta_id']}" );
	usleep( (int) ( 200000 + min( 1.5, $n / 100000 ) * 1000000 ) );
}

/**
 * The plugin's `Server-Timing` header (`parse;dur=1.2, resolve;dur=..., ..., follow-ons;dur=..., total;dur=...`) as
 * name => milliseconds; null when the response has none (the baseline route, an error before the engine).
 *
 * @param string|null $header Header value.
 * @return array|null
 */
function server_timings( $header ) {
	if ( ! is_string( $header ) || '' === $header ) {
		return null;
	}
	$out = array();
	foreach ( explode( ',', $header ) as $part ) {
		if ( preg_match( '/^\s*([^;\s]+)\s*;\s*dur=([0-9.]+)/', $part, $m ) ) {
			$out[ $m[1] ] = (float) $m[2];
		}
	}
	return $out ? $out : null;
}

function run_http( $engine, $file, $n ) {
	global $url, $api_key;
	$route = 'baseline' === $engine ? '/wp-json/mulopimfwc-bench/v1/baseline-sync' : '/wp-json/mulopimfwc/v1/inventory/bulk-sync';
	$hdr   = array( 'Content-Type: application/json', 'X-API-Key: ' . $api_key, 'X-Bench: 1', 'Expect:' );
	if ( 'php' === $engine ) {
		$hdr[] = 'X-E2E-Force-PHP: 1'; // tests/e2e/lib/mulopimfwc-test-helpers.php turns mulopimfwc_force_php_engine on
	}
	$ch = curl_init( $url . $route );
	$r  = bench_http(
		$ch,
		array(
			CURLOPT_POST       => true,
			CURLOPT_POSTFIELDS => file_get_contents( $file ),
			CURLOPT_HTTPHEADER => $hdr,
			CURLOPT_TIMEOUT    => 3600,
		)
	);
	curl_close( $ch );
	list( $code, $resp, $time, $headers, $err ) = array( $r['code'], $r['body'], $r['seconds'], $r['headers'], $r['error'] );
	$json = is_string( $resp ) ? json_decode( $resp, true ) : null;
	$h    = static function ( $k ) use ( $headers ) {
		return isset( $headers[ $k ] ) ? (float) $headers[ $k ] : null;
	};
	return array(
		'seconds'           => $time,
		'http_status'       => $code,
		'mem_peak'          => $h( 'x-bench-mem-peak' ),
		'mem_growth'        => $h( 'x-bench-mem-growth' ),
		'rss_peak'          => $h( 'x-bench-rss-peak' ),
		'rss_growth'        => $h( 'x-bench-rss-growth' ),
		'statements'        => $r['statements'],
		'engine_statements' => $h( 'x-bench-engine-statements' ),
		'wpdb_queries'      => $h( 'x-bench-wpdb-queries' ),
		'php_seconds'       => $h( 'x-bench-php-seconds' ),
		'engine_used'       => $headers['x-mulopimfwc-engine'] ?? ( 'baseline' === $engine ? 'baseline' : null ),
		'timings'           => server_timings( $headers['server-timing'] ?? null ),
		'success'           => $json['results']['success'] ?? null,
		'failed'            => $json['results']['failed'] ?? null,
		'first_error'       => 200 !== $code ? ( $err ? $err : substr( (string) $resp, 0, 300 ) ) : ( $json['results']['errors'][0] ?? null ),
	);
}

function run_cli( $engine, $file ) {
	global $wp_dir;
	return bench_child( $engine, 'cli.php', array( $wp_dir, $engine, $file ) )[0];
}

function run_floor( $stmts ) {
	global $floor;
	$q0 = questions();
	$t0 = hrtime( true );
	$floor->query( 'START TRANSACTION' );
	foreach ( $stmts as $s ) {
		$floor->query( $s );
	}
	$floor->query( 'COMMIT' );
	$t1 = hrtime( true );
	$q1 = questions();
	global $q_self;
	return array(
		'seconds'    => ( $t1 - $t0 ) / 1e9,
		'statements' => $q1 - $q0 - $q_self,
	);
}

function run_case( $case, $n, $run, $record = true ) {
	global $all_cases, $toggle, $results, $floor_cache;
	$c       = $all_cases[ $case ];
	$variant = $toggle;
	$toggle  = 1 - $toggle;
	reset_store( $n );
	$file = payload_file( $n, $variant );
	if ( 'http' === $c['path'] ) {
		$r = run_http( $c['engine'], $file, $n );
	} elseif ( 'cli' === $c['path'] ) {
		$r = run_cli( $c['engine'], $file );
	} else {
		if ( ! isset( $floor_cache[ "$n-$variant" ] ) ) {
			$floor_cache = array( "$n-$variant" => floor_statements( $n, $variant ) ) + ( $floor_cache ? $floor_cache : array() );
		}
		$r = run_floor( $floor_cache[ "$n-$variant" ] );
		$r['success'] = $n;
		$r['failed']  = 0;
	}
	$r = array_merge(
		array(
			'case'    => $case,
			'engine'  => $c['engine'],
			'path'    => $c['path'],
			'n'       => $n,
			'run'     => $record ? $run : 'warmup',
			'variant' => $variant,
		),
		$r
	);
	$ok = null !== ( $r['seconds'] ?? null ) && (int) ( $r['success'] ?? -1 ) === $n && 0 === (int) ( $r['failed'] ?? 0 ) && ( ! isset( $r['http_status'] ) || 200 === $r['http_status'] );
	$r['ok']          = $ok;
	$r['items_per_s'] = $ok && $r['seconds'] > 0 ? $n / $r['seconds'] : null;
	say(
		sprintf(
			'  [%6d] %-14s %-7s %s%s%s%s',
			$n,
			$case,
			$record ? "run $run" : 'warm-up',
			$ok ? sprintf( '%9.3f s %10s items/s', $r['seconds'], number_format( $r['items_per_s'] ) ) : 'FAILED: ' . ( $r['first_error'] ?? ( isset( $r['success'] ) ? "success {$r['success']} failed {$r['failed']}" : '?' ) ),
			isset( $r['statements'] ) ? sprintf( '  stmts %d', $r['statements'] ) : '',
			isset( $r['rss_growth'] ) ? sprintf( '  rss +%.1f MB', $r['rss_growth'] / 1048576 ) : '',
			isset( $r['mem_growth'] ) ? sprintf( '  zend +%.1f MB', $r['mem_growth'] / 1048576 ) : ''
		)
	);
	if ( $record ) {
		$results[] = $r;
	} elseif ( ! $ok ) {
		// a failed warm-up is not timed, but reported (bench/lib/report.php)
		$GLOBALS['warmup_failures'][] = array(
			'case'  => $case,
			'n'     => $n,
			'error' => substr( (string) ( $r['first_error'] ?? '?' ), 0, 400 ),
		);
	}
	return $r;
}

if ( isset( $o['payloads-only'] ) ) {
	foreach ( array_unique( array_merge( array( 100 ), $sizes ) ) as $n ) {
		payload_file( $n, 0 );
		payload_file( $n, 1 );
	}
	exit( 0 );
}
$floor_cache = array();
$rate        = array(); // case => last measured items/s (for estimates)
$t_start     = microtime( true );
foreach ( $sizes as $n ) {
	$cases = array();
	foreach ( $all_cases as $case => $c ) {
		if ( $only && ! in_array( $case, $only, true ) ) {
			continue;
		}
		if ( $no_http && 'http' === $c['path'] ) {
			continue;
		}
		if ( 'baseline' === $c['engine'] && ( $no_base || $n > $base_max ) ) {
			$skipped[] = array( 'case' => $case, 'n' => $n, 'reason' => $no_base ? '--no-baseline' : 'quick mode' );
			continue;
		}
		// Estimate from the last size's rate; slow cases get fewer runs, and no case may exceed the budget.
		$est  = isset( $rate[ $case ] ) ? $n / $rate[ $case ] : null;
		$want = ( 'baseline' === $c['engine'] || ( null !== $est && $est > 20 ) ) ? min( $runs, $slow_runs ) : $runs;
		if ( null !== $est ) {
			$estimates[] = array( 'case' => $case, 'n' => $n, 'estimated_seconds_per_run' => round( $est, 1 ) );
			if ( $est > $max_case ) {
				$skipped[] = array( 'case' => $case, 'n' => $n, 'reason' => sprintf( 'estimated %.0f s per run (%.1f h) from the %s items/s measured at the previous size exceeds the %d s budget', $est, $est / 3600, number_format( $rate[ $case ] ), $max_case ) );
				say( sprintf( '  [%6d] %-14s skipped: estimated %.0f s per run (%.1f h) > budget %d s', $n, $case, $est, $est / 3600, $max_case ) );
				continue;
			}
			$fit = (int) floor( $max_case / max( $est, 0.001 ) );
			if ( $fit < $want ) {
				say( sprintf( '  [%6d] %-14s estimated %.0f s per run: %d run(s) instead of %d to stay within %d s', $n, $case, $est, $fit, $want, $max_case ) );
				$want = $fit;
			}
			if ( $est > 10 ) {
				say( sprintf( '  [%6d] %-14s estimated %.0f s per run', $n, $case, $est ) );
			}
		}
		$cases[ $case ] = array( 'runs' => $want, 'warmup' => null === $est || $est < 20 );
	}
	say( sprintf( '== %d items: %s', $n, implode( ', ', array_map( static function ( $k, $v ) { return "$k x{$v['runs']}"; }, array_keys( $cases ), $cases ) ) ) );
	payload_file( $n, 0 );
	payload_file( $n, 1 );
	foreach ( $cases as $case => $c ) {
		if ( $c['warmup'] ) {
			run_case( $case, $n, 0, false );
		}
	}
	$max_runs = max( array_merge( array( 0 ), array_column( $cases, 'runs' ) ) );
	for ( $r = 1; $r <= $max_runs; $r++ ) {
		foreach ( $cases as $case => $c ) {
			if ( $r <= $c['runs'] ) {
				run_case( $case, $n, $r );
			}
		}
	}
	foreach ( array_keys( $cases ) as $case ) {
		$rates = array();
		foreach ( $results as $x ) {
			if ( $x['case'] === $case && $x['n'] === $n && $x['ok'] ) {
				$rates[] = $x['items_per_s'];
			}
		}
		if ( $rates ) {
			sort( $rates );
			$rate[ $case ] = $rates[ intdiv( count( $rates ), 2 ) ];
		}
	}
	$floor_cache = array();
}
reset_store( 0 );

bench_write_raw(
	'driver',
	$o,
	array(
		'sizes'          => $sizes,
		'runs'           => $runs,
		'slow_runs'      => $slow_runs,
	),
	array(
		'skipped'         => $skipped,
		'warmup_failures' => $GLOBALS['warmup_failures'] ?? array(),
		'estimates'       => $estimates,
		'runs'            => $results,
	),
	count( $results ),
	$t_start
);
