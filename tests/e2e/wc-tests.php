<?php
/**
 * What a shop owner sees after a bulk sync, on a real WooCommerce store (issue 10, parts 2-4), against one e2e site
 * (tests/e2e/lib/site.sh start NAME --stack wc79|wc105 [--redis] [--product-cache]):
 *
 *   php tests/e2e/wc-tests.php target/e2e/NAME/env [--filter SUBSTRING]
 *
 * Products are made by WooCommerce's API (tests/e2e/lib/wc-setup.php through WP-CLI); syncs go over HTTP (REST with
 * X-API-Key) and move stock across zero and back; everything is read back in a request of its own (the test
 * endpoints of tests/e2e/lib/mulopimfwc-test-helpers.php, the Store API, wc/v3): wc_get_product(), the lookup
 * rows, the outofstock visibility term and its count, variable parents, the attributes lookup table's in_stock,
 * WooCommerce's transients, the hooks fired (with the values the product objects held). Before each sync a request
 * loads every product, so that a persistent object cache holds the old values. A native site runs the passes of
 * both engines (the PHP engine through the header X-E2E-Force-PHP), a php site the PHP engine's.
 * Ends with `E2E-COUNTS wc-<stack>-<engine>[-redis][-pc] passed=N failed=M skipped=K`.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

require __DIR__ . '/lib/TestRun.php';

[$env, $opt] = driver_start($argv, 'php tests/e2e/wc-tests.php target/e2e/NAME/env [--filter SUBSTRING]');
$repo = dirname(__DIR__, 2);
$stack = $env['E2E_STACK'] ?? 'wc79';
$siteEngine = $env['E2E_ENGINE'] ?? 'native';
$redis = ($env['E2E_REDIS_SOCKET'] ?? '') !== '';
$productCache = ($env['E2E_PRODUCT_CACHE'] ?? '0') === '1';
$suite = "wc-$stack-$siteEngine" . ($redis ? '-redis' : '') . ($productCache ? '-pc' : '');
$run = new TestRun($suite, false, 12, $opt['filter']);
$http = new Http($env['E2E_URL']);
$test = $run->test(...);

if ($stack === 'nowc') {
    $run->skip('WooCommerce store', 'site has no WooCommerce (stack nowc)');
    exit($run->finish());
}

/** The test endpoints and the plugin's route, as JSON. */
$api = static function (string $method, string $route, $body = null, array $headers = []) use ($http, $env): array {
    $r = $http->request($method, '/?rest_route=' . $route, $body === null ? null : (is_string($body) ? $body : json_encode($body)),
        ['X-API-Key' => $env['E2E_API_KEY'], 'Content-Type' => 'application/json'] + $headers);
    if ($r['status'] !== 200 || !is_array($r['json'])) {
        throw new \RuntimeException("$method $route: HTTP {$r['status']}: " . substr($r['body'], 0, 600));
    }
    return $r['json'];
};

/** WP-CLI in the site (real WP-CLI), returns stdout; throws on a non-zero exit. */
$wp = static function (array $argv) use ($env): string {
    $cmd = array_merge([$env['E2E_WP_CLI'], '--path=' . $env['E2E_WP_DIR']], $argv);
    $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, ['WP_CLI_ALLOW_ROOT' => '1'] + getenv());
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    $rc = proc_close($p);
    if ($rc !== 0) {
        throw new \RuntimeException('wp ' . implode(' ', $argv) . " exited $rc: " . trim($err . "\n" . $out));
    }
    return (string) $out;
};

/**
 * Compare what WooCommerce reports with what is expected.
 * $expect: key => [qty (int|null|'-' = not checked), status, checks...].
 */
