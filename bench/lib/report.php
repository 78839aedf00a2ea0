<?php
/**
 * Summarises the driver's raw numbers: bench/results/latest.md (table, machine, targets), the summary in
 * latest.json (beside the raw runs), and the table + targets on stdout.
 *
 *   php bench/lib/report.php RAW.json OUT_DIR [RAW-export.json]
 *
 * With the export benchmark's raw numbers (bench/lib/export.php), latest.md also gets its table (the same as
 * bench/results/export.md, written by bench/lib/export-report.php) and latest.json its summary.
 */

list( , $raw_file, $out_dir ) = $argv;
$export_raw = isset( $argv[3] ) && is_file( $argv[3] ) ? json_decode( file_get_contents( $argv[3] ), true ) : null;
if ( $export_raw ) {
	require_once __DIR__ . '/export-report.php';
	$export_summary = mulopimfwc_bench_export_summary( $export_raw );
}
$raw  = json_decode( file_get_contents( $raw_file ), true );
$meta = $raw['meta'];

function median( array $v ) {
	sort( $v );
	$n = count( $v );
	return $n ? ( $n % 2 ? $v[ intdiv( $n, 2 ) ] : ( $v[ $n / 2 - 1 ] + $v[ $n / 2 ] ) / 2 ) : null;
}
function mb( $b ) {
	return null === $b ? '–' : sprintf( '%.1f', $b / 1048576 );
}
function num( $x, $d = 0 ) {
	return null === $x ? '–' : number_format( $x, $d );
}

$order = array( 'native/http', 'php/http', 'baseline/http', 'native/cli', 'php/cli', 'baseline/cli', 'floor/sql' );

/**
 * Per size and case: runs, median and spread, items/s, statements (the server's count for the whole request),
 * WordPress's $wpdb queries and the engine's own statements, memory.
 *
 * @param array $raw The driver's raw numbers.
 * @return array
 */
function bench_summarise( array $raw ) {
	global $order;
	$sum = array();
	foreach ( $raw['runs'] as $r ) {
		$sum[ $r['n'] ][ $r['case'] ][] = $r;
	}
	ksort( $sum );
	$summary = array();
	foreach ( $sum as $n => $cases ) {
		foreach ( $order as $case ) {
			if ( empty( $cases[ $case ] ) ) {
				continue;
			}
			$runs = $cases[ $case ];
			$ok   = array_values( array_filter( $runs, static function ( $r ) { return $r['ok']; } ) );
			$secs = array_column( $ok, 'seconds' );
			$pick = static function ( $k, $f = 'median' ) use ( $ok ) {
				$v = array_values( array_filter( array_column( $ok, $k ), static function ( $x ) { return null !== $x; } ) );
				if ( ! $v ) {
					return null;
				}
				return 'max' === $f ? max( $v ) : median( $v );
			};
			$med                    = $secs ? median( $secs ) : null;
			$summary[ $n ][ $case ] = array(
				'runs'              => count( $runs ),
				'failed_runs'       => count( $runs ) - count( $ok ),
				'median_s'          => $med,
				'min_s'             => $secs ? min( $secs ) : null,
				'max_s'             => $secs ? max( $secs ) : null,
				'items_per_s'       => $med ? $n / $med : null,
				'statements'        => $pick( 'statements' ),
				'statements_max'    => $pick( 'statements', 'max' ),
				'engine_statements' => $pick( 'engine_statements' ),
				'wpdb_queries'      => $pick( 'wpdb_queries' ),
				'rss_growth_max'    => $pick( 'rss_growth', 'max' ),
				'rss_peak_max'      => $pick( 'rss_peak', 'max' ),
				'mem_growth_max'    => $pick( 'mem_growth', 'max' ),
				'mem_peak_max'      => $pick( 'mem_peak', 'max' ),
				'first_error'       => count( $ok ) < count( $runs ) ? ( array_values( array_diff_key( $runs, $ok ) )[0]['first_error'] ?? null ) : null,
				'timings'           => bench_median_timings( $ok ),
			);
		}
		foreach ( $summary[ $n ] as $case => &$s ) {
			$ref            = 'floor/sql' === $case ? 'native/cli' : ( explode( '/', $case )[1] === 'http' ? 'native/http' : 'native/cli' );
			$r              = $summary[ $n ][ $ref ]['items_per_s'] ?? null;
			$s['vs_native'] = ( $r && $s['items_per_s'] ) ? $s['items_per_s'] / $r : null;
		}
		unset( $s );
	}
	return $summary;
}

