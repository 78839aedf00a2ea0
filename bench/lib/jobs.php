<?php
/**
 * The bulk-sync jobs benchmark (bench/run.sh --jobs-only starts it): one item per (SKU, location) of the seeded
 * store as NDJSON, a job made of it over HTTP, worked by N concurrent `wp action-scheduler run` processes, and
 * the same items synchronously, every case from the same database (the data dir copied once, restored before
 * each case).
 *
 *   php bench/lib/jobs.php --state STATE.json --work DIR --out RAW.json [--meta META.json] [--runners 1,2,3]
 *       [--http-items 100000] [--timeout 1800] [--cases job,sync-cli,sync-http]
 *
 * Environment: as bench/lib/driver.php (E2E_* of tests/e2e/lib/site.sh env, MULOPIMFWC_DB_ROOT_SOCKET, BENCH_SO),
 * plus E2E_WP_CLI (the site's wp) and the MULOPIMFWC_TEST_* settings of tests/lib/mariadb.sh (the bench's private
 * server: this script stops and starts it to restore its data dir).
 *
 * Cases, in this order, each once, each from the restored data dir (server restarted, its buffer pool loaded back):
 *   job-N       POST /wp-json/mulopimfwc/v1/inventory/bulk-sync/jobs (Content-Type application/x-ndjson, the file
 *               streamed by curl): 202, the job id; then N runners `wp action-scheduler run --group=mulopimfwc
 *               --batch-size=1` (extension loaded); wall time from the first runner's start to the job's state done
 *               (the jobs table polled every 0.2 s); a runner that exits while more chunks are pending than runners
 *               live is started again (counted).
 *   sync-cli    `wp mulopimfwc bulk-sync FILE.json --chunk-size=C` (C = the job's chunk size), the process's wall time.
 *   sync-http   POST /wp-json/mulopimfwc/v1/inventory/bulk-sync with the first --http-items items (curl's total time).
 * Statements: the server's Questions (and Com_*) deltas over the case, less this script's own reads. The database
 * each 1,000,000-item case ends with is digested (CRC32 sums of the location and stock meta rows and the lookup
 * table): every job must end with the synchronous run's digest; 1,000 items are checked against the file.
 */

require __DIR__ . '/common.php';
$o          = bench_options( 'jobs.php', array( 'state:', 'work:', 'out:', 'meta:', 'runners:', 'http-items:', 'timeout:', 'cases:' ) );
$runner_ns  = array_map( 'intval', explode( ',', $o['runners'] ?? '1,2,3' ) );
$http_items = (int) ( $o['http-items'] ?? 100000 );
$timeout    = (float) ( $o['timeout'] ?? 1800 );
$cases_on   = explode( ',', $o['cases'] ?? 'job,sync-cli,sync-http' );
$repo       = dirname( __DIR__, 2 );
$wp_cli     = getenv( 'E2E_WP_CLI' ) ?: trim( (string) shell_exec( escapeshellarg( "$repo/tests/lib/deps.sh" ) . ' wp 2>/dev/null' ) );
$t_start    = microtime( true );
if ( '' === $wp_cli || ! is_executable( $wp_cli ) ) {
	fwrite( STDERR, "jobs.php: no WP-CLI (E2E_WP_CLI, tests/lib/deps.sh wp)\n" );
	exit( 1 );
}

// ------------------------------------------------------------------------------------------------ the items

/**
 * The items, in file order: every SKU of the store (store order) at every location, product by product (an ERP's
 * export sorted by SKU). Every stock differs from the seeded one (seeded: below 205; here 200 and up, or 0 for 1
 * item in 50: out-of-stock transitions); 1 item in 4 carries a regular price, 1 in 10 a sale price too.
 *
 * @return Generator of item arrays
 */
function jobs_items() {
	global $state;
	$k = 0;
	foreach ( $state['skus'] as $pi => $sku ) {
		foreach ( $state['locations'] as $li => $loc ) {
			++$k;
			$h    = ( $pi * 37 + $li * 11 ) % 100;
			$item = array(
				'sku'           => $sku,
				'location_slug' => $loc['slug'],
				'stock'         => 0 === $k % 50 ? 0 : 200 + ( $pi * 31 + $li * 17 ) % 800,
			);
			if ( $h < 25 ) {
				$reg                   = 20 + ( $pi + $li ) % 60;
				$item['regular_price'] = "$reg.95";
				if ( $h < 10 ) {
					$item['sale_price'] = ( $reg - 5 ) . '.75';
				}
			}
			yield $item;
		}
	}
}

