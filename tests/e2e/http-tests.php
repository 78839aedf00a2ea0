<?php
/**
 * End-to-end tests over HTTP against one e2e site (tests/e2e/lib/site.sh): the seed's example, auth, whole-request
 * errors, engine choice, route precedence, both URL forms, cache invalidation, and every contract case
 * (tests/contract/cases/*.json) sent as a raw JSON body, seeded into the site's own database with ContractStore
 * ('existing' mode: only the product/term/meta tables and the options the fixture and cases name are touched)
 * and checked with ContractStore::verify().
 *
 *   php tests/e2e/http-tests.php target/e2e/NAME/env [--group G[,G...]] [--filter SUBSTRING] [--verbose]
 *
 * Groups: basic, auth, errors, cache, contract, logs (default: all). Prints one line per test and ends with
 * `E2E-COUNTS http-ENGINE passed=N failed=M skipped=K`.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

use Mulopimfwc\Tests\ContractStore;

require __DIR__ . '/lib/TestRun.php';

[$env, $opt] = driver_start($argv, 'php tests/e2e/http-tests.php target/e2e/NAME/env [--group G,...] [--filter S]', [
    'group' => 'basic,auth,errors,cache,contract,logs',
    'verbose' => false,
]);
$repo = dirname(__DIR__, 2);
$groups = explode(',', $opt['group']);
$filter = $opt['filter'];
$engine = $env['E2E_ENGINE'];
$run = new TestRun('http-' . $engine, false);

[$store, $conn, $http] = contract_site($env);
$db = $env['E2E_DB_NAME'];
$ROUTE = '/wp-json/mulopimfwc/v1/inventory/bulk-sync';
$ROUTE_Q = '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync';
$siteKey = $env['E2E_API_KEY'];

/** Options the cases and our mapping may set: removed before each case so no case sees an earlier one's. */
$cases = ContractStore::loadCases($repo . '/tests/contract/cases');
$caseOptionNames = ['mulopimfwc_e2e_max_items', 'mulopimfwc_e2e_force_php', 'woocommerce_price_decimal_sep',
    'mulopimfwc_primary_location', 'woocommerce_notify_no_stock_amount'];
foreach ($cases as $c) {
    foreach (array_keys($c['site_options'] ?? []) as $k) {
        $caseOptionNames[] = $k;
    }
}
foreach (array_keys($store->loadFixture('store')['options'] ?? []) as $k) {
    $caseOptionNames[] = $k;
}
$caseOptionNames = array_values(array_unique($caseOptionNames));

function sql_in(\mysqli $c, array $names): string
{
    return implode(',', array_map(fn ($n) => "'" . $c->real_escape_string($n) . "'", $names));
}

/** Resets the options the cases touch, then seeds the case's store. */
$prepare = static function (array $case) use ($store, $conn, $db, $caseOptionNames): array {
    $conn->query('DELETE FROM wp_options WHERE option_name IN (' . sql_in($conn, $caseOptionNames) . ')');
    return $store->prepare($case, 'existing', $db, 'wp_');
};

/** The site's own settings back (after tests that seeded the contract fixture or changed options). */
$restoreSite = static function () use ($conn, $siteKey, $caseOptionNames, $repo): void {
    $conn->query('DELETE FROM wp_options WHERE option_name IN (' . sql_in($conn, $caseOptionNames) . ')');
    $st = $conn->prepare("INSERT INTO wp_options (option_name, option_value, autoload) VALUES (?, ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)");
    foreach (['mulopimfwc_api_key' => $siteKey, 'woocommerce_manage_stock' => 'yes', 'woocommerce_notify_no_stock_amount' => '0',
                 'woocommerce_price_decimal_sep' => '.', 'gmt_offset' => '0', 'timezone_string' => ''] as $k => $v) {
        $st->bind_param('ss', $k, $v);
        $st->execute();
    }
    // a case may have dropped the lookup table
    $schema = (string) file_get_contents($repo . '/tests/sql/schema.sql');
    if (preg_match('/CREATE TABLE IF NOT EXISTS `\{prefix\}wc_product_meta_lookup`.*?;\s*$/ms', $schema, $m)) {
        $conn->query(rtrim(str_replace('{prefix}', 'wp_', $m[0]), "; \n"));
    }
};

