<?php
/**
 * Location slugs the way the site resolves them (issue 13 §1), against one e2e site with WooCommerce
 * (tests/e2e/slug-run.sh starts it: tests/e2e/lib/site.sh start slug-wc79 --engine native --stack wc79):
 *
 *   php tests/e2e/slug-tests.php target/e2e/NAME/env
 *
 * Three sites in turn (the same WordPress, reconfigured between them; the location terms deleted and made again
 * with wp_insert_term() under each):
 *   en_US      as today;
 *   de_DE      the option WPLANG = 'de_DE' (no language files needed: get_locale() reads the option, and
 *              remove_accents() writes ü as ue, ß as ss);
 *   translit   a mu-plugin's `sanitize_title` filter (priority 9, as the common transliteration plugins hook it)
 *              turning Cyrillic into Latin ('Склад' -> 'sklad').
 * Each request names the terms by their names, by other spellings (umlauts written out, upper case, the other
 * locale's slug, percent-encoded) and by names of no term. For every spelling x the expected location is what the
 * site itself says: get_term_by( 'slug', sanitize_title( x ), 'mulopimfwc_store_location' ) (x percent-decoded
 * first when it is percent-encoded, the contract's own step). Each pass (REST native, REST php, WP-CLI native,
 * WP-CLI php) sends one item per spelling, each on a product of its own, and is checked on the response
 * (items_failed: exactly the spellings that name no term, as location_not_found) and on the rows written (each
 * product holds `_location_stock_<term id>` = its stock for exactly the expected term, no other location row).
 * Then the extension outside WordPress (plain `php -d extension=...`): a slug without sanitize_title() fails as a
 * whole, and so does a sanitize_title() that throws or answers an array; location_id alone still works.
 * Ends with `E2E-COUNTS slug passed=N failed=M skipped=K`.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

require __DIR__ . '/lib/TestRun.php';

if (!isset($argv[1]) || !is_file($argv[1])) {
    fwrite(STDERR, "usage: php tests/e2e/slug-tests.php target/e2e/NAME/env\n");
    exit(2);
}
$env = read_env_file($argv[1]);
$run = new TestRun('slug');
$http = new Http($env['E2E_URL']);
$native = ($env['E2E_EXT'] ?? '') !== '';
$taxonomy = 'mulopimfwc_store_location';
const SKU_PREFIX = 'SLUG-E2E-';

/** `wp --path=SITE ARGS...` (real WP-CLI); with $ext the extension loaded. Returns [exit, stdout, stderr]. */
$wp = static function (array $args, bool $ext = false) use ($env): array {
    $cmd = array_merge([$env['E2E_WP_CLI'], '--path=' . $env['E2E_WP_DIR']], $args);
    $procEnv = ['WP_CLI_ALLOW_ROOT' => '1', 'PHP_ARGS' => $ext ? (string) $env['E2E_WP_PHP_ARGS'] : ''] + getenv();
    $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $procEnv);
    $out = (string) stream_get_contents($pipes[1]);
    $err = (string) stream_get_contents($pipes[2]);
    return [proc_close($p), $out, $err];
};
/** PHP code run by `wp eval` in the site; its output decoded as JSON. */
$evalJson = static function (string $code) use ($wp): array {
    [$rc, $out, $err] = $wp(['eval', $code]);
    $j = json_decode(trim($out), true);
    if ($rc !== 0 || !is_array($j)) {
        throw new \RuntimeException("wp eval exited $rc: " . substr(trim($err . "\n" . $out), 0, 800));
    }
    return $j;
};
$db = new \mysqli('localhost', $env['E2E_DB_USER'], $env['E2E_DB_PASSWORD'], $env['E2E_DB_NAME'], 0, $env['E2E_DB_SOCKET']);
$db->set_charset('utf8mb4');

