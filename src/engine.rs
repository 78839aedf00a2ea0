//! Orchestration: parse → validate → (connect) → resolve → lock, read, plan, write in one
//! transaction, retried on deadlock or a lost connection → report.
//!
//! The number of statements does not grow with the number of items: every lookup is one set
//! query (split only when it would not fit the server's packet size), every write one multi-row
//! statement per packet-sized chunk.

use crate::error::{EngineError, ItemError};
use crate::meta_log::{self, LoggedWrite, MetaOp};
use crate::options::{absint, EngineOptions, JobChunk, OptValue, Primary};
use crate::plan::{self, MetaWrite, Settings, Snapshot};
use crate::request::{self, sku_key, ItemFields};
use crate::resolve::{Lookups, PostInfo, PostType, Resolved};
use crate::response::{self, Report};
use crate::slug::{SlugSanitizer, Slugs};
use crate::sql::{chunked, id_list, location_keys, push_str_lit, str_list, str_lit, Tables};
use crate::store::{self, DbFailure, Session};
use crate::timing::{Phase, Timings};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// A SKU longer than this is not looked up (it is not found): no store has one, and a
/// lookup must fit in one packet whatever a request sends.
pub const MAX_SKU_BYTES: usize = 64 * 1024;

/// WooCommerce's own meta keys the plan reads for every post involved.
const OWN_KEYS: [&str; 5] = [
    "_regular_price",
    "_manage_stock",
    "_stock",
    "_stock_status",
    "_backorders",
];

/// How often a transaction is tried before the request fails with 503.
const ATTEMPTS: u32 = 4;

/// Entry point for a raw JSON body. `slugs` is the site's `sanitize_title()`, asked once for
/// the distinct `location_slug` values of the request (see `slug`).
pub fn run_json(
    body: &[u8],
    opts: &EngineOptions,
    slugs: &dyn SlugSanitizer,
) -> Result<Value, EngineError> {
    let started = Instant::now();
    let mut clock = Timings::default();
    let body = clock.time(Phase::Parse, || request::parse_body(body))?;
    run_body(body, opts, slugs, started, clock)
}

/// Entry point for an already decoded body (PHP arrays).
pub fn run_value(
    body: Value,
    opts: &EngineOptions,
    slugs: &dyn SlugSanitizer,
) -> Result<Value, EngineError> {
    run_value_since(body, opts, slugs, Instant::now())
}

/// `run_value` for a body whose decoding started at `started` (that time counts as `parse`).
pub fn run_value_since(
    body: Value,
    opts: &EngineOptions,
    slugs: &dyn SlugSanitizer,
    started: Instant,
) -> Result<Value, EngineError> {
    let mut clock = Timings::default();
    let body = request::body_of(body);
    clock.add(Phase::Parse, started);
    run_body(body?, opts, slugs, started, clock)
}

/// Why an attempt stopped.
enum Stop {
    /// The database: maybe worth another attempt.
    Db(DbFailure),
    /// The request cannot run at all (its slugs could not be sanitized): no retry.
    Request(EngineError),
}

impl From<DbFailure> for Stop {
    fn from(f: DbFailure) -> Stop {
        Stop::Db(f)
    }
}

/// Runs a parsed body; `started` is when the call began, `clock` has the parse's time.
fn run_body(
    body: request::Body,
    opts: &EngineOptions,
    slugs: &dyn SlugSanitizer,
    started: Instant,
    mut clock: Timings,
) -> Result<Value, EngineError> {
    let dry_run = opts.dry_run || body.dry_run;
    if body.items.len() > opts.max_items {
        return Err(EngineError::TooManyItems {
            count: body.items.len(),
            limit: opts.max_items,
        });
    }
    let mut items = Some(body.items);
    let mut prepared: Option<Prepared> = None;
    let mut session = store::checkout(&opts.db)?;
    let mut attempt = 0;
    // After a lock conflict the next attempts take the rows post by post (see `Order`).
    let mut order = Order::Bulk;
    loop {
        attempt += 1;
        match attempt_once(
            &mut session,
            opts,
            slugs,
            dry_run,
            order,
            &mut items,
            &mut prepared,
            &mut clock,
            attempt,
        ) {
            Ok((report, p, recorded)) => {
                let stats = response::Stats {
                    statements: session.statements,
                    attempts: attempt,
                };
                store::checkin(&opts.db, session);
                // A job chunk's result was built before its COMMIT, with these same figures.
                let mut out = recorded
                    .unwrap_or_else(|| response::build(&report, &p.identifiers, stats, dry_run));
                drop((report, prepared));
                store::release_memory();
                if let Some(map) = out.as_object_mut() {
                    map.insert("timings".into(), clock.to_json(started.elapsed()));
                }
                return Ok(out);
            }
            Err(Stop::Request(e)) => {
                session.rollback_quietly();
                store::checkin(&opts.db, session);
                return Err(e);
            }
            Err(Stop::Db(failure)) => {
                let retryable = matches!(failure, DbFailure::Retry(_) | DbFailure::Lost);
                if !retryable || attempt >= ATTEMPTS {
                    session.rollback_quietly();
                    if failure != DbFailure::Lost {
                        store::checkin(&opts.db, session);
                    }
                    return Err(failure.into_engine_error());
                }
                // Roll back before waiting: the locks and fresh rows of this attempt may be what
                // another session (an order's stock decrement) waits for.
                if failure == DbFailure::Lost {
                    std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
                    session = store::Session::connect(&opts.db)?;
                } else {
                    session.rollback_quietly();
                    order = Order::PostByPost;
                    std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
                }
            }
        }
    }
}

