//! The request: parsing the body and validating each item's fields (no database involved).

use crate::error::{EngineError, ItemError};
use crate::price::{
    parse_positive_id, parse_price, parse_stock_number, parse_stock_text, Price, PriceSource,
};
use serde_json::Value;

/// `backorders` values the location plugin understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backorders {
    No,
    Notify,
    Yes,
}

impl Backorders {
    pub fn as_str(self) -> &'static str {
        match self {
            Backorders::No => "no",
            Backorders::Notify => "notify",
            Backorders::Yes => "yes",
        }
    }
}

/// What an item does to the location's stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockOp {
    /// `stock`: set it.
    Set(i64),
    /// `stock_adjust`: add to the current value.
    Adjust(i64),
}

/// How the item names its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRef {
    pub id: Option<u64>,
    /// `location_slug` as given (a non-empty string); the site sanitizes it later, once per
    /// distinct value of the request (`slug::Slugs`).
    pub slug: Option<String>,
}

/// An item whose fields are well-formed; products and locations are not resolved yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFields {
    pub product_id: Option<u64>,
    pub sku: Option<String>,
    pub location: LocationRef,
    pub stock: StockOp,
    /// `expected_stock`: apply only when the location's current stock equals it.
    pub expected_stock: Option<i64>,
    pub regular_price: Option<Price>,
    pub sale_price: Option<Price>,
    pub backorders: Option<Backorders>,
    pub disabled: Option<bool>,
}

/// The items of a request, each kept as its compact JSON text in one buffer: a few bytes over
/// the text per item, where a parsed `Value` tree takes about ten times the text. Each item is
/// parsed again, one at a time, when it is validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    text: Vec<u8>,
    /// Where each item's text ends in `text`.
    ends: Vec<usize>,
}

impl Items {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Item `i`'s JSON text.
    pub fn text(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    /// Item `i` as a `Value` (`None` past the end).
    pub fn value(&self, i: usize) -> Option<Value> {
        // The text is serde_json's own output: it always parses.
        self.text(i).and_then(|t| serde_json::from_slice(t).ok())
    }

    /// Every item as a `Value`.
    pub fn to_values(&self) -> Vec<Value> {
        (0..self.len()).filter_map(|i| self.value(i)).collect()
    }

    fn push(&mut self, item: &Value) -> Result<(), EngineError> {
        serde_json::to_writer(&mut self.text, item).map_err(|_| EngineError::invalid_data())?;
        self.ends.push(self.text.len());
        Ok(())
    }

    fn from_values(values: Vec<Value>) -> Result<Items, EngineError> {
        let mut items = Items::default();
        for v in values {
            items.push(&v)?;
        }
        items.text.shrink_to_fit();
        Ok(items)
    }
}

/// A request body: its items and its flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub items: Items,
    /// `"dry_run": true` at the top level.
    pub dry_run: bool,
}

/// Parses the raw JSON body. Whole-request errors only.
///
/// The body is read as a stream: each item is parsed on its own (as a `Value`, with the same
/// checks and nesting limit as the whole document) and kept as compact text, so that the whole
/// request never exists as one `Value` tree.
pub fn parse_body(body: &[u8]) -> Result<Body, EngineError> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(body);
    let top = TopSeed
        .deserialize(&mut de)
        .map_err(|_| EngineError::invalid_data())?;
    de.end().map_err(|_| EngineError::invalid_data())?;
    let Some(TopObject { items, dry_run }) = top else {
        return Err(EngineError::invalid_data());
    };
    let dry_run = match dry_run {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(EngineError::invalid_data()),
    };
    match items {
        Some(Some(mut items)) => {
            items.text.shrink_to_fit();
            items.ends.shrink_to_fit();
            Ok(Body { items, dry_run })
        }
        _ => Err(EngineError::invalid_data()),
    }
}

/// The top level of a body when it is an object: its `items` when an array, its `dry_run`
/// (anything else at the top level is `None`: refused once the document is known to be JSON).
struct TopObject {
    /// `Some(None)`: `items` is there but not an array. The last `items` counts, as in a
    /// decoded object.
    items: Option<Option<Items>>,
    dry_run: Option<Value>,
}

struct TopSeed;

impl<'de> serde::de::DeserializeSeed<'de> for TopSeed {
    type Value = Option<TopObject>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

/// A value that is not the one looked for: parsed (and dropped) as a `Value`, so that it gets
/// exactly the checks it got as part of a whole document.
macro_rules! other_values {
    ($out:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
    };
}

impl<'de> serde::de::Visitor<'de> for TopVisitor {
    type Value = Option<TopObject>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON document")
    }