/** The phases of the plugin's Server-Timing header, in its order. */
const BENCH_PHASES = array( 'parse', 'resolve', 'lock', 'read', 'plan', 'write', 'follow-ons', 'total' );

/**
 * Per phase, the median over the runs of the milliseconds their Server-Timing header gave (bench/lib/driver.php
 * server_timings()); null when no run had the header.
 *
 * @param array $runs Successful runs.
 * @return array|null
 */
function bench_median_timings( array $runs ) {
	$out = array();
	foreach ( BENCH_PHASES as $phase ) {
		$v = array();
		foreach ( $runs as $r ) {
			if ( isset( $r['timings'][ $phase ] ) ) {
				$v[] = (float) $r['timings'][ $phase ];
			}
		}
		if ( $v ) {
			$out[ $phase ] = median( $v );
		}
	}
	return $out ? $out : null;
}

/**
 * Markdown rows side by side for one size over HTTP: time and items/s of native, PHP engine and baseline, the
 * ratios, statements per request (server count; native's split into WordPress's $wpdb and the engine's own).
 *
 * @param array  $cases The summary of one size.
 * @param string $first The first cell.
 * @return string
 */
function bench_side_by_side_row( array $cases, $first ) {
	$t  = static function ( $c ) use ( $cases ) {
		$s = $cases[ $c ] ?? null;
		if ( ! $s ) {
			return 'not run';
		}
		if ( null === $s['median_s'] ) {
			return 'failed';
		}
		return sprintf( '%.3f s (%s/s)', $s['median_s'], num( $s['items_per_s'] ) );
	};
	$ratio = static function ( $a, $b ) use ( $cases ) {
		$x = $cases[ $a ]['items_per_s'] ?? null;
		$y = $cases[ $b ]['items_per_s'] ?? null;
		return ( $x && $y ) ? ( $x / $y >= 10 ? sprintf( '%.0f×', $x / $y ) : sprintf( '%.2f×', $x / $y ) ) : '–';
	};
	$st = static function ( $c ) use ( $cases ) {
		return isset( $cases[ $c ]['statements'] ) ? num( $cases[ $c ]['statements'] ) : '–';
	};
	$nat = $cases['native/http'] ?? array();
	$split = isset( $nat['wpdb_queries'] ) || isset( $nat['engine_statements'] )
		? sprintf( ' ($wpdb %s, engine %s)', num( $nat['wpdb_queries'] ?? null ), num( $nat['engine_statements'] ?? null ) )
		: '';
	return sprintf( '| %s | %s | %s | %s | %s | %s | %s%s / %s / %s |', $first, $t( 'native/http' ), $t( 'php/http' ), $t( 'baseline/http' ), $ratio( 'native/http', 'php/http' ), $ratio( 'native/http', 'baseline/http' ), $st( 'native/http' ), $split, $st( 'php/http' ), $st( 'baseline/http' ) );
}

$summary = bench_summarise( $raw );
$extras  = array();
foreach ( array_filter( explode( ' ', (string) getenv( 'BENCH_EXTRA_RAWS' ) ) ) as $f ) {
	if ( is_file( $f ) ) {
		$x        = json_decode( file_get_contents( $f ), true );
		$extras[] = array(
			'meta'    => $x['meta'],
			'summary' => bench_summarise( $x ),
		);
	}
}

