<?php
/**
 * `report_meta_writes` (tests/contract/README.md): what both engines' tests of `meta_writes` share. The check is
 * always the same: the list an engine returns must be exactly the difference between the postmeta rows before and
 * after the request (ids, posts, keys, values): the rows added, then the rows whose value changed, then the rows
 * deleted, each by meta_id ascending.
 *
 * Used by tests/php/MetaWritesTest.php (native) and php/tests/MetaWritesPhpEngineTest.php (PHP engine, and both
 * engines side by side when the extension is loaded).
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

trait MetaWritesChecks
{
    /** Every postmeta row: meta_id => [post_id, meta_key, meta_value]. */
    public static function metaRows(\mysqli $c, string $prefix): array
    {
        $out = [];
        foreach ($c->query("SELECT meta_id, post_id, meta_key, meta_value FROM `{$prefix}postmeta` ORDER BY meta_id")->fetch_all(MYSQLI_NUM) as [$id, $post, $key, $value]) {
            $out[(int) $id] = [(int) $post, (string) $key, (string) $value];
        }
        return $out;
    }

    public static function rowsOf(ContractStore $store, array $prepared): array
    {
        $c = $store->connect($prepared['db']);
        try {
            return self::metaRows($c, $prepared['prefix']);
        } finally {
            $c->close();
        }
    }

    /** What `meta_writes` must be, from the rows before and after. */
    public static function metaDiff(array $before, array $after): array
    {
        $out = [];
        foreach ($after as $id => [$post, $key, $value]) {
            if (!isset($before[$id])) {
                $out[] = ['added', $id, $post, $key, $value];
            }
        }
        foreach ($after as $id => [$post, $key, $value]) {
            if (isset($before[$id]) && $before[$id][2] !== $value) {
                $out[] = ['updated', $id, $post, $key, $value];
            }
        }
        foreach ($before as $id => [$post, $key, $value]) {
            if (!isset($after[$id])) {
                $out[] = ['deleted', $id, $post, $key, $value];
            }
        }
        return $out;
    }

    /** The entries of $log with this op, post and key. */
    public static function entries(array $log, string $op, int $post, string $key): array
    {
        return array_values(array_filter($log, static fn ($e) => $e[0] === $op && $e[2] === $post && $e[3] === $key));
    }

    /**
     * Every case of tests/contract/cases with `report_meta_writes` on (the request as a PHP array): `meta_writes`
     * must match the rows. Returns the failures. Left out, to keep the run short: cases that expect a whole-request
     * error (no result), and identifiers.json (which product and location an item names: the rows written are
     * those of stock.json). MULOPIMFWC_META_WRITES_ALL=1 runs those too.
     */
    public static function checkEveryCase(EngineAdapter $adapter, ContractStore $store, bool $phpEngine): array
    {
        $failures = [];
        $checked  = 0;
        foreach (ContractStore::loadCases(ContractStore::repoRoot() . '/tests/contract/cases') as $key => $case) {
            $all = getenv('MULOPIMFWC_META_WRITES_ALL') === '1';
            if (!$all && (isset($case['expect']['error']) || $case['_file'] === 'identifiers.json')) {
                continue;
            }
            if ($phpEngine && (!empty($case['native_only']) || array_intersect_key($case['db_options'] ?? [], array_flip(['db_host', 'db_user', 'db_password', 'db_name'])))) {
                continue;
            }
            $prepared = $store->prepare($case);
            try {
                $c       = $prepared['case'];
                $payload = array_key_exists('raw_body', $c) ? $c['raw_body'] : $c['request'];
                $options = ['report_meta_writes' => true] + ContractTest::engineOptions($store, $prepared, 'tcp');
                $before  = self::rowsOf($store, $prepared);
                $out     = $adapter->run($payload, $options);
                $after   = self::rowsOf($store, $prepared);
                if (isset($out['error'])) {
                    if ($before !== $after) {
                        $failures[] = "$key: an error, yet postmeta changed";
                    }
                    continue;
                }
                ++$checked;
                $want = !empty($out['dry_run']) ? [] : self::metaDiff($before, $after);
                if (!array_key_exists('meta_writes', $out) || $out['meta_writes'] !== $want) {
                    $failures[] = "$key:\n    want " . json_encode($want) . "\n    got  " . json_encode($out['meta_writes'] ?? 'no meta_writes key');
                }
            } finally {
                $store->cleanup($prepared);
            }
        }
        if ($checked < 100) {
            $failures[] = "only $checked cases ran to a result";
        }
        return $failures;
    }

    /**
     * One request over the contract store that writes every kind of row: returns [result, rows before, rows after,
     * prepared]. Primary location: main-store.
     */
    public static function scenario(EngineAdapter $adapter, ContractStore $store, array $extraOptions = ['report_meta_writes' => true]): array
    {
        $prepared = $store->prepare(['name' => 'meta writes', 'fixture' => 'store', 'expect' => []]);
        try {
            $options = $extraOptions + ContractTest::engineOptions($store, $prepared, 'tcp');
            $before  = self::rowsOf($store, $prepared);
            $out     = $adapter->run(['items' => self::scenarioItems()], $options);
            $after   = self::rowsOf($store, $prepared);
            return [$out, $before, $after, $prepared];
        } finally {
            $store->cleanup($prepared);
        }
    }

    public static function scenarioItems(): array
    {
        return [
            // 1. Updates: the location stock 3 -> 0, WooCommerce's _stock 5 -> 0 and _stock_status -> outofstock.
            ['sku' => 'PROD-001', 'location_slug' => 'main-store', 'stock' => 0],
            // 2. Stock 7 as stored in the first row: unchanged; the duplicate row (8) is deleted.
            ['sku' => 'DUP-META', 'location_slug' => 'warehouse', 'stock' => 7],
            // 3. New rows at a location that is not the primary one: no WooCommerce stock.
            ['sku' => 'PROD-002', 'location_slug' => 'warehouse', 'stock' => 3, 'regular_price' => '18.00', 'disabled' => true],
            // 4. Every value as stored: nothing listed.
            ['sku' => 'PROD-001', 'location_slug' => 'warehouse', 'stock' => 10, 'regular_price' => '25.00', 'sale_price' => '20.00'],
            // 5. A variation: a new location row, its _stock 0 -> 2 and status -> instock (the parent stays instock).
            ['sku' => 'VAR-OWN-RED', 'location_slug' => 'main-store', 'stock' => 2],
            // 6./7. Failed items: nothing of them.
            ['sku' => 'PRICE-20', 'location_slug' => 'main-store', 'stock' => 4, 'sale_price' => '25'],
            ['sku' => 'NOPE', 'location_slug' => 'main-store', 'stock' => 1],
        ];
    }

    /** Checks scenario()'s outcome; returns the log. */
    public function assertScenario(array $out, array $before, array $after, array $prepared): array
    {
        $this->assertArrayNotHasKey('error', $out, json_encode($out));
        $this->assertSame(2, $out['results']['failed'], json_encode($out));
        $this->assertArrayHasKey('meta_writes', $out);
        $log = $out['meta_writes'];
        $this->assertSame(self::metaDiff($before, $after), $log, json_encode($out));
        foreach ($log as $e) {
            $this->assertIsString($e[0]);
            $this->assertIsInt($e[1]);
            $this->assertIsInt($e[2]);
            $this->assertIsString($e[3]);
            $this->assertIsString($e[4]);
            $this->assertSame([0, 1, 2, 3, 4], array_keys($e));
        }
        $post = $prepared['ids']['post'];
        $loc  = $prepared['ids']['loc'];
        $main = $loc['main-store'];
        $wh   = $loc['warehouse'];
        $one  = fn (string $op, string $p, string $k) => self::entries($log, $op, $post[$p], $k);

        $this->assertSame('0', $one('updated', 'simple', "_location_stock_$main")[0][4] ?? null);
        $this->assertSame('0', $one('updated', 'simple', '_stock')[0][4] ?? null);
        $this->assertSame('outofstock', $one('updated', 'simple', '_stock_status')[0][4] ?? null);
        $this->assertSame([], $one('updated', 'dupmeta', "_location_stock_$wh"), 'the first row keeps its value');
        $this->assertSame(['8'], array_column($one('deleted', 'dupmeta', "_location_stock_$wh"), 4));
        foreach (["_location_stock_$wh" => '3', "_location_regular_price_$wh" => '18.00', "_location_disabled_$wh" => 'yes'] as $k => $v) {
            $added = $one('added', 'second', $k);
            $this->assertCount(1, $added, $k);
            $this->assertSame($v, $added[0][4]);
            $this->assertSame([$post['second'], $k, $v], $after[$added[0][1]] ?? null, 'the real meta_id');
        }
        $this->assertSame([], array_filter($log, fn ($e) => $e[2] === $post['second'] && in_array($e[3], ['_stock', '_stock_status'], true)));
        $this->assertSame([], array_filter($log, fn ($e) => $e[2] === $post['simple'] && str_ends_with($e[3], "_$wh")), 'unchanged rows');
        $this->assertCount(1, $one('added', 'var-own-red', "_location_stock_$main"));
        $this->assertSame('2', $one('updated', 'var-own-red', '_stock')[0][4] ?? null);
        $this->assertSame('instock', $one('updated', 'var-own-red', '_stock_status')[0][4] ?? null);
        $this->assertSame([], array_filter($log, fn ($e) => $e[2] === $post['var-own']));
        $this->assertSame([], array_filter($log, fn ($e) => $e[2] === $post['price20']), 'a failed item');
        $this->assertSame($out['changes']['meta_rows_inserted'], count(array_filter($log, fn ($e) => $e[0] === 'added')));
        $this->assertSame($out['changes']['meta_rows_deleted'], count(array_filter($log, fn ($e) => $e[0] === 'deleted')));
        return $log;
    }

    /** Without the option (or with it false) no key; a dry run lists nothing. */
    public function assertOptionOffAndDryRun(EngineAdapter $adapter, ContractStore $store): void
    {
        foreach ([[], ['report_meta_writes' => false], ['report_meta_writes' => 0]] as $extra) {
            [$out] = self::scenario($adapter, $store, $extra);
            $this->assertSame(2, $out['results']['failed'], json_encode($out));
            $this->assertArrayNotHasKey('meta_writes', $out, json_encode($extra));
        }
        [$out, $before, $after] = self::scenario($adapter, $store, ['report_meta_writes' => true, 'dry_run' => true]);
        $this->assertTrue($out['dry_run']);
        $this->assertGreaterThan(0, $out['changes']['meta_rows_inserted']);
        $this->assertSame([], $out['meta_writes']);
        $this->assertSame($before, $after);
        [$out] = self::scenario($adapter, $store, ['dry_run' => true]);
        $this->assertArrayNotHasKey('meta_writes', $out);
    }
}