// The site's own part: the taxonomy (the location plugin is not installed here) and the transliteration filter,
// on only while the option slug_e2e_translit is '1'.
$mu = $env['E2E_WP_DIR'] . '/wp-content/mu-plugins/slug-e2e.php';
file_put_contents($mu, <<<'PHP'
<?php
// tests/e2e/slug-tests.php: the location taxonomy, and a transliterating sanitize_title filter (option slug_e2e_translit).
add_action( 'init', static function () {
	if ( ! taxonomy_exists( 'mulopimfwc_store_location' ) ) {
		register_taxonomy( 'mulopimfwc_store_location', array( 'product' ), array( 'hierarchical' => true ) );
	}
}, 0 );
add_filter( 'sanitize_title', static function ( $title ) {
	if ( '1' !== get_option( 'slug_e2e_translit' ) || ! is_string( $title ) ) {
		return $title;
	}
	static $map = array( 'а' => 'a', 'б' => 'b', 'в' => 'v', 'г' => 'g', 'д' => 'd', 'е' => 'e', 'ё' => 'yo', 'ж' => 'zh',
		'з' => 'z', 'и' => 'i', 'й' => 'j', 'к' => 'k', 'л' => 'l', 'м' => 'm', 'н' => 'n', 'о' => 'o', 'п' => 'p',
		'р' => 'r', 'с' => 's', 'т' => 't', 'у' => 'u', 'ф' => 'f', 'х' => 'h', 'ц' => 'c', 'ч' => 'ch', 'ш' => 'sh',
		'щ' => 'shh', 'ъ' => '', 'ы' => 'y', 'ь' => '', 'э' => 'e', 'ю' => 'yu', 'я' => 'ya' );
	return strtr( mb_strtolower( $title, 'UTF-8' ), $map );
}, 9 );
PHP);

// One product per spelling (the most any site below sends).
$spellings = [
    'en_US' => ['names' => ['München', 'Köln Süd', 'Straße', 'Café Paris'],
        'try' => ['München', 'munchen', 'muenchen', 'MÜNCHEN', 'Köln Süd', 'koln-sud', 'koeln-sued', 'Straße', 'strasse',
            'caf%C3%A9-paris', 'Cafe Paris', 'Nirgendwo']],
    'de_DE' => ['names' => ['München', 'Köln Süd', 'Straße', 'Düsseldorf'],
        'try' => ['München', 'muenchen', 'munchen', 'Muenchen', 'Köln Süd', 'koeln-sued', 'koln-sud', 'Straße', 'strasse',
            'DÜSSELDORF', 'm%C3%BCnchen', 'Nirgendwo']],
    'translit' => ['names' => ['Склад', 'Москва Юг', 'München'],
        'try' => ['Склад', 'sklad', 'СКЛАД', 'Москва Юг', 'moskva-yug', 'München', 'munchen', '%D0%A1%D0%BA%D0%BB%D0%B0%D0%B4',
            'Склад2', 'Nirgendwo']],
];
$most = max(array_map(static fn ($s) => count($s['try']), $spellings));
$products = [];
$run->test('setup: products', static function () use ($evalJson, $most, &$products): array {
    $products = $evalJson('$ids = array(); for ( $i = 0; $i < ' . $most . '; $i++ ) { $sku = "' . SKU_PREFIX . '" . $i;'
        . ' $id = wc_get_product_id_by_sku( $sku ); if ( ! $id ) { $p = new WC_Product_Simple(); $p->set_name( "Slug test " . $i );'
        . ' $p->set_sku( $sku ); $p->set_manage_stock( true ); $p->set_stock_quantity( 5 ); $p->set_status( "publish" ); $id = $p->save(); }'
        . ' $ids[] = $id; } echo wp_json_encode( $ids );');
    return count($products) === $most ? [] : ['made ' . count($products) . " products, wanted $most"];
});

