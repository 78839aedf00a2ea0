//! Native bulk inventory sync for WooCommerce multi-location stores.
//!
//! Where things are: `request` (parsing, field validation), `price` (integers and exact
//! decimals), `slug` (location slugs: the site's own `sanitize_title()` asked once per request
//! through a trait, `SlugSanitizer`), `resolve` (which product and location an
//! item names), `plan` (which rows change), `sql` (SQL text), `store` (the connection),
//! `engine` (the order of it all), `timing` (the clock per phase), `export` (the inventory export), `response` (the report of a run and the result built from it), `meta_log` (the rows
//! written, when asked), `error`, `options`, and `php`, the
//! only module that touches Zend.

pub mod engine;
pub mod error;
pub mod export;
pub mod meta_log;
pub mod options;
pub mod plan;
pub mod price;
pub mod request;
pub mod resolve;
pub mod response;
pub mod slug;
pub mod sql;
pub mod store;
pub mod timing;

#[cfg(not(test))]
pub mod php;
