//! The native engine against a real MariaDB: rows written, transactions, concurrency,
//! retries, lost connections, restricted privileges. (The contract suite in tests/contract runs
//! the per-rule cases through PHP; these tests cover what only Rust can reach directly.)

mod common;

use common::run_json;
use common::{body, env, root, TestDb};
use mulopimfwc::error::EngineError;
use mulopimfwc::options::OptValue;
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn run(db: &TestDb, body: &str) -> Value {
    run_json(body.as_bytes(), &db.options()).expect("sync succeeds")
}

#[test]
fn seed_example_writes_location_meta_and_main_stock() {
    let mut db = TestDb::new("seed_example", "wp_");
    let store = db.seed(3, 2);
    let (loc0, slug0) = store.locations[0].clone();
    let (loc1, _) = store.locations[1].clone();
    let req = json!({"items": [
        {"sku": "SKU-0", "location_slug": slug0, "stock": 100, "regular_price": "29.99", "sale_price": "24.99"},
        {"product_id": store.products[1], "location_id": loc1, "stock": 0, "regular_price": "19.99"},
        {"sku": "nope", "location_slug": slug0, "stock": 1},
    ]});
    let out = run(&db, &req.to_string());
    assert_eq!(out["success"], json!(true));
    assert_eq!(
        out["message"],
        json!("Processed 3 items. 2 succeeded, 1 failed.")
    );
    assert_eq!(out["results"]["success"], json!(2));
    assert_eq!(
        out["results"]["errors"],
        json!(["Item 3: Product not found."])
    );
    assert_eq!(
        out["results"]["items_failed"][0]["code"],
        json!("product_not_found")
    );
    let p0 = store.products[0];
    let p1 = store.products[1];
    assert_eq!(db.meta(p0, &format!("_location_stock_{loc0}")), vec!["100"]);
    assert_eq!(
        db.meta(p0, &format!("_location_regular_price_{loc0}")),
        vec!["29.99"]
    );
    assert_eq!(
        db.meta(p0, &format!("_location_sale_price_{loc0}")),
        vec!["24.99"]
    );
    assert_eq!(db.meta(p1, &format!("_location_stock_{loc1}")), vec!["0"]);
    assert!(db
        .meta(p1, &format!("_location_sale_price_{loc1}"))
        .is_empty());
    // No primary location set: WooCommerce's stock follows.
    assert_eq!(db.meta(p0, "_stock"), vec!["100"]);
    assert_eq!(db.meta(p1, "_stock"), vec!["0"]);
    assert_eq!(db.meta(p1, "_stock_status"), vec!["outofstock"]);
    let lookup: Option<(f64, String)> = db
        .conn
        .query_first(format!(
            "SELECT stock_quantity, stock_status FROM {} WHERE product_id = {p1}",
            db.t("wc_product_meta_lookup")
        ))
        .expect("lookup");
    assert_eq!(lookup, Some((0.0, "outofstock".to_string())));
    let vis: Option<u64> = db
        .conn
        .query_first(format!(
            "SELECT COUNT(*) FROM {} WHERE object_id = {p1} AND term_taxonomy_id = {}",
            db.t("term_relationships"),
            store.outofstock_tt
        ))
        .expect("visibility");
    assert_eq!(vis, Some(1));
    let count: Option<u64> = db
        .conn
        .query_first(format!(
            "SELECT count FROM {} WHERE term_taxonomy_id = {}",
            db.t("term_taxonomy"),
            store.outofstock_tt
        ))
        .expect("count");
    assert_eq!(count, Some(1));
    let ids: Vec<u64> = serde_json::from_value(out["changed_product_ids"].clone()).expect("ids");
    assert_eq!(ids, vec![p0, p1]);
    let changes = out["stock_changes"].as_array().expect("stock changes");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1]["new_status"], json!("outofstock"));
    assert_eq!(changes[1]["old_status"], json!("instock"));
    assert_eq!(db.duplicate_keys(), 0);
}