$json = static fn ($v): string => json_encode($v, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION);
$short = static fn ($s, $n = 400): string => strlen((string) $s) > $n ? substr((string) $s, 0, $n) . '...' : (string) $s;

/** POST a body to the route. */
$post = static function (string $body, array $headers = [], ?string $userpwd = null, string $route = '') use ($http, $ROUTE): array {
    return $http->request('POST', $route !== '' ? $route : $ROUTE, $body, $headers + ['Content-Type' => 'application/json'], $userpwd);
};

/** The outcome ContractStore::verify() expects, from an HTTP answer. */
$outcome = static function (array $r): array {
    if ($r['status'] === 200 && is_array($r['json']) && array_key_exists('success', $r['json'])) {
        return $r['json'];
    }
    $code = is_array($r['json']) ? ($r['json']['code'] ?? '?') : '?';
    // WordPress rejects a body that is not JSON before our engine sees it: the contract's invalid_data.
    if ($code === 'rest_invalid_json' && $r['status'] === 400) {
        $code = 'invalid_data';
    }
    return ['error' => ['code' => $code, 'status' => $r['status'], 'message' => is_array($r['json']) ? (string) ($r['json']['message'] ?? $r['body']) : $r['body']]];
};

$seedCase = $cases['identifiers.json: seed example: sku+slug and id+id'] ?? null;

/** Snapshot compare: nothing written since prepare. */
$unchanged = static function (array $prepared) use ($store): array {
    $after = $store->snapshotNow($prepared);
    $f = [];
    foreach (['postmeta', 'posts', 'term_relationships', 'term_taxonomy', 'lookup', 'options'] as $t) {
        if ($prepared['before'][$t] != $after[$t]) {
            $f[] = "table $t changed, but nothing may be written";
        }
    }
    return $f;
};

$want = static fn (string $g): bool => in_array($g, $groups, true);
$match = static fn (string $name): bool => $filter === null || str_contains($name, $filter);

