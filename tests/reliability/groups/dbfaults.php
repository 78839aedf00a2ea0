<?php
/**
 * Database faults over HTTP, on a site with its OWN MariaDB instance (started by run.sh with
 * innodb_lock_wait_timeout=1, so that four lock-wait attempts fit in a few seconds): a row lock held by
 * another session (retried, or 503 with nothing written), the engine's connection killed between/inside
 * statements, and MariaDB stopped or killed before / after WordPress connected / while the engine writes.
 */

declare(strict_types=1);

namespace Mulopimfwc\Reliability;

/** tests/lib/mariadb.sh for the "down" site's own instance. */
function mdb(array $opts, string $cmd): array
{
    [$dir, $port] = explode(':', $opts['down-db'] ?? '');
    $repo = dirname(__DIR__, 3);
    return sh('MULOPIMFWC_TEST_RUN_DIR=' . escapeshellarg($dir) . ' MULOPIMFWC_TEST_DB_PORT=' . escapeshellarg($port)
        . ' MULOPIMFWC_TEST_DB_EXTRA_ARGS=--innodb-lock-wait-timeout=1 ' . escapeshellarg("$repo/tests/lib/mariadb.sh") . ' ' . $cmd);
}

/** No host, user or password of the site's database in a body. */
function leaks(Site $s, string $body): array
{
    $f = [];
    foreach ([$s->env['E2E_DB_PASSWORD'] => 'DB password', $s->env['E2E_DB_SOCKET'] => 'DB socket path', $s->env['E2E_DB_USER'] . '@' => 'DB user@host', $s->key => 'API key'] as $needle => $what) {
        if ($needle !== '' && str_contains($body, $needle)) {
            $f[] = "the response names the $what";
        }
    }
    return $f;
}

/** Holds a row lock from another session until release(). */
final class Holder
{
    private \mysqli $c;

    public function __construct(Site $s, string $lockSql)
    {
        $this->c = new \mysqli('localhost', 'root', '', $s->db, 0, $s->env['E2E_DB_SOCKET']);
        $this->c->query('SET SESSION innodb_lock_wait_timeout = 30');
        $this->c->query('START TRANSACTION');
        $this->c->query($lockSql)->fetch_all();
        Stats::fault('row lock held by another session');
    }

    public function release(): void
    {
        try {
            $this->c->query('ROLLBACK');
            $this->c->close();
        } catch (\Throwable) {
        }
    }
}

/**
 * One request while a holder keeps the outofstock term_taxonomy row locked: the engine has written its postmeta
 * rows (rows_modified > 0) when it blocks on the term count update. $onWait($trx) is called for each look at
 * the engine's waiting transaction and returns true to release the holder.
 */
function blocked_request(Site $s, string $body, callable $onWait, float $maxHold, bool $php = false): array
{
    $oos = (int) $s->one("SELECT tt.term_taxonomy_id FROM wp_term_taxonomy tt JOIN wp_terms t ON t.term_id = tt.term_id WHERE tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock'");
    $holder = new Holder($s, "SELECT * FROM wp_term_taxonomy WHERE term_taxonomy_id = $oos FOR UPDATE");
    $resp = null;
    $seen = [];
    $released = false;
    $t0 = microtime(true);
    try {
        $resp = request_while(
            $s,
            $body,
            $s->headers($php),
            60,
            function () use (&$seen, &$released, $holder, $s, $onWait, $t0, $maxHold) {
                if ($released) {
                    return;
                }
                $release = microtime(true) - $t0 > $maxHold;
                foreach ($s->engineTrx() as $trx) {
                    if ($trx['state'] === 'LOCK WAIT') {
                        $seen[$trx['trx_id']] = max($seen[$trx['trx_id']] ?? 0, (int) $trx['rows_modified']);
                        $release = $release || $onWait($trx);
                    }
                }
                if ($release) {
                    $holder->release();
                    $released = true;
                }
            },
            60.0
        );
    } finally {
        $holder->release();
    }
    return [$resp, $seen, microtime(true) - $t0];
}

