<?php
/**
 * Runs every case of tests/contract/cases/*.json against the native engine (mulopimfwc_bulk_sync()).
 * A case with `request` runs twice, each on a fresh store: the request as a PHP array and as JSON text;
 * a case with `raw_body` runs once, with that string. The two runs use different db_host forms
 * (`127.0.0.1:PORT` for the array run, `localhost:/path/to.sock` for the JSON run when a socket is known).
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

final class ContractTest extends TestCase
{
    private static ?ContractStore $store = null;
    private static ?array $cases = null;

    public static function casesDir(): string
    {
        return ContractStore::repoRoot() . '/tests/contract/cases';
    }

    private static function cases(): array
    {
        return self::$cases ??= ContractStore::loadCases(self::casesDir());
    }

    private static function store(): ContractStore
    {
        return self::$store ??= ContractStore::fromEnv();
    }

    public static function provideCases(): iterable
    {
        foreach (self::cases() as $key => $case) {
            if (array_key_exists('raw_body', $case)) {
                yield "$key [raw]" => [$key, 'raw'];
            } else {
                yield "$key [array]" => [$key, 'array'];
                yield "$key [json]" => [$key, 'json'];
            }
        }
    }

    /**
     * @dataProvider provideCases
     */
    public function testCase(string $key, string $mode): void
    {
        $adapter = new NativeEngineAdapter();
        if (!$adapter->available()) {
            $engine = getenv('MULOPIMFWC_ENGINE') ?: 'native';
            if ($engine === 'native') {
                $this->markTestSkipped('extension mulopimfwc not loaded (run: php -d extension=/abs/libmulopimfwc.so /usr/bin/phpunit -c tests/php/phpunit.xml)');
            }
            $this->fail("MULOPIMFWC_ENGINE=$engine: this runner only drives the native engine");
        }
        $case = self::cases()[$key];
        $store = self::store();
        $prepared = $store->prepare($case);
        try {
            $c = $prepared['case'];
            $payload = match ($mode) {
                'raw' => $c['raw_body'],
                'array' => $c['request'],
                'json' => json_encode($c['request'], JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION),
            };
            $hostForm = $c['db_host_form'] ?? match ($mode) {
                'array' => 'tcp',
                'json' => 'socket',
                'raw' => ($c['_index'] % 2) ? 'socket' : 'tcp',
            };
            $options = self::engineOptions($store, $prepared, $hostForm);
            $outcome = $adapter->run($payload, $options);
            $failures = $store->verify($prepared, $outcome);
            $this->assertSame([], $failures, self::explain($c, $mode, $payload, $options, $outcome, $failures));
        } finally {
            $store->cleanup($prepared);
        }
    }

    /** The options the native engine gets: the database, the prefix, then the case's own options. */
    public static function engineOptions(ContractStore $store, array $prepared, string $hostForm): array
    {
        $db = $store->dbSettings();
        $socket = $db['socket'] ?? null;
        if ($hostForm === 'socket' && $socket) {
            $host = 'localhost:' . $socket;
        } elseif (in_array($db['host'], ['localhost', ''], true) && $socket) {
            $host = 'localhost:' . $socket;
        } else {
            $host = (str_contains($db['host'], ':') ? '[' . $db['host'] . ']' : $db['host']) . ':' . $db['port'];
        }
        $options = [
            'db_host' => $host,
            'db_user' => $db['user'],
            'db_password' => $db['password'],
            'db_name' => $prepared['db'],
            'db_charset' => 'utf8mb4',
            'table_prefix' => $prepared['prefix'],
        ];
        foreach ($prepared['case']['db_options'] ?? [] as $k => $v) {
            $options[$k] = $v;
        }
        foreach ($prepared['case']['options'] ?? [] as $k => $v) {
            $options[$k] = $v;
        }
        return $options;
    }

    private static function explain(array $c, string $mode, mixed $payload, array $options, array $outcome, array $failures): string
    {
        $flags = JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION | JSON_PARTIAL_OUTPUT_ON_ERROR;
        unset($options['db_password']);
        $s = "Case: {$c['_file']}: {$c['name']} [$mode]\n";
        if (isset($c['note'])) {
            $s .= "Note: {$c['note']}\n";
        }
        $p = is_string($payload) ? $payload : json_encode($payload, $flags);
        $s .= 'Request: ' . (strlen($p) > 2000 ? substr($p, 0, 2000) . '...' : $p) . "\n";
        $s .= 'Options: ' . json_encode($options, $flags) . "\n";
        $s .= 'Outcome: ' . json_encode($outcome, $flags) . "\n";
        $s .= "Failures:\n  - " . implode("\n  - ", $failures) . "\n";
        return $s;
    }
}
