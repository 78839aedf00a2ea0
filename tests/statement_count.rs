//! The number of SQL statements of a request does not grow with its items. Counted twice: by
//! the engine itself and by the server's own status counter (`Questions`), which sees every
//! statement of the engine's connection. Alone in its test binary so that no other test's
//! statements land in the server-wide counter.

mod common;

use common::{body, TestDb};
use mulopimfwc::engine::run_json;
use mysql::prelude::Queryable;
use serde_json::json;

fn questions(db: &mut TestDb) -> u64 {
    let row: Option<(String, u64)> = db
        .conn
        .query_first("SHOW GLOBAL STATUS LIKE 'Questions'")
        .expect("status");
    row.map(|r| r.1).unwrap_or(0)
}

/// Statements the server saw for one request (less the one `SHOW` of our own). The counter is
/// server-wide, so anything else running can only add to it: the least of three tries counts.
fn measured(db: &mut TestDb, req: &str) -> (u64, u64) {
    let opts = db.options();
    // Warm the pool so that connecting is not counted.
    run_json(b"{\"items\": []}", &opts).expect("warm-up");
    let mut best = (u64::MAX, 0);
    for _ in 0..3 {
        let before = questions(db);
        let out = run_json(req.as_bytes(), &opts).expect("sync");
        let after = questions(db);
        let own = out["stats"]["statements"].as_u64().expect("engine count");
        if after - before - 1 < best.0 {
            best = (after - before - 1, own);
        }
    }
    best
}

#[test]
fn statements_per_request_do_not_grow_with_items() {
    let mut db = TestDb::new("statements", "wp_");
    let store = db.seed(5_000, 4);
    // Some products get a primary-location stock of 0 (status and visibility change too).
    let small = body(&store, 10, 0);
    let large = body(&store, 5_000, 0);
    let (server_small, own_small) = measured(&mut db, &small);
    // Reset to the same starting state shape: stock 5 again everywhere.
    let reset = body(&store, 5_000, 5);
    run_json(reset.as_bytes(), &db.options()).expect("reset");
    let (server_large, own_large) = measured(&mut db, &large);
    println!("statements: 10 items -> {server_small} (engine {own_small}), 5000 items -> {server_large} (engine {own_large})");
    assert!(
        server_small >= own_small,
        "the server saw at least the engine's statements"
    );
    assert!(
        server_large <= server_small + 2,
        "10 items: {server_small}, 5000 items: {server_large}"
    );
    assert!(
        server_large <= 20,
        "a request stays within a small constant: {server_large}"
    );
    let out = run_json(large.as_bytes(), &db.options()).expect("again");
    assert_eq!(out["results"]["success"], json!(5_000));
}
