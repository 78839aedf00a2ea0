<?php
/**
 * Statements of a whole HTTP request do not grow with its items, WooCommerce active (issue 11): the follow-ons of a
 * sync (caches, WooCommerce's transients, the attributes lookup, the stock actions and WooCommerce's own listeners
 * of them) cost as many statements for 10 changed products as for 5,000.
 *
 *   php tests/e2e/statements-tests.php ENV_FILE [--sizes=10,5000] [--engines=native,php] [--report]
 *
 * Against a site of tests/e2e/lib/site.sh (WooCommerce active, the extension loaded for the native engine; the PHP
 * engine through the header X-E2E-Force-PHP). Counted by the server: the site is switched to a database user of its
 * own (wp-config.php's DB_USER, put back at the end) and MariaDB's per-user statistics (`userstat`,
 * information_schema.USER_STATISTICS) count every command of that user, from php-fpm and from the engine's own
 * connections alike, so that other clients of the shared server do not blur the count.
 *
 * The store: simple products cloned in bulk from one WooCommerce made (tests/reliability/site/rel-wc.php template),
 * one location, no primary location (every item moves WooCommerce's stock), the test hook listeners of the
 * mu-plugin on (option mulopimfwc_e2e_record_hooks: stock actions, product saves, the meta API's hooks), the PHP
 * engine's item limit raised (option mulopimfwc_e2e_max_items). Per engine, three rounds on disjoint products of
 * each size: stock 10 -> 0 (status to outofstock), 0 -> 7 (back in stock), 7 -> 5 (quantity only); every round
 * sends the small request and then the large one and asserts equal counts, every item a success, and WooCommerce's
 * view of a sample afterwards (lookup row, meta).
 *
 * Prints one line per test and `E2E-COUNTS statements passed=N failed=M skipped=K`; --report prints the counts.
 */

mysqli_report( MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT );

$opts = getopt( '', array( 'sizes:', 'engines:', 'report' ), $rest );
$envf = $argv[ $rest ] ?? '';
if ( '' === $envf || ! is_file( $envf ) ) {
	fwrite( STDERR, "usage: php statements-tests.php ENV_FILE [--sizes=10,5000] [--engines=native,php] [--report]\n" );
	exit( 2 );
}
require dirname( __DIR__, 2 ) . '/tests/lib/php/TestRun.php';
$env     = \Mulopimfwc\Tests\read_env_file( $envf );
$sizes   = array_map( 'intval', explode( ',', $opts['sizes'] ?? '10,5000' ) );
$engines = explode( ',', $opts['engines'] ?? 'native,php' );
$report  = isset( $opts['report'] );
$name    = $env['E2E_NAME'];
$run     = new \Mulopimfwc\Tests\TestRun( 'statements' );

function st_ok( $name, $msg ) {
	$GLOBALS['run']->record( "$name: $msg", array() );
}
function st_fail( $name, $msg, $detail = '' ) {
	$GLOBALS['run']->record( "$name: $msg", '' !== $detail ? array( rtrim( substr( $detail, 0, 3000 ) ) ) : array( '(no detail)' ) );
}
function st_end() {
	exit( $GLOBALS['run']->finish() );
}

$db = new mysqli( 'localhost', 'root', '', $env['E2E_DB_NAME'], 0, $env['E2E_DB_SOCKET'] );
$db->set_charset( 'utf8mb4' );
function st_lit( $s ) {
	global $db;
	return "'" . $db->real_escape_string( (string) $s ) . "'";
}
function st_one( $sql ) {
	global $db;
	$r = $db->query( $sql )->fetch_row();
	return $r ? $r[0] : null;
}
function st_rows( $sql ) {
	global $db;
	return $db->query( $sql )->fetch_all( MYSQLI_NUM );
}
function st_assoc( $sql ) {
	global $db;
	return $db->query( $sql )->fetch_all( MYSQLI_ASSOC );
}
function st_option( $name, $value ) {
	global $db;
	$db->query( 'DELETE FROM wp_options WHERE option_name = ' . st_lit( $name ) );
	if ( null !== $value ) {
		$db->query( 'INSERT INTO wp_options (option_name, option_value, autoload) VALUES (' . st_lit( $name ) . ', ' . st_lit( $value ) . ", 'yes')" );
	}
}