$store_line = static function ( array $mt ) {
	$v = $mt['versions'] ?? array();
	return sprintf( 'WordPress %s, WooCommerce %s%s', $v['WordPress'] ?? '?', $v['WooCommerce'] ?? '?', isset( $v['Redis'] ) ? ', Redis ' . preg_replace( '/ .*/', '', $v['Redis'] ) : '' );
};
// Targets: what the product promises on a WooCommerce store (bench/results/ANALYSIS.md says what bounds a missed one).
$targets = array();
$get     = static function ( $n, $case, $k, $sum = null ) use ( $summary ) {
	$sum = null === $sum ? $summary : $sum;
	return $sum[ $n ][ $case ][ $k ] ?? null;
};
$stores = array( array( $meta, $summary ) );
foreach ( $extras as $x ) {
	$stores[] = array( $x['meta'], $x['summary'] );
}
// 1. Statements per HTTP request <= 60 at every size, with and without a persistent object cache.
$lines = array();
$met   = null;
foreach ( $stores as list( $mt, $sum ) ) {
	$v = array();
	foreach ( $sum as $n => $c ) {
		foreach ( array( 'native/http', 'php/http' ) as $case ) {
			if ( isset( $c[ $case ]['statements'] ) ) {
				$v[] = sprintf( '%s %s: %s', explode( '/', $case )[0], num( $n ), num( $c[ $case ]['statements'] ) );
				$met = ( null === $met ? true : $met ) && $c[ $case ]['statements'] <= 60;
			}
		}
	}
	if ( $v ) {
		$lines[] = $store_line( $mt ) . ': ' . implode( ', ', $v );
	}
}
$targets[] = array( 'target' => 'statements per HTTP request ≤ 60 at every size, with and without Redis (the whole request)', 'met' => $met, 'detail' => $lines ? implode( '; ', $lines ) : 'not measured' );
// 2. Time over HTTP: 1,000 items <= 0.35 s, 10,000 <= 2 s, 100,000 <= 8 s (native).
$lines = array();
$met   = null;
foreach ( array( 1000 => 0.35, 10000 => 2.0, 100000 => 8.0 ) as $n => $limit ) {
	$x = $get( $n, 'native/http', 'median_s' );
	if ( null !== $x ) {
		$lines[] = sprintf( '%s items: %.3f s (≤ %s s)', num( $n ), $x, $limit );
		$met     = ( null === $met ? true : $met ) && $x <= $limit;
	} else {
		$lines[] = num( $n ) . ' items: not measured';
		$met     = false === $met ? false : null;
	}
}
$targets[] = array( 'target' => 'native over HTTP: 1,000 items ≤ 0.35 s, 10,000 ≤ 2 s, 100,000 ≤ 8 s', 'met' => $met, 'detail' => implode( '; ', $lines ) );
// 3. >= 40x the per-item baseline at 1,000 items.
$a         = $get( 1000, 'native/http', 'items_per_s' );
$b         = $get( 1000, 'baseline/http', 'items_per_s' );
$targets[] = array(
	'target' => 'native ≥ 40× the per-item baseline (items/s over HTTP) at 1,000 items',
	'met'    => ( $a && $b ) ? $a / $b >= 40 : null,
	'detail' => ( $a && $b ) ? sprintf( 'native %s items/s vs baseline %s items/s = %.1f×', num( $a ), num( $b ), $a / $b ) : 'not measured (baseline skipped)',
);
// 4. native >= 1.5x the PHP engine at 10,000 and 100,000 items.
$lines = array();
$met   = null;
foreach ( array( 10000, 100000 ) as $n ) {
	foreach ( array( 'http', 'cli' ) as $p ) {
		$x = $get( $n, "native/$p", 'median_s' );
		$y = $get( $n, "php/$p", 'median_s' );
		if ( $x && $y ) {
			$lines[] = sprintf( '%s items %s: %.2f s vs %.2f s = %.2f×', num( $n ), $p, $x, $y, $y / $x );
			if ( 'http' === $p ) {
				$met = ( null === $met ? true : $met ) && $y / $x >= 1.5;
			}
		}
	}
}
$targets[] = array( 'target' => 'native ≥ 1.5× faster than the PHP engine at 10,000 and 100,000 items (over HTTP; direct calls beside)', 'met' => $met, 'detail' => $lines ? implode( '; ', $lines ) : 'not measured' );
// 5. Native memory <= 1 KB per item: RSS growth of the direct call (the engine's own allocations; Zend's beside).
$n_max = 0;
foreach ( $summary as $n => $c ) {
	if ( isset( $c['native/cli']['rss_growth_max'] ) ) {
		$n_max = max( $n_max, (int) $n );
	}
}
if ( $n_max ) {
	$rss       = (float) $get( $n_max, 'native/cli', 'rss_growth_max' );
	$zm        = (float) $get( $n_max, 'native/cli', 'mem_growth_max' );
	$per       = max( 0.0, $rss - $zm ) / $n_max;
	$targets[] = array(
		'target' => 'native engine memory ≤ 1 KB per item during a call',
		'met'    => $per <= 1024,
		'detail' => sprintf( 'direct call at %s items: process RSS +%s MB, of which Zend +%s MB: ~%s bytes per item outside PHP\'s own accounting (an upper bound: allocator arenas and the database driver\'s buffers count too; tests/memory_db.rs counts the engine\'s own allocations)', num( $n_max ), mb( $rss ), mb( $zm ), num( round( $per ) ) ),
	);
}
// 6. Statements constant in the item count.
$lines = array();
$vals  = array();
$http  = array();
foreach ( $summary as $n => $c ) {
	if ( isset( $c['native/cli']['statements'] ) ) {
		$vals[ $n ] = $c['native/cli']['statements'];
	}
	if ( isset( $c['native/http']['statements'] ) ) {
		$http[ $n ] = $c['native/http']['statements'];
	}
}
$met = null;
if ( count( $vals ) >= 2 ) {
	$met = max( $vals ) - min( $vals ) <= 6 && ( count( $http ) < 2 || max( $http ) - min( $http ) <= 6 ); // a chunk or a follow-on round more, never per item
}
$fmt = static function ( $v ) {
	$o = array();
	foreach ( $v as $n => $x ) {
		$o[] = num( $n ) . ': ' . num( $x );
	}
	return implode( ', ', $o );
};
$detail = 'engine (direct call, server counter): ' . $fmt( $vals );
if ( $http ) {
	$detail .= '; whole HTTP request (WordPress boot + engine + follow-ons): ' . $fmt( $http );
}
$targets[] = array( 'target' => 'statements per request constant in the item count (no statement per product anywhere)', 'met' => $met, 'detail' => $detail );