/**
 * Writes the data files once (kept in the work dir for the same store): the NDJSON of every item, the same items
 * as a JSON document (the synchronous CLI reads JSON or CSV), and the first $http items as a JSON document.
 *
 * @param int $http Items of the HTTP comparison (0: none).
 * @return array paths, item count, bytes, sha256 of the NDJSON, 1,000 sampled items
 */
function jobs_files( $http ) {
	global $work, $state;
	$n     = count( $state['skus'] ) * count( $state['locations'] );
	$base  = "$work/jobs-$n";
	$files = array(
		'ndjson'    => "$base.ndjson",
		'json'      => "$base.json",
		'http_json' => $http > 0 ? "$base-http-$http.json" : null,
	);
	$every  = max( 1, intdiv( $n, 1000 ) - 1 ); // 999 for 1,000,000: every location and price mix sampled
	$sample = array();
	$k      = 0;
	$fresh  = ! is_file( $files['ndjson'] ) || ! is_file( $files['json'] ) || ( $http > 0 && ! is_file( $files['http_json'] ) );
	$fn     = $fresh ? fopen( $files['ndjson'] . '.tmp', 'wb' ) : null;
	$fj     = $fresh ? fopen( $files['json'] . '.tmp', 'wb' ) : null;
	$fh     = $fresh && $http > 0 ? fopen( $files['http_json'] . '.tmp', 'wb' ) : null;
	if ( $fresh ) {
		fwrite( $fj, '{"items":[' );
		if ( $fh ) {
			fwrite( $fh, '{"items":[' );
		}
	}
	foreach ( jobs_items() as $item ) {
		++$k;
		if ( 0 === ( $k - 1 ) % $every ) {
			$sample[ $k ] = $item;
		}
		if ( ! $fresh ) {
			continue;
		}
		$line = json_encode( $item, JSON_UNESCAPED_SLASHES );
		fwrite( $fn, $line . "\n" );
		fwrite( $fj, ( 1 === $k ? '' : ',' ) . $line );
		if ( $fh && $k <= $http ) {
			fwrite( $fh, ( 1 === $k ? '' : ',' ) . $line );
		}
	}
	if ( $fresh ) {
		fwrite( $fj, ']}' );
		if ( $fh ) {
			fwrite( $fh, ']}' );
			fclose( $fh );
			rename( $files['http_json'] . '.tmp', $files['http_json'] );
		}
		fclose( $fn );
		fclose( $fj );
		rename( $files['ndjson'] . '.tmp', $files['ndjson'] );
		rename( $files['json'] . '.tmp', $files['json'] );
	}
	return array(
		'files'        => $files,
		'items'        => $k,
		'http_items'   => min( $http, $k ),
		'ndjson_bytes' => filesize( $files['ndjson'] ),
		'json_bytes'   => filesize( $files['json'] ),
		'sha256'       => hash_file( 'sha256', $files['ndjson'] ),
		'sample'       => $sample,
	);
}

// ------------------------------------------------------------------------------------------ the database

/**
 * Runs tests/lib/mariadb.sh CMD (the bench's server: the MULOPIMFWC_TEST_* environment run.sh exported).
 *
 * @param string $cmd start|stop.
 */
function jobs_mariadb( $cmd ) {
	global $repo;
	exec( escapeshellarg( "$repo/tests/lib/mariadb.sh" ) . ' ' . $cmd . ' 2>&1', $out, $rc );
	if ( 0 !== $rc ) {
		fwrite( STDERR, "jobs.php: mariadb.sh $cmd exited $rc: " . implode( "\n", $out ) . "\n" );
		exit( 1 );
	}
}

/**
 * Copies the data dir (server stopped) to the snapshot ($to_snapshot) or back, starts the server, waits until its
 * buffer pool is loaded back (the dump of the snapshot's shutdown: every case starts equally warm), reconnects.
 *
 * @param bool $to_snapshot true: take the snapshot; false: restore it.
 * @return float seconds
 */