// The site's own database user, counted by the server.
$user   = 'mulopimfwc_st_' . substr( md5( $name ), 0, 8 );
$pass   = 'st-' . substr( md5( $name . 'pw' ), 0, 12 );
$config = $env['E2E_WP_DIR'] . '/wp-config.php';
$orig   = file_get_contents( $config );
if ( ! preg_match( "/define\\( 'DB_USER', '([^']*)' \\);/", $orig ) ) {
	st_fail( $name, 'wp-config.php has no DB_USER line this test can switch' );
	st_end();
}
$db->query( "CREATE OR REPLACE USER '$user'@'localhost' IDENTIFIED BY '$pass'" );
$db->query( "GRANT ALL PRIVILEGES ON `{$env['E2E_DB_NAME']}`.* TO '$user'@'localhost'" );
$db->query( 'SET GLOBAL userstat = 1' );
$switched = preg_replace(
	array( "/define\\( 'DB_USER', '[^']*' \\);/", "/define\\( 'DB_PASSWORD', '[^']*' \\);/" ),
	array( "define( 'DB_USER', '$user' );", "define( 'DB_PASSWORD', '$pass' );" ),
	$orig
);
file_put_contents( $config, $switched );
register_shutdown_function(
	static function () use ( $config, $orig, $user ) {
		global $db;
		file_put_contents( $config, $orig );
		try {
			$db->query( "DROP USER IF EXISTS '$user'@'localhost'" );
		} catch ( Throwable $e ) {
			// The next run replaces it.
		}
	}
);
function st_count() {
	global $db, $user;
	// Another suite may have switched the statistics off meanwhile: on again (what it counted is kept).
	$db->query( 'SET GLOBAL userstat = 1' );
	return (int) st_one( "SELECT SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS FROM information_schema.USER_STATISTICS WHERE USER = '$user'" );
}

/**
 * One request to the bulk sync route; [status, decoded body, statements].
 */
function st_sync( array $items, $engine ) {
	global $env;
	$h  = array( 'Content-Type: application/json', 'X-API-Key: ' . $env['E2E_API_KEY'] );
	if ( 'php' === $engine ) {
		$h[] = 'X-E2E-Force-PHP: 1';
	}
	if ( getenv( 'MULOPIMFWC_ST_LOG' ) ) {
		$h[] = 'X-ST-Log: ' . $engine . '-' . count( $items ) . '-' . ( $items[0]['stock'] ?? 'x' );
	}
	$ch = curl_init( $env['E2E_URL'] . '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync' );
	curl_setopt_array(
		$ch,
		array(
			CURLOPT_POST           => true,
			CURLOPT_POSTFIELDS     => json_encode( array( 'items' => $items ) ),
			CURLOPT_HTTPHEADER     => $h,
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_TIMEOUT        => 300,
			CURLOPT_HEADERFUNCTION => static function ( $ch, $line ) {
				if ( 0 === stripos( $line, 'X-ST-Heard:' ) ) {
					$GLOBALS['st_heard'] = json_decode( trim( substr( $line, 11 ) ), true );
				}
				return strlen( $line );
			},
		)
	);
	$GLOBALS['st_heard'] = null;
	// WooCommerce's transient versions are timestamps (seconds): bumped in the same second as the last request,
	// update_option() finds the value unchanged and writes nothing. A new second for every request keeps the count
	// of each request the same.
	usleep( 1000000 - (int) ( fmod( microtime( true ), 1 ) * 1000000 ) + 20000 );
	$c0   = st_count();
	$out  = curl_exec( $ch );
	$c1   = st_count();
	$code = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
	return array( $code, json_decode( (string) $out, true ), $c1 - $c0, (string) $out );
}

