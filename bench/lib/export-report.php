<?php
/**
 * The export benchmark's table: bench/results/export.md (and the summary beside the raw runs in
 * export.json), from the raw numbers of bench/lib/export.php. bench/lib/report.php includes the same table
 * in latest.md when it is given the export's raw file.
 *
 *   php bench/lib/export-report.php RAW-export.json OUT_DIR     writes OUT_DIR/export.md, OUT_DIR/export.json
 */

/** Median of a list. */
function mulopimfwc_bench_x_median( array $v ) {
	sort( $v );
	$n = count( $v );
	return $n ? ( $n % 2 ? $v[ intdiv( $n, 2 ) ] : ( $v[ $n / 2 - 1 ] + $v[ $n / 2 ] ) / 2 ) : null;
}

/** The key of a case: "native/http 10000", "floor/sql". */
function mulopimfwc_bench_x_key( array $r ) {
	return $r['case'] . ( null === $r['per_page'] ? '' : ' ' . $r['per_page'] );
}

/**
 * Median, spread, rows/s, ratio to native, statements per page, memory per case.
 *
 * @param array $raw Raw numbers.
 * @return array key => summary.
 */
function mulopimfwc_bench_export_summary( array $raw ) {
	$by = array();
	foreach ( $raw['runs'] as $r ) {
		$by[ mulopimfwc_bench_x_key( $r ) ][] = $r;
	}
	$sum = array();
	foreach ( $by as $key => $runs ) {
		$ok   = array_values( array_filter( $runs, static function ( $r ) { return $r['ok']; } ) );
		$secs = array_column( $ok, 'seconds' );
		$vals = static function ( $k ) use ( $ok ) {
			return array_values( array_filter( array_column( $ok, $k ), static function ( $x ) { return null !== $x; } ) );
		};
		$med        = $secs ? mulopimfwc_bench_x_median( $secs ) : null;
		$rows       = $runs[0]['rows'] ?? null;
		$spp        = $vals( 'statements_per_page' );
		$own        = $vals( 'engine_statements' );
		$pages      = $runs[0]['pages'] ?? null;
		$rss        = $vals( 'rss_peak' );
		$zend       = $vals( 'mem_peak' );
		$grow       = $vals( 'rss_growth' );
		$same       = array_column( $runs, 'same_as_floor' );
		$sum[ $key ] = array(
			'case'                => $runs[0]['case'],
			'engine'              => $runs[0]['engine'],
			'path'                => $runs[0]['path'],
			'format'              => $runs[0]['format'],
			'per_page'            => $runs[0]['per_page'],
			'runs'                => count( $runs ),
			'failed_runs'         => count( $runs ) - count( $ok ),
			'rows'                => $rows,
			'pages'               => $pages,
			'median_s'            => $med,
			'min_s'               => $secs ? min( $secs ) : null,
			'max_s'               => $secs ? max( $secs ) : null,
			'spread_pct'          => $med && count( $secs ) > 1 ? 100 * ( max( $secs ) - min( $secs ) ) / $med : null,
			'rows_per_s'          => $med ? $rows / $med : null,
			'statements_per_page' => $spp ? mulopimfwc_bench_x_median( $spp ) : null,
			'engine_statements_per_page' => ( $own && $pages ) ? mulopimfwc_bench_x_median( $own ) / $pages : null,
			'rss_peak_max'        => $rss ? max( $rss ) : null,
			'rss_growth_max'      => $grow ? max( $grow ) : null,
			'mem_peak_max'        => $zend ? max( $zend ) : null,
			'bytes'               => $runs[0]['bytes'] ?? null,
			'count_ok'            => ! in_array( false, array_column( $runs, 'count_ok' ), true ),
			'same_as_floor'       => in_array( null, $same, true ) ? null : ! in_array( false, $same, true ),
			'first_error'         => count( $ok ) < count( $runs ) ? ( array_values( array_filter( $runs, static function ( $r ) { return ! $r['ok']; } ) )[0]['first_error'] ?? null ) : null,
		);
	}
	// Ratio to native: the same path, format and page size; the floor against the direct native call at its
	// largest page size.
	$pp_max = max( array_merge( array( 0 ), array_filter( array_column( $sum, 'per_page' ) ) ) );
	foreach ( $sum as $key => &$s ) {
		if ( 'floor' === $s['engine'] ) {
			$ref = "native/cli $pp_max";
		} else {
			$ref = 'native/' . explode( '/', $s['case'] )[1] . ' ' . $s['per_page'];
		}
		$r              = $sum[ $ref ]['rows_per_s'] ?? null;
		$s['vs_native'] = ( $r && $s['rows_per_s'] ) ? $s['rows_per_s'] / $r : null;
		$s['vs_ref']    = $ref;
	}
	unset( $s );
	return $sum;
}

