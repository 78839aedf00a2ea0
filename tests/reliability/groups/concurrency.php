<?php
/**
 * Concurrency over HTTP: overlapping batches from several clients at once, and WooCommerce-style stock
 * decrements racing the syncs.
 */

declare(strict_types=1);

namespace Mulopimfwc\Reliability;

/**
 * N clients (curl multi, N requests always in flight) send overlapping batches to a native site with several
 * fpm workers. Every request r sets ALL its items to one stock value V_r (unique per request) and the regular
 * price "V_r.50"; each request names every location of each product it includes, in shuffled order, by a mix of
 * sku/product_id and slug/location_id, plus one item with an unknown SKU (so counts and "Item N" are checked).
 * Even rounds cover every product, odd rounds a random half.
 *
 * Afterwards, for every product: exactly one row per (post, key); every location key (stock and price) holds
 * the value of ONE request (they all agree: no mixing inside a request), and that request included the
 * product and answered 200; WooCommerce's `_stock` (primary location follows) and the lookup row agree with it.
 * Every response was a 200 with the right counts: no deadlock reached a client.
 */
function test_concurrency(Site $s, array $P, bool $php = false): array
{
    $f = [];
    $st = $s->seedStore('CC' . substr(uniqid(), -5), $P['conc_products'], $P['conc_locations']);
    $locs = array_keys($st['locations']);
    $s->setOption('mulopimfwc_primary_location', (string) $locs[0]);
    $deadlocks0 = (int) $s->one("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'");
    $lockwaits0 = (int) $s->one("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_WAITS'");

    $queue = [];
    $included = []; // product => [V => true]
    mt_srand(4242);
    for ($k = 0; $k < $P['conc_rounds']; $k++) {
        for ($c = 0; $c < $P['conc_clients']; $c++) {
            $v = 1000 * ($c + 1) + $k;
            $idx = array_keys($st['products']);
            if ($k % 2 === 1) {
                shuffle($idx);
                $idx = array_slice($idx, 0, intdiv(count($idx), 2));
            }
            $items = [];
            foreach ($idx as $i) {
                foreach ($st['locations'] as $tid => $slug) {
                    $it = ($i + $tid) % 2 ? ['sku' => $st['skus'][$i]] : ['product_id' => $st['products'][$i]];
                    $it += ($i + $k) % 3 ? ['location_id' => $tid] : ['location_slug' => $slug];
                    $items[] = $it + ['stock' => $v, 'regular_price' => "$v.50"];
                }
            }
            shuffle($items);
            $bad = mt_rand(0, count($items));
            array_splice($items, $bad, 0, [['sku' => "CC-NOPE-$c-$k", 'location_id' => $locs[0], 'stock' => $v]]);
            $queue[] = ['v' => $v, 'idx' => $idx, 'n' => count($items), 'bad' => $bad + 1,
                'body' => json_encode(['items' => $items], JSON_THROW_ON_ERROR)];
        }
    }
    $ok = 0;
    $statuses = [];
    $qi = 0;
    $t0 = microtime(true);
    run_multi(
        function () use (&$qi, $queue, $s, $php) {
            if ($qi >= count($queue)) {
                return null;
            }
            $q = $queue[$qi];
            return [$s->handle($q['body'], $s->headers($php)), $qi++];
        },
        $P['conc_clients'],
        function (Resp $r, int $i) use (&$f, &$ok, &$statuses, &$included, $queue, $st) {
            $q = $queue[$i];
            $statuses[$r->status] = ($statuses[$r->status] ?? 0) + 1;
            $fails = check_ok($r, $q['n'] - 1, 1, "request V={$q['v']}");
            $j = $r->json();
            if (!$fails && ($j['results']['errors'][0] ?? '') !== "Item {$q['bad']}: Product not found.") {
                $fails[] = "request V={$q['v']}: errors " . json_encode($j['results']['errors'] ?? null) . ", expected Item {$q['bad']}";
            }
            if ($fails) {
                array_push($f, ...$fails);
                return;
            }
            $ok++;
            foreach ($q['idx'] as $pi) {
                $included[$st['products'][$pi]][$q['v']] = true;
            }
        },
        null,
        240.0
    );
    $secs = microtime(true) - $t0;
    Stats::measure('concurrency [' . ($php ? 'php' : 'native') . ']', sprintf('%d requests (%d items each at most) by %d clients in %.1fs; statuses %s', count($queue), $queue[0]['n'], $P['conc_clients'], $secs, json_encode($statuses)));

    $dups = $s->duplicates($st['products']);
    if ($dups) {
        $f[] = 'duplicate (post, key) rows: ' . json_encode($dups);
    }
    $keys = ['_stock', '_stock_status'];
    foreach ($locs as $l) {
        $keys[] = "_location_stock_$l";
        $keys[] = "_location_regular_price_$l";
    }
    $meta = $s->meta($st['products'], $keys);
    $lookup = [];
    foreach ($s->rows('SELECT product_id, stock_quantity, stock_status FROM wp_wc_product_meta_lookup WHERE product_id IN (' . implode(',', $st['products']) . ')') as [$p, $q, $ss]) {
        $lookup[(int) $p] = [(float) $q, $ss];
    }
    foreach ($st['products'] as $p) {
        $vals = [];
        foreach ($locs as $l) {
            $sv = $meta[$p]["_location_stock_$l"] ?? [];
            $pv = $meta[$p]["_location_regular_price_$l"] ?? [];
            Stats::$rowsChecked += count($sv) + count($pv);
            if (count($sv) !== 1 || count($pv) !== 1) {
                $f[] = "post $p location $l: " . count($sv) . ' stock rows, ' . count($pv) . ' price rows (want 1 each)';
                continue;
            }
            $vals[] = $sv[0];
            if ($pv[0] !== $sv[0] . '.50') {
                $f[] = "post $p location $l: price {$pv[0]} is not from the request that set stock {$sv[0]} (mixed)";
            }
        }
        $vals = array_unique($vals);
        if (count($vals) !== 1) {
            $f[] = "post $p: locations hold values of different requests: " . implode(', ', $vals) . ' (mixed)';
            continue;
        }
        $v = (int) $vals[0];
        if (!isset($included[$p][$v])) {
            $f[] = "post $p holds V=$v, which no successful request including it sent";
        }
        $main = $meta[$p]['_stock'] ?? [];
        Stats::$rowsChecked += count($main) + 1;
        if (count($main) !== 1 || (float) $main[0] !== (float) $v) {
            $f[] = "post $p: _stock " . json_encode($main) . " does not follow the primary location's $v";
        }
        if (($lookup[$p][0] ?? null) !== (float) $v) {
            $f[] = "post $p: lookup stock_quantity " . json_encode($lookup[$p] ?? null) . " != $v";
        }
    }
    array_push($f, ...$s->wcView($st['products']));
    $deadlocks = (int) $s->one("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'") - $deadlocks0;
    $lockwaits = (int) $s->one("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_WAITS'") - $lockwaits0;
    Stats::measure('concurrency server side [' . ($php ? 'php' : 'native') . ']', "$lockwaits row lock waits, $deadlocks deadlocks (retried inside the engine; none reached a client)");
    if ($ok !== count($queue)) {
        $f[] = "$ok of " . count($queue) . ' requests answered 200 with the right counts';
    }
    return $f;
}