$checkProducts = static function (array $state, array $ids, array $expect, array $what) use ($siteEngine): array {
    $f = [];
    foreach ($expect as $key => [$qty, $status]) {
        $id = $ids[$key];
        $s = $state['products'][(string) $id] ?? $state['products'][$id] ?? null;
        if (!is_array($s)) {
            $f[] = "$key ($id): no state";
            continue;
        }
        $inStock = $status !== 'outofstock';
        $parentManaged = ($s['manage_stock'] ?? null) === 'parent';
        if (in_array('product', $what, true)) {
            if ($qty !== '-' && (($s['qty'] === null) !== ($qty === null) || ($qty !== null && (float) $s['qty'] !== (float) $qty))) {
                $f[] = "$key ($id): wc_get_product()->get_stock_quantity() = " . json_encode($s['qty']) . ', expected ' . json_encode($qty) . ' (in the database: ' . json_encode($s['db_stock']) . ')';
            }
            if (($s['status'] ?? null) !== $status) {
                $f[] = "$key ($id): get_stock_status() = " . json_encode($s['status'] ?? null) . ", expected $status (in the database: " . json_encode($s['db_stock_status']) . ')';
            }
            if (($s['in_stock'] ?? null) !== $inStock) {
                $f[] = "$key ($id): is_in_stock() = " . json_encode($s['in_stock'] ?? null);
            }
            if ($qty !== '-' && $qty !== null && (float) $s['meta_stock'] !== (float) $qty) {
                $f[] = "$key ($id): get_post_meta(_stock) = " . json_encode($s['meta_stock']);
            }
        }
        if (in_array('lookup', $what, true)) {
            $l = $s['lookup'] ?? null;
            if (!is_array($l)) {
                $f[] = "$key ($id): no wc_product_meta_lookup row";
            } else {
                if ($l['stock_status'] !== $status) {
                    $f[] = "$key ($id): wc_product_meta_lookup.stock_status = {$l['stock_status']}, expected $status";
                }
                if ($qty !== '-' && $qty !== null && !$parentManaged && (float) $l['stock_quantity'] !== (float) $qty) {
                    $f[] = "$key ($id): wc_product_meta_lookup.stock_quantity = " . json_encode($l['stock_quantity']) . ", expected $qty";
                }
            }
        }
        if (in_array('term', $what, true) && !$parentManaged) {
            $want = $status === 'outofstock';
            if ($s['outofstock_db'] !== $want) {
                $f[] = "$key ($id): outofstock term in the database: " . json_encode($s['outofstock_db']) . ', expected ' . json_encode($want);
            }
            if ($s['outofstock_term'] !== $want) {
                $f[] = "$key ($id): has_term('outofstock') = " . json_encode($s['outofstock_term']) . ', expected ' . json_encode($want) . ' (term cache stale)';
            }
        }
        if (in_array('attr', $what, true) && !$parentManaged) {
            $rows = $s['attr_lookup'] ?? [];
            $type = $s['type'] ?? '';
            // A variable product's own rows are its non-variation attributes (pa_color); simple products and
            // variations have rows of pa_size.
            if (!$rows) {
                $f[] = "$key ($id): no rows in wc_product_attributes_lookup (the test would prove nothing)";
            }
            foreach ($rows as $row) {
                if ((int) $row['in_stock'] !== ($inStock ? 1 : 0)) {
                    $f[] = "$key ($id, $type): wc_product_attributes_lookup {$row['taxonomy']} term {$row['term_id']} in_stock = {$row['in_stock']}, expected " . ($inStock ? 1 : 0);
                }
            }
        }
    }
    if (in_array('term', $what, true) && isset($state['outofstock_real'])) {
        if ($state['outofstock_db'] !== $state['outofstock_real'] || $state['outofstock_count'] !== $state['outofstock_real']) {
            $f[] = "outofstock term count: get_term() says {$state['outofstock_count']}, the row says {$state['outofstock_db']}, published objects with the term: {$state['outofstock_real']}";
        }
    }
    return $f;
};