/// The request's items, validated once; the raw JSON is dropped as soon as they are.
struct Prepared {
    site: Site,
    fields: Vec<Result<ItemFields, ItemError>>,
    /// Each item's identifiers as given, for `items_failed`.
    identifiers: request::Identifiers,
    /// The request's distinct location slugs as the site sanitizes them.
    slugs: Slugs,
}

#[allow(clippy::too_many_arguments)]
fn attempt_once<'p>(
    s: &mut Session,
    opts: &EngineOptions,
    sanitizer: &dyn SlugSanitizer,
    dry_run: bool,
    order: Order,
    items: &mut Option<request::Items>,
    prepared: &'p mut Option<Prepared>,
    clock: &mut Timings,
    attempt: u32,
) -> Result<(Report, &'p Prepared, Option<Value>), Stop> {
    let t = Tables::new(&opts.table_prefix);
    let p = match prepared {
        Some(p) => p,
        None => {
            let site = clock.time(Phase::Resolve, || read_site(s, &t, opts))?;
            let validating = Instant::now();
            let raw = items.take().unwrap_or_default();
            let (fields, identifiers) = request::prepare(raw, &site.decimal_sep);
            clock.add(Phase::Parse, validating);
            // One call into the site for the distinct slugs, before any lock is taken.
            let slugs = clock
                .time(Phase::Resolve, || {
                    Slugs::resolve(raw_slugs(&fields), sanitizer)
                })
                .map_err(Stop::Request)?;
            prepared.insert(Prepared {
                site,
                fields,
                identifiers,
                slugs,
            })
        }
    };
    // A dry run ignores `job_id` + `job_chunk`: no claim, no mark.
    let job = opts.job.filter(|_| !dry_run).map(|chunk| JobMark {
        chunk,
        identifiers: &p.identifiers,
        attempt,
    });
    let (report, recorded) = sync_once(
        s,
        &t,
        &p.site,
        &p.fields,
        &p.slugs,
        dry_run,
        order,
        opts.report_meta_writes,
        clock,
        job,
    )?;
    Ok((report, p, recorded))
}

/// A job chunk this call applies (options `job_id` + `job_chunk`, tests/contract/README.md):
/// claimed as the transaction's first lock, marked done with the result in the same transaction.
struct JobMark<'a> {
    chunk: JobChunk,
    /// For the result stored with the chunk.
    identifiers: &'a request::Identifiers,
    attempt: u32,
}

fn job_chunks_table(t: &Tables) -> String {
    format!("`{}mulopimfwc_job_chunks`", t.prefix)
}

/// Right after `START TRANSACTION`: locks the chunk's row, which must be `pending`. Otherwise
/// the request fails as a whole (not retried); the caller rolls back.
fn claim_chunk(s: &mut Session, t: &Tables, job: JobChunk) -> Result<(), Stop> {
    let rows: Vec<(String,)> = s.rows(&format!(
        "SELECT state FROM {} WHERE job_id = {} AND chunk_no = {} FOR UPDATE",
        job_chunks_table(t),
        job.job_id,
        job.chunk_no
    ))?;
    match rows.into_iter().next() {
        None => Err(Stop::Request(EngineError::JobChunkMissing {
            job_id: job.job_id,
            chunk: job.chunk_no,
        })),
        Some((state,)) if state == "pending" => Ok(()),
        Some((state,)) => Err(Stop::Request(EngineError::JobChunkNotPending {
            job_id: job.job_id,
            chunk: job.chunk_no,
            state,
        })),
    }
}

/// Right before `COMMIT`: the chunk's row becomes `done` with the result (as the call returns it,
/// without `timings`), which is returned. Its `stats` count this UPDATE and the COMMIT to come.
fn mark_chunk_done(
    s: &mut Session,
    t: &Tables,
    job: &JobMark,
    report: &Report,
) -> Result<Value, DbFailure> {
    let stats = response::Stats {
        statements: s.statements + 2,
        attempts: job.attempt,
    };
    let out = response::build(report, job.identifiers, stats, false);
    let count = |k: &str| out["results"][k].as_u64().unwrap_or(0);
    let mut sql = format!(
        "UPDATE {} SET state = 'done', succeeded = {}, failed = {}, result = ",
        job_chunks_table(t),
        count("success"),
        count("failed"),
    );
    push_str_lit(&mut sql, &out.to_string());
    sql.push_str(&format!(
        ", finished_at = UTC_TIMESTAMP() WHERE job_id = {} AND chunk_no = {}",
        job.chunk.job_id, job.chunk.chunk_no
    ));
    s.exec(&sql)?;
    Ok(out)
}