// ------------------------------------------------------------------------------------------------ basic
if ($want('basic')) {
    if ($seedCase === null) {
        $run->test('seed example case exists in identifiers.json', fn () => ['case "seed example: sku+slug and id+id" not found']);
    } else {
        $run->test("seed example over HTTP: the seed's request and response ($engine engine)", function () use ($prepare, $seedCase, $post, $json, $outcome, $store, $engine) {
            $p = $prepare($seedCase);
            $key = $p['case']['__key'] ?? null;
            $r = $post($json($p['case']['request']), ['X-API-Key' => 'ct-test-api-key-5f1c2a9e7d']);
            $f = [];
            if ($r['status'] !== 200) {
                return ["status {$r['status']}: {$r['body']}"];
            }
            // the seed's response example, exactly (more fields may be added beside these)
            $seedResponse = ['success' => true, 'message' => 'Processed 2 items. 2 succeeded, 0 failed.', 'results' => ['success' => 2, 'failed' => 0, 'errors' => []]];
            foreach ($seedResponse as $k => $v) {
                if ($k === 'results') {
                    foreach ($v as $k2 => $v2) {
                        if (($r['json']['results'][$k2] ?? 'missing') !== $v2) {
                            $f[] = "results.$k2: expected " . json_encode($v2) . ', got ' . json_encode($r['json']['results'][$k2] ?? 'missing');
                        }
                    }
                } elseif (($r['json'][$k] ?? 'missing') !== $v) {
                    $f[] = "$k: expected " . json_encode($v) . ', got ' . json_encode($r['json'][$k] ?? 'missing');
                }
            }
            if (($r['headers']['x-mulopimfwc-engine'] ?? '') !== $engine) {
                $f[] = 'X-Mulopimfwc-Engine: ' . ($r['headers']['x-mulopimfwc-engine'] ?? 'missing') . ", expected $engine";
            }
            return array_merge($f, $store->verify($p, $outcome($r)));
        });
    }

    $run->test("X-Mulopimfwc-Engine header says '$engine'", function () use ($post, $engine, $siteKey, $restoreSite) {
        $restoreSite();
        $r = $post('{"items":[]}', ['X-API-Key' => $siteKey]);
        $f = [];
        if ($r['status'] !== 200) {
            $f[] = "status {$r['status']}: {$r['body']}";
        }
        if (($r['headers']['x-mulopimfwc-engine'] ?? null) !== $engine) {
            $f[] = 'header X-Mulopimfwc-Engine = ' . json_encode($r['headers']['x-mulopimfwc-engine'] ?? null) . ", expected $engine";
        }
        if (($r['json']['engine'] ?? null) !== $engine) {
            $f[] = 'body engine = ' . json_encode($r['json']['engine'] ?? null) . ", expected $engine";
        }
        return $f;
    });

    $run->test('filter mulopimfwc_force_php_engine forces the PHP engine', function () use ($post, $siteKey) {
        $r = $post('{"items":[]}', ['X-API-Key' => $siteKey, 'X-E2E-Force-PHP' => '1']);
        $f = [];
        if ($r['status'] !== 200 || ($r['headers']['x-mulopimfwc-engine'] ?? null) !== 'php' || ($r['json']['engine'] ?? null) !== 'php') {
            $f[] = "expected 200 with engine php, got {$r['status']} header " . json_encode($r['headers']['x-mulopimfwc-engine'] ?? null) . " body {$r['body']}";
        }
        return $f;
    });

    $run->test('our route wins over the location plugin\'s registration of the same route', function () use ($post, $siteKey, $http) {
        $f = [];
        $r = $post('{"items":[]}', ['X-API-Key' => $siteKey]);
        if (($r['json']['engine'] ?? null) === 'old' || !isset($r['json']['results'])) {
            $f[] = "the stand-in old registration answered: {$r['body']}";
        }
        // the stand-in is registered (proves the test means something): it is visible in the index
        $idx = $http->request('GET', '/?rest_route=/mulopimfwc/v1');
        $route = $idx['json']['routes']['/mulopimfwc/v1/inventory/bulk-sync'] ?? null;
        if ($route === null) {
            $f[] = "route not in the namespace index: {$idx['status']}";
        } elseif (count($route['endpoints'] ?? []) !== 1) {
            $f[] = 'expected our single endpoint (registered with override), index lists ' . count($route['endpoints'] ?? []);
        }
        // and without our key, the old one (permission __return_true) would have answered 200: ours says 401
        $r = $post('{"items":[]}');
        if ($r['status'] !== 401) {
            $f[] = "no key: expected 401 from our permission check, got {$r['status']}: {$r['body']}";
        }
        return $f;
    });

    $run->test("Server-Timing header: every phase, durations >= 0 adding up to no more than total ($engine engine)", function () use ($prepare, $seedCase, $post, $json, $restoreSite) {
        if ($seedCase === null) {
            return ['seed example case not found'];
        }
        $names = ['parse', 'resolve', 'lock', 'read', 'plan', 'write', 'follow-ons', 'total'];
        /** `name;dur=ms, ...` as name => ms, or a failure text. */
        $parse = static function (?string $h): array|string {
            if ($h === null || $h === '') {
                return 'no Server-Timing header';
            }
            $out = [];
            foreach (explode(',', $h) as $part) {
                if (!preg_match('/^\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+);dur=([0-9]+(?:\.[0-9]+)?)\s*$/', $part, $m)) {
                    return "not name;dur=ms: '$part' in '$h'";
                }
                $out[$m[1]] = (float) $m[2];
            }
            return $out;
        };
        $check = static function (string $what, array $r, int $status, array $want) use ($parse): array {
            if ($r['status'] !== $status) {
                return ["$what: status {$r['status']}, expected $status: {$r['body']}"];
            }
            $t = $parse($r['headers']['server-timing'] ?? null);
            if (is_string($t)) {
                return ["$what: $t"];
            }
            $f = [];
            if (array_keys($t) !== $want) {
                $f[] = "$what: names " . implode(',', array_keys($t)) . ', expected ' . implode(',', $want);
            }
            if (!isset($t['total'])) {
                return array_merge($f, ["$what: no total"]);
            }
            $sum = array_sum(array_diff_key($t, ['total' => 0]));
            if ($sum > $t['total'] + 0.0015) {
                $f[] = "$what: phases add up to $sum > total {$t['total']} ({$r['headers']['server-timing']})";
            }
            if (isset($r['json']['timings'])) {
                $f[] = "$what: timings in the JSON body";
            }
            return $f;
        };
        $p = $prepare($seedCase);
        $key = ['X-API-Key' => 'ct-test-api-key-5f1c2a9e7d'];
        $items = $p['case']['request']['items'];
        $f = [];
        try {
            $f = array_merge($f, $check('bulk-sync', $post($json($p['case']['request']), $key), 200, $names));
            $f = array_merge($f, $check('bulk-sync ?dry_run=1', $post($json($p['case']['request']), $key, null, '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync&dry_run=1'), 200, $names));
            $f = array_merge($f, $check('inventory/update', $post($json($items[0]), $key, null, '/wp-json/mulopimfwc/v1/inventory/update'), 200, $names));
            $f = array_merge($f, $check('webhook', $post($json($items[0]), $key, null, '/wp-json/mulopimfwc/v1/webhook/inventory-update'), 200, $names));
            $f = array_merge($f, $check('bulk-sync, item failed', $post('{"items":[{"sku":"NO-SUCH-SKU","location_slug":"main-store","stock":1}]}', $key), 200, $names));
            // A whole-request error the engine answered (it parsed the body): the header still says how long it took.
            $r = $post('{"items": 5}', $key);
            $t = $parse($r['headers']['server-timing'] ?? null);
            if ($r['status'] !== 400 || is_string($t) || !isset($t['total'])) {
                $f[] = "invalid_data: status {$r['status']}, Server-Timing " . json_encode($r['headers']['server-timing'] ?? null);
            } elseif (array_sum(array_diff_key($t, ['total' => 0])) > $t['total'] + 0.0015) {
                $f[] = 'invalid_data: phases add up to more than total: ' . $r['headers']['server-timing'];
            }
            // Refused before the engine: nothing ran, no header.
            $r = $post('{"items":[]}', ['X-API-Key' => 'wrong']);
            if (isset($r['headers']['server-timing'])) {
                $f[] = "refused request: Server-Timing {$r['headers']['server-timing']}";
            }
        } finally {
            $restoreSite();
        }
        return $f;
    });

    $run->test('/wp-json/... and ?rest_route=... both serve the route', function () use ($post, $siteKey, $ROUTE, $ROUTE_Q, $engine) {
        $f = [];
        foreach ([$ROUTE, $ROUTE_Q] as $route) {
            $r = $post('{"items":[{"sku":"NO-SUCH-SKU","location_slug":"main-store","stock":1}]}', ['X-API-Key' => $siteKey], null, $route);
            if ($r['status'] !== 200 || ($r['json']['results']['errors'] ?? null) !== ['Item 1: Product not found.'] || ($r['headers']['x-mulopimfwc-engine'] ?? '') !== $engine) {
                $f[] = "$route: {$r['status']} {$r['body']}";
            }
        }
        return $f;
    });
}