function jobs_db_copy( $to_snapshot ) {
	global $work, $state, $mon, $floor, $root;
	$t0   = microtime( true );
	$data = rtrim( (string) getenv( 'MULOPIMFWC_TEST_RUN_DIR' ), '/' ) . '/data';
	$snap = "$work/jobs-snapshot";
	if ( ! is_dir( $data ) ) {
		fwrite( STDERR, "jobs.php: no data dir $data (MULOPIMFWC_TEST_RUN_DIR)\n" );
		exit( 1 );
	}
	$mon = $floor = $root = null;
	jobs_mariadb( 'stop' );
	list( $from, $to ) = $to_snapshot ? array( $data, $snap ) : array( $snap, $data );
	exec( 'rm -rf ' . escapeshellarg( $to ) . ' && cp -a ' . escapeshellarg( $from ) . ' ' . escapeshellarg( $to ) . ' 2>&1', $out, $rc );
	if ( 0 !== $rc ) {
		fwrite( STDERR, "jobs.php: copying $from to $to failed: " . implode( "\n", $out ) . "\n" );
		exit( 1 );
	}
	jobs_mariadb( 'start' );
	$root = new mysqli( 'localhost', 'root', '', $state['db'], 0, getenv( 'MULOPIMFWC_DB_ROOT_SOCKET' ) );
	$root->set_charset( 'utf8mb4' );
	$until = microtime( true ) + 300;
	do {
		$s = (string) $root->query( "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_load_status'" )->fetch_row()[1];
		if ( false !== stripos( $s, 'completed' ) || '' === $s || false !== stripos( $s, 'not started' ) ) {
			break;
		}
		usleep( 250000 );
	} while ( microtime( true ) < $until );
	bench_connect( $state );
	return microtime( true ) - $t0;
}

/**
 * Questions and the Com_* counters of the server (one statement).
 *
 * @return array name => int
 */
function jobs_counters() {
	global $mon;
	$c   = array();
	$res = $mon->query( "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Innodb_row_lock_waits', 'Innodb_row_lock_time') OR Variable_name LIKE 'Com\\_%'" );
	while ( $r = $res->fetch_row() ) {
		$c[ $r[0] ] = (int) $r[1];
	}
	return $c;
}

/**
 * The statements between two jobs_counters() readings: Questions less $own statements this script sent
 * meanwhile (its polls: $own_selects of them SELECTs), and the Com_* that moved (SHOW STATUS left out).
 *
 * @param array $a           Before.
 * @param array $b           After.
 * @param int   $own         Statements of this script between them (the reading itself included by q_self).
 * @param int   $own_selects Of them, SELECTs.
 * @return array statements, by_command
 */
function jobs_statements( array $a, array $b, $own, $own_selects ) {
	global $q_self;
	$by = array();
	foreach ( $b as $k => $v ) {
		$d = $v - ( $a[ $k ] ?? 0 );
		if ( 0 !== strpos( $k, 'Com_' ) || 'Com_show_status' === $k || $d <= 0 ) {
			continue;
		}
		$by[ substr( $k, 4 ) ] = $d;
	}
	if ( isset( $by['select'] ) ) {
		$by['select'] -= $own_selects;
	}
	arsort( $by );
	return array(
		'statements'     => $b['Questions'] - $a['Questions'] - $q_self - $own,
		'by_command'     => $by,
		'row_lock_waits' => ( $b['Innodb_row_lock_waits'] ?? 0 ) - ( $a['Innodb_row_lock_waits'] ?? 0 ),
		'row_lock_ms'    => ( $b['Innodb_row_lock_time'] ?? 0 ) - ( $a['Innodb_row_lock_time'] ?? 0 ),
	);
}

/**
 * What a 1,000,000-item case leaves: CRC32 sums of every location, stock and price meta row and of the lookup
 * table (order-free), and how many of the 1,000 sampled items the database holds as the file says.
 *
 * @param array $sample item number => item.
 * @return array
 */
