//! The clock per phase (issue 11): every result of the native engine carries `timings`, the
//! milliseconds of each phase and the call's total (tests/contract/README.md, "timings").

mod common;

use common::{body, TestDb};
use common::{run_json, run_value};
use mulopimfwc::options::OptValue;
use serde_json::Value;

const PHASES: [&str; 6] = ["parse", "resolve", "lock", "read", "plan", "write"];

/// Every phase and `total` present, floats >= 0, the phases adding up to no more than `total`.
fn check(out: &Value, what: &str) -> serde_json::Map<String, Value> {
    let t = out["timings"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no timings in {out}"))
        .clone();
    let mut sum = 0.0;
    for k in PHASES.iter().chain(["total"].iter()) {
        let v = t
            .get(*k)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("{what}: timings.{k} missing or not a number: {t:?}"));
        assert!(v >= 0.0 && v.is_finite(), "{what}: timings.{k} = {v}");
        if *k != "total" {
            sum += v;
        }
    }
    assert_eq!(
        t.len(),
        PHASES.len() + 1,
        "{what}: exactly the phases and total: {t:?}"
    );
    let total = t["total"].as_f64().unwrap_or(0.0);
    assert!(sum <= total + 1e-6, "{what}: phases {sum} > total {total}");
    assert!(total > 0.0, "{what}: total {total}");
    t
}

#[test]
fn results_carry_phase_timings() {
    let mut db = TestDb::new("timings", "wp_");
    let store = db.seed(20, 2);
    let text = body(&store, 40, 7);

    // A write: every phase that touches the database took some time.
    let out = run_json(text.as_bytes(), &db.options()).expect("sync succeeds");
    let t = check(&out, "write");
    for k in ["resolve", "read", "lock", "write"] {
        assert!(t[k].as_f64().unwrap_or(0.0) > 0.0, "write: {k} is 0: {t:?}");
    }

    // The same as a PHP array (run_value) and as a dry run: no lock phase, the rollback in write.
    let value: Value = serde_json::from_str(&text).expect("json");
    let out = run_value(value, &db.options()).expect("sync succeeds");
    check(&out, "array body");
    let dry = db.options_with(&[("dry_run", OptValue::Bool(true))]);
    let out = run_json(text.as_bytes(), &dry).expect("dry run succeeds");
    let t = check(&out, "dry run");
    assert_eq!(
        t["lock"].as_f64(),
        Some(0.0),
        "dry run locks nothing: {t:?}"
    );

    // Only failed items: no product found, still every phase listed.
    let out = run_json(
        br#"{"items":[{"sku":"nope","location_id":1,"stock":1},{"stock":"x"}]}"#,
        &db.options(),
    )
    .expect("sync succeeds");
    check(&out, "items failed");
}