// The store.
$need = 0;
foreach ( $sizes as $n ) {
	$need += $n;
}
$need *= count( $engines );
// Warm-up products: one per php-fpm worker and engine, synced in parallel so that every worker has made its
// database connections and WooCommerce's first-request work before anything is counted.
$workers = max( 1, (int) ( $env['E2E_WORKERS'] ?? 2 ) );
$warm_n  = 2 * $workers;
$need   += 2 * $warm_n;
$t0  = microtime( true );
exec( 'php ' . escapeshellarg( dirname( __DIR__ ) . '/reliability/site/rel-wc.php' ) . ' ' . escapeshellarg( $env['E2E_WP_DIR'] ) . ' template 10 2>&1', $lines, $rc );
$tj  = json_decode( (string) end( $lines ), true );
$tpl = (int) ( $tj['id'] ?? 0 );
if ( 0 !== $rc || ! $tpl ) {
	st_fail( $name, 'WooCommerce made no template product', implode( "\n", $lines ) );
	st_end();
}
$post_row = st_assoc( "SELECT * FROM wp_posts WHERE ID = $tpl" )[0];
$meta     = st_rows( "SELECT meta_key, meta_value FROM wp_postmeta WHERE post_id = $tpl AND meta_key NOT IN ('_edit_lock', '_edit_last') ORDER BY meta_id" );
$terms    = st_rows( "SELECT term_taxonomy_id, term_order FROM wp_term_relationships WHERE object_id = $tpl" );
$lookup   = st_assoc( "SELECT * FROM wp_wc_product_meta_lookup WHERE product_id = $tpl" )[0] ?? null;
$first    = (int) st_one( 'SELECT MAX(ID) FROM wp_posts' ) + 1;
$tuple    = static function ( array $row ) {
	return '(' . implode( ',', array_map( static function ( $v ) {
		return null === $v ? 'NULL' : st_lit( $v );
	}, $row ) ) . ')';
};
$cols     = static function ( array $row ) {
	return '(`' . implode( '`,`', array_keys( $row ) ) . '`)';
};
$db->begin_transaction();
$skus = array();
for ( $base = 0; $base < $need; $base += 2000 ) {
	$p = array();
	$m = array();
	$r = array();
	$l = array();
	for ( $i = $base; $i < min( $need, $base + 2000 ); $i++ ) {
		$id       = $first + $i;
		$sku      = sprintf( 'ST%d-%06d', $first, $i );
		$skus[]   = $sku;
		$p[]      = $tuple( array( 'ID' => $id, 'post_title' => "ST product $i", 'post_name' => "st-p$i", 'guid' => $env['E2E_URL'] . "/?post_type=product&p=$id" ) + $post_row );
		foreach ( $meta as list( $k, $v ) ) {
			$m[] = "($id," . st_lit( $k ) . ',' . st_lit( '_sku' === $k ? $sku : $v ) . ')';
		}
		foreach ( $terms as list( $tt, $order ) ) {
			$r[] = "($id," . (int) $tt . ',' . (int) $order . ')';
		}
		if ( $lookup ) {
			$l[] = $tuple( array( 'product_id' => $id, 'sku' => $sku ) + $lookup );
		}
	}
	$db->query( 'INSERT INTO wp_posts ' . $cols( array( 'ID' => 0, 'post_title' => 0, 'post_name' => 0, 'guid' => 0 ) + $post_row ) . ' VALUES ' . implode( ',', $p ) );
	$db->query( 'INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES ' . implode( ',', $m ) );
	$db->query( 'INSERT INTO wp_term_relationships (object_id, term_taxonomy_id, term_order) VALUES ' . implode( ',', $r ) );
	if ( $l ) {
		$db->query( 'INSERT INTO wp_wc_product_meta_lookup ' . $cols( array( 'product_id' => 0, 'sku' => 0 ) + $lookup ) . ' VALUES ' . implode( ',', $l ) );
	}
}
foreach ( $terms as list( $tt ) ) {
	$db->query( "UPDATE wp_term_taxonomy SET count = count + $need WHERE term_taxonomy_id = " . (int) $tt );
}
$db->query( "INSERT INTO wp_terms (name, slug, term_group) VALUES ('ST location', 'st-loc-" . $first . "', 0)" );
$loc_term = (int) $db->insert_id;
$db->query( "INSERT INTO wp_term_taxonomy (term_id, taxonomy, description, parent, count) VALUES ($loc_term, 'mulopimfwc_store_location', '', 0, 0)" );
$db->commit();
$loc = 'st-loc-' . $first;
st_option( 'mulopimfwc_primary_location', null );
st_option( 'mulopimfwc_e2e_record_hooks', null );
// Listeners of every action the follow-ons fire, as a back-in-stock notifier or the location plugin has them:
// they read the product object's values and the meta (no statement of their own when the caches are primed);
// the response says how many times each fired and whether they saw the values written.
$listener = $env['E2E_WP_DIR'] . '/wp-content/mu-plugins/zz-mulopimfwc-st-listeners.php';
file_put_contents( $listener, <<<'PHP'
<?php
// Written by tests/e2e/statements-tests.php for its run (removed at its end).
$GLOBALS['mulopimfwc_st_heard'] = array();
$mulopimfwc_st = static function ( $hook, $id, $product = null ) {
	$h = &$GLOBALS['mulopimfwc_st_heard'];
	$h[ $hook ]['n'] = ( $h[ $hook ]['n'] ?? 0 ) + 1;
	if ( is_object( $product ) ) {
		$h[ $hook ]['last'] = array( (int) $product->get_id(), $product->get_stock_quantity(), $product->get_stock_status() );
	} elseif ( $id ) {
		$h[ $hook ]['last'] = array( (int) $id, get_post_meta( (int) $id, '_stock', true ), get_post_meta( (int) $id, '_stock_status', true ) );
	}
};
foreach ( array( 'woocommerce_product_set_stock', 'woocommerce_variation_set_stock' ) as $hook ) {
	add_action( $hook, static function ( $product ) use ( $hook, $mulopimfwc_st ) { $mulopimfwc_st( $hook, 0, $product ); } );
}
foreach ( array( 'woocommerce_product_set_stock_status', 'woocommerce_variation_set_stock_status' ) as $hook ) {
	add_action( $hook, static function ( $id, $status = null, $product = null ) use ( $hook, $mulopimfwc_st ) { $mulopimfwc_st( $hook, $id, $product ); }, 10, 3 );
}
foreach ( array( 'woocommerce_update_product', 'woocommerce_update_product_variation' ) as $hook ) {
	add_action( $hook, static function ( $id, $product = null ) use ( $hook, $mulopimfwc_st ) { $mulopimfwc_st( $hook, $id, $product ); }, 10, 2 );
}
add_action( 'woocommerce_updated_product_stock', static function ( $id ) use ( $mulopimfwc_st ) { $mulopimfwc_st( 'woocommerce_updated_product_stock', $id ); } );
add_action( 'updated_post_meta', static function ( $meta_id, $id, $key ) use ( $mulopimfwc_st ) {
	if ( '_stock' === $key ) {
		$mulopimfwc_st( 'updated_post_meta', $id );
	}
}, 10, 3 );
// $wpdb's statements of the request up to the response (WordPress, WooCommerce, the follow-ons; not the engines'
// own connection): reported with the listeners' counts.
$GLOBALS['mulopimfwc_st_wpdb'] = 0;
add_filter( 'query', static function ( $q ) {
	++$GLOBALS['mulopimfwc_st_wpdb'];
	return $q;
}, PHP_INT_MAX );
add_filter( 'rest_post_dispatch', static function ( $response ) {
	if ( $response instanceof WP_REST_Response ) {
		$response->header( 'X-ST-Heard', wp_json_encode( $GLOBALS['mulopimfwc_st_heard'] + array( 'wpdb' => array( 'n' => $GLOBALS['mulopimfwc_st_wpdb'] ) ) ) );
	}
	return $response;
} );
PHP
);
register_shutdown_function( static function () use ( $listener ) {
	@unlink( $listener );
} );
st_option( 'mulopimfwc_e2e_max_items', '100000' );
// "Hide out of stock items" on: WooCommerce recounts the product's category and tag terms after a status change.
st_option( 'woocommerce_hide_out_of_stock_items', 'yes' );
st_option( 'mulopimfwc_e2e_hook_log', null );
// With a persistent object cache the options written above are read from it: the site's keys are flushed.
if ( '' !== ( $env['E2E_REDIS_PREFIX'] ?? '' ) ) {
	exec( 'MULOPIMFWC_REDIS_DIR=' . escapeshellarg( dirname( $env['E2E_REDIS_SOCKET'] ) ) . ' ' . escapeshellarg( dirname( __DIR__ ) . '/lib/redis.sh' ) . ' flush-prefix ' . escapeshellarg( $env['E2E_REDIS_PREFIX'] ) . ' 2>&1', $fl, $frc );
	if ( 0 !== $frc ) {
		st_fail( $name, 'could not flush the site\'s Redis keys', implode( "\n", $fl ) );
		st_end();
	}
}
// The warm-up: per engine, twice as many parallel requests as workers (each on a product of its own, stock
// 10 -> 0 -> 10: both status changes), so that every worker connects as the switched user and does WooCommerce's
// first-request work before anything is counted.
$warm  = array_slice( $skus, $need - 2 * $warm_n );
$wrest = array( 'native' => array_slice( $warm, 0, $warm_n ), 'php' => array_slice( $warm, $warm_n ) );
foreach ( array( 0, 10, 0 ) as $wstock ) {
	foreach ( $wrest as $wengine => $wskus ) {
		$mh  = curl_multi_init();
		$chs = array();
		foreach ( $wskus as $wsku ) {
			$h = array( 'Content-Type: application/json', 'X-API-Key: ' . $env['E2E_API_KEY'] );
			if ( 'php' === $wengine ) {
				$h[] = 'X-E2E-Force-PHP: 1';
			}
			$ch = curl_init( $env['E2E_URL'] . '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync' );
			curl_setopt_array(
				$ch,
				array(
					CURLOPT_POST           => true,
					CURLOPT_POSTFIELDS     => json_encode( array( 'items' => array( array( 'sku' => $wsku, 'location_slug' => $loc, 'stock' => $wstock ) ) ) ),
					CURLOPT_HTTPHEADER     => $h,
					CURLOPT_RETURNTRANSFER => true,
					CURLOPT_TIMEOUT        => 120,
				)
			);
			curl_multi_add_handle( $mh, $ch );
			$chs[] = $ch;
		}
		do {
			curl_multi_exec( $mh, $running );
			curl_multi_select( $mh, 0.1 );
		} while ( $running > 0 );
		foreach ( $chs as $ch ) {
			curl_multi_remove_handle( $mh, $ch );
		}
		curl_multi_close( $mh );
	}
}
if ( st_count() <= 0 ) {
	st_fail( $name, 'the server counted no statement of the site\'s user (userstat)' );
	st_end();
}
printf( "# %s: %d products cloned from #%d in %.1fs\n", $name, $need, $tpl, microtime( true ) - $t0 );

