<?php
/**
 * How the contract suite talks to an engine. An adapter runs one request and returns either the engine's
 * result array or ['error' => ['code' => ..., 'status' => ..., 'message' => ...]] for a whole-request error.
 * Adapters for the PHP engine (inside WordPress) and for HTTP implement the same interface.
 */

declare(strict_types=1);

namespace Mulopimfwc\Tests;

interface EngineAdapter
{
    /** A short name for messages ('native', 'php', 'http'). */
    public function name(): string;

    /** Whether the engine can run at all here (extension loaded, site reachable...). */
    public function available(): bool;

    /**
     * @param string|array $payload the request: raw JSON text or the decoded PHP array
     * @param array $options engine options (db_host, db_user, db_password, db_name, db_charset, table_prefix,
     *                       max_items, primary_location, notify_no_stock_amount, price_decimal_sep)
     * @return array the result array, or ['error' => ['code' => string, 'status' => int, 'message' => string]]
     */
    public function run(string|array $payload, array $options): array;
}

/** Calls the native extension's mulopimfwc_bulk_sync() in this process. */
final class NativeEngineAdapter implements EngineAdapter
{
    private const CODES = [
        'Mulopimfwc\\InvalidDataException' => 'invalid_data',
        'Mulopimfwc\\TooManyItemsException' => 'too_many_items',
        'Mulopimfwc\\DatabaseException' => 'mulopimfwc_db_error',
        'Mulopimfwc\\InvalidOptionsException' => 'invalid_options',
        'Mulopimfwc\\JobChunkMissingException' => 'job_chunk_missing',
        'Mulopimfwc\\JobChunkNotPendingException' => 'job_chunk_not_pending',
    ];

    public function name(): string
    {
        return 'native';
    }

    public function available(): bool
    {
        return extension_loaded('mulopimfwc') && function_exists('mulopimfwc_bulk_sync');
    }

    public function run(string|array $payload, array $options): array
    {
        try {
            $result = \mulopimfwc_bulk_sync($payload, $options);
        } catch (\Throwable $e) {
            $cls = get_class($e);
            if (isset(self::CODES[$cls])) {
                if (!is_a($e, 'Mulopimfwc\\BulkSyncException')) {
                    throw new \UnexpectedValueException("$cls must extend Mulopimfwc\\BulkSyncException", 0, $e);
                }
                return ['error' => ['code' => self::CODES[$cls], 'status' => $e->getCode(), 'message' => $e->getMessage(), 'class' => $cls]];
            }
            // Anything else (a bare \Exception, a Rust panic as \Error) is a failure of the engine: let it surface.
            throw $e;
        }
        if (!is_array($result)) {
            throw new \UnexpectedValueException('mulopimfwc_bulk_sync() returned ' . get_debug_type($result) . ', expected array');
        }
        return $result;
    }
}