/// In which order an attempt inserts the rows that do not exist yet and locks the rows it read.
///
/// An order's stock decrement (`UPDATE ... SET meta_value = meta_value - 1 WHERE post_id = X AND
/// meta_key = '_stock'`, REPEATABLE READ) locks post X's rows one by one in `meta_id` order through
/// the `post_id` index, and then the gap after them. A new row of post X goes after X's rows in
/// that index. So a transaction that inserts a row of X and only then locks X's older rows can
/// meet a decrement that scanned up to the new row in between: each waits for the other, and
/// InnoDB rolls back the smaller one, the decrement, which WooCommerce does not retry. And one
/// that holds rows of the next post while it inserts into X's gap can meet that post's decrement,
/// whose waiting gap lock blocks the insert.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    /// Insert every new row, then lock every row read in `meta_id` order, without waiting
    /// (`NOWAIT`) when rows were inserted: a row another session holds then fails the attempt at
    /// once, before a wait cycle can form, and the next attempt goes post by post. A constant
    /// number of statements. (A server without NOWAIT, MariaDB < 10.3 or MySQL < 8.0, goes post
    /// by post whenever there are new rows.)
    Bulk,
    /// In post id order: lock a post's rows, then insert its new rows, before any row of a later
    /// post is locked. No cycle with a decrement can form, whatever it holds; two statements per
    /// post that needs new rows.
    PostByPost,
}

/// Site options the engine reads when the caller did not pass them.
struct Site {
    primary: Primary,
    threshold: i64,
    decimal_sep: String,
    /// SQL for `post_modified` and `post_modified_gmt`: the caller's clock (WordPress's
    /// `current_time()`), else the server's UTC clock shifted by the site's `gmt_offset`.
    now_local: String,
    now_gmt: String,
    outofstock_tt: Option<u64>,
    has_lookup: bool,
}

fn read_site(s: &mut Session, t: &Tables, opts: &EngineOptions) -> Result<Site, DbFailure> {
    let sql = format!(
        "SELECT 'o', CAST(option_name AS BINARY), CAST(option_value AS BINARY) FROM {opt} WHERE option_name IN ({names}) \
         UNION ALL SELECT 't', CAST(tt.term_taxonomy_id AS BINARY), '' FROM {tt} tt \
           JOIN {terms} t ON t.term_id = tt.term_id \
           WHERE tt.taxonomy = 'product_visibility' AND t.slug = 'outofstock' \
         UNION ALL SELECT 'l', CAST(COUNT(*) AS BINARY), '' FROM information_schema.TABLES \
           WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lookup}",
        opt = t.options,
        tt = t.term_taxonomy,
        terms = t.terms,
        names = str_list([
            "mulopimfwc_primary_location",
            "woocommerce_notify_no_stock_amount",
            "woocommerce_price_decimal_sep",
            "gmt_offset",
        ]),
        lookup = str_lit(&format!("{}wc_product_meta_lookup", t.prefix)),
    );
    let rows: Vec<(String, Vec<u8>, Vec<u8>)> = s.rows(&sql)?;
    let mut options: HashMap<String, OptValue> = HashMap::new();
    let mut outofstock_tt = None;
    let mut has_lookup = false;
    for (kind, a, b) in rows {
        let a = String::from_utf8_lossy(&a).into_owned();
        match kind.as_str() {
            "o" => {
                options.insert(a, OptValue::Str(String::from_utf8_lossy(&b).into_owned()));
            }
            "t" => outofstock_tt = a.parse().ok(),
            _ => has_lookup = a != "0",
        }
    }
    let primary = Primary::from_option(
        opts.primary_location
            .as_ref()
            .or(options.get("mulopimfwc_primary_location")),
    );
    let threshold = absint(
        opts.notify_no_stock_amount
            .as_ref()
            .or(options.get("woocommerce_notify_no_stock_amount")),
    );
    let decimal_sep = match (
        &opts.price_decimal_sep,
        options.get("woocommerce_price_decimal_sep"),
    ) {
        (Some(sep), _) => sep.clone(),
        (None, Some(OptValue::Str(sep))) => sep.clone(),
        _ => ".".to_string(),
    };
    let gmt_offset_secs = match options.get("gmt_offset") {
        Some(OptValue::Str(v)) => v
            .trim()
            .parse::<f64>()
            .map(|h| (h * 3600.0) as i64)
            .unwrap_or(0),
        _ => 0,
    };
    let now_gmt = match &opts.now_gmt {
        Some(v) => str_lit(v),
        None => "UTC_TIMESTAMP()".to_string(),
    };
    let now_local = match &opts.now_local {
        Some(v) => str_lit(v),
        None => format!("DATE_ADD(UTC_TIMESTAMP(), INTERVAL {gmt_offset_secs} SECOND)"),
    };
    Ok(Site {
        primary,
        threshold,
        decimal_sep,
        now_local,
        now_gmt,
        outofstock_tt,
        has_lookup,
    })
}

/// Runs the IN-list query `head (list) tail` in as many statements as the packet needs.
fn rows_in<T: mysql::prelude::FromRow>(
    s: &mut Session,
    head: &str,
    parts: impl IntoIterator<Item = String>,
    tail: &str,
) -> Result<Vec<T>, DbFailure> {
    let mut out = Vec::new();
    let budget = s.packet_budget;
    for sql in chunked(head, ",", tail, parts, budget) {
        out.extend(s.rows::<T>(&sql)?);
    }
    Ok(out)
}

