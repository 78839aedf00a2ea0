<?php
/**
 * Shared by the sync benchmark's driver (bench/lib/driver.php) and the export benchmark (bench/lib/export.php):
 * options, the database connections and the server's statement counter, one HTTP request with its response
 * headers, and one direct run in a child PHP.
 */

mysqli_report( MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT );

/**
 * getopt() with --state, --work and --out required; sets the globals every driver reads: $state (the seeded
 * store), $work, $runs (--runs, default 5), $only (--cases), $prefix, $no_http (BENCH_NO_HTTP=1), $so
 * (BENCH_SO), $url (E2E_URL), $wp_dir (E2E_WP_DIR), $api_key (E2E_API_KEY).
 *
 * @param string $prog Script name for the error.
 * @param array  $long Long options (getopt syntax).
 * @return array
 */
function bench_options( $prog, array $long ) {
	global $state, $work, $runs, $only, $prefix, $no_http, $so, $url, $wp_dir, $api_key;
	$o = getopt( '', $long );
	foreach ( array( 'state', 'work', 'out' ) as $k ) {
		if ( empty( $o[ $k ] ) ) {
			fwrite( STDERR, "$prog: --$k is required\n" );
			exit( 2 );
		}
	}
	$state   = json_decode( file_get_contents( $o['state'] ), true );
	$work    = rtrim( $o['work'], '/' );
	$runs    = max( 1, (int) ( $o['runs'] ?? 5 ) );
	$only    = isset( $o['cases'] ) ? explode( ',', $o['cases'] ) : null;
	$prefix  = $state['prefix'];
	$no_http = '1' === getenv( 'BENCH_NO_HTTP' );
	$so      = getenv( 'BENCH_SO' );
	$url     = rtrim( (string) getenv( 'E2E_URL' ), '/' );
	$wp_dir  = getenv( 'E2E_WP_DIR' );
	$api_key = getenv( 'E2E_API_KEY' );
	return $o;
}

/**
 * Writes the raw numbers (--out): `meta` is the --meta file's fields, $meta, the run's seconds, the store (without
 * its lists of SKUs and ids) and what one reading of the statement counter adds; then $rest. Says so.
 *
 * @param string $prog    Script name for the line.
 * @param array  $o       The options.
 * @param array  $meta    This run's meta fields.
 * @param array  $rest    The other top-level fields.
 * @param int    $count   Runs recorded.
 * @param float  $t_start microtime( true ) at the start.
 */
function bench_write_raw( $prog, array $o, array $meta, array $rest, $count, $t_start ) {
	global $state, $q_self;
	$given = isset( $o['meta'] ) && is_file( $o['meta'] ) ? json_decode( file_get_contents( $o['meta'] ), true ) : array();
	$meta += array(
		'seconds_total'  => round( microtime( true ) - $t_start, 1 ),
		'store'          => array_diff_key( $state, array( 'skus' => 1, 'ids' => 1 ) ),
		'questions_self' => $q_self,
	);
	$out = array( 'meta' => array_merge( $given, $meta ) ) + $rest;
	file_put_contents( $o['out'], json_encode( $out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES ) );
	say( sprintf( '%s: %d runs in %.0f s, raw numbers in %s', $prog, $count, microtime( true ) - $t_start, $o['out'] ) );
}

/**
 * The floor's client (the site's user, like the engines) and the monitor (root, for the counters); sets the
 * globals $floor, $mon and $q_self (what one reading of the counter adds).
 *
 * @param array $state The seeded store's state (its database name).
 */
function bench_connect( array $state ) {
	global $floor, $mon, $q_self;
	$floor = new mysqli( 'localhost', getenv( 'E2E_DB_USER' ), getenv( 'E2E_DB_PASSWORD' ), $state['db'], 0, getenv( 'E2E_DB_SOCKET' ) );
	$floor->set_charset( 'utf8mb4' );
	$mon    = new mysqli( 'localhost', 'root', '', '', 0, getenv( 'MULOPIMFWC_DB_ROOT_SOCKET' ) );
	$qa     = questions();
	$q_self = questions() - $qa;
}

/**
 * The server's Questions counter.
 *
 * @return int
 */
function questions() {
	global $mon;
	return (int) $mon->query( "SHOW GLOBAL STATUS LIKE 'Questions'" )->fetch_row()[1];
}

/**
 * A progress line.
 *
 * @param string $s Text.
 */
function say( $s ) {
	fwrite( STDOUT, $s . "\n" );
	flush();
}

/**
 * One HTTP request on $ch with $opts (the response body returned, its headers captured).
 *
 * @param CurlHandle $ch   Handle (kept alive between calls by the caller when it likes).
 * @param array      $opts curl options.
 * @return array code, body (string|false), seconds (curl's total time), headers (lower-case names),
 *               statements (the server's Questions delta, less the counter's own), error (curl's).
 */
function bench_http( $ch, array $opts ) {
	global $q_self;
	$headers = array();
	curl_setopt_array(
		$ch,
		$opts + array(
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_HEADERFUNCTION => static function ( $ch, $line ) use ( &$headers ) {
				$p = strpos( $line, ':' );
				if ( false !== $p ) {
					$headers[ strtolower( trim( substr( $line, 0, $p ) ) ) ] = trim( substr( $line, $p + 1 ) );
				}
				return strlen( $line );
			},
		)
	);
	$q0   = questions();
	$resp = curl_exec( $ch );
	$q1   = questions();
	return array(
		'code'       => curl_getinfo( $ch, CURLINFO_HTTP_CODE ),
		'body'       => $resp,
		'seconds'    => curl_getinfo( $ch, CURLINFO_TOTAL_TIME_T ) / 1e6,
		'headers'    => $headers,
		'statements' => $q1 - $q0 - $q_self,
		'error'      => curl_error( $ch ),
	);
}

/**
 * One direct run: `php [-d extension=BENCH_SO] -d memory_limit=4G SCRIPT ARGS...` (an hour at most); its last
 * JSON line, or (none) a failed run: seconds null and first_error with the exit code and the output's start.
 *
 * @param string $engine native loads the extension.
 * @param string $script Script in bench/lib.
 * @param array  $args   Its arguments.
 * @return array [the run's fields, stderr]
 */
function bench_child( $engine, $script, array $args ) {
	$cmd = array( 'timeout', '3600', PHP_BINARY );
	if ( 'native' === $engine ) {
		array_push( $cmd, '-d', 'extension=' . getenv( 'BENCH_SO' ) );
	}
	array_push( $cmd, '-d', 'memory_limit=4G', __DIR__ . '/' . $script, ...$args );
	// stderr to a file: a pipe read only after stdout's EOF would block a child that writes more than a pipe holds.
	$errf = tempnam( sys_get_temp_dir(), 'mulopimfwc-bench-' );
	$p    = proc_open( $cmd, array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'file', $errf, 'w' ) ), $pipes );
	$out  = stream_get_contents( $pipes[1] );
	fclose( $pipes[1] );
	$rc  = proc_close( $p );
	$err = (string) file_get_contents( $errf );
	unlink( $errf );
	$line = null;
	foreach ( explode( "\n", trim( $out ) ) as $l ) {
		if ( '' !== $l && '{' === $l[0] ) {
			$line = $l;
		}
	}
	$r = $line ? json_decode( $line, true ) : null;
	if ( ! is_array( $r ) ) {
		$r = array( 'seconds' => null, 'first_error' => "$script exited $rc: " . substr( trim( $err . ' ' . $out ), 0, 400 ) );
	}
	return array( $r, $err );
}
