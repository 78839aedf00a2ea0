<?php
/**
 * What the e2e drivers (tests/e2e/*-tests.php) share: the runner of tests/lib/php/TestRun.php under the drivers'
 * namespace (TestRun, SkipTest, read_env_file; warnings and notices thrown), HTTP with keep-alive, the contract
 * store on a site's database.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

use Mulopimfwc\Tests\ContractStore;

require_once dirname(__DIR__, 2) . '/lib/php/TestRun.php';

class_alias(\Mulopimfwc\Tests\TestRun::class, TestRun::class);
class_alias(\Mulopimfwc\Tests\SkipTest::class, SkipTest::class);
\Mulopimfwc\Tests\strict_errors();

/** Reads a site's env file (tests/lib/php/TestRun.php). */
function read_env_file(string $file): array
{
    return \Mulopimfwc\Tests\read_env_file($file);
}

/**
 * A driver's command line (tests/lib/php/TestRun.php's driver_args()) and its site's env.
 *
 * @return array{0: array<string,string>, 1: array<string,mixed>} [env, options]
 */
function driver_start(array $argv, string $usage, array $options = []): array
{
    [$envFile, $opt] = \Mulopimfwc\Tests\driver_args($argv, $usage, $options);
    return [read_env_file($envFile), $opt];
}

/** The lines of the site's logs where PHP complains about the plugin or the mu-plugins, or Rust panicked. */
function plugin_log_errors(array $env): array
{
    $f = [];
    foreach (['debug.log', 'php-error.log', 'php-fpm.log'] as $log) {
        $file = $env['E2E_SITE_DIR'] . '/' . $log;
        if (!is_file($file)) {
            continue;
        }
        foreach (file($file) ?: [] as $line) {
            if (preg_match('/PHP (Fatal|Parse|Warning|Notice|Deprecated|Recoverable)|Uncaught|Rust panic/i', $line)
                && preg_match('/mulopimfwc|mu-plugins|Rust panic/i', $line)) {
                $f[] = "$log: " . trim($line);
            }
        }
    }
    return $f;
}

/** The contract fixture's API key (its option mulopimfwc_api_key), once a driver has seeded the site's database. */
const FIXTURE_API_KEY = 'ct-test-api-key-5f1c2a9e7d';

/**
 * What the drivers that seed the contract store into a site use: the store, its connection to the site's
 * database, HTTP to the site.
 *
 * @return array{0: ContractStore, 1: \mysqli, 2: Http}
 */
function contract_site(array $env): array
{
    $store = contract_store($env);
    return [$store, $store->connect($env['E2E_DB_NAME']), new Http($env['E2E_URL'])];
}

/** The contract store (tests/php/lib/ContractStore.php) on the site's database, as its own user. */
function contract_store(array $env): ContractStore
{
    $repo = dirname(__DIR__, 3);
    require_once $repo . '/tests/php/lib/ContractStore.php';
    return new ContractStore(
        ['host' => 'localhost', 'port' => 0, 'socket' => $env['E2E_DB_SOCKET'], 'user' => $env['E2E_DB_USER'], 'password' => $env['E2E_DB_PASSWORD']],
        $repo . '/tests/sql/schema.sql',
        $repo . '/tests/contract/fixtures'
    );
}

/** HTTP over the curl extension, one handle per client (keep-alive). */
final class Http
{
    private \CurlHandle $ch;

    public function __construct(public string $base)
    {
        $this->ch = curl_init();
    }

    /**
     * @param array<string,string> $headers name => value ('' sends the header empty)
     * @return array{status:int,headers:array<string,string>,body:string,json:mixed}
     */
    public function request(string $method, string $pathOrUrl, ?string $body = null, array $headers = [], ?string $userpwd = null, int $timeout = 120): array
    {
        $url = str_starts_with($pathOrUrl, 'http') ? $pathOrUrl : $this->base . $pathOrUrl;
        $h = [];
        foreach ($headers as $k => $v) {
            $h[] = $v === '' ? "$k;" : "$k: $v";
        }
        $h[] = 'Expect:';
        $respHeaders = [];
        curl_reset($this->ch);
        curl_setopt_array($this->ch, [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => $h,
            CURLOPT_TIMEOUT => $timeout,
            CURLOPT_CONNECTTIMEOUT => 10,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$respHeaders): int {
                $p = strpos($line, ':');
                if ($p !== false) {
                    $respHeaders[strtolower(trim(substr($line, 0, $p)))] = trim(substr($line, $p + 1));
                }
                return strlen($line);
            },
        ]);
        if ($body !== null) {
            curl_setopt($this->ch, CURLOPT_POSTFIELDS, $body);
        }
        if ($userpwd !== null) {
            curl_setopt($this->ch, CURLOPT_USERPWD, $userpwd);
            curl_setopt($this->ch, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        }
        $out = curl_exec($this->ch);
        if ($out === false) {
            throw new \RuntimeException("HTTP $method $url: " . curl_error($this->ch));
        }
        $status = (int) curl_getinfo($this->ch, CURLINFO_RESPONSE_CODE);
        $json = json_decode((string) $out, true, 512, JSON_BIGINT_AS_STRING);
        return ['status' => $status, 'headers' => $respHeaders, 'body' => (string) $out, 'json' => $json];
    }
}