/// Integers as SQL list parts, made as the statements are built.
fn ids_parts(ids: impl IntoIterator<Item = u64>) -> impl Iterator<Item = String> {
    ids.into_iter().map(|i| i.to_string())
}

/// The `location_slug` of every well-formed item, as given (repeats included).
fn raw_slugs(fields: &[Result<ItemFields, ItemError>]) -> impl Iterator<Item = &str> {
    fields
        .iter()
        .flatten()
        .filter_map(|f| f.location.slug.as_deref())
}

/// Finds every product id, SKU, location id and slug of the request with set queries.
fn lookup(
    s: &mut Session,
    t: &Tables,
    fields: &[Result<ItemFields, ItemError>],
    sanitized: &Slugs,
) -> Result<Lookups, DbFailure> {
    let mut ids = BTreeSet::new();
    let mut skus = BTreeSet::new();
    let mut loc_ids = BTreeSet::new();
    let slugs: BTreeSet<&str> = sanitized.sanitized().collect();
    for f in fields.iter().flatten() {
        if let Some(id) = f.product_id {
            ids.insert(id);
        }
        if let Some(sku) = f.sku.as_deref().filter(|s| s.len() <= MAX_SKU_BYTES) {
            skus.insert(sku);
        }
        if let Some(id) = f.location.id {
            loc_ids.insert(id);
        }
    }
    let mut l = Lookups::default();
    let by_id: Vec<(u64,)> = rows_in(
        s,
        &format!(
            "SELECT ID FROM {posts} WHERE post_type IN ('product','product_variation') AND ID IN (",
            posts = t.posts,
        ),
        ids_parts(ids),
        ")",
    )?;
    for (id,) in by_id {
        l.add_product(id);
    }
    let wanted: BTreeSet<String> = skus.iter().map(|s| sku_key(s)).collect();
    let by_sku: Vec<(u64, String)> = rows_in(
        s,
        &format!(
            // STRAIGHT_JOIN: the matching `_sku` rows first, then their posts by id (the other
            // order reads every product's meta rows).
            "SELECT STRAIGHT_JOIN pm.post_id, pm.meta_value FROM {pm} pm JOIN {posts} p ON p.ID = pm.post_id \
             WHERE pm.meta_key = '_sku' AND p.post_type IN ('product','product_variation') \
             AND p.post_status <> 'trash' AND pm.meta_value IN (",
            posts = t.posts,
            pm = t.postmeta
        ),
        skus.iter().map(|s| str_lit(s)),
        ")",
    )?;
    for (id, sku) in &by_sku {
        if wanted.contains(&sku_key(sku)) {
            l.add_sku_match(*id, sku);
        }
    }
    if !loc_ids.is_empty() || !slugs.is_empty() {
        let sql = format!(
            "SELECT t.term_id, t.slug FROM {terms} t JOIN {tt} tt ON tt.term_id = t.term_id \
             WHERE tt.taxonomy = 'mulopimfwc_store_location' AND (t.term_id IN ({ids}) OR t.slug IN ({slugs}))",
            terms = t.terms,
            tt = t.term_taxonomy,
            ids = if loc_ids.is_empty() { "0".into() } else { id_list(loc_ids) },
            slugs = if slugs.is_empty() { "''".into() } else { str_list(slugs) },
        );
        let rows: Vec<(u64, String)> = s.rows(&sql)?;
        for (id, slug) in rows {
            l.add_location(id, &slug);
        }
        l.name_slugs(sanitized);
    }
    Ok(l)
}

/// Inserts the rows the first plan found missing (`new_rows`) and locks the meta rows it read
/// (by primary key, in id order), in `order` (see `Order` for why these two steps are ordered at
/// all); then reads the locked rows again. Afterwards the snapshot holds the locked rows' current
/// values and the fresh rows: what the final plan is built from.
///
/// Only the rows themselves are locked, no `post_id` index entry (updates of `meta_value` do not
/// touch it): a decrement that comes later waits for this transaction holding nothing it needs.
fn insert_and_lock(
    s: &mut Session,
    t: &Tables,
    items: &[Result<Resolved, ItemError>],
    snap: &mut Snapshot,
    new_rows: &[&MetaWrite],
    order: Order,
) -> Result<(), DbFailure> {
    let mut read: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (post, keys) in &snap.meta {
        read.entry(*post).or_default().extend(
            keys.values()
                .flat_map(|rows| rows.iter().map(|(id, _)| *id)),
        );
    }
    snap.meta.clear();
    let mut fresh: Option<Vec<FreshRow>> = Some(Vec::with_capacity(new_rows.len()));
    // A server without NOWAIT cannot fail the bulk lock fast: new rows then go post by post.
    let order = if !s.nowait && !new_rows.is_empty() {
        Order::PostByPost
    } else {
        order
    };
    match order {
        Order::Bulk => {
            insert_fresh(s, t, new_rows, &mut fresh)?;
            let mut ids: Vec<u64> = read.into_values().flatten().collect();
            ids.sort_unstable();
            // Here the server has NOWAIT whenever rows were inserted (else: post by post).
            lock_rows(s, t, ids, !new_rows.is_empty(), snap)?;
        }
        Order::PostByPost => {
            let mut by_post: BTreeMap<u64, Vec<&MetaWrite>> = BTreeMap::new();
            for w in new_rows {
                by_post.entry(w.post_id).or_default().push(w);
            }
            let posts: BTreeSet<u64> = read.keys().chain(by_post.keys()).copied().collect();
            // The rows of posts without new rows join the next lock statement.
            let mut pending: Vec<u64> = Vec::new();
            for post in posts {
                pending.extend(read.remove(&post).unwrap_or_default());
                if let Some(writes) = by_post.get(&post) {
                    pending.sort_unstable();
                    lock_rows(s, t, std::mem::take(&mut pending), false, snap)?;
                    insert_fresh(s, t, writes, &mut fresh)?;
                }
            }
            pending.sort_unstable();
            lock_rows(s, t, pending, false, snap)?;
        }
    }
    match fresh {
        Some(rows) => {
            for (post, key, id, value) in rows {
                snap.add_row(post, key, id, value);
            }
        }
        // The server did not say which ids the inserts got: read the rows again (the rows of
        // this transaction's own inserts are its own; the others are locked now).
        None => read_meta(s, t, items, snap)?,
    }
    snap.sort_rows();
    Ok(())
}