    other_values!(None);

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Value>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = None;
        let mut dry_run = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "items" => items = Some(map.next_value_seed(ItemsSeed)?),
                "dry_run" => dry_run = Some(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<Value>()?;
                }
            }
        }
        Ok(Some(TopObject { items, dry_run }))
    }
}

/// `items`: the array's elements, each parsed and kept as compact text; `None` for any other value.
struct ItemsSeed;

impl<'de> serde::de::DeserializeSeed<'de> for ItemsSeed {
    type Value = Option<Items>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> serde::de::Visitor<'de> for ItemsVisitor {
    type Value = Option<Items>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of items")
    }

    other_values!(None);

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<String, Value>()?.is_some() {}
        Ok(None)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let mut items = Items::default();
        while let Some(item) = seq.next_element::<Value>()? {
            items
                .push(&item)
                .map_err(|_| A::Error::custom("unwritable item"))?;
        }
        Ok(Some(items))
    }
}

/// Takes the `items` array (and the flags) out of a decoded body.
pub fn body_of(value: Value) -> Result<Body, EngineError> {
    let Value::Object(mut map) = value else {
        return Err(EngineError::invalid_data());
    };
    let dry_run = match map.get("dry_run") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(EngineError::invalid_data()),
    };
    match map.remove("items") {
        Some(Value::Array(items)) => Ok(Body {
            items: Items::from_values(items)?,
            dry_run,
        }),
        _ => Err(EngineError::invalid_data()),
    }
}

/// Each item's identifiers as given (for `items_failed`), kept as compact JSON text in one
/// buffer: only the failed items' are ever read back.
#[derive(Debug, Default)]
pub struct Identifiers {
    text: Vec<u8>,
    ends: Vec<usize>,
}

impl Identifiers {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Item `i`'s identifiers (`None` past the end).
    pub fn get(&self, i: usize) -> Option<serde_json::Map<String, Value>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        if start == end {
            return Some(serde_json::Map::new());
        }
        self.text
            .get(start..end)
            .and_then(|t| serde_json::from_slice(t).ok())
    }

    fn push(&mut self, ids: &serde_json::Map<String, Value>) {
        // A map of JSON values always serializes; an empty one is kept as no text at all.
        if !ids.is_empty() && serde_json::to_writer(&mut self.text, ids).is_err() {
            self.text.truncate(self.ends.last().copied().unwrap_or(0));
        }
        self.ends.push(self.text.len());
    }
}

/// Validates every item (see `validate_item`) and keeps its identifiers, consuming the items one
/// at a time.
pub fn prepare(
    items: Items,
    decimal_sep: &str,
) -> (Vec<Result<ItemFields, ItemError>>, Identifiers) {
    let mut fields = Vec::with_capacity(items.len());
    let mut ids = Identifiers::default();
    ids.ends.reserve_exact(items.len());
    for i in 0..items.len() {
        let Some(item) = items.value(i) else {
            fields.push(Err(ItemError::INVALID_ITEM));
            ids.push(&serde_json::Map::new());
            continue;
        };
        fields.push(validate_item(&item, decimal_sep));
        ids.push(&identifiers(&item));
    }
    drop(items);
    ids.text.shrink_to_fit();
    (fields, ids)
}

/// The identifiers an item carries, as given (for `items_failed`).
pub fn identifiers(item: &Value) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    if let Some(obj) = item.as_object() {
        for key in ["sku", "product_id", "location_slug", "location_id"] {
            if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
                out.insert(key.to_string(), v.clone());
            }
        }
    }
    out
}

/// Absent, `null` and `""` all mean "not given" for identifiers.
fn given<'a>(item: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    match item.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(v),
    }
}

fn positive_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => parse_positive_id(&n.to_string(), false),
        Value::String(s) => parse_positive_id(s, true),
        _ => None,
    }
}

fn sku_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => {
            let t = n.to_string();
            parse_stock_number(&t).map(|_| t)
        }
        _ => None,
    }
}

fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => parse_stock_number(&n.to_string()),
        Value::String(s) => parse_stock_text(s),
        _ => None,
    }
}

