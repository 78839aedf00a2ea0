<?php
/**
 * Shared by the direct runs (bench/lib/cli.php, bench/lib/export-cli.php), required after wp-load.php: the
 * process's memory from /proc, and the server's statement counter on a second connection.
 */

/**
 * A field of /proc/self/status in kB (-1: unknown).
 *
 * @param string $field VmRSS, VmHWM...
 * @return int
 */
function bench_proc_kb( $field ) {
	$s = @file_get_contents( '/proc/self/status' );
	return ( is_string( $s ) && preg_match( '/^' . $field . ':\s+(\d+)\s+kB/m', $s, $m ) ) ? (int) $m[1] : -1;
}

/**
 * The server's Questions counter on a second connection (wp-config.php's settings), and what one reading adds.
 *
 * @return array [callable that reads the counter, int its own cost]
 */
function bench_questions() {
	$host = DB_HOST;
	$sock = null;
	if ( preg_match( '/^localhost:(\/.*)$/', $host, $m ) ) {
		$host = 'localhost';
		$sock = $m[1];
	}
	$mon       = new mysqli( $host, DB_USER, DB_PASSWORD, DB_NAME, 0, $sock );
	$questions = static function () use ( $mon ) {
		return (int) $mon->query( "SHOW GLOBAL STATUS LIKE 'Questions'" )->fetch_row()[1];
	};
	$a = $questions();
	$b = $questions();
	return array( $questions, $b - $a );
}