$next   = 0;
$counts = array();
foreach ( $engines as $engine ) {
	$blocks = array();
	foreach ( $sizes as $n ) {
		$blocks[ $n ] = array_slice( $skus, $next, $n );
		$next        += $n;
	}
	// Each size gets its own products for its three rounds: stock 10 -> 0 -> 7 -> 5.
	$rounds = array( 'to outofstock' => 0, 'back in stock' => 7, 'quantity only' => 5 );
	$by     = array();
	foreach ( $blocks as $n => $b ) {
		$by[ $n ] = $b;
	}
	foreach ( $rounds as $round => $stock ) {
		$got = array();
		$wp  = array();
		foreach ( $by as $n => $b ) {
			$items = array();
			foreach ( $b as $sku ) {
				$items[] = array( 'sku' => $sku, 'location_slug' => $loc, 'stock' => $stock );
			}
			list( $code, $body, $count, $raw ) = st_sync( $items, $engine );
			$succ = $body['results']['success'] ?? null;
			if ( 200 !== $code || $succ !== $n ) {
				st_fail( $name, "$engine, $round, $n items: HTTP $code, success " . var_export( $succ, true ), $raw );
				continue 2;
			}
			$got[ $n ]                           = $count;
			$wp[ $n ]                            = (int) ( $GLOBALS['st_heard']['wpdb']['n'] ?? -1 );
			$counts[ $engine ][ $round ][ $n ] = array( 'request' => $count, 'wpdb' => $wp[ $n ] );
			// The listeners heard every product, with the new values on the product objects.
			$heard = $GLOBALS['st_heard'];
			$hooks = array( 'woocommerce_product_set_stock', 'woocommerce_update_product', 'woocommerce_updated_product_stock', 'updated_post_meta' );
			if ( 5 !== $stock ) {
				$hooks[] = 'woocommerce_product_set_stock_status';
			}
			foreach ( $hooks as $hook ) {
				$hn = $heard[ $hook ]['n'] ?? 0;
				$hl = $heard[ $hook ]['last'] ?? null;
				if ( $hn !== $n || ! $hl || (float) $hl[1] !== (float) $stock || $hl[2] !== ( 0 === $stock ? 'outofstock' : 'instock' ) ) {
					st_fail( $name, "$engine, $round, $n items: $hook heard $hn times, last " . json_encode( $hl ) );
				}
			}
			// WooCommerce's view of the last product of the request.
			$sku  = end( $b );
			$pid  = (int) st_one( "SELECT post_id FROM wp_postmeta WHERE meta_key = '_sku' AND meta_value = " . st_lit( $sku ) );
			$want = 0 === $stock ? 'outofstock' : 'instock';
			$lk   = st_rows( "SELECT stock_quantity, stock_status FROM wp_wc_product_meta_lookup WHERE product_id = $pid" )[0] ?? null;
			$ms   = st_one( "SELECT meta_value FROM wp_postmeta WHERE post_id = $pid AND meta_key = '_stock_status'" );
			if ( ! $lk || (float) $lk[0] !== (float) $stock || $lk[1] !== $want || $ms !== $want ) {
				st_fail( $name, "$engine, $round, $n items: product $pid is not at stock $stock / $want", json_encode( array( $lk, $ms ) ) );
			}
		}
		if ( count( $got ) !== count( $sizes ) ) {
			continue;
		}
		$desc = array();
		$wdsc = array();
		foreach ( $got as $n => $c ) {
			$desc[] = "$n items: $c";
			$wdsc[] = "$n items: {$wp[ $n ]}";
		}
		$desc = implode( ', ', $desc );
		$wdsc = implode( ', ', $wdsc );
		// WordPress's connection: WooCommerce, the follow-ons and the listeners (and the PHP engine's lookups that
		// go through $wpdb).
		if ( count( array_unique( $wp ) ) === 1 && min( $wp ) > 0 ) {
			st_ok( $name, "$engine, $round: \$wpdb statements (WordPress, WooCommerce, follow-ons) do not grow with the items ($wdsc)" );
		} else {
			st_fail( $name, "$engine, $round: \$wpdb statements (WordPress, WooCommerce, follow-ons) grow with the items ($wdsc)" );
		}
		if ( count( array_unique( $got ) ) === 1 ) {
			st_ok( $name, "$engine, $round: the server's statements of the whole request do not grow with the items ($desc)" );
		} else {
			st_fail( $name, "$engine, $round: the server's statements of the whole request grow with the items ($desc)" );
		}
	}
}
// No PHP notice, warning or error in the site's log from these requests.
$log = $env['E2E_SITE_DIR'] . '/debug.log';
if ( is_file( $log ) && preg_match_all( '/PHP (Notice|Warning|Fatal error|Deprecated).*$/m', (string) file_get_contents( $log ), $mm ) && $mm[0] ) {
	$ours = array_values( array_filter( $mm[0], static function ( $l ) {
		return false !== strpos( $l, 'mulopimfwc' );
	} ) );
	if ( $ours ) {
		st_fail( $name, 'PHP messages of the plugin in debug.log', implode( "\n", array_slice( array_unique( $ours ), 0, 10 ) ) );
	}
}
if ( $report ) {
	echo 'STATEMENTS ', $name, ' ', json_encode( $counts ), "\n";
}
st_end();
