<?php
/**
 * Bulk-sync jobs over HTTP, worked by real Action Scheduler runners (issue 12), on one WooCommerce stack, both engines:
 *
 *   php tests/e2e/jobs-tests.php NATIVE_SITE_ENV PHP_SITE_ENV [--filter S] [--items N] [--products S,V,K,L]
 *                                [--primary alternate|both|none|set] [--reuse]
 *
 * The two sites (tests/e2e/lib/site.sh start NAME --stack S --engine native|php; tests/e2e/jobs-run.sh starts them)
 * share one store: its products are made once, on the first site, by WooCommerce's own API
 * (tests/e2e/lib/jobs-setup.php through WP-CLI: S simple products, V variable ones of K variations, L locations),
 * then the site's database is copied table by table into a snapshot database, which is copied back into a site's
 * database before each run that must start from it (the other site's too: its own API key written back). The
 * native site has the extension in php-fpm and in its `wp` processes (PHP_ARGS), the php site in neither.
 * Per engine:
 *   1. a job of N items (default 50,000; NDJSON) in 5,000-item chunks worked by 3 concurrent
 *      `wp action-scheduler run --group=mulopimfwc --batch-size=1` processes ends with exactly the database (every
 *      _location_* row of the products, _stock, _stock_status, the lookup rows, the outofstock relationships and
 *      the term's count, the variable parents' status) and what WooCommerce reports (wc_get_product() in a new
 *      process) that `wp mulopimfwc bulk-sync FILE` of the same items leaves on the same store restored from the
 *      snapshot; the same failed items, numbered alike; the runners' engine runs overlapped in time (recorded by
 *      the test mu-plugin). Chunk 0's runner starts 3 s late and chunk 1 names some of chunk 0's products again:
 *      they must apply in file order. Without a primary location (WooCommerce's stock follows every item) on one
 *      engine and with one on the other, alternating by stack (--primary both: both on each);
 *   2. a runner killed with SIGKILL (a) inside the engine's transaction (a postmeta row held by another connection),
 *      (b) after the commit, before the follow-ons (a sleep in mulopimfwc_bulk_sync_job_chunk_applied): runners
 *      again (Action Scheduler's failure period lowered to 3 s): the job ends done, every chunk done, a
 *      stock_adjust of the killed chunk moved the stock exactly once; (a) the chunk's attempts > 1, (b) attempts 1
 *      (the engine ran it once; its second action ran the follow-ons only);
 *   3. cancel of a queued job, 3b. while a runner writes a chunk; 4. status progression; 5. failed items with their
 *      item numbers and lines, paged; 6. malformed NDJSON lines fail their items only; 7. bodies that are not
 *      JSON/NDJSON/CSV: 400 and no job, an unsupported Content-Type: 415; 8. Idempotency-Key on creation; 9. JSON
 *      document and CSV bodies; 10. no or a wrong API key.
 * --reuse (while writing tests): the snapshot and products of the last run, when they are there.
 * Ends with `E2E-COUNTS jobs-STACK passed=N failed=M skipped=K`.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

use function Mulopimfwc\Tests\hold_stock_row;

require __DIR__ . '/lib/TestRun.php';
require_once dirname(__DIR__) . '/lib/php/hold-row.php';

// ------------------------------------------------------------------------------------------------ arguments
$envFiles = [];
$opt = ['filter' => null, 'items' => '50000', 'products' => '320,20,4,16', 'primary' => 'alternate', 'reuse' => false];
for ($i = 1; $i < count($argv); $i++) {
    $a = $argv[$i];
    if ($a === '--reuse') {
        $opt['reuse'] = true;
    } elseif (preg_match('/^--(filter|items|products|primary)(?:=(.*))?$/', $a, $m)) {
        $opt[$m[1]] = $m[2] ?? $argv[++$i];
    } else {
        $envFiles[] = $a;
    }
}
if ($envFiles === []) {
    fwrite(STDERR, "usage: php tests/e2e/jobs-tests.php NATIVE_SITE_ENV [PHP_SITE_ENV] [--filter S] [--items N] [--products S,V,K,L] [--primary alternate|both|none|set]\n");
    exit(2);
}
$sites = array_map(static fn ($f) => new JobSite(read_env_file($f)), $envFiles);
$stack = $sites[0]->env['E2E_STACK'];
$run = new TestRun("jobs-$stack", false, 14);
// --filter: the tests whose name holds it (the setup always runs).
$test = static fn (string $name, callable $fn) => ($opt['filter'] === null || str_contains($name, $opt['filter'])) ? $run->test($name, $fn) : true;
$T0 = microtime(true);

const JOBS_ROUTE = '/wp-json/mulopimfwc/v1/inventory/bulk-sync/jobs';
const CHUNK_HOOK = 'mulopimfwc_bulk_sync_job_chunk';

/** One site of the pair: its env, database, HTTP client, engine, WP-CLI. */
final class JobSite
{
    public \mysqli $db;
    public Http $http;
    public string $engine;
    public string $name;

    public function __construct(public array $env)
    {
        $this->db = new \mysqli('localhost', $env['E2E_DB_USER'], $env['E2E_DB_PASSWORD'], $env['E2E_DB_NAME'], 0, $env['E2E_DB_SOCKET']);
        $this->db->set_charset('utf8mb4');
        $this->http = new Http($env['E2E_URL']);
        $this->engine = ($env['E2E_EXT'] ?? '') !== '' ? 'native' : 'php';
        $this->name = $env['E2E_NAME'];
    }

    /** The environment of a wp process: the extension for the native site (PHP_ARGS), none for the php one. */
    public function wpEnv(): array
    {
        $e = getenv();
        unset($e['SHELL_PIPE']);
        return ['WP_CLI_ALLOW_ROOT' => '1', 'PHP_ARGS' => (string) $this->env['E2E_WP_PHP_ARGS']] + $e;
    }

    public function wpCmd(array $args): array
    {
        return array_merge([$this->env['E2E_WP_CLI'], '--path=' . $this->env['E2E_WP_DIR']], $args);
    }