// Markdown.
$m   = array();
$m[] = '# Bulk sync benchmark: latest results';
$m[] = '';
$m[] = sprintf( 'Date: %s · machine: %s CPUs (%s), %s RAM · %s%s', $meta['date'] ?? '?', $meta['nproc'] ?? '?', $meta['cpu'] ?? '?', $meta['memory'] ?? '?', $meta['kernel'] ?? '', isset( $meta['load'] ) ? ' · load average at the start ' . $meta['load'] : '' );
if ( getenv( 'BENCH_NOTE' ) ) {
	$m[] = '';
	$m[] = '**Note:** ' . getenv( 'BENCH_NOTE' );
}
$m[] = '';
$m[] = 'Versions: ' . implode( ' · ', array_map( static function ( $k, $v ) { return "$k $v"; }, array_keys( $meta['versions'] ?? array() ), $meta['versions'] ?? array() ) );
$m[] = '';
$st  = $meta['store'] ?? array();
$m[] = sprintf(
	'Store: %s simple products, %s variable products × %s variations (%s purchasable), %d locations (primary: `%s`), location meta for %s of %s (product, location) pairs, %s postmeta rows. Requests: distinct (SKU, location) pairs, sku + location_slug + stock + regular_price + sale_price, ~1/%d on the primary location. Each run starts from the same store (rows inserted by the previous run deleted) and writes values different from the previous run.',
	num( $st['simple'] ?? 0 ), num( $st['variable'] ?? 0 ), $st['variations_each'] ?? '?', num( $st['purchasable'] ?? 0 ), count( $st['locations'] ?? array() ), $st['locations'][0]['slug'] ?? '?', num( $st['pairs_with_meta'] ?? 0 ), num( ( $st['purchasable'] ?? 0 ) * count( $st['locations'] ?? array() ) ), num( $st['postmeta_rows'] ?? 0 ), count( $st['locations'] ?? array( 1 ) )
);
$m[] = '';
$m[] = 'Cases: **native** = the extension (`mulopimfwc_bulk_sync()`), **php** = the plugin\'s PHP engine, **baseline** = the per-item way of the location plugin\'s own endpoint (bench/mu-plugin: with WooCommerce active, WooCommerce\'s own `wc_get_product()` and `wc_update_product_stock()` per item), **floor** = the same row changes as precomputed multi-row SQL in one transaction from a plain mysqli client. **http** = POST through nginx + php-fpm + WordPress (curl total time); **cli** = the engine called directly inside a loaded WordPress (engine call only); statements = the server\'s `Questions` delta for the request (http: the whole request, WordPress\'s boot, WooCommerce and every follow-on of the sync included; the bench\'s MariaDB serves nothing else). Memory: growth of the php-fpm worker (or CLI process) over the request: RSS (VmHWM after a reset; counts the native engine\'s allocations) / Zend (`memory_get_peak_usage(true)`).';
$m[] = '';
$sbs_start = count( $m );
$m[] = sprintf( '## Side by side, over HTTP (%s; the whole request)', $store_line( $meta ) );
$m[] = '';
$m[] = 'Median time per request (items per second), the ratios of items per second, and the SQL statements the server counted for the whole request (WordPress, WooCommerce and the plugin\'s follow-ons included; for native also split into what WordPress\'s `$wpdb` sent and what the engine sent on its own connection).';
$m[] = '';
$m[] = '| items | native | PHP engine | per-item baseline | native ÷ PHP | native ÷ baseline | statements per request: native / PHP / baseline |';
$m[] = '|---:|---:|---:|---:|---:|---:|---|';
foreach ( $summary as $n => $cases ) {
	if ( isset( $cases['native/http'] ) || isset( $cases['php/http'] ) ) {
		$m[] = bench_side_by_side_row( $cases, num( $n ) );
	}
}
if ( $extras ) {
	$m[] = '';
	$m[] = '### Other stores, 1,000 items over HTTP';
	$m[] = '';
	$m[] = 'Each a store of its own, seeded the same way (its products cloned from products its own WooCommerce made), the same requests, measured after the main run.';
	$m[] = '';
	$m[] = '| store | native | PHP engine | per-item baseline | native ÷ PHP | native ÷ baseline | statements per request: native / PHP / baseline |';
	$m[] = '|---|---:|---:|---:|---:|---:|---|';
	foreach ( $extras as $x ) {
		foreach ( $x['summary'] as $n => $cases ) {
			$m[] = bench_side_by_side_row( $cases, $store_line( $x['meta'] ) . ( 1000 === (int) $n ? '' : ' (' . num( $n ) . ' items)' ) );
		}
	}
}
$sbs_end = count( $m );
$m[] = '';
$m[] = '## Every case';
$m[] = '';
$m[] = sprintf( 'Runs: %d per case after a warm-up (%d for slow cases), interleaved; median and min–max.', $meta['runs'] ?? 0, $meta['slow_runs'] ?? 0 );
$m[] = '';
$m[] = '| items | case | runs | median s | min–max s | items/s | × native | statements | worker growth MB (RSS / Zend) | peak RSS MB |';
$m[] = '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|';
foreach ( $summary as $n => $cases ) {
	foreach ( $cases as $case => $s ) {
		$m[] = sprintf(
			'| %s | %s | %d%s | %s | %s–%s | %s | %s | %s | %s / %s | %s |',
			num( $n ), $case, $s['runs'], $s['failed_runs'] ? " ({$s['failed_runs']} failed)" : '',
			null === $s['median_s'] ? '–' : sprintf( '%.3f', $s['median_s'] ),
			null === $s['min_s'] ? '–' : sprintf( '%.3f', $s['min_s'] ), null === $s['max_s'] ? '–' : sprintf( '%.3f', $s['max_s'] ),
			num( $s['items_per_s'] ),
			null === $s['vs_native'] ? '–' : ( $s['vs_native'] >= 10 ? sprintf( '%.0f×', $s['vs_native'] ) : sprintf( '%.2f×', $s['vs_native'] ) ),
			num( $s['statements'] ),
			mb( $s['rss_growth_max'] ), mb( $s['mem_growth_max'] ), mb( $s['rss_peak_max'] )
		);
	}
}
$phase_rows = array();
foreach ( $summary as $n => $cases ) {
	foreach ( $cases as $case => $s ) {
		if ( empty( $s['timings'] ) ) {
			continue;
		}
		$cells = array();
		foreach ( BENCH_PHASES as $phase ) {
			$cells[] = isset( $s['timings'][ $phase ] ) ? sprintf( '%.1f', $s['timings'][ $phase ] ) : '–';
		}
		$phase_rows[] = sprintf( '| %s | %s | %s |', num( $n ), explode( '/', $case )[0], implode( ' | ', $cells ) );
	}
}
if ( $phase_rows ) {
	$m[] = '';
	$m[] = '## Where the time goes (Server-Timing, median ms per phase)';
	$m[] = '';
	$m[] = 'From the `Server-Timing` header of each HTTP request (tests/contract/README.md, "timings"): the engine\'s phases, the plugin\'s follow-ons, and the request\'s total (WordPress\'s loading included); each the median over the runs.';
	$m[] = '';
	$m[] = '| items | engine | ' . implode( ' | ', BENCH_PHASES ) . ' |';
	$m[] = '|---:|---|' . str_repeat( '---:|', count( BENCH_PHASES ) );
	$m   = array_merge( $m, $phase_rows );
}
if ( ! empty( $raw['warmup_failures'] ) ) {
	$m[] = '';
	$m[] = 'Failed warm-ups (not timed; the PHP error log of the store is in target/bench-work/logs-STACK/):';
	foreach ( $raw['warmup_failures'] as $x ) {
		$m[] = sprintf( '- %s at %s items: %s', $x['case'], num( $x['n'] ), str_replace( '|', '\\|', $x['error'] ) );
	}
}
if ( ! empty( $raw['skipped'] ) ) {
	$m[] = '';
	$m[] = 'Not run:';
	foreach ( $raw['skipped'] as $x ) {
		$m[] = sprintf( '- %s at %s items: %s', $x['case'], num( $x['n'] ), $x['reason'] );
	}
}
$m[] = '';
$m[] = '## Targets';
$m[] = '';
foreach ( $targets as $t ) {
	$m[] = sprintf( '- %s **%s**: %s', $t['target'], null === $t['met'] ? 'NOT MEASURED' : ( $t['met'] ? 'MET' : 'MISSED' ), $t['detail'] );
}
$m[] = '';
$m[] = 'Where a target is missed: see [ANALYSIS.md](ANALYSIS.md). Plot: ![items/s](latest.png)';
$m[] = '';
if ( $export_raw ) {
	$m   = array_merge( $m, mulopimfwc_bench_export_markdown( $export_raw, $export_summary, 2 ) );
	$m[] = '';
	$m[] = sprintf( 'The same table on its own: [export.md](export.md) (export part: %s s).', $export_raw['meta']['seconds_total'] ?? '?' );
	$m[] = '';
}
$m[] = sprintf( 'Command: `%s` (%s s).', $meta['command'] ?? './build.sh bench', $meta['seconds_total'] ?? '?' );
file_put_contents( "$out_dir/latest.md", implode( "\n", $m ) . "\n" );