/**
 * Stock decrements racing the sync. What "no decrement is lost" means for an absolute-set sync:
 *
 *  - Set A: products synced only at a NON-primary location. The sync never sets their WooCommerce `_stock`, so
 *    every decrement must survive: final `_stock` == initial - (decrements of that product), exactly.
 *  - Set B: products synced at the PRIMARY location: the sync sets `_stock` to an absolute V (that is what an
 *    ERP count means), which supersedes decrements committed BEFORE the sync, never those committed AFTER it.
 *    Checked from a server-side audit (a trigger logs every committed write of `_stock` of these products with
 *    its OLD and NEW value, in lock order): the chain of writes of each product is unbroken (each write's OLD
 *    is the previous write's NEW: no write was based on a stale read, so no decrement vanished in between),
 *    every decrement the client ran is in the chain as NEW = OLD - 1, every sync write sets a V some request
 *    sent, and the final `_stock` is the chain's last NEW, i.e. V_last_sync - (decrements committed after it).
 *  - Set C: products synced at a location they have never been synced at: every sync names a location of its
 *    own, so every sync inserts the products' first rows for it (the engine's insert-then-lock path) while the
 *    decrements scan the same products. Checked like A (exact `_stock`), plus one location row per product and
 *    location, holding the V of the one request that named that location.
 *  - For all: one `_stock` row per product afterwards (no insert, no delete of `_stock` in the audit).
 *  - No warm-up: the first syncs of A and B insert their location rows too.
 *
 * Decrements come from a separate `mariadb` client process, one UPDATE per statement in autocommit, as
 * WooCommerce's order code issues them; syncs from several concurrent HTTP clients.
 */