    /** `wp ARGS...` to its end: [exit, stdout, stderr, seconds]. */
    public function wp(array $args): array
    {
        $t = microtime(true);
        $p = proc_open($this->wpCmd($args), [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, sys_get_temp_dir(), $this->wpEnv());
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        return [proc_close($p), $out, $err, microtime(true) - $t];
    }

    /** PHP code run by `wp eval`, its output decoded as JSON. */
    public function evalJson(string $code): array
    {
        [$rc, $out, $err] = $this->wp(['eval', $code]);
        $j = json_decode(trim($out), true);
        if ($rc !== 0 || !is_array($j)) {
            throw new \RuntimeException("wp eval exited $rc: " . substr(trim($err . "\n" . $out), 0, 800));
        }
        return $j;
    }

    public function rows(string $sql): array
    {
        return $this->db->query($sql)->fetch_all(MYSQLI_ASSOC);
    }

    public function one(string $sql): ?string
    {
        $r = $this->db->query($sql)->fetch_row();
        return $r === null ? null : ($r[0] === null ? null : (string) $r[0]);
    }

    /** Site options written as rows (the next process reads them). null deletes. */
    public function options(array $opts): void
    {
        foreach ($opts as $k => $v) {
            $k = $this->db->real_escape_string($k);
            if ($v === null) {
                $this->db->query("DELETE FROM wp_options WHERE option_name = '$k'");
            } else {
                $v = $this->db->real_escape_string((string) $v);
                $this->db->query("INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('$k', '$v', 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)");
            }
        }
    }

    /** A request to the jobs routes with the site's API key. */
    public function api(string $method, string $path = '', ?string $body = null, array $headers = []): array
    {
        return $this->http->request($method, JOBS_ROUTE . $path, $body, ['X-API-Key' => $this->env['E2E_API_KEY']] + $headers);
    }

    /** POST a job; the answer. */
    public function create(string $body, string $type = 'application/x-ndjson', array $headers = []): array
    {
        return $this->api('POST', '', $body, ['Content-Type' => $type] + $headers);
    }

    /** GET a job's status (throws unless 200). */
    public function status(int $id, int $page = 1): array
    {
        $r = $this->api('GET', "/$id" . ($page > 1 ? "?page=$page" : ''));
        if ($r['status'] !== 200 || !is_array($r['json'])) {
            throw new \RuntimeException("GET job $id page $page: HTTP {$r['status']}: " . substr($r['body'], 0, 500));
        }
        return $r['json'];
    }

    /** Every failed item of a job, all pages, in order. */
    public function allFailures(int $id): array
    {
        $s = $this->status($id);
        $out = $s['items_failed'];
        for ($p = 2; $p <= (int) $s['failed_pages']; $p++) {
            $out = array_merge($out, $this->status($id, $p)['items_failed']);
        }
        return $out;
    }

    /** A runner: `wp action-scheduler run --group=mulopimfwc --batch-size=1` in a session of its own (setsid). */
    public function startRunner(string $log): array
    {
        $cmd = array_merge(['setsid'], $this->wpCmd(['action-scheduler', 'run', '--group=mulopimfwc', '--batch-size=1']));
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log . '.err', 'w']], $pipes, sys_get_temp_dir(), $this->wpEnv());
        $st = proc_get_status($p);
        return ['proc' => $p, 'pid' => (int) $st['pid'], 'log' => $log, 't0' => microtime(true)];
    }

    /** Waits for runners (at most $timeout s); each one's exit, output and "Completed processing action" count. */
    public function waitRunners(array $runners, float $timeout = 300): array
    {
        $out = [];
        $deadline = microtime(true) + $timeout;
        foreach ($runners as $r) {
            while (($st = proc_get_status($r['proc']))['running'] && microtime(true) < $deadline) {
                usleep(100000);
            }
            if ($st['running']) {
                posix_kill(-$r['pid'], SIGKILL);
                usleep(200000);
            }
            $rc = proc_close($r['proc']);
            $rc = $st['running'] ? 'timeout' : ($st['exitcode'] ?? $rc);
            $text = (string) @file_get_contents($r['log']) . (string) @file_get_contents($r['log'] . '.err');
            $out[] = ['exit' => $rc, 'output' => $text, 'completed' => preg_match_all('/Completed processing action/', $text), 'seconds' => microtime(true) - $r['t0']];
            @unlink($r['log']);
            @unlink($r['log'] . '.err');
        }
        return $out;
    }

    /** SIGKILL to a runner's whole session (the wp launcher execs php: one process, its group leader); its output. */
    public function killRunner(array $r): string
    {
        posix_kill(-$r['pid'], SIGKILL);
        $t = microtime(true);
        while (proc_get_status($r['proc'])['running'] && microtime(true) - $t < 10) {
            usleep(50000);
        }
        proc_close($r['proc']);
        $text = (string) @file_get_contents($r['log']) . (string) @file_get_contents($r['log'] . '.err');
        @unlink($r['log']);
        @unlink($r['log'] . '.err');
        return $text;
    }

    /** Runners ($n at a time) until the job is done, failed or cancelled, or $timeout s; the last status. */
    public function drain(int $id, int $n = 1, float $timeout = 90): array
    {
        $deadline = microtime(true) + $timeout;
        do {
            $rs = [];
            for ($i = 0; $i < $n; $i++) {
                $rs[] = $this->startRunner(tempnam(sys_get_temp_dir(), 'jobs-runner-'));
            }
            $this->waitRunners($rs, max(5, $deadline - microtime(true)));
            $s = $this->status($id);
            if (in_array($s['state'], ['done', 'failed', 'cancelled'], true)) {
                return $s;
            }
            usleep(500000);
        } while (microtime(true) < $deadline);
        return $s;
    }

    /** The job's chunk rows, by chunk_no. */
    public function chunks(int $id): array
    {
        $out = [];
        foreach ($this->rows("SELECT * FROM wp_mulopimfwc_job_chunks WHERE job_id = $id ORDER BY chunk_no") as $r) {
            $out[(int) $r['chunk_no']] = $r;
        }
        return $out;
    }

    /** The job's Action Scheduler actions: [action_id => [status, chunk_no]]. */
    public function actions(int $id): array
    {
        $out = [];
        foreach ($this->rows("SELECT a.action_id, a.status, a.args FROM wp_actionscheduler_actions a WHERE a.hook = '" . CHUNK_HOOK . "'") as $r) {
            $args = json_decode((string) $r['args'], true);
            if (is_array($args) && (int) ($args[0] ?? 0) === $id) {
                $out[(int) $r['action_id']] = ['status' => $r['status'], 'chunk' => (int) ($args[1] ?? -1)];
            }
        }
        return $out;
    }

    /** Every table of the site's database copied into $snap (made afresh). */
    public function snapshot(string $snap): void
    {
        $this->db->query("DROP DATABASE IF EXISTS `$snap`");
        $this->db->query("CREATE DATABASE `$snap`");
        $this->copyTables($this->env['E2E_DB_NAME'], $snap);
    }

    /** The site's database made again from $snap (tables not in it dropped); the site's own API key kept. */
    public function restore(string $snap): void
    {
        $own = $this->env['E2E_DB_NAME'];
        $keep = array_column($this->rows("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = '$snap'"), 't');
        foreach (array_column($this->rows("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = '$own'"), 't') as $t) {
            if (!in_array($t, $keep, true)) {
                $this->db->query("DROP TABLE `$own`.`$t`");
            }
        }
        $this->copyTables($snap, $own);
        $this->options(['mulopimfwc_api_key' => $this->env['E2E_API_KEY']]);
    }

    private function copyTables(string $from, string $to): void
    {
        $this->db->query('SET SESSION foreign_key_checks = 0');
        foreach (array_column($this->rows("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = '$from'"), 't') as $t) {
            $this->db->query("DROP TABLE IF EXISTS `$to`.`$t`");
            $this->db->query("CREATE TABLE `$to`.`$t` LIKE `$from`.`$t`");
            $this->db->query("INSERT INTO `$to`.`$t` SELECT * FROM `$from`.`$t`");
        }
        $this->db->query('SET SESSION foreign_key_checks = 1');
    }
}

// ------------------------------------------------------------------------------------------------ the store
/** What the store's rows say about products $ids (see the header): comparable arrays. */
function store_state(JobSite $s, array $ids): array
{
    $in = implode(',', array_map('intval', $ids));
    $meta = [];
    foreach ($s->rows("SELECT post_id, meta_key, meta_value FROM wp_postmeta WHERE post_id IN ($in) AND (meta_key LIKE '\\_location\\_%' OR meta_key IN ('_stock', '_stock_status')) ORDER BY post_id, meta_key, meta_id") as $r) {
        $meta[$r['post_id'] . ' ' . $r['meta_key']][] = $r['meta_value'];
    }
    $lookup = [];
    foreach ($s->rows("SELECT product_id, stock_quantity, stock_status FROM wp_wc_product_meta_lookup WHERE product_id IN ($in)") as $r) {
        $lookup[(int) $r['product_id']] = $r['stock_quantity'] . ' ' . $r['stock_status'];
    }
    ksort($lookup);
    $oos = "FROM wp_term_relationships tr JOIN wp_term_taxonomy tt ON tt.term_taxonomy_id = tr.term_taxonomy_id JOIN wp_terms t ON t.term_id = tt.term_id WHERE tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock'";
    return [
        'meta' => $meta,
        'lookup' => $lookup,
        'outofstock' => array_map('intval', array_column($s->rows("SELECT tr.object_id AS id $oos AND tr.object_id IN ($in) ORDER BY tr.object_id"), 'id')),
        'outofstock_count' => $s->one("SELECT tt.count FROM wp_term_taxonomy tt JOIN wp_terms t ON t.term_id = tt.term_id WHERE tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock'"),
    ];
}

/** What WooCommerce reports about products $ids, in a new process: id => "qty status". */
function wc_view(JobSite $s, array $ids): array
{
    return $s->evalJson('$o = array(); foreach ( ' . var_export(array_values($ids), true) . ' as $id ) { $p = wc_get_product( $id ); '
        . '$o[ $id ] = $p ? var_export( $p->get_stock_quantity(), true ) . " " . $p->get_stock_status() : "none"; } echo wp_json_encode( $o );');
}