/// Locks meta rows by primary key (`ids` in ascending order) and reads them into the snapshot;
/// with `nowait`, a row another session holds fails the statement at once instead of waiting.
fn lock_rows(
    s: &mut Session,
    t: &Tables,
    ids: Vec<u64>,
    nowait: bool,
    snap: &mut Snapshot,
) -> Result<(), DbFailure> {
    if ids.is_empty() {
        return Ok(());
    }
    let head = format!(
        "SELECT meta_id, post_id, meta_key, meta_value FROM {} WHERE meta_id IN (",
        t.postmeta
    );
    let tail = if nowait {
        ") FOR UPDATE NOWAIT"
    } else {
        ") FOR UPDATE"
    };
    let locking = chunked(&head, ",", tail, ids_parts(ids), s.packet_budget);
    load_rows(s, locking, snap)
}

/// A row this transaction inserted: (post, key, meta_id, value).
type FreshRow = (u64, String, u64, String);

/// Inserts new meta rows (no `meta_id`); adds each row's (post, key, id, value) to `out` when
/// the server hands out consecutive ids for a multi-row insert, else makes it `None`.
fn insert_fresh(
    s: &mut Session,
    t: &Tables,
    writes: &[&MetaWrite],
    out: &mut Option<Vec<FreshRow>>,
) -> Result<(), DbFailure> {
    let head = format!(
        "INSERT INTO {} (meta_id, post_id, meta_key, meta_value) VALUES ",
        t.postmeta
    );
    let mut sql = String::new();
    let mut batch: Vec<&MetaWrite> = Vec::new();
    let flush = |s: &mut Session,
                 sql: &mut String,
                 batch: &mut Vec<&MetaWrite>,
                 out: &mut Option<Vec<FreshRow>>|
     -> Result<(), DbFailure> {
        if batch.is_empty() {
            return Ok(());
        }
        let inserted = s.exec(sql)?;
        let first = s.last_insert_id();
        match out {
            Some(v) if s.consecutive_ids && inserted == batch.len() as u64 && first > 0 => {
                for (i, w) in batch.iter().enumerate() {
                    v.push((w.post_id, w.key.clone(), first + i as u64, w.value.clone()));
                }
            }
            _ => *out = None,
        }
        sql.clear();
        batch.clear();
        Ok(())
    };
    for w in writes {
        let part = meta_tuple(w);
        if !sql.is_empty() && sql.len() + part.len() + 1 > s.packet_budget {
            flush(s, &mut sql, &mut batch, out)?;
        }
        if sql.is_empty() {
            sql.push_str(&head);
        } else {
            sql.push(',');
        }
        sql.push_str(&part);
        batch.push(w);
    }
    flush(s, &mut sql, &mut batch, out)?;
    Ok(())
}

/// Reads each meta row the plan can need, once (replacing what the snapshot held): WooCommerce's
/// own keys of every post involved, and a location's keys only of the posts that have items there. A plain read: with the posts locked (and, for the final plan, the rows too) it
/// sees the latest committed values.
fn read_meta(
    s: &mut Session,
    t: &Tables,
    items: &[Result<Resolved, ItemError>],
    snap: &mut Snapshot,
) -> Result<(), DbFailure> {
    let pm = &t.postmeta;
    let head = |keys: &[String]| {
        format!(
            "SELECT meta_id, post_id, meta_key, meta_value FROM {pm} WHERE meta_key IN ({}) AND post_id IN (",
            str_list(keys.iter().map(String::as_str))
        )
    };
    // Each post is read once, for WooCommerce's own keys and the keys of the locations it has
    // items at: posts are grouped by that set of locations (usually one per post).
    let mut terms_of: BTreeMap<u64, BTreeSet<u64>> =
        snap.posts.keys().map(|p| (*p, BTreeSet::new())).collect();
    for r in items.iter().flatten() {
        terms_of.entry(r.post_id).or_default().insert(r.term_id);
    }
    let mut groups: BTreeMap<BTreeSet<u64>, Vec<u64>> = BTreeMap::new();
    for (post, terms) in terms_of {
        groups.entry(terms).or_default().push(post);
    }
    let mut selects = Vec::new();
    for (terms, posts) in groups {
        let mut keys: Vec<String> = OWN_KEYS.iter().map(|k| k.to_string()).collect();
        keys.extend(location_keys(terms));
        selects.extend(chunked(
            &head(&keys),
            ",",
            ")",
            ids_parts(posts),
            s.packet_budget / 2,
        ));
    }
    snap.meta.clear();
    let union = chunked("", " UNION ALL ", "", selects, s.packet_budget);
    load_rows(s, union, snap)?;
    snap.sort_rows();
    Ok(())
}