/** 0 when the products are in stock now, else 10: so that the sync moves visibility and updates the term count. */
function flip(Site $s, array $st): int
{
    return (float) $s->one('SELECT meta_value FROM wp_postmeta WHERE post_id = ' . $st['products'][0] . " AND meta_key = '_stock'") > 0 ? 0 : 10;
}

function lw_items(array $st, int $stockPrimary, int $v): string
{
    [$l0, $l1] = array_keys($st['locations']);
    $items = [];
    foreach ($st['products'] as $p) {
        $items[] = ['product_id' => $p, 'location_id' => $l1, 'stock' => $v];
        $items[] = ['product_id' => $p, 'location_id' => $l0, 'stock' => $stockPrimary];
    }
    return json_encode(['items' => $items]);
}

/** Every product of $st holds $v at the second location and $primary as _stock; one row per key. */
function lw_applied(Site $s, array $st, int $primary, int $v): array
{
    [, $l1] = array_keys($st['locations']);
    $f = [];
    $m = $s->meta($st['products'], ["_location_stock_$l1", '_stock']);
    foreach ($st['products'] as $p) {
        Stats::$rowsChecked += 2;
        if (($m[$p]["_location_stock_$l1"] ?? []) !== [(string) $v] || count($m[$p]['_stock'] ?? []) !== 1 || (float) $m[$p]['_stock'][0] !== (float) $primary) {
            $f[] = "post $p: " . json_encode($m[$p] ?? null) . ", want location $v and _stock $primary";
        }
    }
    if ($d = $s->duplicates($st['products'])) {
        $f[] = 'duplicate rows: ' . json_encode($d);
    }
    // WooCommerce's view: the sync moved every product in or out of stock (flip()).
    array_push($f, ...$s->wcView($st['products']));
    return array_slice($f, 0, 10);
}

