//! `report_meta_writes`: the native engine lists every postmeta row it wrote, and the list is
//! exactly the difference between the table before and after (ids, posts, keys, values), in the
//! documented order: added, updated, deleted, each by meta_id. (The PHP engine and the two engines
//! side by side: tests/php/MetaWritesTest.php, php/tests/MetaWritesPhpEngineTest.php.)

mod common;

use common::run_json;
use common::{root, TestDb};
use mulopimfwc::options::OptValue;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

type Rows = BTreeMap<u64, (u64, String, String)>;

/// Every postmeta row: meta_id → (post, key, value).
fn rows(db: &mut TestDb) -> Rows {
    let sql = format!(
        "SELECT meta_id, post_id, meta_key, meta_value FROM {}",
        db.t("postmeta")
    );
    let all: Vec<(u64, u64, String, Option<String>)> = db.conn.query(sql).expect("postmeta");
    all.into_iter()
        .map(|(id, post, key, value)| (id, (post, key, value.unwrap_or_default())))
        .collect()
}

/// What `meta_writes` must say, from the table before and after.
fn diff(before: &Rows, after: &Rows) -> Value {
    let entry = |op: &str, id: &u64, (post, key, value): &(u64, String, String)| {
        json!([op, id, post, key, value])
    };
    let mut out = Vec::new();
    for (id, row) in after {
        if !before.contains_key(id) {
            out.push(entry("added", id, row));
        }
    }
    for (id, row) in after {
        if before.get(id).is_some_and(|old| old.2 != row.2) {
            out.push(entry("updated", id, row));
        }
    }
    for (id, row) in before {
        if !after.contains_key(id) {
            out.push(entry("deleted", id, row));
        }
    }
    Value::Array(out)
}