function jobs_digest( array $sample ) {
	global $root, $state, $prefix;
	$r  = $root->query( "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', post_id, meta_key, meta_value))) FROM `{$prefix}postmeta` WHERE meta_key LIKE '\\_location\\_%' OR meta_key IN ('_stock', '_stock_status', '_price', '_regular_price', '_sale_price')" )->fetch_row();
	$l  = $root->query( "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', product_id, stock_quantity, stock_status, min_price, max_price))) FROM `{$prefix}wc_product_meta_lookup`" )->fetch_row();
	$id = array_flip( $state['skus'] );
	$tm = array();
	foreach ( $state['locations'] as $loc ) {
		$tm[ $loc['slug'] ] = $loc['term_id'];
	}
	$want  = array();
	$posts = array();
	foreach ( $sample as $item ) {
		$post           = $state['ids'][ $id[ $item['sku'] ] ];
		$posts[ $post ] = $post;
		foreach ( array( 'stock', 'regular_price', 'sale_price' ) as $f ) {
			if ( isset( $item[ $f ] ) ) {
				$want[ "$post|_location_{$f}_" . $tm[ $item['location_slug'] ] ] = (string) $item[ $f ];
			}
		}
	}
	$got = array();
	$res = $root->query( "SELECT post_id, meta_key, meta_value FROM `{$prefix}postmeta` WHERE post_id IN (" . implode( ',', $posts ) . ") AND meta_key LIKE '\\_location\\_%'" );
	while ( $row = $res->fetch_row() ) {
		$got[ $row[0] . '|' . $row[1] ] = (string) $row[2];
	}
	$ok = 0;
	foreach ( $want as $k => $v ) {
		$ok += ( isset( $got[ $k ] ) && (float) $got[ $k ] === (float) $v ) ? 1 : 0;
	}
	return array(
		'meta_rows'     => (int) $r[0],
		'meta_crc'      => (string) $r[1],
		'lookup_rows'   => (int) $l[0],
		'lookup_crc'    => (string) $l[1],
		'sample_values' => count( $want ),
		'sample_as_file' => $ok,
	);
}

// ------------------------------------------------------------------------------------------------ the cases

/**
 * A `wp` process for the site, extension loaded, output to $log; returns [process, pid].
 *
 * @param array  $args wp's arguments.
 * @param string $log  File for stdout and stderr.
 * @return array
 */
function jobs_wp_spawn( array $args, $log ) {
	global $wp_cli, $wp_dir, $so;
	$env = getenv() + array();
	unset( $env['SHELL_PIPE'] );
	$env['WP_CLI_ALLOW_ROOT'] = '1';
	$env['WP_CLI_CACHE_DIR']  = sys_get_temp_dir() . '/mulopimfwc-wp-cli-cache';
	$env['PHP_ARGS']          = '-d extension=' . $so . ' -d memory_limit=4G';
	$p                        = proc_open(
		array_merge( array( $wp_cli, '--path=' . $wp_dir ), $args ),
		array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $log, 'a' ), 2 => array( 'file', $log, 'a' ) ),
		$pipes,
		null,
		$env
	);
	return array( $p, proc_get_status( $p )['pid'] );
}

/**
 * Runs `wp ARGS` to its end: exit code and output.
 *
 * @param array $args wp's arguments.
 * @return array [exit code, output]
 */
function jobs_wp( array $args ) {
	global $work;
	$log = tempnam( $work, 'wp-' );
	list( $p ) = jobs_wp_spawn( $args, $log );
	$rc  = proc_close( $p );
	$out = (string) file_get_contents( $log );
	unlink( $log );
	return array( $rc, $out );
}

/**
 * The runner's command: --force when Action Scheduler would refuse concurrent batches (its default is 1 and the
 * filter action_scheduler_queue_runner_concurrent_batches may have raised it).
 *
 * @param int $n Runners.
 * @return array
 */
function jobs_runner_args( $n ) {
	global $concurrent_batches;
	$args = array( 'action-scheduler', 'run', '--group=mulopimfwc', '--batch-size=1' );
	if ( $n > $concurrent_batches ) {
		$args[] = '--force';
	}
	return $args;
}

/**
 * One job case: the job made over HTTP, then $n runners until its state is done (or failed/cancelled, or
 * $timeout).
 *
 * @param int   $n    Runners.
 * @param array $data jobs_files()'s answer.
 * @return array the case's numbers
 */
