//! Property tests over the parts of the engine that see untrusted input before the database
//! does: the body parser, the per-item validator, the number parsers.
//!
//! What they establish (issue 5): no input panics; every error is one of the documented codes
//! with its documented field, reported in the documented order; whatever is accepted round-trips
//! to the same stored strings (a decimal price is stored with exactly the digits given and the
//! stored text reads back as the same `Decimal`; a stock is stored as the decimal text of the
//! same `i64`).
//!
//! No database: these run in `cargo test --release` in a few seconds. Case counts are moderate on
//! purpose; raise them with `PROPTEST_CASES=5000 cargo test --release --test proptest_engine`.

use mulopimfwc::error::EngineError;
use mulopimfwc::price::{
    parse_positive_id, parse_price, parse_stock_number, parse_stock_text, stored_price_value,
    PriceSource,
};
use mulopimfwc::request::{body_of, parse_body, validate_item, StockOp};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

/// The item error codes of tests/contract/README.md that validation (before any lookup) may
/// report, in the documented order, with their fields.
const VALIDATION_CODES: &[(&str, &str)] = &[
    ("invalid_item", ""),
    ("missing_product", "product_id"),
    ("invalid_product_id", "product_id"),
    ("invalid_sku", "sku"),
    ("missing_location", "location_id"),
    ("invalid_location_id", "location_id"),
    ("invalid_location_slug", "location_slug"),
    ("missing_stock", "stock"),
    ("invalid_stock", "stock"),
    ("invalid_regular_price", "regular_price"),
    ("invalid_sale_price", "sale_price"),
    ("invalid_backorders", "backorders"),
    ("invalid_disabled", "disabled"),
];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        // Failures are reported, not persisted into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any JSON value, nested a few levels, with the awkward scalars the issue lists.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        // Numbers only arbitrary_precision can carry: 1e400, -0, long decimals.
        prop_oneof![
            Just("1e400"),
            Just("-0"),
            Just("-0.0"),
            Just("1E-400"),
            Just("123456789012345678901234567890.5"),
            Just("0.30000000000000004"),
            Just("99999999999999999999")
        ]
        .prop_map(|s| serde_json::from_str::<Value>(s).expect("number literal")),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("0x10"),
            Just("x' OR '1'='1"),
            Just("\u{0}"),
            Just("1e3"),
            Just(" 12 "),
            Just("+5"),
            Just("-0"),
            Just("%e6%9d%b1"),
            Just("\\'\""),
            Just("")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "product_id",
            "sku",
            "location_id",
            "location_slug",
            "stock",
            "regular_price",
            "sale_price",
            "backorders",
            "disabled",
            "items",
        ])
        .prop_map(str::to_string),
        1 => "[a-z_]{0,12}",
    ]
}