/// Runs `SELECT meta_id, post_id, meta_key, meta_value ...` statements into the snapshot.
fn load_rows(
    s: &mut Session,
    sqls: impl IntoIterator<Item = String>,
    snap: &mut Snapshot,
) -> Result<(), DbFailure> {
    for sql in sqls {
        s.each_row::<(u64, u64, String, Option<String>)>(
            &sql,
            |(meta_id, post_id, key, value)| {
                snap.add_row(post_id, key, meta_id, value.unwrap_or_default());
            },
        )?;
    }
    Ok(())
}

/// Locks the posts involved and reads their rows: the snapshot the plan is built from.
fn read_snapshot(
    s: &mut Session,
    t: &Tables,
    items: &[Result<Resolved, ItemError>],
    has_lookup: bool,
) -> Result<Snapshot, DbFailure> {
    let mut snap = Snapshot::default();
    let item_posts: BTreeSet<u64> = items.iter().flatten().map(|r| r.post_id).collect();
    if item_posts.is_empty() {
        return Ok(snap);
    }
    // 1. The items' posts, their parents (found through the items' own rows) and the parents'
    //    variations, locked in id order so that concurrent syncs queue instead of deadlocking.
    let first: Vec<(u64, String, u64, String)> = rows_in(
        s,
        &format!(
            "SELECT ID, post_type, post_parent, post_status FROM {posts} WHERE ID IN (",
            posts = t.posts
        ),
        ids_parts(item_posts.iter().copied()),
        ") ORDER BY ID FOR UPDATE",
    )?;
    let mut families: BTreeSet<u64> = BTreeSet::new();
    for (id, ty, parent, status) in first {
        if let Some(pt) = PostType::from_db(&ty) {
            if pt == PostType::Variation && parent > 0 {
                families.insert(parent);
            } else if pt == PostType::Product {
                families.insert(id);
            }
            snap.posts.insert(
                id,
                PostInfo {
                    post_type: pt,
                    parent,
                    status,
                },
            );
        }
    }
    // Parents that the lock above did not cover, and every parent's variations.
    let missing_parents: Vec<u64> = families
        .iter()
        .copied()
        .filter(|p| !snap.posts.contains_key(p))
        .collect();
    if !families.is_empty() {
        let sql = format!(
            "SELECT ID, post_type, post_parent, post_status FROM {posts} \
             WHERE (post_type = 'product_variation' AND post_parent IN ({fam})) OR ID IN ({missing}) \
             ORDER BY ID FOR UPDATE",
            posts = t.posts,
            fam = id_list(families.iter().copied()),
            missing = if missing_parents.is_empty() { "0".to_string() } else { id_list(missing_parents) },
        );
        let rows: Vec<(u64, String, u64, String)> = s.rows(&sql)?;
        for (id, ty, parent, status) in rows {
            let Some(pt) = PostType::from_db(&ty) else {
                continue;
            };
            let counted = status == "publish" || status == "private";
            if pt == PostType::Variation && families.contains(&parent) && counted {
                snap.children.entry(parent).or_default().push(id);
            }
            snap.posts.entry(id).or_insert(PostInfo {
                post_type: pt,
                parent,
                status,
            });
        }
    }
    if has_lookup {
        let ids: Vec<u64> = rows_in(
            s,
            &format!("SELECT product_id FROM {} WHERE product_id IN (", t.lookup),
            ids_parts(snap.posts.keys().copied()),
            ")",
        )?;
        snap.lookup_rows = ids.into_iter().collect();
    }
    read_meta(s, t, items, &mut snap)?;
    Ok(snap)
}

