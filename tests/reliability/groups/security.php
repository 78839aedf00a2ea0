<?php
/**
 * Security over HTTP: the API key check (constant-time comparison, strict, nothing read or written without a
 * valid key), a database user with only SELECT/INSERT/UPDATE/DELETE, and no secret in any response or log.
 */

declare(strict_types=1);

namespace Mulopimfwc\Reliability;

function security_tests(Runner $run, array $sites): void
{
    $s = $sites['main'] ?? null;
    if ($s === null) {
        $run->test('security', fn () => throw new SkipTest('no --main site'));
        return;
    }
    $repo = dirname(__DIR__, 3);
    $st = $s->seedStore('SE' . substr(uniqid(), -5), 3, 2, 10);
    $l1 = array_key_last($st['locations']);
    // A body that writes when it is processed: any write shows in the fingerprint.
    $writes = json_encode(['items' => [['product_id' => $st['products'][0], 'location_id' => $l1, 'stock' => 777]]]);
    $key = $s->key;
    $unchanged = function (callable $send, array $wantStatus, string $what) use ($s): array {
        $fp = $s->fingerprint();
        $r = $send();
        $f = [];
        if (!in_array($r->status, $wantStatus, true) || $r->code() !== 'rest_forbidden') {
            $f[] = "$what: expected " . implode('/', $wantStatus) . ' rest_forbidden, got ' . $r->short();
        }
        if ($s->fingerprint() != $fp) {
            $f[] = "$what: the database changed";
        }
        return $f;
    };

    $run->test('API key: hash_equals in the permission check (code), and a strict comparison (behaviour: "0e…" keys that == would equate are refused)', function () use ($s, $repo, $writes) {
        $f = [];
        $src = (string) file_get_contents("$repo/php/includes/class-rest-controller.php");
        // The function that reads the stored key (whatever it is called) compares with hash_equals only.
        $body = null;
        if (preg_match_all('/function (\w+)\b(.*?)\n\t}\n/s', $src, $all, PREG_SET_ORDER)) {
            foreach ($all as $fn) {
                if (str_contains($fn[2], "'mulopimfwc_api_key'")) {
                    $body = $fn[2];
                    break;
                }
            }
        }
        if ($body === null) {
            return ['no function of php/includes/class-rest-controller.php reads the option mulopimfwc_api_key'];
        }
        if (!preg_match('/hash_equals\(\s*\$stored\s*,\s*\$given\s*\)/', $body)) {
            $f[] = 'the API key check does not compare with hash_equals( $stored, $given )';
        }
        if (preg_match('/(\$given|\$stored)\s*(==|!=)[^=]|[^=!](==|!=)\s*(\$given|\$stored)|strcmp|strcasecmp/', $body)) {
            $f[] = 'the API key check also compares the key with ==, != or strcmp';
        }
        // Behaviour: PHP's == treats "0e…" digit strings as equal numbers; hash_equals does not.
        $orig = $s->key;
        $s->setOption('mulopimfwc_api_key', '0e1234567890123456789012');
        try {
            foreach (['0e9999999999999999999999', '0E1234567890123456789012', '0e1234567890123456789012 x', '0'] as $k) {
                $r = $s->post($writes, $s->headers(false, $k));
                if ($r->status !== 403) {
                    $f[] = "stored key 0e1234…, sent $k: " . $r->short();
                }
            }
            $r = $s->post('{"items":[]}', $s->headers(false, '0e1234567890123456789012'));
            if ($r->status !== 200) {
                $f[] = 'the exact key was refused: ' . $r->short();
            }
        } finally {
            $s->setOption('mulopimfwc_api_key', $orig);
        }
        return $f;
    });

    $run->test('API key missing / empty / wrong (same length, prefix, longer, other case): 401/403, nothing written', function () use ($s, $writes, $key, $unchanged) {
        $f = [];
        $h = ['Content-Type' => 'application/json'];
        $f = array_merge($f, $unchanged(fn () => $s->post($writes, $h), [401], 'no key'));
        $f = array_merge($f, $unchanged(fn () => $s->post($writes, $h + ['X-API-Key' => '']), [401, 403], 'empty key'));
        $last = substr($key, -1) === 'a' ? 'b' : 'a';
        foreach (['same length' => substr($key, 0, -1) . $last, 'prefix' => substr($key, 0, -1), 'longer' => $key . 'x', 'upper case' => strtoupper($key), 'other' => 'x'] as $what => $k) {
            if ($k === $key) {
                continue;
            }
            $f = array_merge($f, $unchanged(fn () => $s->post($writes, $h + ['X-API-Key' => $k]), [403], $what));
        }
        return $f;
    });

    $run->test('an empty stored key matches nothing (not even an empty header)', function () use ($s, $writes, $key, $unchanged) {
        $s->setOption('mulopimfwc_api_key', '');
        try {
            return array_merge(
                $unchanged(fn () => $s->post($writes, ['Content-Type' => 'application/json', 'X-API-Key' => '']), [401, 403], 'empty header'),
                $unchanged(fn () => $s->post($writes, ['Content-Type' => 'application/json', 'X-API-Key' => $key]), [403], 'the old key')
            );
        } finally {
            $s->setOption('mulopimfwc_api_key', $key);
        }
    });

    $run->test('a logged-in user without manage_woocommerce (application password): 403, nothing written', function () use ($s, $writes, $unchanged) {
        $u = $s->env['E2E_NOCAP_USER'] ?? '';
        $p = $s->env['E2E_NOCAP_APP_PASSWORD'] ?? '';
        if ($u === '' || $p === '') {
            throw new SkipTest('the site has no user without the capability');
        }
        return $unchanged(function () use ($s, $writes, $u, $p) {
            $ch = $s->handle($writes, ['Content-Type' => 'application/json']);
            curl_setopt($ch, CURLOPT_USERPWD, "$u:$p");
            $t = microtime(true);
            return Site::finish($ch, curl_exec($ch), $t);
        }, [403], 'subscriber');
    });

    // WordPress's REST server parses a JSON body (WP_REST_Request::has_valid_params(), in
    // WP_REST_Server::dispatch()) BEFORE it calls the route's permission_callback: a client without a key
    // that sends malformed JSON gets 400 rest_invalid_json (its body was read and parsed) instead of 401.
    $run->test('no key or a wrong key + a body that fails loudly when parsed: 401/403 (not rest_invalid_json), nothing written', function () use ($s, $unchanged) {
        $f = [];
        foreach (['no key' => [], 'wrong key' => ['X-API-Key' => 'wrong']] as $what => $extra) {
            foreach (['{"items": [' => 'malformed JSON', '{"items":[' . str_repeat('[', 100000) . ']}' => 'JSON nested 100,000 deep'] as $body => $kind) {
                $f = array_merge($f, $unchanged(fn () => $s->post($body, ['Content-Type' => 'application/json'] + $extra), $what === 'no key' ? [401] : [403], "$what, $kind"));
            }
        }
        return $f;
    });
}