/** The location rows of the test products: product id => [meta_key => value]. */
$locationRows = static function () use ($db, $products): array {
    $out = array_fill_keys($products, []);
    $ids = implode(',', array_map('intval', $products));
    $res = $db->query("SELECT post_id, meta_key, meta_value FROM wp_postmeta WHERE post_id IN ($ids) AND meta_key LIKE '\\_location\\_stock\\_%'");
    foreach ($res->fetch_all(MYSQLI_ASSOC) as $r) {
        $out[(int) $r['post_id']][$r['meta_key']] = $r['meta_value'];
    }
    return $out;
};

/**
 * One pass: the items, sent by REST or WP-CLI with one engine; checked against $expect (spelling index => term id
 * or 0). Returns the failures.
 */
$pass = static function (string $site, string $channel, string $engine, array $try, array $expect, int $base) use ($http, $env, $wp, $db, $products, $locationRows): array {
    $ids = implode(',', array_map('intval', $products));
    $db->query("DELETE FROM wp_postmeta WHERE post_id IN ($ids) AND meta_key LIKE '\\_location\\_%'");
    $items = [];
    foreach ($try as $i => $x) {
        $items[] = ['product_id' => $products[$i], 'location_slug' => $x, 'stock' => $base + $i];
    }
    $body = json_encode(['items' => $items], JSON_UNESCAPED_UNICODE);
    $f = [];
    if ($channel === 'rest') {
        $headers = ['X-API-Key' => $env['E2E_API_KEY'], 'Content-Type' => 'application/json'] + ($engine === 'php' ? ['X-E2E-Force-PHP' => '1'] : []);
        $r = $http->request('POST', '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync', $body, $headers);
        if ($r['status'] !== 200 || !is_array($r['json'])) {
            return ["HTTP {$r['status']}: " . substr($r['body'], 0, 600)];
        }
        if (($r['json']['engine'] ?? null) !== $engine) {
            $f[] = 'engine ' . json_encode($r['json']['engine'] ?? null) . ", expected $engine";
        }
        $failed = [];
        foreach ($r['json']['results']['items_failed'] ?? [] as $e) {
            $failed[(int) $e['index'] - 1] = $e['code'];
        }
    } else {
        $file = tempnam(sys_get_temp_dir(), 'slug-e2e') . '.json';
        file_put_contents($file, $body);
        [$rc, $out, $err] = $wp(['mulopimfwc', 'bulk-sync', $file, '--format=json'], $engine === 'native');
        unlink($file);
        if (!preg_match('/Processed \d+ items\. \d+ succeeded, \d+ failed\./', $out . $err)) {
            return ["wp mulopimfwc bulk-sync exited $rc: " . substr(trim($err . "\n" . $out), 0, 600)];
        }
        $failed = [];
        foreach (preg_split('/\R/', $out) as $line) {
            $j = json_decode(trim($line), true);
            if (is_array($j) && array_is_list($j)) {
                foreach ($j as $e) {
                    if (is_array($e) && isset($e['item'])) {
                        $failed[(int) $e['item'] - 1] = $e['code'] ?? '?';
                    }
                }
            }
        }
    }
    $rows = $locationRows();
    foreach ($try as $i => $x) {
        $want = $expect[$i];
        if ($want === 0 && ($failed[$i] ?? null) !== 'location_not_found') {
            $f[] = json_encode($x, JSON_UNESCAPED_UNICODE) . ': expected location_not_found, got ' . json_encode($failed[$i] ?? 'success');
        }
        if ($want !== 0 && isset($failed[$i])) {
            $f[] = json_encode($x, JSON_UNESCAPED_UNICODE) . ": expected term $want, failed with {$failed[$i]}";
        }
        $wantRows = $want === 0 ? [] : ["_location_stock_$want" => (string) ($base + $i)];
        if ($rows[$products[$i]] != $wantRows) {
            $f[] = json_encode($x, JSON_UNESCAPED_UNICODE) . ': rows ' . json_encode($rows[$products[$i]]) . ', expected ' . json_encode($wantRows);
        }
    }
    return $f;
};

