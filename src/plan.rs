//! The write plan: from the resolved items and the rows read inside the transaction, decide
//! every row to insert, update or delete, and what follows into WooCommerce's own stock. Pure:
//! no I/O, so every rule here is unit-tested without a database.

use crate::error::ItemError;
use crate::options::Primary;
use crate::price::stored_price_value;
use crate::request::StockOp;
use crate::resolve::{PostInfo, PostType, Resolved};
use crate::sql::location_key;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The rows read inside the transaction.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every post involved: the items' products, their parents and the parents' variations.
    pub posts: HashMap<u64, PostInfo>,
    /// Parent → its variations that WooCommerce counts (`publish` and `private`).
    pub children: HashMap<u64, Vec<u64>>,
    /// post → key → rows (meta_id, value), lowest meta_id first.
    pub meta: HashMap<u64, HashMap<String, Vec<(u64, String)>>>,
    /// Products that have a `wc_product_meta_lookup` row.
    pub lookup_rows: HashSet<u64>,
}

impl Snapshot {
    /// Adds one meta row (call `sort_rows` once all are in).
    pub fn add_row(&mut self, post: u64, key: String, meta_id: u64, value: String) {
        self.meta
            .entry(post)
            .or_default()
            .entry(key)
            .or_default()
            .push((meta_id, value));
    }

    /// Puts each key's rows in meta_id order (the first is the one WordPress reads).
    pub fn sort_rows(&mut self) {
        for keys in self.meta.values_mut() {
            for rows in keys.values_mut() {
                rows.sort_unstable_by_key(|(id, _)| *id);
            }
        }
    }
}

/// Site settings the plan depends on.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub primary: Primary,
    /// `absint(woocommerce_notify_no_stock_amount)`.
    pub threshold: i64,
}

/// One `postmeta` write: an update of `meta_id`, or an insert when `meta_id` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaWrite {
    pub meta_id: Option<u64>,
    pub post_id: u64,
    pub key: String,
    pub value: String,
}

/// WooCommerce's own stock or stock status of one product changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    pub product_id: u64,
    pub parent_id: u64,
    /// `product`, `variation`, or `variable` (a parent whose status follows its variations).
    pub kind: &'static str,
    pub old_stock: Option<String>,
    pub new_stock: Option<String>,
    pub old_status: Option<String>,
    pub new_status: String,
}

/// A `wc_product_meta_lookup` change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupWrite {
    pub product_id: u64,
    pub stock: Option<i64>,
    pub status: &'static str,
}

/// Everything the write step does, and what the response reports.
#[derive(Debug, Default)]
pub struct Plan {
    pub outcomes: Vec<Result<(), ItemError>>,
    pub meta_writes: Vec<MetaWrite>,
    pub meta_deletes: Vec<u64>,
    pub lookup_writes: Vec<LookupWrite>,
    pub visibility_add: Vec<u64>,
    pub visibility_remove: Vec<u64>,
    /// Posts whose `post_modified` WooCommerce's save would bump.
    pub modified_posts: BTreeSet<u64>,
    pub changed_ids: BTreeSet<u64>,
    pub stock_changes: Vec<StockChange>,
    /// Products whose WooCommerce stock was set (changed or not).
    pub stock_targets: usize,
    /// Rows inserted earlier in the transaction that this plan deletes again.
    pub fresh_deleted: usize,
}

struct State<'a> {
    snap: &'a Snapshot,
    /// Values decided so far, by post and key (what the write step applies).
    writes: BTreeMap<u64, BTreeMap<String, String>>,
    /// Keys whose rows this transaction inserted itself: they count as absent (their values are
    /// this plan's own output, not the store's), though their rows are updated, not re-inserted.
    fresh: HashMap<u64, HashSet<&'a str>>,
}

impl<'a> State<'a> {
    fn get(&self, post: u64, key: &str) -> Option<&str> {
        if let Some(v) = self.writes.get(&post).and_then(|m| m.get(key)) {
            return Some(v.as_str());
        }
        if self.fresh.get(&post).is_some_and(|keys| keys.contains(key)) {
            return None;
        }
        self.snap
            .meta
            .get(&post)
            .and_then(|m| m.get(key))
            .and_then(|rows| rows.first())
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, post: u64, key: String, value: String) {
        self.writes.entry(post).or_default().insert(key, value);
    }
}

