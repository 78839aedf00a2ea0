<?php
/**
 * The contract suite's store: creates a database (or reuses one), loads tests/sql/schema.sql with a table
 * prefix, seeds a fixture (tests/contract/fixtures/*.json), substitutes {post:KEY} / {loc:SLUG} placeholders
 * in a case, snapshots the tables, and checks a case's expectations against the engine's outcome and the
 * database afterwards.
 *
 * Engine-agnostic and PHPUnit-free on purpose: verify() returns a list of failure strings, so the same class
 * serves the native extension's tests, the PHP engine's tests inside WordPress (through an adapter, with
 * mode 'existing' and the site's own database and prefix) and end-to-end HTTP tests.
 *
 * Requires PHP 8.2 and mysqli. See tests/contract/README.md and tests/contract/fixtures/FORMAT.md.
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

final class ContractStore
{
    /**
     * Options WooCommerce itself writes while it serves any request (its admin task list noticing products, Action
     * Scheduler's runner lock): not ours, so not part of "options never change".
     */
    private const WC_BOOKKEEPING_OPTIONS = " AND option_name NOT LIKE 'action\\_scheduler\\_lock\\_%'"
        . " AND option_name NOT IN ('woocommerce_task_list_tracked_completed_tasks')";

    /** Posts get ids from here, terms from 1, term_taxonomy ids from TT_START: no id coincides by accident. */
    public const POST_ID_START = 101;
    public const TT_ID_START = 41;
    public const FIXTURE_DATE = '2020-01-01 00:00:00';
    public const LOCATION_TAXONOMY = 'mulopimfwc_store_location';

    /** Meta keys an engine may write beside the ones a case lists (WooCommerce's save writes this one). */
    private const META_ALWAYS_ALLOWED = ['_product_version'];

    private ?\mysqli $server = null;
    private static int $dbCounter = 0;
    /** @var array<string,string> reusable databases by "prefix|decoy prefix" (mode 'fresh') */
    private static array $pool = [];
    private static bool $shutdownRegistered = false;

    /**
     * @param array{host:string,port:int,socket:?string,user:string,password:string} $db
     */
    public function __construct(
        private array $db,
        private string $schemaPath,
        private string $fixturesDir,
        private string $dbNamePrefix = 'mulopimfwc_ct_'
    ) {
    }

    public static function repoRoot(): string
    {
        return \dirname(__DIR__, 3);
    }

    /** Database settings from MULOPIMFWC_DB_* (defaults: the private MariaDB of tests/lib/mariadb.sh). */
    public static function dbFromEnv(): array
    {
        $env = static fn (string $k, ?string $d = null): ?string => (($v = getenv($k)) === false || $v === '') ? $d : $v;
        return [
            'host' => $env('MULOPIMFWC_DB_HOST', '127.0.0.1'),
            'port' => (int) $env('MULOPIMFWC_DB_PORT', '33306'),
            'socket' => $env('MULOPIMFWC_DB_SOCKET'),
            'user' => $env('MULOPIMFWC_DB_USER', 'mulopimfwc'),
            'password' => $env('MULOPIMFWC_DB_PASSWORD', 'test-pass-Xy9'),
        ];
    }

    public static function fromEnv(): self
    {
        $root = self::repoRoot();
        $schema = getenv('MULOPIMFWC_TEST_SCHEMA');
        return new self(
            self::dbFromEnv(),
            ($schema !== false && $schema !== '') ? $schema : $root . '/tests/sql/schema.sql',
            $root . '/tests/contract/fixtures'
        );
    }

    public function dbSettings(): array
    {
        return $this->db;
    }

    // ------------------------------------------------------------------ connections

    /** A connection to the server (no default database). */
    public function server(): \mysqli
    {
        if ($this->server === null) {
            $this->server = $this->connect(null);
        }
        return $this->server;
    }

    public function connect(?string $dbName): \mysqli
    {
        mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
        $m = mysqli_init();
        $m->options(MYSQLI_OPT_CONNECT_TIMEOUT, 10);
        $useSocket = ($this->db['socket'] ?? null) && in_array($this->db['host'], ['localhost', ''], true);
        $m->real_connect(
            $useSocket ? 'localhost' : $this->db['host'],
            $this->db['user'],
            $this->db['password'],
            $dbName,
            $this->db['port'],
            $useSocket ? $this->db['socket'] : null
        );
        $m->set_charset('utf8mb4');
        $m->query("SET SESSION sql_mode = 'ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
        return $m;
    }

    // ------------------------------------------------------------------ cases and fixtures

    /**
     * Every case of every cases/*.json file, keyed "file.json: name". Each case gets `_file` and `_index`.
     * @return array<string,array>
     */
    public static function loadCases(string $dir): array
    {
        $out = [];
        $files = glob(rtrim($dir, '/') . '/*.json') ?: [];
        sort($files);
        foreach ($files as $file) {
            $cases = json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
            if (!is_array($cases) || !array_is_list($cases)) {
                throw new \RuntimeException("$file: a case file is a JSON array of cases");
            }
            foreach ($cases as $i => $case) {
                if (!isset($case['name'])) {
                    throw new \RuntimeException("$file: case #$i has no name");
                }
                $key = basename($file) . ': ' . $case['name'];
                if (isset($out[$key])) {
                    throw new \RuntimeException("duplicate case name: $key");
                }
                if (!array_key_exists('request', $case) && !array_key_exists('raw_body', $case)) {
                    throw new \RuntimeException("$key: needs request or raw_body");
                }
                if (!isset($case['expect']) || !is_array($case['expect'])) {
                    throw new \RuntimeException("$key: needs expect");
                }
                $case['_file'] = basename($file);
                $case['_index'] = $i;
                $out[$key] = $case;
            }
        }
        return $out;
    }

    public function loadFixture(string $name): array
    {
        $file = $this->fixturesDir . '/' . $name . '.json';
        if (!is_file($file)) {
            throw new \RuntimeException("fixture not found: $file");
        }
        return json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
    }

    // ------------------------------------------------------------------ preparing a case

    /**
     * Sets up the store for a case and returns the "prepared" record that verify() needs.
     *
     * $mode 'fresh': creates a new database (named mulopimfwc_ct_...), loads the schema with the case's prefix
     *   (`prefix`, default wp_) and, when the prefix is not wp_, also a decoy copy under wp_ that must stay
     *   untouched. $mode 'existing': uses $dbName as it is (a WordPress site's database), empties the product
     *   tables of $prefix (posts, postmeta, terms, term_taxonomy, term_relationships, termmeta,
     *   wc_product_meta_lookup) and only upserts the options the fixture and case name.
     */
    public function prepare(array $case, string $mode = 'fresh', ?string $dbName = null, ?string $prefix = null): array
    {
        $prefix ??= $case['prefix'] ?? 'wp_';
        if (!preg_match('/^[A-Za-z0-9_]+$/', $prefix)) {
            throw new \InvalidArgumentException("bad prefix $prefix");
        }
        $fixture = $this->loadFixture($case['fixture'] ?? 'store');
        $decoy = null;
        if ($mode === 'fresh') {
            $decoy = $prefix !== 'wp_' ? 'wp_' : null;
            $sig = $prefix . '|' . ($decoy ?? '');
            $keep = getenv('MULOPIMFWC_KEEP_DB') === '1';
            if ($keep || !isset(self::$pool[$sig])) {
                $dbName = $this->dbNamePrefix . getmypid() . '_' . (++self::$dbCounter);
                $this->server()->query("DROP DATABASE IF EXISTS `$dbName`");
                $this->server()->query("CREATE DATABASE `$dbName` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci");
                $conn = $this->connect($dbName);
                $this->loadSchema($conn, $prefix);
                if ($decoy !== null) {
                    $this->loadSchema($conn, $decoy);
                }
                if (!$keep) {
                    self::$pool[$sig] = $dbName;
                    if (self::$pool !== [] && !self::$shutdownRegistered) {
                        self::$shutdownRegistered = true;
                        register_shutdown_function(fn () => $this->dropPool());
                    }
                }
            } else {
                $dbName = self::$pool[$sig];
                $conn = $this->connect($dbName);
            }
            $conn->begin_transaction();
            $this->emptyProductTables($conn, $prefix, true);
            if ($decoy !== null) {
                $this->emptyProductTables($conn, $decoy, true);
                $this->seed($conn, $decoy, $fixture, []);
            }
        } else {
            if ($dbName === null) {
                throw new \InvalidArgumentException("mode 'existing' needs a database name");
            }
            $conn = $this->connect($dbName);
            $conn->begin_transaction();
            $this->emptyProductTables($conn, $prefix, false);
        }
        $ids = $this->seed($conn, $prefix, $fixture, $case['site_options'] ?? []);
        $conn->commit();
        foreach ($case['drop_tables'] ?? [] as $t) {
            $conn->query('DROP TABLE IF EXISTS `' . $prefix . $this->ident($t) . '`');
            if ($mode === 'fresh') {
                // The pooled database lost a table: the next case gets a new one.
                self::$pool = array_filter(self::$pool, fn ($db) => $db !== $dbName);
                $prepared_drop = true;
            }
        }
        $resolved = $this->substitute($case, $ids);
        $prepared = [
            'mode' => $mode,
            'db' => $dbName,
            'prefix' => $prefix,
            'decoy_prefix' => $decoy,
            'ids' => $ids,
            'case' => $resolved,
            'started_at' => time(),
            'drop_after' => !empty($prepared_drop),
        ];
        $prepared['before'] = $this->snapshot($conn, $prefix);
        if ($decoy !== null) {
            $prepared['decoy_before'] = $this->snapshot($conn, $decoy);
        }
        $conn->close();
        return $prepared;
    }

    /** After a case: drops its database when no later case can reuse it (MULOPIMFWC_KEEP_DB=1 keeps all). */
    public function cleanup(array $prepared): void
    {
        if ($prepared['mode'] !== 'fresh' || getenv('MULOPIMFWC_KEEP_DB') === '1') {
            return;
        }
        if (!empty($prepared['drop_after']) || !in_array($prepared['db'], self::$pool, true)) {
            $this->server()->query('DROP DATABASE IF EXISTS `' . $prepared['db'] . '`');
        }
    }

    /** Drops the pooled databases (runs at shutdown). */
    public function dropPool(): void
    {
        foreach (self::$pool as $db) {
            try {
                $this->server()->query("DROP DATABASE IF EXISTS `$db`");
            } catch (\Throwable) {
            }
        }
        self::$pool = [];
    }

    /** Drops every database this process's naming scheme could have left behind (all pids). */
    public function dropLeftovers(): void
    {
        $res = $this->server()->query("SHOW DATABASES LIKE '" . str_replace('_', '\\_', $this->dbNamePrefix) . "%'");
        foreach ($res->fetch_all() as [$name]) {
            $this->server()->query("DROP DATABASE IF EXISTS `$name`");
        }
    }

    public function loadSchema(\mysqli $conn, string $prefix): void
    {
        $sql = (string) file_get_contents($this->schemaPath);
        if ($sql === '') {
            throw new \RuntimeException('schema not found or empty: ' . $this->schemaPath);
        }
        $sql = str_replace('{prefix}', $prefix, $sql);
        // Strip comment lines, split on ';' at end of line.
        $sql = preg_replace('/^\s*--.*$/m', '', $sql);
        foreach (preg_split('/;\s*$/m', $sql) as $stmt) {
            if (trim($stmt) !== '') {
                $conn->query($stmt);
            }
        }
    }

    /**
     * Empties the tables the fixture fills. $all: the options table too (a database of our own); otherwise the
     * site's options stay and seed() only upserts the fixture's and the case's options.
     */
    private function emptyProductTables(\mysqli $conn, string $prefix, bool $all): void
    {
        $tables = ['posts', 'postmeta', 'terms', 'term_taxonomy', 'term_relationships', 'termmeta', 'wc_product_meta_lookup'];
        if ($all) {
            $tables[] = 'options';
        }
        foreach ($tables as $t) {
            if ($this->tableExists($conn, $prefix . $t)) {
                $conn->query("DELETE FROM `$prefix$t`");
            }
        }
    }

    public function tableExists(\mysqli $conn, string $table): bool
    {
        $r = $conn->query("SHOW TABLES LIKE '" . $conn->real_escape_string(addcslashes($table, '_%\\')) . "'");
        return $r->num_rows > 0;
    }

    /**
     * Seeds a fixture. Returns the id map: ['post' => [key => ID], 'loc' => [slug => term_id],
     * 'tt' => ["taxonomy:slug" => term_taxonomy_id], 'term' => ["taxonomy:slug" => term_id]].
     */
    public function seed(\mysqli $conn, string $prefix, array $fixture, array $siteOptions): array
    {
        $p = $prefix;
        $ids = ['post' => [], 'loc' => [], 'tt' => [], 'term' => []];
        // Explicit ids (the tables may have been emptied with DELETE, which keeps AUTO_INCREMENT).
        $nextTerm = 1;
        $nextTt = self::TT_ID_START;
        $nextPost = self::POST_ID_START;

        $addTerm = function (string $taxonomy, string $slug, string $name) use ($conn, $p, &$ids, &$nextTerm, &$nextTt): void {
            $termId = $nextTerm++;
            $ttId = $nextTt++;
            $st = $conn->prepare("INSERT INTO `{$p}terms` (term_id, name, slug, term_group) VALUES (?, ?, ?, 0)");
            $st->bind_param('iss', $termId, $name, $slug);
            $st->execute();
            $st = $conn->prepare("INSERT INTO `{$p}term_taxonomy` (term_taxonomy_id, term_id, taxonomy, description, parent, count) VALUES (?, ?, ?, '', 0, 0)");
            $st->bind_param('iis', $ttId, $termId, $taxonomy);
            $st->execute();
            $ids['term']["$taxonomy:$slug"] = $termId;
            $ids['tt']["$taxonomy:$slug"] = $ttId;
            if ($taxonomy === self::LOCATION_TAXONOMY) {
                $ids['loc'][$slug] = $termId;
            }
        };
        foreach ($fixture['other_terms'] ?? [] as $t) {
            $addTerm($t['taxonomy'], $t['slug'], $t['name'] ?? $t['slug']);
        }
        foreach ($fixture['locations'] ?? [] as $l) {
            $addTerm(self::LOCATION_TAXONOMY, $l['slug'], $l['name'] ?? $l['slug']);
        }
        $needTerm = function (string $taxonomy, string $slug) use (&$ids, $addTerm): int {
            if (!isset($ids['tt']["$taxonomy:$slug"])) {
                $addTerm($taxonomy, $slug, $slug);
            }
            return $ids['tt']["$taxonomy:$slug"];
        };

        // Posts first (so that every {post:KEY} is known before meta is written).
        $products = $fixture['products'] ?? [];
        foreach ($products as $prod) {
            $type = $prod['type'] ?? 'simple';
            $postType = match ($type) {
                'simple', 'variable', 'grouped', 'external' => 'product',
                'variation' => 'product_variation',
                default => $type,
            };
            $parent = 0;
            if (isset($prod['parent'])) {
                $parent = $ids['post'][$prod['parent']] ?? throw new \RuntimeException("fixture: parent {$prod['parent']} must come before {$prod['key']}");
            }
            $status = $prod['status'] ?? 'publish';
            // A variation without attributes is titled like its parent: WooCommerce renames it so when it loads it.
            $title = $prod['title'] ?? ('Product ' . ($prod['type'] === 'variation' && isset($prod['parent']) ? $prod['parent'] : $prod['key']));
            $date = $prod['date_modified'] ?? self::FIXTURE_DATE;
            $name = $prod['key'];
            $st = $conn->prepare(
                "INSERT INTO `{$p}posts` (ID, post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status,
                  comment_status, ping_status, post_password, post_name, to_ping, pinged, post_modified, post_modified_gmt,
                  post_content_filtered, post_parent, guid, menu_order, post_type, post_mime_type, comment_count)
                 VALUES (?, 1, ?, ?, '', ?, '', ?, 'closed', 'closed', '', ?, '', '', ?, ?, '', ?, '', 0, ?, '', 0)"
            );
            if (isset($ids['post'][$prod['key']])) {
                throw new \RuntimeException("fixture: duplicate product key {$prod['key']}");
            }
            $postId = $nextPost++;
            $st->bind_param('isssssssis', $postId, $date, $date, $title, $status, $name, $date, $date, $parent, $postType);
            $st->execute();
            $ids['post'][$prod['key']] = $postId;
        }

        $meta = $conn->prepare("INSERT INTO `{$p}postmeta` (post_id, meta_key, meta_value) VALUES (?, ?, ?)");
        $addMeta = function (int $postId, string $key, string $value) use ($meta): void {
            $meta->bind_param('iss', $postId, $key, $value);
            $meta->execute();
        };
        $rel = $conn->prepare("INSERT INTO `{$p}term_relationships` (object_id, term_taxonomy_id, term_order) VALUES (?, ?, 0)");
        $relate = function (int $postId, int $tt) use ($rel): void {
            $rel->bind_param('ii', $postId, $tt);
            $rel->execute();
        };
        $hasLookup = $this->tableExists($conn, $p . 'wc_product_meta_lookup');
        foreach ($products as $prod) {
            $id = $ids['post'][$prod['key']];
            $type = $prod['type'] ?? 'simple';
            $isProduct = in_array($type, ['simple', 'variable', 'grouped', 'external', 'variation'], true);
            foreach (['sku' => '_sku', 'manage_stock' => '_manage_stock', 'stock' => '_stock', 'backorders' => '_backorders',
                         'stock_status' => '_stock_status', 'regular_price' => '_regular_price', 'sale_price' => '_sale_price'] as $f => $k) {
                if (array_key_exists($f, $prod) && $prod[$f] !== null) {
                    $addMeta($id, $k, (string) $prod[$f]);
                }
            }
            foreach ($prod['meta'] ?? [] as $k => $v) {
                $k = $this->substitute($k, $ids);
                foreach ((is_array($v) ? $v : [$v]) as $one) {
                    $addMeta($id, $k, (string) $this->substitute($one, $ids));
                }
            }
            if (!$isProduct) {
                continue;
            }
            if ($type !== 'variation') {
                $relate($id, $needTerm('product_type', $type));
            }
            $vis = $prod['visibility'] ?? [];
            if (($prod['stock_status'] ?? 'instock') === 'outofstock') {
                $vis[] = 'outofstock';
            }
            foreach (array_unique($vis) as $slug) {
                $relate($id, $needTerm('product_visibility', $slug));
            }
            foreach ($prod['locations'] ?? [] as $slug) {
                $relate($id, $ids['tt'][self::LOCATION_TAXONOMY . ':' . $slug] ?? throw new \RuntimeException("fixture: unknown location $slug"));
            }
            if ($hasLookup && ($prod['lookup'] ?? true)) {
                $sku = (string) ($prod['sku'] ?? '');
                $qty = (($prod['manage_stock'] ?? 'no') === 'yes' && isset($prod['stock'])) ? (float) $prod['stock'] : null;
                $status = $prod['stock_status'] ?? 'instock';
                $st = $conn->prepare("INSERT INTO `{$p}wc_product_meta_lookup` (product_id, sku, stock_quantity, stock_status) VALUES (?, ?, ?, ?)");
                $st->bind_param('isds', $id, $sku, $qty, $status);
                $st->execute();
            }
        }
        $this->recountTerms($conn, $p);

        // Options: fixture's, then the case's site_options (null deletes).
        $opts = [];
        foreach ($fixture['options'] ?? [] as $k => $v) {
            $opts[$k] = $v;
        }
        foreach ($siteOptions as $k => $v) {
            $opts[$k] = $v;
        }
        $ins = $conn->prepare("INSERT INTO `{$p}options` (option_name, option_value, autoload) VALUES (?, ?, 'yes')
                               ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)");
        $del = $conn->prepare("DELETE FROM `{$p}options` WHERE option_name = ?");
        foreach ($opts as $k => $v) {
            $v = $this->substitute($v, $ids);
            if ($v === null) {
                $del->bind_param('s', $k);
                $del->execute();
                continue;
            }
            $s = is_bool($v) ? ($v ? '1' : '') : (is_scalar($v) ? (string) $v : serialize($v));
            $ins->bind_param('ss', $k, $s);
            $ins->execute();
        }
        return $ids;
    }

    /** WordPress's _update_post_term_count(): published product / product_variation objects per term. */
    public function recountTerms(\mysqli $conn, string $p): void
    {
        $conn->query("UPDATE `{$p}term_taxonomy` tt SET count = " . $this->recountExpr($p));
    }

    private function recountExpr(string $p): string
    {
        return "(SELECT COUNT(*) FROM `{$p}term_relationships` tr JOIN `{$p}posts` po ON po.ID = tr.object_id
                 WHERE tr.term_taxonomy_id = tt.term_taxonomy_id AND po.post_status = 'publish'
                   AND po.post_type IN ('product', 'product_variation'))";
    }

    // ------------------------------------------------------------------ placeholders

    /**
     * Replaces {post:KEY}, {loc:SLUG}, {tt:TAXONOMY:SLUG}, {term:TAXONOMY:SLUG} everywhere (keys and values);
     * a string that is exactly "{int:post:KEY}" / "{int:loc:SLUG}" / "{int:tt:TAX:SLUG}" / "{int:term:TAX:SLUG}"
     * becomes an integer.
     */
    public function substitute(mixed $value, array $ids): mixed
    {
        if (is_array($value)) {
            $out = [];
            foreach ($value as $k => $v) {
                $out[is_string($k) ? $this->substitute($k, $ids) : $k] = $this->substitute($v, $ids);
            }
            return $out;
        }
        if (!is_string($value) || !str_contains($value, '{')) {
            return $value;
        }
        if (preg_match('/^\{int:(post|loc|tt|term):([^{}]+)\}$/', $value, $m)) {
            return $this->lookupId($ids, $m[1], $m[2]);
        }
        return preg_replace_callback('/\{(post|loc|tt|term):([^{}]+)\}/', fn ($m) => (string) $this->lookupId($ids, $m[1], $m[2]), $value);
    }

    private function lookupId(array $ids, string $kind, string $key): int
    {
        if (!isset($ids[$kind][$key])) {
            throw new \RuntimeException("unknown placeholder {{$kind}:{$key}}");
        }
        return $ids[$kind][$key];
    }

    // ------------------------------------------------------------------ snapshots

    public function snapshot(\mysqli $conn, string $p): array
    {
        $snap = ['postmeta' => [], 'posts' => [], 'term_relationships' => [], 'term_taxonomy' => [], 'terms' => [], 'lookup' => null, 'options' => []];
        foreach ($conn->query("SELECT post_id, meta_key, meta_value FROM `{$p}postmeta` ORDER BY post_id, meta_key, meta_id")->fetch_all(MYSQLI_NUM) as [$pid, $k, $v]) {
            $snap['postmeta']["$pid|$k"][] = $v;
        }
        foreach ($snap['postmeta'] as &$vals) {
            sort($vals, SORT_STRING);
        }
        unset($vals);
        foreach ($conn->query("SELECT * FROM `{$p}posts` ORDER BY ID")->fetch_all(MYSQLI_ASSOC) as $r) {
            $snap['posts'][(int) $r['ID']] = $r;
        }
        foreach ($conn->query("SELECT object_id, term_taxonomy_id FROM `{$p}term_relationships` ORDER BY 1, 2")->fetch_all(MYSQLI_NUM) as [$o, $t]) {
            $snap['term_relationships']["$o|$t"] = true;
        }
        foreach ($conn->query("SELECT tt.*, (" . $this->recountExpr($p) . ") AS recount FROM `{$p}term_taxonomy` tt ORDER BY term_taxonomy_id")->fetch_all(MYSQLI_ASSOC) as $r) {
            $snap['term_taxonomy'][(int) $r['term_taxonomy_id']] = $r;
        }
        foreach ($conn->query("SELECT * FROM `{$p}terms` ORDER BY term_id")->fetch_all(MYSQLI_ASSOC) as $r) {
            $snap['terms'][(int) $r['term_id']] = $r;
        }
        if ($this->tableExists($conn, $p . 'wc_product_meta_lookup')) {
            $snap['lookup'] = [];
            foreach ($conn->query("SELECT * FROM `{$p}wc_product_meta_lookup` ORDER BY product_id")->fetch_all(MYSQLI_ASSOC) as $r) {
                $snap['lookup'][(int) $r['product_id']] = $r;
            }
        }
        foreach ($conn->query("SELECT option_name, option_value FROM `{$p}options` WHERE option_name NOT LIKE '\\_transient%' AND option_name NOT LIKE '\\_site\\_transient%'" . self::WC_BOOKKEEPING_OPTIONS . " ORDER BY option_name")->fetch_all(MYSQLI_NUM) as [$k, $v]) {
            $snap['options'][$k] = $v;
        }
        return $snap;
    }

    /** The snapshot of the case's tables now. */
    public function snapshotNow(array $prepared, ?string $prefix = null): array
    {
        $conn = $this->connect($prepared['db']);
        try {
            return $this->snapshot($conn, $prefix ?? $prepared['prefix']);
        } finally {
            $conn->close();
        }
    }

    // ------------------------------------------------------------------ verification

    /**
     * Checks the outcome of running the prepared case and the database afterwards.
     *
     * @param array $outcome the engine's result array, or ['error' => ['code' => ..., 'status' => ..., 'message' => ...]]
     * @return list<string> failures (empty: the case passed)
     */
    public function verify(array $prepared, array $outcome): array
    {
        $f = [];
        $case = $prepared['case'];
        $exp = $case['expect'];
        $ids = $prepared['ids'];
        $before = $prepared['before'];
        $after = $this->snapshotNow($prepared);

        // --- response / error
        if (isset($exp['error'])) {
            if (!isset($outcome['error'])) {
                $f[] = 'expected error ' . json_encode($exp['error']) . ', got result ' . $this->j($outcome);
            } else {
                $err = $outcome['error'];
                foreach (['code', 'status'] as $k) {
                    if (array_key_exists($k, $exp['error']) && ($err[$k] ?? null) !== $exp['error'][$k]) {
                        $f[] = "error.$k: expected " . $this->j($exp['error'][$k]) . ', got ' . $this->j($err[$k] ?? null) . ' (' . $this->j($err) . ')';
                    }
                }
                $msg = (string) ($err['message'] ?? '');
                foreach ((array) ($exp['error']['message_contains'] ?? []) as $needle) {
                    if (!str_contains($msg, (string) $needle)) {
                        $f[] = 'error.message ' . $this->j($msg) . ' should contain ' . $this->j($needle);
                    }
                }
                foreach ((array) ($exp['error']['message_not_contains'] ?? []) as $needle) {
                    if ($needle !== '' && str_contains($msg, (string) $needle)) {
                        $f[] = 'error.message ' . $this->j($msg) . ' must not contain ' . $this->j($needle);
                    }
                }
            }
            $exp['unchanged'] = true;
        } elseif (isset($outcome['error'])) {
            $f[] = 'unexpected whole-request error ' . $this->j($outcome['error']);
            return $f;
        } else {
            $f = array_merge($f, $this->checkResultShape($outcome));
            if (isset($exp['response'])) {
                $this->subset($exp['response'], $outcome, 'response', $f);
            }
            if (array_key_exists('items_failed', $exp)) {
                $got = $outcome['results']['items_failed'] ?? null;
                if (!is_array($got) || count($got) !== count($exp['items_failed'])) {
                    $f[] = 'results.items_failed: expected ' . $this->j($exp['items_failed']) . ', got ' . $this->j($got);
                } else {
                    foreach ($exp['items_failed'] as $i => $e) {
                        $this->subset($e, $got[$i] ?? null, "results.items_failed[$i]", $f);
                    }
                }
            }
        }

        // --- unchanged
        if (!empty($exp['unchanged'])) {
            foreach (['postmeta', 'posts', 'term_relationships', 'term_taxonomy', 'terms', 'lookup', 'options'] as $t) {
                if ($before[$t] != $after[$t]) {
                    $f[] = "unchanged: table $t changed: " . $this->diffSummary($before[$t] ?? [], $after[$t] ?? []);
                }
            }
        }

        // --- meta expectations
        $listedMeta = [];
        foreach ($exp['meta'] ?? [] as $m) {
            $key = (int) $m['post'] . '|' . $m['key'];
            $listedMeta[$key] = true;
            $rows = $after['postmeta'][$key] ?? [];
            $want = $m['value'];
            if ($want === null) {
                if ($rows !== []) {
                    $f[] = "meta {$m['key']} of post {$m['post']}: expected no row, got " . $this->j($rows);
                }
                continue;
            }
            if (count($rows) !== 1) {
                $f[] = "meta {$m['key']} of post {$m['post']}: expected exactly one row " . $this->j($want) . ', got ' . $this->j($rows);
                continue;
            }
            $numeric = ($m['numeric'] ?? ($m['key'] === '_stock'));
            if ($numeric) {
                if (!is_numeric(trim($rows[0])) || (float) $rows[0] != (float) $want) {
                    $f[] = "meta {$m['key']} of post {$m['post']}: expected number " . $this->j($want) . ', got ' . $this->j($rows[0]);
                }
            } elseif ($rows[0] !== (string) $want) {
                $f[] = "meta {$m['key']} of post {$m['post']}: expected " . $this->j((string) $want) . ', got ' . $this->j($rows[0]);
            }
        }
        if (empty($exp['allow_other_meta_changes'])) {
            foreach (array_unique(array_merge(array_keys($before['postmeta']), array_keys($after['postmeta']))) as $key) {
                if (isset($listedMeta[$key]) || in_array(explode('|', $key, 2)[1], self::META_ALWAYS_ALLOWED, true)) {
                    continue;
                }
                if (($before['postmeta'][$key] ?? []) !== ($after['postmeta'][$key] ?? [])) {
                    [$pid, $k] = explode('|', $key, 2);
                    $f[] = "meta $k of post $pid changed but the case does not expect it: " . $this->j($before['postmeta'][$key] ?? []) . ' -> ' . $this->j($after['postmeta'][$key] ?? []);
                }
            }
        }

        // --- posts: only post_modified / post_modified_gmt may change
        foreach ($after['posts'] as $id => $row) {
            $old = $before['posts'][$id] ?? null;
            if ($old === null) {
                $f[] = "post $id was created";
                continue;
            }
            foreach ($row as $col => $v) {
                if ($col !== 'post_modified' && $col !== 'post_modified_gmt' && $old[$col] !== $v) {
                    $f[] = "post $id: column $col changed " . $this->j($old[$col]) . ' -> ' . $this->j($v);
                }
            }
        }
        foreach (array_diff_key($before['posts'], $after['posts']) as $id => $_) {
            $f[] = "post $id was deleted";
        }
        $offsetHours = (float) ($this->optionAfter($after, 'gmt_offset') ?? 0);
        foreach ($exp['post_modified'] ?? [] as $pm) {
            $id = (int) $pm['post'];
            $o = $before['posts'][$id] ?? null;
            $n = $after['posts'][$id] ?? null;
            if ($o === null || $n === null) {
                $f[] = "post_modified: no post $id";
                continue;
            }
            if (!empty($pm['changed'])) {
                if ($n['post_modified'] === $o['post_modified'] || $n['post_modified_gmt'] === $o['post_modified_gmt']) {
                    $f[] = "post $id: post_modified/post_modified_gmt should have changed, still {$n['post_modified']} / {$n['post_modified_gmt']}";
                    continue;
                }
                $gmt = strtotime($n['post_modified_gmt'] . ' UTC');
                $local = strtotime($n['post_modified'] . ' UTC');
                if ($gmt === false || abs($gmt - time()) > 900) {
                    $f[] = "post $id: post_modified_gmt {$n['post_modified_gmt']} is not the current UTC time (" . gmdate('Y-m-d H:i:s') . ')';
                }
                if ($local === false || $gmt === false || abs(($local - $gmt) - $offsetHours * 3600) > 120) {
                    $f[] = "post $id: post_modified {$n['post_modified']} should be post_modified_gmt {$n['post_modified_gmt']} + gmt_offset $offsetHours h";
                }
            } elseif ($n['post_modified'] !== $o['post_modified'] || $n['post_modified_gmt'] !== $o['post_modified_gmt']) {
                $f[] = "post $id: post_modified should not have changed ({$o['post_modified']} -> {$n['post_modified']})";
            }
        }

        // --- terms and term_taxonomy: counts right, nothing else changes
        if ($before['terms'] != $after['terms']) {
            $f[] = 'terms table changed: ' . $this->diffSummary($before['terms'], $after['terms']);
        }
        foreach ($after['term_taxonomy'] as $tt => $row) {
            $old = $before['term_taxonomy'][$tt] ?? null;
            if ($old === null) {
                $f[] = "term_taxonomy $tt was created";
                continue;
            }
            foreach (['term_id', 'taxonomy', 'description', 'parent'] as $col) {
                if ($old[$col] !== $row[$col]) {
                    $f[] = "term_taxonomy $tt: $col changed";
                }
            }
            if ((int) $row['count'] !== (int) $row['recount']) {
                $f[] = "term_taxonomy $tt ({$row['taxonomy']}): count {$row['count']} but {$row['recount']} published products/variations have the term";
            }
        }
        foreach ($exp['term_counts'] ?? [] as $tc) {
            $tt = $ids['tt'][$tc['taxonomy'] . ':' . $tc['slug']] ?? null;
            $got = $tt === null ? null : (int) ($after['term_taxonomy'][$tt]['count'] ?? -1);
            if ($got !== (int) $tc['count']) {
                $f[] = "term count {$tc['taxonomy']}:{$tc['slug']}: expected {$tc['count']}, got " . $this->j($got);
            }
        }

        // --- term relationships: only the outofstock visibility term may move, and only where the case says
        $oosTt = $ids['tt']['product_visibility:outofstock'] ?? -1;
        $listedVis = [];
        foreach ($exp['visibility_outofstock'] ?? [] as $v) {
            $id = (int) $v['post'];
            $listedVis[$id] = true;
            $has = isset($after['term_relationships']["$id|$oosTt"]);
            if ($v['has'] !== null && $has !== (bool) $v['has']) {
                $f[] = "post $id: outofstock visibility term expected " . ($v['has'] ? 'present' : 'absent') . ', is ' . ($has ? 'present' : 'absent');
            }
        }
        foreach ($exp['terms'] ?? [] as $t) {
            $id = (int) $t['post'];
            $listedVis[$id] = $listedVis[$id] ?? ($t['taxonomy'] === 'product_visibility');
            $got = [];
            foreach ($after['term_relationships'] as $rk => $_) {
                [$o, $ttid] = array_map('intval', explode('|', $rk));
                if ($o === $id && ($after['term_taxonomy'][$ttid]['taxonomy'] ?? null) === $t['taxonomy']) {
                    $got[] = $after['terms'][(int) $after['term_taxonomy'][$ttid]['term_id']]['slug'];
                }
            }
            sort($got);
            $want = $t['slugs'];
            sort($want);
            if ($got !== $want) {
                $f[] = "post $id: {$t['taxonomy']} terms expected " . $this->j($want) . ', got ' . $this->j($got);
            }
        }
        $allRel = $before['term_relationships'] + $after['term_relationships'];
        foreach ($allRel as $rk => $_) {
            if (isset($before['term_relationships'][$rk]) === isset($after['term_relationships'][$rk])) {
                continue;
            }
            [$o, $ttid] = array_map('intval', explode('|', $rk));
            $what = (isset($after['term_relationships'][$rk]) ? 'added' : 'removed') . " term_taxonomy $ttid ("
                . ($after['term_taxonomy'][$ttid]['taxonomy'] ?? '?') . ') for object ' . $o;
            if ($ttid !== $oosTt) {
                $f[] = "term relationship $what: only the outofstock visibility term may change";
            } elseif (!isset($listedVis[$o])) {
                $f[] = "term relationship $what, which the case does not expect";
            }
        }

        // --- lookup table
        if ($before['lookup'] !== null || $after['lookup'] !== null) {
            $listedLookup = [];
            foreach ($exp['lookup'] ?? [] as $l) {
                $id = (int) $l['post'];
                $listedLookup[$id] = true;
                if (!empty($l['any'])) {
                    continue;
                }
                $row = $after['lookup'][$id] ?? null;
                if (!empty($l['absent'])) {
                    if ($row !== null) {
                        $f[] = "lookup row for $id should not exist";
                    }
                    continue;
                }
                if ($row === null) {
                    $f[] = "lookup row for $id missing";
                    continue;
                }
                if (array_key_exists('stock_quantity', $l)) {
                    $w = $l['stock_quantity'];
                    $g = $row['stock_quantity'];
                    if ($w === null ? $g !== null : ($g === null || (float) $g != (float) $w)) {
                        $f[] = "lookup $id stock_quantity: expected " . $this->j($w) . ', got ' . $this->j($g);
                    }
                }
                if (array_key_exists('stock_status', $l) && $row['stock_status'] !== $l['stock_status']) {
                    $f[] = "lookup $id stock_status: expected {$l['stock_status']}, got " . $this->j($row['stock_status']);
                }
            }
            foreach (($after['lookup'] ?? []) + ($before['lookup'] ?? []) as $id => $_) {
                if (isset($listedLookup[$id])) {
                    continue;
                }
                $o = $before['lookup'][$id] ?? null;
                $n = $after['lookup'][$id] ?? null;
                if ($o != $n) {
                    $f[] = "lookup row $id changed but the case does not expect it: " . $this->j($o) . ' -> ' . $this->j($n);
                }
            }
        }
        // --- options never change (transients excepted)
        if ($before['options'] != $after['options']) {
            $f[] = 'options changed: ' . $this->diffSummary($before['options'], $after['options']);
        }

        // --- the decoy tables of another prefix must be untouched
        if (!empty($prepared['decoy_prefix'])) {
            $decoyAfter = $this->snapshotNow($prepared, $prepared['decoy_prefix']);
            foreach ($prepared['decoy_before'] as $t => $v) {
                if ($v != $decoyAfter[$t]) {
                    $f[] = "tables of the other prefix {$prepared['decoy_prefix']} changed ($t): " . $this->diffSummary($v ?? [], $decoyAfter[$t] ?? []);
                }
            }
        }
        return $f;
    }

    /** The fixed part of the result shape, whatever the case. */
    private function checkResultShape(array $r): array
    {
        $f = [];
        if (($r['success'] ?? null) !== true) {
            $f[] = 'result.success must be true';
        }
        if (!is_string($r['message'] ?? null)) {
            $f[] = 'result.message must be a string';
        }
        $res = $r['results'] ?? null;
        if (!is_array($res) || !is_int($res['success'] ?? null) || !is_int($res['failed'] ?? null) || !is_array($res['errors'] ?? null) || !array_is_list($res['errors'])) {
            $f[] = 'result.results must hold int success, int failed and a list errors: ' . $this->j($res);
        } else {
            $msg = sprintf('Processed %d items. %d succeeded, %d failed.', $res['success'] + $res['failed'], $res['success'], $res['failed']);
            if (($r['message'] ?? null) !== $msg) {
                $f[] = 'result.message ' . $this->j($r['message'] ?? null) . " does not agree with the counts ($msg)";
            }
            if (count($res['errors']) !== $res['failed']) {
                $f[] = 'results.errors must hold one message per failed item';
            }
        }
        if (json_encode($r) === false) {
            $f[] = 'result is not JSON-encodable: ' . json_last_error_msg();
        }
        return $f;
    }

    private function optionAfter(array $snap, string $name): ?string
    {
        return $snap['options'][$name] ?? null;
    }

    /** $want is a subset of $got: assoc arrays recursively, lists and scalars compared whole (===). */
    private function subset(mixed $want, mixed $got, string $path, array &$f): void
    {
        if (is_array($want) && !array_is_list($want)) {
            if (!is_array($got)) {
                $f[] = "$path: expected an object " . $this->j($want) . ', got ' . $this->j($got);
                return;
            }
            foreach ($want as $k => $v) {
                if (!array_key_exists($k, $got)) {
                    $f[] = "$path.$k: missing (expected " . $this->j($v) . ')';
                } else {
                    $this->subset($v, $got[$k], "$path.$k", $f);
                }
            }
            return;
        }
        if ($want !== $got) {
            $f[] = "$path: expected " . $this->j($want) . ', got ' . $this->j($got);
        }
    }

    private function diffSummary(array $a, array $b): string
    {
        $out = [];
        foreach (array_unique(array_merge(array_keys($a), array_keys($b))) as $k) {
            $x = $a[$k] ?? null;
            $y = $b[$k] ?? null;
            if ($x != $y) {
                $out[] = "$k: " . $this->j($x) . ' -> ' . $this->j($y);
            }
            if (count($out) >= 8) {
                $out[] = '...';
                break;
            }
        }
        return implode('; ', $out);
    }

    private function ident(string $s): string
    {
        if (!preg_match('/^[A-Za-z0-9_]+$/', $s)) {
            throw new \InvalidArgumentException("bad identifier $s");
        }
        return $s;
    }

    private function j(mixed $v): string
    {
        return (string) json_encode($v, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION | JSON_PARTIAL_OUTPUT_ON_ERROR);
    }
}
