<?php
/**
 * `report_meta_writes` through the native extension: `meta_writes` is exactly the rows written, for every contract
 * case and for a request that writes every kind of row; absent without the option, empty on a dry run. (The PHP
 * engine and both engines side by side: php/tests/MetaWritesPhpEngineTest.php; retries and concurrent writers:
 * tests/meta_writes_db.rs.)
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/lib/MetaWritesChecks.php';
require_once __DIR__ . '/ContractTest.php';

final class MetaWritesTest extends TestCase
{
    use MetaWritesChecks;

    private function adapter(): NativeEngineAdapter
    {
        $adapter = new NativeEngineAdapter();
        if (!$adapter->available()) {
            $this->markTestSkipped('extension mulopimfwc not loaded');
        }
        return $adapter;
    }

    public function testScenario(): void
    {
        $this->assertScenario(...self::scenario($this->adapter(), ContractStore::fromEnv()));
    }

    public function testOptionOffAndDryRun(): void
    {
        $this->assertOptionOffAndDryRun($this->adapter(), ContractStore::fromEnv());
    }

    public function testEveryContractCase(): void
    {
        $failures = self::checkEveryCase($this->adapter(), ContractStore::fromEnv(), false);
        $this->assertSame([], $failures, implode("\n", $failures));
    }
}
