<?php

// Stubs for mulopimfwc

namespace Mulopimfwc {
    /**
     * Base class of every whole-request error; `getCode()` is the HTTP status to answer with.
     */
    class BulkSyncException extends \Exception {
        public function __construct() {}
    }

    /**
     * The database could not be reached or the write could not complete (503).
     */
    class DatabaseException extends \Mulopimfwc\BulkSyncException {
        public function __construct() {}
    }

    /**
     * The body is not JSON, has no `items`, or `items` is not an array (400, `invalid_data`).
     */
    class InvalidDataException extends \Mulopimfwc\BulkSyncException {
        public function __construct() {}
    }

    /**
     * An option has a value it cannot have, e.g. `job_id` without `job_chunk` (400, `invalid_options`).
     */
    class InvalidOptionsException extends \Mulopimfwc\BulkSyncException {
        public function __construct() {}
    }

    /**
     * `job_id` + `job_chunk` name no chunk row (404, `job_chunk_missing`); nothing was written.
     */
    class JobChunkMissingException extends \Mulopimfwc\BulkSyncException {
        public function __construct() {}
    }

    /**
     * The chunk's row is not `pending`: already applied or cancelled (409, `job_chunk_not_pending`);
     * nothing was written.
     */
    class JobChunkNotPendingException extends \Mulopimfwc\BulkSyncException {
        public function __construct() {}
    }

    /**
     * More items than the limit (400, `too_many_items`).
     */
    class TooManyItemsException extends \Mulopimfwc\BulkSyncException {
        public function __construct() {}
    }
}

namespace {
    /**
     * Validates and applies a bulk inventory sync; see tests/contract/README.md for the contract.
     *
     * @param string|array $payload The raw JSON body, or the same structure as an array.
     * @param array $options Database settings, table prefix, limits and option overrides.
     * @return array The response body plus changed ids and WooCommerce stock changes.
     *
     * @param mixed $payload
     * @param array|null $options
     * @return mixed
     */
    function mulopimfwc_bulk_sync(mixed $payload, ?array $options = null): mixed {}

    /**
     * The extension's version, for diagnostics (`php --re mulopimfwc`).
     *
     * @return string
     */
    function mulopimfwc_engine_version(): string {}

    /**
     * One page of the inventory export: every published product (variations instead of a
     * variable product) at every location (or `location_id`).
     *
     * @param array $options Database settings and table prefix, as for mulopimfwc_bulk_sync().
     * @param array $params `location_id`, `page` (from 1), `per_page` (at most 10,000).
     * @return array `success`, `count`, `total`, `page`, `per_page`, `data` (rows).
     *
     * @param array|null $options
     * @param array|null $params
     * @return mixed
     */
    function mulopimfwc_export(?array $options = null, ?array $params = null): mixed {}
}