function jobs_case_job( $n, array $data ) {
	global $url, $api_key, $root, $prefix, $work, $timeout, $q_self;
	$r = array( 'case' => "job-$n", 'runners' => $n, 'items' => $data['items'], 'ok' => false );

	// Creation: the body streamed from the file by curl.
	$fh = fopen( $data['files']['ndjson'], 'rb' );
	$ch = curl_init( "$url/wp-json/mulopimfwc/v1/inventory/bulk-sync/jobs" );
	$h  = bench_http(
		$ch,
		array(
			CURLOPT_POST          => true,
			CURLOPT_UPLOAD        => true,
			CURLOPT_CUSTOMREQUEST => 'POST',
			CURLOPT_INFILE        => $fh,
			CURLOPT_INFILESIZE    => $data['ndjson_bytes'],
			CURLOPT_HTTPHEADER    => array( 'Content-Type: application/x-ndjson', "X-API-Key: $api_key", 'Expect:' ),
			CURLOPT_TIMEOUT       => 900,
		)
	);
	fclose( $fh );
	$body                    = json_decode( (string) $h['body'], true );
	$r['create_http']        = $h['code'];
	$r['create_seconds']     = $h['seconds'];
	$r['create_statements']  = $h['statements'];
	$r['create_location']    = $h['headers']['location'] ?? null;
	$id                      = (int) ( $body['id'] ?? 0 );
	$r['job_id']             = $id;
	if ( 202 !== $h['code'] || $id <= 0 ) {
		$r['first_error'] = "job creation answered HTTP {$h['code']}: " . substr( (string) $h['body'], 0, 400 ) . ( $h['error'] ? " ({$h['error']})" : '' );
		return $r;
	}
	$r['chunks']     = (int) ( $body['chunks']['total'] ?? 0 );
	$r['chunk_size'] = (int) ( $body['chunks']['size'] ?? 0 );
	say( sprintf( '   job %d made in %.1f s (%d statements): %d items, %d chunks of %d', $id, $h['seconds'], $h['statements'], $body['items']['total'] ?? 0, $r['chunks'], $r['chunk_size'] ) );

	// The runners.
	$poll = "SELECT state, (SELECT COUNT(*) FROM `{$prefix}mulopimfwc_job_chunks` WHERE job_id = $id AND state = 'pending') FROM `{$prefix}mulopimfwc_jobs` WHERE id = $id";
	$polls    = 0;
	$procs    = array();
	$restarts = 0;
	$quick    = 0; // runners in a row that ended within 2 s with an error
	$logs     = array();
	$spawn    = static function ( $i ) use ( $n, $work, &$procs, &$logs ) {
		$log          = "$work/jobs-runner-$n-$i.log";
		$logs[ $i ]   = $log;
		$procs[ $i ]  = jobs_wp_spawn( jobs_runner_args( $n ), $log );
		$procs[ $i ][] = microtime( true );
	};
	foreach ( range( 1, $n ) as $i ) {
		@unlink( "$work/jobs-runner-$n-$i.log" );
	}
	$c0 = jobs_counters();
	$t0 = microtime( true );
	foreach ( range( 1, $n ) as $i ) {
		$spawn( $i );
	}
	$state   = '';
	$pending = null;
	$next    = $t0 + 10;
	while ( true ) {
		usleep( 200000 );
		list( $state, $pending ) = $root->query( $poll )->fetch_row();
		++$polls;
		$now = microtime( true );
		if ( in_array( $state, array( 'done', 'failed', 'cancelled' ), true ) ) {
			break;
		}
		if ( $now - $t0 > $timeout ) {
			$r['first_error'] = sprintf( 'timeout: the job was %s after %d s, %d chunks pending', $state, $timeout, $pending );
			break;
		}
		$live = 0;
		foreach ( $procs as $i => $p ) {
			$live += proc_get_status( $p[0] )['running'] ? 1 : 0;
		}
		foreach ( $procs as $i => $p ) {
			if ( proc_get_status( $p[0] )['running'] || $pending <= $live || $now - $p[2] < 1.0 ) {
				continue;
			}
			$rc    = proc_close( $p[0] );
			$quick = ( 0 !== $rc && $now - $p[2] < 2.0 ) ? $quick + 1 : 0;
			if ( $quick >= 5 ) {
				$tail             = array_slice( array_filter( explode( "\n", (string) file_get_contents( $logs[ $i ] ) ) ), -3 );
				$r['first_error'] = sprintf( 'the runners end at once with an error (exit %d): %s', $rc, implode( ' / ', $tail ) );
				unset( $procs[ $i ] );
				break 2;
			}
			$spawn( $i );
			++$restarts;
			++$live;
		}
		if ( $now >= $next ) {
			say( sprintf( '   %3.0f s: %s, %d chunks pending, %d runners', $now - $t0, $state, $pending, $live ) );
			$next += 10;
		}
	}
	$t1 = microtime( true );
	$c1 = jobs_counters();
	// The runners end by themselves once nothing is due; a minute at most, then SIGTERM.
	$until = microtime( true ) + 60;
	foreach ( $procs as $i => $p ) {
		while ( proc_get_status( $p[0] )['running'] && microtime( true ) < $until ) {
			usleep( 100000 );
		}
		if ( proc_get_status( $p[0] )['running'] ) {
			proc_terminate( $p[0] );
		}
		proc_close( $p[0] );
	}
	$done = (int) $root->query( "SELECT COUNT(*) FROM `{$prefix}actionscheduler_actions` a JOIN `{$prefix}actionscheduler_groups` g ON g.group_id = a.group_id WHERE g.slug = 'mulopimfwc' AND a.status = 'complete'" )->fetch_row()[0];
	$st                     = jobs_statements( $c0, $c1, $polls, $polls );
	$r['state']             = $state;
	$r['wall_seconds']      = $t1 - $t0;
	$r['items_per_second']  = $data['items'] / ( $t1 - $t0 );
	$r['statements']        = $st['statements'];
	$r['by_command']        = $st['by_command'];
	$r['row_lock_waits']    = $st['row_lock_waits'];
	$r['row_lock_ms']       = $st['row_lock_ms'];
	$r['runner_restarts']   = $restarts;
	$r['actions_completed'] = $done;
	$r['runner_command']    = 'wp action-scheduler run ' . implode( ' ', array_slice( jobs_runner_args( $n ), 2 ) );

	// The job's own account (GET .../jobs/{id}) and the chunks' times.
	$ch = curl_init( "$url/wp-json/mulopimfwc/v1/inventory/bulk-sync/jobs/$id" );
	$g  = bench_http( $ch, array( CURLOPT_HTTPHEADER => array( "X-API-Key: $api_key" ) ) );
	$s  = json_decode( (string) $g['body'], true );
	$r['status'] = is_array( $s ) ? array_intersect_key( $s, array_flip( array( 'state', 'items', 'chunks', 'timings', 'started_at', 'finished_at', 'errors' ) ) ) : array( 'http' => $g['code'] );
	$c = $root->query( "SELECT COUNT(*), SUM(attempts), MIN(started_at), MAX(finished_at), SUM(state = 'done'), SUM(succeeded), SUM(failed), SUM(TIMESTAMPDIFF(SECOND, started_at, finished_at)) FROM `{$prefix}mulopimfwc_job_chunks` WHERE job_id = $id" )->fetch_row();
	// seconds_sum: each chunk's started_at (attempt begins) to finished_at (written, before COMMIT and the
	// follow-ons), whole seconds, summed: over the wall time, how many chunks were being written at once.
	$r['chunk_rows'] = array( 'count' => (int) $c[0], 'attempts' => (int) $c[1], 'first_started' => $c[2], 'last_finished' => $c[3], 'done' => (int) $c[4], 'succeeded' => (int) $c[5], 'failed' => (int) $c[6], 'seconds_sum' => (int) $c[7] );
	if ( 'done' === $state && (int) $c[5] === $data['items'] ) {
		$r['ok'] = true;
	} elseif ( ! isset( $r['first_error'] ) ) {
		$r['first_error'] = sprintf( 'job %d ended %s with %d of %d items succeeded, %d failed%s', $id, $state, $c[5], $data['items'], $c[6], isset( $s['errors'][0] ) ? ': ' . $s['errors'][0] : '' );
	}
	say( sprintf( '   %s: %s in %.1f s, %.0f items/s, %s statements, %d restarts, %d actions', $r['case'], $state, $r['wall_seconds'], $r['items_per_second'], number_format( $r['statements'] ), $restarts, $done ) );
	return $r;
}

