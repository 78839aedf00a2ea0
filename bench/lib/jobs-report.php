<?php
/**
 * The jobs benchmark's report: bench/lib/jobs.php's raw numbers as a Markdown table with ratios, and a summary JSON.
 *
 *   php bench/lib/jobs-report.php RAW.json OUT_DIR     (writes OUT_DIR/jobs-latest.md and jobs-latest.json, prints the table)
 */

[$_, $raw_file, $out_dir] = $argv + array( null, null, null );
if ( ! $raw_file || ! $out_dir ) {
	fwrite( STDERR, "usage: php bench/lib/jobs-report.php RAW.json OUT_DIR\n" );
	exit( 2 );
}
$raw  = json_decode( (string) file_get_contents( $raw_file ), true );
$meta = $raw['meta'] ?? array();
$jobs = $raw['jobs'] ?? array();
$st   = $meta['store'] ?? array();
$num  = static function ( $x, $d = 0 ) {
	return null === $x ? '–' : number_format( (float) $x, $d );
};
$by   = array();
foreach ( $jobs as $r ) {
	$by[ $r['case'] ] = $r;
}
$one  = $by['job-1'] ?? null;
$sync = $by['sync-cli'] ?? null;
$ok   = static function ( $r ) {
	return $r && ! empty( $r['ok'] ) && ! empty( $r['wall_seconds'] );
};
$ratio = static function ( $a, $b ) use ( $ok ) {
	// how many times faster $a is than $b (items per second; the same item count)
	return $ok( $a ) && $ok( $b ) ? sprintf( '%.2f×', ( $a['items_per_second'] ) / ( $b['items_per_second'] ) ) : '–';
};