fn check_item_error(item: &Value, sep: &str) {
    match validate_item(item, sep) {
        Ok(f) => {
            // Accepted: the stock is an i64 and prices are plain decimals stored as given.
            for p in [&f.regular_price, &f.sale_price].into_iter().flatten() {
                if p.text.is_empty() {
                    assert_eq!(p.value, None);
                } else {
                    let v = p.value.expect("a non-empty price has a value");
                    assert_eq!(Decimal::from_str(&p.text).ok(), Some(v), "{}", p.text);
                    assert_eq!(stored_price_value(&p.text), Some(v), "{}", p.text);
                    assert!(v >= Decimal::ZERO, "{}", p.text);
                }
            }
            let (StockOp::Set(n) | StockOp::Adjust(n)) = f.stock;
            assert_eq!(parse_stock_text(&n.to_string()), Some(n));
        }
        Err(e) => {
            assert!(
                VALIDATION_CODES.contains(&(e.code, e.field)),
                "undocumented code/field {}/{} for {item}",
                e.code,
                e.field
            );
            assert!(!e.message.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// Arbitrary bytes: the parser answers Ok or invalid_data, never panics.
    #[test]
    fn parse_body_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        match parse_body(&bytes) {
            Ok(_) => {
                let v: Value = serde_json::from_slice(&bytes).expect("accepted means JSON");
                prop_assert!(v.get("items").map(Value::is_array).unwrap_or(false));
            }
            Err(e) => prop_assert_eq!(e, EngineError::invalid_data()),
        }
    }

    /// Any JSON document: accepted exactly when it is an object whose `items` is an array, and then
    /// the items come back unchanged (order and content).
    #[test]
    fn parse_body_accepts_exactly_objects_with_an_items_array(v in any_json(), wrap in any::<bool>()) {
        let doc = if wrap { json!({"items": v.clone(), "other": 1}) } else { v.clone() };
        let text = serde_json::to_vec(&doc).expect("serialize");
        let flag_ok = matches!(doc.get("dry_run"), None | Some(Value::Null) | Some(Value::Bool(_)));
        let want_ok = doc.get("items").map(Value::is_array).unwrap_or(false) && doc.is_object() && flag_ok;
        match parse_body(&text) {
            Ok(body) => {
                prop_assert!(want_ok, "accepted {}", doc);
                prop_assert_eq!(&Value::Array(body.items.to_values()), &doc["items"]);
                prop_assert_eq!(body_of(doc.clone()).expect("same via body_of").items, body.items);
            }
            Err(e) => {
                prop_assert!(!want_ok, "rejected {}", doc);
                prop_assert_eq!(e, EngineError::invalid_data());
            }
        }
    }

    /// Truncating a valid body anywhere gives invalid_data (or, at the very end, the body itself).
    #[test]
    fn truncated_bodies_are_invalid_data(items in prop::collection::vec(any_json(), 1..5), cut in any::<prop::sample::Index>()) {
        let text = serde_json::to_vec(&json!({"items": items})).expect("serialize");
        let at = cut.index(text.len());
        let r = parse_body(&text[..at]);
        prop_assert_eq!(r, Err(EngineError::invalid_data()));
    }

    /// Random items: validation never panics, errors are documented codes with their fields.
    #[test]
    fn validate_item_never_panics_and_codes_are_documented(item in any_json(), sep in prop::sample::select(vec![".", ",", "", "٫", "::", "'"])) {
        check_item_error(&item, sep);
    }
}

// ---------------------------------------------------------------------------------------------
// The documented order of rules, as a model: every field is given a value that is either absent,
// valid or invalid, and the error must be the first failing rule of tests/contract/README.md.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Absent,
    Valid,
    Invalid,
}

fn field_value(
    kind: Kind,
    valid: &'static [&'static str],
    invalid: &'static [&'static str],
) -> BoxedStrategy<(Kind, Option<Value>)> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).expect("pool literal");
    match kind {
        Kind::Absent => prop_oneof![
            Just((Kind::Absent, None)),
            Just((Kind::Absent, Some(Value::Null))),
        ]
        .boxed(),
        Kind::Valid => prop::sample::select(valid.to_vec())
            .prop_map(move |s| (Kind::Valid, Some(parse(s))))
            .boxed(),
        Kind::Invalid => prop::sample::select(invalid.to_vec())
            .prop_map(move |s| (Kind::Invalid, Some(parse(s))))
            .boxed(),
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![2 => Just(Kind::Valid), 1 => Just(Kind::Absent), 1 => Just(Kind::Invalid)]
}

/// (field, valid JSON literals, invalid JSON literals). For identifiers `""` also means absent.
const POOLS: &[(&str, &[&str], &[&str])] = &[
    (
        "product_id",
        &["12", "\"12\"", "\" 7 \"", "9223372036854775807"],
        &[
            "0",
            "-11",
            "10.9",
            "\"abc\"",
            "true",
            "[1]",
            "{}",
            "\"0x10\"",
            "1e400",
            "-0",
            "9223372036854775808",
        ],
    ),
    (
        "sku",
        &["\"PROD-001\"", "123", "\"x' OR '1'='1\"", "\"a\\u0000b\""],
        &["true", "[\"A\"]", "{}", "1.5", "1e400"],
    ),
    (
        "location_id",
        &["5", "\"5\""],
        &[
            "0", "-1", "1.5", "\"abc\"", "false", "[5]", "\"0x10\"", "-0",
        ],
    ),
    (
        "location_slug",
        &[
            "\"main-store\"",
            "\"Café Paris\"",
            "\"%e6%9d%b1\"",
            "\"<b>\"",
            "\"'; DROP TABLE wp_posts; --\"",
        ],
        &["5", "true", "[\"a\"]", "{}"],
    ),
    (
        "stock",
        &[
            "100",
            "-3",
            "\" 42 \"",
            "\"+4\"",
            "\"-0\"",
            "-0",
            "9223372036854775807",
            "-9223372036854775808",
        ],
        &[
            "1.5",
            "\"abc\"",
            "\"1e3\"",
            "\"0x1A\"",
            "\"0x10\"",
            "true",
            "\"\"",
            "[3]",
            "1e3",
            "1e400",
            "9223372036854775808",
            "\"--1\"",
            "{}",
        ],
    ),
    (
        "regular_price",
        &[
            "\"29.99\"",
            "\" 7.50 \"",
            "\".5\"",
            "\"\"",
            "12",
            "0.30000000000000004",
            "\"29.990\"",
        ],
        &[
            "\"-3\"",
            "\"abc\"",
            "\"$5\"",
            "\"1e3\"",
            "\"1.2.3\"",
            "\"1,234.56\"",
            "true",
            "[]",
            "1e400",
            "-0",
            "\"0x10\"",
            "-1",
        ],
    ),
    (
        "sale_price",
        &["\"1.00\"", "\"\"", "0.5", "\"0\""],
        &["\"--1\"", "\"1,5\"", "false", "{}", "1e3", "\" \""],
    ),
    (
        "backorders",
        &["\"no\"", "\"notify\"", "\"yes\""],
        &["\"Yes\"", "\"maybe\"", "5", "\"\"", "true"],
    ),
    (
        "disabled",
        &["true", "false"],
        &["1", "\"false\"", "\"yes\"", "0"],
    ),
];