fn status_for(stock: i64, backorders: Option<&str>, threshold: i64) -> &'static str {
    if stock > threshold {
        "instock"
    } else if backorders.unwrap_or("no") != "no" {
        "onbackorder"
    } else {
        "outofstock"
    }
}

/// A stored stock as a whole number, the way PHP's `(int)` reads a numeric string
/// (`"5"`, `"5.000000"`); `None` when it is not a number.
fn stored_stock(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f.trunc() as i64)
    })
}

/// What the items of a request do to one product's WooCommerce stock: the last absolute value
/// set (if any), then the sum of the adjustments after it.
#[derive(Debug, Clone, Copy, Default)]
struct TargetOps {
    base: Option<i64>,
    delta: i64,
}

impl TargetOps {
    fn apply(&mut self, op: StockOp) {
        match op {
            StockOp::Set(v) => {
                self.base = Some(v);
                self.delta = 0;
            }
            StockOp::Adjust(d) => self.delta = self.delta.saturating_add(d),
        }
    }
}

/// Checks the sale-below-regular rule for an item against the state before it.
fn check_prices(st: &State<'_>, r: &Resolved) -> Result<(), ItemError> {
    let f = &r.fields;
    if f.regular_price.is_none() && f.sale_price.is_none() {
        return Ok(());
    }
    let (post, t) = (r.post_id, r.term_id);
    let product_regular = st.get(post, "_regular_price").and_then(stored_price_value);
    let regular = match &f.regular_price {
        Some(p) => p.value.or(product_regular),
        None => st
            .get(post, &location_key("regular_price", t))
            .and_then(stored_price_value)
            .or(product_regular),
    };
    let sale = match &f.sale_price {
        Some(p) => p.value,
        None => st
            .get(post, &location_key("sale_price", t))
            .and_then(stored_price_value),
    };
    match (sale, regular) {
        (Some(s), Some(rg)) if s >= rg => {
            let sale_given = f.sale_price.as_ref().is_some_and(|p| p.value.is_some());
            Err(if sale_given {
                ItemError::SALE_NOT_BELOW_REGULAR
            } else {
                ItemError::REGULAR_NOT_ABOVE_SALE
            })
        }
        _ => Ok(()),
    }
}

/// The post whose WooCommerce stock an item's stock sets, as `wc_update_product_stock()`
/// chooses it: the product itself when it manages stock, a variation's parent when the parent
/// manages it for the variation, else none.
fn stock_target(st: &State<'_>, post: u64) -> Option<u64> {
    let info = st.snap.posts.get(&post)?;
    if st.get(post, "_manage_stock") == Some("yes") {
        return Some(post);
    }
    if info.post_type == PostType::Variation
        && info.parent > 0
        && st.get(info.parent, "_manage_stock") == Some("yes")
    {
        return Some(info.parent);
    }
    None
}

/// Builds the plan. `items` are in request order; failed ones stay failed.
pub fn build(items: &[Result<Resolved, ItemError>], snap: &Snapshot, settings: Settings) -> Plan {
    build_after_inserts(items, snap, settings, &[])
}

