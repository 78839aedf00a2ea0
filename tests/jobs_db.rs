//! Exactly once per chunk (tests/contract/README.md, the options): with `job_id` + `job_chunk` the
//! native engine claims the chunk's row of `{prefix}mulopimfwc_job_chunks` first in its write
//! transaction and marks it done, with the result, last before COMMIT. Real MariaDB.

mod common;

use common::run_json;
use common::TestDb;
use mulopimfwc::error::EngineError;
use mulopimfwc::options::{EngineOptions, OptValue};
use mysql::prelude::Queryable;
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// The design's DDL, verbatim but for the prefix.
const CHUNKS_DDL: &str = "CREATE TABLE {prefix}mulopimfwc_job_chunks (
  job_id bigint(20) unsigned NOT NULL,
  chunk_no int(10) unsigned NOT NULL,
  first_item int(10) unsigned NOT NULL,
  items int(10) unsigned NOT NULL,
  rejected int(10) unsigned NOT NULL DEFAULT 0,
  payload longtext NOT NULL,
  meta longtext NOT NULL,
  state varchar(12) NOT NULL DEFAULT 'pending',
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  action_id bigint(20) unsigned NOT NULL DEFAULT 0,
  started_at datetime NULL DEFAULT NULL,
  finished_at datetime NULL DEFAULT NULL,
  succeeded int(10) unsigned NOT NULL DEFAULT 0,
  failed int(10) unsigned NOT NULL DEFAULT 0,
  result longtext NULL,
  followons tinyint(1) NOT NULL DEFAULT 0,
  error text NULL,
  PRIMARY KEY  (job_id,chunk_no),
  KEY state (job_id,state)
)";

const JOB: u64 = 12;

/// A chunk row as the reader sees it: state, succeeded, failed, result, finished_at set.
type ChunkRow = (String, u64, u64, Option<String>, bool);

struct JobsDb {
    db: TestDb,
    store: common::Store,
}

impl JobsDb {
    fn new(tag: &str, prefix: &str) -> JobsDb {
        let mut db = TestDb::new(&format!("jobs_{tag}"), prefix);
        let store = db.seed(4, 2);
        db.conn
            .query_drop(CHUNKS_DDL.replace("{prefix}", prefix))
            .expect("job_chunks table");
        JobsDb { db, store }
    }

    fn chunks(&self) -> String {
        self.db.t("mulopimfwc_job_chunks")
    }

    fn add_chunk(&mut self, chunk: u64, state: &str) {
        let sql = format!(
            "INSERT INTO {} (job_id, chunk_no, first_item, items, payload, meta, state) \
             VALUES ({JOB}, {chunk}, 1, 3, '{{\"items\":[]}}', '{{\"rejected\":[],\"lines\":null}}', '{state}')",
            self.chunks()
        );
        self.db.conn.query_drop(sql).expect("chunk row");
    }

    fn chunk(&mut self, chunk: u64) -> Option<ChunkRow> {
        let sql = format!(
            "SELECT state, succeeded, failed, result, finished_at IS NOT NULL FROM {} \
             WHERE job_id = {JOB} AND chunk_no = {chunk}",
            self.chunks()
        );
        self.db.conn.query_first(sql).expect("chunk query")
    }

    fn options(&self, chunk: u64, extra: &[(&str, OptValue)]) -> EngineOptions {
        let mut all = vec![
            ("job_id", OptValue::Int(JOB as i64)),
            ("job_chunk", OptValue::Int(chunk as i64)),
        ];
        all.extend_from_slice(extra);
        self.db.options_with(&all)
    }

    /// Every product's stock at the first location is `want`.
    fn assert_stock(&mut self, want: i64, why: &str) {
        let (loc, _) = self.store.locations[0];
        for p in self.store.products.clone() {
            let got = self.db.meta(p, &format!("_location_stock_{loc}"));
            assert_eq!(got, vec![want.to_string()], "product {p}: {why}");
        }
    }

    /// Every product's stock at the first location set to `stock` (no job).
    fn set_stock(&mut self, stock: i64) {
        let slug = &self.store.locations[0].1;
        let items: Vec<Value> = self
            .store
            .skus
            .iter()
            .map(|sku| json!({"sku": sku, "location_slug": slug, "stock": stock}))
            .collect();
        run_json(
            json!({ "items": items }).to_string().as_bytes(),
            &self.db.options(),
        )
        .expect("set stock");
    }

    /// Every product's stock at the first location moved by `by`, and one unknown SKU (fails).
    fn adjust_body(&self, by: i64) -> String {
        let slug = &self.store.locations[0].1;
        let mut items: Vec<Value> = self
            .store
            .skus
            .iter()
            .map(|sku| json!({"sku": sku, "location_slug": slug, "stock_adjust": by}))
            .collect();
        items.push(json!({"sku": "NOPE", "location_slug": slug, "stock_adjust": by}));
        json!({ "items": items }).to_string()
    }
}

