//! Location slugs through `slug::SlugSanitizer` (the site's `sanitize_title()` in PHP; here the
//! tests' stand-in and a few broken ones), against MariaDB: one call per request with the
//! distinct slugs, the answers decide which location an item names, a failing sanitizer fails
//! the whole request with nothing written, and many items or many distinct slugs stay cheap.

mod common;

use common::{TestDb, TestSlugs};
use mulopimfwc::engine::run_json;
use mulopimfwc::error::EngineError;
use mulopimfwc::options::OptValue;
use mulopimfwc::slug::SlugSanitizer;
use serde_json::{json, Value};
use std::time::Instant;

fn failed_codes(out: &Value) -> Vec<(u64, String)> {
    out["results"]["items_failed"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|e| {
                    (
                        e["index"].as_u64().unwrap_or(0),
                        e["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn one_call_with_the_distinct_slugs_and_its_answers_decide() {
    let mut db = TestDb::new("slugs_one_call", "wp_");
    let store = db.seed(4, 2);
    let (loc0, _) = store.locations[0].clone();
    let (loc1, _) = store.locations[1].clone();
    let req = json!({"items": [
        {"sku": "SKU-0", "location_slug": " LOC-0 ", "stock": 11},
        {"sku": "SKU-1", "location_slug": " LOC-0 ", "stock": 12},
        {"sku": "SKU-2", "location_slug": "loc%2D1", "stock": 13},
        {"sku": "SKU-3", "location_slug": "loc-1", "location_id": loc0, "stock": 14},
        {"sku": "SKU-3", "location_slug": "   ", "stock": 15},
        {"sku": "SKU-3", "location_slug": "nowhere", "stock": 16},
        {"sku": "SKU-3", "location_slug": 7, "stock": 17},
    ]});
    let slugs = TestSlugs::default();
    let out = run_json(req.to_string().as_bytes(), &db.options(), &slugs).expect("sync");
    assert_eq!(slugs.calls.get(), 1, "one call per request");
    // Distinct, percent-decoded, as given otherwise; the malformed item's number is not asked.
    let mut asked = slugs.asked.borrow().clone();
    asked.sort();
    assert_eq!(asked, vec!["   ", " LOC-0 ", "loc-1", "nowhere"]);
    assert_eq!(
        failed_codes(&out),
        vec![
            (4, "location_mismatch".to_string()),
            (5, "location_not_found".to_string()),
            (6, "location_not_found".to_string()),
            (7, "invalid_location_slug".to_string()),
        ]
    );
    let p = &store.products;
    assert_eq!(
        db.meta(p[0], &format!("_location_stock_{loc0}")),
        vec!["11"]
    );
    assert_eq!(
        db.meta(p[1], &format!("_location_stock_{loc0}")),
        vec!["12"]
    );
    assert_eq!(
        db.meta(p[2], &format!("_location_stock_{loc1}")),
        vec!["13"]
    );
    assert!(db.meta(p[3], &format!("_location_stock_{loc0}")).is_empty());
    assert!(db.meta(p[3], &format!("_location_stock_{loc1}")).is_empty());

    // Without slugs the sanitizer is not asked at all.
    let slugs = TestSlugs::default();
    let req = json!({"items": [{"sku": "SKU-0", "location_id": loc1, "stock": 3}]});
    run_json(req.to_string().as_bytes(), &db.options(), &slugs).expect("sync");
    assert_eq!(slugs.calls.get(), 0);
}

/// A sanitizer that fails, or answers with the wrong number of slugs.
struct Broken(Result<Vec<String>, String>);

impl SlugSanitizer for Broken {
    fn sanitize(&self, _: &[&str]) -> Result<Vec<String>, String> {
        self.0.clone()
    }
}

#[test]
fn a_failing_sanitizer_fails_the_request_and_writes_nothing() {
    let mut db = TestDb::new("slugs_broken", "wp_");
    let store = db.seed(3, 1);
    let before = db.fingerprint();
    let (loc, slug) = store.locations[0].clone();
    let req = json!({"items": [
        {"sku": "SKU-0", "location_id": loc, "stock": 40},
        {"sku": "SKU-1", "location_slug": slug, "stock": 41},
    ]})
    .to_string();
    for broken in [
        Broken(Err("sanitize_title() threw DomainException: no".into())),
        Broken(Ok(vec![])),
        Broken(Ok(vec!["a".into(), "b".into()])),
    ] {
        let err = run_json(req.as_bytes(), &db.options(), &broken).expect_err("fails");
        assert!(matches!(&err, EngineError::Config(_)), "{err:?}");
        assert_eq!(err.status(), 500);
        assert_eq!(db.fingerprint(), before, "nothing written after {err}");
    }
    // The connection went back to the pool in a usable state: the next request runs.
    let out = run_json(req.as_bytes(), &db.options(), &TestSlugs::default()).expect("sync");
    assert_eq!(out["results"]["success"], json!(2));
}

#[test]
fn many_items_and_many_distinct_slugs_stay_cheap() {
    let mut db = TestDb::new("slugs_many", "wp_");
    let store = db.seed(50, 3);
    let dry = db.options_with(&[("dry_run", OptValue::Bool(true))]);
    let resolve_ms = |out: &Value| out["timings"]["resolve"].as_f64().unwrap_or(f64::MAX);

    // 100,000 items over three slugs (spelled two ways): one call with six strings.
    let items: Vec<Value> = (0..100_000)
        .map(|i| {
            let (_, slug) = &store.locations[i % 3];
            let slug = if i % 2 == 0 {
                slug.to_uppercase()
            } else {
                slug.clone()
            };
            json!({"sku": store.skus[i % store.skus.len()], "location_slug": slug, "stock": 1})
        })
        .collect();
    let slugs = TestSlugs::default();
    let t0 = Instant::now();
    let out = run_json(
        json!({ "items": items }).to_string().as_bytes(),
        &dry,
        &slugs,
    )
    .expect("100,000 items");
    let few = t0.elapsed();
    assert_eq!(out["results"]["success"], json!(100_000));
    assert_eq!((slugs.calls.get(), slugs.asked.borrow().len()), (1, 6));
    eprintln!(
        "100,000 items, 6 distinct slugs: {few:?} (resolve {} ms)",
        resolve_ms(&out)
    );

    // 10,000 distinct slugs: every tenth names a location, the rest nothing.
    let items: Vec<Value> = (0..10_000)
        .map(|i| {
            let slug = if i % 10 == 0 {
                store.locations[i % 3].1.clone()
            } else {
                format!("nowhere-{i}")
            };
            json!({"sku": store.skus[i % store.skus.len()], "location_slug": format!("{slug}{}", " ".repeat(i / 10 % 7)), "stock": 1})
        })
        .collect();
    let slugs = TestSlugs::default();
    let out = run_json(
        json!({ "items": items }).to_string().as_bytes(),
        &dry,
        &slugs,
    )
    .expect("10,000 slugs");
    assert_eq!(slugs.calls.get(), 1);
    assert!(slugs.asked.borrow().len() > 9_000);
    assert_eq!(out["results"]["success"], json!(1_000));
    assert_eq!(out["results"]["failed"], json!(9_000));
    let ms = resolve_ms(&out);
    eprintln!("10,000 distinct slugs: resolve {ms} ms");
    assert!(ms < 2_000.0, "resolve took {ms} ms");
}
