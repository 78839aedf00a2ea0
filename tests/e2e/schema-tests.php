<?php
/**
 * The routes of mulopimfwc/v1 describe themselves (issue 14, part 3), over HTTP against one e2e site
 * (tests/e2e/lib/site.sh): OPTIONS on every route shows its declared args (body fields, query parameters, types,
 * limits) and its schema; the namespace index lists the same args; a real answer of every route (bulk-sync success,
 * partial failure, dry runs, whole-request errors, export page, inventory/update, the webhook's two forms and their
 * failures) validates against the schema the route declares, checked by the site's own WordPress
 * (rest_validate_value_from_schema() in tests/e2e/lib/schema-validate.php, copied into the site's mu-plugins for
 * the run), and deliberately wrong answers do not; the args describe without validating (behaviour unchanged).
 * A site with the extension runs everything for both engines (the PHP one through the header X-E2E-Force-PHP).
 *
 *   php tests/e2e/schema-tests.php target/e2e/NAME/env [--filter SUBSTRING]
 *
 * Run by tests/e2e/run.sh on its sites and by tests/e2e/schema-run.sh on sites of its own. Seeds the contract store
 * into the site's database (ContractStore, 'existing' mode). Ends with `E2E-COUNTS schema-ENGINE passed=N ...`.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

require_once __DIR__ . '/lib/TestRun.php';

[$env, $opt] = driver_start($argv, 'php tests/e2e/schema-tests.php target/e2e/NAME/env [--filter S]');
$repo = dirname(__DIR__, 2);
$run = new TestRun('schema-' . $env['E2E_ENGINE'], false, 12, $opt['filter']);
[$store, $conn, $http] = contract_site($env);
$db = $env['E2E_DB_NAME'];
$KEY = FIXTURE_API_KEY;
$NS = '/wp-json/mulopimfwc/v1';

// The validator mu-plugin, for this run only.
$muPlugin = $env['E2E_WP_DIR'] . '/wp-content/mu-plugins/mulopimfwc-schema-validate.php';
copy($repo . '/tests/e2e/lib/schema-validate.php', $muPlugin);
register_shutdown_function(static function () use ($muPlugin): void {
    @unlink($muPlugin);
});

$setOption = static function (string $name, ?string $value) use ($conn): void {
    if ($value === null) {
        $st = $conn->prepare('DELETE FROM wp_options WHERE option_name = ?');
        $st->bind_param('s', $name);
    } else {
        $st = $conn->prepare("INSERT INTO wp_options (option_name, option_value, autoload) VALUES (?, ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)");
        $st->bind_param('ss', $name, $value);
    }
    $st->execute();
};
$prepare = static function () use ($store, $db, $setOption): array {
    $setOption('mulopimfwc_e2e_max_items', null);
    $setOption('mulopimfwc_webhook_secret', null);
    return $store->prepare(['name' => 'schema e2e', 'expect' => []], 'existing', $db, 'wp_');
};
$restoreSite = static function () use ($setOption, $env): void {
    $setOption('mulopimfwc_e2e_max_items', null);
    $setOption('mulopimfwc_api_key', $env['E2E_API_KEY']);
};
$short = static fn ($s, int $n = 400): string => strlen((string) $s) > $n ? substr((string) $s, 0, $n) . '...' : (string) $s;
$json = static fn ($v): string => json_encode($v, JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION);
$test = $run->test(...);

/** [name, schema, value] triples checked by the site's WordPress; returns name => result. */
$validate = static function (array $cases) use ($http, $KEY, $json): array {
    $payload = [];
    foreach ($cases as [$name, $schema, $value]) {
        $payload[] = ['name' => $name, 'schema' => $schema, 'value' => $value];
    }
    $r = $http->request('POST', '/wp-json/mulopimfwc-schema-test/v1/validate', $json(['cases' => $payload]), ['Content-Type' => 'application/json', 'X-API-Key' => $KEY]);
    if ($r['status'] !== 200 || !isset($r['json']['results'])) {
        throw new \RuntimeException("the validator answered HTTP {$r['status']}: " . substr($r['body'], 0, 400));
    }
    $out = [];
    foreach ($r['json']['results'] as $res) {
        $out[$res['name']] = $res;
    }
    return $out;
};