function test_dml_only(Site $s): array
{
    $user = getenv('MULOPIMFWC_DB_DML_USER') ?: 'mulopimfwc_dml';
    $pass = getenv('MULOPIMFWC_DB_DML_PASSWORD') ?: 'dml-pass-Q7';
    $f = [];
    // The grant, by root over the socket; underscores in the database name escaped (else a LIKE pattern).
    $pattern = str_replace(['\\', '_', '%'], ['\\\\', '\\_', '\\%'], $s->db);
    foreach (['localhost', '127.0.0.1'] as $host) {
        $s->q("REVOKE ALL PRIVILEGES, GRANT OPTION FROM '$user'@'$host'");
        $s->q("GRANT SELECT, INSERT, UPDATE, DELETE ON `$pattern`.* TO '$user'@'$host'");
    }
    $grants = implode(' | ', array_column($s->rows("SHOW GRANTS FOR '$user'@'localhost'"), 0));
    // The user really cannot do more.
    $c = new \mysqli('localhost', $user, $pass, $s->db, 0, $s->env['E2E_DB_SOCKET']);
    try {
        $c->query('CREATE TABLE rel_dml_probe (a INT)');
        $f[] = 'the DML user could CREATE TABLE: the test would prove nothing';
        $c->query('DROP TABLE rel_dml_probe');
    } catch (\mysqli_sql_exception) {
    }
    $c->close();
    // wp-config.php of this site uses that user from now on.
    $cfg = $s->dir() . '/wp-config.php';
    $src = (string) file_get_contents($cfg);
    $src = preg_replace("/define\\( 'DB_USER', '[^']*' \\);/", "define( 'DB_USER', " . var_export($user, true) . ' );', $src);
    $src = preg_replace("/define\\( 'DB_PASSWORD', '[^']*' \\);/", "define( 'DB_PASSWORD', " . var_export($pass, true) . ' );', $src);
    file_put_contents($cfg, $src);
    if (!str_contains($src, "'$user'")) {
        return ['could not switch wp-config.php to the DML user'];
    }
    if (function_exists('opcache_invalidate')) {
        @opcache_invalidate($cfg, true);
    }
    sleep(3); // php-fpm's opcache revalidates changed files after opcache.revalidate_freq (2 s)
    $st = $s->seedStore('DM' . substr(uniqid(), -5), 10, 2, 5);
    $s->setOption('mulopimfwc_primary_location', (string) array_key_first($st['locations']));
    $items = [];
    foreach ($st['products'] as $i => $p) {
        foreach (array_keys($st['locations']) as $l) {
            $items[] = ['product_id' => $p, 'location_id' => $l, 'stock' => $i === 0 ? 0 : 40 + $i, 'regular_price' => '9.99'];
        }
    }
    $r = $s->sync($items);
    $f = array_merge($f, check_ok($r, 20, 0, 'DML-only sync'));
    if (($r->json()['engine'] ?? '') !== 'native') {
        $f[] = 'the native engine did not run: ' . $r->short();
    }
    $m = $s->meta($st['products'], ['_stock', '_stock_status']);
    foreach ($st['products'] as $i => $p) {
        Stats::$rowsChecked += 2;
        if ((float) ($m[$p]['_stock'][0] ?? -1) !== (float) ($i === 0 ? 0 : 40 + $i)) {
            $f[] = "post $p: _stock " . json_encode($m[$p]['_stock'] ?? null);
        }
    }
    array_push($f, ...$s->wcView($st['products']));
    // The connection the engine used is the DML user's.
    $users = array_column($s->rows("SELECT DISTINCT USER FROM information_schema.PROCESSLIST WHERE DB = " . $s->lit($s->db) . " AND USER <> 'root'"), 0);
    if ($users !== [] && $users !== [$user]) {
        $f[] = 'connections to the site database by ' . json_encode($users) . ", expected only $user";
    }
    Stats::measure('DML-only user', "$grants; sync of 20 items: HTTP {$r->status}");
    return $f;
}

