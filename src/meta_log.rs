//! `meta_writes`: every postmeta row one committed attempt wrote, for the meta API's hooks
//! (`added_post_meta`, `updated_post_meta`, `deleted_post_meta`) that the PHP side fires after a
//! SQL write. Built only when the caller asks (`report_meta_writes`): nothing here runs, and no
//! row is kept, otherwise.
//!
//! Net effect of the attempt: a row the attempt inserted and then changed is one `added` with its
//! final value; a row it inserted and deleted again is not listed; a row whose value did not
//! change is not listed. Order: the rows added, then the rows updated, then the rows deleted, each
//! by `meta_id` ascending (the order of the statements that write them).

use crate::plan::{MetaWrite, Plan, Snapshot};
use std::collections::{HashMap, HashSet};

/// What happened to a row, as the meta API's hook names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MetaOp {
    Added,
    Updated,
    Deleted,
}

impl MetaOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MetaOp::Added => "added",
            MetaOp::Updated => "updated",
            MetaOp::Deleted => "deleted",
        }
    }
}

/// One row written: for `deleted`, the value the row had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedWrite {
    pub op: MetaOp,
    pub meta_id: u64,
    pub post_id: u64,
    pub key: String,
    pub value: String,
}

/// The writes of one attempt.
///
/// `snap`: the rows the final plan was built on (the locked rows and this attempt's fresh rows);
/// `fresh`: the keys whose rows the attempt inserted before the final plan (each such key's rows
/// in `snap` are those fresh rows); `plan`: the final plan; `late`: the rows the final write
/// inserted (the final plan's writes without `meta_id`), with the ids they got.
pub fn build(
    snap: &Snapshot,
    fresh: &[(u64, String)],
    plan: &Plan,
    late: Vec<LoggedWrite>,
) -> Vec<LoggedWrite> {
    let deleted: HashSet<u64> = plan.meta_deletes.iter().copied().collect();
    let updates: HashMap<u64, &MetaWrite> = plan
        .meta_writes
        .iter()
        .filter_map(|w| w.meta_id.map(|id| (id, w)))
        .collect();
    let mut fresh_ids: HashSet<u64> = HashSet::new();
    let mut out: Vec<LoggedWrite> = Vec::with_capacity(plan.meta_writes.len() + late.len());
    for (post, key) in fresh {
        let Some(rows) = snap.meta.get(post).and_then(|m| m.get(key)) else {
            continue;
        };
        for (id, value) in rows {
            if !fresh_ids.insert(*id) || deleted.contains(id) {
                continue;
            }
            let value = updates.get(id).map_or(value, |w| &w.value);
            out.push(LoggedWrite {
                op: MetaOp::Added,
                meta_id: *id,
                post_id: *post,
                key: key.clone(),
                value: value.clone(),
            });
        }
    }
    out.extend(late);
    for w in &plan.meta_writes {
        if let Some(id) = w.meta_id.filter(|id| !fresh_ids.contains(id)) {
            out.push(LoggedWrite {
                op: MetaOp::Updated,
                meta_id: id,
                post_id: w.post_id,
                key: w.key.clone(),
                value: w.value.clone(),
            });
        }
    }
    let gone: HashSet<u64> = deleted.difference(&fresh_ids).copied().collect();
    if !gone.is_empty() {
        for (post, keys) in &snap.meta {
            for (key, rows) in keys {
                for (id, value) in rows {
                    if gone.contains(id) {
                        out.push(LoggedWrite {
                            op: MetaOp::Deleted,
                            meta_id: *id,
                            post_id: *post,
                            key: key.clone(),
                            value: value.clone(),
                        });
                    }
                }
            }
        }
    }
    out.sort_unstable_by_key(|w| (w.op, w.meta_id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(id: Option<u64>, post: u64, key: &str, value: &str) -> MetaWrite {
        MetaWrite {
            meta_id: id,
            post_id: post,
            key: key.into(),
            value: value.into(),
        }
    }

    fn ops(log: &[LoggedWrite]) -> Vec<(&'static str, u64, &str)> {
        log.iter()
            .map(|l| (l.op.as_str(), l.meta_id, l.value.as_str()))
            .collect()
    }

    #[test]
    fn net_effect_of_an_attempt() {
        let mut snap = Snapshot::default();
        // Existing rows: _stock (10), a duplicated location stock (20, 21).
        snap.add_row(1, "_stock".into(), 10, "5".into());
        snap.add_row(1, "_location_stock_7".into(), 21, "old-dup".into());
        snap.add_row(1, "_location_stock_7".into(), 20, "3".into());
        // Fresh rows: 50 kept as inserted, 51 changed by the final plan, 52 dropped again.
        snap.add_row(1, "_location_stock_8".into(), 50, "4".into());
        snap.add_row(1, "_location_regular_price_8".into(), 51, "9".into());
        snap.add_row(2, "_location_stock_8".into(), 52, "1".into());
        snap.sort_rows();
        let fresh = vec![
            (1, "_location_stock_8".to_string()),
            (1, "_location_regular_price_8".to_string()),
            (2, "_location_stock_8".to_string()),
        ];
        let plan = Plan {
            meta_writes: vec![
                w(Some(10), 1, "_stock", "4"),
                w(Some(51), 1, "_location_regular_price_8", "9.50"),
                w(Some(20), 1, "_location_stock_7", "6"),
            ],
            meta_deletes: vec![21, 52],
            fresh_deleted: 1,
            ..Plan::default()
        };
        let late = vec![LoggedWrite {
            op: MetaOp::Added,
            meta_id: 60,
            post_id: 1,
            key: "_stock_status".into(),
            value: "instock".into(),
        }];
        let log = build(&snap, &fresh, &plan, late);
        assert_eq!(
            ops(&log),
            vec![
                ("added", 50, "4"),
                ("added", 51, "9.50"),
                ("added", 60, "instock"),
                ("updated", 10, "4"),
                ("updated", 20, "6"),
                ("deleted", 21, "old-dup"),
            ]
        );
        assert_eq!(log[5].key, "_location_stock_7");
        assert_eq!(log[5].post_id, 1);
    }

    #[test]
    fn nothing_written_nothing_listed() {
        let snap = Snapshot::default();
        assert!(build(&snap, &[], &Plan::default(), Vec::new()).is_empty());
    }
}