fn price(v: &Value, decimal_sep: &str) -> Option<Price> {
    match v {
        Value::Number(n) => parse_price(PriceSource::Number(&n.to_string()), decimal_sep),
        Value::String(s) => parse_price(PriceSource::Text(s), decimal_sep),
        _ => None,
    }
}

/// Validates one item's fields, in the documented order; the first failing rule is reported.
pub fn validate_item(item: &Value, decimal_sep: &str) -> Result<ItemFields, ItemError> {
    let obj = item.as_object().ok_or(ItemError::INVALID_ITEM)?;

    let pid = given(obj, "product_id");
    let sku = given(obj, "sku");
    if pid.is_none() && sku.is_none() {
        return Err(ItemError::MISSING_PRODUCT);
    }
    let product_id = pid
        .map(|v| positive_id(v).ok_or(ItemError::INVALID_PRODUCT_ID))
        .transpose()?;
    let sku = sku
        .map(|v| sku_text(v).ok_or(ItemError::INVALID_SKU))
        .transpose()?;

    let lid = given(obj, "location_id");
    let slug = given(obj, "location_slug");
    if lid.is_none() && slug.is_none() {
        return Err(ItemError::MISSING_LOCATION);
    }
    let location_id = lid
        .map(|v| positive_id(v).ok_or(ItemError::INVALID_LOCATION_ID))
        .transpose()?;
    let slug = slug
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            _ => Err(ItemError::INVALID_LOCATION_SLUG),
        })
        .transpose()?;

    // `null` is "not given" for every field, as the old implementation's `isset()` read it.
    let field = |key: &str| obj.get(key).filter(|v| !v.is_null());
    let stock = match (field("stock"), field("stock_adjust")) {
        (Some(_), Some(_)) => return Err(ItemError::STOCK_CONFLICT),
        (None, None) => return Err(ItemError::MISSING_STOCK),
        (Some(v), None) => StockOp::Set(integer(v).ok_or(ItemError::INVALID_STOCK)?),
        (None, Some(v)) => StockOp::Adjust(integer(v).ok_or(ItemError::INVALID_STOCK_ADJUST)?),
    };
    let expected_stock = field("expected_stock")
        .map(|v| integer(v).ok_or(ItemError::INVALID_EXPECTED_STOCK))
        .transpose()?;

    let regular_price = field("regular_price")
        .map(|v| price(v, decimal_sep).ok_or(ItemError::INVALID_REGULAR_PRICE))
        .transpose()?;
    let sale_price = field("sale_price")
        .map(|v| price(v, decimal_sep).ok_or(ItemError::INVALID_SALE_PRICE))
        .transpose()?;

    let backorders = field("backorders")
        .map(|v| match v.as_str() {
            Some("no") => Ok(Backorders::No),
            Some("notify") => Ok(Backorders::Notify),
            Some("yes") => Ok(Backorders::Yes),
            _ => Err(ItemError::INVALID_BACKORDERS),
        })
        .transpose()?;
    let disabled = field("disabled")
        .map(|v| v.as_bool().ok_or(ItemError::INVALID_DISABLED))
        .transpose()?;

    Ok(ItemFields {
        product_id,
        sku,
        location: LocationRef {
            id: location_id,
            slug,
        },
        stock,
        expected_stock,
        regular_price,
        sale_price,
        backorders,
        disabled,
    })
}