/// Builds the plan on a snapshot read after the rows in `fresh` (keys that had no row) were
/// inserted by this transaction: a fresh row that the plan no longer writes (the values it
/// depends on changed in between) is deleted again, so the result is as if built at once.
pub fn build_after_inserts<'a>(
    items: &[Result<Resolved, ItemError>],
    snap: &'a Snapshot,
    settings: Settings,
    fresh: &'a [(u64, String)],
) -> Plan {
    let mut st = State {
        snap,
        writes: BTreeMap::new(),
        fresh: HashMap::new(),
    };
    for (post, key) in fresh {
        st.fresh.entry(*post).or_default().insert(key.as_str());
    }
    let mut plan = Plan::default();
    // Target → final stock, in order of first appearance (the last item wins).
    let mut targets: Vec<u64> = Vec::new();
    let mut target_stock: HashMap<u64, TargetOps> = HashMap::new();

    for item in items {
        let r = match item {
            Err(e) => {
                plan.outcomes.push(Err(*e));
                continue;
            }
            Ok(r) => r,
        };
        if !snap.posts.contains_key(&r.post_id) {
            // Deleted between the lookup and the transaction.
            plan.outcomes.push(Err(ItemError::PRODUCT_NOT_FOUND_ID));
            continue;
        }
        let (post, t, f) = (r.post_id, r.term_id, &r.fields);
        let stock_key = location_key("stock", t);
        // No stored value counts as 0; a stored value that is not a number matches no
        // expectation and adjusts from 0.
        let current = st
            .get(post, &stock_key)
            .map(stored_stock)
            .unwrap_or(Some(0));
        if let Some(expected) = f.expected_stock {
            if current != Some(expected) {
                plan.outcomes.push(Err(ItemError::STOCK_MISMATCH));
                continue;
            }
        }
        let new_stock = match f.stock {
            StockOp::Set(v) => v,
            StockOp::Adjust(d) => match current.unwrap_or(0).checked_add(d) {
                Some(v) => v,
                None => {
                    plan.outcomes.push(Err(ItemError::INVALID_STOCK_ADJUST));
                    continue;
                }
            },
        };
        if let Err(e) = check_prices(&st, r) {
            plan.outcomes.push(Err(e));
            continue;
        }
        st.set(post, stock_key, new_stock.to_string());
        if let Some(p) = &f.regular_price {
            st.set(post, location_key("regular_price", t), p.text.clone());
        }
        if let Some(p) = &f.sale_price {
            st.set(post, location_key("sale_price", t), p.text.clone());
        }
        if let Some(b) = f.backorders {
            st.set(post, location_key("backorders", t), b.as_str().into());
        }
        if let Some(d) = f.disabled {
            st.set(
                post,
                location_key("disabled", t),
                if d { "yes" } else { "no" }.into(),
            );
        }
        plan.changed_ids.insert(post);
        if settings.primary.follows(t) {
            if let Some(target) = stock_target(&st, post) {
                let ops = target_stock.entry(target).or_insert_with(|| {
                    targets.push(target);
                    TargetOps::default()
                });
                ops.apply(f.stock);
            }
        }
        plan.outcomes.push(Ok(()));
    }

    plan.stock_targets = targets.len();
    apply_main_stock(&mut st, &mut plan, &targets, &target_stock, settings);
    let rows = &snap.lookup_rows;
    plan.lookup_writes.retain(|w| rows.contains(&w.product_id));
    finish_meta(&st, &mut plan);
    for (post, key) in fresh {
        let decided = st.writes.get(post).is_some_and(|m| m.contains_key(key));
        if !decided {
            if let Some(rows) = snap.meta.get(post).and_then(|m| m.get(key)) {
                plan.meta_deletes.extend(rows.iter().map(|(id, _)| *id));
                plan.fresh_deleted += rows.len();
            }
        }
    }
    plan
}

fn set_status(
    st: &mut State<'_>,
    plan: &mut Plan,
    post: u64,
    status: &'static str,
    visibility: bool,
) -> Option<String> {
    let old = st.get(post, "_stock_status").map(str::to_string);
    if old.as_deref() != Some(status) {
        st.set(post, "_stock_status".into(), status.into());
        if visibility {
            if status == "outofstock" {
                plan.visibility_add.push(post);
            } else {
                plan.visibility_remove.push(post);
            }
        }
    }
    old
}

