<?php
/**
 * kill -9 of the php-fpm worker that runs a 100,000-item request, timed from the database side: the kill
 * lands when the engine's transaction shows modified rows in information_schema.INNODB_TRX.
 */

declare(strict_types=1);

namespace Mulopimfwc\Reliability;

/** The kill store: 25,000 products x 4 locations = 100,000 items (the native limit). */
function kill_store(Site $s): array
{
    static $st = null;
    if ($st === null) {
        $t = microtime(true);
        $st = $s->seedStore('KL' . substr(uniqid(), -5), 25000, 4, 5);
        $s->setOption('mulopimfwc_primary_location', (string) array_key_first($st['locations']));
        Stats::measure('kill store seeded', sprintf('25,000 products, 4 locations in %.1fs', microtime(true) - $t));
    }
    return $st;
}

/**
 * The 100,000 items of run $run: every product at every location with stock 1000*($run+1) + (i % 1000), ids or
 * sku/slug alternately; the 100 items of the first 25 products carry stock "abc" (invalid): 99,900 valid.
 * Returns [body, expected values (post => key => value)].
 */
function kill_request(array $st, int $run): array
{
    $items = [];
    $want = [];
    $primary = array_key_first($st['locations']);
    foreach ($st['products'] as $i => $p) {
        foreach ($st['locations'] as $tid => $slug) {
            $v = 1000 * ($run + 1) + ($i % 1000);
            $it = $i % 2 ? ['product_id' => $p, 'location_id' => $tid] : ['sku' => $st['skus'][$i], 'location_slug' => $slug];
            if ($i < 25) {
                $items[] = $it + ['stock' => 'abc'];
                continue;
            }
            $items[] = $it + ['stock' => $v];
            $want[$p]["_location_stock_$tid"] = (string) $v;
            if ($tid === $primary) {
                $want[$p]['_stock'] = (string) $v;
            }
        }
    }
    return [json_encode(['items' => $items], JSON_THROW_ON_ERROR), $want];
}

/** post => key => [values] of the kill store's posts for the keys a kill request writes. */
function kill_state(Site $s, array $st): array
{
    $keys = ['_stock'];
    foreach (array_keys($st['locations']) as $tid) {
        $keys[] = "_location_stock_$tid";
    }
    $out = [];
    $min = min($st['products']);
    $max = max($st['products']);
    foreach ($s->rows("SELECT post_id, meta_key, meta_value FROM wp_postmeta WHERE post_id BETWEEN $min AND $max AND meta_key IN ('" . implode("','", $keys) . "') ORDER BY meta_id") as [$p, $k, $v]) {
        $out[(int) $p][$k][] = (string) $v;
    }
    return $out;
}

/** Compares a state with the expected one: which of the expected (post, key) values hold, and duplicates. */
function kill_compare(array $state, array $want): array
{
    $applied = 0;
    $dups = 0;
    foreach ($want as $p => $kv) {
        foreach ($kv as $k => $v) {
            $got = $state[$p][$k] ?? [];
            if (count($got) > 1) {
                $dups++;
            }
            if (count($got) === 1 && (float) $got[0] === (float) $v) {
                $applied++;
            }
        }
    }
    return [$applied, $dups];
}