/**
 * The markdown table and notes.
 *
 * @param array $raw     Raw numbers.
 * @param array $summary mulopimfwc_bench_export_summary().
 * @param int   $level   Heading level of the section.
 * @return string[] Lines.
 */
function mulopimfwc_bench_export_markdown( array $raw, array $summary, $level = 1 ) {
	$meta = $raw['meta'];
	$h    = str_repeat( '#', $level );
	$num  = static function ( $x, $d = 0 ) {
		return null === $x ? '–' : number_format( $x, $d );
	};
	$mb   = static function ( $b ) {
		return null === $b ? '–' : sprintf( '%.1f', $b / 1048576 );
	};
	$st   = $meta['store'] ?? array();
	$m    = array();
	$m[]  = "$h Export benchmark: the whole inventory export, page by page";
	$m[]  = '';
	if ( 1 === $level ) {
		$m[] = sprintf( 'Date: %s · machine: %s CPUs (%s), %s RAM · %s', $meta['date'] ?? '?', $meta['nproc'] ?? '?', $meta['cpu'] ?? '?', $meta['memory'] ?? '?', $meta['kernel'] ?? '' );
		$m[] = '';
		$m[] = 'Versions: ' . implode( ' · ', array_map( static function ( $k, $v ) { return "$k $v"; }, array_keys( $meta['versions'] ?? array() ), $meta['versions'] ?? array() ) );
		$m[] = '';
	}
	$m[] = sprintf(
		'Rows: **%s** product-location rows = every published product (%s simple, %s variable × %s variations: each variation its own row) × %d locations%s, as `GET /wp-json/mulopimfwc/v1/inventory/export` returns them (the benchmark store of bench/lib/seed.php; location meta for %s of the pairs, the rest exported with empty stock/prices). Every run\'s row count is checked against an independent SQL `COUNT` (%s) and its rows, hashed in order, against the floor\'s.',
		$num( $meta['expected_rows'] ?? null ),
		$num( $st['simple'] ?? null ),
		$num( $st['variable'] ?? null ),
		$st['variations_each'] ?? '?',
		count( $st['locations'] ?? array() ),
		! empty( $meta['location_id'] ) ? ' (filtered: `location_id=' . (int) $meta['location_id'] . '`)' : '',
		$num( $st['pairs_with_meta'] ?? null ),
		$num( $meta['expected_rows'] ?? null )
	);
	$m[] = '';
	$m[] = 'Cases: **native** = the extension\'s `mulopimfwc_export()`, **php** = the plugin\'s `Mulopimfwc_Bulk_Sync_Export` (forced over HTTP with `X-E2E-Force-PHP: 1`); **http** = every page over nginx + php-fpm + WordPress (JSON; **http-csv**: `format=csv`), time = sum of curl\'s total time per page on one keep-alive connection; **cli** = the export called directly inside a loaded WordPress, page by page, the calls timed; **floor** = the same rows (same order) by one plain SQL query from a mysqli client, query + fetching every row. Statements/page = the server\'s `Questions` delta per request (http: WordPress\'s boot and auth included; median over pages) or per page of the direct loop (cli: the total over the loop ÷ pages); in brackets the PHP export\'s own count. Memory = the PHP worker (php-fpm process, or the CLI process): peak RSS (VmHWM, reset at the start of the request or loop; counts the native engine\'s allocations) and Zend\'s `memory_get_peak_usage(true)`, max over pages and runs; http: measured at the end of the request (shutdown), after WordPress encoded the response.';
	$m[] = '';
	$m[] = sprintf( 'Runs: %d per case after a warm-up (one full export per case), interleaved (each run goes through every case in turn); median and min–max (spread = (max−min)/median).', $meta['runs'] ?? 0 );
	$m[] = '';
	$m[] = '| case | per page | pages | runs | median s | min–max s (spread) | rows/s | × native | statements/page | worker peak RSS MB | RSS growth MB | Zend peak MB | rows = SQL count | same rows as floor |';
	$m[] = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|';
	foreach ( $summary as $s ) {
		$spp = null === $s['statements_per_page'] ? '–' : ( floor( $s['statements_per_page'] ) == $s['statements_per_page'] ? $num( $s['statements_per_page'] ) : $num( $s['statements_per_page'], 1 ) );
		if ( null !== $s['engine_statements_per_page'] ) {
			$spp .= ' (' . $num( $s['engine_statements_per_page'], floor( $s['engine_statements_per_page'] ) == $s['engine_statements_per_page'] ? 0 : 1 ) . ')';
		}
		$m[] = sprintf(
			'| %s | %s | %s | %d%s | %s | %s–%s (%s) | %s | %s | %s | %s | %s | %s | %s | %s |',
			$s['case'],
			null === $s['per_page'] ? 'all' : $num( $s['per_page'] ),
			$num( $s['pages'] ),
			$s['runs'],
			$s['failed_runs'] ? " ({$s['failed_runs']} failed)" : '',
			null === $s['median_s'] ? '–' : sprintf( '%.3f', $s['median_s'] ),
			null === $s['min_s'] ? '–' : sprintf( '%.3f', $s['min_s'] ),
			null === $s['max_s'] ? '–' : sprintf( '%.3f', $s['max_s'] ),
			null === $s['spread_pct'] ? '–' : sprintf( '%.0f%%', $s['spread_pct'] ),
			$num( $s['rows_per_s'] ),
			null === $s['vs_native'] ? '–' : ( $s['vs_native'] >= 10 ? sprintf( '%.0f×', $s['vs_native'] ) : sprintf( '%.2f×', $s['vs_native'] ) ),
			$spp,
			$mb( $s['rss_peak_max'] ),
			null === $s['rss_growth_max'] ? '–' : '+' . $mb( $s['rss_growth_max'] ),
			$mb( $s['mem_peak_max'] ),
			$s['count_ok'] ? 'yes' : '**NO**',
			null === $s['same_as_floor'] ? '–' : ( $s['same_as_floor'] ? 'yes' : '**NO**' )
		);
	}
	$fails = array_filter( $summary, static function ( $s ) { return $s['failed_runs']; } );
	foreach ( $fails as $k => $s ) {
		$m[] = '';
		$m[] = sprintf( '- %s: %d failed run(s): %s', $k, $s['failed_runs'], $s['first_error'] ?? 'row count differs from the SQL count or another engine answered' );
	}
	$m[] = '';
	$m[] = '× native: rows/s over native\'s on the same path, format and page size (the floor: over native/cli at the largest page size); above 1 = faster than native.';
	return $m;
}

if ( isset( $argv[0] ) && realpath( $argv[0] ) === realpath( __FILE__ ) ) {
	if ( $argc < 3 ) {
		fwrite( STDERR, "usage: php bench/lib/export-report.php RAW-export.json OUT_DIR\n" );
		exit( 2 );
	}
	list( , $raw_file, $out_dir ) = $argv;
	$raw     = json_decode( file_get_contents( $raw_file ), true );
	$summary = mulopimfwc_bench_export_summary( $raw );
	$m       = mulopimfwc_bench_export_markdown( $raw, $summary, 1 );
	$m[]     = '';
	$m[]     = 'Sync results: [latest.md](latest.md).';
	$m[]     = '';
	$m[]     = sprintf( 'Command: `%s` (export part: %s s).', $raw['meta']['command'] ?? './build.sh bench', $raw['meta']['seconds_total'] ?? '?' );
	file_put_contents( "$out_dir/export.md", implode( "\n", $m ) . "\n" );
	$raw['summary'] = $summary;
	file_put_contents( "$out_dir/export.json", json_encode( $raw, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) );
	echo implode( "\n", mulopimfwc_bench_export_markdown( $raw, $summary, 2 ) ) . "\n";
}
