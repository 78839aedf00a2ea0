//! Errors: whole-request failures (`EngineError`) and per-item failures (`ItemError`).
//!
//! Whole-request errors become PHP exceptions (see `php.rs`); their messages never carry the
//! database host, user or password, nor the server's own error text (which can name them).

use thiserror::Error;

/// A failure of the whole request: nothing was written.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The body is not JSON, has no `items`, or `items` is not an array.
    #[error("{0}")]
    InvalidData(String),
    /// More items than the configured limit.
    #[error("Too many items: {count} items sent, the limit is {limit}.")]
    TooManyItems { count: usize, limit: usize },
    /// The database could not be reached or the write could not complete.
    #[error("{0}")]
    Database(String),
    /// The caller's options are unusable (a bad table prefix, for example).
    #[error("{0}")]
    Config(String),
    /// An option has a value it cannot have (`job_id` without `job_chunk`, a negative one...).
    #[error("{0}")]
    InvalidOptions(String),
    /// `job_id` + `job_chunk` name no row of `{prefix}mulopimfwc_job_chunks`.
    #[error("Job {job_id} has no chunk {chunk}: nothing was written.")]
    JobChunkMissing { job_id: u64, chunk: u64 },
    /// The chunk's row is not `pending` (another run applied it, or it was cancelled).
    #[error("Job {job_id} chunk {chunk} is {state}: nothing was written.")]
    JobChunkNotPending {
        job_id: u64,
        chunk: u64,
        state: String,
    },
}

impl EngineError {
    /// The REST error code the plugin answers with.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::InvalidData(_) => "invalid_data",
            EngineError::TooManyItems { .. } => "too_many_items",
            EngineError::Database(_) => "mulopimfwc_db_error",
            EngineError::Config(_) => "mulopimfwc_config_error",
            EngineError::InvalidOptions(_) => "invalid_options",
            EngineError::JobChunkMissing { .. } => "job_chunk_missing",
            EngineError::JobChunkNotPending { .. } => "job_chunk_not_pending",
        }
    }

    /// The HTTP status the plugin answers with.
    pub fn status(&self) -> u16 {
        match self {
            EngineError::InvalidData(_)
            | EngineError::TooManyItems { .. }
            | EngineError::InvalidOptions(_) => 400,
            EngineError::Database(_) => 503,
            EngineError::Config(_) => 500,
            EngineError::JobChunkMissing { .. } => 404,
            EngineError::JobChunkNotPending { .. } => 409,
        }
    }

    pub fn invalid_data() -> Self {
        EngineError::InvalidData("Invalid data format. Expected \"items\" array.".to_string())
    }
}

/// Why one item failed. Codes are stable; messages are the compatible human-readable text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemError {
    pub code: &'static str,
    pub field: &'static str,
    pub message: &'static str,
}

macro_rules! item_errors {
    ($($name:ident => ($code:literal, $field:literal, $msg:literal)),* $(,)?) => {
        impl ItemError {
            $(pub const $name: ItemError = ItemError { code: $code, field: $field, message: $msg };)*
        }
    };
}

item_errors! {
    INVALID_ITEM => ("invalid_item", "", "Invalid item: expected an object."),
    MISSING_PRODUCT => ("missing_product", "product_id", "Product ID or SKU is required."),
    INVALID_PRODUCT_ID => ("invalid_product_id", "product_id", "Invalid product_id: must be a positive integer."),
    INVALID_SKU => ("invalid_sku", "sku", "Invalid sku: must be a string."),
    MISSING_LOCATION => ("missing_location", "location_id", "Location ID or slug is required."),
    INVALID_LOCATION_ID => ("invalid_location_id", "location_id", "Invalid location_id: must be a positive integer."),
    INVALID_LOCATION_SLUG => ("invalid_location_slug", "location_slug", "Invalid location_slug: must be a string."),
    MISSING_STOCK => ("missing_stock", "stock", "Stock is required."),
    INVALID_STOCK => ("invalid_stock", "stock", "Invalid stock: must be an integer."),
    STOCK_CONFLICT => ("stock_conflict", "stock_adjust", "Give either stock or stock_adjust, not both."),
    INVALID_STOCK_ADJUST => ("invalid_stock_adjust", "stock_adjust", "Invalid stock_adjust: must be an integer."),
    INVALID_EXPECTED_STOCK => ("invalid_expected_stock", "expected_stock", "Invalid expected_stock: must be an integer."),
    STOCK_MISMATCH => ("stock_mismatch", "expected_stock", "Stock at this location has changed: it does not match expected_stock."),
    INVALID_REGULAR_PRICE => ("invalid_regular_price", "regular_price", "Invalid regular_price: must be a non-negative decimal number."),
    INVALID_SALE_PRICE => ("invalid_sale_price", "sale_price", "Invalid sale_price: must be a non-negative decimal number."),
    INVALID_BACKORDERS => ("invalid_backorders", "backorders", "Invalid backorders: must be one of no, notify, yes."),
    INVALID_DISABLED => ("invalid_disabled", "disabled", "Invalid disabled: must be true or false."),
    PRODUCT_NOT_FOUND_ID => ("product_not_found", "product_id", "Product not found."),
    PRODUCT_NOT_FOUND_SKU => ("product_not_found", "sku", "Product not found."),
    AMBIGUOUS_SKU => ("ambiguous_sku", "sku", "SKU matches several products."),
    PRODUCT_MISMATCH => ("product_mismatch", "sku", "product_id and sku name different products."),
    LOCATION_NOT_FOUND_ID => ("location_not_found", "location_id", "Location not found."),
    LOCATION_NOT_FOUND_SLUG => ("location_not_found", "location_slug", "Location not found."),
    LOCATION_MISMATCH => ("location_mismatch", "location_slug", "location_id and location_slug name different locations."),
    SALE_NOT_BELOW_REGULAR => ("sale_price_not_below_regular", "sale_price", "Sale price must be less than the regular price."),
    REGULAR_NOT_ABOVE_SALE => ("sale_price_not_below_regular", "regular_price", "Sale price must be less than the regular price."),
}