$base = 100;
foreach ($spellings as $site => $case) {
    $expect = null;
    $run->test("$site: terms made under the site's locale, expectations from get_term_by()", static function () use ($site, $case, $evalJson, $taxonomy, &$expect): array {
        $names = var_export($case['names'], true);
        $try = var_export($case['try'], true);
        $locale = $site === 'de_DE' ? 'de_DE' : '';
        $translit = $site === 'translit' ? '1' : '0';
        // WPLANG written as the option row itself: update_option() keeps only installed languages. A process of
        // its own: get_locale() keeps what it read first.
        $evalJson(<<<PHP
global \$wpdb;
\$wpdb->query( \$wpdb->prepare( "REPLACE INTO {\$wpdb->options} (option_name, option_value, autoload) VALUES ('WPLANG', %s, 'yes')", '$locale' ) );
update_option( 'slug_e2e_translit', '$translit' );
echo '[]';
PHP);
        $r = $evalJson(<<<PHP
foreach ( get_terms( array( 'taxonomy' => '$taxonomy', 'hide_empty' => false, 'fields' => 'ids' ) ) as \$old ) {
	wp_delete_term( \$old, '$taxonomy' );
}
\$terms = array();
foreach ( $names as \$name ) {
	\$t = wp_insert_term( \$name, '$taxonomy' );
	if ( is_wp_error( \$t ) ) { echo wp_json_encode( array( 'error' => \$t->get_error_message() ) ); return; }
	\$terms[ \$name ] = array( \$t['term_id'], get_term( \$t['term_id'] )->slug );
}
\$expect = array();
foreach ( $try as \$x ) {
	\$v = preg_match( '/%[0-9a-fA-F]{2}/', \$x ) ? rawurldecode( \$x ) : \$x;
	\$t = get_term_by( 'slug', sanitize_title( \$v ), '$taxonomy' );
	\$expect[] = \$t ? (int) \$t->term_id : 0;
}
echo wp_json_encode( array( 'locale' => get_locale(), 'muenchen' => sanitize_title( 'München' ), 'terms' => \$terms, 'expect' => \$expect ) );
PHP);
        if (isset($r['error'])) {
            return ['wp_insert_term: ' . $r['error']];
        }
        $expect = $r['expect'];
        $f = [];
        $wantLocale = $site === 'de_DE' ? 'de_DE' : 'en_US';
        if ($r['locale'] !== $wantLocale) {
            $f[] = "get_locale() = {$r['locale']}, expected $wantLocale";
        }
        $m = ['en_US' => 'munchen', 'de_DE' => 'muenchen', 'translit' => 'munchen'][$site];
        if ($r['muenchen'] !== $m) {
            $f[] = "sanitize_title('München') = {$r['muenchen']}, expected $m";
        }
        // The sites really differ: the stored slugs are the locale's / the filter's.
        $slugs = array_map(static fn ($t) => $t[1], $r['terms']);
        $want = ['en_US' => ['München' => 'munchen', 'Köln Süd' => 'koln-sud'], 'de_DE' => ['München' => 'muenchen', 'Köln Süd' => 'koeln-sued'],
            'translit' => ['Склад' => 'sklad', 'Москва Юг' => 'moskva-yug']][$site];
        foreach ($want as $name => $slug) {
            if (($slugs[$name] ?? null) !== $slug) {
                $f[] = "term $name stored as " . json_encode($slugs[$name] ?? null) . ", expected $slug";
            }
        }
        if (count(array_filter($expect)) < 3 || !in_array(0, $expect, true)) {
            $f[] = 'expected both found and missing spellings: ' . json_encode($expect);
        }
        return $f;
    });
    if (!is_array($expect)) {
        continue;
    }
    foreach (['rest', 'cli'] as $channel) {
        foreach ($native ? ['native', 'php'] : ['php'] as $engine) {
            $base += 100;
            $b = $base;
            $run->test("$site: $channel, $engine engine: every spelling resolves as get_term_by()", static fn (): array => $pass($site, $channel, $engine, $case['try'], $expect, $b));
        }
    }
}