$raw['summary'] = $summary;
$raw['extra_stores'] = $extras;
$raw['targets'] = $targets;
if ( $export_raw ) {
	$raw['export'] = array(
		'meta'    => array_intersect_key( $export_raw['meta'], array_flip( array( 'runs', 'per_page', 'location_id', 'expected_rows', 'seconds_total' ) ) ),
		'summary' => $export_summary,
	);
}
file_put_contents( "$out_dir/latest.json", json_encode( $raw, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) );

// stdout: the table and the targets.
echo "\n";
printf( "%8s  %-14s %4s %10s %21s %11s %9s %8s %17s\n", 'items', 'case', 'runs', 'median s', 'min-max s', 'items/s', 'x native', 'stmts', 'growth MB rss/zend' );
foreach ( $summary as $n => $cases ) {
	foreach ( $cases as $case => $s ) {
		printf(
			"%8s  %-14s %4d %10s %21s %11s %9s %8s %17s\n",
			num( $n ), $case, $s['runs'],
			null === $s['median_s'] ? 'failed' : sprintf( '%.3f', $s['median_s'] ),
			null === $s['min_s'] ? '' : sprintf( '%.3f-%.3f', $s['min_s'], $s['max_s'] ),
			num( $s['items_per_s'] ),
			null === $s['vs_native'] ? '-' : sprintf( '%.2fx', $s['vs_native'] ),
			num( $s['statements'] ),
			mb( $s['rss_growth_max'] ) . ' / ' . mb( $s['mem_growth_max'] )
		);
	}
}
echo "\nTargets:\n";
foreach ( $targets as $t ) {
	printf( "  [%s] %s\n        %s\n", null === $t['met'] ? 'not measured' : ( $t['met'] ? 'MET' : 'MISSED' ), $t['target'], $t['detail'] );
}
echo "\n", implode( "\n", array_slice( $m, $sbs_start, $sbs_end - $sbs_start ) ), "\n";