/** The differences of two store states (at most $max lines), labelled $a / $b. */
function state_diff(array $x, array $y, string $a, string $b, int $max = 12): array
{
    $f = [];
    foreach (['meta', 'lookup'] as $part) {
        foreach (array_unique(array_merge(array_keys($x[$part]), array_keys($y[$part]))) as $k) {
            $vx = $x[$part][$k] ?? null;
            $vy = $y[$part][$k] ?? null;
            if ($vx !== $vy) {
                $f[] = "$part [$k]: $a " . json_encode($vx) . ", $b " . json_encode($vy);
            }
        }
    }
    foreach (array_diff($x['outofstock'], $y['outofstock']) as $id) {
        $f[] = "outofstock term on $id after $a only";
    }
    foreach (array_diff($y['outofstock'], $x['outofstock']) as $id) {
        $f[] = "outofstock term on $id after $b only";
    }
    if ($x['outofstock_count'] !== $y['outofstock_count']) {
        $f[] = "outofstock term count: $a {$x['outofstock_count']}, $b {$y['outofstock_count']}";
    }
    $n = count($f);
    return $n > $max ? array_merge(array_slice($f, 0, $max), ["... $n differences in all"]) : $f;
}

/** The products made for the run: ['locations' => slug => id, 'products' => [...]] from the first site. */
$store = null;
$snap = 'mulopimfwc_e2e_jobs_snap_' . preg_replace('/[^a-z0-9_]/', '_', strtolower($sites[0]->name));
$storeFile = dirname($sites[0]->env['E2E_SITE_DIR']) . "/$snap.json";
if ($opt['reuse'] && is_file($storeFile) && $sites[0]->one("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '$snap'") === '1') {
    $store = json_decode((string) file_get_contents($storeFile), true);
}
$run->test("setup: products by WooCommerce's API ({$opt['products']}: simple, variable, variations each, locations), snapshot", static function () use ($sites, $opt, $snap, $storeFile, &$store): array {
    $s = $sites[0];
    if (is_array($store)) {
        throw new SkipTest("--reuse: the products and snapshot $snap of the last run");
    }
    [$rc, $out, $err, $secs] = $s->wp(array_merge(['eval-file', __DIR__ . '/lib/jobs-setup.php'], explode(',', $opt['products'])));
    $store = json_decode(trim($out), true);
    if ($rc !== 0 || !is_array($store)) {
        throw new \RuntimeException("jobs-setup.php exited $rc: " . substr(trim($err . "\n" . $out), 0, 800));
    }
    [$ns, $nv, $nk, $nl] = array_map('intval', explode(',', $opt['products']));
    $f = [];
    $want = $ns + $nv * (1 + $nk);
    if (count($store['products']) !== $want || count($store['locations']) !== $nl) {
        $f[] = 'made ' . count($store['products']) . ' products and ' . count($store['locations']) . " locations, wanted $want and $nl";
    }
    $ids = implode(',', array_column($store['products'], 'id'));
    $lookup = (int) $s->one("SELECT COUNT(*) FROM wp_wc_product_meta_lookup WHERE product_id IN ($ids)");
    if ($lookup !== $want) {
        $f[] = "WooCommerce made $lookup lookup rows for $want products";
    }
    // A new store's Action Scheduler keeps its old posts store beside its tables until its migration ran (WP-Cron
    // does it; the test sites have none): until then `wp action-scheduler run --group=...` fails with 'The group
    // "mulopimfwc" does not exist' (the posts store knows no such group).
    [$rc, $out, $err] = $s->wp(['action-scheduler', 'migrate']);
    if ($rc !== 0 || !str_contains($out . $err, 'Migration complete')) {
        $f[] = "wp action-scheduler migrate exited $rc: " . substr(trim($err . "\n" . $out), 0, 400);
    }
    $s->snapshot($snap);
    file_put_contents($storeFile, json_encode($store));
    printf("      (%d products and variations, %d locations, %.1f s)\n", count($store['products']), count($store['locations']), $secs);
    return $f;
});
if (!is_array($store)) {
    exit($run->finish());
}
$allIds = array_column($store['products'], 'id');
$purchasable = array_values(array_filter($store['products'], static fn ($p) => $p['type'] !== 'variable'));
$simple = array_values(array_filter($store['products'], static fn ($p) => $p['type'] === 'simple'));
$parents = array_values(array_filter($store['products'], static fn ($p) => $p['type'] === 'variable'));
$locSlugs = array_keys($store['locations']);
$locIds = array_values($store['locations']);

/**
 * The items of the large job (JSON texts, file order) and how many of them fail by construction. The file is made
 * of blocks of 5,000 items, one per chunk; block b names the products of group b (a simple product's group is its
 * number modulo the blocks, variation k of parent v is in group v + k: a parent's variations spread over chunks),
 * so that chunks without a product in common can run at once, and 1% of block b names products of block b - 3
 * again (block 1: of block 0; set then stock_adjust, set then set: those must apply in file order).
 */
function big_items(array $purchasable, array $locs, int $n, int $seed): array
{
    mt_srand($seed);
    $slugs = array_keys($locs);
    $blocks = max(1, intdiv($n + 4999, 5000));
    $groups = array_fill(0, $blocks, []);
    $parentNo = [];
    $simpleNo = 0;
    foreach ($purchasable as $p) {
        if ($p['type'] === 'variation') {
            $v = $parentNo[$p['parent']] ??= count($parentNo);
            $k = (int) substr($p['sku'], strrpos($p['sku'], '-') + 1);
            $groups[($v + $k) % $blocks][] = $p;
        } else {
            $groups[$simpleNo++ % $blocks][] = $p;
        }
    }
    // The variations of the first 6 parents end at stock 0 at $zeroAt, each in the last item of its block: their
    // parents must end out of stock whichever order the chunks commit in (and nothing names them later).
    $zeroAt = $locs[$slugs[2]];
    $zero = [];
    foreach ($groups as $g => $ps) {
        foreach ($ps as $p) {
            if ($p['type'] === 'variation' && $parentNo[$p['parent']] < 6) {
                $zero[$g][] = json_encode(['sku' => $p['sku'], 'location_id' => $zeroAt, 'stock' => 0]);
            }
        }
    }
    $items = [];
    $bad = 0;
    for ($i = 0; $i < $n; $i++) {
        $b = intdiv($i, 5000);
        $blockEnd = min($n, ($b + 1) * 5000);
        if ($i >= $blockEnd - count($zero[$b] ?? [])) {
            $items[] = $zero[$b][$i - ($blockEnd - count($zero[$b]))];
            continue;
        }
        $from = $b === 1 ? 0 : $b - 3;
        $cross = $from >= 0 && mt_rand(1, 100) === 1;
        $g = $cross ? $groups[$from] : $groups[$b];
        $p = $g[mt_rand(0, count($g) - 1)];
        if ($cross && $p['type'] === 'variation' && $parentNo[$p['parent']] < 6) {
            $p = $groups[$b][0];
        }
        $slug = $slugs[mt_rand(0, count($slugs) - 1)];
        $it = mt_rand(1, 10) <= 7 ? ['sku' => $p['sku']] : ['product_id' => $p['id']];
        $it += mt_rand(1, 10) <= 6 ? ['location_slug' => $slug] : ['location_id' => $locs[$slug]];
        $r = mt_rand(1, 1000);
        if ($r <= 4) {
            $it = ['sku' => 'JOB-NOPE-' . $i, 'location_slug' => $slug, 'stock' => 3];
            $bad++;
        } elseif ($r <= 6) {
            $it['stock'] = 'abc';
            $bad++;
        } elseif ($r <= 260) {
            $it['stock_adjust'] = mt_rand(-6, 6);
        } else {
            $it['stock'] = mt_rand(-2, 40);
            if ($r > 970) {
                $it['regular_price'] = mt_rand(10, 30) . '.99';
            }
        }
        $items[] = json_encode($it);
    }
    return [$items, $bad];
}

/** Asserts an HTTP answer's status; the failure line or nothing. */
function expect_status(array $r, int $status, string $what): array
{
    return $r['status'] === $status ? [] : ["$what: HTTP {$r['status']}, expected $status: " . substr($r['body'], 0, 400)];
}

