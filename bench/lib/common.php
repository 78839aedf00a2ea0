<?php
/**
 * Shared by the sync benchmark's driver (bench/lib/driver.php) and the export benchmark (bench/lib/export.php):
 * options, the database connections and the server's statement counter, one HTTP request with its response
 * headers, and one direct run in a child PHP.
 */

mysqli_report( MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT );

/**
 * getopt() with --state, --work and --out required.
 *
 * @param string $prog Script name for the error.
 * @param array  $long Long options (getopt syntax).
 * @return array
 */
function bench_options( $prog, array $long ) {
	$o = getopt( '', $long );
	foreach ( array( 'state', 'work', 'out' ) as $k ) {
		if ( empty( $o[ $k ] ) ) {
			fwrite( STDERR, "$prog: --$k is required\n" );
			exit( 2 );
		}
	}
	return $o;
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
 * JSON line.
 *
 * @param string $engine native loads the extension.
 * @param string $script Script in bench/lib.
 * @param array  $args   Its arguments.
 * @return array [decoded last JSON line or null, exit code, stderr, stdout]
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
	return array( is_array( $r ) ? $r : null, $rc, $err, $out );
}
