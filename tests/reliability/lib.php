<?php
/**
 * Support for the reliability suite (tests/reliability/run.sh, tests/soak/run.sh): a site handle (HTTP to
 * the e2e site of tests/e2e/lib/site.sh, root SQL over the MariaDB socket, php-fpm children), store seeding
 * (bulk clones of a product WooCommerce made, site/rel-wc.php), WooCommerce's view of the rows (lookup table,
 * visibility term), database fingerprints, fault injection helpers, the counts the README reports (requests,
 * clients, faults, inputs, rows checked); the runner is tests/lib/php/TestRun.php's.
 *
 * PHP 8.2 CLI with curl, mysqli and posix. Traffic goes to 127.0.0.1 only; every loop is bounded.
 */

declare(strict_types=1);

namespace Mulopimfwc\Reliability;

require_once dirname(__DIR__) . '/lib/php/TestRun.php';

// The shared runner (tests/lib/php/TestRun.php) under this suite's names.
class_alias(\Mulopimfwc\Tests\TestRun::class, Runner::class);
class_alias(\Mulopimfwc\Tests\SkipTest::class, SkipTest::class);
\Mulopimfwc\Tests\strict_errors();
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);

/** Reads a site's env file (tests/lib/php/TestRun.php). */
function read_env_file(string $file): array
{
    return \Mulopimfwc\Tests\read_env_file($file);
}

/** Counts for the summary (README figures). */
final class Stats
{
    public static int $requests = 0;
    public static int $maxClients = 0;
    public static int $faults = 0;
    /** @var array<string,int> */
    public static array $faultKinds = [];
    public static int $inputs = 0;
    public static int $rowsChecked = 0;
    public static int $decrements = 0;
    public static int $lost = 0;
    /** @var list<string> */
    public static array $notes = [];
    /** @var array<string,string> */
    public static array $measures = [];

    public static function fault(string $kind): void
    {
        self::$faults++;
        self::$faultKinds[$kind] = (self::$faultKinds[$kind] ?? 0) + 1;
    }

    public static function clients(int $n): void
    {
        self::$maxClients = max(self::$maxClients, $n);
    }

    public static function note(string $s): void
    {
        self::$notes[] = $s;
        echo "      note: $s\n";
    }

    public static function measure(string $k, string $v): void
    {
        self::$measures[$k] = $v;
        echo "      measure: $k = $v\n";
    }

    public static function toArray(): array
    {
        return [
            'requests' => self::$requests, 'max_clients' => self::$maxClients, 'faults' => self::$faults,
            'fault_kinds' => self::$faultKinds, 'inputs' => self::$inputs, 'rows_checked' => self::$rowsChecked,
            'decrements' => self::$decrements, 'lost' => self::$lost, 'notes' => self::$notes,
            'measures' => self::$measures,
        ];
    }
}

/** A response. */
final class Resp
{
    public function __construct(
        public int $status,
        public string $body,
        public float $seconds,
        public string $curlError = '',
        public array $headers = [],
    ) {
    }

    public function json(): mixed
    {
        return json_decode($this->body, true, 512, JSON_BIGINT_AS_STRING);
    }

    public function code(): ?string
    {
        $j = $this->json();
        return is_array($j) && isset($j['code']) && is_string($j['code']) ? $j['code'] : null;
    }

    public function short(): string
    {
        $b = strlen($this->body) > 400 ? substr($this->body, 0, 400) . '…' : $this->body;
        return "HTTP {$this->status} in " . round($this->seconds, 2) . "s" . ($this->curlError ? " ({$this->curlError})" : '') . ": $b";
    }
}

/** A site of tests/e2e/lib/site.sh: HTTP, root SQL, php-fpm. */
final class Site
{
    public array $env;
    public string $url;
    public string $db;
    public string $key;
    private ?\mysqli $root = null;
    /** @var list<Resp> every response, for the secrets check */
    public static array $responses = [];

    public const ROUTE = '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync';

    public function __construct(public string $envFile)
    {
        $this->env = read_env_file($envFile);
        $this->url = $this->env['E2E_URL'];
        $this->db = $this->env['E2E_DB_NAME'];
        $this->key = $this->env['E2E_API_KEY'];
    }

    public function dir(): string
    {
        return $this->env['E2E_SITE_DIR'];
    }

    public function root(): \mysqli
    {
        if ($this->root === null) {
            $this->root = new \mysqli('localhost', 'root', '', $this->db, 0, $this->env['E2E_DB_SOCKET']);
            $this->root->set_charset('utf8mb4');
        }
        return $this->root;
    }

