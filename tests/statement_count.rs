//! The number of SQL statements of a request does not grow with its items. Counted twice: by
//! the engine itself and by the server, which counts every command of a user of its own made
//! for this test (`userstat`, information_schema.USER_STATISTICS), so that other clients of
//! the same server cannot blur the count.

mod common;

use common::run_json;
use common::{body, env, TestDb};
use mulopimfwc::options::{EngineOptions, OptValue};
use mysql::prelude::Queryable;
use serde_json::json;

const USER: &str = "mulopimfwc_stmt";
const PASS: &str = "stmt-pass-K2";

fn server_count(db: &mut TestDb) -> u64 {
    let row: Option<(u64,)> = db
        .conn
        .query_first(format!(
            "SELECT SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS FROM information_schema.USER_STATISTICS \
             WHERE USER = '{USER}'"
        ))
        .expect("user statistics");
    row.map(|r| r.0).unwrap_or(0)
}

/// The server's count once it has settled: MariaDB adds a command to the user's statistics when it has
/// finished it, which may be just after the client got its answer; so read until three reads 20 ms apart
/// agree (at most 2 s).
fn settled_count(db: &mut TestDb) -> u64 {
    let mut last = server_count(db);
    let mut same = 0;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let now = server_count(db);
        if now == last {
            same += 1;
            if same == 2 {
                break;
            }
        } else {
            same = 0;
            last = now;
        }
    }
    last
}

/// Statements the server counted for one request, and the engine's own count.
fn measured(db: &mut TestDb, opts: &EngineOptions, req: &str) -> (u64, u64) {
    // Warm the pool so that connecting is not counted.
    run_json(b"{\"items\": []}", opts).expect("warm-up");
    let before = settled_count(db);
    let out = run_json(req.as_bytes(), opts).expect("sync");
    let after = settled_count(db);
    let own = out["stats"]["statements"].as_u64().expect("engine count");
    (after - before, own)
}

#[test]
fn statements_per_request_do_not_grow_with_items() {
    let mut db = TestDb::new("statements", "wp_");
    let store = db.seed(5_000, 4);
    db.conn
        .query_drop(format!(
            "CREATE OR REPLACE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASS}'"
        ))
        .expect("user");
    db.conn
        .query_drop(format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON `{}`.* TO '{USER}'@'127.0.0.1'",
            db.name
        ))
        .expect("grant");
    db.conn
        .query_drop("SET GLOBAL userstat = 1")
        .expect("userstat");
    let opts = db.options_with(&[
        ("db_user", OptValue::Str(USER.into())),
        ("db_password", OptValue::Str(PASS.into())),
        (
            "db_host",
            OptValue::Str(format!("127.0.0.1:{}", env("MULOPIMFWC_DB_PORT"))),
        ),
    ]);
    // Stock 0 at every location: statuses and visibility change too. First on keys that have
    // no rows yet (inserts), then again on the same keys (updates only).
    for (what, stock) in [("new rows", 0), ("existing rows", 1)] {
        let small = body(&store, 10, stock);
        let large = body(&store, 5_000, stock);
        let (server_small, own_small) = measured(&mut db, &opts, &small);
        let (server_large, own_large) = measured(&mut db, &opts, &large);
        println!(
            "statements ({what}): 10 items -> {server_small} (engine {own_small}), 5000 items -> {server_large} (engine {own_large})"
        );
        assert_eq!(
            server_small, own_small,
            "the engine counts every statement it sends"
        );
        assert_eq!(
            server_large, own_large,
            "the engine counts every statement it sends"
        );
        assert_eq!(
            server_large, server_small,
            "{what}: 10 and 5,000 items take as many statements"
        );
        assert!(
            server_large <= 20,
            "a request stays within a small constant: {server_large}"
        );
    }
    let large = body(&store, 5_000, 2);
    let out = run_json(large.as_bytes(), &opts).expect("again");
    assert_eq!(out["results"]["success"], json!(5_000));
    db.conn
        .query_drop("SET GLOBAL userstat = 0")
        .expect("userstat off");
    db.conn
        .query_drop(format!("DROP USER IF EXISTS '{USER}'@'127.0.0.1'"))
        .expect("drop user");
}