function test_kill_worker(Site $s, int $run): array
{
    $f = [];
    $st = kill_store($s);
    [$body, $want] = kill_request($st, $run);
    $total = array_sum(array_map('count', $want));
    $before = kill_state($s, $st);
    $fp0 = $s->fingerprint();
    [$appliedBefore] = kill_compare($before, $want);
    if ($appliedBefore !== 0) {
        throw new \RuntimeException("run $run: $appliedBefore values already in place before the request");
    }
    $children0 = $s->fpmChildren();
    // Run 0 kills at the first modified row, later runs later in the write.
    $threshold = $run === 0 ? 1 : 30000 * $run;

    $killed = null;
    $trxAtKill = null;
    $resp = null;
    $t0 = microtime(true);
    $resp = request_while(
        $s,
        $body,
        $s->headers(),
        300,
        function () use (&$killed, &$trxAtKill, $s, $children0, $threshold, $t0) {
            if ($killed !== null || microtime(true) - $t0 > 120) {
                return;
            }
            // Run 0: the first write statement (live, from PROCESSLIST); later runs: INNODB_TRX's row count.
            $cands = $threshold === 1 ? $s->engineWriting() : $s->engineTrx();
            foreach ($cands as $trx) {
                if ($threshold === 1 || (int) $trx['rows_modified'] >= $threshold) {
                    // The busy child: the one whose CPU time grew most since the request was sent.
                    $now = $s->fpmChildren();
                    $best = null;
                    $bestDelta = -1;
                    foreach ($now as $pid => $c) {
                        $d = $c['cpu'] - ($children0[$pid]['cpu'] ?? 0);
                        if ($d > $bestDelta) {
                            $bestDelta = $d;
                            $best = $pid;
                        }
                    }
                    if ($best !== null) {
                        posix_kill($best, SIGKILL);
                        Stats::fault('kill -9 php-fpm worker');
                        $killed = ['pid' => $best, 'cpu_ticks' => $bestDelta, 'after' => round(microtime(true) - $t0, 2)];
                        $trxAtKill = $trx;
                    }
                    return;
                }
            }
        },
        300.0
    );
    if ($killed === null) {
        $f[] = 'the engine\'s transaction never showed ' . $threshold . ' modified rows: no kill happened; response ' . ($resp ? $resp->short() : 'none');
        return $f;
    }
    Stats::measure("kill run $run", sprintf('worker %d (+%d CPU ticks) killed %.2fs after the request, engine %s; client got %s',
        $killed['pid'], $killed['cpu_ticks'], $killed['after'], isset($trxAtKill['rows_modified']) ? "transaction had {$trxAtKill['rows_modified']} rows modified" : "was running " . json_encode($trxAtKill['info']), $resp ? "HTTP {$resp->status}" . ($resp->curlError ? " ({$resp->curlError})" : '') : 'nothing'));
    if ($resp !== null && $resp->status === 200) {
        $f[] = 'the killed request still answered 200: the kill did not hit the worker that ran it';
    }
    // The server notices the dead client and rolls back; bounded wait.
    $thread = (int) $trxAtKill['thread'];
    $gone = wait_until(fn () => (int) $s->one("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = $thread") === 0, 120, 0.15);
    if (!$gone) {
        $f[] = "the killed worker's transaction (thread $thread) is still open after 120 s";
    }
    $after = kill_state($s, $st);
    [$applied, $dups] = kill_compare($after, $want);
    Stats::$rowsChecked += $total;
    if ($dups) {
        $f[] = "$dups (post, key) pairs have several rows";
    }
    if ($applied === 0) {
        if ($s->fingerprint() != $fp0) {
            $f[] = 'none of the items applied, yet the database changed: ' . json_encode(array_diff_assoc($s->fingerprint(), $fp0));
        }
        Stats::note("kill run $run: outcome NONE (rolled back)");
    } elseif ($applied === $total) {
        Stats::note("kill run $run: outcome ALL (the commit beat the kill)");
    } else {
        $f[] = "half-applied: $applied of $total valid values in place after the kill";
    }
    // The pool replaced the worker; the next request succeeds.
    wait_until(fn () => count($s->fpmChildren()) === count($children0), 10);
    if (isset($s->fpmChildren()[$killed['pid']])) {
        $f[] = "worker {$killed['pid']} survived SIGKILL?";
    }
    $r = $s->sync([['sku' => $st['skus'][30], 'location_id' => array_key_last($st['locations']), 'stock' => 1]]);
    array_push($f, ...check_ok($r, 1, 0, 'next request'));
    // Put that item back as it was, so the next run starts from the same state.
    $s->q('DELETE FROM wp_postmeta WHERE post_id = ' . $st['products'][30] . " AND meta_key = '_location_stock_" . array_key_last($st['locations']) . "'");
    if ($applied === $total) {
        $f[] = 'the kill came too late to test the rollback (outcome ALL); rerun';
    }
    return $f;
}

/** Positive control: the same 100,000 items go through in one request, every valid one applied exactly. */
function test_kill_positive(Site $s): array
{
    $st = kill_store($s);
    [$body, $want] = kill_request($st, 9);
    $t = microtime(true);
    $r = $s->post($body, $s->headers(), 300);
    $secs = microtime(true) - $t;
    $f = check_ok($r, 99900, 100, '100,000-item request');
    $hwm = max(array_column($s->fpmChildren(), 'hwm_kb') ?: [0]);
    Stats::measure('100,000-item request', sprintf('%.1fs over HTTP (%.1f MB body), worker peak RSS %d MB', $secs, strlen($body) / 1e6, intdiv($hwm, 1024)));
    [$applied, $dups] = kill_compare(kill_state($s, $st), $want);
    $total = array_sum(array_map('count', $want));
    Stats::$rowsChecked += $total;
    if ($applied !== $total || $dups) {
        $f[] = "$applied of $total values applied, $dups duplicated keys";
    }
    $j = $r->json();
    $e = $j['results']['errors'][0] ?? '';
    if ($e !== 'Item 1: Invalid stock: must be an integer.') {
        $f[] = 'first error ' . json_encode($e);
    }
    return $f;
}
