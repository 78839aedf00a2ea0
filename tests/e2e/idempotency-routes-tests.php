<?php
/**
 * End-to-end tests of safe retries and the extra routes over HTTP against one e2e site (tests/e2e/lib/site.sh), run
 * by tests/e2e/run.sh for every site: Idempotency-Key (replay, reuse, concurrent duplicate, principals, expiry, 4xx kept),
 * dry runs (query and body), stock_adjust / expected_stock, POST inventory/update, POST webhook/inventory-update
 * (secret and key), GET inventory/export (JSON and CSV, paging, location filter) compared with the database.
 * (Every contract case of these features, tests/contract/cases/{dry_run,expected_stock,items_failed,stock_adjust}.json, also runs over HTTP in http-tests.php's contract group.)
 *
 *   php tests/e2e/idempotency-routes-tests.php target/e2e/NAME/env [--filter SUBSTRING]
 *
 * Seeds the contract store into the site's database (ContractStore, 'existing' mode) before each test. Ends with
 * `E2E-COUNTS routes-ENGINE passed=N failed=M skipped=K`.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

require __DIR__ . '/lib/TestRun.php';

[$env, $opt] = driver_start($argv, 'php tests/e2e/idempotency-routes-tests.php target/e2e/NAME/env [--filter S]');
$engine = $env['E2E_ENGINE'];
$run = new TestRun('routes-' . $engine, false, 12, $opt['filter']);
[$store, $conn, $http] = contract_site($env);
$db = $env['E2E_DB_NAME'];
$KEY = FIXTURE_API_KEY;
$NS = '/wp-json/mulopimfwc/v1';
$admin = $env['E2E_ADMIN_USER'] . ':' . $env['E2E_APP_PASSWORD'];
$runId = bin2hex(random_bytes(4));
$n = 0;
$newKey = static function () use ($runId, &$n): string {
    return "e2e-$runId-" . (++$n);
};

$caseOptions = ['mulopimfwc_webhook_secret', 'mulopimfwc_primary_location', 'woocommerce_notify_no_stock_amount', 'woocommerce_price_decimal_sep'];
$prepare = static function () use ($store, $conn, $db, $caseOptions): array {
    $conn->query("DELETE FROM wp_options WHERE option_name IN ('" . implode("','", $caseOptions) . "')");
    return $store->prepare(['name' => 'idempotency and routes e2e', 'expect' => []], 'existing', $db, 'wp_');
};
$restoreSite = static function () use ($conn, $env, $caseOptions): void {
    $conn->query("DELETE FROM wp_options WHERE option_name IN ('" . implode("','", $caseOptions) . "')");
    $st = $conn->prepare("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('mulopimfwc_api_key', ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)");
    $k = $env['E2E_API_KEY'];
    $st->bind_param('s', $k);
    $st->execute();
};
$meta = static function (int $post, string $key) use ($conn): array {
    $r = $conn->query("SELECT meta_value FROM wp_postmeta WHERE post_id = $post AND meta_key = '" . $conn->real_escape_string($key) . "' ORDER BY meta_id");
    return array_column($r->fetch_all(MYSQLI_NUM), 0);
};
$setOption = static function (string $name, string $value) use ($conn): void {
    $st = $conn->prepare("INSERT INTO wp_options (option_name, option_value, autoload) VALUES (?, ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)");
    $st->bind_param('ss', $name, $value);
    $st->execute();
};
$post = static function (string $route, string $body, array $headers = [], ?string $userpwd = null) use ($http, $NS): array {
    return $http->request('POST', str_starts_with($route, '/?') ? $route : $NS . $route, $body, $headers + ['Content-Type' => 'application/json'], $userpwd);
};
$unchanged = static function (array $prepared) use ($store): array {
    $after = $store->snapshotNow($prepared);
    $f = [];
    foreach (['postmeta', 'posts', 'term_relationships', 'term_taxonomy', 'lookup'] as $t) {
        if ($prepared['before'][$t] != $after[$t]) {
            $f[] = "table $t changed, but nothing may be written";
        }
    }
    return $f;
};
$short = static fn ($s, $n = 300): string => strlen((string) $s) > $n ? substr((string) $s, 0, $n) . '...' : (string) $s;
$expect = static function (array $r, int $status, ?string $code = null) use ($short): array {
    $f = [];
    if ($r['status'] !== $status) {
        $f[] = "expected HTTP $status, got {$r['status']}: " . $short($r['body']);
    } elseif ($code !== null && (($r['json']['code'] ?? null) !== $code)) {
        $f[] = "expected code $code, got " . $short($r['body']);
    }
    return $f;
};
$test = $run->test(...);
$adjustBody = '{"items":[{"sku":"PROD-001","location_slug":"warehouse","stock_adjust":5}]}';
$WH = '_location_stock_';

// ------------------------------------------------------------------------------------------------ idempotency
$test("Idempotency-Key: a replayed stock_adjust returns the first response and adjusts once ($engine)", function () use ($prepare, $post, $newKey, $KEY, $adjustBody, $meta, $WH, $expect) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $k = $newKey();
    $a = $post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $b = $post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $c = $post('/?rest_route=/mulopimfwc/v1/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $f = array_merge($expect($a, 200), $expect($b, 200), $expect($c, 200));
    if (($a['json']['results']['success'] ?? null) !== 1) {
        $f[] = 'first: ' . $a['body'];
    }
    if (isset($a['headers']['idempotent-replayed'])) {
        $f[] = 'the first response must not say Idempotent-Replayed';
    }
    foreach (['second' => $b, 'third (?rest_route=)' => $c] as $what => $r) {
        if ($r['body'] !== $a['body']) {
            $f[] = "$what body differs: {$r['body']} vs {$a['body']}";
        }
        if (($r['headers']['idempotent-replayed'] ?? null) !== 'true') {
            $f[] = "$what: header Idempotent-Replayed: true missing";
        }
        if (($r['headers']['x-mulopimfwc-engine'] ?? null) !== ($a['headers']['x-mulopimfwc-engine'] ?? '?')) {
            $f[] = "$what: X-Mulopimfwc-Engine not replayed";
        }
    }
    if ($meta($id, $WH . $loc) !== ['15']) {
        $f[] = 'warehouse stock should be 10 + 5 once = 15, is ' . json_encode($meta($id, $WH . $loc));
    }
    return $f;
});

$test('Idempotency-Key reused with a different body -> 409 idempotency_key_reused, nothing written', function () use ($prepare, $post, $newKey, $KEY, $adjustBody, $unchanged, $expect, $store) {
    $p = $prepare();
    $k = $newKey();
    $f = $expect($post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]), 200);
    $p['before'] = $store->snapshotNow($p);
    $r = $post('/inventory/bulk-sync', str_replace('"stock_adjust":5', '"stock_adjust":6', $adjustBody), ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $f = array_merge($f, $expect($r, 409, 'idempotency_key_reused'));
    $r2 = $post('/inventory/bulk-sync?dry_run=1', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $f = array_merge($f, $expect($r2, 409, 'idempotency_key_reused'), $unchanged($p));
    return $f;
});

$test('Idempotency-Key is scoped per principal: the same key from another client runs (and is replayed for it alone)', function () use ($prepare, $post, $newKey, $KEY, $adjustBody, $meta, $WH, $admin, $expect) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $k = $newKey();
    $a = $post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $b = $post('/inventory/bulk-sync', $adjustBody, ['Idempotency-Key' => $k], $admin);
    $c = $post('/inventory/bulk-sync', $adjustBody, ['Idempotency-Key' => $k], $admin);
    $f = array_merge($expect($a, 200), $expect($b, 200), $expect($c, 200));
    if (isset($b['headers']['idempotent-replayed'])) {
        $f[] = "the administrator's first request with the key was answered from the API key's";
    }
    if (($c['headers']['idempotent-replayed'] ?? null) !== 'true') {
        $f[] = "the administrator's retry is not a replay";
    }
    if ($meta($id, $WH . $loc) !== ['20']) {
        $f[] = 'warehouse stock should be 10 + 5 + 5 = 20, is ' . json_encode($meta($id, $WH . $loc));
    }
    return $f;
});

$test('Idempotency-Key: a concurrent duplicate while the first runs -> 409 idempotency_key_in_progress; adjusted once', function () use ($prepare, $env, $NS, $newKey, $KEY, $adjustBody, $meta, $WH, $post) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $k = $newKey();
    $mk = static function (array $extra) use ($env, $NS, $KEY, $k, $adjustBody) {
        $h = curl_init($env['E2E_URL'] . $NS . '/inventory/bulk-sync');
        $hdr = ['Content-Type: application/json', "X-API-Key: $KEY", "Idempotency-Key: $k", 'Expect:'];
        foreach ($extra as $x) {
            $hdr[] = $x;
        }
        curl_setopt_array($h, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $adjustBody, CURLOPT_HTTPHEADER => $hdr, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 30]);
        return $h;
    };
    $mh = curl_multi_init();
    $first = $mk(['X-E2E-Sleep-Ms: 2000']);
    curl_multi_add_handle($mh, $first);
    $t0 = microtime(true);
    $second = null;
    do {
        curl_multi_exec($mh, $active);
        curl_multi_select($mh, 0.05);
        if ($second === null && microtime(true) - $t0 > 0.6) {
            $second = $mk([]);
            curl_multi_add_handle($mh, $second);
            $active = 1;
        }
    } while ($active || $second === null);
    $a = ['status' => curl_getinfo($first, CURLINFO_RESPONSE_CODE), 'body' => curl_multi_getcontent($first)];
    $b = ['status' => curl_getinfo($second, CURLINFO_RESPONSE_CODE), 'body' => curl_multi_getcontent($second)];
    curl_multi_close($mh);
    $f = [];
    if ($a['status'] !== 200) {
        $f[] = "first: {$a['status']} {$a['body']}";
    }
    if ($b['status'] !== 409 || (json_decode((string) $b['body'], true)['code'] ?? null) !== 'idempotency_key_in_progress') {
        $f[] = "duplicate: expected 409 idempotency_key_in_progress, got {$b['status']} {$b['body']}";
    }
    $c = $post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    if ($c['status'] !== 200 || ($c['headers']['idempotent-replayed'] ?? null) !== 'true' || $c['body'] !== $a['body']) {
        $f[] = "retry after the first finished: expected the replay, got {$c['status']} {$c['body']}";
    }
    if ($meta($id, $WH . $loc) !== ['15']) {
        $f[] = 'warehouse stock should be 15, is ' . json_encode($meta($id, $WH . $loc));
    }
    return $f;
});

$test('Idempotency-Key: a 400 (invalid_data) is kept and replayed; an invalid key is a 400', function () use ($prepare, $post, $newKey, $KEY, $expect) {
    $prepare();
    $k = $newKey();
    $a = $post('/inventory/bulk-sync', '{"items": {"a": 1}}', ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $b = $post('/inventory/bulk-sync', '{"items": {"a": 1}}', ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $f = array_merge($expect($a, 400, 'invalid_data'), $expect($b, 400, 'invalid_data'));
    if (($b['headers']['idempotent-replayed'] ?? null) !== 'true' || $a['body'] !== $b['body']) {
        $f[] = 'the 400 was not replayed: ' . $b['body'];
    }
    $f = array_merge($f, $expect($post('/inventory/bulk-sync', '{"items":[]}', ['X-API-Key' => $KEY, 'Idempotency-Key' => str_repeat('k', 256)]), 400, 'invalid_idempotency_key'));
    $f = array_merge($f, $expect($post('/inventory/bulk-sync', '{"items":[]}', ['X-API-Key' => $KEY, 'Idempotency-Key' => "caf\xc3\xa9"]), 400, 'invalid_idempotency_key'));
    return $f;
});

$test('Idempotency-Key: after the retention window the key runs again; unauthenticated requests store nothing', function () use ($prepare, $post, $newKey, $KEY, $adjustBody, $meta, $WH, $conn, $expect) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $k = $newKey();
    $f = $expect($post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]), 200);
    $conn->query("UPDATE wp_mulopimfwc_idempotency SET expires_at = '2001-01-01 00:00:00', created_at = '2001-01-01 00:00:00' WHERE state = 'done' AND expires_at > UTC_TIMESTAMP() - INTERVAL 1 MINUTE AND created_at > UTC_TIMESTAMP() - INTERVAL 1 MINUTE");
    $r = $post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => $KEY, 'Idempotency-Key' => $k]);
    $f = array_merge($f, $expect($r, 200));
    if (isset($r['headers']['idempotent-replayed'])) {
        $f[] = 'an expired key was replayed';
    }
    if ($meta($id, $WH . $loc) !== ['20']) {
        $f[] = 'warehouse stock should be 20, is ' . json_encode($meta($id, $WH . $loc));
    }
    $before = (int) $conn->query('SELECT COUNT(*) FROM wp_mulopimfwc_idempotency')->fetch_row()[0];
    $f = array_merge($f, $expect($post('/inventory/bulk-sync', $adjustBody, ['X-API-Key' => 'wrong', 'Idempotency-Key' => $newKey()]), 403));
    $f = array_merge($f, $expect($post('/inventory/bulk-sync', $adjustBody, ['Idempotency-Key' => $newKey()]), 401));
    if ((int) $conn->query('SELECT COUNT(*) FROM wp_mulopimfwc_idempotency')->fetch_row()[0] !== $before) {
        $f[] = 'a rejected request stored a key';
    }
    return $f;
});

$test('Idempotency-Key on inventory/update and on the webhook: replayed, applied once', function () use ($prepare, $post, $newKey, $KEY, $meta, $WH, $setOption, $expect) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $setOption('mulopimfwc_webhook_secret', 'hook-secret-1');
    $f = [];
    foreach (['/inventory/update' => ['X-API-Key' => $KEY], '/webhook/inventory-update' => ['X-Webhook-Secret' => 'hook-secret-1']] as $route => $auth) {
        $k = $newKey();
        $body = '{"sku":"PROD-001","location_slug":"warehouse","stock_adjust":1}';
        $a = $post($route, $body, $auth + ['Idempotency-Key' => $k]);
        $b = $post($route, $body, $auth + ['Idempotency-Key' => $k]);
        $f = array_merge($f, $expect($a, 200), $expect($b, 200));
        if ($a['body'] !== $b['body'] || ($b['headers']['idempotent-replayed'] ?? null) !== 'true') {
            $f[] = "$route: not replayed: {$b['body']}";
        }
    }
    if ($meta($id, $WH . $loc) !== ['12']) {
        $f[] = 'warehouse stock should be 10 + 1 + 1 = 12, is ' . json_encode($meta($id, $WH . $loc));
    }
    return $f;
});

// ------------------------------------------------------------------------------------------------ dry run
$test("dry run: ?dry_run=1 validates, reports what would change, writes nothing ($engine)", function () use ($prepare, $post, $KEY, $unchanged, $expect) {
    $p = $prepare();
    $body = '{"items":[{"sku":"PROD-001","location_slug":"main-store","stock_adjust":-2},{"sku":"PROD-002","location_slug":"warehouse","stock":4},{"sku":"NOPE","location_slug":"warehouse","stock":1}]}';
    $f = [];
    foreach (['?dry_run=1', '?dry_run=true', '?dry_run'] as $q) {
        $r = $post('/inventory/bulk-sync' . $q, $body, ['X-API-Key' => $KEY]);
        $f = array_merge($f, $expect($r, 200));
        $j = $r['json'];
        if (($j['dry_run'] ?? null) !== true || ($j['results']['success'] ?? null) !== 2 || ($j['results']['failed'] ?? null) !== 1
            || ($j['changes'] ?? null) !== ['meta_rows_inserted' => 1, 'meta_rows_updated' => 2, 'meta_rows_deleted' => 0, 'main_stock_updates' => 1]) {
            $f[] = "$q: " . $r['body'];
        }
        if (($j['results']['items_failed'][0]['sku'] ?? null) !== 'NOPE') {
            $f[] = "$q: items_failed without the item's identifiers";
        }
    }
    return array_merge($f, $unchanged($p));
});

$test('dry run: "dry_run": true in the body writes nothing; ?dry_run=0 writes; ?dry_run=maybe -> 400', function () use ($prepare, $post, $KEY, $unchanged, $meta, $WH, $expect) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $r = $post('/inventory/bulk-sync', '{"items":[{"sku":"PROD-001","location_slug":"warehouse","stock":3}],"dry_run":true}', ['X-API-Key' => $KEY]);
    $f = $expect($r, 200);
    if (($r['json']['dry_run'] ?? null) !== true || ($r['json']['changes']['meta_rows_updated'] ?? null) !== 1) {
        $f[] = 'body dry run: ' . $r['body'];
    }
    $f = array_merge($f, $unchanged($p));
    $f = array_merge($f, $expect($post('/inventory/bulk-sync', '{"items":[],"dry_run":"yes"}', ['X-API-Key' => $KEY]), 400, 'invalid_data'));
    $f = array_merge($f, $expect($post('/inventory/bulk-sync?dry_run=maybe', '{"items":[]}', ['X-API-Key' => $KEY]), 400, 'invalid_data'));
    $w = $post('/inventory/bulk-sync?dry_run=0', '{"items":[{"sku":"PROD-001","location_slug":"warehouse","stock":3}]}', ['X-API-Key' => $KEY]);
    $f = array_merge($f, $expect($w, 200));
    if (($w['json']['dry_run'] ?? null) !== false || $meta($id, $WH . $loc) !== ['3']) {
        $f[] = '?dry_run=0 should write: ' . $w['body'];
    }
    return $f;
});

// ------------------------------------------------------------------------------------------------ stock_adjust, expected_stock
$test('stock_adjust and expected_stock over HTTP: delta at the primary location, compare-and-set, structured errors', function () use ($prepare, $post, $KEY, $meta, $WH, $expect) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $main = $p['ids']['loc']['main-store'];
    $wh = $p['ids']['loc']['warehouse'];
    $r = $post('/inventory/bulk-sync', json_encode(['items' => [
        ['sku' => 'PROD-001', 'location_id' => $main, 'stock_adjust' => -1, 'expected_stock' => 3],
        ['product_id' => $id, 'location_slug' => 'warehouse', 'stock' => 1, 'expected_stock' => 99],
        ['product_id' => (string) $id, 'location_slug' => 'warehouse', 'stock' => 1, 'stock_adjust' => 1],
    ]]), ['X-API-Key' => $KEY]);
    $f = $expect($r, 200);
    $want = [
        ['index' => 2, 'code' => 'stock_mismatch', 'field' => 'expected_stock', 'message' => 'Stock at this location has changed: it does not match expected_stock.', 'product_id' => $id, 'location_slug' => 'warehouse'],
        ['index' => 3, 'code' => 'stock_conflict', 'field' => 'stock_adjust', 'message' => 'Give either stock or stock_adjust, not both.', 'product_id' => (string) $id, 'location_slug' => 'warehouse'],
    ];
    $got = $r['json']['results']['items_failed'] ?? null;
    if (!is_array($got) || count($got) !== 2) {
        $f[] = 'items_failed: ' . json_encode($got);
    } else {
        foreach ($want as $i => $w) {
            $g = $got[$i];
            ksort($g);
            ksort($w);
            if ($g !== $w) {
                $f[] = "items_failed[$i]: " . json_encode($got[$i]) . ' expected ' . json_encode($w);
            }
        }
    }
    if (($r['json']['results']['errors'] ?? null) !== ['Item 2: Stock at this location has changed: it does not match expected_stock.', 'Item 3: Give either stock or stock_adjust, not both.']) {
        $f[] = 'errors: ' . json_encode($r['json']['results']['errors'] ?? null);
    }
    if ($meta($id, $WH . $main) !== ['2'] || (float) ($meta($id, '_stock')[0] ?? -1) !== 4.0 || $meta($id, $WH . $wh) !== ['10']) {
        $f[] = 'rows: main ' . json_encode($meta($id, $WH . $main)) . ' _stock ' . json_encode($meta($id, '_stock')) . ' warehouse ' . json_encode($meta($id, $WH . $wh));
    }
    return $f;
});

// ------------------------------------------------------------------------------------------------ inventory/update
$test("POST inventory/update: the old success shape, our engine ($engine), not the old route", function () use ($prepare, $post, $KEY, $meta, $WH, $expect, $engine) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $r = $post('/inventory/update', '{"sku":"prod-001","location_slug":"warehouse","stock":7,"regular_price":"24.50"}', ['X-API-Key' => $KEY]);
    $f = $expect($r, 200);
    $want = ['success' => true, 'message' => 'Inventory updated successfully.', 'data' => ['product_id' => $id, 'location_id' => $loc, 'sku' => 'PROD-001']];
    if ($r['json'] !== $want) {
        $f[] = 'body: ' . $r['body'] . ' expected ' . json_encode($want);
    }
    if (($r['headers']['x-mulopimfwc-engine'] ?? null) !== $engine) {
        $f[] = 'X-Mulopimfwc-Engine: ' . json_encode($r['headers']['x-mulopimfwc-engine'] ?? null);
    }
    if ($meta($id, $WH . $loc) !== ['7'] || $meta($id, '_location_regular_price_' . $loc) !== ['24.50']) {
        $f[] = 'not written';
    }
    $r2 = $post('/inventory/update', json_encode(['product_id' => $p['ids']['post']['var-own-red'], 'location_id' => $loc, 'stock_adjust' => 2]), ['X-API-Key' => $KEY]);
    if (($r2['json']['data'] ?? null) !== ['product_id' => $p['ids']['post']['var-own-red'], 'location_id' => $loc, 'sku' => 'VAR-OWN-RED']) {
        $f[] = 'by ids: ' . $r2['body'];
    }
    return $f;
});

$test('POST inventory/update: a failing item -> 400 update_failed with its message and code, nothing written; auth', function () use ($prepare, $post, $KEY, $unchanged, $expect, $admin, $env) {
    $p = $prepare();
    $f = [];
    $cases = [
        ['{"sku":"NOPE","location_slug":"warehouse","stock":1}', 'Product not found.', 'product_not_found'],
        ['{"sku":"PROD-001","location_slug":"warehouse","stock":"abc"}', 'Invalid stock: must be an integer.', 'invalid_stock'],
        ['{"sku":"PROD-001","location_slug":"warehouse","stock":1,"expected_stock":2}', 'Stock at this location has changed: it does not match expected_stock.', 'stock_mismatch'],
        ['[1,2]', 'Invalid item: expected an object.', 'invalid_item'],
    ];
    foreach ($cases as [$body, $msg, $code]) {
        $r = $post('/inventory/update', $body, ['X-API-Key' => $KEY]);
        $f = array_merge($f, $expect($r, 400, 'update_failed'));
        if (($r['json']['message'] ?? null) !== $msg || ($r['json']['data']['item_code'] ?? null) !== $code || ($r['json']['data']['status'] ?? null) !== 400) {
            $f[] = "$body: " . $r['body'];
        }
    }
    $f = array_merge($f, $expect($post('/inventory/update', '{"sku":', ['X-API-Key' => $KEY, 'Content-Type' => 'text/plain']), 400, 'invalid_data'));
    $f = array_merge($f, $expect($post('/inventory/update', '{"sku":"PROD-001","location_slug":"warehouse","stock":1}', []), 401, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/inventory/update', '{"sku":"PROD-001","location_slug":"warehouse","stock":1}', ['X-API-Key' => 'wrong']), 403, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/inventory/update', '{"sku":"PROD-001","location_slug":"warehouse","stock":1}', [], $env['E2E_NOCAP_USER'] . ':' . $env['E2E_NOCAP_APP_PASSWORD']), 403, 'rest_forbidden'));
    $f = array_merge($f, $unchanged($p));
    $ok = $post('/inventory/update?dry_run=1', '{"sku":"PROD-001","location_slug":"warehouse","stock":1}', [], $admin);
    if ($ok['status'] !== 200 || ($ok['json']['dry_run'] ?? null) !== true) {
        $f[] = 'administrator, dry run: ' . $ok['body'];
    }
    return array_merge($f, $unchanged($p));
});

// ------------------------------------------------------------------------------------------------ webhook
$test('POST webhook/inventory-update: X-Webhook-Secret right -> the old shape; wrong -> 403; none -> 401', function () use ($prepare, $post, $KEY, $meta, $WH, $setOption, $expect, $unchanged, $store) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $setOption('mulopimfwc_webhook_secret', 'hook-secret-1');
    $body = '{"sku":"PROD-001","location_slug":"warehouse","stock":8}';
    $f = [];
    $p['before'] = $store->snapshotNow($p);
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, ['X-Webhook-Secret' => 'hook-secret-2']), 403, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, ['X-Webhook-Secret' => 'hook-secret-1x']), 403, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, []), 401, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, ['X-API-Key' => 'wrong']), 403, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/webhook/inventory-update', '{"items": [', ['X-Webhook-Secret' => 'wrong']), 403, 'rest_forbidden'));
    $f = array_merge($f, $unchanged($p));
    $r = $post('/webhook/inventory-update', $body, ['X-Webhook-Secret' => 'hook-secret-1']);
    $f = array_merge($f, $expect($r, 200));
    $want = ['success' => true, 'message' => 'Inventory updated via webhook.', 'data' => ['product_id' => $id, 'location_id' => $loc, 'sku' => 'PROD-001']];
    if ($r['json'] !== $want) {
        $f[] = 'body: ' . $r['body'];
    }
    if ($meta($id, $WH . $loc) !== ['8']) {
        $f[] = 'not written';
    }
    $k = $post('/webhook/inventory-update', '{"sku":"PROD-001","location_slug":"warehouse","stock":9}', ['X-API-Key' => $KEY]);
    if ($k['status'] !== 200 || $meta($id, $WH . $loc) !== ['9']) {
        $f[] = 'X-API-Key: ' . $k['body'];
    }
    $e = $post('/webhook/inventory-update', '{"sku":"NOPE","location_slug":"warehouse","stock":1}', ['X-Webhook-Secret' => 'hook-secret-1']);
    $f = array_merge($f, $expect($e, 400, 'webhook_failed'));
    if (($e['json']['message'] ?? null) !== 'Product not found.') {
        $f[] = 'failure message: ' . $e['body'];
    }
    $f = array_merge($f, $expect($post('/webhook/inventory-update', '{"location_slug":"warehouse","stock":1}', ['X-Webhook-Secret' => 'hook-secret-1']), 400, 'invalid_data'));
    return $f;
});

$test('POST webhook/inventory-update: an empty stored secret matches nothing; {"items": [...]} answers as bulk-sync', function () use ($prepare, $post, $meta, $WH, $setOption, $expect, $unchanged, $store, $KEY) {
    $p = $prepare();
    $id = $p['ids']['post']['simple'];
    $loc = $p['ids']['loc']['warehouse'];
    $body = '{"sku":"PROD-001","location_slug":"warehouse","stock":8}';
    $f = [];
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, ['X-Webhook-Secret' => '']), 401, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, ['X-Webhook-Secret' => 'anything']), 403, 'rest_forbidden'));
    $setOption('mulopimfwc_webhook_secret', '');
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, ['X-Webhook-Secret' => '']), 401, 'rest_forbidden'));
    $f = array_merge($f, $expect($post('/webhook/inventory-update', $body, ['X-Webhook-Secret' => 'anything']), 403, 'rest_forbidden'));
    $f = array_merge($f, $unchanged($p));
    $setOption('mulopimfwc_webhook_secret', 'hook-secret-1');
    $r = $post('/webhook/inventory-update', '{"items":[{"sku":"PROD-001","location_slug":"warehouse","stock_adjust":-3},{"sku":"NOPE","location_slug":"warehouse","stock":1}]}', ['X-Webhook-Secret' => 'hook-secret-1']);
    $f = array_merge($f, $expect($r, 200));
    $j = $r['json'];
    if (($j['success'] ?? null) !== true || ($j['message'] ?? null) !== 'Processed 2 items. 1 succeeded, 1 failed.'
        || ($j['results']['errors'] ?? null) !== ['Item 2: Product not found.'] || ($j['results']['items_failed'][0]['code'] ?? null) !== 'product_not_found') {
        $f[] = 'items form: ' . $r['body'];
    }
    if ($meta($id, $WH . $loc) !== ['7']) {
        $f[] = 'items form not written: ' . json_encode($meta($id, $WH . $loc));
    }
    return $f;
});

// ------------------------------------------------------------------------------------------------ export
/** The export's rows built one product and one location at a time, straight from the tables. */
$naive = static function (?int $location = null) use ($conn): array {
    $c = $conn;
    $locs = $c->query("SELECT t.term_id, t.slug, t.name FROM wp_terms t JOIN wp_term_taxonomy tt ON tt.term_id = t.term_id
        WHERE tt.taxonomy = 'mulopimfwc_store_location'" . ($location ? " AND t.term_id = $location" : '') . ' ORDER BY t.name, t.term_id')->fetch_all(MYSQLI_ASSOC);
    $m = static function (int $id, string $k) use ($c): string {
        $r = $c->query("SELECT meta_value FROM wp_postmeta WHERE post_id = $id AND meta_key = '$k' ORDER BY meta_id LIMIT 1")->fetch_row();
        return $r ? (string) $r[0] : '';
    };
    $rows = [];
    foreach ($c->query("SELECT ID, post_title FROM wp_posts WHERE post_type = 'product' AND post_status = 'publish' ORDER BY ID")->fetch_all(MYSQLI_ASSOC) as $p) {
        $id = (int) $p['ID'];
        $variable = (bool) $c->query("SELECT 1 FROM wp_term_relationships tr JOIN wp_term_taxonomy tt ON tt.term_taxonomy_id = tr.term_taxonomy_id
            JOIN wp_terms t ON t.term_id = tt.term_id WHERE tr.object_id = $id AND tt.taxonomy = 'product_type' AND t.slug = 'variable'")->fetch_row();
        $members = $variable
            ? $c->query("SELECT ID, post_title FROM wp_posts WHERE post_parent = $id AND post_type = 'product_variation' AND post_status IN ('publish','private') ORDER BY menu_order, ID")->fetch_all(MYSQLI_ASSOC)
            : [$p];
        foreach ($locs as $l) {
            $lid = (int) $l['term_id'];
            foreach ($members as $mm) {
                $mid = (int) $mm['ID'];
                $rows[] = ['product_id' => $mid, 'sku' => $m($mid, '_sku'), 'product_name' => (string) $mm['post_title'], 'location_id' => $lid,
                    'location_slug' => (string) $l['slug'], 'location_name' => (string) $l['name'], 'stock' => $m($mid, "_location_stock_$lid"),
                    'regular_price' => $m($mid, "_location_regular_price_$lid"), 'sale_price' => $m($mid, "_location_sale_price_$lid"),
                    'backorders' => $m($mid, "_location_backorders_$lid"), 'disabled' => 'yes' === $m($mid, "_location_disabled_$lid")];
            }
        }
    }
    return $rows;
};
$get = static function (string $query, array $headers = [], ?string $userpwd = null) use ($http, $NS): array {
    return $http->request('GET', $NS . '/inventory/export' . $query, null, $headers, $userpwd);
};
$exportSetup = static function (array $p) use ($conn): void {
    // A private variation (exported), a draft one (not), a reordering menu_order, a disabled flag, a title with a comma.
    $conn->query('UPDATE wp_posts SET menu_order = 1 WHERE ID = ' . $p['ids']['post']['var-own-red']);
    $conn->query("UPDATE wp_posts SET post_status = 'private' WHERE ID = " . $p['ids']['post']['var-own-blue']);
    $conn->query("UPDATE wp_posts SET post_status = 'draft' WHERE ID = " . $p['ids']['post']['var-bo-2']);
    $conn->query("UPDATE wp_posts SET post_title = 'Shirt, \"blue\"' WHERE ID = " . $p['ids']['post']['second']);
    $conn->query('INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (' . $p['ids']['post']['second'] . ", '_location_disabled_" . $p['ids']['loc']['outlet'] . "', 'yes')");
};

$test("GET inventory/export (JSON): every page put together equals the rows in the database ($engine engine), X-WP-Total", function () use ($prepare, $exportSetup, $naive, $get, $KEY, $engine) {
    $p = $prepare();
    $exportSetup($p);
    $all = $naive();
    $f = [];
    foreach ([7, 100] as $per) {
        $got = [];
        for ($page = 1; $page < 200; $page++) {
            $r = $get("?page=$page&per_page=$per", ['X-API-Key' => $KEY]);
            $j = $r['json'];
            if ($r['status'] !== 200 || ($j['success'] ?? null) !== true) {
                return ["page $page: {$r['status']} " . substr($r['body'], 0, 300)];
            }
            if (($j['total'] ?? null) !== count($all) || ($j['page'] ?? null) !== $page || ($j['per_page'] ?? null) !== $per || ($j['count'] ?? null) !== count($j['data'] ?? [])) {
                $f[] = "page $page: " . json_encode(array_diff_key($j, ['data' => 1]));
            }
            if ((int) ($r['headers']['x-wp-total'] ?? -1) !== count($all) || (int) ($r['headers']['x-wp-totalpages'] ?? -1) !== (int) ceil(count($all) / $per)) {
                $f[] = 'X-WP-Total / X-WP-TotalPages: ' . json_encode([$r['headers']['x-wp-total'] ?? null, $r['headers']['x-wp-totalpages'] ?? null]);
            }
            if (($r['headers']['x-mulopimfwc-engine'] ?? null) !== $engine) {
                $f[] = 'X-Mulopimfwc-Engine: ' . json_encode($r['headers']['x-mulopimfwc-engine'] ?? null);
            }
            if (!$j['data']) {
                break;
            }
            array_push($got, ...$j['data']);
        }
        if ($got !== $all) {
            $f[] = "per_page $per: pages differ from the database rows; first difference: " . json_encode(array_values(array_filter(array_map(null, $all, $got), fn ($x) => $x[0] !== $x[1]))[0] ?? null);
        }
        if ($f) {
            break;
        }
    }
    return array_slice($f, 0, 6);
});

$test('GET inventory/export: location filter, unknown location, bad params, auth, not the old route', function () use ($prepare, $naive, $get, $KEY, $admin, $expect) {
    $p = $prepare();
    $loc = $p['ids']['loc']['cafe-paris'];
    $r = $get("?location_id=$loc&per_page=10000", ['X-API-Key' => $KEY]);
    $f = $expect($r, 200);
    if (($r['json']['data'] ?? null) !== $naive($loc) || ($r['json']['total'] ?? null) !== count($naive($loc))) {
        $f[] = 'location filter: ' . substr($r['body'], 0, 300);
    }
    $u = $get('?location_id=99999', ['X-API-Key' => $KEY]);
    if (($u['json']['total'] ?? null) !== 0 || ($u['json']['data'] ?? null) !== []) {
        $f[] = 'unknown location: ' . $u['body'];
    }
    $f = array_merge($f, $expect($get('?format=xml', ['X-API-Key' => $KEY]), 400, 'rest_invalid_param'));
    $f = array_merge($f, $expect($get('?location_id=abc', ['X-API-Key' => $KEY]), 400, 'rest_invalid_param'));
    $f = array_merge($f, $expect($get('?per_page=0', ['X-API-Key' => $KEY]), 400, 'rest_invalid_param'));
    $big = $get('?per_page=50000', ['X-API-Key' => $KEY]);
    if (($big['json']['per_page'] ?? null) !== 10000) {
        $f[] = 'per_page 50000 should be clamped to 10000: ' . substr($big['body'], 0, 200);
    }
    $f = array_merge($f, $expect($get('', []), 401, 'rest_forbidden'));
    $f = array_merge($f, $expect($get('', ['X-API-Key' => 'wrong']), 403, 'rest_forbidden'));
    $a = $get('?per_page=1', [], $admin);
    if ($a['status'] !== 200 || ($a['json']['count'] ?? null) !== 1) {
        $f[] = 'administrator: ' . substr($a['body'], 0, 200);
    }
    return $f;
});

$test("GET inventory/export?format=csv: text/csv, BOM, the old header row, rows equal the database's ($engine)", function () use ($prepare, $exportSetup, $naive, $get, $KEY) {
    $p = $prepare();
    $exportSetup($p);
    $all = $naive();
    $f = [];
    $cells = static function (array $row): array {
        $out = [];
        foreach ($row as $k => $v) {
            $out[] = $k === 'disabled' ? ($v ? 'yes' : 'no') : (string) $v;
        }
        return $out;
    };
    $header = 'product_id,sku,product_name,location_id,location_slug,location_name,stock,regular_price,sale_price,backorders,disabled';
    $got = [];
    $per = 40;
    for ($page = 1; $page <= (int) ceil(count($all) / $per); $page++) {
        $r = $get("?format=csv&page=$page&per_page=$per", ['X-API-Key' => $KEY]);
        if ($r['status'] !== 200 || !str_starts_with((string) ($r['headers']['content-type'] ?? ''), 'text/csv')) {
            return ["page $page: {$r['status']} " . json_encode($r['headers']['content-type'] ?? null) . ' ' . substr($r['body'], 0, 200)];
        }
        if (!str_starts_with($r['body'], "\xEF\xBB\xBF" . $header . "\n")) {
            $f[] = "page $page: no BOM + header row: " . json_encode(substr($r['body'], 0, 120));
        }
        if ((int) ($r['headers']['x-wp-total'] ?? -1) !== count($all) || !str_contains((string) ($r['headers']['content-disposition'] ?? ''), 'attachment')) {
            $f[] = 'headers: ' . json_encode($r['headers']);
        }
        $h = fopen('php://temp', 'r+');
        fwrite($h, substr($r['body'], 3));
        rewind($h);
        fgetcsv($h, 0, ',', '"', '');
        while (($row = fgetcsv($h, 0, ',', '"', '')) !== false) {
            $got[] = $row;
        }
        fclose($h);
    }
    $want = array_map($cells, $all);
    if ($got !== $want) {
        $f[] = 'CSV rows differ from the database; first difference: ' . json_encode(array_values(array_filter(array_map(null, $want, $got), fn ($x) => $x[0] !== $x[1]))[0] ?? null);
    }
    return $f;
});

$restoreSite();
exit($run->finish());
