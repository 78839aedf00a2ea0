<?php
/**
 * Hostile and broken input over HTTP, to both engines of the same site (the PHP engine through the test
 * helper header X-E2E-Force-PHP: 1). Each input: a clear whole-request 4xx or per-item errors with documented
 * codes, the database unchanged (fingerprint of every table a sync touches), the worker alive (the pool's
 * children unchanged and a follow-up request answers 200).
 */

declare(strict_types=1);

namespace Mulopimfwc\Reliability;

const ITEM_CODES = ['invalid_item', 'missing_product', 'invalid_product_id', 'invalid_sku', 'missing_location', 'invalid_location_id',
    'invalid_location_slug', 'missing_stock', 'invalid_stock', 'invalid_regular_price', 'invalid_sale_price', 'invalid_backorders',
    'invalid_disabled', 'product_not_found', 'ambiguous_sku', 'product_mismatch', 'location_not_found', 'location_mismatch',
    'sale_price_not_below_regular'];

/** @return list<array{0:string,1:string,2:array}> [name, body, expectation] */
function hostile_cases(array $st): array
{
    $L = array_key_first($st['locations']);
    $slug = $st['locations'][$L];
    $P = $st['products'][5];
    $bad400 = ['status' => 400, 'codes' => ['invalid_data', 'rest_invalid_json']];
    $valid = json_encode(['items' => [['sku' => 'NOPE-1', 'location_id' => $L, 'stock' => 3], ['product_id' => 999999999, 'location_slug' => 'nope', 'stock' => 1]]]);
    $items = fn (array $it) => json_encode(['items' => $it], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    $cases = [
        ['malformed JSON', '{"items": [', $bad400],
        ['not JSON at all', 'items=1&stock=2', $bad400],
        ['empty body', '', $bad400],
        ['truncated at 1/3', substr($valid, 0, intdiv(strlen($valid), 3)), $bad400],
        ['truncated at 2/3', substr($valid, 0, intdiv(2 * strlen($valid), 3)), $bad400],
        ['truncated by one byte', substr($valid, 0, -1), $bad400],
        ['top-level array', '[{"sku":"NOPE","location_id":' . $L . ',"stock":1}]', ['status' => 400, 'codes' => ['invalid_data']]],
        ['items as object', '{"items":{"0":{"sku":"NOPE","location_id":' . $L . ',"stock":1}}}', ['status' => 400, 'codes' => ['invalid_data']]],
        ['items as string', '{"items":"[]"}', ['status' => 400, 'codes' => ['invalid_data']]],
        ['items null', '{"items":null}', ['status' => 400, 'codes' => ['invalid_data']]],
        ['items number', '{"items":1e400}', ['status' => 400, 'codes' => ['invalid_data']]],
        ['no items key', '{"item":[]}', ['status' => 400, 'codes' => ['invalid_data']]],
        ['nested 100,000 deep', '{"items":[' . str_repeat('[', 100000) . str_repeat(']', 100000) . ']}', $bad400],
        ['nested 300 deep inside an item value', '{"items":[{"sku":' . str_repeat('[', 300) . '1' . str_repeat(']', 300) . ',"location_id":' . $L . ',"stock":1}]}',
            ['status_any' => [400, 200], 'codes' => ['invalid_data', 'rest_invalid_json'], 'item_codes' => ['invalid_sku']]],
        ['NUL byte raw in the body', "{\"items\":[{\"sku\":\"a\0b\",\"location_id\":$L,\"stock\":1}]}", $bad400],
        ['invalid UTF-8 in a string', "{\"items\":[{\"sku\":\"\xff\xfe\xc3\x28\",\"location_id\":$L,\"stock\":1}]}", $bad400],
        ['invalid UTF-8 outside strings', "\xef\xbb\xbf\xff{\"items\":[]}", $bad400],
        ['NUL escapes in every string field', $items([
            ['sku' => "NOPE\0", 'location_id' => $L, 'stock' => 1],
            ['product_id' => $P, 'location_slug' => "\0", 'stock' => 1],
            ['product_id' => $P, 'location_slug' => "$slug\0x", 'stock' => 1],
            ['product_id' => $P, 'location_id' => $L, 'stock' => "1\0"],
            ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'regular_price' => "1\0"],
            ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'sale_price' => "\0"],
            ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'backorders' => "no\0"],
        ]), ['status' => 200, 'item_codes' => ['product_not_found', 'location_not_found', 'location_not_found', 'invalid_stock', 'invalid_regular_price', 'invalid_sale_price', 'invalid_backorders']]],
        ['numbers: 1e400, -0, "0x10" everywhere', '{"items":['
            . '{"sku":"NOPE","location_id":' . $L . ',"stock":1e400},'
            . '{"sku":"NOPE","location_id":' . $L . ',"stock":"0x10"},'
            . '{"sku":"NOPE","location_id":' . $L . ',"stock":-0},'
            . '{"product_id":1e400,"location_id":' . $L . ',"stock":1},'
            . '{"product_id":-0,"location_id":' . $L . ',"stock":1},'
            . '{"product_id":"0x10","location_id":' . $L . ',"stock":1},'
            . '{"product_id":' . $P . ',"location_id":"0x10","stock":1},'
            . '{"product_id":' . $P . ',"location_id":' . $L . ',"stock":1,"regular_price":1e400},'
            . '{"product_id":' . $P . ',"location_id":' . $L . ',"stock":1,"regular_price":"0x10"},'
            . '{"product_id":' . $P . ',"location_id":' . $L . ',"stock":1,"sale_price":-0},'
            . '{"product_id":' . $P . ',"location_id":' . $L . ',"stock":99999999999999999999}'
            . ']}',
            ['status' => 200, 'bug' => 'php', 'item_codes' => ['invalid_stock', 'invalid_stock', 'product_not_found', 'invalid_product_id', 'invalid_product_id', 'invalid_product_id',
                'invalid_location_id', 'invalid_regular_price', 'invalid_regular_price', 'invalid_sale_price', 'invalid_stock']]],
    ];
    $mb = str_repeat('9', 1 << 20);
    $cases[] = ['1 MB strings in every field', $items([
        ['sku' => str_repeat('S', 1 << 20), 'location_id' => $L, 'stock' => 1],
        ['product_id' => $P, 'location_slug' => str_repeat('l', 1 << 20), 'stock' => 1],
        ['product_id' => $mb, 'location_id' => $L, 'stock' => 1],
        ['product_id' => $P, 'location_id' => $mb, 'stock' => 1],
        ['product_id' => $P, 'location_id' => $L, 'stock' => $mb],
        ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'backorders' => str_repeat('y', 1 << 20)],
        ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'disabled' => str_repeat('t', 1 << 20)],
    ]), ['status' => 200, 'item_codes' => ['product_not_found', 'location_not_found', 'invalid_product_id', 'invalid_location_id', 'invalid_stock', 'invalid_backorders', 'invalid_disabled']]];
    // Prices of a million digits: the native engine refuses what a Decimal cannot hold exactly (28 digits);
    // the engines must agree (one contract).
    $cases[] = ['1 MB of digits as prices (parity)', $items([
        ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'regular_price' => $mb],
        ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'sale_price' => "0.$mb"],
    ]), ['status' => 200, 'bug' => 'php', 'item_codes' => ['invalid_regular_price', 'invalid_sale_price']]];
    // SQL metacharacters and injection attempts in every string field: matched or stored only as data.
    $inj = ["y' OR '1'='1", "' OR 1=1 -- ", "\"; DROP TABLE wp_posts; --", "\\", "\\'", "%", "_", "%%", "' UNION SELECT ID, post_title FROM wp_posts -- ", "1; DELETE FROM wp_postmeta", "\\0", "`id`", "' AND SLEEP(5) -- "];
    $its = [];
    $codes = [];
    foreach ($inj as $x) {
        $its[] = ['sku' => $x, 'location_id' => $L, 'stock' => 1];
        $codes[] = 'product_not_found';
        $its[] = ['product_id' => $P, 'location_slug' => $x, 'stock' => 1];
        $codes[] = preg_match('/[a-z0-9]/i', $x) ? 'location_not_found' : 'location_not_found';
        $its[] = ['product_id' => $P, 'location_id' => $L, 'stock' => $x];
        $codes[] = 'invalid_stock';
        $its[] = ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'regular_price' => $x];
        $codes[] = 'invalid_regular_price';
        $its[] = ['product_id' => $P, 'location_id' => $L, 'stock' => 1, 'backorders' => $x];
        $codes[] = 'invalid_backorders';
        $its[] = ['product_id' => $x, 'location_id' => $L, 'stock' => 1];
        $codes[] = 'invalid_product_id';
    }
    $cases[] = ['SQL injection attempts in every string field', $items($its), ['status' => 200, 'item_codes' => $codes, 'max_seconds' => 4]];
    return $cases;
}