/** A small NDJSON job's items on products $ps (one each) at location $loc: the item texts. */
function small_items(array $ps, int $loc, int $base): array
{
    $out = [];
    foreach ($ps as $i => $p) {
        $out[] = json_encode(['sku' => $p['sku'], 'location_id' => $loc, 'stock' => $base + $i]);
    }
    return $out;
}

/** The _location_stock_<loc> value(s) and _stock of product $id. */
function stock_rows(JobSite $s, int $id, int $loc): array
{
    return [
        'location' => array_column($s->rows("SELECT meta_value FROM wp_postmeta WHERE post_id = $id AND meta_key = '_location_stock_$loc'"), 'meta_value'),
        'stock' => array_column($s->rows("SELECT meta_value FROM wp_postmeta WHERE post_id = $id AND meta_key = '_stock'"), 'meta_value'),
    ];
}

/** POST a job and expect 202 with a queued status; its id (throws otherwise). */
function create_job(JobSite $s, string $body, string $type = 'application/x-ndjson', array $headers = []): array
{
    $r = $s->create($body, $type, $headers);
    if ($r['status'] !== 202 || !is_array($r['json']) || !isset($r['json']['id'])) {
        throw new \RuntimeException("POST job: HTTP {$r['status']}: " . substr($r['body'], 0, 600));
    }
    return $r;
}

