<?php
/**
 * php/stubs/mulopimfwc.stubs.php (what `cargo php stubs` writes for the extension) in step with the built extension:
 * the same functions and classes, with the same parameter names, types, defaults, return types, parents and methods,
 * compared through Reflection (the extension loaded in this process; the stubs loaded in a child `php -n`, without
 * the extension, as on a host that lacks it). A function added to or renamed in src/ without new stubs fails here.
 * Regenerate: `cargo install cargo-php`, then `cargo php stubs --manifest Cargo.toml --out php/stubs/mulopimfwc.stubs.php`
 * (it builds a debug copy of the extension: the describe entry point exists only in debug builds).
 *
 * Run by ./build.sh test (tests/php/phpunit-stubs.xml, the extension loaded); without the extension (MULOPIMFWC_EXT
 * unset) it is skipped, with MULOPIMFWC_EXT set it must be loaded.
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/lib/describe-api.php';

final class StubsTest extends TestCase
{
    private const STUBS = __DIR__ . '/../../php/stubs/mulopimfwc.stubs.php';

    /** @var array<string,mixed>|null */
    private static ?array $stubs = null;

    protected function setUp(): void
    {
        if (!extension_loaded('mulopimfwc')) {
            $ext = getenv('MULOPIMFWC_EXT');
            if ($ext !== false && $ext !== '') {
                self::fail("MULOPIMFWC_EXT=$ext is set but the extension is not loaded: run php -d extension=$ext phpunit -c tests/php/phpunit-stubs.xml");
            }
            self::markTestSkipped('the extension is not loaded (MULOPIMFWC_EXT unset): nothing to compare the stubs with');
        }
    }

    /** @return array<string,mixed> what the stubs declare, read by a PHP without the extension */
    private static function stubs(): array
    {
        if (self::$stubs === null) {
            $cmd = escapeshellarg(PHP_BINARY) . ' -n ' . escapeshellarg(__DIR__ . '/lib/describe-api.php') . ' ' . escapeshellarg(self::STUBS) . ' 2>&1';
            exec($cmd, $out, $rc);
            $api = json_decode(implode("\n", $out), true);
            self::assertSame(0, $rc, "describe-api.php on the stubs exited $rc: " . implode("\n", $out));
            self::assertIsArray($api, 'describe-api.php printed no JSON: ' . implode("\n", $out));
            self::assertFalse($api['extension_loaded'], 'the child PHP must read the stubs without the extension');
            self::$stubs = $api;
        }
        return self::$stubs;
    }

    /** @return array<string,mixed> what the loaded extension declares */
    private static function extension(): array
    {
        $ext = new \ReflectionExtension('mulopimfwc');
        return describe_api(array_keys($ext->getFunctions()), $ext->getClassNames());
    }

    public function testTheStubsFileIsWhatCargoPhpStubsWrites(): void
    {
        $text = (string) file_get_contents(self::STUBS);
        self::assertStringStartsWith("<?php\n\n// Stubs for mulopimfwc\n", $text);
        self::assertMatchesRegularExpression('/^namespace Mulopimfwc \{$/m', $text);
        self::assertMatchesRegularExpression('/^namespace \{$/m', $text);
    }

    public function testTheStubsDeclareExactlyTheFunctionsOfTheExtension(): void
    {
        self::assertSame(array_keys(self::extension()['functions']), array_keys(self::stubs()['functions']));
        self::assertContains('mulopimfwc_bulk_sync', array_keys(self::stubs()['functions']));
        self::assertContains('mulopimfwc_export', array_keys(self::stubs()['functions']));
    }

    public function testTheStubsDeclareExactlyTheClassesOfTheExtension(): void
    {
        self::assertSame(array_keys(self::extension()['classes']), array_keys(self::stubs()['classes']));
        self::assertContains('Mulopimfwc\\BulkSyncException', array_keys(self::stubs()['classes']));
    }

    public function testEveryFunctionHasTheExtensionsParametersDefaultsAndReturnType(): void
    {
        $ext = self::extension()['functions'];
        foreach (self::stubs()['functions'] as $name => $stub) {
            self::assertArrayHasKey($name, $ext);
            self::assertSame($ext[$name], $stub, "the stub of $name() differs from the extension's signature");
        }
        self::assertSame('mixed', $ext['mulopimfwc_bulk_sync']['params'][0]['type']);
        self::assertSame('payload', $ext['mulopimfwc_bulk_sync']['params'][0]['name']);
    }

    public function testEveryClassHasTheExtensionsParentInterfacesAndMethods(): void
    {
        $ext = self::extension()['classes'];
        foreach (self::stubs()['classes'] as $name => $stub) {
            self::assertArrayHasKey($name, $ext);
            self::assertSame($ext[$name], $stub, "the stub of class $name differs from the extension's");
        }
        foreach (['InvalidDataException', 'TooManyItemsException', 'DatabaseException'] as $sub) {
            self::assertSame('Mulopimfwc\\BulkSyncException', $ext["Mulopimfwc\\$sub"]['parent']);
        }
        self::assertSame('Exception', $ext['Mulopimfwc\\BulkSyncException']['parent']);
    }
}