#[test]
fn connects_with_every_db_host_form_and_hides_credentials() {
    let mut db = TestDb::new("db_host_forms", "wp_");
    let store = db.seed(1, 1);
    let req = body(&store, 1, 7);
    let socket = env("MULOPIMFWC_DB_SOCKET");
    let mut hosts = vec![
        format!("127.0.0.1:{}", env("MULOPIMFWC_DB_PORT")),
        format!("localhost:{socket}"),
    ];
    // The test server listens on [::1] too where the machine has IPv6 loopback.
    if std::net::TcpStream::connect(("::1", env("MULOPIMFWC_DB_PORT").parse().unwrap_or(0))).is_ok()
    {
        hosts.push(format!("[::1]:{}", env("MULOPIMFWC_DB_PORT")));
    } else {
        println!("no IPv6 loopback here: [::1]:port not tried");
    }
    for host in hosts {
        let opts = db.options_with(&[("db_host", OptValue::Str(host.clone()))]);
        let out = run_json(req.as_bytes(), &opts).unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(out["results"]["success"], json!(1), "{host}");
    }
    let secret = "not-the-password-S3cr3t";
    let opts = db.options_with(&[("db_password", OptValue::Str(secret.into()))]);
    let err = run_json(req.as_bytes(), &opts).expect_err("wrong password fails");
    assert_eq!(err.code(), "mulopimfwc_db_error");
    assert_eq!(err.status(), 503);
    let msg = err.to_string();
    for leak in [
        secret,
        "mulopimfwc@",
        "127.0.0.1",
        &env("MULOPIMFWC_DB_USER"),
    ] {
        assert!(!msg.contains(leak), "message {msg:?} leaks {leak:?}");
    }
    let opts = db.options_with(&[("db_host", OptValue::Str("127.0.0.1:1".into()))]);
    let started = Instant::now();
    let err = run_json(req.as_bytes(), &opts).expect_err("closed port fails");
    assert_eq!(err.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn whole_request_errors_write_nothing() {
    let mut db = TestDb::new("whole_request", "wp_");
    let store = db.seed(2, 1);
    let before = db.fingerprint();
    for bad in [
        "not json",
        "[]",
        "{}",
        "{\"items\": {}}",
        "{\"items\": null}",
        "{\"items\": [1",
    ] {
        let err = run_json(bad.as_bytes(), &db.options()).expect_err(bad);
        assert_eq!(err, EngineError::invalid_data(), "{bad}");
    }
    let opts = db.options_with(&[("max_items", OptValue::Int(3))]);
    let err = run_json(body(&store, 4, 1).as_bytes(), &opts).expect_err("over the limit");
    assert_eq!(err.code(), "too_many_items");
    assert!(err.to_string().contains('3'), "{err}");
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn dry_run_reports_and_writes_nothing() {
    let mut db = TestDb::new("dry_run", "wp_");
    let store = db.seed(5, 2);
    let before = db.fingerprint();
    let opts = db.options_with(&[("dry_run", OptValue::Bool(true))]);
    let out = run_json(body(&store, 5, 0).as_bytes(), &opts).expect("dry run");
    assert_eq!(out["dry_run"], json!(true));
    assert_eq!(out["results"]["success"], json!(5));
    assert_eq!(out["changes"]["meta_rows_inserted"], json!(15));
    assert_eq!(db.fingerprint(), before);
}

#[test]
fn failure_mid_write_leaves_nothing_half_applied() {
    let mut db = TestDb::new("mid_write", "wp_");
    let store = db.seed(20, 2);
    // The last write of the transaction (post_modified) fails: every earlier write must go too.
    db.conn
        .query_drop(format!(
            "CREATE TRIGGER fail_modified BEFORE UPDATE ON {} FOR EACH ROW \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure for user mulopimfwc@127.0.0.1'",
            db.t("posts")
        ))
        .expect("trigger");
    let before = db.fingerprint();
    let err = run_json(body(&store, 20, 3).as_bytes(), &db.options()).expect_err("write fails");
    assert_eq!(err.code(), "mulopimfwc_db_error");
    assert!(!err.to_string().contains("mulopimfwc@"), "{err}");
    assert_eq!(db.fingerprint(), before);
    db.conn
        .query_drop("DROP TRIGGER fail_modified")
        .expect("drop trigger");
    // And the next request goes through on the same (pooled) connection.
    let out = run(&db, &body(&store, 20, 3));
    assert_eq!(out["results"]["success"], json!(20));
    assert_eq!(db.meta(store.products[0], "_stock"), vec!["3"]);
}

#[test]
fn reconnects_when_the_pooled_connection_was_killed() {
    let mut db = TestDb::new("reconnect", "wp_");
    let store = db.seed(3, 1);
    run(&db, &body(&store, 3, 1));
    let ids: Vec<u64> = db
        .conn
        .query(format!(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '{}' AND DB = '{}'",
            env("MULOPIMFWC_DB_USER"),
            db.name
        ))
        .expect("processlist");
    assert!(
        !ids.is_empty(),
        "the engine keeps its connection open between requests"
    );
    for id in ids {
        db.conn
            .query_drop(format!("KILL CONNECTION {id}"))
            .expect("kill");
    }
    let out = run(&db, &body(&store, 3, 2));
    assert_eq!(out["results"]["success"], json!(3));
    assert_eq!(db.meta(store.products[2], "_stock"), vec!["2"]);
}

#[test]
fn lock_wait_timeouts_are_retried_then_reported_with_nothing_written() {
    let mut db = TestDb::new("lock_wait", "wp_");
    let store = db.seed(3, 1);
    let opts = db.options_with(&[("lock_wait_timeout", OptValue::Int(1))]);
    let before = db.fingerprint();
    // Another session holds a product row for longer than every retry.
    let mut holder = root();
    holder
        .query_drop(format!("USE `{}`", db.name))
        .expect("use");
    holder.query_drop("START TRANSACTION").expect("begin");
    holder
        .query_drop(format!(
            "SELECT ID FROM {} WHERE ID = {} FOR UPDATE",
            db.t("posts"),
            store.products[1]
        ))
        .expect("lock");
    let err = run_json(body(&store, 3, 9).as_bytes(), &opts).expect_err("stays locked");
    assert_eq!(err.code(), "mulopimfwc_db_error");
    assert!(err.to_string().contains("1205"), "{err}");
    assert_eq!(db.fingerprint(), before);
    // Released while the engine is retrying: the sync goes through.
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        holder.query_drop("ROLLBACK").expect("release");
    });
    let out = run_json(body(&store, 3, 9).as_bytes(), &opts).expect("retried");
    release.join().expect("holder thread");
    assert_eq!(out["results"]["success"], json!(3));
    assert!(
        out["stats"]["attempts"].as_u64().unwrap_or(0) >= 2,
        "{}",
        out["stats"]
    );
    assert_eq!(db.meta(store.products[1], "_stock"), vec!["9"]);
}

#[test]
fn concurrent_syncs_never_duplicate_rows() {
    let mut db = TestDb::new("concurrent", "wp_");
    let store = db.seed(50, 3);
    let opts = db.options();
    let handles: Vec<_> = (0..4)
        .map(|worker| {
            let opts = opts.clone();
            let req = body(&store, 150, 100 + worker);
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let out = run_json(req.as_bytes(), &opts).expect("concurrent sync");
                    assert_eq!(out["results"]["success"], json!(150));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("worker");
    }
    assert_eq!(db.duplicate_keys(), 0);
    // Each key holds one worker's value, and one request's items are never mixed: every
    // location of a product holds the same worker's stock.
    for &p in &store.products {
        let mut seen = Vec::new();
        for (loc, _) in &store.locations {
            let v = db.meta(p, &format!("_location_stock_{loc}"));
            assert_eq!(v.len(), 1);
            seen.push(v[0].clone());
        }
        assert!(["100", "101", "102", "103"].contains(&seen[0].as_str()));
    }
}

#[test]
fn works_with_only_select_insert_update_delete() {
    let mut db = TestDb::new("dml_only", "wp_");
    let store = db.seed(4, 2);
    let user = env("MULOPIMFWC_DB_DML_USER");
    db.conn
        .query_drop(format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON `{}`.* TO '{user}'@'127.0.0.1'",
            db.name
        ))
        .expect("grant");
    let opts = db.options_with(&[
        ("db_user", OptValue::Str(user.clone())),
        (
            "db_password",
            OptValue::Str(env("MULOPIMFWC_DB_DML_PASSWORD")),
        ),
    ]);
    let out = run_json(body(&store, 4, 0).as_bytes(), &opts).expect("dml-only sync");
    assert_eq!(out["results"]["success"], json!(4));
    assert_eq!(
        db.meta(store.products[3], "_stock_status"),
        vec!["outofstock"]
    );
    let _ = db.conn.query_drop(format!(
        "REVOKE ALL PRIVILEGES ON `{}`.* FROM '{user}'@'127.0.0.1'",
        db.name
    ));
}

#[test]
fn multisite_prefix() {
    let mut db = TestDb::new("multisite", "wp_3_");
    let store = db.seed(2, 1);
    let out = run(&db, &body(&store, 2, 4));
    assert_eq!(out["results"]["success"], json!(2));
    let (loc, _) = store.locations[0];
    assert_eq!(
        db.meta(store.products[1], &format!("_location_stock_{loc}")),
        vec!["4"]
    );
}

#[test]
fn relative_adjustments_lose_no_concurrent_order_decrement() {
    let mut db = TestDb::new("adjust_race", "wp_");
    let store = db.seed(3, 2);
    let (loc, slug) = store.locations[0].clone();
    let opts = db.options_with(&[("primary_location", OptValue::Int(loc as i64))]);
    let target = store.products[0];
    db.add_meta(target, "_stock", "1000");
    db.conn
        .query_drop(format!(
            "DELETE FROM {} WHERE post_id = {target} AND meta_key = '_stock' AND meta_value = '5'",
            db.t("postmeta")
        ))
        .expect("one _stock row");
    // Orders decrement WooCommerce's stock the way WooCommerce does, in autocommit, meanwhile.
    let name = db.name.clone();
    let pm = db.t("postmeta");
    let orders = std::thread::spawn(move || {
        let mut c = root();
        c.query_drop(format!("USE `{name}`")).expect("use");
        for _ in 0..200 {
            c.query_drop(format!(
                "UPDATE {pm} SET meta_value = meta_value - 1 WHERE post_id = {target} AND meta_key = '_stock'"
            ))
            .expect("order decrement");
        }
    });
    let req =
        json!({"items": [{"sku": "SKU-0", "location_slug": slug, "stock_adjust": -1}]}).to_string();
    for _ in 0..100 {
        let out = run_json(req.as_bytes(), &opts).expect("adjust");
        assert_eq!(out["results"]["success"], json!(1));
    }
    orders.join().expect("orders");
    // 1000 - 200 orders - 100 POS sales: nothing lost on either side.
    let stock: Vec<String> = db.meta(target, "_stock");
    assert_eq!(stock.len(), 1);
    assert_eq!(stock[0].parse::<f64>().ok(), Some(700.0), "{stock:?}");
    assert_eq!(
        db.meta(target, &format!("_location_stock_{loc}")),
        vec!["-100"]
    );
}

#[test]
fn a_held_row_after_first_rows_were_inserted_fails_fast_and_the_retry_goes_post_by_post() {
    // The rows of a location a product was never synced at are inserted before the rows read are
    // locked; a row another session holds then must not be waited for (that session may be an
    // order's decrement waiting for the new row: a deadlock InnoDB would settle by rolling the
    // decrement back). The attempt fails at once (NOWAIT) and the next one locks and inserts post
    // by post, waiting normally.
    let mut db = TestDb::new("first_rows_nowait", "wp_");
    let store = db.seed(4, 2);
    let (loc, slug) = store.locations[1].clone();
    let opts = db.options_with(&[("primary_location", OptValue::Int(loc as i64))]);
    let release = db.hold_stock_row(store.products[2], Duration::from_millis(600));
    let items: Vec<Value> = store
        .skus
        .iter()
        .map(|sku| json!({"sku": sku, "location_slug": slug, "stock": 7, "regular_price": "9.50"}))
        .collect();
    let out = run_json(json!({ "items": items }).to_string().as_bytes(), &opts).expect("sync");
    release.join().expect("holder thread");
    assert_eq!(out["results"]["success"], json!(4), "{out}");
    assert_eq!(out["stats"]["attempts"], json!(2), "{}", out["stats"]);
    // Exactly what one uncontended attempt writes: two new rows per product, `_stock` updated.
    assert_eq!(out["changes"]["meta_rows_inserted"], json!(8), "{out}");
    for p in &store.products {
        assert_eq!(db.meta(*p, &format!("_location_stock_{loc}")), vec!["7"]);
        assert_eq!(
            db.meta(*p, &format!("_location_regular_price_{loc}")),
            vec!["9.50"]
        );
        assert_eq!(db.meta(*p, "_stock"), vec!["7"]);
    }
    assert_eq!(db.duplicate_keys(), 0);
}

#[test]
fn a_held_row_without_first_rows_is_waited_for_in_one_attempt() {
    // Only updates: the rows are locked in the decrement's own order and waited for.
    let mut db = TestDb::new("updates_wait", "wp_");
    let store = db.seed(4, 1);
    let (loc, slug) = store.locations[0].clone();
    let opts = db.options_with(&[("primary_location", OptValue::Int(loc as i64))]);
    let items: Vec<Value> = store
        .skus
        .iter()
        .map(|sku| json!({"sku": sku, "location_slug": slug, "stock": 3}))
        .collect();
    let req = json!({ "items": items }).to_string();
    run_json(req.replace("\"stock\":3", "\"stock\":1").as_bytes(), &opts).expect("first sync");
    let release = db.hold_stock_row(store.products[2], Duration::from_millis(600));
    let t0 = Instant::now();
    let out = run_json(req.as_bytes(), &opts).expect("sync");
    release.join().expect("holder thread");
    assert!(t0.elapsed() >= Duration::from_millis(500), "it waited");
    assert_eq!(out["stats"]["attempts"], json!(1), "{}", out["stats"]);
    assert_eq!(out["changes"]["meta_rows_inserted"], json!(0), "{out}");
    for p in &store.products {
        assert_eq!(db.meta(*p, &format!("_location_stock_{loc}")), vec!["3"]);
        assert_eq!(db.meta(*p, "_stock"), vec!["3"]);
    }
}