/**
 * The synchronous CLI: `wp mulopimfwc bulk-sync FILE.json --chunk-size=C`, the process's wall time.
 *
 * @param array $data  jobs_files()'s answer.
 * @param int   $chunk Chunk size (the job's).
 * @return array
 */
function jobs_case_sync_cli( array $data, $chunk ) {
	$c0              = jobs_counters();
	$t0              = microtime( true );
	list( $rc, $out ) = jobs_wp( array( 'mulopimfwc', 'bulk-sync', $data['files']['json'], '--chunk-size=' . $chunk, '--timings' ) );
	$t1              = microtime( true );
	$c1              = jobs_counters();
	$st              = jobs_statements( $c0, $c1, 0, 0 );
	$ok              = 0 === $rc && preg_match( '/(\d+) succeeded, (\d+) failed/', $out, $m ) && (int) $m[1] === $data['items'];
	$r               = array(
		'case'             => 'sync-cli',
		'items'            => $data['items'],
		'chunk_size'       => $chunk,
		'ok'               => (bool) $ok,
		'wall_seconds'     => $t1 - $t0,
		'items_per_second' => $data['items'] / ( $t1 - $t0 ),
		'statements'       => $st['statements'],
		'by_command'       => $st['by_command'],
		'command'          => 'wp mulopimfwc bulk-sync ' . basename( $data['files']['json'] ) . " --chunk-size=$chunk --timings",
		'phases_ms'        => array(),
	);
	// --timings: each phase's milliseconds summed over the chunks, after a heading line.
	if ( preg_match( '/Timings \(milliseconds[^\n]*\n((?:[ \t]+[\w-]+[ \t]+[\d.]+\n?)+)/', $out, $m ) ) {
		preg_match_all( '/^[ \t]+([\w-]+)[ \t]+([\d.]+)/m', $m[1], $ph, PREG_SET_ORDER );
		foreach ( $ph as $p ) {
			$r['phases_ms'][ $p[1] ] = (float) $p[2];
		}
	}
	if ( ! $ok ) {
		$r['first_error'] = "wp exited $rc: " . substr( trim( $out ), -400 );
	}
	say( sprintf( '   sync-cli: %s in %.1f s, %.0f items/s, %s statements', $ok ? 'done' : 'FAILED', $r['wall_seconds'], $r['items_per_second'], number_format( $r['statements'] ) ) );
	return $r;
}

