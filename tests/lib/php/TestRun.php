<?php
/**
 * The test scripts' shared runner (tests/e2e/*-tests.php through tests/e2e/lib/TestRun.php, the reliability suite
 * through tests/reliability/lib.php): one line per test (`ok`, `FAIL` with details, `skip`), the counts, errors as
 * exceptions, a site's env file, a driver's command line.
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

/** Thrown by a test to be counted as skipped, its message the reason. */
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

    /**
     * @param string      $suite       Name in every line.
     * @param bool        $quietPasses No line for a passing test.
     * @param int         $detailLines Failure lines shown under a FAIL.
     * @param string|null $filter      Only the tests whose name holds it run (a driver's --filter).
     */
    public function __construct(
        private string $suite,
        private bool $quietPasses = false,
        private int $detailLines = 12,
        private ?string $filter = null,
    ) {
    }

    /**
     * Runs one test. $fn returns a list of failure strings (empty: pass), or throws (failure), or throws
     * SkipTest (skipped, with its message as the reason). A test the filter leaves out is not counted.
     */
    public function test(string $name, callable $fn): bool
    {
        if ($this->filter !== null && !str_contains($name, $this->filter)) {
            return true;
        }
        $t0 = microtime(true);
        try {
            $f = $fn();
            $f = is_array($f) ? array_values($f) : [];
        } catch (SkipTest $e) {
            $this->skip($name, $e->getMessage());
            return true;
        } catch (\Throwable $e) {
            $f = [get_class($e) . ': ' . $e->getMessage() . ' at ' . basename($e->getFile()) . ':' . $e->getLine()];
        }
        return $this->record($name, $f, sprintf(' (%d ms)', (int) round((microtime(true) - $t0) * 1000)));
    }

    /**
     * Counts and prints a result found outside test(): passed when $f (failure strings) is empty.
     */
    public function record(string $name, array $f, string $note = ''): bool
    {
        if ($f === []) {
            $this->passed++;
            if (!$this->quietPasses) {
                printf("ok    [%s] %s%s\n", $this->suite, $name, $note);
            }
            return true;
        }
        $this->failed++;
        $this->failures[] = $name;
        printf("FAIL  [%s] %s%s\n", $this->suite, $name, $note);
        foreach (array_slice($f, 0, $this->detailLines) as $line) {
            echo '      - ', str_replace("\n", "\n        ", (string) $line), "\n";
        }
        if (count($f) > $this->detailLines) {
            echo '      - ... ', count($f) - $this->detailLines, " more\n";
        }
        return false;
    }

    public function skip(string $name, string $reason): void
    {
        $this->skipped++;
        printf("skip  [%s] %s: %s\n", $this->suite, $name, $reason);
    }

    /**
     * The summary and the machine-readable line `TAG <suite> passed=N failed=M skipped=K` (tests/e2e/run.sh sums
     * the E2E-COUNTS lines); the exit code.
     */
    public function finish(string $tag = 'E2E-COUNTS'): int
    {
        printf("[%s] %d passed, %d failed, %d skipped\n", $this->suite, $this->passed, $this->failed, $this->skipped);
        if ($this->failures) {
            printf("[%s] failed: %s\n", $this->suite, implode('; ', array_slice($this->failures, 0, 30)));
        }
        printf("%s %s passed=%d failed=%d skipped=%d\n", $tag, $this->suite, $this->passed, $this->failed, $this->skipped);
        return $this->failed ? 1 : 0;
    }
}

/** E_ALL, and every warning or notice thrown as an ErrorException (not one silenced with @). */
function strict_errors(): void
{
    error_reporting(E_ALL);
    set_error_handler(static function (int $no, string $msg, string $file, int $line): bool {
        if (!(error_reporting() & $no)) {
            return false; // silenced with @
        }
        throw new \ErrorException($msg, 0, $no, $file, $line);
    });
}

/** Reads an env file of `export K=V` lines (as tests/e2e/lib/site.sh writes them, %q-quoted) through bash. */
function read_env_file(string $file): array
{
    if (!is_file($file)) {
        throw new \RuntimeException("env file $file missing");
    }
    $out = shell_exec('bash -c ' . escapeshellarg('set -a; . ' . escapeshellarg($file) . ' >/dev/null; env -0'));
    $env = [];
    foreach (explode("\0", (string) $out) as $kv) {
        $p = strpos($kv, '=');
        if ($p !== false && str_starts_with($kv, 'E2E_')) {
            $env[substr($kv, 0, $p)] = substr($kv, $p + 1);
        }
    }
    if (!isset($env['E2E_URL'])) {
        throw new \RuntimeException("env file $file has no E2E_URL");
    }
    return $env;
}

/**
 * A driver's command line: `SCRIPT ENV_FILE [--filter S] [--NAME VALUE | --NAME=VALUE]... [--FLAG]...`; exits 2
 * with the usage line when the env file is missing.
 *
 * @param list<string> $argv    $argv.
 * @param string       $usage   The usage line.
 * @param array        $options NAME => default for the options with a value (filter is always one, default null);
 *                              a NAME with default false is a flag (true when given).
 * @return array{0: string, 1: array<string,mixed>} [env file, options]
 */
function driver_args(array $argv, string $usage, array $options = []): array
{
    $o = $options + ['filter' => null];
    $envFile = null;
    $args = array_slice($argv, 1);
    for ($i = 0; $i < count($args); $i++) {
        $a = $args[$i];
        $name = str_starts_with($a, '--') ? explode('=', substr($a, 2), 2)[0] : null;
        if ($name !== null && array_key_exists($name, $o)) {
            if ($o[$name] === false || $o[$name] === true) {
                $o[$name] = true;
            } else {
                $o[$name] = str_contains($a, '=') ? substr($a, strlen($name) + 3) : $args[++$i];
            }
        } else {
            $envFile = $a;
        }
    }
    if ($envFile === null) {
        fwrite(STDERR, "usage: $usage\n");
        exit(2);
    }
    return [$envFile, $o];
}