function test_decrements(Site $s, array $P, bool $php, ?array &$victims = null): array
{
    $f = [];
    $victims = [];
    $n = $P['dec_products'];
    $initial = 100000;
    // Locations: the primary, the other (A), and one of its own per sync (C).
    $st = $s->seedStore('DC' . substr(uniqid(), -5), $n, 2 + $P['dec_max_syncs'], $initial);
    $locs = array_keys($st['locations']);
    [$primary, $other] = $locs;
    $fresh = array_slice($locs, 2);
    $s->setOption('mulopimfwc_primary_location', (string) $primary);
    [$A, $B, $C] = array_chunk($st['products'], (int) ceil($n / 3));
    $min = min($st['products']);
    $max = max($st['products']);

    $s->q('DROP TABLE IF EXISTS rel_stock_audit');
    $s->q('CREATE TABLE rel_stock_audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, post_id BIGINT, op CHAR(1), old_value LONGTEXT, new_value LONGTEXT, who VARCHAR(200)) ENGINE=InnoDB');
    // who: WooCommerce's decrement process names itself (@rel_who), the statement client is root, the sync the site's user.
    $who = 'COALESCE(@rel_who, USER())';
    $cond = "NEW.meta_key = '_stock' AND NEW.post_id BETWEEN $min AND $max";
    $s->q("CREATE TRIGGER rel_audit_u AFTER UPDATE ON wp_postmeta FOR EACH ROW IF $cond THEN INSERT INTO rel_stock_audit (post_id, op, old_value, new_value, who) VALUES (NEW.post_id, 'u', OLD.meta_value, NEW.meta_value, $who); END IF");
    $s->q("CREATE TRIGGER rel_audit_i AFTER INSERT ON wp_postmeta FOR EACH ROW IF $cond THEN INSERT INTO rel_stock_audit (post_id, op, old_value, new_value, who) VALUES (NEW.post_id, 'i', NULL, NEW.meta_value, $who); END IF");
    $condOld = "OLD.meta_key = '_stock' AND OLD.post_id BETWEEN $min AND $max";
    $s->q("CREATE TRIGGER rel_audit_d AFTER DELETE ON wp_postmeta FOR EACH ROW IF $condOld THEN INSERT INTO rel_stock_audit (post_id, op, old_value, new_value, who) VALUES (OLD.post_id, 'd', OLD.meta_value, NULL, $who); END IF");
    $isDec = fn (string $who): bool => $who === 'wc-decrement' || str_starts_with($who, 'root@');
    $procs = [];
    try {
        // Two decrement clients at once. (1) WooCommerce itself: wc_update_product_stock($product, 1, 'decrease')
        // in a process that loads the site's WordPress (site/rel-wc.php), what wc_reduce_stock_levels() runs per
        // order line: the data store's UPDATE, the lookup row, the product save. (2) The data store's statement
        // alone, at volume, from one `mariadb` client process: the text WooCommerce 7.9 and 10.5 send
        // (update_product_stock(), operation 'decrease': `meta_value %+f` of -1), autocommit each.
        mt_srand(777);
        $dec = array_fill_keys($st['products'], 0);
        $sqlFile = tempnam(sys_get_temp_dir(), 'rel-dec');
        $fh = fopen($sqlFile, 'w');
        for ($i = 0; $i < $P['dec_statements']; $i++) {
            $p = $st['products'][mt_rand(0, $n - 1)];
            $dec[$p]++;
            fwrite($fh, "UPDATE wp_postmeta SET meta_value = meta_value -1.000000 WHERE post_id = $p AND meta_key='_stock';\n");
        }
        fclose($fh);
        $wcIds = [];
        for ($i = 0; $i < $P['dec_wc']; $i++) {
            $p = $st['products'][mt_rand(0, $n - 1)];
            $dec[$p]++;
            $wcIds[] = $p;
        }
        $wcFile = tempnam(sys_get_temp_dir(), 'rel-wcdec');
        file_put_contents($wcFile, implode("\n", $wcIds) . "\n");
        $wcOut = $wcFile . '.out';
        $errFile = $sqlFile . '.err';
        $totalDec = $P['dec_statements'] + $P['dec_wc'];
        $cmd = 'exec mariadb --no-defaults --protocol=socket --socket=' . escapeshellarg($s->env['E2E_DB_SOCKET'])
            . ' -uroot --batch --force ' . escapeshellarg($s->db) . ' < ' . escapeshellarg($sqlFile) . ' 2> ' . escapeshellarg($errFile);
        $procs['sql'] = proc_open($cmd, [1 => ['file', '/dev/null', 'w']], $pipes);
        $procs['wc'] = proc_open('exec php ' . escapeshellarg(dirname(__DIR__) . '/site/rel-wc.php') . ' ' . escapeshellarg($s->env['E2E_WP_DIR']) . ' decrement '
            . escapeshellarg($wcFile) . ' ' . escapeshellarg($wcOut), [1 => ['file', $wcOut . '.log', 'w'], 2 => ['file', $wcOut . '.log', 'a']], $pipes);
        $anyRunning = function () use (&$procs): bool {
            foreach ($procs as $pr) {
                if (proc_running($pr)) {
                    return true;
                }
            }
            return false;
        };
        $tDec = microtime(true);

        // Syncs while the decrements run: A at the non-primary location, B at the primary one.
        $syncValues = [];
        $freshOf = [];
        $okValues = [];
        $sent = 0;
        $ok = 0;
        $running = true;
        $tSync = microtime(true);
        run_multi(
            function () use (&$sent, &$syncValues, &$freshOf, &$running, $P, $A, $B, $C, $primary, $other, $fresh, $anyRunning, $totalDec, $tSync, $s, $php) {
                if ($sent >= $P['dec_max_syncs'] || microtime(true) - $tSync > $P['dec_seconds']) {
                    return null;
                }
                if (!$anyRunning()) {
                    $running = false;
                    return null;
                }
                // Stop syncing when 80% of the decrements are in, so that some commit after the last sync.
                static $lastCheck = 0.0;
                static $stopped = false;
                if (!$stopped && microtime(true) - $lastCheck > 0.2) {
                    $lastCheck = microtime(true);
                    $stopped = (int) $s->one("SELECT COUNT(*) FROM rel_stock_audit WHERE who LIKE 'root@%' OR who = 'wc-decrement'") >= 0.8 * $totalDec;
                }
                if ($stopped) {
                    return null;
                }
                $v = 1000000 * (++$sent);
                $syncValues[$v] = true;
                $items = [];
                foreach ($A as $p) {
                    $items[] = ['product_id' => $p, 'location_id' => $other, 'stock' => $v];
                }
                foreach ($B as $p) {
                    $items[] = ['product_id' => $p, 'location_id' => $primary, 'stock' => $v];
                }
                $loc = $fresh[$sent - 1];
                $freshOf[$loc] = $v;
                foreach ($C as $p) {
                    $items[] = ['product_id' => $p, 'location_id' => $loc, 'stock' => $v];
                }
                shuffle($items);
                return [$s->handle(json_encode(['items' => $items]), $s->headers($php)), $v];
            },
            $P['dec_clients'],
            function (Resp $r, int $v) use (&$f, &$ok, &$okValues, $A, $B, $C) {
                $fails = check_ok($r, count($A) + count($B) + count($C), 0, "sync V=$v");
                if ($fails) {
                    array_push($f, ...$fails);
                } else {
                    $ok++;
                    $okValues[$v] = true;
                }
            },
            null,
            $P['dec_seconds'] + 60
        );
        // Let the decrements finish (bounded).
        $t = microtime(true);
        while ($anyRunning() && microtime(true) - $t < 120) {
            usleep(50000);
        }
        $rcs = [];
        foreach ($procs as $k => $pr) {
            if (proc_running($pr)) {
                proc_terminate($pr, 9);
                $f[] = "the $k decrement client did not finish within 120 s after the syncs";
            }
            $rcs[$k] = proc_running($pr, true);
            proc_close($pr);
        }
        $procs = [];
        $rc = $rcs['sql'];
        $err = trim((string) @file_get_contents($errFile));
        $lines = file($sqlFile, FILE_IGNORE_NEW_LINES);
        $wcLines = is_file($wcOut) ? file($wcOut, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) : [];
        $wcLog = trim((string) @file_get_contents($wcOut . '.log'));
        foreach ([$sqlFile, $errFile, $wcFile, $wcOut, $wcOut . '.log'] as $tmp) {
            @unlink($tmp);
        }
        // With --force the client goes on after a failed statement, as each WooCommerce order is on its own.
        // A failed decrement is one WooCommerce does not retry: the order's stock reduction is gone. Those are
        // reported by the second test (deadlock victims); the checks here count committed decrements only.
        $other = [];
        foreach (explode("\n", $err) as $line) {
            if (preg_match('/^ERROR (\d+) \(\w+\) at line (\d+)/', $line, $m)) {
                $stmt = $lines[(int) $m[2] - 1] ?? '';
                preg_match('/post_id = (\d+)/', $stmt, $pm);
                $p = (int) ($pm[1] ?? 0);
                $victims[] = ['code' => (int) $m[1], 'post' => $p, 'client' => 'sql'];
                if (isset($dec[$p])) {
                    $dec[$p]--;
                }
            } elseif (trim($line) !== '' && !str_starts_with($line, '---') && !str_starts_with($line, 'UPDATE ')) {
                $other[] = $line;
            }
        }
        // WooCommerce's own path: a failed statement of wc_update_product_stock() (the decrement itself, or the
        // lookup row / product save after it) is lost the same way.
        $wcDone = null;
        foreach ($wcLines as $line) {
            $j = json_decode($line, true);
            if (isset($j['done'])) {
                $wcDone = $j;
                continue;
            }
            $q = (string) ($j['query'] ?? '');
            $isUpdate = str_contains($q, 'meta_value -1');
            $code = preg_match('/deadlock/i', (string) ($j['error'] ?? '')) ? 1213 : (preg_match('/lock wait/i', (string) ($j['error'] ?? '')) ? 1205 : 0);
            $victims[] = ['code' => $code, 'post' => (int) ($j['post'] ?? 0), 'client' => 'wc', 'what' => $isUpdate ? 'the decrement' : substr($q, 0, 50), 'error' => $j['error'] ?? ''];
            if ($isUpdate && isset($dec[(int) $j['post']])) {
                $dec[(int) $j['post']]--;
            }
        }
        if ($wcDone === null || $wcDone['done'] !== count($wcIds)) {
            $f[] = 'the WooCommerce decrement process did not finish its ' . count($wcIds) . " decrements (exit {$rcs['wc']}): " . substr($wcLog, 0, 300);
        } elseif ($wcDone['connection'] !== $wcDone['first_connection']) {
            $f[] = 'the WooCommerce decrement process reconnected, so its later writes are not attributed (connection ' . $wcDone['first_connection'] . ' -> ' . $wcDone['connection'] . ')';
        }
        if ($wcLog !== '') {
            $f[] = 'the WooCommerce decrement process printed: ' . substr($wcLog, 0, 300);
        }
        if ($other) {
            $f[] = "decrement client: exit $rc, stderr: " . substr(implode(' | ', $other), 0, 300);
        }
        if ($victims) {
            Stats::note(sprintf('decrements: %d of %d decrement statements or wc_update_product_stock() calls failed (error %s) while syncs ran', count($victims), $totalDec, implode('/', array_unique(array_column($victims, 'code')))));
        }
        Stats::$decrements += $totalDec;
        Stats::measure('decrements [' . ($php ? 'php' : 'native') . ']', sprintf('%d decrements (%d wc_update_product_stock() calls + %d of its UPDATE statement, %.1fs) raced %d syncs of %d items, %d of them first rows of a location (%d clients)', $totalDec, $P['dec_wc'], $P['dec_statements'], microtime(true) - $tDec, $sent, count($A) + count($B) + count($C), count($C), $P['dec_clients']));
        if ($running && $sent >= $P['dec_max_syncs']) {
            Stats::note("decrements: the sync budget ({$P['dec_max_syncs']}) ran out before the decrements finished; the tail of the decrements ran alone");
        }
        if ($ok < 2) {
            $f[] = "only $ok syncs succeeded: the race did not happen";
        }

        // Checks.
        $final = [];
        $rowsPer = [];
        foreach ($s->rows('SELECT post_id, meta_value FROM wp_postmeta WHERE meta_key = \'_stock\' AND post_id BETWEEN ' . $min . ' AND ' . $max) as [$p, $v]) {
            $final[(int) $p] = $v;
            $rowsPer[(int) $p] = ($rowsPer[(int) $p] ?? 0) + 1;
        }
        $audit = [];
        foreach ($s->rows('SELECT post_id, op, old_value, new_value, who FROM rel_stock_audit ORDER BY id') as [$p, $op, $old, $new, $who]) {
            $audit[(int) $p][] = [$op, $old, $new, $who];
        }
        $lost = 0;
        foreach (array_merge($A, $C) as $p) {
            Stats::$rowsChecked++;
            $want = $initial - $dec[$p];
            if (($rowsPer[$p] ?? 0) !== 1) {
                $f[] = "A post $p: " . ($rowsPer[$p] ?? 0) . ' _stock rows';
            }
            if ((float) ($final[$p] ?? 'NaN') !== (float) $want) {
                $lost += $want - (int) ($final[$p] ?? 0);
                $f[] = "A/C post $p (non-primary sync): _stock {$final[$p]} != $initial - {$dec[$p]} decrements = $want";
            }
            foreach ($audit[$p] ?? [] as [$op, $old, $new, $who]) {
                if (!$isDec($who)) {
                    $f[] = "A/C post $p: the sync wrote _stock ($op $old -> $new by $who) though it syncs a non-primary location";
                    break;
                }
            }
        }
        $syncWrites = 0;
        $afterLast = [];
        foreach ($B as $p) {
            Stats::$rowsChecked++;
            $chain = $audit[$p] ?? [];
            $prev = (string) $initial;
            $decs = 0;
            $since = 0;
            foreach ($chain as $e => [$op, $old, $new, $who]) {
                if ($op !== 'u') {
                    $f[] = "B post $p: _stock row " . ($op === 'i' ? 'inserted' : 'deleted') . " by $who";
                    continue;
                }
                if ((float) $old !== (float) $prev) {
                    $f[] = "B post $p write #$e by $who: OLD $old but the previous committed value was $prev (a write from a stale read: lost update)";
                }
                if ($isDec($who)) {
                    $decs++;
                    $since++;
                    if ((float) $new !== (float) $old - 1) {
                        $f[] = "B post $p: decrement $old -> $new";
                    }
                } else {
                    $syncWrites++;
                    $since = 0;
                    if (!isset($syncValues[(int) $new]) || (string) (int) $new !== (string) $new) {
                        $f[] = "B post $p: sync wrote $new, which no request sent";
                    }
                }
                $prev = $new;
            }
            $afterLast[] = $since;
            if ($decs !== $dec[$p]) {
                $lost += $dec[$p] - $decs;
                $f[] = "B post $p: {$dec[$p]} decrements ran, $decs are in the committed chain";
            }
            if (($rowsPer[$p] ?? 0) !== 1) {
                $f[] = "B post $p: " . ($rowsPer[$p] ?? 0) . ' _stock rows';
            }
            if ((float) ($final[$p] ?? 'NaN') !== (float) $prev) {
                $f[] = "B post $p: final _stock {$final[$p]} != last committed write $prev";
            }
        }
        // C: each location a sync named holds, for every C product, one row with that sync's V (when the sync
        // succeeded), and none at all when it failed.
        $in = implode(',', $C);
        $locRows = [];
        foreach ($s->rows("SELECT post_id, meta_key, meta_value FROM wp_postmeta WHERE post_id IN ($in) AND meta_key LIKE '\\_location\\_stock\\_%'") as [$p, $k, $v]) {
            $locRows[$k][(int) $p][] = $v;
        }
        foreach ($freshOf as $loc => $v) {
            $rows = $locRows["_location_stock_$loc"] ?? [];
            foreach ($C as $p) {
                Stats::$rowsChecked++;
                $got = $rows[$p] ?? [];
                $want = isset($okValues[$v]) ? [(string) $v] : [];
                if ($got !== $want) {
                    $f[] = "C post $p, location $loc (sync V=$v): rows " . json_encode($got) . ', want ' . json_encode($want);
                }
            }
        }
        // WooCommerce's view: the lookup row follows `_stock` wherever the last write of `_stock` was a sync or
        // WooCommerce's own decrement (both update the lookup row; the bare statement does not), status and
        // visibility term everywhere.
        $bare = [];
        foreach ($st['products'] as $p) {
            $chain = $audit[$p] ?? [];
            $last = $chain ? $chain[count($chain) - 1] : null;
            if ($last !== null && str_starts_with($last[3], 'root@')) {
                $bare[] = $p;
            }
        }
        array_push($f, ...$s->wcView($st['products'], $bare));
        Stats::$lost += $lost;
        if ($syncWrites === 0) {
            $f[] = 'no sync wrote the primary products\' _stock: the test did not race anything';
        }
        Stats::measure('decrements on primary products [' . ($php ? 'php' : 'native') . ']', sprintf('%d sync writes of _stock interleaved with %d decrements; decrements committed after the last sync per product: min %d, max %d; lost: %d',
            $syncWrites, array_sum(array_map(fn ($p) => $dec[$p], $B)), min($afterLast), max($afterLast), $lost));
        if (count($f) > 40) {
            $f = array_merge(array_slice($f, 0, 40), [(count($f) - 40) . ' more']);
        }
    } finally {
        foreach ($procs as $pr) { // only when a check above threw
            if (proc_running($pr)) {
                proc_terminate($pr, 9);
            }
            proc_close($pr);
        }
        $s->q('DROP TRIGGER IF EXISTS rel_audit_u');
        $s->q('DROP TRIGGER IF EXISTS rel_audit_i');
        $s->q('DROP TRIGGER IF EXISTS rel_audit_d');
    }
    return $f;
}