fn model_item() -> impl Strategy<Value = Vec<(Kind, Option<Value>)>> {
    prop::collection::vec(kind(), POOLS.len()).prop_flat_map(|kinds| {
        kinds
            .into_iter()
            .zip(POOLS.iter())
            .map(|(k, (_, valid, invalid))| field_value(k, valid, invalid))
            .collect::<Vec<_>>()
    })
}

fn expected_error(fields: &[(Kind, Option<Value>)]) -> Option<&'static str> {
    let k = |i: usize| fields[i].0;
    let given = |i: usize| k(i) != Kind::Absent;
    if !given(0) && !given(1) {
        return Some("missing_product");
    }
    if k(0) == Kind::Invalid {
        return Some("invalid_product_id");
    }
    if k(1) == Kind::Invalid {
        return Some("invalid_sku");
    }
    if !given(2) && !given(3) {
        return Some("missing_location");
    }
    if k(2) == Kind::Invalid {
        return Some("invalid_location_id");
    }
    if k(3) == Kind::Invalid {
        return Some("invalid_location_slug");
    }
    match k(4) {
        Kind::Absent => return Some("missing_stock"),
        Kind::Invalid => return Some("invalid_stock"),
        Kind::Valid => {}
    }
    let rest = [
        (5, "invalid_regular_price"),
        (6, "invalid_sale_price"),
        (7, "invalid_backorders"),
        (8, "invalid_disabled"),
    ];
    rest.iter()
        .find(|(i, _)| k(*i) == Kind::Invalid)
        .map(|(_, c)| *c)
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn first_failing_rule_is_reported(fields in model_item(), noise in prop::collection::vec(("[a-z]{1,8}", any_json()), 0..3)) {
        let mut obj = serde_json::Map::new();
        // Unknown fields are ignored, wherever they sit.
        for (k, v) in noise {
            if !POOLS.iter().any(|(name, _, _)| *name == k) {
                obj.insert(k, v);
            }
        }
        for ((name, _, _), (_, v)) in POOLS.iter().zip(fields.iter()) {
            if let Some(v) = v {
                obj.insert(name.to_string(), v.clone());
            }
        }
        let item = Value::Object(obj);
        let got = validate_item(&item, ".");
        let want = expected_error(&fields);
        match (&got, want) {
            (Ok(_), None) => {}
            (Err(e), Some(code)) => {
                prop_assert_eq!(e.code, code, "item {}", item);
                prop_assert!(VALIDATION_CODES.contains(&(e.code, e.field)));
            }
            _ => prop_assert!(false, "item {} gave {:?}, expected {:?}", item, got.map(|_| "ok"), want),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips: accepted values are stored with the text they came with.

/// A plain decimal the contract accepts: `digits`, `digits.digits` or `.digits`, at most 28
/// significant digits in all (what an exact `Decimal` holds).
fn decimal_text() -> impl Strategy<Value = String> {
    (0usize..=14, 0usize..=13, any::<bool>()).prop_flat_map(|(int_len, frac_len, dot)| {
        let int_len = if int_len == 0 && (!dot || frac_len == 0) {
            1
        } else {
            int_len
        };
        let frac_len = if dot && frac_len == 0 { 1 } else { frac_len };
        (
            proptest::string::string_regex(&format!("[0-9]{{{int_len}}}")).expect("regex"),
            proptest::string::string_regex(&format!("[0-9]{{{frac_len}}}")).expect("regex"),
        )
            .prop_map(move |(i, f)| if dot { format!("{i}.{f}") } else { i })
    })
}

fn spaces() -> impl Strategy<Value = String> {
    "[ \t\r\n]{0,3}"
}

proptest! {
    #![proptest_config(config(3000))]

    /// A decimal string is stored exactly as written (spaces dropped), and the stored string reads
    /// back as the same Decimal; the same text sent as a JSON number is stored the same way.
    #[test]
    fn prices_round_trip(d in decimal_text(), pre in spaces(), post in spaces()) {
        let raw = format!("{pre}{d}{post}");
        let p = parse_price(PriceSource::Text(&raw), ".").expect("a plain decimal is accepted");
        prop_assert_eq!(&p.text, &d);
        let v = p.value.expect("value");
        prop_assert_eq!(Decimal::from_str(&p.text).ok(), Some(v));
        prop_assert_eq!(stored_price_value(&p.text), Some(v));
        // Stored again (the stored text sent back as a price): the same text.
        let again = parse_price(PriceSource::Text(&p.text), ".").expect("stored text re-parses");
        prop_assert_eq!(&again, &p);

        // Through the whole validator, from body text: JSON string and (when JSON can write it) number.
        let body = format!("{{\"items\":[{{\"sku\":\"A\",\"location_id\":1,\"stock\":1,\"regular_price\":{}}}]}}", serde_json::to_string(&raw).expect("str"));
        let items = parse_body(body.as_bytes()).expect("body").items;
        let f = validate_item(&items.value(0).expect("one item"), ".").expect("valid item");
        prop_assert_eq!(f.regular_price.as_ref().map(|p| p.text.as_str()), Some(d.as_str()));
        let leading_zero = d.len() > 1 && d.starts_with('0') && !d.starts_with("0.");
        let json_number = !d.starts_with('.') && !leading_zero;
        if json_number {
            let body = format!("{{\"items\":[{{\"sku\":\"A\",\"location_id\":1,\"stock\":1,\"sale_price\":{d}}}]}}");
            let items = parse_body(body.as_bytes()).expect("body with a number").items;
            let f = validate_item(&items.value(0).expect("one item"), ".").expect("valid item");
            prop_assert_eq!(f.sale_price.as_ref().map(|p| p.text.as_str()), Some(d.as_str()));
        }
    }

    /// The store's decimal separator: `int<sep>frac` is stored as `int.frac`.
    #[test]
    fn store_separator_round_trips(i in "[0-9]{1,10}", f in "[0-9]{1,10}", sep in prop::sample::select(vec![",", "٫", "::"])) {
        let p = parse_price(PriceSource::Text(&format!("{i}{sep}{f}")), sep).expect("accepted");
        prop_assert_eq!(&p.text, &format!("{i}.{f}"));
        prop_assert_eq!(p.value, Decimal::from_str(&p.text).ok());
    }

    /// Any string as a price, any separator: never a panic; accepted means a plain non-negative
    /// decimal (or `""` to clear), stored without spaces, and it reads back as the same value.
    #[test]
    fn any_price_string_is_safe(s in ".{0,40}|[0-9 .,+eE-]{0,20}", sep in prop::sample::select(vec![".", ",", "", "٫", "::"]), number in any::<bool>()) {
        let src = if number { PriceSource::Number(&s) } else { PriceSource::Text(&s) };
        if let Some(p) = parse_price(src, sep) {
            if p.text.is_empty() {
                prop_assert!(s.is_empty());
                prop_assert_eq!(p.value, None);
            } else {
                prop_assert!(p.text.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "{:?}", p.text);
                prop_assert!(p.text.matches('.').count() <= 1);
                prop_assert_eq!(p.value, stored_price_value(&p.text));
                prop_assert!(p.value.expect("value") >= Decimal::ZERO);
            }
        }
    }

    /// Every i64 stock, as a JSON number or a string with spaces and a sign, is stored as the
    /// decimal text of the same i64, which reads back as that i64.
    #[test]
    fn stock_round_trips(n in any::<i64>(), pre in spaces(), post in spaces(), plus in any::<bool>()) {
        let text = n.to_string();
        prop_assert_eq!(parse_stock_number(&text), Some(n));
        let signed = if plus && n >= 0 { format!("+{text}") } else { text.clone() };
        prop_assert_eq!(parse_stock_text(&format!("{pre}{signed}{post}")), Some(n));
        for v in [json!(n), Value::String(format!("{pre}{signed}{post}"))] {
            let f = validate_item(&json!({"sku": "A", "location_id": 1, "stock": v}), ".").expect("valid");
            prop_assert_eq!(f.stock, StockOp::Set(n));
            prop_assert_eq!(parse_stock_text(&n.to_string()), Some(n));
        }
    }

    /// Out of i64 range: rejected, never wrapped or saturated.
    #[test]
    fn stock_out_of_range_is_rejected(extra in 1u64..=u64::MAX / 4, neg in any::<bool>()) {
        let big = (i64::MAX as i128) + i128::from(extra);
        let text = if neg { format!("-{}", big + 1) } else { big.to_string() };
        prop_assert_eq!(parse_stock_text(&text), None);
        prop_assert_eq!(parse_stock_number(&text), None);
        let body = format!("{{\"items\":[{{\"sku\":\"A\",\"location_id\":1,\"stock\":{text}}}]}}");
        let items = parse_body(body.as_bytes()).expect("JSON").items;
        prop_assert_eq!(validate_item(&items.value(0).expect("one item"), ".").err().map(|e| e.code), Some("invalid_stock"));
    }

    /// Any string as stock or id: never a panic; accepted only as `[sign]digits` (ids: positive).
    #[test]
    fn any_stock_or_id_string_is_safe(s in ".{0,30}|[ 0-9+-]{0,22}") {
        if let Some(n) = parse_stock_text(&s) {
            let t = s.trim_matches([' ', '\t', '\n', '\r']);
            prop_assert_eq!(t.trim_start_matches('+').parse::<i64>().ok(), Some(n), "{:?}", s);
        }
        if let Some(n) = parse_stock_number(&s) {
            prop_assert_eq!(s.parse::<i64>().ok(), Some(n));
        }
        for spaces_ok in [false, true] {
            if let Some(id) = parse_positive_id(&s, spaces_ok) {
                prop_assert!(id > 0 && id <= i64::MAX as u64);
            }
        }
    }
}

/// Fixed hostile inputs the issue names, through the whole parser + validator.
#[test]
fn named_hostile_inputs() {
    let cases: &[(&str, Option<&str>)] = &[
        (
            r#"{"sku":"A","location_id":1,"stock":1e400}"#,
            Some("invalid_stock"),
        ),
        (r#"{"sku":"A","location_id":1,"stock":-0}"#, None),
        (
            r#"{"sku":"A","location_id":1,"stock":"0x10"}"#,
            Some("invalid_stock"),
        ),
        (
            r#"{"sku":"A","location_id":1,"stock":1,"regular_price":1e400}"#,
            Some("invalid_regular_price"),
        ),
        (
            r#"{"sku":"A","location_id":1,"stock":1,"regular_price":-0}"#,
            Some("invalid_regular_price"),
        ),
        (
            r#"{"sku":"A","location_id":1,"stock":1,"regular_price":"0x10"}"#,
            Some("invalid_regular_price"),
        ),
        (
            r#"{"product_id":"0x10","location_id":1,"stock":1}"#,
            Some("invalid_product_id"),
        ),
        (
            r#"{"product_id":1e400,"location_id":1,"stock":1}"#,
            Some("invalid_product_id"),
        ),
        (
            r#"{"product_id":-0,"location_id":1,"stock":1}"#,
            Some("invalid_product_id"),
        ),
        (
            r#"{"sku":"x' OR '1'='1","location_slug":"a\\'b\"c\\\\","stock":1}"#,
            None,
        ),
        (
            r#"{"sku":"\u0000","location_slug":"\u0000","stock":1}"#,
            None,
        ),
    ];
    for (item, want) in cases {
        let v: Value = serde_json::from_str(item).expect(item);
        let got = validate_item(&v, ".").err().map(|e| e.code);
        assert_eq!(got, *want, "{item}");
    }
    // Invalid UTF-8 and NUL bytes in the body itself.
    for body in [
        &b"{\"items\":[{\"sku\":\"\xff\xfe\",\"location_id\":1,\"stock\":1}]}"[..],
        b"{\"items\":[{\"sku\":\"a\x00b\",\"location_id\":1,\"stock\":1}]}",
        b"\x00{\"items\":[]}",
    ] {
        assert_eq!(parse_body(body), Err(EngineError::invalid_data()));
    }
    // Deep nesting in an item value: an error, never a stack overflow.
    let deep = format!(
        "{{\"items\":[{{\"sku\":{}1{}}}]}}",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    assert_eq!(
        parse_body(deep.as_bytes()),
        Err(EngineError::invalid_data())
    );
    // Deep but within serde_json's limit (128): parsed, and the item fails alone.
    let ok = format!(
        "{{\"items\":[{{\"sku\":{}1{},\"location_id\":1,\"stock\":1}}]}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    let items = parse_body(ok.as_bytes())
        .expect("within the nesting limit")
        .items;
    assert_eq!(
        validate_item(&items.value(0).expect("one item"), ".")
            .err()
            .map(|e| e.code),
        Some("invalid_sku")
    );
}