fn without_timings(mut v: Value) -> Value {
    if let Some(map) = v.as_object_mut() {
        map.remove("timings");
    }
    v
}

#[test]
fn the_chunk_is_marked_done_with_the_result_in_the_write_transaction() {
    let mut j = JobsDb::new("mark", "wp_7_");
    j.set_stock(10);
    j.add_chunk(3, "pending");
    j.add_chunk(4, "pending");
    let meta_writes = ("report_meta_writes", OptValue::Bool(true));
    // The same request without the job options first, for its statement count.
    let plain = run_json(
        j.adjust_body(5).as_bytes(),
        &j.db.options_with(std::slice::from_ref(&meta_writes)),
    )
    .expect("plain run");
    let out = run_json(j.adjust_body(5).as_bytes(), &j.options(3, &[meta_writes]))
        .expect("chunk applies");
    assert_eq!(out["results"]["success"], json!(4), "{out}");
    j.assert_stock(20, "adjusted twice, once as the chunk");
    // Two statements more: the claim and the mark.
    assert_eq!(
        out["stats"]["statements"].as_u64(),
        plain["stats"]["statements"].as_u64().map(|n| n + 2),
        "{} / {}",
        out["stats"],
        plain["stats"]
    );
    let (state, succeeded, failed, result, finished) = j.chunk(3).expect("chunk row");
    assert_eq!(
        (state.as_str(), succeeded, failed, finished),
        ("done", 4, 1, true)
    );
    let stored: Value = serde_json::from_str(&result.expect("result stored")).expect("JSON");
    // What the call returned, less its timings (stats included: they count the UPDATE and COMMIT).
    assert!(stored.get("timings").is_none());
    assert_eq!(stored, without_timings(out.clone()));
    assert_eq!(
        stored["results"]["items_failed"],
        json!([{"index": 5, "code": "product_not_found", "field": "sku",
                "message": "Product not found.", "sku": "NOPE", "location_slug": "loc-0"}])
    );
    assert_eq!(stored["engine"], json!("native"));
    assert_eq!(
        stored["meta_writes"].as_array().map(Vec::len),
        Some(4 + 4),
        "{stored}"
    );
    // Only that chunk's row.
    assert_eq!(j.chunk(4), Some(("pending".into(), 0, 0, None, false)));
}

#[test]
fn a_second_run_of_the_chunk_writes_nothing() {
    let mut j = JobsDb::new("again", "wp_");
    j.set_stock(10);
    j.add_chunk(3, "pending");
    let opts = j.options(3, &[]);
    let body = j.adjust_body(5);
    run_json(body.as_bytes(), &opts).expect("first run");
    let done = j.chunk(3);
    let before = j.db.fingerprint();
    let err = run_json(body.as_bytes(), &opts).expect_err("second run");
    assert_eq!(
        err,
        EngineError::JobChunkNotPending {
            job_id: JOB,
            chunk: 3,
            state: "done".into()
        }
    );
    assert_eq!((err.code(), err.status()), ("job_chunk_not_pending", 409));
    assert_eq!(
        err.to_string(),
        "Job 12 chunk 3 is done: nothing was written."
    );
    assert_eq!(j.db.fingerprint(), before);
    assert_eq!(j.chunk(3), done);
    j.assert_stock(15, "adjusted once");
    // Any state but pending: a cancelled chunk is not applied either, and says so.
    j.add_chunk(5, "cancelled");
    let err = run_json(body.as_bytes(), &j.options(5, &[])).expect_err("cancelled");
    assert_eq!(
        err.to_string(),
        "Job 12 chunk 5 is cancelled: nothing was written."
    );
    assert_eq!(j.db.fingerprint(), before);
}

#[test]
fn a_missing_chunk_row_writes_nothing() {
    let mut j = JobsDb::new("missing", "wp_");
    j.add_chunk(0, "pending");
    let before = j.db.fingerprint();
    let err = run_json(j.adjust_body(5).as_bytes(), &j.options(1, &[])).expect_err("no row");
    assert_eq!((err.code(), err.status()), ("job_chunk_missing", 404));
    assert_eq!(
        err.to_string(),
        "Job 12 has no chunk 1: nothing was written."
    );
    assert_eq!(j.db.fingerprint(), before);
    assert_eq!(j.chunk(0), Some(("pending".into(), 0, 0, None, false)));
    assert_eq!(j.chunk(1), None);
}