$ITEM_FIELDS = ['product_id', 'sku', 'location_id', 'location_slug', 'stock', 'stock_adjust', 'expected_stock', 'regular_price', 'sale_price', 'backorders', 'disabled'];
$ROUTES = [
    '/inventory/bulk-sync' => ['POST', 'mulopimfwc_bulk_sync'],
    '/inventory/update' => ['POST', 'mulopimfwc_inventory_update'],
    '/webhook/inventory-update' => ['POST', 'mulopimfwc_webhook_inventory_update'],
    '/inventory/export' => ['GET', 'mulopimfwc_inventory_export'],
];
// The item fields as the seed and SPEC describe them: name => a type the schema must allow.
$ITEM_TYPES = ['product_id' => 'integer', 'sku' => 'string', 'location_id' => 'integer', 'location_slug' => 'string', 'stock' => 'integer',
    'stock_adjust' => 'integer', 'expected_stock' => 'integer', 'regular_price' => 'string', 'sale_price' => 'string', 'backorders' => 'string', 'disabled' => 'boolean'];
$types = static fn (array $s): array => (array) ($s['type'] ?? []);

$engines = $env['E2E_ENGINE'] === 'native' ? ['native' => [], 'php' => ['X-E2E-Force-PHP' => '1']] : ['php' => []];
foreach ($engines as $engine => $H) {
    $limit = $engine === 'native' ? 100000 : 1000;
    $options = static function (string $route) use ($http, $NS, $H): array {
        $r = $http->request('OPTIONS', $NS . $route, null, $H);
        if ($r['status'] !== 200 || !is_array($r['json'])) {
            throw new \RuntimeException("OPTIONS $route: HTTP {$r['status']} " . substr($r['body'], 0, 300));
        }
        return $r['json'];
    };
    $post = static function (string $route, string $body, array $headers = []) use ($http, $NS, $H, $KEY): array {
        return $http->request('POST', $NS . $route, $body, $headers + $H + ['Content-Type' => 'application/json', 'X-API-Key' => $KEY]);
    };
    $get = static function (string $route) use ($http, $NS, $H, $KEY): array {
        return $http->request('GET', $NS . $route, null, $H + ['X-API-Key' => $KEY]);
    };

    $test("OPTIONS inventory/bulk-sync ($engine): args describe the body (items: objects with the seed's fields and types, maxItems = the engine's limit $limit, dry_run) and the schema the answer", function () use ($options, $limit, $ITEM_FIELDS, $ITEM_TYPES, $types, $short, $json) {
        $o = $options('/inventory/bulk-sync');
        $f = [];
        $ep = $o['endpoints'][0] ?? [];
        if (($o['methods'] ?? null) !== ['POST'] || ($ep['methods'] ?? null) !== ['POST']) {
            $f[] = 'methods: ' . $json($o['methods'] ?? null);
        }
        $items = $ep['args']['items'] ?? null;
        if (($items['type'] ?? null) !== 'array' || ($items['maxItems'] ?? null) !== $limit || ($items['required'] ?? null) !== false) {
            $f[] = 'args.items: ' . $short($json($items));
        }
        $props = $items['items']['properties'] ?? [];
        if (($items['items']['type'] ?? null) !== 'object' || array_keys($props) != $ITEM_FIELDS) {
            $f[] = 'item fields: ' . $json(array_keys($props));
        }
        foreach ($ITEM_TYPES as $field => $type) {
            if (!in_array($type, $types($props[$field] ?? []), true) || ($props[$field]['description'] ?? '') === '') {
                $f[] = "item field $field: " . $json($props[$field] ?? null);
            }
        }
        if (!in_array('number', $types($props['regular_price'] ?? []), true) || ($props['backorders']['enum'] ?? null) !== ['no', 'notify', 'yes']) {
            $f[] = 'prices take a JSON number, backorders no|notify|yes: ' . $json([$props['regular_price'] ?? null, $props['backorders'] ?? null]);
        }
        if (($ep['args']['dry_run']['type'] ?? null) !== 'boolean') {
            $f[] = 'args.dry_run: ' . $json($ep['args']['dry_run'] ?? null);
        }
        $s = $o['schema'] ?? [];
        if (($s['title'] ?? null) !== 'mulopimfwc_bulk_sync' || ($s['$schema'] ?? '') === '' || array_keys($s['properties'] ?? []) !== ['success', 'message', 'results', 'dry_run', 'changes', 'engine']) {
            $f[] = 'schema: ' . $short($json($s));
        }
        $failed = $s['properties']['results']['properties']['items_failed']['items']['properties'] ?? [];
        if (($failed['index']['minimum'] ?? null) !== 1 || !in_array('product_not_found', $failed['code']['enum'] ?? [], true)) {
            $f[] = 'schema results.items_failed: ' . $short($json($failed));
        }
        if (($s['definitions']['error']['required'] ?? null) !== ['code', 'message', 'data']) {
            $f[] = 'schema definitions.error: ' . $short($json($s['definitions']['error'] ?? null));
        }
        return $f;
    });

    $test("OPTIONS inventory/update, webhook/inventory-update, inventory/export ($engine): their args and schemas", function () use ($options, $ITEM_FIELDS, $ROUTES, $limit, $json, $short) {
        $f = [];
        foreach (['/inventory/update', '/webhook/inventory-update', '/inventory/export'] as $route) {
            $o = $options($route);
            $args = $o['endpoints'][0]['args'] ?? [];
            if (($o['methods'] ?? null) !== [$ROUTES[$route][0]] || ($o['schema']['title'] ?? null) !== $ROUTES[$route][1]) {
                $f[] = "$route: methods/title " . $json([$o['methods'] ?? null, $o['schema']['title'] ?? null]);
            }
            if (!isset($o['schema']['definitions']['error'])) {
                $f[] = "$route: no definitions.error";
            }
            foreach ($args as $name => $a) {
                if (($a['required'] ?? null) !== false || isset($a['validate_callback']) || isset($a['sanitize_callback'])) {
                    $f[] = "$route: arg $name " . $short($json($a));
                }
            }
            if ($route === '/inventory/update' && array_diff($ITEM_FIELDS, array_keys($args)) !== []) {
                $f[] = "$route: args " . $json(array_keys($args));
            }
            if ($route === '/webhook/inventory-update') {
                if (array_diff([...$ITEM_FIELDS, 'items'], array_keys($args)) !== [] || ($args['items']['maxItems'] ?? null) !== $limit) {
                    $f[] = "$route: args " . $json(array_keys($args));
                }
                if (count($o['schema']['oneOf'] ?? []) !== 2) {
                    $f[] = "$route: schema oneOf " . $short($json($o['schema']));
                }
            }
            if ($route === '/inventory/export') {
                $want = ['location_id' => 'integer', 'page' => 'integer', 'per_page' => 'integer', 'format' => 'string'];
                foreach ($want as $name => $type) {
                    if (($args[$name]['type'] ?? null) !== $type || ($args[$name]['description'] ?? '') === '') {
                        $f[] = "$route: arg $name " . $json($args[$name] ?? null);
                    }
                }
                if (($args['per_page']['default'] ?? null) !== 100 || ($args['page']['minimum'] ?? null) !== 1 || ($args['format']['enum'] ?? null) !== ['json', 'csv']) {
                    $f[] = "$route: per_page/page/format " . $json([$args['per_page'] ?? null, $args['format'] ?? null]);
                }
                $row = $o['schema']['properties']['data']['items']['properties'] ?? [];
                $cols = ['product_id', 'sku', 'product_name', 'location_id', 'location_slug', 'location_name', 'stock', 'regular_price', 'sale_price', 'backorders', 'disabled'];
                if (array_keys($row) !== $cols || ($o['schema']['properties']['per_page']['maximum'] ?? null) !== 10000) {
                    $f[] = "$route: schema row " . $json(array_keys($row));
                }
            }
        }
        return $f;
    });

    $test("the namespace index /wp-json/mulopimfwc/v1 lists every route with the same args as its OPTIONS ($engine)", function () use ($http, $NS, $H, $options, $ROUTES, $json) {
        $r = $http->request('GET', $NS, null, $H);
        $f = [];
        if ($r['status'] !== 200 || ($r['json']['namespace'] ?? null) !== 'mulopimfwc/v1') {
            return ["GET $NS: HTTP {$r['status']} " . substr($r['body'], 0, 300)];
        }
        foreach ($ROUTES as $route => [$method]) {
            $entry = $r['json']['routes']['/mulopimfwc/v1' . $route] ?? null;
            if ($entry === null) {
                $f[] = "$route: not in the index (" . $json(array_keys($r['json']['routes'] ?? [])) . ')';
                continue;
            }
            $args = $entry['endpoints'][0]['args'] ?? null;
            if ($args === null || $args === [] || $args != ($options($route)['endpoints'][0]['args'] ?? null) || ($entry['methods'] ?? null) !== [$method]) {
                $f[] = "$route: the index's args differ from OPTIONS': " . substr($json($entry), 0, 300);
            }
        }
        return $f;
    });

    $test("a real answer of every route validates against the schema its OPTIONS declares; errors against definitions.error ($engine)", function () use ($engine, $prepare, $restoreSite, $setOption, $options, $post, $get, $http, $NS, $H, $validate, $ROUTES, $json, $short) {
        $ids = $prepare()['ids'];
        $p2 = $ids['post']['second'];
        $main = $ids['loc']['main-store'];
        try {
            $schemas = [];
            foreach (array_keys($ROUTES) as $route) {
                $schemas[$route] = $options($route)['schema'];
            }
            $error = $schemas['/inventory/bulk-sync']['definitions']['error'];
            $good = '{"sku":"PROD-001","location_slug":"warehouse","stock":7,"regular_price":"29.99","sale_price":"24.99"}';
            $calls = [
                // name => [route, response, status wanted, check on the body]
                'bulk-sync success' => ['/inventory/bulk-sync', $post('/inventory/bulk-sync', '{"items":[' . $good . ',{"product_id":"' . $p2 . '","location_id":' . $main . ',"stock":"3"}]}'), 200,
                    fn ($b) => ($b['results']['failed'] ?? null) === 0 && ($b['results']['success'] ?? null) === 2 && ($b['engine'] ?? null) === $engine],
                'bulk-sync partial failure' => ['/inventory/bulk-sync', $post('/inventory/bulk-sync', '{"items":[' . $good . ',{"sku":"NOPE","location_slug":"warehouse","stock":1},{"sku":"PROD-002","location_id":"x","stock":1},5,{"sku":"PROD-002","location_slug":"warehouse","stock":"abc"},{"product_id":-3,"location_slug":"outlet","stock":1,"backorders":"maybe"}]}'), 200,
                    fn ($b) => ($b['results']['failed'] ?? null) === 5 && count($b['results']['items_failed'] ?? []) === 5],
                'bulk-sync dry run (?dry_run=1)' => ['/inventory/bulk-sync', $post('/inventory/bulk-sync?dry_run=1', '{"items":[' . $good . ']}'), 200, fn ($b) => ($b['dry_run'] ?? null) === true],
                'bulk-sync dry run (body)' => ['/inventory/bulk-sync', $post('/inventory/bulk-sync', '{"dry_run":true,"items":[{"sku":"PROD-001","location_slug":"warehouse","stock_adjust":-2},{"sku":"NOPE","location_id":1,"stock":1}]}'), 200,
                    fn ($b) => ($b['dry_run'] ?? null) === true && ($b['results']['failed'] ?? null) === 1],
                'bulk-sync validation error (items not an array)' => [null, $post('/inventory/bulk-sync', '{"items":{"a":1}}'), 400, fn ($b) => ($b['code'] ?? null) === 'invalid_data'],
                'bulk-sync malformed JSON' => [null, $post('/inventory/bulk-sync', '{"items":['), 400, fn ($b) => in_array($b['code'] ?? null, ['rest_invalid_json', 'invalid_data'], true)],
                'bulk-sync refused (no credentials)' => [null, $http->request('POST', $NS . '/inventory/bulk-sync', '{"items":[]}', $H + ['Content-Type' => 'application/json']), 401, fn ($b) => ($b['code'] ?? '') !== ''],
                'update success' => ['/inventory/update', $post('/inventory/update', $good), 200, fn ($b) => ($b['data']['sku'] ?? null) === 'PROD-001'],
                'update dry run' => ['/inventory/update', $post('/inventory/update?dry_run=1', '{"sku":"PROD-002","location_slug":"outlet","stock_adjust":1}'), 200, fn ($b) => ($b['dry_run'] ?? null) === true],
                'update failure' => [null, $post('/inventory/update', '{"sku":"NOPE","location_slug":"warehouse","stock":1}'), 400,
                    fn ($b) => ($b['code'] ?? null) === 'update_failed' && ($b['data']['item_code'] ?? null) === 'product_not_found'],
                'webhook single item' => ['/webhook/inventory-update', $post('/webhook/inventory-update', '{"product_id":"' . $ids['post']['simple'] . '","sku":"PROD-001","location_slug":"main-store","stock":9}'), 200,
                    fn ($b) => ($b['data']['location_id'] ?? null) === $main],
                'webhook items' => ['/webhook/inventory-update', $post('/webhook/inventory-update', '{"items":[' . $good . ',{"sku":"NOPE","location_id":' . $main . ',"stock":1}]}'), 200,
                    fn ($b) => ($b['results']['failed'] ?? null) === 1],
                'webhook failure' => [null, $post('/webhook/inventory-update', '{"sku":"PROD-001","location_slug":"nowhere","stock":1}'), 400, fn ($b) => ($b['code'] ?? null) === 'webhook_failed'],
                'webhook bad format' => [null, $post('/webhook/inventory-update', '{"stock":1}'), 400, fn ($b) => ($b['code'] ?? null) === 'invalid_data'],
                'export page' => ['/inventory/export', $get('/inventory/export?per_page=7&page=2'), 200, fn ($b) => ($b['count'] ?? 0) === 7 && ($b['page'] ?? null) === 2 && ($b['total'] ?? 0) > 14],
                'export one location' => ['/inventory/export', $get('/inventory/export?location_id=' . $main . '&per_page=10000'), 200, fn ($b) => ($b['count'] ?? 0) > 0],
                'export bad per_page' => [null, $get('/inventory/export?per_page=abc'), 400, fn ($b) => ($b['code'] ?? null) === 'rest_invalid_param'],
            ];
            // The item limit (filter mulopimfwc_max_bulk_sync_items) lowered to 3: the error, and OPTIONS says 3.
            $setOption('mulopimfwc_e2e_max_items', '3');
            $calls['bulk-sync too many items'] = [null, $post('/inventory/bulk-sync', '{"items":[1,2,3,4]}'), 400, fn ($b) => ($b['code'] ?? null) === 'too_many_items'];
            $max = $options('/inventory/bulk-sync')['endpoints'][0]['args']['items']['maxItems'] ?? null;
            $setOption('mulopimfwc_e2e_max_items', null);

            $f = [];
            if ($max !== 3) {
                $f[] = 'OPTIONS with the item limit filtered to 3: maxItems ' . $json($max);
            }
            $cases = [];
            foreach ($calls as $name => [$route, $r, $status, $check]) {
                $b = $r['json'];
                if ($status !== null && $r['status'] !== $status) {
                    $f[] = "$name: HTTP {$r['status']} (expected $status): " . $short($r['body']);
                    continue;
                }
                if ($check !== null && !$check($b)) {
                    $f[] = "$name: not the answer the case is about: " . $short($r['body']);
                    continue;
                }
                $ok = $r['status'] === 200;
                $cases[] = [$name, $ok ? $schemas[$route] : $error, $b];
            }
            foreach ($validate($cases) as $name => $res) {
                if (!$res['valid'] || $res['doing_it_wrong'] !== []) {
                    $f[] = "$name does not validate: {$res['code']} {$res['message']} " . $json($res['doing_it_wrong']) . ' — body ' . $short($json($calls[$name][1]['json']), 600);
                }
            }
            if (count($cases) !== count($calls)) {
                $f[] = 'validated ' . count($cases) . ' of ' . count($calls) . ' answers';
            }
            return $f;
        } finally {
            $restoreSite();
        }
    });

    $test("deliberately wrong answers fail their route's schema (renamed, missing, mistyped, out-of-range fields) ($engine)", function () use ($prepare, $restoreSite, $options, $post, $get, $validate, $json) {
        $prepare();
        try {
            $sync = $options('/inventory/bulk-sync')['schema'];
            $upd = $options('/inventory/update')['schema'];
            $hook = $options('/webhook/inventory-update')['schema'];
            $exp = $options('/inventory/export')['schema'];
            $error = $sync['definitions']['error'];
            $b = $post('/inventory/bulk-sync', '{"items":[{"sku":"PROD-001","location_slug":"warehouse","stock":7},{"sku":"NOPE","location_slug":"warehouse","stock":1}]}')['json'];
            $u = $post('/inventory/update', '{"sku":"PROD-001","location_slug":"warehouse","stock":8}')['json'];
            $e = $get('/inventory/export?per_page=2')['json'];
            $err = $post('/inventory/bulk-sync', '{"nope":1}')['json'];
            $set = static function (array $v, string $path, $value, bool $unset = false): array {
                $ref = &$v;
                $keys = explode('.', $path);
                $last = array_pop($keys);
                foreach ($keys as $k) {
                    $ref = &$ref[$k];
                }
                if ($unset) {
                    unset($ref[$last]);
                } else {
                    $ref[$last] = $value;
                }
                return $v;
            };
            $renamed = $set($b, 'results.failed', null, true);
            $renamed['results']['failures'] = 1;
            $wrong = [
                'the real bulk-sync answer (control)' => [$sync, $b, true],
                'the real update answer (control)' => [$upd, $u, true],
                'the real export answer (control)' => [$exp, $e, true],
                'the real error answer (control)' => [$error, $err, true],
                'bulk-sync: results.failed renamed results.failures' => [$sync, $renamed, false],
                'bulk-sync: results missing' => [$sync, $set($b, 'results', null, true), false],
                'bulk-sync: success false' => [$sync, $set($b, 'success', false), false],
                'bulk-sync: items_failed[0].index 0' => [$sync, $set($b, 'results.items_failed.0.index', 0), false],
                'bulk-sync: items_failed[0].code unknown' => [$sync, $set($b, 'results.items_failed.0.code', 'not_found'), false],
                'bulk-sync: errors[0] without "Item N: "' => [$sync, $set($b, 'results.errors.0', 'Product not found.'), false],
                'bulk-sync: results.success as text' => [$sync, $set($b, 'results.success', 'one'), false],
                'bulk-sync: changes.meta_rows_updated -1' => [$sync, $set($b, 'changes.meta_rows_updated', -1), false],
                'bulk-sync: engine rust' => [$sync, $set($b, 'engine', 'rust'), false],
                'bulk-sync: changes missing' => [$sync, $set($b, 'changes', null, true), false],
                'bulk-sync: an extra field' => [$sync, $set($b, 'surprise', 1), false],
                'bulk-sync: an export answer' => [$sync, $e, false],
                'update: data.product_id 0' => [$upd, $set($u, 'data.product_id', 0), false],
                'update: data.sku missing' => [$upd, $set($u, 'data.sku', null, true), false],
                'webhook: both shapes at once' => [$hook, array_merge($b, ['data' => $u['data']]), false],
                'webhook: the update answer (control)' => [$hook, $u, true],
                'webhook: the bulk-sync answer (control)' => [$hook, $b, true],
                'export: data[0].stock a number' => [$exp, $set($e, 'data.0.stock', 5), false],
                'export: data[0].disabled "no"' => [$exp, $set($e, 'data.0.disabled', 'no'), false],
                'export: total missing' => [$exp, $set($e, 'total', null, true), false],
                'export: per_page 20000' => [$exp, $set($e, 'per_page', 20000), false],
                'error: code missing' => [$error, $set($err, 'code', null, true), false],
                'error: data.status 200' => [$error, $set($err, 'data.status', 200), false],
            ];
            $f = [];
            if (count($b['results']['items_failed'] ?? []) !== 1 || count($e['data'] ?? []) !== 2) {
                return ['the answers to break are not what the test needs: ' . substr($json([$b, $e]), 0, 400)];
            }
            $cases = [];
            foreach ($wrong as $name => [$schema, $value]) {
                $cases[] = [$name, $schema, $value];
            }
            foreach ($validate($cases) as $name => $res) {
                if ($res['valid'] !== $wrong[$name][2]) {
                    $f[] = "$name: " . ($res['valid'] ? 'validates, but must not' : "does not validate ({$res['message']}), but must");
                }
                if ($res['doing_it_wrong'] !== []) {
                    $f[] = "$name: WordPress says the schema is wrong: " . $json($res['doing_it_wrong']);
                }
            }
            return $f;
        } finally {
            $restoreSite();
        }
    });

    $test("the args describe without validating: items breaking the declared item schema fail alone (200), ?dry_run=yes, format=CSV, per_page=20000 still served ($engine)", function () use ($prepare, $restoreSite, $options, $post, $get, $validate, $json, $short) {
        $prepare();
        try {
            $f = [];
            $r = $post('/inventory/bulk-sync?dry_run=yes', '{"items":[{"sku":"PROD-001","location_slug":"warehouse","stock":"abc"},{"sku":"PROD-001","location_slug":"warehouse","stock":1,"backorders":"maybe"},{"sku":["x"],"location_id":"1","stock":1}],"dry_run":null}');
            $codes = array_column($r['json']['results']['items_failed'] ?? [], 'code');
            if ($r['status'] !== 200 || ($r['json']['dry_run'] ?? null) !== true || $codes !== ['invalid_stock', 'invalid_backorders', 'invalid_sku']) {
                $f[] = 'bulk-sync with items against the declared schema: ' . $short($r['body']);
            }
            $c = $get('/inventory/export?format=CSV&per_page=1');
            if ($c['status'] !== 200 || !str_starts_with($c['headers']['content-type'] ?? '', 'text/csv')) {
                $f[] = 'format=CSV: ' . $short($c['body']);
            }
            $p = $get('/inventory/export?per_page=20000');
            if ($p['status'] !== 200 || ($p['json']['per_page'] ?? null) !== 10000) {
                $f[] = 'per_page=20000 (clamped): ' . $short($p['body']);
            }
            // The same items against the args' item schema: the schema calls them wrong (it describes valid items);
            // the seed's example body is right.
            $args = $options('/inventory/bulk-sync')['endpoints'][0]['args'];
            $body = ['type' => 'object', 'properties' => $args];
            $seed = json_decode('{"items":[{"sku":"PROD-001","location_slug":"main-store","stock":100,"regular_price":"29.99","sale_price":"24.99"},{"product_id":123,"location_id":5,"stock":50,"regular_price":"19.99"}]}', true);
            $res = $validate([
                ['seed example', $body, $seed],
                ['stock abc', $body, ['items' => [['sku' => 'A', 'location_id' => 1, 'stock' => 'abc']]]],
                ['backorders maybe', $body, ['items' => [['sku' => 'A', 'location_id' => 1, 'stock' => 1, 'backorders' => 'maybe']]]],
                ['items not an array', $body, ['items' => 'x']],
            ]);
            foreach (['seed example' => true, 'stock abc' => false, 'backorders maybe' => false, 'items not an array' => false] as $name => $want) {
                if (($res[$name]['valid'] ?? null) !== $want) {
                    $f[] = "request '$name' against the declared args: " . $json($res[$name] ?? null);
                }
            }
            return $f;
        } finally {
            $restoreSite();
        }
    });
}