// ------------------------------------------------------------------------------------------------ auth
if ($want('auth') && $seedCase !== null) {
    $fixtureKey = 'ct-test-api-key-5f1c2a9e7d';
    /**
     * One auth test: seed the store, send the seed example with $headers / $userpwd, expect $status; for a
     * refusal nothing is written and the engine never ran (no X-Mulopimfwc-Engine header).
     */
    $authTest = function (string $name, array $headers, ?string $userpwd, int $status, ?callable $setup = null, ?string $route = null) use ($run, $prepare, $seedCase, $post, $json, $unchanged, $store, $outcome) {
        $run->test($name, function () use ($prepare, $seedCase, $headers, $userpwd, $status, $setup, $post, $json, $unchanged, $store, $outcome, $route) {
            $p = $prepare($seedCase);
            if ($setup) {
                $setup();
            }
            $p['before'] = $store->snapshotNow($p);
            $r = $post($json($p['case']['request']), $headers, $userpwd, $route ?? '');
            $f = [];
            if ($r['status'] !== $status) {
                $f[] = "expected status $status, got {$r['status']}: {$r['body']}";
            }
            if ($status === 200) {
                return array_merge($f, $store->verify($p, $outcome($r)));
            }
            if (!is_array($r['json']) || !isset($r['json']['code'], $r['json']['message'], $r['json']['data']['status'])) {
                $f[] = "not a WordPress error body: {$r['body']}";
            }
            if (isset($r['headers']['x-mulopimfwc-engine'])) {
                $f[] = 'the engine ran (X-Mulopimfwc-Engine: ' . $r['headers']['x-mulopimfwc-engine'] . ')';
            }
            return array_merge($f, $unchanged($p));
        });
    };
    $authTest('auth: no X-API-Key -> 401, nothing written, engine not run', [], null, 401);
    $authTest('auth: wrong X-API-Key -> 403, nothing written', ['X-API-Key' => 'wrong-key'], null, 403);
    $authTest('auth: key of a different length -> 403', ['X-API-Key' => $fixtureKey . 'x'], null, 403);
    $authTest('auth: key with different case -> 403', ['X-API-Key' => strtoupper($fixtureKey)], null, 403);
    $setEmpty = function () use ($conn) {
        $conn->query("UPDATE wp_options SET option_value = '' WHERE option_name = 'mulopimfwc_api_key'");
    };
    $deleteKey = function () use ($conn) {
        $conn->query("DELETE FROM wp_options WHERE option_name = 'mulopimfwc_api_key'");
    };
    $authTest('auth: empty stored key + empty X-API-Key header -> 401, nothing written', ['X-API-Key' => ''], null, 401, $setEmpty);
    $authTest('auth: empty stored key + no header -> 401', [], null, 401, $setEmpty);
    $authTest('auth: empty stored key + any key -> 403, nothing written', ['X-API-Key' => 'anything'], null, 403, $setEmpty);
    $authTest('auth: no stored key option + any key -> 403', ['X-API-Key' => 'anything'], null, 403, $deleteKey);
    $rawAuth = function (string $name, string $body, array $headers, int $status, array $codes) use ($run, $prepare, $seedCase, $post, $unchanged) {
        $run->test($name, function () use ($prepare, $seedCase, $body, $headers, $status, $codes, $post, $unchanged) {
            $p = $prepare($seedCase);
            $r = $post($body, $headers);
            $f = [];
            if ($r['status'] !== $status || !in_array($r['json']['code'] ?? null, $codes, true)) {
                $f[] = "expected $status " . implode('|', $codes) . ", got {$r['status']}: {$r['body']}";
            }
            return array_merge($f, $unchanged($p));
        });
    };
    $rawAuth('auth: no key + malformed JSON body -> 401 (auth before the body)', '{"items": [', [], 401, ['rest_forbidden']);
    $rawAuth('auth: wrong key + malformed JSON body -> 403 (auth before the body)', '{"items": [', ['X-API-Key' => 'wrong'], 403, ['rest_forbidden']);
    $rawAuth('auth: right key + malformed JSON body -> 400', '{"items": [', ['X-API-Key' => $fixtureKey], 400, ['invalid_data', 'rest_invalid_json']);
    $authTest('auth: right key -> 200 and written', ['X-API-Key' => $fixtureKey], null, 200);
    $authTest('auth: right key via ?rest_route= -> 200', ['X-API-Key' => $fixtureKey], null, 200, null, '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync');
    $authTest('auth: application password of the administrator (manage_woocommerce) -> 200', [], $env['E2E_ADMIN_USER'] . ':' . $env['E2E_APP_PASSWORD'], 200);
    $authTest('auth: application password of a shop manager (manage_woocommerce) -> 200', [], $env['E2E_SHOP_USER'] . ':' . $env['E2E_SHOP_APP_PASSWORD'], 200);
    $authTest('auth: application password of a subscriber (no manage_woocommerce) -> 403, nothing written', [], $env['E2E_NOCAP_USER'] . ':' . $env['E2E_NOCAP_APP_PASSWORD'], 403);
    $authTest('auth: subscriber\'s application password + wrong key -> 403', ['X-API-Key' => 'wrong'], $env['E2E_NOCAP_USER'] . ':' . $env['E2E_NOCAP_APP_PASSWORD'], 403);
    $authTest('auth: wrong application password -> 401, nothing written', [], $env['E2E_SHOP_USER'] . ':wrong wrong wrong wrong', 401);
    $authTest('auth: shop manager\'s application password + wrong key -> 200 (the user may sync)', ['X-API-Key' => 'wrong'], $env['E2E_SHOP_USER'] . ':' . $env['E2E_SHOP_APP_PASSWORD'], 200);
}