    /** Drops the root connection (after the server went away). */
    public function forgetRoot(): void
    {
        if ($this->root !== null) {
            try {
                $this->root->close();
            } catch (\Throwable) {
            }
        }
        $this->root = null;
    }

    public function q(string $sql): \mysqli_result|bool
    {
        return $this->root()->query($sql);
    }

    public function rows(string $sql): array
    {
        $r = $this->q($sql);
        return $r instanceof \mysqli_result ? $r->fetch_all(MYSQLI_NUM) : [];
    }

    public function assoc(string $sql): array
    {
        $r = $this->q($sql);
        return $r instanceof \mysqli_result ? $r->fetch_all(MYSQLI_ASSOC) : [];
    }

    public function one(string $sql): mixed
    {
        $rows = $this->rows($sql);
        return $rows[0][0] ?? null;
    }

    public function lit(string $s): string
    {
        return "'" . $this->root()->real_escape_string($s) . "'";
    }

    public function setOption(string $name, ?string $value): void
    {
        $this->q('DELETE FROM wp_options WHERE option_name = ' . $this->lit($name));
        if ($value !== null) {
            $this->q('INSERT INTO wp_options (option_name, option_value, autoload) VALUES (' . $this->lit($name) . ', ' . $this->lit($value) . ", 'yes')");
        }
    }

    /** Headers for a request with the site's key (and the PHP engine when $php). */
    public function headers(bool $php = false, ?string $key = null): array
    {
        $h = ['Content-Type' => 'application/json', 'X-API-Key' => $key ?? $this->key];
        if ($php) {
            $h['X-E2E-Force-PHP'] = '1';
        }
        return $h;
    }