$test('the args cost WordPress nothing per item: a 20,000-item body through the declared args takes the memory and about the time it takes without args (WordPress validating them itself: far more)', function () use ($http, $NS, $env, $json) {
    $items = [];
    for ($i = 0; $i < 20000; $i++) {
        $items[] = ['sku' => 'SKU-' . $i, 'location_slug' => 'warehouse', 'stock' => $i % 97, 'regular_price' => '19.99', 'sale_price' => '9.50'];
    }
    $body = $json(['items' => $items]);
    $m = [];
    for ($round = 0; $round < 3; $round++) {
        foreach (['none', 'declared', 'validated'] as $variant) {
            $r = $http->request('POST', $NS . '/inventory/bulk-sync', $body, ['Content-Type' => 'application/json', 'X-API-Key' => $env['E2E_API_KEY'], 'X-Schema-Measure' => '1', 'X-Schema-Args' => $variant]);
            if ($r['status'] !== 418 || ($r['json']['message'] ?? null) !== 'measured') {
                return ["$variant: not measured: HTTP {$r['status']} " . substr($r['body'], 0, 300)];
            }
            $d = $r['json']['data'];
            $m[$variant]['ms'][] = (float) $d['ms'];
            $m[$variant]['mem'] = $d['mem_growth'];
            $m[$variant]['peak'] = $d['peak_growth'];
        }
    }
    $ms = static fn (string $v): float => min($m[$v]['ms']);
    printf("      args stretch of 20,000 items (fastest of 3): no args %.0f ms, declared %.0f ms, WordPress-validated %.0f ms; memory growth %d / %d / %d bytes, peak growth %d / %d / %d bytes\n",
        $ms('none'), $ms('declared'), $ms('validated'), $m['none']['mem'], $m['declared']['mem'], $m['validated']['mem'], $m['none']['peak'], $m['declared']['peak'], $m['validated']['peak']);
    $f = [];
    if (abs($m['declared']['mem'] - $m['none']['mem']) > 16384 || abs($m['declared']['peak'] - $m['none']['peak']) > 16384) {
        $f[] = 'the declared args cost memory: ' . $json([$m['declared'], $m['none']]);
    }
    if ($m['validated']['peak'] - $m['none']['peak'] < 1048576) {
        $f[] = 'WordPress validating the args shows no per-item memory, so this measurement sees nothing: ' . $json($m);
    }
    if ($ms('declared') > 3 * $ms('none') + 100 || $ms('declared') * 2 > $ms('validated')) {
        $f[] = 'the declared args take time: ' . $json($m);
    }
    return $f;
});

exit($run->finish());
