//! The native engine's own memory during a call stays bounded per item: a counting global
//! allocator measures the peak of the bytes the engine holds above what was live before the
//! call (the request body is the caller's, as PHP's string is), on a request that inserts rows
//! at every location and one that updates them, at a size where per-item memory dominates.
//! The process's RSS (before, peak, after; VmHWM reset through /proc/self/clear_refs) is printed
//! too.
//!
//! Issue 11's target is 1,024 bytes per item; what the engine reaches today is guarded here
//! (`LIMIT_PER_ITEM`), see bench/results/ANALYSIS.md for what bounds it.
//! `MULOPIMFWC_MEM_ITEMS=100000` measures another size (the items are products × 5 locations).

mod common;

use common::run_json;
use common::TestDb;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs one call; returns (peak bytes above the start, bytes still held after the result is
/// dropped, the result's success count).
fn measure(body: &[u8], opts: &mulopimfwc::options::EngineOptions) -> (usize, isize, u64) {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let out = run_json(body, opts).expect("sync");
    let ok = out["results"]["success"].as_u64().unwrap_or(0);
    drop(out);
    let peak = PEAK.load(Ordering::Relaxed) - start;
    let after = LIVE.load(Ordering::Relaxed) as isize - start as isize;
    (peak, after, ok)
}

const LOCATIONS: usize = 5;
/// Peak bytes per item the engine may hold: a guard at what it reaches today (2,486 inserting
/// at 50,000 items; it was 3,150), above issue 11's target of 1,024.
const LIMIT_PER_ITEM: usize = 2_750;

/// A field of /proc/self/status in kB (0 when unknown).
fn proc_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn engine_memory_per_item_stays_under_one_kilobyte() {
    let items: usize = std::env::var("MULOPIMFWC_MEM_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let products = items.div_ceil(LOCATIONS);
    let mut db = TestDb::new("memory", "wp_");
    let store = db.seed(products, LOCATIONS);
    // Every product at every location: SKU and slug as a shop's feed names them, both prices.
    let body = |stock: i64| {
        let mut s = String::from("{\"items\":[");
        for i in 0..items {
            let (_, slug) = &store.locations[i % LOCATIONS];
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!(
                "{{\"sku\":\"{}\",\"location_slug\":\"{slug}\",\"stock\":{stock},\"regular_price\":\"19.99\",\"sale_price\":\"14.50\"}}",
                store.skus[i / LOCATIONS]
            ));
        }
        s.push_str("]}");
        s
    };
    let opts = db.options();
    // Warm the connection pool: the connection is not the request's.
    run_json(b"{\"items\": []}", &opts).expect("warm-up");
    for (what, stock) in [("new rows", 0), ("existing rows", 3)] {
        let req = body(stock);
        let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let rss0 = proc_kb("VmRSS:");
        let (peak, after, ok) = measure(req.as_bytes(), &opts);
        let (hwm, rss1) = (proc_kb("VmHWM:"), proc_kb("VmRSS:"));
        if hwm_reset {
            println!(
                "rss ({what}): before {} MB, peak {} MB (+{} MB), after {} MB",
                rss0 / 1024,
                hwm / 1024,
                hwm.saturating_sub(rss0) / 1024,
                rss1 / 1024
            );
        }
        assert_eq!(ok, items as u64, "every item succeeds ({what})");
        let per_item = peak / items;
        println!(
            "memory ({what}): {items} items, body {} bytes, peak {peak} bytes = {per_item} bytes per item, held after {after}",
            req.len()
        );
        assert!(
            per_item <= LIMIT_PER_ITEM,
            "{what}: the engine held {per_item} bytes per item at its peak (limit {LIMIT_PER_ITEM})"
        );
        // What stays is the pooled connection's buffer (the largest statement's size), not the
        // request's structures.
        assert!(
            after < (peak / 4) as isize,
            "{what}: {after} bytes still held after the call"
        );
    }
}