/** Secrets in responses and logs: every saved response body and every line of every site's logs. */
function test_secrets(array $sites, array $secrets): array
{
    $f = [];
    $lines = 0;
    foreach (Site::$responses as $i => $r) {
        foreach ($secrets as $secret => $what) {
            if ($secret !== '' && str_contains($r->body, (string) $secret)) {
                $f[] = "response #$i names the $what: " . substr($r->body, 0, 200);
            }
        }
    }
    $dml = getenv('MULOPIMFWC_DB_DML_PASSWORD') ?: 'dml-pass-Q7';
    $secrets[$dml] = 'DML user password';
    foreach ($sites as $s) {
        foreach ($s->logFiles() as $file) {
            $fh = fopen($file, 'r');
            while (($line = fgets($fh)) !== false) {
                $lines++;
                foreach ($secrets as $secret => $what) {
                    if ($secret !== '' && str_contains($line, (string) $secret)) {
                        $f[] = basename(dirname($file)) . '/' . basename($file) . " names the $what: " . substr(trim($line), 0, 200);
                    }
                }
            }
            fclose($fh);
        }
    }
    Stats::measure('secrets scan', count(Site::$responses) . " responses and $lines log lines searched for " . count($secrets) . ' secrets');
    return array_slice($f, 0, 20);
}