$rows = array();
$m    = array();
$m[]  = sprintf( '# Bulk-sync jobs benchmark: %s items on Action Scheduler', $num( $meta['data']['items'] ?? null ) );
$m[]  = '';
$m[]  = sprintf( 'Date: %s · machine: **%s CPU cores** (%s), %s RAM · %s · load average at the start %s', $meta['date'] ?? '?', $meta['nproc'] ?? '?', $meta['cpu'] ?? '?', $meta['memory'] ?? '?', $meta['kernel'] ?? '', $meta['load'] ?? '?' );
$m[]  = '';
$m[]  = 'Versions: ' . implode( ' · ', array_map( static function ( $k, $v ) { return "$k $v"; }, array_keys( $meta['versions'] ?? array() ), $meta['versions'] ?? array() ) );
$m[]  = '';
$m[]  = sprintf(
	'Store: %s SKUs (%s simple products, %s variable products × %s variations), %d locations (primary: `%s`), location meta for %s of the %s (SKU, location) pairs, %s postmeta rows; the products cloned from products WooCommerce made (bench/lib/seed-templates.php, seed.php). Everything on 127.0.0.1: MariaDB, nginx + php-fpm (2 workers), the runners; the server serves nothing else.',
	$num( $st['purchasable'] ?? null ), $num( $st['simple'] ?? null ), $num( $st['variable'] ?? null ), $st['variations_each'] ?? '?', count( $st['locations'] ?? array() ), $st['locations'][0]['slug'] ?? '?', $num( $st['pairs_with_meta'] ?? null ), $num( ( $st['purchasable'] ?? 0 ) * count( $st['locations'] ?? array() ) ), $num( $st['postmeta_rows'] ?? null )
);
$m[] = '';
$d   = $meta['data'] ?? array();
$m[] = sprintf(
	'Items: **%s**, one per (SKU, location), product by product, as NDJSON (%.1f MB, sha256 %s…): every item sets a stock (1 in 50 to 0; every stock differs from the store\'s, so every item writes), 1 in 4 a regular price, 1 in 10 a sale price too; 1 in %d on the primary location (WooCommerce\'s own stock follows it). No item fails.',
	$num( $d['items'] ?? null ), ( $d['ndjson_bytes'] ?? 0 ) / 1e6, substr( (string) ( $d['sha256'] ?? '' ), 0, 12 ), max( 1, count( $st['locations'] ?? array() ) )
);
$m[] = '';
$m[] = '**job-N** = `POST /wp-json/mulopimfwc/v1/inventory/bulk-sync/jobs` (`Content-Type: application/x-ndjson`, the file streamed by curl; the body stored as chunks in the database: the creation column), then N concurrent `wp action-scheduler run --group=mulopimfwc --batch-size=1` processes (WP-CLI 2.12, the extension loaded, native engine); **wall** = from the first runner\'s start to the job\'s state `done` (the jobs table polled every 0.2 s). **sync-cli** = the same items synchronously, `wp mulopimfwc bulk-sync FILE.json --chunk-size=C` with the job\'s chunk size (the process\'s wall time: WordPress\'s boot and reading the whole file included). **sync-http** = one `POST /wp-json/mulopimfwc/v1/inventory/bulk-sync` with the first items (curl\'s total time). Each case once, each from the same database: the data dir copied after seeding and copied back before each case (server restarted, its buffer pool loaded back). Statements: the server\'s `Questions` delta over the case (every runner\'s WordPress boot, Action Scheduler\'s claims and logs, the engine, the follow-ons), this script\'s own polls subtracted.';
$m[] = '';
$m[] = '| case | items | wall s | items/s | × job-1 | × sync-cli | creation s (statements) | creation + wall s | chunks | statements | statements per chunk | same database as sync-cli |';
$m[] = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
foreach ( $jobs as $r ) {
	$is_job = 0 === strpos( $r['case'], 'job-' );
	$chunks = $is_job ? ( $r['chunks'] ?? null ) : ( 'sync-cli' === $r['case'] ? (int) ceil( $r['items'] / max( 1, $r['chunk_size'] ?? 1 ) ) : 1 );
	$same   = array_key_exists( 'same_database_as_sync', $r ) ? ( null === $r['same_database_as_sync'] ? '–' : ( $r['same_database_as_sync'] ? 'yes' : '**NO**' ) ) : '–';
	if ( isset( $r['digest'] ) && $r['digest']['sample_as_file'] !== $r['digest']['sample_values'] ) {
		$same .= sprintf( ' (sample: %d of %d values as the file)', $r['digest']['sample_as_file'], $r['digest']['sample_values'] );
	}
	$m[] = sprintf(
		'| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |',
		$r['case'] . ( empty( $r['ok'] ) ? ' **FAILED**' : '' ),
		$num( $r['items'] ),
		$num( $r['wall_seconds'] ?? null, 1 ),
		$num( $r['items_per_second'] ?? null ),
		$is_job ? $ratio( $r, $one ) : '–',
		'sync-cli' === $r['case'] || 'sync-http' === $r['case'] ? '–' : $ratio( $r, $sync ),
		$is_job ? sprintf( '%s (%s)', $num( $r['create_seconds'] ?? null, 1 ), $num( $r['create_statements'] ?? null ) ) : '–',
		$is_job && isset( $r['create_seconds'], $r['wall_seconds'] ) ? $num( $r['create_seconds'] + $r['wall_seconds'], 1 ) : '–',
		$num( $chunks ),
		$num( $r['statements'] ?? null ),
		$chunks ? $num( ( $r['statements'] ?? 0 ) / $chunks ) : '–',
		$same
	);
	$rows[] = array(
		'case'                  => $r['case'],
		'ok'                    => ! empty( $r['ok'] ),
		'items'                 => $r['items'],
		'wall_seconds'          => isset( $r['wall_seconds'] ) ? round( $r['wall_seconds'], 2 ) : null,
		'items_per_second'      => isset( $r['items_per_second'] ) ? round( $r['items_per_second'] ) : null,
		'vs_job_1'              => $is_job && $ok( $r ) && $ok( $one ) ? round( $r['items_per_second'] / $one['items_per_second'], 3 ) : null,
		'vs_sync_cli'           => $is_job && $ok( $r ) && $ok( $sync ) ? round( $r['items_per_second'] / $sync['items_per_second'], 3 ) : null,
		'create_seconds'        => isset( $r['create_seconds'] ) ? round( $r['create_seconds'], 2 ) : null,
		'create_statements'     => $r['create_statements'] ?? null,
		'chunks'                => $chunks,
		'statements'            => $r['statements'] ?? null,
		'by_command'            => isset( $r['by_command'] ) ? array_slice( $r['by_command'], 0, 12, true ) : null,
		'runner_restarts'       => $r['runner_restarts'] ?? null,
		'same_database_as_sync' => $r['same_database_as_sync'] ?? null,
		'phases_ms'             => $r['phases_ms'] ?? null,
		'first_error'           => $r['first_error'] ?? null,
	);
}
$m[] = '';
$m[] = sprintf( '× job-1, × sync-cli: items per second over those of job-1 / sync-cli (the same %s items; above 1 is faster). The job\'s wall time leaves out its creation (the column beside it): end to end, a job takes creation + wall.', $num( $d['items'] ?? null ) );
$m[] = '';

// Statements by command, the job cases and the synchronous CLI.
$cmds = array();
foreach ( $jobs as $r ) {
	foreach ( array_slice( $r['by_command'] ?? array(), 0, 8, true ) as $k => $v ) {
		$cmds[ $k ] = true;
	}
}
if ( $cmds ) {
	$cmds = array_keys( $cmds );
	$m[]  = 'Statements by command (the server\'s `Com_*` deltas, the script\'s polls subtracted; the largest):';
	$m[]  = '';
	$m[]  = '| case | ' . implode( ' | ', $cmds ) . ' |';
	$m[]  = '|---|' . str_repeat( '---:|', count( $cmds ) );
	foreach ( $jobs as $r ) {
		if ( empty( $r['by_command'] ) ) {
			continue;
		}
		$m[] = '| ' . $r['case'] . ' | ' . implode( ' | ', array_map( static function ( $k ) use ( $r, $num ) { return $num( $r['by_command'][ $k ] ?? 0 ); }, $cmds ) ) . ' |';
	}
	$m[] = '';
}