// The extension outside WordPress: plain PHP, the site's database, no sanitize_title() unless the script defines one.
$outside = static function (string $define, array $item) use ($env): array {
    $opts = var_export(['db_host' => 'localhost:' . $env['E2E_DB_SOCKET'], 'db_user' => $env['E2E_DB_USER'], 'db_password' => $env['E2E_DB_PASSWORD'],
        'db_name' => $env['E2E_DB_NAME'], 'table_prefix' => 'wp_'], true);
    $item = var_export($item, true);
    $code = $define . <<<PHP

try {
    \$r = mulopimfwc_bulk_sync( array( 'items' => array( $item ) ), $opts );
    echo json_encode( array( 'ok' => \$r['results'] ) );
} catch ( Throwable \$e ) {
    echo json_encode( array( 'class' => get_class( \$e ), 'code' => \$e->getCode(), 'message' => \$e->getMessage() ) );
}
PHP;
    $p = proc_open([PHP_BINARY, '-d', 'extension=' . $env['E2E_EXT'], '-r', $code], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $out = (string) stream_get_contents($pipes[1]);
    $err = (string) stream_get_contents($pipes[2]);
    proc_close($p);
    $j = json_decode(trim($out), true);
    return is_array($j) ? $j : ['unreadable' => trim($out . "\n" . $err)];
};
if (!$native) {
    $run->skip('outside WordPress', 'the site runs the PHP engine only (no extension)');
} else {
    $run->test('outside WordPress: sanitize_title() missing, throwing or answering an array fails the request; location_id alone works', static function () use ($outside, $products, $db, $expect, $locationRows): array {
        $f = [];
        $id = (int) $products[0];
        $db->query("DELETE FROM wp_postmeta WHERE post_id = $id AND meta_key LIKE '\\_location\\_%'");
        $term = (int) $db->query("SELECT term_id FROM wp_term_taxonomy WHERE taxonomy = 'mulopimfwc_store_location' ORDER BY term_id LIMIT 1")->fetch_row()[0];
        $cases = [
            'none' => ['', 'sanitize_title() is not defined'],
            'throws' => ['function sanitize_title( $t ) { throw new DomainException( "no slugs today" ); }', 'sanitize_title() threw DomainException: no slugs today'],
            'array' => ['function sanitize_title( $t ) { return array( $t ); }', 'sanitize_title() returned Array'],
        ];
        foreach ($cases as $what => [$define, $says]) {
            $r = $outside($define, ['product_id' => $id, 'location_slug' => 'Sklad', 'stock' => 7]);
            if (($r['class'] ?? null) !== 'Mulopimfwc\\BulkSyncException' || ($r['code'] ?? null) !== 500 || !str_contains((string) ($r['message'] ?? ''), $says)) {
                $f[] = "$what: " . json_encode($r);
            }
        }
        if ($locationRows()[$id] !== []) {
            $f[] = 'a failed request wrote rows: ' . json_encode($locationRows()[$id]);
        }
        $r = $outside('', ['product_id' => $id, 'location_id' => $term, 'stock' => 9]);
        if (($r['ok']['success'] ?? null) !== 1) {
            $f[] = 'location_id alone: ' . json_encode($r);
        }
        if ($locationRows()[$id] !== ["_location_stock_$term" => '9']) {
            $f[] = 'location_id alone wrote ' . json_encode($locationRows()[$id]);
        }
        return $f;
    });
}

@unlink($mu);
$evalJson("global \$wpdb; \$wpdb->query( \"DELETE FROM {\$wpdb->options} WHERE option_name IN ('WPLANG', 'slug_e2e_translit')\" ); echo '[]';");
exit($run->finish());