// ------------------------------------------------------------------------------------------------ errors
if ($want('errors') && $seedCase !== null) {
    $fixtureKey = 'ct-test-api-key-5f1c2a9e7d';
    $errTest = function (string $name, string $body, array $headers, int $status, array $codes, array $msgContains = [], ?callable $setup = null) use ($run, $prepare, $seedCase, $post, $unchanged, $fixtureKey, $store) {
        $run->test($name, function () use ($prepare, $seedCase, $body, $headers, $status, $codes, $msgContains, $setup, $post, $unchanged, $fixtureKey, $store) {
            $p = $prepare($seedCase);
            if ($setup) {
                $setup();
                $p['before'] = $store->snapshotNow($p);
            }
            $r = $post($body, $headers + ['X-API-Key' => $fixtureKey]);
            $f = [];
            if ($r['status'] !== $status || !in_array($r['json']['code'] ?? null, $codes, true)) {
                $f[] = "expected $status " . implode('|', $codes) . ", got {$r['status']}: " . substr($r['body'], 0, 300);
            }
            if (($r['json']['data']['status'] ?? null) !== $status) {
                $f[] = 'data.status should be ' . $status;
            }
            foreach ($msgContains as $s) {
                if (!str_contains((string) ($r['json']['message'] ?? ''), $s)) {
                    $f[] = "message should name $s: " . ($r['json']['message'] ?? '');
                }
            }
            return array_merge($f, $unchanged($p));
        });
    };
    $errTest('malformed JSON (application/json) -> 400 invalid_data or rest_invalid_json', '{"items": [', [], 400, ['invalid_data', 'rest_invalid_json']);
    $errTest('malformed JSON sent as text/plain (reaches our engine) -> 400 invalid_data', '{"items": [', ['Content-Type' => 'text/plain'], 400, ['invalid_data']);
    $errTest('empty body -> 400 invalid_data', '', [], 400, ['invalid_data']);
    $errTest('items not an array -> 400 invalid_data', '{"items": {"a": 1}}', [], 400, ['invalid_data']);
    $errTest('no items key -> 400 invalid_data', '{"products": []}', [], 400, ['invalid_data']);
    $items = static fn (int $n): string => '{"items":[' . implode(',', array_fill(0, $n, '{"sku":"PROD-001","location_slug":"main-store","stock":1}')) . ']}';
    $errTest('too many items (filter mulopimfwc_max_bulk_sync_items = 5 through the site) -> 400 too_many_items naming 5', $items(6), [], 400, ['too_many_items'], ['5'], function () use ($conn) {
        $conn->query("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('mulopimfwc_e2e_max_items', '5', 'yes')");
    });
    $default = $engine === 'native' ? 100000 : 1000;
    $errTest("too many items (default limit of the $engine engine, $default) -> 400 too_many_items naming $default", $items($default + 1), [], 400, ['too_many_items'], [(string) $default]);
    if ($engine === 'native') {
        $errTest('too many items on the native site with the PHP engine forced (its default 1000) -> 400 naming 1000', $items(1001), ['X-E2E-Force-PHP' => '1'], 400, ['too_many_items'], ['1000']);
    }
    $run->test('exactly the limit (5) is accepted', function () use ($prepare, $seedCase, $post, $items, $fixtureKey, $conn) {
        $prepare($seedCase);
        $conn->query("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('mulopimfwc_e2e_max_items', '5', 'yes')");
        $r = $post($items(5), ['X-API-Key' => $fixtureKey]);
        return ($r['status'] === 200 && ($r['json']['results']['success'] ?? null) === 5) ? [] : ["got {$r['status']}: " . substr($r['body'], 0, 300)];
    });
    $restoreSite();
}

