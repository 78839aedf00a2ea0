<?php
/**
 * Bootstrap of the contract suite (tests/php/phpunit.xml). Every notice, warning and deprecation is an error.
 *
 * Environment: MULOPIMFWC_DB_HOST, MULOPIMFWC_DB_PORT, MULOPIMFWC_DB_SOCKET, MULOPIMFWC_DB_USER,
 * MULOPIMFWC_DB_PASSWORD (the test MariaDB), MULOPIMFWC_TEST_SCHEMA (default tests/sql/schema.sql),
 * MULOPIMFWC_EXT (the built extension; when set, the extension MUST be loaded, i.e. phpunit must run as
 * `php -d extension=$MULOPIMFWC_EXT /usr/bin/phpunit -c tests/php/phpunit.xml`), MULOPIMFWC_ENGINE
 * (default `native`), MULOPIMFWC_KEEP_DB=1 keeps each case's database for inspection.
 */

declare(strict_types=1);

error_reporting(E_ALL);
ini_set('display_errors', '1');
set_error_handler(static function (int $severity, string $message, string $file = '', int $line = 0): bool {
    if (!(error_reporting() & $severity)) {
        return false;
    }
    throw new \ErrorException($message, 0, $severity, $file, $line);
});

if (PHP_VERSION_ID < 80200) {
    fwrite(STDERR, "The contract suite needs PHP 8.2 or later.\n");
    exit(1);
}
if (!extension_loaded('mysqli')) {
    fwrite(STDERR, "The contract suite needs the mysqli extension (php8.2-mysql).\n");
    exit(1);
}

require_once __DIR__ . '/lib/ContractStore.php';
require_once __DIR__ . '/lib/EngineAdapter.php';
require_once __DIR__ . '/lib/wp-sanitize-title.php';

$ext = getenv('MULOPIMFWC_EXT');
if ($ext !== false && $ext !== '' && !extension_loaded('mulopimfwc')) {
    fwrite(STDERR, "MULOPIMFWC_EXT=$ext is set but the extension 'mulopimfwc' is not loaded.\n"
        . "Run: php -d extension=$ext /usr/bin/phpunit -c " . __DIR__ . "/phpunit.xml\n");
    exit(1);
}