/// Normalizes a SKU the way WooCommerce's lookup compares it (case-insensitive, trailing
/// spaces ignored, as MySQL's `_ci` PAD SPACE collations do).
pub fn sku_key(sku: &str) -> String {
    sku.trim_end_matches(' ').to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(s: &str) -> Value {
        serde_json::from_str(s).expect("test JSON")
    }

    #[test]
    fn body_shapes() {
        assert!(parse_body(b"{\"items\": []}").is_ok());
        let b = parse_body(b"{\"items\": [], \"dry_run\": true}").expect("dry run body");
        assert!(b.dry_run);
        assert!(parse_body(b"{\"items\": [], \"dry_run\": 1}").is_err());
        for bad in [
            &b"not json"[..],
            b"[]",
            b"{}",
            b"{\"items\": {}}",
            b"{\"items\": \"x\"}",
            b"{\"items\": null}",
            b"{\"items\": 3}",
            b"{\"items\": [",
            b"\xff\xfe",
        ] {
            assert_eq!(parse_body(bad), Err(EngineError::invalid_data()));
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut s = String::from("{\"items\": [");
        s.push_str(&"[".repeat(100_000));
        assert!(parse_body(s.as_bytes()).is_err());
    }

    #[test]
    fn identifier_rules() {
        let ok = validate_item(
            &json!({"product_id": "12", "location_id": 5, "stock": 1}),
            ".",
        )
        .expect("valid");
        assert_eq!(ok.product_id, Some(12));
        assert_eq!(ok.location.id, Some(5));
        let e = |s: &str| validate_item(&v(s), ".").err().map(|e| e.code);
        assert_eq!(e(r#"{"location_id":1,"stock":1}"#), Some("missing_product"));
        assert_eq!(
            e(r#"{"sku":"","product_id":null,"location_id":1,"stock":1}"#),
            Some("missing_product")
        );
        assert_eq!(e(r#"{"sku":"A","stock":1}"#), Some("missing_location"));
        for bad in ["10.9", "-11", "\"abc\"", "0", "true", "[1]"] {
            assert_eq!(
                e(&format!(
                    r#"{{"product_id":{bad},"location_id":1,"stock":1}}"#
                )),
                Some("invalid_product_id"),
                "{bad}"
            );
        }
        assert_eq!(
            e(r#"{"sku":["A"],"location_id":1,"stock":1}"#),
            Some("invalid_sku")
        );
        assert_eq!(
            e(r#"{"sku":"A","location_slug":5,"stock":1}"#),
            Some("invalid_location_slug")
        );
        assert_eq!(e(r#"[1]"#), Some("invalid_item"));
    }

    #[test]
    fn stock_and_prices() {
        let e = |s: &str| validate_item(&v(s), ".").err().map(|e| e.code);
        let base = r#""sku":"A","location_id":1"#;
        assert_eq!(e(&format!("{{{base}}}")), Some("missing_stock"));
        assert_eq!(
            e(&format!("{{{base},\"stock\":null}}")),
            Some("missing_stock")
        );
        for bad in [
            "1.5", "\"abc\"", "\"1e3\"", "\"0x1A\"", "true", "\"\"", "[3]", "1e3",
        ] {
            assert_eq!(
                e(&format!("{{{base},\"stock\":{bad}}}")),
                Some("invalid_stock"),
                "{bad}"
            );
        }
        assert_eq!(
            e(&format!("{{{base},\"stock\":1,\"regular_price\":\"-3\"}}")),
            Some("invalid_regular_price")
        );
        assert_eq!(
            e(&format!("{{{base},\"stock\":1,\"sale_price\":true}}")),
            Some("invalid_sale_price")
        );
        assert_eq!(
            e(&format!("{{{base},\"stock\":1,\"backorders\":\"Yes\"}}")),
            Some("invalid_backorders")
        );
        assert_eq!(
            e(&format!("{{{base},\"stock\":1,\"disabled\":\"false\"}}")),
            Some("invalid_disabled")
        );
        let ok = validate_item(
            &v(&format!(
                "{{{base},\"stock\":\" -4 \",\"regular_price\":0.30000000000000004,\"disabled\":false}}"
            )),
            ".",
        )
        .expect("valid");
        assert_eq!(ok.stock, StockOp::Set(-4));
        let adj = validate_item(
            &v(&format!(
                "{{{base},\"stock_adjust\":\"-2\",\"expected_stock\":7}}"
            )),
            ".",
        )
        .expect("adjust");
        assert_eq!(adj.stock, StockOp::Adjust(-2));
        assert_eq!(adj.expected_stock, Some(7));
        assert_eq!(
            e(&format!("{{{base},\"stock\":1,\"stock_adjust\":1}}")),
            Some("stock_conflict")
        );
        assert_eq!(
            e(&format!("{{{base},\"stock_adjust\":1.5}}")),
            Some("invalid_stock_adjust")
        );
        assert_eq!(
            e(&format!("{{{base},\"stock\":1,\"expected_stock\":\"x\"}}")),
            Some("invalid_expected_stock")
        );
        let ids = identifiers(&v(r#"{"sku":"A","location_id":3,"product_id":null}"#));
        assert_eq!(ids.len(), 2);
        assert_eq!(
            ok.regular_price.map(|p| p.text).as_deref(),
            Some("0.30000000000000004")
        );
        assert_eq!(ok.disabled, Some(false));
    }

    #[test]
    fn sku_keys() {
        assert_eq!(sku_key("Prod-001  "), sku_key("prod-001"));
        assert_ne!(sku_key(" prod-001"), sku_key("prod-001"));
    }
}