function db_fault_tests(Runner $run, array $sites, array $opts): void
{
    $s = $sites['down'] ?? null;
    if ($s === null || empty($opts['down-db'])) {
        $run->test('database faults', fn () => throw new SkipTest('no --down site / --down-db given'));
        return;
    }
    [$rc, $out] = mdb($opts, 'start'); // idempotent: a previous run may have left it stopped
    if ($rc !== 0) {
        $run->test('database faults: own MariaDB instance starts', fn () => ["mariadb.sh start failed: $out"]);
        return;
    }
    $lockTimeout = (int) $s->one('SELECT @@GLOBAL.innodb_lock_wait_timeout');
    $st = $s->seedStore('LW' . substr(uniqid(), -5), 20, 2, 10);
    $s->setOption('mulopimfwc_primary_location', (string) array_key_first($st['locations']));

    // Lock waits and killed connections/statements, on both engines (the PHP engine asked with X-E2E-Force-PHP).
    foreach (['native' => false, 'php' => true] as $engine => $php) {
        $b = $php ? 40 : 30;
        $run->test("lock-wait timeout (server timeout {$lockTimeout}s) mid-write, lock released after retries: retried, 200, all applied once [$engine]", function () use ($s, $st, $lockTimeout, $php, $engine, $b) {
            if ($lockTimeout > 2) {
                throw new SkipTest("innodb_lock_wait_timeout is $lockTimeout s on this instance (run.sh starts it with 1)");
            }
            // Release once the engine waits in its second attempt.
            $to = flip($s, $st);
            [$r, $seen] = blocked_request($s, lw_items($st, $to, $b + 1), fn ($trx) => false, 2.6, $php);
            $f = $r ? check_ok($r, 40, 0, 'sync') : ['no response'];
            if (count($seen) < 2) {
                $f[] = 'expected the engine to wait in at least two attempts (retry), saw ' . json_encode($seen);
            }
            if (!array_filter($seen)) {
                $f[] = 'the engine was never seen waiting with modified rows (not mid-write): ' . json_encode($seen);
            }
            Stats::measure("lock wait, then released [$engine]", count($seen) . ' attempts seen waiting (rows modified per attempt: ' . implode(', ', $seen) . ')');
            return array_merge($f, lw_applied($s, $st, $to, $b + 1));
        });

        $run->test("lock-wait timeout that retries cannot clear: 503 mulopimfwc_db_error within seconds, nothing written [$engine]", function () use ($s, $st, $php, $engine, $b) {
            $fp = $s->fingerprint();
            [$r, $seen, $secs] = blocked_request($s, lw_items($st, flip($s, $st), $b + 2), fn ($trx) => false, 20.0, $php);
            $f = [];
            if (!$r || $r->status !== 503 || $r->code() !== 'mulopimfwc_db_error') {
                $f[] = 'expected 503 mulopimfwc_db_error, got ' . ($r ? $r->short() : 'nothing');
            } else {
                array_push($f, ...leaks($s, $r->body));
            }
            if ($r && $r->seconds > 10) {
                $f[] = "answered after {$r->seconds}s";
            }
            if ($s->fingerprint() != $fp) {
                $f[] = 'the database changed: ' . json_encode(array_diff_assoc($s->fingerprint(), $fp));
            }
            Stats::measure("lock wait never released [$engine]", sprintf('%s after %.1fs, %d attempts seen waiting', $r ? "HTTP {$r->status}" : 'nothing', $r ? $r->seconds : 0, count($seen)));
            return $f;
        });

        $what = $php ? 'all or nothing (200 and all applied once, or 503 and unchanged: the PHP engine does not reconnect)' : 'reconnect + retry, 200, all applied once';
        $run->test("connection killed (KILL CONNECTION) inside the transaction after writes: $what [$engine]", function () use ($s, $st, $php, $engine, $b) {
            $fp = $php ? $s->fingerprint() : null;
            $killed = null;
            $to = flip($s, $st);
            [$r, $seen] = blocked_request($s, lw_items($st, $to, $b + 3), function ($trx) use (&$killed, $s) {
                if ($killed === null && (int) $trx['rows_modified'] > 0) {
                    $killed = (int) $trx['thread'];
                    $s->q("KILL CONNECTION $killed");
                    Stats::fault('engine connection killed mid-transaction');
                    return false;
                }
                // Release once a new attempt (after the reconnect) waits.
                return $killed !== null && (int) $trx['thread'] !== $killed;
            }, 5.0, $php);
            if ($killed === null) {
                return ['never saw the engine waiting with modified rows: nothing was killed'];
            }
            if ($php && $r && $r->status === 503 && $r->code() === 'mulopimfwc_db_error') {
                // wpdb does not bring a killed connection back inside the engine's transaction: reported, not
                // retried (the native engine reconnects and retries). Nothing may have been written.
                Stats::note('KILL CONNECTION mid-transaction [php]: 503 (reported, not retried; native retries)');
                return $s->fingerprint() == $fp ? leaks($s, $r->body) : ['503, but the database changed: ' . json_encode(array_diff_assoc($s->fingerprint(), $fp))];
            }
            $f = $r ? check_ok($r, 40, 0, 'sync') : ['no response'];
            return array_merge($f, lw_applied($s, $st, $to, $b + 3));
        });

        $run->test("statement killed (KILL QUERY) inside the transaction after writes: all or nothing (503 and unchanged, or 200 and all) [$engine]", function () use ($s, $st, $php, $engine, $b) {
            $fp = $s->fingerprint();
            $killed = null;
            $to = flip($s, $st);
            [$r] = blocked_request($s, lw_items($st, $to, $b + 4), function ($trx) use (&$killed, $s) {
                if ($killed === null && (int) $trx['rows_modified'] > 0) {
                    $killed = (int) $trx['thread'];
                    $s->q("KILL QUERY $killed");
                    Stats::fault('engine statement killed mid-transaction');
                    return true;
                }
                return false;
            }, 5.0, $php);
            if ($killed === null) {
                return ['never saw the engine waiting with modified rows: nothing was killed'];
            }
            if ($r && $r->status === 503 && $r->code() === 'mulopimfwc_db_error') {
                Stats::note("KILL QUERY mid-transaction [$engine]: 503 (reported, not retried)");
                return $s->fingerprint() == $fp ? leaks($s, $r->body) : ['503, but the database changed: ' . json_encode(array_diff_assoc($s->fingerprint(), $fp))];
            }
            if ($r && $r->status === 200) {
                Stats::note("KILL QUERY mid-transaction [$engine]: retried, 200");
                return array_merge(check_ok($r, 40, 0, 'sync'), lw_applied($s, $st, $to, $b + 4));
            }
            return ['expected 503 mulopimfwc_db_error or 200, got ' . ($r ? $r->short() : 'nothing')];
        });
    }

    // ---------------------------------------------------------------------------------------------
    // MariaDB goes away.
    $item = fn (int $v) => [['product_id' => $st['products'][0], 'location_id' => array_key_last($st['locations']), 'stock' => $v]];
    $warm = function (int $n) use ($s, $item): array {
        $f = [];
        for ($i = 0; $i < $n; $i++) {
            $r = $s->sync($item(100 + $i));
            if ($r->status !== 200) {
                $f[] = "request " . ($i + 1) . ': ' . $r->short();
            }
        }
        return $f;
    };
    $pids0 = array_keys($s->fpmChildren());
    $workersSame = function () use ($s, &$pids0): array {
        $now = array_keys($s->fpmChildren());
        return $now === $pids0 ? [] : ['php-fpm children changed (a worker died or the pool restarted): ' . json_encode($pids0) . ' -> ' . json_encode($now)];
    };

    $run->test('MariaDB stopped before WordPress connects: the plugin\'s db-error.php drop-in answers its routes 503 mulopimfwc_db_error (JSON, Retry-After), fast, no secrets; other pages keep WordPress\'s error page; workers survive', function () use ($s, $opts, $warm, $workersSame) {
        $f = $warm(8);
        // Installed by the plugin's activation (tests/e2e/lib/install-site.php activates it with activate_plugin()).
        $dropin = $s->env['E2E_WP_DIR'] . '/wp-content/db-error.php';
        if (!is_file($dropin) || !str_contains((string) file_get_contents($dropin), 'mulopimfwc-bulk-sync-db-error-dropin')) {
            $f[] = "activation did not install the plugin's drop-in as $dropin";
        }
        [$rc, $out] = mdb($opts, 'stop');
        Stats::fault('MariaDB stopped');
        $s->forgetRoot();
        if ($rc !== 0) {
            return ["mariadb.sh stop failed: $out"];
        }
        $body = json_encode(['items' => [['sku' => 'x', 'location_id' => 1, 'stock' => 1]]]);
        $h = ['Content-Type: application/json', 'X-API-Key: ' . $s->key];
        $calls = [
            'bulk-sync (?rest_route=)' => ['POST', '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync', $h],
            'bulk-sync (?rest_route=, PHP engine asked)' => ['POST', '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync', array_merge($h, ['X-E2E-Force-PHP: 1'])],
            'bulk-sync (/wp-json/)' => ['POST', '/wp-json/mulopimfwc/v1/inventory/bulk-sync', $h],
            'inventory/update' => ['POST', '/wp-json/mulopimfwc/v1/inventory/update', $h],
            'export' => ['GET', '/wp-json/mulopimfwc/v1/inventory/export', $h],
        ];
        $first = null;
        foreach ($calls as $what => [$method, $path, $hh]) {
            $x = raw_http($s->url . $path, $method, $method === 'POST' ? $body : null, $hh);
            $first ??= $x;
            $j = json_decode($x['body'], true);
            if ($x['status'] !== 503 || !is_array($j) || ($j['code'] ?? null) !== 'mulopimfwc_db_error' || ($j['data']['status'] ?? null) !== 503) {
                $f[] = "$what: expected 503 {\"code\":\"mulopimfwc_db_error\"}, got HTTP {$x['status']}: " . substr($x['body'], 0, 200);
            }
            if (!str_starts_with($x['headers']['content-type'] ?? '', 'application/json')) {
                $f[] = "$what: Content-Type " . ($x['headers']['content-type'] ?? 'none');
            }
            if (!ctype_digit($x['headers']['retry-after'] ?? '')) {
                $f[] = "$what: no Retry-After";
            }
            if ($x['seconds'] > 5) {
                $f[] = "$what: answered after {$x['seconds']}s";
            }
            array_push($f, ...leaks($s, $x['body']));
        }
        // Any other page: what WordPress shows without the drop-in.
        $page = raw_http($s->url . '/', 'GET', null, []);
        if ($page['status'] !== 500 || !str_contains($page['body'], 'Error establishing a database connection')) {
            $f[] = 'front page: expected WordPress\'s 500 "Error establishing a database connection", got HTTP ' . $page['status'] . ': ' . substr($page['body'], 0, 200);
        }
        array_push($f, ...leaks($s, $page['body']));
        Stats::measure('DB down before WordPress connects', sprintf('the plugin\'s routes: HTTP %d in %.2fs, %s, Retry-After %s, code %s (wp-content/db-error.php, the drop-in the plugin installs); other pages: WordPress\'s HTTP %d page',
            $first['status'], $first['seconds'], $first['headers']['content-type'] ?? '?', $first['headers']['retry-after'] ?? '-', json_encode(json_decode($first['body'], true)['code'] ?? null), $page['status']));
        return array_merge($f, $workersSame());
    });

    $run->test('MariaDB stopped after WordPress connected, before the engine runs: 503 mulopimfwc_db_error within seconds; workers survive', function () use ($s, $opts, $warm, $workersSame, $item) {
        [$rc, $out] = mdb($opts, 'start');
        if ($rc !== 0) {
            return ["mariadb.sh start failed: $out"];
        }
        // Options the site's test mu-plugin reads on every request (tests/e2e/lib/mulopimfwc-test-helpers.php):
        // stored and autoloaded, so that get_option() finds them in WordPress's cache. Absent, get_option()
        // would query the (stopped) database after the pause, and wpdb's own reconnect loop (5 x 1 s) ends in
        // wp_die(): a test artefact, not the plugin's behaviour.
        $s->setOption('mulopimfwc_e2e_max_items', '');
        $s->setOption('mulopimfwc_e2e_force_php', '');
        $f = $warm(8); // every worker holds a pooled connection now
        $token = bin2hex(random_bytes(8));
        $tmp = $s->dir() . '/tmp';
        touch("$tmp/rel-hold-$token");
        $resp = null;
        $unpaused = null;
        $h = $s->headers() + ['X-Rel-Pause' => $token];
        try {
            $resp = request_while(
                $s,
                json_encode(['items' => $item(7)]),
                $h,
                60,
                function () use (&$unpaused, $tmp, $token, $opts, $s) {
                    if ($unpaused === null && file_exists("$tmp/rel-paused-$token")) {
                        mdb($opts, 'stop');
                        Stats::fault('MariaDB stopped');
                        $s->forgetRoot();
                        @unlink("$tmp/rel-hold-$token");
                        $unpaused = microtime(true);
                    }
                },
                60.0
            );
        } finally {
            @unlink("$tmp/rel-hold-$token");
            @unlink("$tmp/rel-paused-$token");
        }
        if ($unpaused === null) {
            return ['the request never paused (is tests/reliability/site/rel-pause.php in mu-plugins?)'];
        }
        $after = $resp ? $resp->seconds - 0 : 0;
        if (!$resp || $resp->status !== 503 || $resp->code() !== 'mulopimfwc_db_error') {
            $f[] = 'expected 503 mulopimfwc_db_error, got ' . ($resp ? $resp->short() : 'nothing');
        } else {
            array_push($f, ...leaks($s, $resp->body));
        }
        $wait = microtime(true) - $unpaused;
        if ($wait > 5) {
            $f[] = sprintf('the answer came %.1fs after the database went away', $wait);
        }
        Stats::measure('DB gone after WordPress connected', sprintf('HTTP %s %.2fs after the database went away', $resp ? $resp->status . ' ' . $resp->code() : 'none', $wait));
        return array_merge($f, $workersSame());
    });

    $run->test('MariaDB killed (-9) while the engine writes: 503 within seconds, nothing applied after recovery; the very next request after restart succeeds, no php-fpm restart', function () use ($s, $opts, $warm, $workersSame) {
        [$rc, $out] = mdb($opts, 'start');
        if ($rc !== 0) {
            return ["mariadb.sh start failed: $out"];
        }
        $s->forgetRoot();
        $big = $s->seedStore('DW' . substr(uniqid(), -5), 5000, 4, 5);
        $items = [];
        foreach ($big['products'] as $p) {
            foreach (array_keys($big['locations']) as $l) {
                $items[] = ['product_id' => $p, 'location_id' => $l, 'stock' => 4242];
            }
        }
        $body = json_encode(['items' => $items]);
        $f = $warm(8);
        [$dir] = explode(':', $opts['down-db']);
        $resp = null;
        $killedAt = null;
        $resp = request_while(
            $s,
            $body,
            $s->headers(),
            120,
            function () use (&$killedAt, $s, $dir) {
                if ($killedAt === null && $s->engineWriting()) {
                    $pid = (int) trim((string) file_get_contents("$dir/mysqld.pid"));
                    posix_kill($pid, SIGKILL);
                    Stats::fault('MariaDB killed -9');
                    $killedAt = microtime(true);
                    $s->forgetRoot();
                    wait_until(fn () => !@posix_kill($pid, 0), 10);
                }
            },
            120.0
        );
        if ($killedAt === null) {
            return ['never saw the engine writing: nothing was killed; ' . ($resp ? $resp->short() : '')];
        }
        $wait = microtime(true) - $killedAt;
        if (!$resp || $resp->status !== 503 || $resp->code() !== 'mulopimfwc_db_error') {
            $f[] = 'expected 503 mulopimfwc_db_error, got ' . ($resp ? $resp->short() : 'nothing');
        } elseif ($wait > 8) {
            $f[] = sprintf('answered %.1fs after the kill', $wait);
        }
        Stats::measure('DB killed mid-write', sprintf('HTTP %s %.2fs after mariadbd got SIGKILL', $resp ? $resp->status . ' ' . $resp->code() : 'none', $wait));
        [$rc, $out] = mdb($opts, 'start');
        if ($rc !== 0) {
            return array_merge($f, ["mariadb.sh start (crash recovery) failed: $out"]);
        }
        $applied = (int) $s->one('SELECT COUNT(*) FROM wp_postmeta WHERE post_id BETWEEN ' . min($big['products']) . ' AND ' . max($big['products']) . " AND meta_key LIKE '\\_location\\_stock\\_%' AND meta_value = '4242'");
        Stats::$rowsChecked += count($items);
        if ($applied !== 0 && $applied !== count($items)) {
            $f[] = "half-applied after crash recovery: $applied of " . count($items);
        }
        // The very next request, then enough to reach every worker's stale pooled connection.
        $t = microtime(true);
        $r = $s->sync([['product_id' => $big['products'][1], 'location_id' => array_key_first($big['locations']), 'stock' => 5]]);
        array_push($f, ...check_ok($r, 1, 0, 'first request after the restart'));
        array_push($f, ...$warm(8));
        Stats::measure('after restart', sprintf('first request HTTP %d in %.2fs; 8 more all 200: %s', $r->status, microtime(true) - $t, $f ? 'no' : 'yes'));
        return array_merge($f, $workersSame());
    });
}

/**
 * One HTTP request with the response headers: ['status', 'headers' (lower-case names), 'body', 'seconds'].
 */
function raw_http(string $url, string $method, ?string $body, array $headers): array
{
    $ch = curl_init($url);
    $got = [];
    curl_setopt_array($ch, [
        CURLOPT_CUSTOMREQUEST => $method,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_HTTPHEADER => array_merge(['Expect:'], $headers),
        CURLOPT_TIMEOUT => 30,
        CURLOPT_CONNECTTIMEOUT => 5,
        CURLOPT_HEADERFUNCTION => function ($ch, string $line) use (&$got): int {
            if (str_contains($line, ':')) {
                [$k, $v] = explode(':', $line, 2);
                $got[strtolower(trim($k))] = trim($v);
            }
            return strlen($line);
        },
    ]);
    if ($body !== null) {
        curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
    }
    $t0 = microtime(true);
    $out = curl_exec($ch);
    Stats::$requests++;
    $r = ['status' => (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE), 'headers' => $got, 'body' => is_string($out) ? $out : '', 'seconds' => microtime(true) - $t0];
    Site::$responses[] = new Resp($r['status'], $r['body'], $r['seconds']);
    return $r;
}
