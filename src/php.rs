//! The PHP binding: the only module that touches Zend. It turns PHP values into the engine's
//! input, the engine's result into a PHP array, and whole-request errors into exceptions of the
//! extension's own classes. No panic crosses into PHP: the call runs under `catch_unwind`.

use crate::engine;
use crate::error::EngineError;
use crate::export::{self, ExportParams};
use crate::options::{EngineOptions, OptValue};
use crate::slug::SlugSanitizer;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ArrayKey, ZendCallable, ZendHashTable, Zval};
use ext_php_rs::zend::{ce, ExecutorGlobals};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Base class of every whole-request error; `getCode()` is the HTTP status to answer with.
#[php_class]
#[php(name = "Mulopimfwc\\BulkSyncException")]
#[php(extends(ce = ce::exception, stub = "\\Exception"))]
#[derive(Default)]
pub struct BulkSyncException;

/// The body is not JSON, has no `items`, or `items` is not an array (400, `invalid_data`).
#[php_class]
#[php(name = "Mulopimfwc\\InvalidDataException")]
#[php(extends(BulkSyncException))]
#[derive(Default)]
pub struct InvalidDataException;

/// More items than the limit (400, `too_many_items`).
#[php_class]
#[php(name = "Mulopimfwc\\TooManyItemsException")]
#[php(extends(BulkSyncException))]
#[derive(Default)]
pub struct TooManyItemsException;

/// The database could not be reached or the write could not complete (503).
#[php_class]
#[php(name = "Mulopimfwc\\DatabaseException")]
#[php(extends(BulkSyncException))]
#[derive(Default)]
pub struct DatabaseException;

/// An option has a value it cannot have, e.g. `job_id` without `job_chunk` (400, `invalid_options`).
#[php_class]
#[php(name = "Mulopimfwc\\InvalidOptionsException")]
#[php(extends(BulkSyncException))]
#[derive(Default)]
pub struct InvalidOptionsException;

/// `job_id` + `job_chunk` name no chunk row (404, `job_chunk_missing`); nothing was written.
#[php_class]
#[php(name = "Mulopimfwc\\JobChunkMissingException")]
#[php(extends(BulkSyncException))]
#[derive(Default)]
pub struct JobChunkMissingException;

/// The chunk's row is not `pending`: already applied or cancelled (409, `job_chunk_not_pending`);
/// nothing was written.
#[php_class]
#[php(name = "Mulopimfwc\\JobChunkNotPendingException")]
#[php(extends(BulkSyncException))]
#[derive(Default)]
pub struct JobChunkNotPendingException;

fn exception(e: &EngineError) -> PhpException {
    use ext_php_rs::class::RegisteredClass;
    let ce = match e {
        EngineError::InvalidData(_) => InvalidDataException::get_metadata().ce(),
        EngineError::TooManyItems { .. } => TooManyItemsException::get_metadata().ce(),
        EngineError::Database(_) => DatabaseException::get_metadata().ce(),
        EngineError::Config(_) => BulkSyncException::get_metadata().ce(),
        EngineError::InvalidOptions(_) => InvalidOptionsException::get_metadata().ce(),
        EngineError::JobChunkMissing { .. } => JobChunkMissingException::get_metadata().ce(),
        EngineError::JobChunkNotPending { .. } => JobChunkNotPendingException::get_metadata().ce(),
    };
    PhpException::new(e.to_string(), i32::from(e.status()), ce)
}

const MAX_DEPTH: usize = 128;

fn bad_payload(why: &str) -> EngineError {
    EngineError::InvalidData(format!("Invalid data format: {why}."))
}

/// A PHP value as JSON. Floats keep their shortest exact text (`29.99`, not a binary expansion).
fn to_json(z: &Zval, depth: usize) -> Result<Value, EngineError> {
    if depth > MAX_DEPTH {
        return Err(bad_payload("nested too deeply"));
    }
    let z = z.dereference();
    if z.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = z.bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(l) = z.long() {
        return Ok(Value::Number(Number::from(l)));
    }
    if let Some(d) = z.double() {
        if !d.is_finite() {
            return Ok(Value::Null);
        }
        return serde_json::from_str::<Number>(&format!("{d:?}"))
            .map(Value::Number)
            .map_err(|_| bad_payload("unreadable number"));
    }
    if let Some(s) = z.zend_str() {
        return std::str::from_utf8(s.as_bytes())
            .map(|s| Value::String(s.to_string()))
            .map_err(|_| bad_payload("strings must be valid UTF-8"));
    }
    if let Some(arr) = z.array() {
        return array_to_json(arr, depth);
    }
    if let Some(obj) = z.object() {
        if let Ok(props) = obj.get_properties() {
            let mut map = Map::new();
            for (k, v) in props.iter() {
                map.insert(key_string(&k), to_json(v, depth + 1)?);
            }
            return Ok(Value::Object(map));
        }
    }
    Err(bad_payload("unsupported value"))
}