/**
 * The synchronous HTTP request with the first items (one request, curl's total time).
 *
 * @param array $data jobs_files()'s answer.
 * @return array
 */
function jobs_case_sync_http( array $data ) {
	global $url, $api_key;
	$ch   = curl_init( "$url/wp-json/mulopimfwc/v1/inventory/bulk-sync" );
	$h    = bench_http(
		$ch,
		array(
			CURLOPT_POST       => true,
			CURLOPT_POSTFIELDS => file_get_contents( $data['files']['http_json'] ),
			CURLOPT_HTTPHEADER => array( 'Content-Type: application/json', "X-API-Key: $api_key", 'Expect:' ),
			CURLOPT_TIMEOUT    => 900,
		)
	);
	$body = json_decode( (string) $h['body'], true );
	$ok   = 200 === $h['code'] && (int) ( $body['results']['success'] ?? -1 ) === $data['http_items'];
	$r    = array(
		'case'             => 'sync-http',
		'items'            => $data['http_items'],
		'ok'               => $ok,
		'wall_seconds'     => $h['seconds'],
		'items_per_second' => $data['http_items'] / max( 1e-9, $h['seconds'] ),
		'statements'       => $h['statements'],
		'phases_ms'        => array(),
	);
	// The plugin's Server-Timing header: name;dur=ms, ...
	preg_match_all( '/([\w-]+);dur=([\d.]+)/', $h['headers']['server-timing'] ?? '', $ph, PREG_SET_ORDER );
	foreach ( $ph as $p ) {
		$r['phases_ms'][ $p[1] ] = (float) $p[2];
	}
	if ( ! $ok ) {
		$r['first_error'] = "HTTP {$h['code']}: " . substr( (string) $h['body'], 0, 400 );
	}
	say( sprintf( '   sync-http: %s in %.1f s, %.0f items/s, %s statements', $ok ? 'done' : 'FAILED', $r['wall_seconds'], $r['items_per_second'], number_format( $r['statements'] ) ) );
	return $r;
}

// ------------------------------------------------------------------------------------------------- the run

say( sprintf( '== jobs: %d SKUs x %d locations', count( $state['skus'] ), count( $state['locations'] ) ) );
$t    = microtime( true );
$data = jobs_files( in_array( 'sync-http', $cases_on, true ) ? $http_items : 0 );
say( sprintf( '   data: %s items, NDJSON %.1f MB, JSON %.1f MB (%.0f s)', number_format( $data['items'] ), $data['ndjson_bytes'] / 1e6, $data['json_bytes'] / 1e6, microtime( true ) - $t ) );