// ------------------------------------------------------------------------------------------------ cache
if ($want('cache') && $seedCase !== null) {
    $fixtureKey = 'ct-test-api-key-5f1c2a9e7d';
    $run->test('a read in a later request (get_post_meta) sees the synced values', function () use ($prepare, $seedCase, $post, $http, $fixtureKey) {
        $p = $prepare($seedCase);
        $id = $p['ids']['post']['simple'];
        $loc = $p['ids']['loc']['main-store'];
        $f = [];
        $before = $http->request('GET', "/?rest_route=/mulopimfwc-e2e/v1/meta/$id", null, ['X-API-Key' => $fixtureKey]);
        if (($before['json']['meta']["_location_stock_$loc"] ?? null) !== ['3']) {
            $f[] = 'before: ' . substr($before['body'], 0, 300);
        }
        $r = $post('{"items":[{"product_id":' . $id . ',"location_id":' . $loc . ',"stock":77,"regular_price":"31.50"}]}', ['X-API-Key' => $fixtureKey]);
        if ($r['status'] !== 200 || ($r['json']['results']['success'] ?? 0) !== 1) {
            $f[] = "sync: {$r['status']} {$r['body']}";
        }
        $after = $http->request('GET', "/wp-json/mulopimfwc-e2e/v1/meta/$id", null, ['X-API-Key' => $fixtureKey]);
        $m = $after['json']['meta'] ?? [];
        if (($m["_location_stock_$loc"] ?? null) !== ['77'] || ($m["_location_regular_price_$loc"] ?? null) !== ['31.50'] || (float) ($m['_stock'][0] ?? -1) !== 77.0) {
            $f[] = 'after: ' . substr($after['body'], 0, 500);
        }
        return $f;
    });
    $cachedSync = function (bool $forcePhp) use ($prepare, $seedCase, $http, $fixtureKey, $engine) {
        $p = $prepare($seedCase);
        $id = $p['ids']['post']['simple'];
        $loc = $p['ids']['loc']['main-store'];
        $r = $http->request('POST', "/?rest_route=/mulopimfwc-e2e/v1/cached-sync/$id",
            '{"items":[{"sku":"PROD-001","location_slug":"main-store","stock":42,"sale_price":"9.99"}]}',
            ['X-API-Key' => $fixtureKey, 'Content-Type' => 'application/json'] + ($forcePhp ? ['X-E2E-Force-PHP' => '1'] : []));
        $j = $r['json'];
        $f = [];
        if ($r['status'] !== 200) {
            return ["{$r['status']}: {$r['body']}"];
        }
        $want = $forcePhp ? 'php' : $engine;
        if (($j['engine'] ?? null) !== $want || ($j['result_engine'] ?? null) !== $want) {
            $f[] = "engine {$j['engine']} / {$j['result_engine']}, expected $want";
        }
        if (($j['primed'] ?? false) !== true) {
            $f[] = 'wp_cache did not hold post_meta after get_post_meta(): the test proves nothing';
        }
        if (($j['cache_present_after_sync'] ?? true) !== false) {
            // cached again after the sync (WooCommerce's stock actions load the product): only the new values will do
            $c = $j['cache_after_sync'] ?? null;
            if (!is_array($c) || ($c["_location_stock_$loc"] ?? null) !== ['42'] || ($c["_location_sale_price_$loc"] ?? null) !== ['9.99']) {
                $f[] = "wp_cache_get($id, 'post_meta') still holds the old meta after the sync: " . json_encode($c["_location_stock_$loc"] ?? $c);
            }
        }
        if (($j['before']["_location_stock_$loc"] ?? null) !== ['3']) {
            $f[] = 'before: ' . json_encode($j['before']["_location_stock_$loc"] ?? null);
        }
        if (($j['after']["_location_stock_$loc"] ?? null) !== ['42'] || ($j['after']["_location_sale_price_$loc"] ?? null) !== ['9.99']) {
            $f[] = 'get_post_meta() after the sync in the same request: ' . json_encode([$j['after']["_location_stock_$loc"] ?? null, $j['after']["_location_sale_price_$loc"] ?? null]);
        }
        if ((float) ($j['after']['_stock'][0] ?? -1) !== 42.0) {
            $f[] = '_stock after: ' . json_encode($j['after']['_stock'] ?? null);
        }
        $done = $j['completed_actions'] ?? [];
        if (count($done) !== 1 || !in_array($id, array_map('intval', (array) ($done[0]['changed_product_ids'] ?? [])), true)) {
            $f[] = 'action mulopimfwc_bulk_sync_completed: ' . json_encode($done);
        }
        return $f;
    };
    $run->test("same request: object cache post_meta invalidated by the sync ($engine engine)", fn () => $cachedSync(false));
    if ($engine === 'native') {
        $run->test('same request: object cache post_meta invalidated by the sync (PHP engine forced)', fn () => $cachedSync(true));
    }
    $restoreSite();
}