fn key_string(k: &ArrayKey<'_>) -> String {
    match k {
        ArrayKey::Long(i) => i.to_string(),
        ArrayKey::String(s) => s.clone(),
        ArrayKey::Str(s) => s.to_string(),
        ArrayKey::ZendString(z) => String::from_utf8_lossy(z.as_bytes()).into_owned(),
    }
}

fn array_to_json(arr: &ZendHashTable, depth: usize) -> Result<Value, EngineError> {
    if arr.has_sequential_keys() {
        let mut list = Vec::with_capacity(arr.len());
        for (_, v) in arr.iter() {
            list.push(to_json(v, depth + 1)?);
        }
        Ok(Value::Array(list))
    } else {
        let mut map = Map::new();
        for (k, v) in arr.iter() {
            map.insert(key_string(&k), to_json(v, depth + 1)?);
        }
        Ok(Value::Object(map))
    }
}

fn options_map(arr: Option<&ZendHashTable>) -> HashMap<String, OptValue> {
    let mut out = HashMap::new();
    let Some(arr) = arr else { return out };
    for (k, v) in arr.iter() {
        let v = v.dereference();
        let value = if let Some(b) = v.bool() {
            OptValue::Bool(b)
        } else if let Some(l) = v.long() {
            OptValue::Int(l)
        } else if let Some(d) = v.double() {
            OptValue::Float(d)
        } else if let Some(s) = v.zend_str() {
            OptValue::Str(String::from_utf8_lossy(s.as_bytes()).into_owned())
        } else {
            OptValue::Null
        };
        out.insert(key_string(&k), value);
    }
    out
}

/// The engine's result as a PHP value.
fn to_zval(v: &Value) -> Result<Zval, ext_php_rs::error::Error> {
    let mut z = Zval::new();
    match v {
        Value::Null => z.set_null(),
        Value::Bool(b) => z.set_bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64().filter(|f| f.is_finite())) {
            (Some(i), _) => z.set_long(i),
            (None, Some(f)) => z.set_double(f),
            // A number no float holds (1e400) goes back as its text: json_encode() refuses INF.
            (None, None) => z.set_string(&n.to_string(), false)?,
        },
        Value::String(s) => z.set_string(s, false)?,
        Value::Array(list) => {
            let mut ht: ZBox<ZendHashTable> =
                ZendHashTable::with_capacity(list.len().min(u32::MAX as usize) as u32);
            for item in list {
                ht.push(to_zval(item)?)?;
            }
            z.set_hashtable(ht);
        }
        Value::Object(map) => {
            let mut ht: ZBox<ZendHashTable> =
                ZendHashTable::with_capacity(map.len().min(u32::MAX as usize) as u32);
            for (k, item) in map {
                ht.insert(k.as_str(), to_zval(item)?)?;
            }
            z.set_hashtable(ht);
        }
    }
    Ok(z)
}

/// The site's own `sanitize_title()` (WordPress, with its locale and its plugins' filters),
/// called from the engine once for each distinct `location_slug` of a request, before anything
/// is locked. An exception it throws, or an answer that is not a string, fails the request as a
/// whole (`Mulopimfwc\BulkSyncException`, 500, nothing written; the message names the thrown
/// exception's class and message, and the thrown exception is cleared); `null`/`false` count as
/// empty (the slug names no location), as PHP's `(string)` reads them.
///
/// Outside WordPress (no `sanitize_title()` function) a request that names a location by
/// `location_slug` fails the same way, saying so: the extension does not guess how the site
/// would sanitize a slug. Requests naming locations by `location_id` only never ask.
struct SiteSlugs;

/// At most this much of a slug is quoted in an error message.
const QUOTE_CHARS: usize = 80;

