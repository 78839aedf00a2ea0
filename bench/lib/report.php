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

// Targets.
$targets = array();
$get     = static function ( $n, $case, $k ) use ( $summary ) {
	return $summary[ $n ][ $case ][ $k ] ?? null;
};
// 1. native >= 50x baseline at 1,000 items.
$lines = array();
$met   = null;
foreach ( array( 'http', 'cli' ) as $p ) {
	$a = $get( 1000, "native/$p", 'items_per_s' );
	$b = $get( 1000, "baseline/$p", 'items_per_s' );
	if ( $a && $b ) {
		$lines[] = sprintf( '%s: native %s items/s vs baseline %s items/s = %.1f×', $p, num( $a ), num( $b ), $a / $b );
		if ( 'http' === $p || null === $met ) {
			$met = $a / $b >= 50;
		}
	}
}
$targets[] = array( 'target' => 'native ≥ 50× the per-item baseline (items/s) at 1,000 items', 'met' => $met, 'detail' => $lines ? implode( '; ', $lines ) : 'not measured (baseline skipped)' );
// 2. 100k over HTTP < 5 s, worker memory growth < 100 MB.
$s   = $get( 100000, 'native/http', 'median_s' );
$rss = $get( 100000, 'native/http', 'rss_growth_max' );
$zm  = $get( 100000, 'native/http', 'mem_growth_max' );
if ( null !== $s ) {
	$growth    = max( (float) $rss, (float) $zm );
	$targets[] = array(
		'target' => '100,000 items in one HTTP request in < 5 s, PHP worker memory growth < 100 MB',
		'met'    => $s < 5 && $growth < 100 * 1048576,
		'detail' => sprintf( 'median %.2f s (min %.2f, max %.2f); worker growth: RSS +%s MB (max of runs, native allocations included), Zend +%s MB; peak RSS %s MB', $s, $get( 100000, 'native/http', 'min_s' ), $get( 100000, 'native/http', 'max_s' ), mb( $rss ), mb( $zm ), mb( $get( 100000, 'native/http', 'rss_peak_max' ) ) ),
	);
} else {
	$targets[] = array( 'target' => '100,000 items in one HTTP request in < 5 s, PHP worker memory growth < 100 MB', 'met' => null, 'detail' => 'not measured' );
}
// 3. native within 2x of the floor at 10k and 100k.
$lines = array();
$met   = null;
foreach ( array( 10000, 100000 ) as $n ) {
	$f = $get( $n, 'floor/sql', 'median_s' );
	foreach ( array( 'cli', 'http' ) as $p ) {
		$x = $get( $n, "native/$p", 'median_s' );
		if ( $f && $x ) {
			$lines[] = sprintf( '%s items %s: %.3f s vs floor %.3f s = %.1f×', num( $n ), $p, $x, $f, $x / $f );
			if ( 'cli' === $p ) {
				$met = ( null === $met ? true : $met ) && $x <= 2 * $f;
			}
		}
	}
}
$targets[] = array( 'target' => 'native within 2× of the floor at 10,000 and 100,000 items (direct call vs raw SQL client)', 'met' => $met, 'detail' => $lines ? implode( '; ', $lines ) : 'not measured' );
// 4. statements per request constant.
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
	$met = max( $vals ) - min( $vals ) <= 6; // a few more packet-sized chunks at most, never per item
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
	$detail .= '; whole HTTP request (WordPress boot + engine + after-sync cache invalidation): ' . $fmt( $http );
	if ( count( $http ) >= 2 && max( $http ) - min( $http ) > 20 ) {
		$detail .= ' — grows with the item count (see ANALYSIS.md)';
	}
}
$targets[] = array( 'target' => 'SQL statements per request constant in the item count (per packet-sized chunk)', 'met' => $met, 'detail' => $detail );

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
$store_line = static function ( array $mt ) {
	$v = $mt['versions'] ?? array();
	return sprintf( 'WordPress %s, WooCommerce %s%s', $v['WordPress'] ?? '?', $v['WooCommerce'] ?? '?', isset( $v['Redis'] ) ? ', Redis ' . preg_replace( '/ .*/', '', $v['Redis'] ) : '' );
};
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
$m[] = '## Targets (issue 4)';
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
echo "\nTargets (issue 4):\n";
foreach ( $targets as $t ) {
	printf( "  [%s] %s\n        %s\n", null === $t['met'] ? 'not measured' : ( $t['met'] ? 'MET' : 'MISSED' ), $t['target'], $t['detail'] );
}
echo "\n", implode( "\n", array_slice( $m, $sbs_start, $sbs_end - $sbs_start ) ), "\n";
