<?php
/**
 * WooCommerce REST API keys on our routes, beyond what the official clients do (curl through PHP's curl extension,
 * HTTP Basic over HTTPS unless said otherwise):
 *
 *   php -d curl.cainfo=CERT tests/clients/keys-tests.php CONFIG.json
 *
 * - Idempotency-Key scoped by the key: two keys with one Idempotency-Key each run (no replay, no 409 across keys),
 *   the same key again gets its own stored response (Idempotent-Replayed) and nothing is written; the stored rows
 *   carry the principals wckey:KEY_ID;
 * - a key whose user lacks manage_woocommerce: 403, nothing written; a write-only key on the export: 401
 *   (WooCommerce: no read permission);
 * - the webhook and inventory/update with a read/write key (written), the `?rest_route=` form;
 * - keys in the query string over plain HTTP are not taken (WooCommerce takes them over HTTPS only): 401;
 * - what worked before works the same over HTTPS: X-API-Key, an application password (Basic with a user name that
 *   is no consumer key).
 * CONFIG: see test_python.py. Output: TestRun's lines and `E2E-COUNTS SUITE passed=N failed=M skipped=K`.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

namespace Mulopimfwc\Clients;

use Mulopimfwc\E2E\Http;
use Mulopimfwc\E2E\TestRun;

require __DIR__ . '/../e2e/lib/TestRun.php';

const TESTS = 8;
if (($argv[1] ?? '') === '--count') {
    echo TESTS, "\n";
    exit(0);
}

$cfg  = json_decode((string) file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);
$loc  = (int) $cfg['location'];
$keys = $cfg['keys'];
$run  = new TestRun($cfg['site'] . ' keys');
$tls  = new Http($cfg['https_url']);
$http = new Http($cfg['http_url']);
$ns   = '/wp-json/mulopimfwc/v1';

$probe = static function (string ...$skus) use ($cfg, $loc, $http): array {
    $r = $http->request('GET', $cfg['probe'] . '?' . http_build_query(['location' => $loc, 'sku' => implode(',', $skus)]), null, ['X-API-Key' => $cfg['api_key']]);
    if ($r['status'] !== 200 || !is_array($r['json'])) {
        throw new \RuntimeException("probe: HTTP {$r['status']}: " . substr($r['body'], 0, 200));
    }
    return $r['json'];
};
$stock  = static fn (array $state, string $sku): array => [$state[$sku]['location_stock'], $state[$sku]['wc_stock']];
$expect = static function (array &$p, string $what, $got, $want): void {
    if ($got !== $want) {
        $p[] = "$what: got " . json_encode($got) . ', want ' . json_encode($want);
    }
};
$basic  = static fn (string $key): string => $keys[$key]['ck'] . ':' . $keys[$key]['cs'];
$json   = ['Content-Type' => 'application/json'];
$body   = static fn (string $sku, int $n): string => json_encode(['items' => [['sku' => $sku, 'location_id' => $loc, 'stock' => $n]]]);

$run->test('Idempotency-Key: scoped by the WooCommerce key (two keys run, the same key replays)', static function () use ($tls, $ns, $basic, $json, $body, $probe, $stock, $expect, $keys): array {
    $p   = [];
    $idk = ['Idempotency-Key' => 'clients-' . bin2hex(random_bytes(6))] + $json;
    $a   = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-2', 51), $idk, $basic('rw'));
    $expect($p, 'key rw: status, replayed', [$a['status'], $a['headers']['idempotent-replayed'] ?? null], [200, null]);
    $b = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-2', 52), $idk, $basic('rw2'));
    $expect($p, 'key rw2, same Idempotency-Key, another body: status, replayed', [$b['status'], $b['headers']['idempotent-replayed'] ?? null], [200, null]);
    $expect($p, 'CL-2 after rw2', $stock($probe('CL-2'), 'CL-2'), [['52'], 52]);
    $a2 = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-2', 51), $idk, $basic('rw'));
    $expect($p, 'key rw again: status, replayed, body', [$a2['status'], $a2['headers']['idempotent-replayed'] ?? null, $a2['json']], [200, 'true', $a['json']]);
    $b2 = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-2', 51), $idk, $basic('rw2'));
    $expect($p, 'key rw2 with rw\'s body: 409 idempotency_key_reused', [$b2['status'], $b2['json']['code'] ?? null], [409, 'idempotency_key_reused']);
    $state = $probe('CL-2');
    $expect($p, 'CL-2 unchanged by the replay', $stock($state, 'CL-2'), [['52'], 52]);
    $scopes = array_values(array_unique(array_filter(array_column($state['_idempotency'], 'scope'), static fn ($s) => str_starts_with($s, 'wckey:'))));
    sort($scopes);
    $want = ['wckey:' . $keys['rw']['key_id'], 'wckey:' . $keys['rw2']['key_id']];
    sort($want);
    $expect($p, 'stored principals', $scopes, $want);
    return $p;
});

$run->test('a key whose user cannot manage WooCommerce: 403, nothing written', static function () use ($tls, $ns, $basic, $json, $body, $probe, $stock, $expect, $loc): array {
    $p      = [];
    $before = $stock($probe('CL-3'), 'CL-3');
    $r      = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-3', 61), $json, $basic('nocap'));
    $expect($p, 'status, code', [$r['status'], $r['json']['code'] ?? null], [403, 'rest_forbidden']);
    $r = $tls->request('POST', "$ns/webhook/inventory-update", (string) json_encode(['sku' => 'CL-3', 'location_id' => $loc, 'stock' => 61]), $json, $basic('nocap'));
    $expect($p, 'webhook: status', $r['status'], 403);
    $expect($p, 'CL-3 unchanged', $stock($probe('CL-3'), 'CL-3'), $before);
    return $p;
});

$run->test('a write-only key on the export: 401 (no read permission); on bulk-sync: written', static function () use ($tls, $ns, $basic, $json, $body, $probe, $stock, $expect): array {
    $p = [];
    $r = $tls->request('GET', "$ns/inventory/export?per_page=1", null, [], $basic('write'));
    $expect($p, 'export: status, code, message', [$r['status'], $r['json']['code'] ?? null, $r['json']['message'] ?? null], [401, 'woocommerce_rest_authentication_error', 'The API key provided does not have read permissions.']);
    $r = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-3', 62), $json, $basic('write'));
    $expect($p, 'bulk-sync: status, success', [$r['status'], $r['json']['results']['success'] ?? null], [200, 1]);
    $expect($p, 'CL-3', $stock($probe('CL-3'), 'CL-3'), [['62'], 62]);
    return $p;
});

$run->test('webhook and inventory/update with a read/write key, and the ?rest_route= form', static function () use ($tls, $basic, $json, $probe, $stock, $expect, $loc): array {
    $p = [];
    $r = $tls->request('POST', '/wp-json/mulopimfwc/v1/webhook/inventory-update', (string) json_encode(['sku' => 'CL-1', 'location_id' => $loc, 'stock' => 71]), $json, $basic('rw'));
    $expect($p, 'webhook: status, success', [$r['status'], $r['json']['success'] ?? null], [200, true]);
    $expect($p, 'CL-1 after the webhook', $stock($probe('CL-1'), 'CL-1'), [['71'], 71]);
    $r = $tls->request('POST', '/wp-json/mulopimfwc/v1/inventory/update', (string) json_encode(['sku' => 'CL-1', 'location_id' => $loc, 'stock' => 72]), $json, $basic('rw'));
    $expect($p, 'inventory/update: status, product_id', [$r['status'], $r['json']['data']['product_id'] ?? null], [200, $probe('CL-1')['CL-1']['id']]);
    $r = $tls->request('POST', '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync', (string) json_encode(['items' => [['sku' => 'CL-1', 'location_id' => $loc, 'stock' => 73]]]), $json, $basic('rw'));
    $expect($p, '?rest_route=: status, success', [$r['status'], $r['json']['results']['success'] ?? null], [200, 1]);
    $expect($p, 'CL-1', $stock($probe('CL-1'), 'CL-1'), [['73'], 73]);
    $r = $tls->request('POST', '/?rest_route=/mulopimfwc/v1/inventory/bulk-sync', (string) json_encode(['items' => [['sku' => 'CL-1', 'location_id' => $loc, 'stock' => 74]]]), $json, $basic('read'));
    $expect($p, '?rest_route= with the read key: status, code', [$r['status'], $r['json']['code'] ?? null], [401, 'woocommerce_rest_authentication_error']);
    return $p;
});

$run->test('keys in the query string over plain HTTP: not taken (401), nothing written', static function () use ($http, $ns, $keys, $json, $body, $probe, $stock, $expect): array {
    $p      = [];
    $before = $stock($probe('CL-1'), 'CL-1');
    $q      = http_build_query(['consumer_key' => $keys['rw']['ck'], 'consumer_secret' => $keys['rw']['cs']]);
    $r      = $http->request('POST', "$ns/inventory/bulk-sync?$q", $body('CL-1', 81), $json);
    $expect($p, 'status', $r['status'], 401);
    $expect($p, 'CL-1 unchanged', $stock($probe('CL-1'), 'CL-1'), $before);
    return $p;
});

$run->test('plain HTTP: a consumer key with a bad OAuth signature gets WooCommerce\'s 401', static function () use ($http, $ns, $keys, $expect): array {
    $p = [];
    $q = http_build_query([
        'oauth_consumer_key'     => $keys['rw']['ck'],
        'oauth_timestamp'        => time(),
        'oauth_nonce'            => bin2hex(random_bytes(8)),
        'oauth_signature_method' => 'HMAC-SHA256',
        'oauth_signature'        => base64_encode(random_bytes(32)),
    ]);
    $r = $http->request('GET', "$ns/inventory/export?$q");
    $expect($p, 'status, code, message', [$r['status'], $r['json']['code'] ?? null, $r['json']['message'] ?? null], [401, 'woocommerce_rest_authentication_error', 'Invalid signature - provided signature does not match.']);
    return $p;
});

$run->test('over HTTPS, X-API-Key works as before', static function () use ($tls, $ns, $cfg, $json, $body, $probe, $stock, $expect): array {
    $p = [];
    $r = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-1', 91), $json + ['X-API-Key' => $cfg['api_key']]);
    $expect($p, 'status, success', [$r['status'], $r['json']['results']['success'] ?? null], [200, 1]);
    $expect($p, 'CL-1', $stock($probe('CL-1'), 'CL-1'), [['91'], 91]);
    $r = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-1', 92), $json + ['X-API-Key' => 'wrong']);
    $expect($p, 'a wrong X-API-Key: status', $r['status'], 403);
    return $p;
});

$run->test('over HTTPS, an application password works as before (user name, not a consumer key)', static function () use ($tls, $ns, $cfg, $json, $body, $probe, $stock, $expect): array {
    $p = [];
    $r = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-1', 93), $json, $cfg['admin_user'] . ':' . $cfg['app_password']);
    $expect($p, 'status, success', [$r['status'], $r['json']['results']['success'] ?? null], [200, 1]);
    $expect($p, 'CL-1', $stock($probe('CL-1'), 'CL-1'), [['93'], 93]);
    $r = $tls->request('POST', "$ns/inventory/bulk-sync", $body('CL-1', 94), $json, $cfg['nocap_user'] . ':' . $cfg['nocap_app_password']);
    $expect($p, 'a user without manage_woocommerce: status', $r['status'], 403);
    return $p;
});

exit($run->finish());