// One attempt's inputs and its clock; grouping them in a struct would name nothing new.
#[allow(clippy::too_many_arguments)]
fn sync_once(
    s: &mut Session,
    t: &Tables,
    site: &Site,
    fields: &[Result<ItemFields, ItemError>],
    slugs: &Slugs,
    dry_run: bool,
    order: Order,
    report_writes: bool,
    clock: &mut Timings,
    job: Option<JobMark>,
) -> Result<(Report, Option<Value>), Stop> {
    let resolving = Instant::now();
    let lookups = lookup(s, t, fields, slugs)?;
    let resolved: Vec<Result<Resolved, ItemError>> = fields
        .iter()
        .map(|f| f.as_ref().map_err(|e| *e).and_then(|f| lookups.resolve(f)))
        .collect();
    clock.add(Phase::Resolve, resolving);

    let reading = Instant::now();
    s.exec("START TRANSACTION")?;
    if let Some(job) = &job {
        // The transaction's first lock: a second run of the chunk waits here, then finds it done.
        claim_chunk(s, t, job.chunk)?;
    }
    let snap = read_snapshot(s, t, &resolved, site.has_lookup);
    clock.add(Phase::Read, reading);
    let mut snap = snap?;
    let settings = Settings {
        primary: site.primary,
        threshold: site.threshold,
    };
    let first = clock.time(Phase::Plan, || plan::build(&resolved, &snap, settings));
    if dry_run {
        clock.time(Phase::Write, || s.exec("ROLLBACK"))?;
        let mut report = Report::of(first, 0);
        // Nothing was written.
        report.meta_log = report_writes.then(Vec::new);
        return Ok((report, None));
    }
    // Two passes: first the rows that do not exist yet are inserted, with the values planned so
    // far, and the rows read are locked (see `Order`); then the final plan, on the locked rows'
    // current values, may still change any value (a decrement may have moved `_stock` in
    // between) and deletes a fresh row it no longer wants.
    let new_rows: Vec<&MetaWrite> = first
        .meta_writes
        .iter()
        .filter(|w| w.meta_id.is_none())
        .collect();
    let fresh: Vec<(u64, String)> = new_rows
        .iter()
        .map(|w| (w.post_id, w.key.clone()))
        .collect();
    clock.time(Phase::Lock, || {
        insert_and_lock(s, t, &resolved, &mut snap, &new_rows, order)
    })?;
    drop(new_rows);
    drop(first);
    let planning = Instant::now();
    let plan = plan::build_after_inserts(&resolved, &snap, settings, &fresh);
    let mut report = Report::of(plan, fresh.len());
    clock.add(Phase::Plan, planning);
    let writing = Instant::now();
    let late = write(s, t, site, &mut report, report_writes.then_some(&snap));
    clock.add(Phase::Write, writing);
    if let Some(late) = late? {
        report.meta_log = Some(meta_log::build(&snap, &fresh, &report.plan, late));
    }
    let recorded = match &job {
        Some(job) => Some(clock.time(Phase::Write, || mark_chunk_done(s, t, job, &report))?),
        None => None,
    };
    clock.time(Phase::Write, || s.exec("COMMIT"))?;
    Ok((report, recorded))
}

/// A postmeta row as the SQL tuple `(meta_id, post_id, meta_key, meta_value)`; a new row's id is
/// `NULL`.
fn meta_tuple(w: &MetaWrite) -> String {
    let mut p = String::with_capacity(w.key.len() * 2 + w.value.len() * 2 + 48);
    p.push('(');
    match w.meta_id {
        Some(id) => p.push_str(&id.to_string()),
        None => p.push_str("NULL"),
    }
    p.push(',');
    p.push_str(&w.post_id.to_string());
    p.push(',');
    push_str_lit(&mut p, &w.key);
    p.push(',');
    push_str_lit(&mut p, &w.value);
    p.push(')');
    p
}

/// The postmeta writes of the final plan when the caller wants `meta_writes`: the same upsert,
/// except that rows the first pass did not insert (the final plan's inserts, which only a value
/// moved by a concurrent writer in between can cause) are inserted on their own, so that their
/// ids are known. Returns those rows.
fn write_meta_logged(
    s: &mut Session,
    t: &Tables,
    writes: &[MetaWrite],
    snap: &Snapshot,
) -> Result<Vec<LoggedWrite>, DbFailure> {
    let inserts: Vec<&MetaWrite> = writes.iter().filter(|w| w.meta_id.is_none()).collect();
    if inserts.is_empty() {
        upsert_meta(s, t, writes.iter())?;
        return Ok(Vec::new());
    }
    upsert_meta(s, t, writes.iter().filter(|w| w.meta_id.is_some()))?;
    let mut got = Some(Vec::with_capacity(inserts.len()));
    insert_fresh(s, t, &inserts, &mut got)?;
    let rows = match got {
        Some(rows) => rows,
        // The server did not say which ids the rows got: the rows of those keys that the snapshot
        // does not know are this statement's (their posts are locked).
        None => {
            let known: std::collections::HashSet<u64> = snap
                .meta
                .values()
                .flat_map(|keys| keys.values().flatten().map(|(id, _)| *id))
                .collect();
            let wanted: std::collections::HashSet<(u64, &str)> = inserts
                .iter()
                .map(|w| (w.post_id, w.key.as_str()))
                .collect();
            let keys: BTreeSet<&str> = inserts.iter().map(|w| w.key.as_str()).collect();
            let posts: BTreeSet<u64> = inserts.iter().map(|w| w.post_id).collect();
            let found: Vec<(u64, u64, String, Option<String>)> = rows_in(
                s,
                &format!(
                    "SELECT meta_id, post_id, meta_key, meta_value FROM {} WHERE meta_key IN ({}) AND post_id IN (",
                    t.postmeta,
                    str_list(keys)
                ),
                ids_parts(posts),
                ")",
            )?;
            found
                .into_iter()
                .filter(|(id, post, key, _)| {
                    !known.contains(id) && wanted.contains(&(*post, key.as_str()))
                })
                .map(|(id, post, key, value)| (post, key, id, value.unwrap_or_default()))
                .collect()
        }
    };
    Ok(rows
        .into_iter()
        .map(|(post_id, key, meta_id, value)| LoggedWrite {
            op: MetaOp::Added,
            meta_id,
            post_id,
            key,
            value,
        })
        .collect())
}