// ------------------------------------------------------------------------------------------------ per engine
$items = (int) $opt['items'];
foreach ($sites as $si => $s) {
    $eng = $s->engine;
    $tag = "$stack $eng";
    // Primary location: none on the first engine and set on the second on wc79, the other way round on wc105.
    $modes = match ($opt['primary']) {
        'both' => ['none', 'set'],
        'none' => ['none'],
        'set' => ['set'],
        default => [(($si + ($stack === 'wc105' ? 1 : 0)) % 2) === 0 ? 'none' : 'set'],
    };
    $base = [
        'mulopimfwc_e2e_as_failure_period' => 3,
        // The PHP engine's limit (1,000) would cap the chunks: 5,000 as on the native engine.
        'mulopimfwc_e2e_max_items' => $eng === 'php' ? 5000 : null,
        'mulopimfwc_e2e_job_chunk_size' => null,
        'mulopimfwc_e2e_record_chunks' => null,
        'mulopimfwc_e2e_job_chunk_delay' => null,
    ];

    // Each engine starts from the snapshot (the php site's own database has no products before).
    $s->restore($snap);

    // ---------------------------------------------------------------------------- 1. the large job
    foreach ($modes as $mode) {
        $primary = $mode === 'set' ? $store['locations'][$locSlugs[2]] : null;
        $what = $primary ? "primary location {$locSlugs[2]}" : 'no primary location';
        [$bigItems, $bad] = big_items($purchasable, $store['locations'], $items, 12 + $si);
        $test("[$tag] 1. $items-item NDJSON job, 5,000-item chunks, 3 concurrent `wp action-scheduler run` = one synchronous `wp mulopimfwc bulk-sync` ($what)", static function () use ($s, $snap, $base, $primary, $bigItems, $bad, $items, $allIds, $parents): array {
            $f = [];
            $opts = ['mulopimfwc_primary_location' => $primary, 'mulopimfwc_e2e_record_chunks' => '1'] + $base;
            // The job.
            $s->restore($snap);
            $s->options($opts);
            $t = microtime(true);
            $r = create_job($s, implode("\n", $bigItems) . "\n");
            $post = microtime(true) - $t;
            $id = (int) $r['json']['id'];
            $q = $r['json'];
            if (($q['state'] ?? null) !== 'queued' || (int) ($q['items']['total'] ?? -1) !== $items || (int) ($q['chunks']['size'] ?? -1) !== 5000) {
                $f[] = 'creation status: ' . json_encode(['state' => $q['state'] ?? null, 'items' => $q['items'] ?? null, 'chunks' => $q['chunks'] ?? null]);
            }
            if (!str_contains((string) ($r['headers']['location'] ?? ''), "/jobs/$id")) {
                $f[] = 'Location header ' . json_encode($r['headers']['location'] ?? null) . " does not name job $id";
            }
            $chunks = $s->chunks($id);
            $nChunks = count($chunks);
            if ($nChunks < intdiv($items, 5000) || $nChunks > intdiv($items + 4999, 5000) || array_sum(array_column($chunks, 'items')) !== $items) {
                $f[] = "$nChunks chunk rows holding " . array_sum(array_column($chunks, 'items')) . " items for $items items in chunks of 5,000";
            }
            $pending = array_filter($s->actions($id), static fn ($a) => $a['status'] === 'pending');
            if (count($pending) !== $nChunks) {
                $f[] = count($pending) . " pending actions of hook " . CHUNK_HOOK . " for $nChunks chunks";
            }
            // Chunk 0's runner is slow to start (3 s): chunk 1, which names some of its products again, must wait.
            $s->options(['mulopimfwc_e2e_job_chunk_delay' => "$id:0:3000"]);
            // 3 runners; when they stop with chunks left (a chunk that waits for an earlier one is scheduled again a
            // few seconds later, and a runner stops when nothing is due), 3 more, as WP-Cron or a cron job would.
            $t = microtime(true);
            $rounds = [];
            do {
                $rs = [];
                for ($i = 0; $i < 3; $i++) {
                    $rs[] = $s->startRunner(tempnam(sys_get_temp_dir(), 'jobs-runner-'));
                }
                $done = $s->waitRunners($rs, 300);
                $rounds[] = implode('+', array_column($done, 'completed'));
                foreach ($done as $i => $d) {
                    if ($d['exit'] !== 0 || ($d['completed'] < 1 && count($rounds) === 1)) {
                        $f[] = "runner $i exited {$d['exit']} after {$d['completed']} actions: " . substr(trim($d['output']), -600);
                    }
                }
                $st = $s->status($id);
            } while (!in_array($st['state'], ['done', 'failed', 'cancelled'], true) && microtime(true) - $t < 300 && ($st['state'] !== 'queued' || count($rounds) < 3));
            $jobSecs = microtime(true) - $t;
            $jobFailures = $s->allFailures($id);
            if ($st['state'] !== 'done' || (int) $st['items']['processed'] !== $items || (int) $st['items']['succeeded'] + (int) $st['items']['failed'] !== $items
                || (int) $st['items']['failed'] !== $bad || (int) $st['chunks']['done'] !== $nChunks) {
                $f[] = 'status after the runners: ' . json_encode(['state' => $st['state'], 'items' => $st['items'], 'chunks' => $st['chunks']]) . " (expected done, $bad failed)";
            }
            // The runners overlapped: two chunks' engine runs (recorded by the mu-plugin when each committed, in
            // microseconds: the chunk rows' columns have 1 s) by two processes at the same time.
            $runs = [];
            foreach ($s->rows("SELECT option_name, option_value FROM wp_options WHERE option_name LIKE 'mulopimfwc\\_e2e\\_chunkrun\\_{$id}\\_%'") as $o) {
                $runs[] = json_decode($o['option_value'], true) + ['chunk' => (int) explode('_', $o['option_name'])[4]];
            }
            $overlaps = 0;
            foreach ($runs as $a) {
                foreach ($runs as $b) {
                    if ($a['chunk'] < $b['chunk'] && $a['pid'] !== $b['pid'] && $a['start'] < $b['end'] && $b['start'] < $a['end']) {
                        $overlaps++;
                    }
                }
            }
            if (count($runs) !== $nChunks || $overlaps === 0 || count(array_unique(array_column($runs, 'pid'))) < 2) {
                $t0 = min(array_column($runs, 'start') ?: [0]);
                $f[] = count($runs) . " chunk runs recorded for $nChunks chunks, $overlaps pairs of them overlapped, by " . count(array_unique(array_column($runs, 'pid'))) . ' runners: '
                    . json_encode(array_map(static fn ($r) => [$r['chunk'], $r['pid'], round($r['start'] - $t0, 2), round($r['end'] - $t0, 2)], $runs));
            }
            $jobState = store_state($s, $allIds);
            $jobWc = wc_view($s, $allIds);

            // The same items in one synchronous run, on the store as it was.
            $s->restore($snap);
            $s->options($opts);
            $file = tempnam(sys_get_temp_dir(), 'jobs-sync-') . '.json';
            file_put_contents($file, '{"items":[' . implode(',', $bigItems) . ']}');
            [$rc, $out, $err, $syncSecs] = $s->wp(['mulopimfwc', 'bulk-sync', $file, '--chunk-size=5000', '--format=json']);
            unlink($file);
            if (!preg_match('/Processed (\d+) items\. (\d+) succeeded, (\d+) failed\./', $out . $err, $m) || (int) $m[1] !== $items) {
                return array_merge($f, ["wp mulopimfwc bulk-sync exited $rc: " . substr(trim($err . "\n" . $out), -800)]);
            }
            $syncFailures = [];
            foreach (preg_split('/\R/', $out) as $line) {
                $j = json_decode(trim($line), true);
                if (is_array($j) && array_is_list($j)) {
                    foreach ($j as $e) {
                        $syncFailures[] = (int) $e['item'] . ' ' . $e['code'];
                    }
                }
            }
            $jobList = array_map(static fn ($e) => (int) $e['index'] . ' ' . $e['code'], $jobFailures);
            if ($jobList !== $syncFailures) {
                $f[] = 'failed items: job ' . count($jobList) . ' (first ' . implode(', ', array_slice($jobList, 0, 4)) . '), synchronous run ' . count($syncFailures)
                    . ' (first ' . implode(', ', array_slice($syncFailures, 0, 4)) . ')';
            }
            foreach ($jobFailures as $e) {
                if ((int) $e['line'] !== (int) $e['index']) {
                    $f[] = "failed item {$e['index']}: line {$e['line']} (the file has one item per line)";
                    break;
                }
            }
            $f = array_merge($f, state_diff($jobState, store_state($s, $allIds), 'job', 'synchronous run'));
            $syncWc = wc_view($s, $allIds);
            foreach ($allIds as $pid) {
                if (($jobWc[$pid] ?? null) !== ($syncWc[$pid] ?? null)) {
                    $f[] = "wc_get_product($pid): after the job " . json_encode($jobWc[$pid] ?? null) . ', after the synchronous run ' . json_encode($syncWc[$pid] ?? null);
                }
            }
            // Variable parents: WooCommerce's status of each, as a check that they are in the comparison at all.
            $parentStatuses = array_count_values(array_map(static fn ($p) => explode(' ', $jobWc[$p['id']] ?? 'x x')[1], $parents));
            printf("      (job: POST %.1f s, %d chunks, 3 runners %.1f s = %d items/s, %d chunk pairs overlapped, actions per runner and round %s; synchronous run %.1f s; parents %s)\n",
                $post, $nChunks, $jobSecs, (int) ($items / max(0.001, $jobSecs)), $overlaps, implode(', ', $rounds), $syncSecs, json_encode($parentStatuses));
            return $f;
        });
    }

    // The small jobs: chunk size 20 unless said, no primary location (WooCommerce's stock follows every item).
    $s->options(['mulopimfwc_primary_location' => null, 'mulopimfwc_e2e_job_chunk_size' => 20] + $base);
    $loc = $locIds[0];
    $loc2 = $locIds[1];

    // ---------------------------------------------------------------------------- 2. SIGKILL
    foreach (['a' => 'inside the engine\'s transaction (a postmeta row held by another connection)', 'b' => 'after the commit, before the follow-ons (asleep in mulopimfwc_bulk_sync_job_chunk_applied)'] as $case => $where) {
        $test("[$tag] 2$case. a runner killed with SIGKILL $where: runners again, the job ends done, no chunk lost, the killed chunk's stock_adjust applied once", static function () use ($s, $simple, $loc, $case): array {
            $f = [];
            $ps = array_slice($simple, $case === 'a' ? 0 : 60, 60);
            $items = small_items($ps, $loc, 10);
            $x = $ps[5];
            $items[5] = json_encode(['sku' => $x['sku'], 'location_id' => $loc, 'stock_adjust' => 7]);
            $before = stock_rows($s, $x['id'], $loc);
            $r = create_job($s, implode("\n", $items));
            $id = (int) $r['json']['id'];
            $s->options(['mulopimfwc_e2e_job_applied_sleep' => $case === 'b' ? "$id:0:60000" : null]);
            $holder = null;
            if ($case === 'a') {
                $y = $ps[9];
                $holder = hold_stock_row(['host' => 'localhost', 'port' => 0, 'socket' => $s->env['E2E_DB_SOCKET'], 'user' => $s->env['E2E_DB_USER'], 'password' => $s->env['E2E_DB_PASSWORD']], $s->env['E2E_DB_NAME'], 'wp_', (int) $y['id'], 60);
            }
            $runner = $s->startRunner(tempnam(sys_get_temp_dir(), 'jobs-runner-'));
            // Wait for the moment: (a) the engine waits for the held row with the chunk row locked; (b) chunk 0 committed.
            $deadline = microtime(true) + 30;
            $there = false;
            while (!$there && microtime(true) < $deadline) {
                usleep(100000);
                if ($case === 'a') {
                    // The chunk's row is the first lock of the engine's transaction: locked by another session, the
                    // transaction is open (and cannot commit while the held row is held).
                    $locked = false;
                    try {
                        $s->db->begin_transaction();
                        $s->db->query("SELECT state FROM wp_mulopimfwc_job_chunks WHERE job_id = $id AND chunk_no = 0 FOR UPDATE NOWAIT");
                    } catch (\mysqli_sql_exception $e) {
                        $locked = true;
                    }
                    $s->db->rollback();
                    $there = $locked;
                } else {
                    $there = $s->one("SELECT state FROM wp_mulopimfwc_job_chunks WHERE job_id = $id AND chunk_no = 0") === 'done';
                }
            }
            $trx = $s->rows("SELECT t.trx_state, t.trx_rows_locked, p.db, p.info FROM information_schema.innodb_trx t LEFT JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id");
            $said = $s->killRunner($runner);
            if ($holder) {
                proc_terminate($holder, SIGKILL);
                proc_close($holder);
            }
            if (!$there) {
                $c = $s->chunks($id)[0] ?? [];
                unset($c['payload'], $c['meta']);
                return ['the runner never reached the moment to kill it (' . ($case === 'a' ? 'inside the transaction' : 'chunk 0 committed') . ') within 30 s: chunk 0 ' . json_encode($c),
                    'the runner said: ' . substr(trim($said), -800), 'transactions: ' . json_encode($trx)];
            }
            $s->options(['mulopimfwc_e2e_job_applied_sleep' => null]);
            $c0 = $s->chunks($id)[0];
            $mid = stock_rows($s, $x['id'], $loc);
            if ($case === 'a' && ($c0['state'] !== 'pending' || $mid !== $before)) {
                $f[] = 'after the kill inside the transaction: chunk 0 ' . $c0['state'] . ', rows ' . json_encode($mid) . ' (before ' . json_encode($before) . '): expected pending, nothing written';
            }
            if ($case === 'b' && ($c0['state'] !== 'done' || (int) $c0['followons'] !== 0)) {
                $f[] = "after the kill between commit and follow-ons: chunk 0 state {$c0['state']}, followons {$c0['followons']} (expected done, 0)";
            }
            sleep(4); // Action Scheduler's failure period (3 s) passes: the next runner's cleaner marks the action failed.
            $st = $s->drain($id, 2, 90);
            $chunks = $s->chunks($id);
            $after = stock_rows($s, $x['id'], $loc);
            $want = ['location' => [(string) ((int) ($before['location'][0] ?? 0) + 7)], 'stock' => [(string) ((float) ($before['stock'][0] ?? 0) + 7)]];
            if ($st['state'] !== 'done' || (int) $st['items']['processed'] !== 60 || (int) $st['items']['succeeded'] !== 60 || (int) $st['chunks']['done'] !== 3) {
                $f[] = 'status after the runners: ' . json_encode(['state' => $st['state'], 'items' => $st['items'], 'chunks' => $st['chunks']]) . ' (expected done, 60 of 60 succeeded, 3 chunks done)';
            }
            if (count($chunks) !== 3 || array_filter($chunks, static fn ($c) => $c['state'] !== 'done' || (int) $c['followons'] !== 1)) {
                $f[] = 'chunks: ' . json_encode(array_map(static fn ($c) => [$c['state'], $c['attempts'], $c['followons']], $chunks)) . ' (expected 3 done, follow-ons run)';
            }
            // (a) the engine ran the chunk twice; (b) it ran once (committed), the second action only ran its
            // follow-ons, which the code does not count as an attempt.
            $attempts = (int) ($chunks[0]['attempts'] ?? 0);
            if ($case === 'a' ? $attempts < 2 : $attempts !== 1) {
                $f[] = "chunk 0 attempts $attempts, expected " . ($case === 'a' ? '> 1' : '1 (the engine ran it once)');
            }
            $c0 = array_count_values(array_column(array_filter($s->actions($id), static fn ($a) => $a['chunk'] === 0), 'status'));
            if (($c0['failed'] ?? 0) !== 1 || ($c0['complete'] ?? 0) !== 1) {
                $f[] = 'actions of chunk 0: ' . json_encode($c0) . ' (expected the killed one failed, its retry complete)';
            }
            if ($after['location'] !== $want['location'] || (float) ($after['stock'][0] ?? 'NaN') !== (float) $want['stock'][0] || count($after['stock']) !== 1) {
                $f[] = "stock_adjust +7 of {$x['sku']}: rows " . json_encode($after) . ' before ' . json_encode($before) . ', expected ' . json_encode($want);
            }
            $wc = wc_view($s, [$x['id']]);
            if ($wc[$x['id']] !== var_export((int) $want['stock'][0], true) . ' ' . ((int) $want['stock'][0] > 0 ? 'instock' : 'outofstock')) {
                $f[] = "wc_get_product({$x['id']}) in a new process: {$wc[$x['id']]}, expected stock {$want['stock'][0]}";
            }
            $lookup = $s->one("SELECT stock_quantity FROM wp_wc_product_meta_lookup WHERE product_id = {$x['id']}");
            if ((float) $lookup !== (float) $want['stock'][0]) {
                $f[] = "lookup row of {$x['id']}: $lookup, expected {$want['stock'][0]}";
            }
            $statuses = array_count_values(array_column($s->actions($id), 'status'));
            if (($statuses['failed'] ?? 0) < 1 || ($statuses['pending'] ?? 0) !== 0) {
                $f[] = 'Action Scheduler actions of the job: ' . json_encode($statuses) . ' (expected the killed one failed, none pending)';
            }
            return $f;
        });
    }

    // ---------------------------------------------------------------------------- 3. cancel
    $doneJob = 0;
    $test("[$tag] 3. DELETE on a queued job: cancelled, its chunks write nothing after, their actions no longer pending", static function () use ($s, $simple, $loc2): array {
        $f = [];
        $ps = array_slice($simple, 120, 40);
        $ids = array_column($ps, 'id');
        $before = store_state($s, $ids);
        $r = create_job($s, implode("\n", small_items($ps, $loc2, 500)));
        $id = (int) $r['json']['id'];
        $d = $s->api('DELETE', "/$id");
        $f = array_merge($f, expect_status($d, 200, 'DELETE'));
        if (($d['json']['state'] ?? null) !== 'cancelled' || empty($d['json']['cancelled_at'])) {
            $f[] = 'DELETE answered ' . substr($d['body'], 0, 300);
        }
        $chunks = $s->chunks($id);
        if (count($chunks) !== 2 || array_filter($chunks, static fn ($c) => $c['state'] !== 'cancelled')) {
            $f[] = 'chunk rows: ' . json_encode(array_column($chunks, 'state'));
        }
        $pending = array_filter($s->actions($id), static fn ($a) => $a['status'] === 'pending');
        if ($pending) {
            $f[] = count($pending) . ' actions of the cancelled job still pending';
        }
        $s->waitRunners([$s->startRunner(tempnam(sys_get_temp_dir(), 'jobs-runner-'))], 60);
        $st = $s->status($id);
        if ($st['state'] !== 'cancelled' || (int) $st['items']['processed'] !== 0) {
            $f[] = 'after a runner: ' . json_encode(['state' => $st['state'], 'items' => $st['items']]);
        }
        $f = array_merge($f, state_diff($before, store_state($s, $ids), 'before', 'after'));
        $f = array_merge($f, expect_status($s->api('DELETE', '/999999999'), 404, 'DELETE of a job that does not exist'));
        return $f;
    });

    $test("[$tag] 3b. DELETE while a runner works: the chunk it wrote stays written (its follow-ons run), the rest never runs", static function () use ($s, $simple, $loc2): array {
        $f = [];
        $ps = array_slice($simple, 0, 60);
        $before = array_map(static fn ($p) => stock_rows($s, (int) $p['id'], $loc2), $ps);
        $id = (int) create_job($s, implode("\n", small_items($ps, $loc2, 700)))['json']['id'];
        $s->options(['mulopimfwc_e2e_job_applied_sleep' => "$id:0:3000"]);
        $runner = $s->startRunner(tempnam(sys_get_temp_dir(), 'jobs-runner-'));
        $deadline = microtime(true) + 30;
        while ($s->one("SELECT state FROM wp_mulopimfwc_job_chunks WHERE job_id = $id AND chunk_no = 0") !== 'done' && microtime(true) < $deadline) {
            usleep(100000);
        }
        $d = $s->api('DELETE', "/$id");
        $s->waitRunners([$runner], 60);
        $s->options(['mulopimfwc_e2e_job_applied_sleep' => null]);
        $s->waitRunners([$s->startRunner(tempnam(sys_get_temp_dir(), 'jobs-runner-'))], 60);
        $st = $s->status($id);
        $chunks = $s->chunks($id);
        $got = array_map(static fn ($c) => $c['state'] . '/' . $c['followons'], $chunks);
        if ($d['status'] !== 200 || $st['state'] !== 'cancelled' || (int) $st['items']['processed'] !== 20 || $got !== ['done/1', 'cancelled/0', 'cancelled/0']) {
            $f[] = "DELETE HTTP {$d['status']}; then " . json_encode(['state' => $st['state'], 'items' => $st['items'], 'chunks' => $got]) . ' (expected cancelled, 20 processed, chunks done/1 cancelled/0 cancelled/0)';
        }
        foreach ($ps as $i => $p) {
            $rows = stock_rows($s, (int) $p['id'], $loc2);
            $want = $i < 20 ? ['location' => [(string) (700 + $i)]] : ['location' => $before[$i]['location']];
            if ($rows['location'] !== $want['location']) {
                $f[] = 'item ' . ($i + 1) . ': ' . json_encode($rows['location']) . ', expected ' . json_encode($want['location']);
                break;
            }
        }
        if (array_filter($s->actions($id), static fn ($a) => $a['status'] === 'pending')) {
            $f[] = 'actions of the cancelled job still pending';
        }
        return $f;
    });

    // ---------------------------------------------------------------------------- 4. status progression
    $test("[$tag] 4. status: queued before any runner, running while one works, done with the counts", static function () use ($s, $simple, $loc2, &$doneJob): array {
        $f = [];
        $ps = array_slice($simple, 160, 60);
        $items = small_items($ps, $loc2, 30);
        $items[3] = json_encode(['sku' => 'JOB-NOPE-A', 'location_id' => $loc2, 'stock' => 1]);
        $items[27] = json_encode(['sku' => $ps[27]['sku'], 'location_id' => $loc2, 'stock' => '1.5']);
        $items[44] = json_encode(['sku' => 'JOB-NOPE-B', 'location_id' => $loc2, 'stock' => 1]);
        $r = create_job($s, implode("\n", $items));
        $id = (int) $r['json']['id'];
        $q = $s->status($id);
        if ($q['state'] !== 'queued' || $q['started_at'] !== null || (int) $q['items']['processed'] !== 0 || (int) $q['items']['total'] !== 60
            || (int) $q['chunks']['total'] !== 3 || (int) $q['chunks']['pending'] !== 3) {
            $f[] = 'before any runner: ' . json_encode(['state' => $q['state'], 'started_at' => $q['started_at'], 'items' => $q['items'], 'chunks' => $q['chunks']]);
        }
        $s->options(['mulopimfwc_e2e_job_applied_sleep' => "$id:0:4000"]);
        $runner = $s->startRunner(tempnam(sys_get_temp_dir(), 'jobs-runner-'));
        $deadline = microtime(true) + 30;
        while ($s->one("SELECT state FROM wp_mulopimfwc_job_chunks WHERE job_id = $id AND chunk_no = 0") !== 'done' && microtime(true) < $deadline) {
            usleep(100000);
        }
        $m = $s->status($id);
        if ($m['state'] !== 'running' || $m['started_at'] === null || (int) $m['items']['processed'] !== 20 || (int) $m['chunks']['done'] !== 1 || $m['finished_at'] !== null) {
            $f[] = 'while chunk 1 runs: ' . json_encode(['state' => $m['state'], 'started_at' => $m['started_at'], 'items' => $m['items'], 'chunks' => $m['chunks']]) . ' (expected running, 20 processed, 1 chunk done)';
        }
        $s->waitRunners([$runner], 60);
        $s->options(['mulopimfwc_e2e_job_applied_sleep' => null]);
        $d = $s->status($id);
        if ($d['state'] !== 'done') {
            $d = $s->drain($id);
        }
        $want = ['total' => 60, 'processed' => 60, 'succeeded' => 57, 'failed' => 3];
        $got = array_map('intval', array_intersect_key($d['items'], $want));
        ksort($got);
        ksort($want);
        if ($d['state'] !== 'done' || $got !== $want || (int) $d['chunks']['done'] !== 3 || $d['finished_at'] === null || $d['finished_at'] < $d['started_at']) {
            $f[] = 'at the end: ' . json_encode(['state' => $d['state'], 'items' => $d['items'], 'chunks' => $d['chunks'], 'started_at' => $d['started_at'], 'finished_at' => $d['finished_at']]) . ' expected done ' . json_encode($want);
        }
        $idx = array_map(static fn ($e) => (int) $e['index'] . ' ' . $e['code'], $d['items_failed']);
        if ($idx !== ['4 product_not_found', '28 invalid_stock', '45 product_not_found']) {
            $f[] = 'items_failed: ' . json_encode($idx);
        }
        $rows = stock_rows($s, (int) $ps[59]['id'], $loc2);
        if ($rows['location'] !== ['89']) {
            $f[] = "last item's row: " . json_encode($rows);
        }
        // The list: newest first, a plain array (X-WP-Total counts the jobs), without failed items.
        $l = $s->api('GET');
        $listed = is_array($l['json']) && array_is_list($l['json']) ? $l['json'] : [];
        $total = (int) $s->one("SELECT COUNT(*) FROM wp_mulopimfwc_jobs WHERE state <> 'receiving'");
        if ($l['status'] !== 200 || (int) ($listed[0]['id'] ?? 0) !== $id || $listed[0]['state'] !== 'done' || array_key_exists('items_failed', $listed[0])
            || (int) ($l['headers']['x-wp-total'] ?? -1) !== $total) {
            $f[] = "GET jobs (list): HTTP {$l['status']}, X-WP-Total " . ($l['headers']['x-wp-total'] ?? 'none') . " (jobs: $total), first " . substr(json_encode($listed[0] ?? null), 0, 300) . " (expected job $id, done)";
        }
        $doneJob = $id;
        $f = array_merge($f, expect_status($s->api('DELETE', "/$id"), 409, 'DELETE of a done job'));
        return $f;
    });

    // ---------------------------------------------------------------------------- 5, 6. failed items
    $test("[$tag] 5. failed items with their item numbers and lines in the file, paged (?page=2)", static function () use ($s, $simple, $loc2): array {
        $f = [];
        $s->options(['mulopimfwc_e2e_job_chunk_size' => 50]);
        $lines = [];
        $expect = [];
        $n = 0;
        for ($i = 0; $i < 260; $i++) {
            if ($i % 9 === 4) {
                $lines[] = ''; // blank lines: not items, so lines and item numbers part
            }
            $n++;
            if ($i % 2 === 1 || $i > 250) {
                $sku = "JOB-MISSING-$i";
                $lines[] = json_encode(['sku' => $sku, 'location_id' => $loc2, 'stock' => 1]);
                $expect[] = [$n, count($lines), 'product_not_found', $sku];
            } else {
                $lines[] = json_encode(['sku' => $simple[$i]['sku'], 'location_id' => $loc2, 'stock' => $i]);
            }
        }
        $id = (int) create_job($s, implode("\n", $lines) . "\n")['json']['id'];
        $s->options(['mulopimfwc_e2e_job_chunk_size' => 20]);
        $st = $s->drain($id);
        $p1 = $s->status($id, 1);
        $p2 = $s->status($id, 2);
        $n1 = count($p1['items_failed']);
        $n2 = count($p2['items_failed']);
        if ($st['state'] !== 'done' || (int) $st['items']['failed'] !== count($expect) || (int) $p1['failed_pages'] !== 2 || $n1 !== 100 || $n2 !== count($expect) - 100 || (int) $p2['failed_page'] !== 2) {
            $f[] = sprintf('state %s, failed %s, pages %s, page 1 %d entries, page 2 %d entries (expected %d failures on 2 pages)', $st['state'], $st['items']['failed'], $p1['failed_pages'], $n1, $n2, count($expect));
        }
        $got = array_map(static fn ($e) => [(int) $e['index'], (int) $e['line'], $e['code'], $e['sku'] ?? null], array_merge($p1['items_failed'], $p2['items_failed']));
        if ($got !== $expect) {
            foreach ($expect as $k => $e) {
                if (($got[$k] ?? null) !== $e) {
                    $f[] = "failure #$k: got " . json_encode($got[$k] ?? null) . ', expected ' . json_encode($e);
                    break;
                }
            }
        }
        if (!preg_match('/^Item 2: /', (string) ($p1['errors'][0] ?? ''))) {
            $f[] = 'errors[0] ' . json_encode($p1['errors'][0] ?? null) . ' (expected "Item 2: ...")';
        }
        return $f;
    });

    $test("[$tag] 6. malformed NDJSON lines fail their items, not the job", static function () use ($s, $simple, $loc2): array {
        $f = [];
        $ps = array_slice($simple, 240, 30);
        $lines = small_items($ps, $loc2, 200);
        $lines[4] = '{"sku": "' . $ps[4]['sku'] . '", "location_id": ' . $loc2 . ', "stock": ';
        $lines[21] = 'not json at all';
        $id = (int) create_job($s, implode("\n", $lines))['json']['id'];
        $st = $s->drain($id);
        $failed = array_map(static fn ($e) => [(int) $e['index'], (int) $e['line'], $e['code']], $st['items_failed']);
        if ($st['state'] !== 'done' || (int) $st['items']['succeeded'] !== 28 || (int) $st['items']['failed'] !== 2 || $failed !== [[5, 5, 'invalid_json'], [22, 22, 'invalid_json']]) {
            $f[] = 'status: ' . json_encode(['state' => $st['state'], 'items' => $st['items'], 'items_failed' => $st['items_failed']]);
        }
        foreach ([0 => '200', 4 => null, 5 => '205', 29 => '229'] as $k => $want) {
            $rows = stock_rows($s, (int) $ps[$k]['id'], $loc2);
            if ($want === null ? $rows['location'] === ['204'] : $rows['location'] !== [$want]) {
                $f[] = "item " . ($k + 1) . ': rows ' . json_encode($rows) . ($want === null ? ' (its malformed line must write nothing)' : ", expected $want");
            }
        }
        return $f;
    });

    // ---------------------------------------------------------------------------- 7. not JSON/NDJSON/CSV
    $test("[$tag] 7. bodies that are not JSON, NDJSON or CSV: 400 before a job exists; an unsupported Content-Type: 415", static function () use ($s): array {
        $f = [];
        $count = static fn () => [
            (int) $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_jobs'),
            (int) $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_job_chunks'),
            (int) $s->one("SELECT COUNT(*) FROM wp_actionscheduler_actions WHERE hook = '" . CHUNK_HOOK . "'"),
            (int) ($s->api('GET')['headers']['x-wp-total'] ?? -1),
        ];
        $before = $count();
        foreach ([
            ['hello', 'application/json', 400],
            ["\x00\x01\xff\xfe\x89PNG\r\n\x1a\n" . random_bytes(200), 'application/x-ndjson', 400],
            ["\x00\x01\xff\xfe" . random_bytes(100), 'application/octet-stream', 400],
            ["colour,size\nred,3\n", 'text/csv', 400],
            ['{"items": 5}', 'application/json', 400],
            ['', 'application/x-ndjson', 400],
            ['<items><item/></items>', 'application/xml', 415],
        ] as [$body, $type, $want]) {
            $r = $s->create($body, $type);
            $code = $want === 415 ? 'unsupported_media_type' : 'invalid_data';
            if ($r['status'] !== $want || ($r['json']['code'] ?? null) !== $code) {
                $f[] = json_encode(substr($body, 0, 20), JSON_INVALID_UTF8_SUBSTITUTE) . " as $type: HTTP {$r['status']} " . substr($r['body'], 0, 200) . " (expected $want $code)";
            }
        }
        if ($count() !== $before) {
            $f[] = 'jobs, chunks, actions, listed total before ' . json_encode($before) . ', after ' . json_encode($count());
        }
        return $f;
    });

    // ---------------------------------------------------------------------------- 8. Idempotency-Key
    $test("[$tag] 8. Idempotency-Key on creation: the same key and body give the same job, one job", static function () use ($s, $simple, $loc2): array {
        $f = [];
        $body = implode("\n", small_items(array_slice($simple, 280, 30), $loc2, 7));
        $jobs = (int) $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_jobs');
        $key = 'jobs-e2e-' . bin2hex(random_bytes(6));
        $a = create_job($s, $body, 'application/x-ndjson', ['Idempotency-Key' => $key]);
        $b = $s->create($body, 'application/x-ndjson', ['Idempotency-Key' => $key]);
        $id = (int) $a['json']['id'];
        // The first response again (status, body), marked as a replay.
        if ($b['status'] !== 202 || $b['body'] !== $a['body'] || ($b['headers']['idempotent-replayed'] ?? null) !== 'true' || isset($a['headers']['idempotent-replayed'])) {
            $f[] = "the second POST: HTTP {$b['status']}, Idempotent-Replayed " . json_encode($b['headers']['idempotent-replayed'] ?? null) . ', ' . substr($b['body'], 0, 300) . " (expected the first answer again: job $id, 202, replayed)";
        }
        $now = (int) $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_jobs');
        $acts = count($s->actions($id));
        if ($now !== $jobs + 1 || $acts !== 2) {
            $f[] = "jobs $jobs -> $now (expected one more), actions of the job $acts (expected 2)";
        }
        $c = $s->create($body . "\n", 'application/x-ndjson', ['Idempotency-Key' => $key]);
        if ($c['status'] < 400 || (int) $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_jobs') !== $jobs + 1) {
            $f[] = "the same key with another body: HTTP {$c['status']} " . substr($c['body'], 0, 200) . ' (expected a 4xx and no job)';
        }
        $st = $s->drain($id);
        if ($st['state'] !== 'done' || (int) $st['items']['succeeded'] !== 30) {
            $f[] = 'the job: ' . json_encode(['state' => $st['state'], 'items' => $st['items']]);
        }
        return $f;
    });

    // ---------------------------------------------------------------------------- 9. JSON document, CSV
    $test("[$tag] 9. the same items as a JSON document and as CSV (application/json, text/csv): jobs of that format, the rows written, failed items numbered (CSV with their lines)", static function () use ($s, $simple, $loc2): array {
        $f = [];
        $ps = array_slice($simple, 300, 8);
        foreach (['json' => 'application/json', 'csv' => 'text/csv; charset=utf-8'] as $format => $type) {
            $base = $format === 'json' ? 300 : 400;
            if ($format === 'json') {
                $rows = [];
                foreach ($ps as $i => $p) {
                    $rows[] = ['sku' => $i === 3 ? 'JOB-NOPE-J' : $p['sku'], 'location_id' => $loc2, 'stock' => $base + $i];
                }
                $body = json_encode(['items' => $rows], JSON_PRETTY_PRINT);
            } else {
                $body = "sku,location_id,stock,colour\n";
                foreach ($ps as $i => $p) {
                    $body .= ($i === 3 ? 'JOB-NOPE-C' : $p['sku']) . ",$loc2," . ($base + $i) . ",red\n" . ($i === 1 ? "\n" : '');
                }
            }
            $r = create_job($s, $body, $type);
            $st = $s->drain((int) $r['json']['id']);
            $failed = array_map(static fn ($e) => [(int) $e['index'], $e['line'] === null ? null : (int) $e['line'], $e['code']], $st['items_failed']);
            // CSV: the header is line 1, a blank line after item 2; a JSON document has no lines.
            $want = $format === 'csv' ? [[4, 6, 'product_not_found']] : [[4, null, 'product_not_found']];
            if ($r['json']['format'] !== $format || $st['state'] !== 'done' || (int) $st['items']['total'] !== 8 || (int) $st['items']['succeeded'] !== 7 || $failed !== $want) {
                $f[] = "$format: " . json_encode(['format' => $r['json']['format'], 'state' => $st['state'], 'items' => $st['items'], 'failed' => $failed]) . ' expected ' . json_encode($want);
            }
            foreach ([0, 7] as $k) {
                $rows = stock_rows($s, (int) $ps[$k]['id'], $loc2);
                if ($rows['location'] !== [(string) ($base + $k)]) {
                    $f[] = "$format item " . ($k + 1) . ': ' . json_encode($rows) . ', expected ' . ($base + $k);
                }
            }
        }
        return $f;
    });

    // ---------------------------------------------------------------------------- 10. authentication
    $test("[$tag] 10. the routes without a valid X-API-Key: 401 or 403, no job made, none cancelled", static function () use ($s, $simple, $loc2): array {
        $f = [];
        $queued = (int) create_job($s, json_encode(['sku' => $simple[0]['sku'], 'location_id' => $loc2, 'stock' => 1]))['json']['id']; // queued
        $jobs = (int) $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_jobs');
        foreach (['' => null, 'wrong' => 'nope-' . bin2hex(random_bytes(4))] as $what => $key) {
            $h = $key === null ? [] : ['X-API-Key' => $key];
            foreach ([['POST', '', '{"sku":"JOB-S-0001","location_id":1,"stock":1}'], ['GET', '', null], ['GET', "/$queued", null], ['DELETE', "/$queued", null]] as [$m, $path, $body]) {
                $r = $s->http->request($m, JOBS_ROUTE . $path, $body, $h + ($body === null ? [] : ['Content-Type' => 'application/x-ndjson']));
                if (!in_array($r['status'], [401, 403], true) || isset($r['json']['id']) || (is_array($r['json']) && array_is_list($r['json']))) {
                    $f[] = "$m $path " . ($key === null ? 'without a key' : 'with a wrong key') . ": HTTP {$r['status']} " . substr($r['body'], 0, 200);
                }
            }
        }
        if ((int) $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_jobs') !== $jobs || $s->status($queued)['state'] !== 'queued') {
            $f[] = 'jobs changed: ' . $jobs . ' -> ' . $s->one('SELECT COUNT(*) FROM wp_mulopimfwc_jobs') . ', job ' . $queued . ' ' . $s->status($queued)['state'];
        }
        $f = array_merge($f, expect_status($s->api('GET', '/999999999'), 404, 'GET of a job that does not exist'));
        $f = array_merge($f, expect_status($s->api('DELETE', "/$queued"), 200, 'DELETE with the key'));
        return $f;
    });

    $test("[$tag] no PHP warnings, notices or errors from the plugin in the site's logs", static fn () => plugin_log_errors($s->env));
}

// The snapshot database is ours alone.
if (!$opt['reuse']) {
    $sites[0]->db->query("DROP DATABASE IF EXISTS `$snap`");
}
printf("[jobs-%s] took %.0f s\n", $stack, microtime(true) - $T0);
exit($run->finish());