fn find<'a>(log: &'a Value, op: &str, post: u64, key: &str) -> Vec<&'a Value> {
    log.as_array()
        .map(|l| {
            l.iter()
                .filter(|e| e[0] == json!(op) && e[2] == json!(post) && e[3] == json!(key))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn lists_exactly_the_rows_written() {
    let mut db = TestDb::new("meta_writes_rows", "wp_");
    let store = db.seed(3, 2);
    let (loc0, slug0) = store.locations[0].clone();
    let (loc1, slug1) = store.locations[1].clone();
    let (p0, p1, p2) = (store.products[0], store.products[1], store.products[2]);
    let stock0 = format!("_location_stock_{loc0}");
    let price0 = format!("_location_regular_price_{loc0}");
    // p0 has its location stock three times (the first is the one WordPress reads) and a price
    // that the request sends again unchanged.
    db.add_meta(p0, &stock0, "3");
    db.add_meta(p0, &stock0, "4");
    db.add_meta(p0, &stock0, "9");
    db.add_meta(p0, &price0, "19.99");
    let opts = db.options_with(&[
        ("primary_location", OptValue::Int(loc0 as i64)),
        ("report_meta_writes", OptValue::Bool(true)),
    ]);
    let req = json!({"items": [
        // Updates: the location stock, WooCommerce's _stock and _stock_status; the extra rows go.
        {"product_id": p0, "location_id": loc0, "stock": 0, "regular_price": "19.99"},
        // New rows; WooCommerce's stock stays 5 (unchanged: not listed).
        {"product_id": p1, "location_slug": slug0, "stock": 5, "regular_price": "9.50", "backorders": "notify"},
        // Not the primary location: only its own row.
        {"product_id": p2, "location_slug": slug1, "stock": 8, "disabled": true},
        // Failed items write nothing.
        {"product_id": p2, "location_id": loc0, "stock": 1, "sale_price": "60"},
        {"sku": "nope", "location_id": loc0, "stock": 1},
    ]});
    let before = rows(&mut db);
    let out = run_json(req.to_string().as_bytes(), &opts).expect("sync");
    let after = rows(&mut db);
    assert_eq!(out["results"]["failed"], json!(2), "{out}");
    let log = &out["meta_writes"];
    assert_eq!(log, &diff(&before, &after), "{out}");

    assert_eq!(find(log, "updated", p0, &stock0).len(), 1, "{log}");
    assert_eq!(find(log, "updated", p0, &stock0)[0][4], json!("0"));
    let deleted = find(log, "deleted", p0, &stock0);
    assert_eq!(
        deleted.iter().map(|e| e[4].clone()).collect::<Vec<_>>(),
        vec![json!("4"), json!("9")]
    );
    assert!(
        find(log, "updated", p0, &price0).is_empty(),
        "unchanged: not listed"
    );
    assert_eq!(find(log, "updated", p0, "_stock")[0][4], json!("0"));
    assert_eq!(
        find(log, "updated", p0, "_stock_status")[0][4],
        json!("outofstock")
    );
    for key in [
        stock0.clone(),
        price0.clone(),
        format!("_location_backorders_{loc0}"),
    ] {
        let added = find(log, "added", p1, &key);
        assert_eq!(added.len(), 1, "{key}: {log}");
        let id = added[0][1].as_u64().expect("integer meta_id");
        assert_eq!(after.get(&id).map(|r| r.0), Some(p1), "{key}");
    }
    assert!(find(log, "updated", p1, "_stock").is_empty(), "{log}");
    assert_eq!(
        find(log, "added", p2, &format!("_location_disabled_{loc1}"))[0][4],
        json!("yes")
    );
    assert!(
        find(log, "added", p2, &stock0).is_empty(),
        "the failed item: {log}"
    );
    // Every entry: [string, int, int, string, string].
    for e in log.as_array().expect("a list") {
        assert!(e[0].is_string() && e[1].is_u64() && e[2].is_u64(), "{e}");
        assert!(e[3].is_string() && e[4].is_string(), "{e}");
    }
    assert_eq!(
        out["changes"]["meta_rows_inserted"],
        json!(find_all(log, "added"))
    );
    assert_eq!(
        out["changes"]["meta_rows_deleted"],
        json!(find_all(log, "deleted"))
    );
}

fn find_all(log: &Value, op: &str) -> usize {
    log.as_array()
        .map(|l| l.iter().filter(|e| e[0] == json!(op)).count())
        .unwrap_or(0)
}

#[test]
fn absent_without_the_option_and_empty_on_a_dry_run() {
    let mut db = TestDb::new("meta_writes_off", "wp_");
    let store = db.seed(1, 1);
    let (loc, _) = store.locations[0].clone();
    let req = json!({"items": [{"product_id": store.products[0], "location_id": loc, "stock": 2}]});
    let off = [
        vec![],
        vec![("report_meta_writes", OptValue::Bool(false))],
        vec![("report_meta_writes", OptValue::Str("0".into()))],
    ];
    for (i, extra) in off.iter().enumerate() {
        let stock = 10 + i;
        let body = req
            .to_string()
            .replace("\"stock\":2", &format!("\"stock\":{stock}"));
        let out = run_json(body.as_bytes(), &db.options_with(extra)).expect("sync");
        assert_eq!(out["results"]["success"], json!(1), "{out}");
        assert!(out.get("meta_writes").is_none(), "{extra:?}: {out}");
    }
    let before = rows(&mut db);
    for extra in [
        vec![("dry_run", OptValue::Bool(true))],
        vec![
            ("dry_run", OptValue::Bool(true)),
            ("report_meta_writes", OptValue::Bool(true)),
        ],
    ] {
        let on = extra.len() == 2;
        let out = run_json(req.to_string().as_bytes(), &db.options_with(&extra)).expect("dry run");
        assert_eq!(out["dry_run"], json!(true));
        assert_ne!(out["changes"]["meta_rows_updated"], json!(0), "{out}");
        if on {
            assert_eq!(out["meta_writes"], json!([]), "{out}");
        } else {
            assert!(out.get("meta_writes").is_none(), "{out}");
        }
    }
    assert_eq!(rows(&mut db), before, "a dry run writes nothing");
}

#[test]
fn a_retried_request_lists_only_the_committed_attempt() {
    // The first attempt inserts its new rows, then meets a held row (NOWAIT) and rolls back; the
    // second goes post by post. Only the second attempt's rows (with their ids) are listed.
    let mut db = TestDb::new("meta_writes_retry", "wp_");
    let store = db.seed(4, 2);
    let (loc, slug) = store.locations[1].clone();
    let opts = db.options_with(&[
        ("primary_location", OptValue::Int(loc as i64)),
        ("report_meta_writes", OptValue::Bool(true)),
    ]);
    let items: Vec<Value> = store
        .skus
        .iter()
        .map(|sku| json!({"sku": sku, "location_slug": slug, "stock": 7, "regular_price": "9.50"}))
        .collect();
    let before = rows(&mut db);
    let release = db.hold_stock_row(store.products[2], Duration::from_millis(600));
    let out = run_json(json!({ "items": items }).to_string().as_bytes(), &opts).expect("sync");
    release.join().expect("holder thread");
    let after = rows(&mut db);
    assert_eq!(out["stats"]["attempts"], json!(2), "{}", out["stats"]);
    assert_eq!(out["meta_writes"], diff(&before, &after), "{out}");
    assert_eq!(find_all(&out["meta_writes"], "added"), 8, "{out}");
    // _stock 5 -> 7 per product; the status stays instock.
    assert_eq!(find_all(&out["meta_writes"], "updated"), 4, "{out}");
}

#[test]
fn a_row_only_the_final_plan_inserts_is_listed_with_its_id() {
    // An order's decrement (10 -> 9) is under way when the sync reads: the first plan sees 10 and
    // the item's expected_stock 9 fails there, so its new price row is not inserted in the first
    // pass; the final plan, on the locked row (9), applies the item and inserts the row itself.
    let mut db = TestDb::new("meta_writes_late", "wp_");
    let store = db.seed(1, 1);
    let (loc, _) = store.locations[0].clone();
    let post = store.products[0];
    let key = format!("_location_stock_{loc}");
    db.add_meta(post, &key, "10");
    let opts = db.options_with(&[
        ("primary_location", OptValue::Int(loc as i64)),
        ("report_meta_writes", OptValue::Bool(true)),
    ]);
    let before = rows(&mut db);
    let mut order = root();
    order.query_drop(format!("USE `{}`", db.name)).expect("use");
    let pm = db.t("postmeta");
    let sql = format!(
        "UPDATE {pm} SET meta_value = meta_value - 1 WHERE post_id = {post} AND meta_key = '{key}' AND SLEEP(0.6) = 0"
    );
    let decrement = std::thread::spawn(move || order.query_drop(sql).expect("decrement"));
    std::thread::sleep(Duration::from_millis(150));
    let req = json!({"items": [
        {"product_id": post, "location_id": loc, "stock": 20, "expected_stock": 9, "regular_price": "7"}
    ]});
    let out = run_json(req.to_string().as_bytes(), &opts).expect("sync");
    decrement.join().expect("order thread");
    let after = rows(&mut db);
    assert_eq!(out["results"]["success"], json!(1), "{out}");
    assert_eq!(out["meta_writes"], diff(&before, &after), "{out}");
    let added = find(
        &out["meta_writes"],
        "added",
        post,
        &format!("_location_regular_price_{loc}"),
    );
    assert_eq!(added.len(), 1, "{out}");
    assert_eq!(added[0][4], json!("7"));
}

#[test]
fn asking_for_the_list_costs_no_statement() {
    // The same request on two identical stores, with and without the option: new rows, updates,
    // WooCommerce's stock and status, duplicates deleted.
    let mut counts = Vec::new();
    for on in [false, true] {
        let mut db = TestDb::new(&format!("meta_writes_count_{on}"), "wp_");
        let store = db.seed(300, 2);
        let (loc, _) = store.locations[0].clone();
        for p in &store.products[..20] {
            db.add_meta(*p, &format!("_location_stock_{loc}"), "1");
            db.add_meta(*p, &format!("_location_stock_{loc}"), "2");
        }
        let opts = db.options_with(&[("report_meta_writes", OptValue::Bool(on))]);
        let out = run_json(common::body(&store, 600, 0).as_bytes(), &opts).expect("sync");
        assert_eq!(out["results"]["success"], json!(600), "{out}");
        assert_eq!(out.get("meta_writes").is_some(), on);
        counts.push(out["stats"]["statements"].clone());
    }
    println!("statements without / with report_meta_writes: {counts:?}");
    assert_eq!(counts[0], counts[1]);
}
