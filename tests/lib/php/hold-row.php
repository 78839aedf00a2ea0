<?php
/**
 * A row held by another session, for the lock-order tests (php/tests/LockOrderTest.php,
 * php/tests/MetaWritesPhpEngineTest.php): a PHP process that locks one `_stock` row and keeps it.
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

/**
 * Another process holds the `_stock` row of $post for $seconds; returns once it does.
 *
 * The row alone (READ COMMITTED, by primary key): no gap lock, which would only make the engine's insert wait.
 *
 * @param array  $db       ContractStore::dbSettings().
 * @param string $database The store's database.
 * @param string $prefix   Its table prefix.
 * @return resource The holder process.
 * @throws \RuntimeException When the process did not lock the row.
 */
function hold_stock_row(array $db, string $database, string $prefix, int $post, float $seconds)
{
    $script = '$d = ' . var_export($db, true) . ';'
        . '$c = new mysqli($d["socket"] ? "localhost" : $d["host"], $d["user"], $d["password"], ' . var_export($database, true) . ', $d["port"], $d["socket"] ?: null);'
        . '$c->query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");'
        . '$c->query("START TRANSACTION");'
        . '$id = (int) $c->query("SELECT meta_id FROM ' . $prefix . 'postmeta WHERE post_id = ' . $post . ' AND meta_key = \'_stock\'")->fetch_row()[0];'
        . '$c->query("SELECT meta_id FROM ' . $prefix . 'postmeta WHERE meta_id = $id FOR UPDATE");'
        . 'echo $c->affected_rows === 1 ? "locked\n" : "not locked\n"; usleep(' . (int) ($seconds * 1e6) . '); $c->query("ROLLBACK");';
    $proc = proc_open([PHP_BINARY, '-r', $script], [1 => ['pipe', 'w']], $pipes);
    if (!is_resource($proc)) {
        throw new \RuntimeException('proc_open of the row holder failed');
    }
    $said = fgets($pipes[1]);
    if ($said !== "locked\n") {
        throw new \RuntimeException('the row holder did not lock the row: ' . var_export($said, true));
    }
    return $proc;
}