/** The hooks recorded in the sync's request: which fired for which id, with which values. */
$checkHooks = static function (array $state, array $ids, array $expect, array $hooks): array {
    $f = [];
    $byHook = [];
    foreach ($state['hooks'] as $h) {
        $byHook[$h['hook']][(int) ($h['id'] ?? 0)][] = $h;
    }
    $name = array_flip($ids);
    foreach ($hooks as $hook => $keys) {
        $gotIds = array_keys($byHook[$hook] ?? []);
        $wantIds = array_map(static fn ($k) => $ids[$k], $keys);
        sort($gotIds);
        sort($wantIds);
        if ($gotIds !== $wantIds) {
            $f[] = "$hook fired for [" . implode(', ', array_map(static fn ($i) => $name[$i] ?? $i, $gotIds)) . '], expected [' . implode(', ', $keys) . ']';
        }
        foreach ($keys as $k) {
            foreach ($byHook[$hook][$ids[$k]] ?? [] as $h) {
                if (count($byHook[$hook][$ids[$k]]) > 1) {
                    $f[] = "$hook fired " . count($byHook[$hook][$ids[$k]]) . " times for $k";
                    break;
                }
                if (!array_key_exists('status', $h)) {
                    continue; // an id-only hook
                }
                [$qty, $status] = $expect[$k];
                if ($h['status'] !== $status || ($qty !== '-' && $qty !== null && (float) $h['qty'] !== (float) $qty)) {
                    $f[] = "$hook($k): the product object held stock " . json_encode($h['qty']) . " / {$h['status']}, expected " . json_encode($qty) . " / $status";
                }
                if (array_key_exists('arg_status', $h) && $h['arg_status'] !== $status) {
                    $f[] = "$hook($k): status argument " . json_encode($h['arg_status']) . ", expected $status";
                }
            }
        }
    }
    return $f;
};

$storeApi = static function (int $id) use ($http): array {
    $r = $http->request('GET', "/?rest_route=/wc/store/v1/products/$id");
    if ($r['status'] !== 200 || !is_array($r['json'])) {
        throw new \RuntimeException("Store API product $id: HTTP {$r['status']}: " . substr($r['body'], 0, 300));
    }
    return $r['json'];
};
$v3 = static function (string $path) use ($http, $env): array {
    $r = $http->request('GET', '/?rest_route=/wc/v3/' . $path, null, [], $env['E2E_ADMIN_USER'] . ':' . $env['E2E_APP_PASSWORD']);
    if ($r['status'] !== 200 || !is_array($r['json'])) {
        throw new \RuntimeException("wc/v3/$path: HTTP {$r['status']}: " . substr($r['body'], 0, 300));
    }
    return $r['json'];
};

// ------------------------------------------------------------------------------------------------ declarations
$test('WooCommerce lists the plugin as compatible with custom_order_tables' . ($stack === 'wc105' ? ' and product_instance_caching' : ''), function () use ($api, $stack, $productCache) {
    $c = $api('GET', '/mulopimfwc-e2e/v1/wc-compat');
    if (isset($c['error'])) {
        return [$c['error']];
    }
    $f = [];
    $features = $stack === 'wc105' ? ['custom_order_tables', 'product_instance_caching'] : ['custom_order_tables'];
    foreach ($features as $feature) {
        $x = $c[$feature] ?? [];
        if (($x['compatible'] ?? false) !== true || ($x['incompatible'] ?? true) !== false || ($x['uncertain'] ?? true) !== false) {
            $f[] = "$feature: " . json_encode($x) . " for {$c['plugin']}";
        }
    }
    if ($productCache && ($c['product_instance_caching']['enabled'] ?? false) !== true) {
        $f[] = 'product_instance_caching is not enabled on a --product-cache site: ' . json_encode($c['product_instance_caching'] ?? null);
    }
    return $f;
});
$test('plugin headers: Requires Plugins, WC requires at least, WC tested up to', function () use ($repo) {
    $f = [];
    foreach (['php/mulopimfwc-bulk-sync.php', 'php/readme.txt'] as $file) {
        $text = (string) file_get_contents("$repo/$file");
        foreach (['Requires Plugins:\s*woocommerce', 'WC requires at least:\s*\d', 'WC tested up to:\s*\d'] as $re) {
            if (!preg_match("/$re/i", $text)) {
                $f[] = "$file lacks /$re/";
            }
        }
    }
    return $f;
});