#[test]
fn a_failure_before_commit_leaves_the_chunk_pending_and_nothing_written() {
    let mut j = JobsDb::new("fail", "wp_");
    j.set_stock(10);
    j.add_chunk(3, "pending");
    let opts = j.options(3, &[]);
    let body = j.adjust_body(5);
    let before = j.db.fingerprint();
    let pending = j.chunk(3);
    // 1. The mark itself fails (the last statement before COMMIT): the writes go too.
    // 2. A write fails (post_modified, after the postmeta rows): the chunk stays pending.
    for (table, what) in [(j.chunks(), "mark"), (j.db.t("posts"), "write")] {
        j.db.conn
            .query_drop(format!(
                "CREATE TRIGGER fail_update BEFORE UPDATE ON {table} FOR EACH ROW \
                 SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected'"
            ))
            .expect("trigger");
        let err = run_json(body.as_bytes(), &opts).expect_err(what);
        assert_eq!(err.code(), "mulopimfwc_db_error", "{what}");
        assert_eq!(j.db.fingerprint(), before, "{what}");
        assert_eq!(j.chunk(3), pending, "{what}");
        j.db.conn
            .query_drop("DROP TRIGGER fail_update")
            .expect("drop");
    }
    // The retry a runner makes then applies it, once.
    run_json(body.as_bytes(), &opts).expect("retry");
    assert_eq!(j.chunk(3).map(|c| c.0), Some("done".to_string()));
    j.assert_stock(15, "applied by the retry, once");
}

#[test]
fn the_engines_own_retry_claims_the_chunk_again() {
    // A held row after new rows were inserted fails the first attempt at once (NOWAIT, see
    // engine_db.rs); the second attempt re-claims the chunk (the rollback released it) and marks it.
    let mut j = JobsDb::new("retry", "wp_");
    j.add_chunk(3, "pending");
    let release =
        j.db.hold_stock_row(j.store.products[2], Duration::from_millis(600));
    let out = run_json(j.adjust_body(5).as_bytes(), &j.options(3, &[])).expect("sync");
    release.join().expect("holder thread");
    assert_eq!(out["stats"]["attempts"], json!(2), "{}", out["stats"]);
    let (state, succeeded, _, result, _) = j.chunk(3).expect("row");
    assert_eq!((state.as_str(), succeeded), ("done", 4));
    let stored: Value = serde_json::from_str(&result.unwrap_or_default()).expect("JSON");
    assert_eq!(stored, without_timings(out));
    j.assert_stock(5, "from no row: 0 + 5");
}

#[test]
fn a_dry_run_ignores_the_job_options() {
    let mut j = JobsDb::new("dry", "wp_");
    j.add_chunk(3, "pending");
    let before = j.db.fingerprint();
    let body = j.adjust_body(5);
    let plain = run_json(
        body.as_bytes(),
        &j.db.options_with(&[("dry_run", OptValue::Bool(true))]),
    )
    .expect("dry run");
    // Chunk 3 exists and is pending, chunk 9 does not exist: neither is looked at.
    for chunk in [3, 9] {
        let out = run_json(
            body.as_bytes(),
            &j.options(chunk, &[("dry_run", OptValue::Bool(true))]),
        )
        .expect("dry run with the job options");
        assert_eq!(out["dry_run"], json!(true));
        assert_eq!(out["results"]["success"], json!(4));
        // Not one statement more than the same dry run without them.
        assert_eq!(out["stats"], plain["stats"]);
    }
    // The body's own "dry_run": true too.
    let dry_body = body.replacen('{', "{\"dry_run\":true,", 1);
    let out = run_json(dry_body.as_bytes(), &j.options(9, &[])).expect("body dry run");
    assert_eq!(out["dry_run"], json!(true));
    assert_eq!(j.db.fingerprint(), before);
    assert_eq!(j.chunk(3), Some(("pending".into(), 0, 0, None, false)));
}

#[test]
fn two_concurrent_runs_of_one_chunk_apply_it_once() {
    let mut j = JobsDb::new("race", "wp_");
    j.set_stock(10);
    let body = Arc::new(j.adjust_body(5));
    let mut expected = 10;
    for chunk in 0..4u64 {
        j.add_chunk(chunk, "pending");
        let opts = j.options(chunk, &[]);
        let gate = Arc::new(Barrier::new(2));
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (opts, gate, body) = (opts.clone(), gate.clone(), body.clone());
                std::thread::spawn(move || {
                    gate.wait();
                    run_json(body.as_bytes(), &opts)
                })
            })
            .collect();
        let results: Vec<Result<Value, EngineError>> = runs
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        let applied = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(e) if e.code() == "job_chunk_not_pending"))
            .count();
        assert_eq!((applied, refused), (1, 1), "chunk {chunk}: {results:?}");
        expected += 5;
        j.assert_stock(expected, &format!("chunk {chunk}"));
        assert_eq!(j.chunk(chunk).map(|c| (c.0, c.1)), Some(("done".into(), 4)));
    }
    assert_eq!(j.db.duplicate_keys(), 0);
}
