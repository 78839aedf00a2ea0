//! The response: the seed's body (`success`, `message`, `results`) plus what the PHP side needs
//! afterwards (changed ids, WooCommerce stock changes) and a few figures.

use crate::meta_log::LoggedWrite;
use crate::plan::Plan;
use serde_json::{json, Value};

/// What one successful attempt produced: the plan written and the rows it touched.
pub struct Report {
    pub plan: Plan,
    pub rows_inserted: u64,
    pub rows_updated: u64,
    pub rows_deleted: u64,
    /// The rows written, when the caller asked for them (`report_meta_writes`).
    pub meta_log: Option<Vec<LoggedWrite>>,
}

impl Report {
    /// The counts of a plan, with `fresh` rows inserted before it.
    pub fn of(plan: Plan, fresh: usize) -> Report {
        let inserted = plan
            .meta_writes
            .iter()
            .filter(|w| w.meta_id.is_none())
            .count();
        let updated = plan.meta_writes.len() - inserted;
        Report {
            rows_inserted: (fresh + inserted - plan.fresh_deleted) as u64,
            rows_updated: updated as u64,
            rows_deleted: (plan.meta_deletes.len() - plan.fresh_deleted) as u64,
            plan,
            meta_log: None,
        }
    }
}

/// Figures about how the request ran.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub statements: u64,
    pub attempts: u32,
}

/// `Processed N items. S succeeded, F failed.`
pub fn summary(total: usize, ok: usize, failed: usize) -> String {
    format!("Processed {total} items. {ok} succeeded, {failed} failed.")
}

pub fn build(
    report: &Report,
    identifiers: &crate::request::Identifiers,
    stats: Stats,
    dry_run: bool,
) -> Value {
    let plan = &report.plan;
    let mut errors = Vec::new();
    let mut items_failed = Vec::new();
    for (i, outcome) in plan.outcomes.iter().enumerate() {
        if let Err(e) = outcome {
            let index = i + 1;
            errors.push(Value::String(format!("Item {index}: {}", e.message)));
            let mut entry = json!({
                "index": index,
                "code": e.code,
                "field": e.field,
                "message": e.message,
            });
            if let (Some(map), Some(ids)) = (entry.as_object_mut(), identifiers.get(i)) {
                map.extend(ids);
            }
            items_failed.push(entry);
        }
    }
    let failed = items_failed.len();
    let total = plan.outcomes.len();
    let ok = total - failed;
    let stock_changes: Vec<Value> = plan
        .stock_changes
        .iter()
        .map(|c| {
            json!({
                "product_id": c.product_id,
                "parent_id": c.parent_id,
                "type": c.kind,
                "old_stock": c.old_stock,
                "new_stock": c.new_stock,
                "old_status": c.old_status,
                "new_status": c.new_status,
            })
        })
        .collect();
    let mut out = json!({
        "success": true,
        "message": summary(total, ok, failed),
        "results": {
            "success": ok,
            "failed": failed,
            "errors": errors,
            "items_failed": items_failed,
        },
        "changed_product_ids": plan.changed_ids.iter().collect::<Vec<_>>(),
        "stock_changes": stock_changes,
        "dry_run": dry_run,
        "changes": {
            "meta_rows_inserted": report.rows_inserted,
            "meta_rows_updated": report.rows_updated,
            "meta_rows_deleted": report.rows_deleted,
            "main_stock_updates": plan.stock_targets,
        },
        "engine": "native",
        "stats": {
            "statements": stats.statements,
            "attempts": stats.attempts,
        },
    });
    if let (Some(log), Some(map)) = (&report.meta_log, out.as_object_mut()) {
        // `[op, meta_id, post_id, meta_key, meta_value]`, in the order written.
        let list = log
            .iter()
            .map(|w| json!([w.op.as_str(), w.meta_id, w.post_id, w.key, w.value]))
            .collect();
        map.insert("meta_writes".into(), Value::Array(list));
    }
    out
}
