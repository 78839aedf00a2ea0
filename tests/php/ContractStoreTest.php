<?php
/**
 * Self-test of the contract runner: seeding, placeholders, snapshots and verify() work without any engine.
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

final class ContractStoreTest extends TestCase
{
    private static ?ContractStore $store = null;

    private static function store(): ContractStore
    {
        return self::$store ??= ContractStore::fromEnv();
    }

    private function caseFor(array $expect, array $extra = []): array
    {
        return $extra + [
            'name' => 'self-test',
            'fixture' => 'store',
            'request' => ['items' => []],
            'expect' => $expect,
            '_file' => 'self',
            '_index' => 0,
        ];
    }

    /** Runs $mutate (raw SQL on the case database) in place of an engine, then verifies. */
    private function runWith(array $case, array $outcome, ?callable $mutate = null): array
    {
        $store = self::store();
        $prepared = $store->prepare($case);
        try {
            if ($mutate !== null) {
                $conn = $store->connect($prepared['db']);
                $mutate($conn, $prepared['prefix'], $prepared['ids']);
                $conn->close();
            }
            return [$prepared, $store->verify($prepared, $outcome)];
        } finally {
            $store->cleanup($prepared);
        }
    }

    private static function ok(int $success = 0, int $failed = 0, array $errors = []): array
    {
        $n = $success + $failed;
        return ['success' => true, 'message' => "Processed $n items. $success succeeded, $failed failed.",
            'results' => ['success' => $success, 'failed' => $failed, 'errors' => $errors]];
    }

    public function testAllCaseFilesLoadAndAllPlaceholdersResolve(): void
    {
        $cases = ContractStore::loadCases(ContractStore::repoRoot() . '/tests/contract/cases');
        $this->assertNotEmpty($cases);
        // Fake ids are enough to resolve every placeholder (of the case's own fixture).
        $fakeIds = function (string $name): array {
            $fixture = self::store()->loadFixture($name);
            $ids = ['post' => [], 'loc' => [], 'tt' => [], 'term' => []];
            $n = 1000;
            foreach ($fixture['products'] as $p) {
                $ids['post'][$p['key']] = $n++;
            }
            foreach ($fixture['locations'] as $l) {
                $ids['loc'][$l['slug']] = $n++;
                $ids['tt']['mulopimfwc_store_location:' . $l['slug']] = $n++;
            }
            foreach ($fixture['other_terms'] as $t) {
                $ids['tt'][$t['taxonomy'] . ':' . $t['slug']] = $n++;
                $ids['term'][$t['taxonomy'] . ':' . $t['slug']] = $n++;
            }
            return $ids;
        };
        foreach ($cases as $key => $case) {
            $ids = $fakeIds($case['fixture'] ?? 'store');
            $resolved = self::store()->substitute($case, $ids);
            $this->assertStringNotContainsString('{post:', json_encode($resolved), $key);
            $this->assertStringNotContainsString('{loc:', json_encode($resolved), $key);
            $this->assertStringNotContainsString('{int:', json_encode($resolved), $key);
            $e = $case['expect'];
            $this->assertTrue(isset($e['error']) xor isset($e['response']), "$key: expect needs exactly one of error / response");
            if (isset($e['response']['results'])) {
                $r = $e['response']['results'];
                $this->assertSame($r['failed'], count($r['errors']), "$key: one error per failed item");
                $this->assertSame(sprintf('Processed %d items. %d succeeded, %d failed.', $r['success'] + $r['failed'], $r['success'], $r['failed']), $e['response']['message'], $key);
                if (isset($e['items_failed'])) {
                    $this->assertCount($r['failed'], $e['items_failed'], "$key: items_failed");
                    foreach ($e['items_failed'] as $i => $it) {
                        $this->assertStringStartsWith('Item ' . $it['index'] . ': ', $r['errors'][$i], "$key: errors and items_failed agree");
                    }
                }
                if (isset($case['request']['items']) && is_array($case['request']['items'])) {
                    $this->assertSame(count($case['request']['items']), $r['success'] + $r['failed'], "$key: counts cover every item");
                }
            }
        }
    }

    public function testSeedsTheStore(): void
    {
        $store = self::store();
        $prepared = $store->prepare($this->caseFor(['unchanged' => true]));
        try {
            $ids = $prepared['ids'];
            $this->assertSame(ContractStore::POST_ID_START, $ids['post']['simple']);
            $this->assertSame(6, count($ids['loc']));
            foreach ($ids['loc'] as $slug => $termId) {
                $this->assertNotSame($termId, $ids['tt']['mulopimfwc_store_location:' . $slug], 'term_id differs from term_taxonomy_id');
            }
            $conn = $store->connect($prepared['db']);
            $q = fn (string $sql) => $conn->query($sql)->fetch_all(MYSQLI_ASSOC);
            $simple = $ids['post']['simple'];
            $main = $ids['loc']['main-store'];
            $this->assertSame([['meta_value' => '3']], $q("SELECT meta_value FROM wp_postmeta WHERE post_id = $simple AND meta_key = '_location_stock_$main'"));
            $wh = $ids['loc']['warehouse'];
            $dup = $ids['post']['dupmeta'];
            $this->assertCount(2, $q("SELECT meta_id FROM wp_postmeta WHERE post_id = $dup AND meta_key = '_location_stock_$wh'"));
            $this->assertSame([['slug' => 'warehouse', 'taxonomy' => 'product_cat'], ['slug' => 'warehouse', 'taxonomy' => 'mulopimfwc_store_location']],
                $q("SELECT t.slug, tt.taxonomy FROM wp_terms t JOIN wp_term_taxonomy tt USING (term_id) WHERE t.slug = 'warehouse' ORDER BY t.term_id"));
            $this->assertSame([['slug' => '%e6%9d%b1%e4%ba%ac', 'name' => '東京']],
                $q("SELECT t.slug, t.name FROM wp_terms t JOIN wp_term_taxonomy tt USING (term_id) WHERE tt.taxonomy = 'mulopimfwc_store_location' AND t.term_id = " . $ids['loc']['%e6%9d%b1%e4%ba%ac']));
            // outofstock: second, draft, var-own-red, var-bo-2 related; draft not counted.
            $oos = $ids['tt']['product_visibility:outofstock'];
            $this->assertSame([['count' => '3']], $q("SELECT count FROM wp_term_taxonomy WHERE term_taxonomy_id = $oos"));
            $this->assertCount(4, $q("SELECT object_id FROM wp_term_relationships WHERE term_taxonomy_id = $oos"));
            $this->assertSame([['stock_quantity' => '5', 'stock_status' => 'instock', 'sku' => 'PROD-001']],
                $q("SELECT stock_quantity, stock_status, sku FROM wp_wc_product_meta_lookup WHERE product_id = $simple"));
            $this->assertSame([['stock_quantity' => null]], $q('SELECT stock_quantity FROM wp_wc_product_meta_lookup WHERE product_id = ' . $ids['post']['nostock']));
            $this->assertSame([['option_value' => (string) $main]], $q("SELECT option_value FROM wp_options WHERE option_name = 'mulopimfwc_primary_location'"));
            $this->assertSame([['post_parent' => (string) $ids['post']['var-own'], 'post_type' => 'product_variation']],
                $q('SELECT post_parent, post_type FROM wp_posts WHERE ID = ' . $ids['post']['var-own-red']));
            $this->assertSame([['c' => '2']], $q("SELECT COUNT(*) c FROM wp_posts WHERE post_status = 'trash'"));
            $conn->close();
            // Nothing touched: verify() passes.
            $this->assertSame([], $store->verify($prepared, self::ok(0)));
        } finally {
            $store->cleanup($prepared);
        }
    }

    public function testVerifyPassesAndFails(): void
    {
        $case = $this->caseFor([
            'response' => self::ok(1),
            'meta' => [
                ['post' => '{post:simple}', 'key' => '_location_stock_{loc:main-store}', 'value' => '100'],
                ['post' => '{post:simple}', 'key' => '_stock', 'value' => '100'],
                ['post' => '{post:dupmeta}', 'key' => '_location_stock_{loc:outlet}', 'value' => null],
            ],
            'lookup' => [['post' => '{post:simple}', 'stock_quantity' => 100, 'stock_status' => 'instock']],
            'visibility_outofstock' => [['post' => '{post:simple}', 'has' => false]],
            'post_modified' => [['post' => '{post:simple}', 'changed' => true], ['post' => '{post:second}', 'changed' => false]],
            'term_counts' => [['taxonomy' => 'product_visibility', 'slug' => 'outofstock', 'count' => 3]],
        ]);
        $good = function (\mysqli $c, string $p, array $ids): void {
            $s = $ids['post']['simple'];
            $m = $ids['loc']['main-store'];
            $c->query("UPDATE {$p}postmeta SET meta_value = '100' WHERE post_id = $s AND meta_key = '_location_stock_$m'");
            $c->query("UPDATE {$p}postmeta SET meta_value = '100.000000' WHERE post_id = $s AND meta_key = '_stock'");
            $c->query("UPDATE {$p}wc_product_meta_lookup SET stock_quantity = 100 WHERE product_id = $s");
            $c->query("UPDATE {$p}posts SET post_modified = UTC_TIMESTAMP(), post_modified_gmt = UTC_TIMESTAMP() WHERE ID = $s");
        };
        [, $f] = $this->runWith($case, self::ok(1), $good);
        $this->assertSame([], $f);

        // Wrong message, a duplicate row, a stray write, a lost featured term, a wrong count: all reported.
        $bad = function (\mysqli $c, string $p, array $ids) use ($good): void {
            $good($c, $p, $ids);
            $s = $ids['post']['simple'];
            $m = $ids['loc']['main-store'];
            $c->query("INSERT INTO {$p}postmeta (post_id, meta_key, meta_value) VALUES ($s, '_location_stock_$m', '100')");
            $c->query("UPDATE {$p}postmeta SET meta_value = '0' WHERE post_id = {$ids['post']['second']} AND meta_key = '_regular_price'");
            $c->query("DELETE FROM {$p}term_relationships WHERE object_id = $s AND term_taxonomy_id = " . $ids['tt']['product_visibility:featured']);
            $c->query("UPDATE {$p}term_taxonomy SET count = 7 WHERE term_taxonomy_id = " . $ids['tt']['product_visibility:outofstock']);
        };
        $wrong = self::ok(1);
        $wrong['message'] = 'Processed 1 items. 1 succeeded, 0 failed';
        [, $f] = $this->runWith($case, $wrong, $bad);
        $text = implode("\n", $f);
        $this->assertStringContainsString('result.message', $text);
        $this->assertStringContainsString('expected exactly one row', $text);
        $this->assertStringContainsString('meta _regular_price of post', $text);
        $this->assertStringContainsString('only the outofstock visibility term may change', $text);
        $this->assertStringContainsString('count 7 but 3', $text);
        $this->assertStringContainsString('term count product_visibility:outofstock: expected 3, got 7', $text);

        // unchanged
        [, $f] = $this->runWith($this->caseFor(['error' => ['code' => 'invalid_data', 'status' => 400]]),
            ['error' => ['code' => 'invalid_data', 'status' => 400, 'message' => 'Invalid request body.']]);
        $this->assertSame([], $f);
        [, $f] = $this->runWith($this->caseFor(['error' => ['code' => 'invalid_data', 'status' => 400]]),
            ['error' => ['code' => 'invalid_data', 'status' => 400, 'message' => 'x']],
            fn (\mysqli $c, string $p, array $ids) => $c->query("UPDATE {$p}postmeta SET meta_value = '9' WHERE meta_key = '_stock' AND post_id = " . $ids['post']['simple']));
        $this->assertStringContainsString('unchanged: table postmeta changed', implode("\n", $f));
    }

    public function testMultisitePrefixHasAnUntouchedDecoy(): void
    {
        $case = $this->caseFor(['response' => self::ok(0)], ['prefix' => 'wp_3_']);
        [$prepared, $f] = $this->runWith($case, self::ok(0));
        $this->assertSame([], $f);
        $this->assertSame('wp_', $prepared['decoy_prefix']);
        [, $f] = $this->runWith($case, self::ok(0),
            fn (\mysqli $c, string $p, array $ids) => $c->query("UPDATE wp_postmeta SET meta_value = '9' WHERE meta_key = '_stock'"));
        $this->assertStringContainsString('tables of the other prefix wp_ changed', implode("\n", $f));
    }

    public function testPlaceholders(): void
    {
        $ids = ['post' => ['simple' => 101], 'loc' => ['main-store' => 7, '%e6%9d%b1%e4%ba%ac' => 11], 'tt' => [], 'term' => []];
        $s = self::store();
        $this->assertSame(101, $s->substitute('{int:post:simple}', $ids));
        $this->assertSame('101', $s->substitute('{post:simple}', $ids));
        $this->assertSame('_location_stock_11', $s->substitute('_location_stock_{loc:%e6%9d%b1%e4%ba%ac}', $ids));
        $this->assertSame(['_x_7' => [7, 'a101']], $s->substitute(['_x_{loc:main-store}' => ['{int:loc:main-store}', 'a{post:simple}']], $ids));
    }
}