// The job tables before the snapshot (the plugin makes them on activation or when their version changes), and
// how many concurrent batches Action Scheduler allows while a job is queued or running (the plugin raises it then,
// filter mulopimfwc_job_runners).
list( $rc, $out ) = jobs_wp( array( 'eval', 'if ( class_exists( "Mulopimfwc_Bulk_Sync_Jobs" ) && method_exists( "Mulopimfwc_Bulk_Sync_Jobs", "create_tables" ) ) { Mulopimfwc_Bulk_Sync_Jobs::create_tables(); } $b = (int) apply_filters( "action_scheduler_queue_runner_concurrent_batches", 1 ); if ( method_exists( "Mulopimfwc_Bulk_Sync_Jobs", "concurrent_batches" ) ) { $b = max( $b, (int) apply_filters( "mulopimfwc_job_runners", 3 ) ); } echo "batches=", $b, " chunk=", (int) apply_filters( "mulopimfwc_job_chunk_size", 5000 ), " jobs=", class_exists( "Mulopimfwc_Bulk_Sync_Jobs" ) ? 1 : 0, "\n";' ) );
if ( 0 !== $rc || ! preg_match( '/batches=(\d+) chunk=(\d+) jobs=(\d)/', $out, $m ) ) {
	fwrite( STDERR, "jobs.php: wp eval exited $rc: $out\n" );
	exit( 1 );
}
$concurrent_batches = (int) $m[1];
$chunk_size         = (int) $m[2];
if ( '1' !== $m[3] && in_array( 'job', $cases_on, true ) ) {
	say( '   the plugin has no jobs (class Mulopimfwc_Bulk_Sync_Jobs): the job cases are left out' );
	$cases_on = array_diff( $cases_on, array( 'job' ) );
}

// Action Scheduler's move from posts to its own tables, done (a live store's WP-Cron did it long ago; these
// sites have WP-Cron off, and until it is done `wp action-scheduler run --group=G` claims from the posts store and
// stops: 'The group "G" does not exist').
list( $rc, $out ) = jobs_wp( array( 'action-scheduler', 'migrate' ) );
say( '   wp action-scheduler migrate: ' . ( false !== strpos( $out, 'not a registered subcommand' ) ? 'done before (the command is gone once the move is complete)' : trim( preg_replace( '/\s+/', ' ', $out ) ) ) );

$t = jobs_db_copy( true );
say( sprintf( '   snapshot of the data dir in %.0f s', $t ) );

$plan = array();
if ( in_array( 'job', $cases_on, true ) ) {
	foreach ( $runner_ns as $n ) {
		$plan[] = array( 'job', $n );
	}
}
if ( in_array( 'sync-cli', $cases_on, true ) ) {
	$plan[] = array( 'sync-cli', 0 );
}
if ( in_array( 'sync-http', $cases_on, true ) && $http_items > 0 ) {
	$plan[] = array( 'sync-http', 0 );
}
$results = array();
foreach ( $plan as $i => list( $case, $n ) ) {
	$restore = $i > 0 ? jobs_db_copy( false ) : 0.0;
	$load = sys_getloadavg();
	say( sprintf( '== %s%s (database restored in %.0f s; load average %.2f)', $case, $n ? "-$n" : '', $restore, $load[0] ) );
	if ( 'job' === $case ) {
		$r = jobs_case_job( $n, $data );
	} elseif ( 'sync-cli' === $case ) {
		$r = jobs_case_sync_cli( $data, $chunk_size );
	} else {
		$r = jobs_case_sync_http( $data );
	}
	$r['restore_seconds'] = $restore;
	$r['load_at_start']   = sprintf( '%.2f %.2f %.2f', ...$load );
	$r['load_at_end']     = sprintf( '%.2f %.2f %.2f', ...sys_getloadavg() );
	if ( 'sync-http' !== $case ) {
		$r['digest'] = jobs_digest( $data['sample'] );
	}
	$results[] = $r;
}

// Every 1,000,000-item case must end with the same database.
$ref = null;
foreach ( $results as $r ) {
	if ( isset( $r['digest'] ) && 'sync-cli' === $r['case'] ) {
		$ref = $r['digest'];
	}
}
foreach ( $results as &$r ) {
	if ( isset( $r['digest'] ) ) {
		$r['same_database_as_sync'] = $ref ? ( $r['digest']['meta_crc'] === $ref['meta_crc'] && $r['digest']['meta_rows'] === $ref['meta_rows'] && $r['digest']['lookup_crc'] === $ref['lookup_crc'] ) : null;
	}
}
unset( $r );

bench_write_raw(
	'jobs.php',
	$o,
	array(
		'concurrent_batches_filter' => $concurrent_batches,
		'chunk_size'                => $chunk_size,
		'data'                      => array_diff_key( $data, array( 'sample' => 1, 'files' => 1 ) ),
	),
	array( 'jobs' => $results ),
	count( $results ),
	$t_start
);