    public function handle(string $body, array $headers, int $timeout = 120, string $path = self::ROUTE): \CurlHandle
    {
        $ch = curl_init($this->url . $path);
        $h = ['Expect:'];
        foreach ($headers as $k => $v) {
            $h[] = $v === '' ? "$k;" : "$k: $v";
        }
        curl_setopt_array($ch, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => $h,
            CURLOPT_TIMEOUT => $timeout,
            CURLOPT_CONNECTTIMEOUT => 5,
        ]);
        return $ch;
    }

    public static function finish(\CurlHandle $ch, string|false|null $out, float $t0): Resp
    {
        Stats::$requests++;
        $r = new Resp(
            (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE),
            is_string($out) ? $out : '',
            microtime(true) - $t0,
            curl_error($ch),
            ['content-type' => (string) curl_getinfo($ch, CURLINFO_CONTENT_TYPE)]
        );
        self::$responses[] = new Resp($r->status, strlen($r->body) > 65536 ? substr($r->body, 0, 65536) : $r->body, $r->seconds, $r->curlError);
        return $r;
    }

    public function post(string $body, array $headers = null, int $timeout = 120, string $path = self::ROUTE): Resp
    {
        $ch = $this->handle($body, $headers ?? $this->headers(), $timeout, $path);
        $t0 = microtime(true);
        $out = curl_exec($ch);
        return self::finish($ch, $out, $t0);
    }

    public function sync(array $items, bool $php = false): Resp
    {
        return $this->post(json_encode(['items' => $items], JSON_THROW_ON_ERROR), $this->headers($php));
    }

    // ----------------------------------------------------------------------------------------------
    // php-fpm

    public function fpmMaster(): int
    {
        return (int) trim((string) @file_get_contents($this->env['E2E_FPM_PIDFILE']));
    }

    /** @return array<int,array{cpu:int,hwm_kb:int,state:string}> the pool's children */
    public function fpmChildren(): array
    {
        $master = $this->fpmMaster();
        $out = [];
        foreach (glob('/proc/[0-9]*/stat') ?: [] as $f) {
            $s = @file_get_contents($f);
            if ($s === false) {
                continue;
            }
            $rp = strrpos($s, ')');
            $fields = explode(' ', substr($s, $rp + 2));
            // fields[0] = state, [1] = ppid, [11] = utime, [12] = stime
            if ((int) $fields[1] !== $master) {
                continue;
            }
            $pid = (int) basename(dirname($f));
            $hwm = 0;
            $st = @file_get_contents("/proc/$pid/status");
            if ($st !== false && preg_match('/^VmHWM:\s+(\d+)/m', $st, $m)) {
                $hwm = (int) $m[1];
            }
            $out[$pid] = ['cpu' => (int) $fields[11] + (int) $fields[12], 'hwm_kb' => $hwm, 'state' => $fields[0]];
        }
        ksort($out);
        return $out;
    }

    /** Lines of the site's logs (php errors, WP debug log, fpm, nginx). */
    public function logFiles(): array
    {
        $d = $this->dir();
        return array_values(array_filter([
            "$d/php-error.log", "$d/debug.log", "$d/php-fpm.log", "$d/nginx-error.log", "$d/nginx-access.log",
        ], 'is_file'));
    }

    // ----------------------------------------------------------------------------------------------
    // data

    /** Exact content checksums of the tables a sync may touch (options without transients). */
    public function fingerprint(): array
    {
        $fp = [];
        foreach ($this->rows('CHECKSUM TABLE wp_posts, wp_postmeta, wp_terms, wp_term_taxonomy, wp_term_relationships, wp_wc_product_meta_lookup EXTENDED') as [$t, $sum]) {
            $fp[$t] = $sum;
        }
        $fp['options'] = $this->one("SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CRC32(CONCAT_WS(0x1f, option_name, option_value))), 0)) FROM wp_options WHERE option_name NOT LIKE '%transient%'");
        $fp['tables'] = $this->one('SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()');
        return $fp;
    }

    /** (post, key) pairs with more than one row among $posts (all posts when null). */
    public function duplicates(?array $posts = null): array
    {
        $where = $posts ? ' WHERE post_id IN (' . implode(',', array_map('intval', $posts)) . ')' : '';
        return $this->rows("SELECT post_id, meta_key, COUNT(*) FROM wp_postmeta$where GROUP BY post_id, meta_key HAVING COUNT(*) > 1 LIMIT 20");
    }

    /** @return array<int,array<string,list<string>>> post => key => values */
    public function meta(array $posts, ?array $keys = null): array
    {
        $out = [];
        if (!$posts) {
            return $out;
        }
        $sql = 'SELECT post_id, meta_key, meta_value FROM wp_postmeta WHERE post_id IN (' . implode(',', array_map('intval', $posts)) . ')';
        if ($keys !== null) {
            $sql .= ' AND meta_key IN (' . implode(',', array_map([$this, 'lit'], $keys)) . ')';
        }
        foreach ($this->rows($sql . ' ORDER BY meta_id') as [$p, $k, $v]) {
            $out[(int) $p][$k][] = (string) $v;
        }
        return $out;
    }

    /** @var array<int,int> stock => id of a product WooCommerce made (the seed template) */
    private array $templates = [];

    /**
     * A simple product made by WooCommerce's own API (WC_Product_Simple, saved by WooCommerce in a CLI process
     * that loads this site's WordPress: tests/reliability/site/rel-wc.php) with stock $stock: the rows the seeds
     * clone. One per site and stock value.
     */
    public function template(int $stock): int
    {
        if (!isset($this->templates[$stock])) {
            [$rc, $out] = sh('php ' . escapeshellarg(__DIR__ . '/site/rel-wc.php') . ' ' . escapeshellarg($this->env['E2E_WP_DIR']) . " template $stock");
            $j = json_decode(trim((string) preg_replace('/^.*\n(?=\{)/s', '', $out)), true);
            if ($rc !== 0 || !is_int($j['id'] ?? null)) {
                throw new \RuntimeException("rel-wc.php template $stock failed (exit $rc): " . substr($out, 0, 400));
            }
            $this->templates[$stock] = $j['id'];
        }
        return $this->templates[$stock];
    }

    /**
     * Seeds $n simple products (SKU "$tag-$i", stock managed, `_stock` $stock, regular price 100) and $m locations
     * (slug "$tag-loc-$j"). The products are clones of one WooCommerce made (template()): its wp_posts row, every
     * meta row (`_sku` replaced), its term relationships (product_type, visibility, category; the terms' counts
     * raised to match) and its wc_product_meta_lookup row (product_id and sku replaced), in a few multi-row
     * statements, so the rows are the ones WooCommerce writes on either stack, at the speed of SQL. Ids are
     * consecutive. Locations are the location plugin's terms (taxonomy mulopimfwc_store_location), made by hand.
     * Returns ['products' => [id...], 'skus' => [...], 'locations' => [term_id => slug], 'template' => id].
     */
    public function seedStore(string $tag, int $n, int $m, int $stock = 10, array $skuOverride = []): array
    {
        $tpl = $this->template($stock);
        $db = $this->root();
        $postRow = $this->assoc("SELECT * FROM wp_posts WHERE ID = $tpl")[0] ?? null;
        if ($postRow === null) {
            throw new \RuntimeException("template product $tpl is gone");
        }
        $metaRows = $this->rows("SELECT meta_key, meta_value FROM wp_postmeta WHERE post_id = $tpl AND meta_key NOT IN ('_edit_lock', '_edit_last') ORDER BY meta_id");
        $terms = $this->rows("SELECT term_taxonomy_id, term_order FROM wp_term_relationships WHERE object_id = $tpl");
        $lookupRow = $this->assoc("SELECT * FROM wp_wc_product_meta_lookup WHERE product_id = $tpl")[0] ?? null;
        $first = (int) $this->one('SELECT COALESCE(MAX(ID), 0) FROM wp_posts') + 1;
        $ids = [];
        $skus = [];
        $posts = [];
        $meta = [];
        $rels = [];
        $lookup = [];
        $tuple = fn (array $row): string => '(' . implode(', ', array_map(fn ($v) => $v === null ? 'NULL' : $this->lit((string) $v), $row)) . ')';
        for ($i = 0; $i < $n; $i++) {
            $id = $first + $i;
            $sku = $skuOverride[$i] ?? sprintf('%s-%05d', $tag, $i);
            $ids[] = $id;
            $skus[] = $sku;
            $name = strtolower($tag) . '-p' . $i;
            $posts[] = $tuple(['ID' => $id, 'post_title' => "$tag product $i", 'post_name' => $name, 'guid' => $this->url . "/?post_type=product&p=$id"] + $postRow);
            foreach ($metaRows as [$k, $v]) {
                $meta[] = "($id, " . $this->lit($k) . ', ' . $this->lit($k === '_sku' ? $sku : (string) $v) . ')';
            }
            foreach ($terms as [$tt, $order]) {
                $rels[] = "($id, " . (int) $tt . ', ' . (int) $order . ')';
            }
            if ($lookupRow !== null) {
                $lookup[] = $tuple(['product_id' => $id, 'sku' => $sku] + $lookupRow);
            }
        }
        $cols = fn (array $row): string => '(`' . implode('`, `', array_keys($row)) . '`)';
        $db->begin_transaction();
        foreach (array_chunk($posts, 2000) as $c) {
            $db->query('INSERT INTO wp_posts ' . $cols(['ID' => 0, 'post_title' => 0, 'post_name' => 0, 'guid' => 0] + $postRow) . ' VALUES ' . implode(',', $c));
        }
        foreach (array_chunk($meta, 10000) as $c) {
            $db->query('INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES ' . implode(',', $c));
        }
        foreach (array_chunk($rels, 10000) as $c) {
            $db->query('INSERT INTO wp_term_relationships (object_id, term_taxonomy_id, term_order) VALUES ' . implode(',', $c));
        }
        foreach ($terms as [$tt]) {
            $db->query("UPDATE wp_term_taxonomy SET count = count + $n WHERE term_taxonomy_id = " . (int) $tt);
        }
        if ($lookupRow !== null) {
            foreach (array_chunk($lookup, 5000) as $c) {
                $db->query('INSERT INTO wp_wc_product_meta_lookup ' . $cols(['product_id' => 0, 'sku' => 0] + $lookupRow) . ' VALUES ' . implode(',', $c));
            }
        }
        $locations = [];
        for ($j = 0; $j < $m; $j++) {
            $slug = strtolower($tag) . '-loc-' . $j;
            $db->query('INSERT INTO wp_terms (name, slug, term_group) VALUES (' . $this->lit("$tag location $j") . ', ' . $this->lit($slug) . ', 0)');
            $tid = (int) $db->insert_id;
            $db->query("INSERT INTO wp_term_taxonomy (term_id, taxonomy, description, parent, count) VALUES ($tid, 'mulopimfwc_store_location', '', 0, 0)");
            $locations[$tid] = $slug;
        }
        $db->commit();
        return ['products' => $ids, 'skus' => $skus, 'locations' => $locations, 'template' => $tpl];
    }

    /**
     * WooCommerce's view of $posts against their meta: the wc_product_meta_lookup row's stock_quantity and
     * stock_status equal `_stock` and `_stock_status`, and the product_visibility term `outofstock` is set exactly
     * when `_stock_status` is outofstock. $skipQty: posts whose stock_quantity is not compared. Failure strings.
     */
    public function wcView(array $posts, array $skipQty = []): array
    {
        if (!$posts) {
            return [];
        }
        $in = implode(',', array_map('intval', $posts));
        $f = [];
        $m = $this->meta($posts, ['_stock', '_stock_status']);
        $lk = [];
        foreach ($this->rows("SELECT product_id, stock_quantity, stock_status FROM wp_wc_product_meta_lookup WHERE product_id IN ($in)") as [$p, $q, $ss]) {
            $lk[(int) $p] = [$q, $ss];
        }
        $oos = [];
        foreach ($this->rows("SELECT tr.object_id FROM wp_term_relationships tr JOIN wp_term_taxonomy tt ON tt.term_taxonomy_id = tr.term_taxonomy_id JOIN wp_terms t ON t.term_id = tt.term_id
            WHERE tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock' AND tr.object_id IN ($in)") as [$p]) {
            $oos[(int) $p] = true;
        }
        $skip = array_fill_keys($skipQty, true);
        foreach ($posts as $p) {
            Stats::$rowsChecked += 2;
            $stock = $m[$p]['_stock'] ?? [];
            $status = $m[$p]['_stock_status'] ?? [];
            if (count($stock) !== 1 || count($status) !== 1) {
                $f[] = "post $p: " . count($stock) . ' _stock rows, ' . count($status) . ' _stock_status rows';
                continue;
            }
            if (!isset($lk[$p])) {
                $f[] = "post $p: no wc_product_meta_lookup row";
                continue;
            }
            if (!isset($skip[$p]) && (float) $lk[$p][0] !== (float) $stock[0]) {
                $f[] = "post $p: lookup stock_quantity {$lk[$p][0]} != _stock {$stock[0]}";
            }
            if ($lk[$p][1] !== $status[0]) {
                $f[] = "post $p: lookup stock_status {$lk[$p][1]} != _stock_status {$status[0]}";
            }
            if (isset($oos[$p]) !== ($status[0] === 'outofstock')) {
                $f[] = "post $p: _stock_status {$status[0]} but the outofstock visibility term is " . (isset($oos[$p]) ? 'set' : 'not set');
            }
        }
        return count($f) > 10 ? array_merge(array_slice($f, 0, 10), [(count($f) - 10) . ' more WooCommerce view mismatches']) : $f;
    }

    /**
     * The engine's open transaction(s) on this site's database: thread id, rows modified, state.
     * InnoDB refreshes the INNODB_TRX cache only when it was not read for 100 ms: polled faster, it never
     * changes. So calls are spaced by at least 120 ms here.
     */
    public function engineTrx(): array
    {
        static $last = 0.0;
        $wait = 0.12 - (microtime(true) - $last);
        if ($wait > 0) {
            usleep((int) ($wait * 1e6));
        }
        $last = microtime(true);
        return $this->assoc('SELECT t.trx_id AS trx_id, t.trx_mysql_thread_id AS thread, t.trx_rows_modified AS rows_modified, t.trx_rows_locked AS rows_locked, t.trx_state AS state, p.COMMAND AS command, p.TIME AS time
            FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
            WHERE p.DB = ' . $this->lit($this->db) . ' AND p.USER <> \'root\'');
    }

    /** The engine's connections running a write statement right now (PROCESSLIST is live, unlike INNODB_TRX). */
    public function engineWriting(): array
    {
        return $this->assoc('SELECT ID AS thread, LEFT(INFO, 60) AS info, STATE AS state FROM information_schema.PROCESSLIST
            WHERE DB = ' . $this->lit($this->db) . " AND USER <> 'root' AND COMMAND = 'Query' AND (INFO LIKE 'INSERT%' OR INFO LIKE 'UPDATE%' OR INFO LIKE 'DELETE%')");
    }

    /** The engine's connections (not root) on this site's database, from PROCESSLIST. */
    public function engineThreads(): array
    {
        return $this->assoc('SELECT ID AS thread, COMMAND AS command, STATE AS state, LEFT(INFO, 60) AS info FROM information_schema.PROCESSLIST
            WHERE DB = ' . $this->lit($this->db) . " AND USER <> 'root'");
    }
}

/**
 * Runs $requests (list of [CurlHandle, tag]) with at most $concurrency in flight; $next() may return more
 * [handle, tag] pairs when one finishes (null: none). $done(Resp, tag) is called for each response. $tick() is
 * called between polls. Bounded by $deadline seconds.
 */
function run_multi(callable $next, int $concurrency, callable $done, ?callable $tick = null, float $deadline = 300.0): void
{
    $mh = curl_multi_init();
    $inflight = [];
    $t0 = microtime(true);
    $fill = function () use (&$inflight, $mh, $next, $concurrency): void {
        while (count($inflight) < $concurrency) {
            $n = $next();
            if ($n === null) {
                return;
            }
            [$ch, $tag] = $n;
            curl_multi_add_handle($mh, $ch);
            $inflight[spl_object_id($ch)] = [$ch, $tag, microtime(true)];
        }
    };
    $fill();
    Stats::clients(count($inflight));
    while ($inflight) {
        if (microtime(true) - $t0 > $deadline) {
            foreach ($inflight as [$ch]) {
                curl_multi_remove_handle($mh, $ch);
            }
            curl_multi_close($mh);
            throw new \RuntimeException("run_multi: deadline of {$deadline}s reached with " . count($inflight) . ' requests in flight');
        }
        curl_multi_exec($mh, $running);
        while ($info = curl_multi_info_read($mh)) {
            $ch = $info['handle'];
            $id = spl_object_id($ch);
            [, $tag, $started] = $inflight[$id];
            unset($inflight[$id]);
            $r = Site::finish($ch, curl_multi_getcontent($ch), $started);
            curl_multi_remove_handle($mh, $ch);
            $done($r, $tag);
            $fill();
            Stats::clients(count($inflight));
        }
        if ($tick !== null) {
            $tick();
        }
        if ($inflight) {
            curl_multi_select($mh, 0.01);
        }
    }
    curl_multi_close($mh);
}

/**
 * One request ($body, $headers, curl timeout $timeout s) with $tick() called between polls while it runs (as
 * run_multi, bounded by $deadline seconds); its response, null when none came.
 */
function request_while(Site $s, string $body, array $headers, int $timeout, callable $tick, float $deadline): ?Resp
{
    $resp = null;
    $sent = false;
    run_multi(
        function () use (&$sent, $s, $body, $headers, $timeout) {
            if ($sent) {
                return null;
            }
            $sent = true;
            return [$s->handle($body, $headers, $timeout), 'one'];
        },
        1,
        function (Resp $r) use (&$resp) {
            $resp = $r;
        },
        $tick,
        $deadline
    );
    return $resp;
}

/** Runs a command; returns [exit code, output]. */
function sh(string $cmd): array
{
    $out = [];
    $rc = 0;
    exec($cmd . ' 2>&1', $out, $rc);
    return [$rc, implode("\n", $out)];
}

/** Checks a 200 sync response: counts and message. Returns failure strings. */
function check_ok(Resp $r, int $success, int $failed, string $what): array
{
    $j = $r->json();
    if ($r->status !== 200 || !is_array($j)) {
        return ["$what: expected 200, got " . $r->short()];
    }
    $f = [];
    $n = $success + $failed;
    if (($j['success'] ?? null) !== true) {
        $f[] = "$what: success is not true";
    }
    if (($j['results']['success'] ?? null) !== $success || ($j['results']['failed'] ?? null) !== $failed) {
        $f[] = "$what: counts " . json_encode([$j['results']['success'] ?? null, $j['results']['failed'] ?? null]) . ", expected [$success,$failed]";
    }
    if (($j['message'] ?? '') !== "Processed $n items. $success succeeded, $failed failed.") {
        $f[] = "$what: message " . json_encode($j['message'] ?? null);
    }
    if (!is_array($j['results']['errors'] ?? null) || count($j['results']['errors']) !== $failed) {
        $f[] = "$what: errors list does not have $failed entries";
    }
    return $f;
}

/** Waits until $cond() is true, polling every $step seconds, at most $max seconds. */
function wait_until(callable $cond, float $max, float $step = 0.05): bool
{
    $t0 = microtime(true);
    while (microtime(true) - $t0 < $max) {
        if ($cond()) {
            return true;
        }
        usleep((int) ($step * 1e6));
    }
    return (bool) $cond();
}

/**
 * Whether a proc_open() process still runs; with $exitCode, its exit code (proc_get_status() reports the exit
 * code only once, so it is remembered here).
 */
function proc_running($proc, bool $exitCode = false): bool|int
{
    static $codes = [];
    $id = (int) $proc;
    if (!isset($codes[$id])) {
        $st = proc_get_status($proc);
        if (!$st['running']) {
            $codes[$id] = $st['exitcode'];
        }
    }
    if ($exitCode) {
        return $codes[$id] ?? -1;
    }
    return !isset($codes[$id]);
}
