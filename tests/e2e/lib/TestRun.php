<?php
/**
 * A tiny test runner for the e2e drivers: one line per test (`ok`, `FAIL`, `skip`), details under a failure,
 * and a final machine-readable line `E2E-COUNTS <suite> passed=N failed=M skipped=K` that tests/e2e/run.sh sums.
 */

declare(strict_types=1);

namespace Mulopimfwc\E2E;

final class SkipTest extends \Exception
{
}

final class TestRun
{
    public int $passed = 0;
    public int $failed = 0;
    public int $skipped = 0;
    /** @var list<string> */
    public array $failures = [];

    public function __construct(private string $suite, private bool $quietPasses = false)
    {
    }

    /**
     * Runs one test. $fn returns a list of failure strings (empty: pass), or throws (failure), or throws
     * SkipTest (skipped, with its message as the reason).
     */
    public function test(string $name, callable $fn): bool
    {
        $t0 = microtime(true);
        try {
            $f = $fn();
            $f = is_array($f) ? $f : [];
        } catch (SkipTest $e) {
            $this->skip($name, $e->getMessage());
            return true;
        } catch (\Throwable $e) {
            $f = [get_class($e) . ': ' . $e->getMessage() . ' at ' . basename($e->getFile()) . ':' . $e->getLine()];
        }
        $ms = (int) round((microtime(true) - $t0) * 1000);
        if ($f === []) {
            $this->passed++;
            if (!$this->quietPasses) {
                printf("ok    [%s] %s (%d ms)\n", $this->suite, $name, $ms);
            }
            return true;
        }
        $this->failed++;
        $this->failures[] = $name;
        printf("FAIL  [%s] %s (%d ms)\n", $this->suite, $name, $ms);
        foreach (array_slice($f, 0, 12) as $line) {
            echo '      - ', str_replace("\n", "\n        ", (string) $line), "\n";
        }
        if (count($f) > 12) {
            echo '      - ... ', count($f) - 12, " more\n";
        }
        return false;
    }

    public function skip(string $name, string $reason): void
    {
        $this->skipped++;
        printf("skip  [%s] %s: %s\n", $this->suite, $name, $reason);
    }

    public function finish(): int
    {
        printf("[%s] %d passed, %d failed, %d skipped\n", $this->suite, $this->passed, $this->failed, $this->skipped);
        if ($this->failures) {
            printf("[%s] failed: %s\n", $this->suite, implode('; ', array_slice($this->failures, 0, 30)));
        }
        printf("E2E-COUNTS %s passed=%d failed=%d skipped=%d\n", $this->suite, $this->passed, $this->failed, $this->skipped);
        return $this->failed ? 1 : 0;
    }
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

/** Reads an env file of `export K=V` lines (as site.sh writes them, %q-quoted) through bash. */
function read_env_file(string $file): array
{
    if (!is_file($file)) {
        throw new \RuntimeException("env file not found: $file");
    }
    $out = shell_exec('bash -c ' . escapeshellarg('set -a; . ' . escapeshellarg($file) . '; env -0'));
    $env = [];
    foreach (explode("\0", (string) $out) as $kv) {
        if (str_starts_with($kv, 'E2E_')) {
            [$k, $v] = explode('=', $kv, 2);
            $env[$k] = $v;
        }
    }
    if (!isset($env['E2E_URL'])) {
        throw new \RuntimeException("$file holds no E2E_URL");
    }
    return $env;
}