fn apply_main_stock(
    st: &mut State<'_>,
    plan: &mut Plan,
    targets: &[u64],
    target_stock: &HashMap<u64, TargetOps>,
    settings: Settings,
) {
    let snap = st.snap;
    let mut parents_to_sync: Vec<u64> = Vec::new();
    for &target in targets {
        let Some(ops) = target_stock.get(&target) else {
            continue;
        };
        let Some(info) = snap.posts.get(&target) else {
            continue;
        };
        let old_stock = st.get(target, "_stock").map(str::to_string);
        let old_value = old_stock.as_deref().and_then(stored_stock);
        // Adjustments move WooCommerce's stock from its own current value.
        let stock = ops
            .base
            .unwrap_or(old_value.unwrap_or(0))
            .saturating_add(ops.delta);
        if old_stock.as_deref() != Some(stock.to_string().as_str()) {
            st.set(target, "_stock".into(), stock.to_string());
        }
        let status = status_for(stock, st.get(target, "_backorders"), settings.threshold);
        let old_status = set_status(st, plan, target, status, true);
        plan.lookup_writes.push(LookupWrite {
            product_id: target,
            stock: Some(stock),
            status,
        });
        plan.modified_posts.insert(target);
        plan.changed_ids.insert(target);
        let is_variation = info.post_type == PostType::Variation;
        if old_value != Some(stock) || old_status.as_deref() != Some(status) {
            plan.stock_changes.push(StockChange {
                product_id: target,
                parent_id: if is_variation { info.parent } else { 0 },
                kind: if is_variation { "variation" } else { "product" },
                old_stock,
                new_stock: Some(stock.to_string()),
                old_status,
                new_status: status.into(),
            });
        }
        if is_variation && info.parent > 0 && !parents_to_sync.contains(&info.parent) {
            parents_to_sync.push(info.parent);
        }
        // A variable product that manages stock hands its status to the variations it manages
        // (WooCommerce's `sync_managed_variation_stock_status()`).
        if let Some(children) = snap.children.get(&target) {
            for &child in children {
                let managed_by_parent = st.get(child, "_manage_stock").is_some_and(|v| v != "yes");
                if managed_by_parent && st.get(child, "_stock_status") != Some(status) {
                    st.set(child, "_stock_status".into(), status.into());
                    plan.lookup_writes.push(LookupWrite {
                        product_id: child,
                        stock: None,
                        status,
                    });
                    plan.changed_ids.insert(child);
                }
            }
        }
    }

    // A variable parent that does not manage stock takes its status from its variations.
    for parent in parents_to_sync {
        plan.modified_posts.insert(parent);
        plan.changed_ids.insert(parent);
        if st.get(parent, "_manage_stock") == Some("yes") {
            continue;
        }
        let children = snap.children.get(&parent).map(Vec::as_slice).unwrap_or(&[]);
        let has = |s: &str| {
            children
                .iter()
                .any(|&c| st.get(c, "_stock_status") == Some(s))
        };
        let status = if has("instock") {
            "instock"
        } else if has("onbackorder") {
            "onbackorder"
        } else {
            "outofstock"
        };
        let old_status = set_status(st, plan, parent, status, true);
        if old_status.as_deref() != Some(status) {
            plan.lookup_writes.push(LookupWrite {
                product_id: parent,
                stock: None,
                status,
            });
            plan.stock_changes.push(StockChange {
                product_id: parent,
                parent_id: 0,
                kind: "variable",
                old_stock: None,
                new_stock: None,
                old_status,
                new_status: status.into(),
            });
        }
    }
}