// ------------------------------------------------------------------------------------------------ contract
if ($want('contract')) {
    $optionMap = [
        'max_items' => 'mulopimfwc_e2e_max_items',              // read by the mu-plugin's mulopimfwc_max_bulk_sync_items filter
        'price_decimal_sep' => 'woocommerce_price_decimal_sep',
        'primary_location' => 'mulopimfwc_primary_location',
        'notify_no_stock_amount' => 'woocommerce_notify_no_stock_amount',
    ];
    $n = 0;
    foreach ($cases as $key => $case) {
        if (!$match($key)) {
            continue;
        }
        $name = "contract $key";
        $skip = null;
        $query = ''; // the engine option dry_run is the route's ?dry_run= (issue 6)
        if (isset($case['db_options'])) {
            $skip = 'db_options: the engine behind the REST route uses the site\'s own DB settings (native-only case, tests/php)';
        } elseif (($case['prefix'] ?? 'wp_') !== 'wp_') {
            $skip = "table prefix {$case['prefix']}: the e2e site is a single site with prefix wp_ (covered by tests/php and php/tests)";
        } else {
            foreach ($case['options'] ?? [] as $ok => $ov) {
                if ($ok === 'dry_run') {
                    $query = $ov ? '?dry_run=1' : '?dry_run=0';
                    continue;
                }
                if (!isset($optionMap[$ok])) {
                    $skip = "engine option $ok cannot be passed through the REST route";
                    break;
                }
                $case['site_options'][$optionMap[$ok]] = $ov;
            }
            unset($case['options']);
        }
        if ($skip !== null) {
            $run->skip($name, $skip);
            continue;
        }
        $run->test($name, function () use ($case, $prepare, $post, $json, $outcome, $store, $conn, $engine, $restoreSite, $short, $query, $ROUTE) {
            $p = $prepare($case);
            try {
                $c = $p['case'];
                $body = array_key_exists('raw_body', $c) ? (string) $c['raw_body'] : $json($c['request']);
                $key = (string) $conn->query("SELECT option_value FROM wp_options WHERE option_name = 'mulopimfwc_api_key'")->fetch_row()[0];
                $r = $post($body, ['X-API-Key' => $key], null, $query !== '' ? $ROUTE . $query : '');
                $f = $store->verify($p, $outcome($r));
                if ($r['status'] === 200 && ($r['headers']['x-mulopimfwc-engine'] ?? null) !== $engine) {
                    $f[] = 'X-Mulopimfwc-Engine: ' . json_encode($r['headers']['x-mulopimfwc-engine'] ?? null);
                }
                if ($f) {
                    $f[] = 'request: ' . $short($body);
                    $f[] = "response {$r['status']}: " . $short($r['body']);
                }
                return $f;
            } finally {
                if (!empty($case['drop_tables'])) {
                    $restoreSite();
                }
            }
        });
        $n++;
    }
    $restoreSite();
}

// ------------------------------------------------------------------------------------------------ logs
if ($want('logs')) {
    $run->test('no PHP error, warning or notice from the plugin in the site\'s logs', fn () => plugin_log_errors($env));
}

$restoreSite();
exit($run->finish());