// Where the synchronous runs' time goes: the engine's phases and the plugin's follow-ons (sync-cli: `--timings`,
// summed over the chunks; sync-http: the Server-Timing header).
$phased = array_values( array_filter( $jobs, static function ( $r ) { return ! empty( $r['phases_ms'] ); } ) );
if ( $phased ) {
	$names = array();
	foreach ( $phased as $r ) {
		foreach ( array_keys( $r['phases_ms'] ) as $k ) {
			if ( 'total' !== $k ) {
				$names[ $k ] = true;
			}
		}
	}
	$names = array_keys( $names );
	$m[]   = 'Where the synchronous runs\' time goes (seconds, share of the phases\' sum; sync-cli: `--timings`, summed over its chunks; sync-http: the `Server-Timing` header):';
	$m[]   = '';
	$m[]   = '| case | ' . implode( ' | ', $names ) . ' |';
	$m[]   = '|---|' . str_repeat( '---:|', count( $names ) );
	foreach ( $phased as $r ) {
		$sum = array_sum( array_intersect_key( $r['phases_ms'], array_flip( $names ) ) );
		$m[] = '| ' . $r['case'] . ' | ' . implode(
			' | ',
			array_map(
				static function ( $k ) use ( $r, $sum ) {
					$v = $r['phases_ms'][ $k ] ?? 0;
					return sprintf( '%.1f (%d%%)', $v / 1000, $sum > 0 ? round( 100 * $v / $sum ) : 0 );
				},
				$names
			)
		) . ' |';
	}
	$m[] = '';
}

$notes = array();
$notes[] = sprintf( 'The machine has %s CPU cores, shared by MariaDB, the runners (each a PHP process: WordPress, Action Scheduler, the engine) and this script: more runners than cores add contention, not throughput; expect 3 runners not to beat 2 by much.', $meta['nproc'] ?? '?' );
$notes[] = 'Load average (1, 5, 15 min) at each case\'s start, before its own processes (the machine is shared with other work: 2 means both cores already busy): ' . implode( '; ', array_map( static function ( $r ) { return sprintf( '%s %s', $r['case'], $r['load_at_start'] ?? '?' ); }, $jobs ) ) . '.';
foreach ( $jobs as $r ) {
	if ( isset( $r['runner_command'] ) ) {
		$notes[] = sprintf(
			'%s: runners `%s`; %d actions completed, %d runner restart(s) (a runner that ended while more chunks were pending than runners live); InnoDB row lock waits %s (%s ms in all); chunks: %d rows, %d attempts, %s s from each attempt\'s start to its write (whole seconds, summed; %s× the wall time: chunks being written at once); the job\'s own timings: %s.',
			$r['case'],
			$r['runner_command'],
			$r['actions_completed'] ?? 0,
			$r['runner_restarts'] ?? 0,
			$num( $r['row_lock_waits'] ?? null ),
			$num( $r['row_lock_ms'] ?? null ),
			$r['chunk_rows']['count'] ?? 0,
			$r['chunk_rows']['attempts'] ?? 0,
			$num( $r['chunk_rows']['seconds_sum'] ?? null ),
			! empty( $r['wall_seconds'] ) && isset( $r['chunk_rows']['seconds_sum'] ) ? sprintf( '%.2f', $r['chunk_rows']['seconds_sum'] / $r['wall_seconds'] ) : '–',
			isset( $r['status']['timings'] ) ? json_encode( $r['status']['timings'] ) : 'none'
		);
	}
	if ( ! empty( $r['first_error'] ) ) {
		$notes[] = $r['case'] . ' failed: ' . $r['first_error'];
	}
}
if ( ( $meta['concurrent_batches_filter'] ?? 1 ) < max( array_merge( array( 1 ), array_column( $jobs, 'runners' ) ) ) ) {
	$notes[] = sprintf( 'Action Scheduler allows %d concurrent batch(es) on this site (filter `action_scheduler_queue_runner_concurrent_batches`): the runners of the multi-runner cases run with `--force`.', $meta['concurrent_batches_filter'] ?? 1 );
}
$m[] = 'Notes:';
$m[] = '';
foreach ( $notes as $n ) {
	$m[] = '- ' . $n;
}
$m[] = '';
$m[] = sprintf( 'Command: `%s` (%s s in all, seeding and restores included).', $meta['command'] ?? './build.sh bench --jobs-only', $num( $meta['seconds_total'] ?? null ) );

$md = implode( "\n", $m ) . "\n";
file_put_contents( rtrim( $out_dir, '/' ) . '/jobs-latest.md', $md );
file_put_contents(
	rtrim( $out_dir, '/' ) . '/jobs-latest.json',
	json_encode(
		array(
			'date'     => $meta['date'] ?? null,
			'nproc'    => $meta['nproc'] ?? null,
			'versions' => $meta['versions'] ?? null,
			'store'    => array_diff_key( $st, array( 'api_key' => 1 ) ), // the throwaway site's key: no use to a reader
			'data'     => $d,
			'cases'    => $rows,
		),
		JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES
	) . "\n"
);
echo $md;