/// Turns the decided values into row writes: update the first existing row when its value
/// differs, insert where none exists, delete any extra rows of the same key.
fn finish_meta(st: &State<'_>, plan: &mut Plan) {
    for (post, keys) in &st.writes {
        let existing = st.snap.meta.get(post);
        for (key, value) in keys {
            match existing.and_then(|m| m.get(key)) {
                Some(rows) if !rows.is_empty() => {
                    let (first_id, first_value) = &rows[0];
                    if first_value != value {
                        plan.meta_writes.push(MetaWrite {
                            meta_id: Some(*first_id),
                            post_id: *post,
                            key: key.clone(),
                            value: value.clone(),
                        });
                    }
                    plan.meta_deletes
                        .extend(rows[1..].iter().map(|(id, _)| *id));
                }
                _ => plan.meta_writes.push(MetaWrite {
                    meta_id: None,
                    post_id: *post,
                    key: key.clone(),
                    value: value.clone(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::{parse_price, PriceSource};
    use crate::request::{ItemFields, LocationRef};

    fn info(t: PostType, parent: u64) -> PostInfo {
        PostInfo {
            post_type: t,
            parent,
            status: "publish".into(),
        }
    }

    fn item(
        post: u64,
        term: u64,
        stock: i64,
        reg: Option<&str>,
        sale: Option<&str>,
    ) -> Result<Resolved<'static>, ItemError> {
        let p = |s: &str| parse_price(PriceSource::Text(s), ".");
        Ok(Resolved {
            post_id: post,
            term_id: term,
            // A test's items live as long as the test binary.
            fields: Box::leak(Box::new(ItemFields {
                product_id: Some(post),
                sku: None,
                location: LocationRef {
                    id: Some(term),
                    slug: None,
                },
                stock: StockOp::Set(stock),
                expected_stock: None,
                regular_price: reg.and_then(p),
                sale_price: sale.and_then(p),
                backorders: None,
                disabled: None,
            })),
        })
    }

    type MetaRows<'a> = &'a [(u64, &'a str, &'a [(u64, &'a str)])];

    fn snap(meta: MetaRows<'_>) -> Snapshot {
        let mut s = Snapshot::default();
        s.posts.insert(1, info(PostType::Product, 0));
        s.posts.insert(2, info(PostType::Product, 0));
        s.posts.insert(3, info(PostType::Variation, 2));
        s.posts.insert(4, info(PostType::Variation, 2));
        s.children.insert(2, vec![3, 4]);
        for (post, key, rows) in meta {
            for (id, v) in rows.iter() {
                s.add_row(*post, key.to_string(), *id, v.to_string());
            }
        }
        s
    }

    const ALL: Settings = Settings {
        primary: Primary::Unset,
        threshold: 0,
    };

    fn value<'a>(p: &'a Plan, post: u64, key: &str) -> Option<&'a str> {
        p.meta_writes
            .iter()
            .rev()
            .find(|w| w.post_id == post && w.key == key)
            .map(|w| w.value.as_str())
    }

    #[test]
    fn location_meta_insert_update_and_dedupe() {
        let s = snap(&[(1, "_location_stock_5", &[(100, "3"), (101, "4")])]);
        let p = build(&[item(1, 5, 7, Some("9.99"), None)], &s, ALL);
        assert_eq!(p.outcomes, vec![Ok(())]);
        let stock = p
            .meta_writes
            .iter()
            .find(|w| w.key == "_location_stock_5")
            .expect("stock row");
        assert_eq!(stock.meta_id, Some(100));
        assert_eq!(stock.value, "7");
        assert_eq!(p.meta_deletes, vec![101]);
        assert_eq!(value(&p, 1, "_location_regular_price_5"), Some("9.99"));
        // Not managing stock: WooCommerce's stock is left alone.
        assert!(p.stock_changes.is_empty() && p.lookup_writes.is_empty());
    }

    #[test]
    fn sale_rule() {
        let s = snap(&[
            (1, "_regular_price", &[(1, "20.00")]),
            (1, "_location_sale_price_5", &[(2, "15")]),
        ]);
        let codes = |it| build(&[it], &s, ALL).outcomes[0].map_err(|e| e.field);
        assert_eq!(codes(item(1, 5, 1, None, Some("19.99"))), Ok(()));
        assert_eq!(codes(item(1, 5, 1, None, Some("20.00"))), Err("sale_price"));
        assert_eq!(
            codes(item(1, 5, 1, Some("15.00"), None)),
            Err("regular_price")
        );
        assert_eq!(codes(item(1, 5, 1, Some("15.00"), Some("10"))), Ok(()));
        assert_eq!(codes(item(1, 5, 1, Some("15.00"), Some(""))), Ok(()));
        assert_eq!(
            codes(item(1, 5, 1, Some(""), Some("25"))),
            Err("sale_price")
        );
        assert_eq!(codes(item(2, 5, 1, None, Some("1000"))), Ok(()));
        // A failed item writes nothing.
        let p = build(&[item(1, 5, 9, None, Some("30"))], &s, ALL);
        assert!(p.meta_writes.is_empty());
    }

    #[test]
    fn last_item_wins_and_sees_the_earlier_one() {
        let s = snap(&[]);
        let p = build(
            &[
                item(1, 5, 1, Some("10"), None),
                item(1, 5, 2, None, Some("9.50")),
            ],
            &s,
            ALL,
        );
        assert_eq!(p.outcomes, vec![Ok(()), Ok(())]);
        assert_eq!(value(&p, 1, "_location_stock_5"), Some("2"));
        let rows = p
            .meta_writes
            .iter()
            .filter(|w| w.key == "_location_stock_5")
            .count();
        assert_eq!(rows, 1);
    }

    #[test]
    fn main_stock_and_status() {
        let s = snap(&[
            (1, "_manage_stock", &[(1, "yes")]),
            (1, "_stock", &[(2, "5.000000")]),
            (1, "_stock_status", &[(3, "instock")]),
            (1, "_backorders", &[(4, "no")]),
        ]);
        let p = build(&[item(1, 5, 0, None, None)], &s, ALL);
        assert_eq!(value(&p, 1, "_stock"), Some("0"));
        assert_eq!(value(&p, 1, "_stock_status"), Some("outofstock"));
        assert_eq!(p.visibility_add, vec![1]);
        assert!(p.modified_posts.contains(&1));
        assert_eq!(p.stock_changes[0].old_stock.as_deref(), Some("5.000000"));
        // Threshold 2: stock 2 is not above it.
        let p = build(
            &[item(1, 5, 2, None, None)],
            &s,
            Settings {
                primary: Primary::Unset,
                threshold: 2,
            },
        );
        assert_eq!(value(&p, 1, "_stock_status"), Some("outofstock"));
        // Not the primary location: nothing follows.
        let p = build(
            &[item(1, 5, 0, None, None)],
            &s,
            Settings {
                primary: Primary::Term(6),
                threshold: 0,
            },
        );
        assert!(p.stock_changes.is_empty() && value(&p, 1, "_stock").is_none());
        let p = build(
            &[item(1, 5, 0, None, None)],
            &s,
            Settings {
                primary: Primary::Nothing,
                threshold: 0,
            },
        );
        assert!(p.stock_changes.is_empty());
    }

    #[test]
    fn variation_and_parent() {
        let s = snap(&[
            (3, "_manage_stock", &[(1, "yes")]),
            (3, "_stock_status", &[(2, "instock")]),
            (4, "_manage_stock", &[(3, "yes")]),
            (4, "_stock_status", &[(4, "outofstock")]),
            (4, "_backorders", &[(5, "notify")]),
            (2, "_stock_status", &[(6, "instock")]),
        ]);
        let p = build(&[item(3, 5, 0, None, None)], &s, ALL);
        assert_eq!(value(&p, 3, "_stock_status"), Some("outofstock"));
        assert_eq!(value(&p, 2, "_stock_status"), Some("outofstock"));
        assert!(p.modified_posts.contains(&2));
        let p = build(
            &[item(3, 5, 0, None, None), item(4, 5, 0, None, None)],
            &s,
            ALL,
        );
        assert_eq!(value(&p, 4, "_stock_status"), Some("onbackorder"));
        assert_eq!(value(&p, 2, "_stock_status"), Some("onbackorder"));
    }

    #[test]
    fn variation_managed_by_parent() {
        let s = snap(&[
            (2, "_manage_stock", &[(1, "yes")]),
            (2, "_stock", &[(2, "10")]),
            (3, "_manage_stock", &[(3, "no")]),
            (4, "_manage_stock", &[(4, "yes")]),
        ]);
        let p = build(&[item(3, 5, 0, None, None)], &s, ALL);
        assert_eq!(value(&p, 2, "_stock"), Some("0"));
        assert_eq!(value(&p, 2, "_stock_status"), Some("outofstock"));
        assert_eq!(value(&p, 3, "_stock_status"), Some("outofstock"));
        assert_eq!(value(&p, 4, "_stock_status"), None);
        assert!(value(&p, 3, "_stock").is_none());
    }

    fn with_stock(
        mut r: Result<Resolved<'static>, ItemError>,
        op: StockOp,
        expected: Option<i64>,
    ) -> Result<Resolved<'static>, ItemError> {
        if let Ok(r) = r.as_mut() {
            let mut fields = r.fields.clone();
            fields.stock = op;
            fields.expected_stock = expected;
            r.fields = Box::leak(Box::new(fields));
        }
        r
    }

    #[test]
    fn adjustments_and_expectations() {
        let s = snap(&[
            (1, "_location_stock_5", &[(1, "10")]),
            (1, "_manage_stock", &[(2, "yes")]),
            (1, "_stock", &[(3, "7.000000")]),
        ]);
        // Location 5 is primary: the location moves 10 -> 7 and WooCommerce's stock 7 -> 4.
        let primary = Settings {
            primary: Primary::Term(5),
            threshold: 0,
        };
        let p = build(
            &[with_stock(
                item(1, 5, 0, None, None),
                StockOp::Adjust(-3),
                None,
            )],
            &s,
            primary,
        );
        assert_eq!(p.outcomes, vec![Ok(())]);
        assert_eq!(value(&p, 1, "_location_stock_5"), Some("7"));
        assert_eq!(value(&p, 1, "_stock"), Some("4"));
        // No stored value: from 0. Not the primary location: WooCommerce's stock stays.
        let p = build(
            &[with_stock(
                item(1, 6, 0, None, None),
                StockOp::Adjust(2),
                None,
            )],
            &s,
            primary,
        );
        assert_eq!(value(&p, 1, "_location_stock_6"), Some("2"));
        assert_eq!(value(&p, 1, "_stock"), None);
        // A set then an adjustment in one request: 20, then +1 on both.
        let p = build(
            &[
                with_stock(item(1, 5, 0, None, None), StockOp::Set(20), None),
                with_stock(item(1, 5, 0, None, None), StockOp::Adjust(1), Some(20)),
            ],
            &s,
            primary,
        );
        assert_eq!(p.outcomes, vec![Ok(()), Ok(())]);
        assert_eq!(value(&p, 1, "_location_stock_5"), Some("21"));
        assert_eq!(value(&p, 1, "_stock"), Some("21"));
        // Compare-and-set: a mismatch writes nothing.
        let p = build(
            &[with_stock(
                item(1, 5, 0, Some("9"), None),
                StockOp::Set(3),
                Some(11),
            )],
            &s,
            primary,
        );
        assert_eq!(p.outcomes[0].map_err(|e| e.code), Err("stock_mismatch"));
        assert!(p.meta_writes.is_empty());
        let p = build(
            &[with_stock(
                item(1, 6, 0, None, None),
                StockOp::Set(3),
                Some(0),
            )],
            &s,
            primary,
        );
        assert_eq!(p.outcomes, vec![Ok(())]);
        // Overflow is refused, not wrapped.
        let p = build(
            &[with_stock(
                item(1, 5, 0, None, None),
                StockOp::Adjust(i64::MAX),
                None,
            )],
            &s,
            primary,
        );
        assert_eq!(
            p.outcomes[0].map_err(|e| e.code),
            Err("invalid_stock_adjust")
        );
    }

    #[test]
    fn fresh_rows_the_final_plan_does_not_want_are_deleted() {
        // Inserted in the first pass (meta_id 50), but the item now fails its expectation.
        let s = snap(&[
            (1, "_location_stock_5", &[(50, "7")]),
            (1, "_location_stock_6", &[(51, "9")]),
        ]);
        let item = with_stock(item(1, 5, 7, None, None), StockOp::Set(7), Some(3));
        let fresh = vec![
            (1, "_location_stock_5".to_string()),
            (1, "_location_stock_6".to_string()),
        ];
        let other = item_at(1, 6, 9);
        let p = build_after_inserts(&[item, other], &s, ALL, &fresh);
        assert_eq!(p.meta_deletes, vec![50]);
        assert_eq!(p.fresh_deleted, 1);
        assert!(
            p.meta_writes.is_empty(),
            "the row the plan keeps already holds its value"
        );
    }

    fn item_at(post: u64, term: u64, stock: i64) -> Result<Resolved<'static>, ItemError> {
        item(post, term, stock, None, None)
    }
}