impl SlugSanitizer for SiteSlugs {
    fn sanitize(&self, raw: &[&str]) -> Result<Vec<String>, String> {
        let f = ZendCallable::try_from_name("sanitize_title").map_err(|_| {
            "location_slug needs WordPress: the function sanitize_title() is not defined here \
             (use location_id, or call the extension inside WordPress); nothing was written."
                .to_string()
        })?;
        let quote = |s: &str| s.chars().take(QUOTE_CHARS).collect::<String>();
        let mut out = Vec::with_capacity(raw.len());
        for r in raw {
            let z = f
                .try_call(vec![r])
                .map_err(|e| match ExecutorGlobals::take_exception() {
                    Some(thrown) => format!(
                    "sanitize_title() threw {}: {} (location_slug \"{}\"); nothing was written.",
                    thrown.get_class_name().unwrap_or_default(),
                    thrown
                        .try_call_method("getMessage", vec![])
                        .ok()
                        .and_then(|m| m.string())
                        .unwrap_or_default(),
                    quote(r)
                ),
                    None => format!(
                    "sanitize_title() failed for location_slug \"{}\" ({e}); nothing was written.",
                    quote(r)
                ),
                })?;
            let z = z.dereference();
            let text = if let Some(s) = z.zend_str() {
                std::str::from_utf8(s.as_bytes()).map(str::to_string).ok()
            } else if z.is_null() || z.bool() == Some(false) {
                Some(String::new())
            } else {
                z.long().map(|l| l.to_string())
            };
            match text {
                Some(t) => out.push(t),
                None => {
                    return Err(format!(
                        "sanitize_title() returned {} for location_slug \"{}\", not a UTF-8 string; nothing was written.",
                        z.get_type(),
                        quote(r)
                    ))
                }
            }
        }
        Ok(out)
    }
}

fn run(payload: &Zval, options: Option<&ZendHashTable>) -> Result<Value, EngineError> {
    let opts = EngineOptions::from_map(&options_map(options))?;
    let payload = payload.dereference();
    if let Some(s) = payload.zend_str() {
        return engine::run_json(s.as_bytes(), &opts, &SiteSlugs);
    }
    if let Some(arr) = payload.array() {
        // Taking the array out of PHP counts as the request's `parse` (src/timing.rs).
        let started = std::time::Instant::now();
        return engine::run_value_since(array_to_json(arr, 0)?, &opts, &SiteSlugs, started);
    }
    Err(EngineError::invalid_data())
}

/// Runs an engine call with no panic crossing into PHP, and turns its result into a PHP value
/// or an exception of the extension's own classes.
fn call(f: impl FnOnce() -> Result<Value, EngineError>) -> PhpResult<Zval> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => to_zval(&value).map_err(|_| {
            exception(&EngineError::Config(
                "The result could not be returned to PHP.".into(),
            ))
        }),
        Ok(Err(e)) => Err(exception(&e)),
        Err(_) => Err(exception(&EngineError::Config(
            "Internal error in the bulk sync engine; nothing was written.".into(),
        ))),
    }
}

/// Validates and applies a bulk inventory sync; see tests/contract/README.md for the contract.
///
/// @param string|array $payload The raw JSON body, or the same structure as an array.
/// @param array $options Database settings, table prefix, limits and option overrides.
/// @return array The response body plus changed ids and WooCommerce stock changes.
#[php_function]
#[php(name = "mulopimfwc_bulk_sync")]
pub fn mulopimfwc_bulk_sync(payload: &Zval, options: Option<&ZendHashTable>) -> PhpResult<Zval> {
    call(|| run(payload, options))
}

fn export_params(arr: Option<&ZendHashTable>) -> ExportParams {
    let map = options_map(arr);
    let num = |k: &str| match map.get(k) {
        Some(OptValue::Int(i)) if *i > 0 => Some(*i as u64),
        Some(OptValue::Str(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    ExportParams::new(num("location_id"), num("page"), num("per_page"))
}

/// One page of the inventory export: every published product (variations instead of a
/// variable product) at every location (or `location_id`).
///
/// @param array $options Database settings and table prefix, as for mulopimfwc_bulk_sync().
/// @param array $params `location_id`, `page` (from 1), `per_page` (at most 10,000).
/// @return array `success`, `count`, `total`, `page`, `per_page`, `data` (rows).
#[php_function]
#[php(name = "mulopimfwc_export")]
pub fn mulopimfwc_export(
    options: Option<&ZendHashTable>,
    params: Option<&ZendHashTable>,
) -> PhpResult<Zval> {
    call(|| {
        let opts = EngineOptions::from_map(&options_map(options))?;
        export::export(&opts, export_params(params))
    })
}

/// The extension's version, for diagnostics (`php --re mulopimfwc`).
#[php_function]
#[php(name = "mulopimfwc_engine_version")]
pub fn mulopimfwc_engine_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .class::<BulkSyncException>()
        .class::<InvalidDataException>()
        .class::<TooManyItemsException>()
        .class::<DatabaseException>()
        .class::<InvalidOptionsException>()
        .class::<JobChunkMissingException>()
        .class::<JobChunkNotPendingException>()
        .function(wrap_function!(mulopimfwc_bulk_sync))
        .function(wrap_function!(mulopimfwc_export))
        .function(wrap_function!(mulopimfwc_engine_version))
}