// ------------------------------------------------------------------------------------------------ engine passes
$passes = $siteEngine === 'native' ? ['native', 'php'] : ['php'];
// A run of its own on the same site: SKUs of this run only.
$runId = substr(md5(uniqid('', true)), 0, 4);
$prefixes = array_map(static fn ($e) => ($e === 'native' ? 'N' : 'P') . $runId, $passes);
$bulk = 12;
$setup = null;
$test('setup: products made by WooCommerce (' . implode(', ', $prefixes) . '), attributes lookup rows present', function () use ($wp, $repo, $prefixes, $bulk, &$setup, $api) {
    $out = $wp(['eval-file', "$repo/tests/e2e/lib/wc-setup.php", implode(',', $prefixes), (string) $bulk]);
    $lines = array_values(array_filter(explode("\n", trim($out)), static fn ($l) => str_starts_with($l, '{')));
    $setup = $lines ? json_decode(end($lines), true) : null;
    if (!is_array($setup) || empty($setup['sets'])) {
        $setup = null;
        return ['wc-setup.php printed no ids: ' . substr($out, 0, 500)];
    }
    $f = [];
    foreach ($setup['sets'] as $prefix => $ids) {
        $st = $api('POST', '/mulopimfwc-e2e/v1/wc-state', ['ids' => array_values($ids)]);
        foreach (['S1', 'V1-S', 'V1', 'V3', 'B01'] as $k) {
            $s = $st['products'][(string) $ids[$k]];
            if (!$s['attr_lookup'] || (int) $s['attr_lookup'][0]['in_stock'] !== 1) {
                $f[] = "$prefix-$k: attributes lookup rows " . json_encode($s['attr_lookup']);
            }
            if (($s['in_stock'] ?? false) !== true) {
                $f[] = "$prefix-$k: not in stock after setup";
            }
        }
        if ((float) $st['products'][(string) $ids['S1']]['qty'] !== 5.0) {
            $f[] = "$prefix-S1 stock after setup: " . json_encode($st['products'][(string) $ids['S1']]['qty']);
        }
    }
    return $f;
});
foreach ($passes as $engine) {
    $force = ($engine === 'php' && $siteEngine === 'native') ? ['X-E2E-Force-PHP' => '1'] : [];
    $tag = "[$engine]";
    $prefix = ($engine === 'native' ? 'N' : 'P') . $runId;
    if (!is_array($setup)) {
        $run->skip("$tag the sync tests", 'setup failed');
        continue;
    }
    $ids = $setup['sets'][$prefix];
    $loc = $setup['location']['slug'];
    $allIds = array_values($ids);
    $item = static fn (string $key, int $stock) => ['sku' => "$prefix-$key", 'location_slug' => $loc, 'stock' => $stock];
    $transientsFor = static function (array $keys) use ($ids): array {
        $t = ['wc_outofstock_count' => 7, 'wc_low_stock_count' => 7, 'wc_products_onsale' => [1], 'wc_featured_products' => [1],
              'wc_layered_nav_counts_pa_size' => ['stale'], 'wc_layered_nav_counts_pa_color' => ['stale']];
        foreach ($keys as $k) {
            foreach (['wc_product_children_', 'wc_var_prices_', 'wc_related_', 'wc_child_has_weight_', 'wc_child_has_dimensions_'] as $pfx) {
                $t[$pfx . $ids[$k]] = ['stale'];
            }
        }
        return $t;
    };

    /** One scenario: prime caches, sync over HTTP, read back in new requests, check everything. */
    $scenario = function (string $label, array $items, array $expect, array $hooks, array $transientKeys, array $options = [], array $storeChecks = [])
        use ($api, $force, $tag, $ids, $allIds, $checkProducts, $checkHooks, $test, $storeApi, $v3, $engine, $transientsFor) {
        $transients = $transientsFor($transientKeys);
        $state = null;
        $dash = 0;
        $test("$tag $label: sync over REST", function () use ($api, $allIds, $transients, $options, $items, $force, $engine, &$state, &$dash) {
            $before = $api('POST', '/mulopimfwc-e2e/v1/wc-prime', ['ids' => $allIds, 'transients' => $transients, 'options' => $options]);
            $dash = (int) $before['dashboard_version'];
            $missing = array_keys(array_filter($before['transients'], static fn ($v) => $v !== true));
            $r = $api('POST', '/mulopimfwc/v1/inventory/bulk-sync', ['items' => $items], $force);
            $f = [];
            if ($missing) {
                $f[] = 'transients not set before the sync (the test would prove nothing): ' . implode(', ', $missing);
            }
            if (($r['results']['success'] ?? 0) !== count($items) || ($r['engine'] ?? null) !== $engine) {
                $f[] = 'sync: ' . json_encode($r);
            }
            $state = $api('POST', '/mulopimfwc-e2e/v1/wc-state', ['ids' => $allIds, 'transients' => array_keys($transients)]);
            return $f;
        });
        if ($state === null) {
            return;
        }
        $exp = array_intersect_key($expect, array_flip(array_keys($expect)));
        $test("$tag $label: wc_get_product() stock quantity, stock status, is_in_stock() (new request)", fn () => $checkProducts($state, $ids, $exp, ['product']));
        $test("$tag $label: wc_product_meta_lookup rows", fn () => $checkProducts($state, $ids, $exp, ['lookup']));
        $test("$tag $label: outofstock visibility term and its count", fn () => $checkProducts($state, $ids, $exp, ['term']));
        $test("$tag $label: wc_product_attributes_lookup.in_stock", fn () => $checkProducts($state, $ids, $exp, ['attr']) ?: (($state['pending_lookup'] ?? 0) > 0 ? ['Action Scheduler holds ' . $state['pending_lookup'] . ' pending lookup updates'] : []));
        $test("$tag $label: WooCommerce's product and shop-wide transients gone", function () use ($state) {
            $left = array_keys(array_filter($state['transients']));
            return $left ? ['still set: ' . implode(', ', $left)] : [];
        });
        $test("$tag $label: \$product->get_meta() of the location meta (WooCommerce's object meta cache) equals the rows", function () use ($state, $ids) {
            $f = [];
            $checked = 0;
            foreach ($ids as $key => $id) {
                $p = $state['products'][$id] ?? $state['products'][(string) $id] ?? null;
                if (!is_array($p) || !array_key_exists('db_location_meta', $p)) {
                    $f[] = "$key: no state";
                } elseif ($p['db_location_meta']) {
                    $checked++;
                    if ($p['wc_location_meta'] !== $p['db_location_meta']) {
                        $f[] = "$key: get_meta() " . json_encode($p['wc_location_meta']) . ' but rows ' . json_encode($p['db_location_meta']);
                    }
                }
            }
            return $checked ? $f : array_merge($f, ['no product has location meta rows (the test would prove nothing)']);
        });
        $stockHooks = array_intersect_key($hooks, array_flip(['woocommerce_product_set_stock', 'woocommerce_variation_set_stock', 'woocommerce_product_set_stock_status', 'woocommerce_variation_set_stock_status']));
        $test("$tag $label: WooCommerce's stock actions fired with product objects holding the new values", fn () => $checkHooks($state, $ids, $expect, $stockHooks));
        $saveHooks = array_intersect_key($hooks, array_flip(['woocommerce_updated_product_stock', 'woocommerce_update_product', 'woocommerce_update_product_variation']));
        $test("$tag $label: woocommerce_updated_product_stock, woocommerce_update_product(_variation) fired", fn () => $checkHooks($state, $ids, $expect, $saveHooks));
        $test("$tag $label: meta API hooks for the rows written (new value readable), dashboard cache bumped", function () use ($state, $ids, $items, $dash) {
            $f = [];
            $meta = array_values(array_filter($state['hooks'], static fn ($h) => str_ends_with($h['hook'], '_post_meta')));
            $name = array_flip($ids);
            foreach ($items as $it) {
                $key = substr($it['sku'], strpos($it['sku'], '-') + 1);
                $id = $ids[$key];
                $loc = array_filter($meta, static fn ($h) => $h['id'] === $id && str_starts_with($h['key'], '_location_stock_'));
                if (!$loc || (string) end($loc)['value'] !== (string) $it['stock']) {
                    $f[] = "$key: no added/updated_post_meta of _location_stock_* with value {$it['stock']}: " . json_encode(array_values($loc));
                }
                $stock = array_filter($meta, static fn ($h) => $h['id'] === $id && $h['key'] === '_stock');
                if ($key !== 'V2-S' && (!$stock || (float) end($stock)['value'] !== (float) $it['stock'])) {
                    $f[] = "$key: no updated_post_meta of _stock with value {$it['stock']}";
                }
            }
            foreach ($meta as $h) {
                if ($h['hook'] !== 'deleted_post_meta' && (string) $h['read'] !== (string) $h['value']) {
                    $f[] = "{$h['hook']}(" . ($name[$h['id']] ?? $h['id']) . ", {$h['key']}): get_post_meta() read " . json_encode($h['read']) . ' while the hook said ' . json_encode($h['value']);
                }
                if ($h['hook'] !== 'deleted_post_meta' && !((int) $h['meta_id'] > 0)) {
                    $f[] = "{$h['hook']}(" . ($name[$h['id']] ?? $h['id']) . ", {$h['key']}): meta_id " . json_encode($h['meta_id']);
                }
            }
            if ($state['dashboard_version'] <= $dash) {
                $f[] = "mulopimfwc_dashboard_cache_version not bumped ($dash before, {$state['dashboard_version']} after)";
            }
            return array_slice($f, 0, 20);
        });
        $test("$tag $label: mulopimfwc_bulk_sync_completed fired once (source rest)", function () use ($state) {
            $c = array_values(array_filter($state['hooks'], static fn ($h) => $h['hook'] === 'mulopimfwc_bulk_sync_completed'));
            return (count($c) === 1 && ($c[0]['context']['source'] ?? null) === 'rest') ? [] : ['fired: ' . json_encode($c)];
        });
        if ($storeChecks) {
            $test("$tag $label: Store API and wc/v3 report the new stock", function () use ($storeChecks, $ids, $expect, $storeApi, $v3) {
                $f = [];
                foreach ($storeChecks as $k) {
                    [$qty, $status] = $expect[$k];
                    $s = $storeApi($ids[$k]);
                    if (($s['is_in_stock'] ?? null) !== ($status !== 'outofstock')) {
                        $f[] = "store/v1/products/$k: is_in_stock " . json_encode($s['is_in_stock'] ?? null) . ", expected status $status";
                    }
                    $parent = null;
                    foreach (['V1', 'V2', 'V3'] as $p) {
                        if (str_starts_with($k, "$p-")) {
                            $parent = $p;
                        }
                    }
                    $w = $v3($parent ? "products/{$ids[$parent]}/variations/{$ids[$k]}" : "products/{$ids[$k]}");
                    if (($w['stock_status'] ?? null) !== $status) {
                        $f[] = "wc/v3 $k: stock_status " . json_encode($w['stock_status'] ?? null) . ", expected $status";
                    }
                    if ($qty !== '-' && $qty !== null && ($w['manage_stock'] ?? null) === true && (float) ($w['stock_quantity'] ?? -1) !== (float) $qty) {
                        $f[] = "wc/v3 $k: stock_quantity " . json_encode($w['stock_quantity'] ?? null) . ", expected $qty";
                    }
                }
                return $f;
            });
        }
    };

    $recordOn = ['mulopimfwc_e2e_record_hooks' => '1', 'mulopimfwc_e2e_chunk' => null];

    // A: across zero. S2 only changes its quantity; V1 keeps one variation in stock; V3 loses both; V2's parent
    // manages the stock of its variations.
    $scenario('to zero', [$item('S1', 0), $item('S2', 7), $item('V1-S', 0), $item('V3-S', 0), $item('V3-M', 0), $item('V2', 0)],
        ['S1' => [0, 'outofstock'], 'S2' => [7, 'instock'], 'V1' => [null, 'instock'], 'V1-S' => [0, 'outofstock'], 'V1-M' => [3, 'instock'],
         'V3' => [null, 'outofstock'], 'V3-S' => [0, 'outofstock'], 'V3-M' => [0, 'outofstock'], 'V2' => [0, 'outofstock'],
         'V2-S' => ['-', 'outofstock'], 'V2-M' => ['-', 'outofstock']],
        [
            'woocommerce_product_set_stock' => ['S1', 'S2', 'V2'],
            'woocommerce_variation_set_stock' => ['V1-S', 'V3-S', 'V3-M'],
            'woocommerce_product_set_stock_status' => ['S1', 'V3', 'V2'],
            'woocommerce_variation_set_stock_status' => ['V1-S', 'V3-S', 'V3-M'],
            'woocommerce_updated_product_stock' => ['S1', 'S2', 'V1-S', 'V3-S', 'V3-M', 'V2'],
            'woocommerce_update_product' => ['S1', 'S2', 'V3', 'V2'],
            'woocommerce_update_product_variation' => ['V1-S', 'V3-S', 'V3-M'],
        ],
        ['S1', 'S2', 'V1', 'V1-S', 'V3', 'V3-S', 'V2'], $recordOn, ['S1', 'S2', 'V1', 'V3', 'V1-S', 'V2']);

    // B: back above zero.
    $scenario('back above zero', [$item('S1', 4), $item('V1-S', 2), $item('V3-S', 1), $item('V2', 3)],
        ['S1' => [4, 'instock'], 'S2' => [7, 'instock'], 'V1' => [null, 'instock'], 'V1-S' => [2, 'instock'], 'V1-M' => [3, 'instock'],
         'V3' => [null, 'instock'], 'V3-S' => [1, 'instock'], 'V3-M' => [0, 'outofstock'], 'V2' => [3, 'instock'],
         'V2-S' => ['-', 'instock'], 'V2-M' => ['-', 'instock']],
        [
            'woocommerce_product_set_stock' => ['S1', 'V2'],
            'woocommerce_variation_set_stock' => ['V1-S', 'V3-S'],
            'woocommerce_product_set_stock_status' => ['S1', 'V3', 'V2'],
            'woocommerce_variation_set_stock_status' => ['V1-S', 'V3-S'],
            'woocommerce_updated_product_stock' => ['S1', 'V1-S', 'V3-S', 'V2'],
            'woocommerce_update_product' => ['S1', 'V3', 'V2'],
            'woocommerce_update_product_variation' => ['V1-S', 'V3-S'],
        ],
        ['S1', 'V1', 'V1-S', 'V3', 'V3-S', 'V2'], $recordOn, ['S1', 'V3-S']);

    // C: a large request's path (the follow-ons in chunks of 2; the old code's clean_post_cache limit at 2 too).
    $bkeys = array_map(static fn ($i) => sprintf('B%02d', $i), range(1, $bulk));
    foreach ([[0, 'outofstock'], [5, 'instock']] as [$n, $status]) {
        $scenario("chunked, $bulk products to $n (the path of > 2,000 changed products)", array_map(static fn ($k) => $item($k, $n), $bkeys),
            array_fill_keys($bkeys, [$n, $status]),
            [
                'woocommerce_product_set_stock' => $bkeys,
                'woocommerce_product_set_stock_status' => $bkeys,
                'woocommerce_updated_product_stock' => $bkeys,
                'woocommerce_update_product' => $bkeys,
            ],
            $bkeys, ['mulopimfwc_e2e_record_hooks' => '1', 'mulopimfwc_e2e_chunk' => '2'], [$bkeys[$bulk - 1]]);
    }

    // D: a PHP caller of mulopimfwc_bulk_sync_engine()->run() (caches loaded in its request first).
    $phpExpect = ['S2' => [0, 'outofstock'], 'V1-M' => [0, 'outofstock'], 'V1' => [null, 'instock'], 'V1-S' => [2, 'instock']];
    $test("$tag PHP caller of mulopimfwc_bulk_sync_engine()->run(): same request and next request see the sync, hooks fired", function () use ($api, $ids, $allIds, $item, $force, $engine, $phpExpect, $checkProducts, $checkHooks) {
        $api('POST', '/mulopimfwc-e2e/v1/wc-prime', ['ids' => $allIds, 'options' => ['mulopimfwc_e2e_record_hooks' => '1', 'mulopimfwc_e2e_chunk' => null]]);
        $r = $api('POST', '/mulopimfwc-e2e/v1/php-run', ['ids' => [$ids['S2'], $ids['V1-M'], $ids['V1']], 'payload' => ['items' => [$item('S2', 0), $item('V1-M', 0)]]], $force);
        $f = [];
        if (($r['engine'] ?? null) !== $engine || ($r['results']['success'] ?? 0) !== 2) {
            $f[] = 'run(): ' . json_encode($r);
        }
        foreach ($checkProducts(['products' => $r['after']], $ids, array_intersect_key($phpExpect, array_flip(['S2', 'V1-M', 'V1'])), ['product', 'term']) as $m) {
            $f[] = "same request: $m";
        }
        $state = $api('POST', '/mulopimfwc-e2e/v1/wc-state', ['ids' => $allIds]);
        foreach ($checkProducts($state, $ids, $phpExpect, ['product', 'lookup', 'term', 'attr']) as $m) {
            $f[] = "next request: $m";
        }
        $f = array_merge($f, $checkHooks($state, $ids, $phpExpect, [
            'woocommerce_product_set_stock' => ['S2'],
            'woocommerce_variation_set_stock' => ['V1-M'],
            'woocommerce_product_set_stock_status' => ['S2'],
            'woocommerce_variation_set_stock_status' => ['V1-M'],
            'woocommerce_updated_product_stock' => ['S2', 'V1-M'],
            'woocommerce_update_product' => ['S2'],
            'woocommerce_update_product_variation' => ['V1-M'],
        ]));
        $c = array_values(array_filter($state['hooks'], static fn ($h) => $h['hook'] === 'mulopimfwc_bulk_sync_completed'));
        if (count($c) !== 1 || ($c[0]['context']['source'] ?? null) !== 'php') {
            $f[] = 'mulopimfwc_bulk_sync_completed: ' . json_encode($c);
        }
        return $f;
    });

    // E: nobody but WooCommerce itself listens (no hook recorded, no meta listener): the follow-ons may then fire
    // the stock actions without loading product objects (WooCommerce 7.9's core listeners never read them); what
    // WooCommerce reports, its category counts under "Hide out of stock items" and its product query cache
    // version must follow all the same.
    foreach ([['to zero', 0, 0, 'outofstock'], ['back above zero', 5, 2, 'instock']] as [$label, $s1, $v3s, $status]) {
        $test("$tag nobody listening, $label: what WooCommerce reports, category counts (hide out of stock), query cache version", function () use ($api, $ids, $allIds, $item, $force, $engine, $checkProducts, $transientsFor, $s1, $v3s, $status) {
            $transients = $transientsFor(['S1', 'V3']) + ['product_query-transient-version' => '1'];
            $api('POST', '/mulopimfwc-e2e/v1/wc-prime', ['ids' => $allIds, 'transients' => $transients, 'cat_counts' => true,
                'options' => ['mulopimfwc_e2e_record_hooks' => null, 'mulopimfwc_e2e_chunk' => null, 'mulopimfwc_e2e_hide_out_of_stock' => '1']]);
            $r = $api('POST', '/mulopimfwc/v1/inventory/bulk-sync', ['items' => [$item('S1', $s1), $item('V3-S', $v3s)]], $force);
            $f = [];
            if (($r['results']['success'] ?? 0) !== 2 || ($r['engine'] ?? null) !== $engine) {
                $f[] = 'sync: ' . json_encode($r);
            }
            $state = $api('POST', '/mulopimfwc-e2e/v1/wc-state', ['ids' => $allIds, 'transients' => array_keys($transients), 'cat_counts' => true]);
            $expect = ['S1' => [$s1, $status], 'V3-S' => [$v3s, $status], 'V3' => [null, $status]];
            $f = array_merge($f, $checkProducts($state, $ids, $expect, ['product', 'lookup', 'term', 'attr']));
            $left = array_keys(array_filter($state['transients'], static fn ($v, $k) => $v && $k !== 'product_query-transient-version', ARRAY_FILTER_USE_BOTH));
            if ($left) {
                $f[] = 'transients still set: ' . implode(', ', $left);
            }
            if (($state['query_version'] ?? '1') === '1' || ($state['query_version'] ?? false) === false) {
                $f[] = 'product_query transient version not renewed: ' . json_encode($state['query_version'] ?? null);
            }
            $counts = $state['cat_counts'] ?? null;
            if (!is_array($counts) || !$counts['stored']) {
                $f[] = 'no product_cat counts: ' . json_encode($counts);
            } elseif ($counts['stored'] !== $counts['recounted']) {
                $f[] = 'product_cat counts left by the sync ' . json_encode($counts['stored']) . ', a full recount gives ' . json_encode($counts['recounted']);
            }
            if ($state['hooks']) {
                $f[] = 'hooks were recorded (the test would not be about nobody listening): ' . count($state['hooks']);
            }
            return $f;
        });
    }
    $api('POST', '/mulopimfwc-e2e/v1/wc-prime', ['ids' => [], 'options' => ['mulopimfwc_e2e_record_hooks' => null, 'mulopimfwc_e2e_chunk' => null, 'mulopimfwc_e2e_hide_out_of_stock' => null]]);
}

// ------------------------------------------------------------------------------------------------ logs
$test('no PHP error, warning or notice from the plugin in the site\'s logs', fn () => plugin_log_errors($env));

exit($run->finish());