/// Multi-row `INSERT ... ON DUPLICATE KEY UPDATE` keyed on `meta_id` (new rows: `NULL`).
fn upsert_meta<'a>(
    s: &mut Session,
    t: &Tables,
    writes: impl Iterator<Item = &'a MetaWrite>,
) -> Result<(), DbFailure> {
    let parts = writes.map(meta_tuple);
    for sql in chunked(
        &format!(
            "INSERT INTO {} (meta_id, post_id, meta_key, meta_value) VALUES ",
            t.postmeta
        ),
        ",",
        " ON DUPLICATE KEY UPDATE meta_value = VALUES(meta_value)",
        parts,
        s.packet_budget,
    ) {
        s.exec(&sql)?;
    }
    Ok(())
}

/// Writes the final plan. With `logged` (the snapshot the plan was built on: the caller wants
/// `meta_writes`), returns the rows the final plan inserted, with their ids.
fn write(
    s: &mut Session,
    t: &Tables,
    site: &Site,
    report: &mut Report,
    logged: Option<&Snapshot>,
) -> Result<Option<Vec<LoggedWrite>>, DbFailure> {
    let plan = &report.plan;
    let budget = s.packet_budget;
    // postmeta: updates (by meta_id) and any inserts (meta_id NULL) in one statement kind.
    let late = match logged {
        None => {
            upsert_meta(s, t, plan.meta_writes.iter())?;
            None
        }
        Some(snap) => Some(write_meta_logged(s, t, &plan.meta_writes, snap)?),
    };
    for sql in chunked(
        &format!("DELETE FROM {} WHERE meta_id IN (", t.postmeta),
        ",",
        ")",
        ids_parts(plan.meta_deletes.iter().copied()),
        budget,
    ) {
        s.exec(&sql)?;
    }
    if site.has_lookup && !plan.lookup_writes.is_empty() {
        // The plan only lists rows that exist (WooCommerce regenerates missing ones); the last
        // write of a product wins. Keyed on the primary key, so one multi-row statement.
        let mut last: HashMap<u64, usize> = HashMap::new();
        for (i, w) in plan.lookup_writes.iter().enumerate() {
            last.insert(w.product_id, i);
        }
        let mut idx: Vec<usize> = last.into_values().collect();
        idx.sort_unstable();
        let parts = idx.into_iter().map(|i| {
            let w = &plan.lookup_writes[i];
            let stock = w
                .stock
                .map_or_else(|| "NULL".to_string(), |q| q.to_string());
            format!("({},{stock},{})", w.product_id, str_lit(w.status))
        });
        for sql in chunked(
            &format!("INSERT INTO {} (product_id, stock_quantity, stock_status) VALUES ", t.lookup),
            ",",
            " ON DUPLICATE KEY UPDATE stock_quantity = IF(VALUES(stock_quantity) IS NULL, stock_quantity, \
             VALUES(stock_quantity)), stock_status = VALUES(stock_status)",
            parts,
            budget,
        ) {
            s.exec(&sql)?;
        }
    }
    if let Some(tt) = site.outofstock_tt {
        if !plan.visibility_remove.is_empty() {
            for sql in chunked(
                &format!(
                    "DELETE FROM {} WHERE term_taxonomy_id = {tt} AND object_id IN (",
                    t.term_relationships
                ),
                ",",
                ")",
                ids_parts(plan.visibility_remove.iter().copied()),
                budget,
            ) {
                s.exec(&sql)?;
            }
        }
        if !plan.visibility_add.is_empty() {
            for sql in chunked(
                &format!(
                    "INSERT INTO {} (object_id, term_taxonomy_id, term_order) VALUES ",
                    t.term_relationships
                ),
                ",",
                " ON DUPLICATE KEY UPDATE term_order = term_order",
                plan.visibility_add
                    .iter()
                    .map(|id| format!("({id},{tt},0)")),
                budget,
            ) {
                s.exec(&sql)?;
            }
        }
        if !plan.visibility_add.is_empty() || !plan.visibility_remove.is_empty() {
            // What `_update_post_term_count()` counts: published products and variations.
            s.exec(&format!(
                "UPDATE {tt_table} SET count = (SELECT COUNT(*) FROM {tr} tr JOIN {posts} p ON p.ID = tr.object_id \
                 WHERE tr.term_taxonomy_id = {tt} AND p.post_status = 'publish' \
                 AND p.post_type IN ('product','product_variation')) WHERE term_taxonomy_id = {tt}",
                tt_table = t.term_taxonomy,
                tr = t.term_relationships,
                posts = t.posts,
            ))?;
        }
    }
    if !plan.modified_posts.is_empty() {
        let (local, gmt) = (&site.now_local, &site.now_gmt);
        for sql in chunked(
            &format!(
                "UPDATE {} SET post_modified = {local}, post_modified_gmt = {gmt} WHERE ID IN (",
                t.posts
            ),
            ",",
            ")",
            ids_parts(plan.modified_posts.iter().copied()),
            budget,
        ) {
            s.exec(&sql)?;
        }
    }
    Ok(late)
}