function hostile_tests(Runner $run, array $sites, bool $big = true): void
{
    $s = $sites['main'] ?? null;
    if ($s === null) {
        $run->test('hostile input', fn () => throw new SkipTest('no --main site'));
        return;
    }
    $tag = 'HS' . substr(uniqid(), -5);
    $st = $s->seedStore($tag, 8, 2, 10, [0 => "x' OR '1'='1", 1 => 'back\\slash"q', 2 => '100%', 3 => 'a_c', 4 => "Robert'); DROP TABLE wp_posts;--"]);
    $locs = array_keys($st['locations']);
    $s->setOption('mulopimfwc_primary_location', (string) $locs[0]);
    $pids0 = array_keys($s->fpmChildren());
    $divergent = [];

    foreach (hostile_cases($st) as [$name, $body, $exp]) {
        foreach ([false, true] as $php) {
            $engine = $php ? 'php' : 'native';
            $bug = ($exp['bug'] ?? '') === $engine ? 'BUG: ' : '';
            $run->test("{$bug}hostile [$engine] $name", function () use ($s, $body, $exp, $php, $engine, $name, &$divergent) {
                Stats::$inputs++;
                $fp = $s->fingerprint();
                $r = $s->post($body, $s->headers($php), 120);
                $f = [];
                $j = $r->json();
                $statuses = $exp['status_any'] ?? [$exp['status']];
                if (!in_array($r->status, $statuses, true)) {
                    $f[] = 'status: ' . $r->short();
                } elseif ($r->status >= 400) {
                    if (!in_array($r->code(), $exp['codes'], true)) {
                        $f[] = 'code ' . json_encode($r->code()) . ' not in ' . json_encode($exp['codes']) . ': ' . $r->short();
                    }
                    if (!is_string($j['message'] ?? null) || $j['message'] === '') {
                        $f[] = 'no message';
                    }
                } else {
                    $got = array_column($j['results']['items_failed'] ?? [], 'code');
                    if (isset($exp['status_any'])) {
                        if ($got !== $exp['item_codes']) {
                            $f[] = 'item codes ' . json_encode($got);
                        }
                    } elseif ($got !== $exp['item_codes']) {
                        $diff = [];
                        foreach ($exp['item_codes'] as $i => $c) {
                            if (($got[$i] ?? null) !== $c) {
                                $diff[] = 'item ' . ($i + 1) . ': ' . json_encode($got[$i] ?? null) . " (want $c)";
                            }
                        }
                        $f[] = 'item codes differ: ' . implode('; ', array_slice($diff, 0, 8));
                    }
                    foreach ($got as $c) {
                        if (!in_array($c, ITEM_CODES, true)) {
                            $f[] = "undocumented item code $c";
                        }
                    }
                    if (($j['results']['success'] ?? null) !== 0) {
                        $f[] = 'some item succeeded: ' . json_encode($j['results']['success'] ?? null);
                    }
                }
                $divergent[$name][$engine] = $r->status . ' ' . ($r->code() ?? json_encode(array_column($j['results']['items_failed'] ?? [], 'code')));
                if (isset($exp['max_seconds']) && $r->seconds > $exp['max_seconds']) {
                    $f[] = sprintf('took %.1fs (SLEEP injected?)', $r->seconds);
                }
                if ($s->fingerprint() != $fp) {
                    $f[] = 'the database changed: ' . json_encode(array_keys(array_diff_assoc($s->fingerprint(), $fp)));
                }
                $follow = $s->sync([], $php);
                if ($follow->status !== 200) {
                    $f[] = 'follow-up request: ' . $follow->short();
                }
                return $f;
            });
        }
    }
    foreach ($divergent as $name => $by) {
        if (count(array_unique($by)) > 1) {
            Stats::note("engines differ on \"$name\": native " . ($by['native'] ?? '?') . ', php ' . ($by['php'] ?? '?'));
        }
    }

    // Big bodies: measured (run.sh runs them on one stack: $big).
    foreach ($big ? [false, true] : [] as $php) {
        $engine = $php ? 'php' : 'native';
        $run->test("hostile [$engine] 1,000,000 tiny items: 400 too_many_items naming the limit, nothing written, worker alive", function () use ($s, $php, $engine) {
            Stats::$inputs++;
            $fp = $s->fingerprint();
            $body = '{"items":[' . rtrim(str_repeat('{},', 1000000), ',') . ']}';
            $r = $s->post($body, $s->headers($php), 120);
            $limit = $php ? 1000 : 100000;
            $f = [];
            $msg = str_replace(',', '', (string) ($r->json()['message'] ?? ''));
            if ($r->status !== 400 || $r->code() !== 'too_many_items' || !str_contains($msg, (string) $limit)) {
                $f[] = "expected 400 too_many_items naming $limit: " . $r->short();
            }
            $hwm = max(array_column($s->fpmChildren(), 'hwm_kb') ?: [0]);
            Stats::measure("1,000,000 tiny items [$engine]", sprintf('HTTP %d %s in %.2fs (%.1f MB body), largest worker peak RSS so far %d MB', $r->status, $r->code(), $r->seconds, strlen($body) / 1e6, intdiv($hwm, 1024)));
            if ($s->fingerprint() != $fp) {
                $f[] = 'the database changed';
            }
            $follow = $s->sync([], $php);
            return $follow->status === 200 ? $f : array_merge($f, ['follow-up: ' . $follow->short()]);
        });
        $run->test("BUG: hostile [$engine] 50 MB body (a 50 MB SKU beside a good item): the SKU fails alone (product_not_found), the good item is applied, worker alive", function () use ($s, $php, $engine, $st) {
            Stats::$inputs++;
            $l1 = array_key_last($st['locations']);
            $v = $php ? 502 : 501;
            $body = '{"items":[{"product_id":' . $st['products'][7] . ',"location_id":' . $l1 . ',"stock":' . $v . '},{"sku":"' . str_repeat('A', 50 << 20) . '","location_id":' . $l1 . ',"stock":1}]}';
            $r = $s->post($body, $s->headers($php), 120);
            $f = check_ok($r, 1, 1, '50 MB');
            if (!$f && ($r->json()['results']['items_failed'][0]['code'] ?? '') !== 'product_not_found') {
                $f[] = 'code ' . json_encode($r->json()['results']['items_failed'] ?? null);
            }
            if (($s->meta([$st['products'][7]], ["_location_stock_$l1"])[$st['products'][7]]["_location_stock_$l1"] ?? []) !== [(string) $v]) {
                $f[] = 'the good item was not applied (one oversized SKU failed the whole request: SPEC, "a bad item fails alone")';
            }
            $hwm = max(array_column($s->fpmChildren(), 'hwm_kb') ?: [0]);
            Stats::measure("50 MB body [$engine]", sprintf('HTTP %d in %.2fs, largest worker peak RSS so far %d MB', $r->status, $r->seconds, intdiv($hwm, 1024)));
            $follow = $s->sync([], $php);
            return $follow->status === 200 ? $f : array_merge($f, ['follow-up: ' . $follow->short()]);
        });
    }

    // Strings with SQL metacharacters that ARE data: they match exactly their product, nothing else moves.
    foreach ([false, true] as $php) {
        $engine = $php ? 'php' : 'native';
        $run->test("hostile [$engine] SKUs with quotes, backslashes, % and _ match only their own product (as data)", function () use ($s, $st, $locs, $php) {
            Stats::$inputs++;
            $l1 = $locs[1];
            $v = $php ? 72 : 71;
            $items = [];
            foreach ([0, 1, 2, 3, 4] as $i) {
                $items[] = ['sku' => $st['skus'][$i], 'location_id' => $l1, 'stock' => $v + $i];
            }
            // Must match nothing: LIKE patterns and near misses.
            foreach (['abc', 'a%', '100_', '%', "x' OR '1'='2", 'back\\\\slash"q', 'back/slash"q'] as $x) {
                $items[] = ['sku' => $x, 'location_id' => $l1, 'stock' => 1];
            }
            // A slug with quotes and backslashes is sanitized as WordPress does (to "<tag>-loc-1"), as data.
            $items[] = ['product_id' => $st['products'][5], 'location_slug' => "  <b>" . strtoupper($st['locations'][$l1]) . "</b>'\\\"", 'stock' => $v + 5];
            $others = implode(',', array_slice($st['products'], 6));
            $before = $s->one("SELECT CONCAT(COUNT(*), ':', SUM(CRC32(CONCAT_WS('|', meta_id, post_id, meta_key, meta_value)))) FROM wp_postmeta WHERE NOT (post_id IN (" . implode(',', array_slice($st['products'], 0, 6)) . ") AND meta_key = '_location_stock_$l1')");
            $r = $s->sync($items, $php);
            $f = check_ok($r, 6, 7, 'as-data request');
            $m = $s->meta($st['products'], ["_location_stock_$l1"]);
            foreach ([0, 1, 2, 3, 4, 5] as $i) {
                Stats::$rowsChecked++;
                if (($m[$st['products'][$i]]["_location_stock_$l1"] ?? []) !== [(string) ($v + $i)]) {
                    $f[] = "product $i (SKU " . json_encode($st['skus'][$i]) . '): ' . json_encode($m[$st['products'][$i]] ?? null);
                }
            }
            // Products 6.. may hold this key from earlier tests: what matters is that no row
            // outside the six targets changed, which the checksum below compares.
            $after = $s->one("SELECT CONCAT(COUNT(*), ':', SUM(CRC32(CONCAT_WS('|', meta_id, post_id, meta_key, meta_value)))) FROM wp_postmeta WHERE NOT (post_id IN (" . implode(',', array_slice($st['products'], 0, 6)) . ") AND meta_key = '_location_stock_$l1')");
            if ($before !== $after) {
                $f[] = 'other postmeta rows changed';
            }
            if ((int) $s->one("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('wp_posts','wp_postmeta')") !== 2) {
                $f[] = 'a table is gone';
            }
            return $f;
        });
    }
    $run->test('hostile: every php-fpm worker survived all of the above (same pids)', function () use ($s, $pids0) {
        $now = array_keys($s->fpmChildren());
        return $now === $pids0 ? [] : ['children changed: ' . json_encode($pids0) . ' -> ' . json_encode($now)];
    });
}
