//! The inventory export: every published product (a variable product's variations instead of
//! itself) at every location, one page at a time, in a constant number of set queries per page.

use crate::error::EngineError;
use crate::options::EngineOptions;
use crate::sql::{id_list, location_key, location_keys, str_list, Tables};
use crate::store::{self, DbFailure, Session};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The largest page a caller may ask for.
pub const MAX_PER_PAGE: u64 = 10_000;

/// Which page of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportParams {
    pub location_id: Option<u64>,
    pub page: u64,
    pub per_page: u64,
}

impl ExportParams {
    /// Clamps to what the contract allows: page from 1, 1 to `MAX_PER_PAGE` rows.
    pub fn new(location_id: Option<u64>, page: Option<u64>, per_page: Option<u64>) -> Self {
        ExportParams {
            location_id: location_id.filter(|id| *id > 0),
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(100).clamp(1, MAX_PER_PAGE),
        }
    }
}

/// A product as the export walks it: itself, or its variations.
struct Unit {
    id: u64,
    /// `Some(n)`: a variable product with `n` variations (its rows are theirs).
    variations: Option<u64>,
}

impl Unit {
    fn rows_per_location(&self) -> u64 {
        self.variations.unwrap_or(1)
    }
}

/// One location, as `get_terms()` orders them (by name).
struct Location {
    id: u64,
    slug: String,
    name: String,
}

/// Runs the export.
pub fn export(opts: &EngineOptions, params: ExportParams) -> Result<Value, EngineError> {
    let mut session = store::checkout(&opts.db)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match export_once(&mut session, opts, params) {
            Ok(v) => {
                store::checkin(&opts.db, session);
                return Ok(v);
            }
            Err(DbFailure::Lost) if attempt < 3 => {
                session = Session::connect(&opts.db)?;
            }
            Err(f) => return Err(f.into_engine_error()),
        }
    }
}

fn export_once(
    s: &mut Session,
    opts: &EngineOptions,
    params: ExportParams,
) -> Result<Value, DbFailure> {
    let t = Tables::new(&opts.table_prefix);
    let filter = params
        .location_id
        .map(|id| format!(" AND t.term_id = {id}"))
        .unwrap_or_default();
    let locations: Vec<Location> = s
        .rows::<(u64, String, String)>(&format!(
            "SELECT t.term_id, t.slug, t.name FROM {terms} t JOIN {tt} tt ON tt.term_id = t.term_id \
             WHERE tt.taxonomy = 'mulopimfwc_store_location'{filter} ORDER BY t.name, t.term_id",
            terms = t.terms,
            tt = t.term_taxonomy,
        ))?
        .into_iter()
        .map(|(id, slug, name)| Location { id, slug, name })
        .collect();

    // Every published product, whether it is variable, and how many variations it has.
    let units: Vec<Unit> = s
        .rows::<(u64, u64, u64)>(&format!(
            "SELECT p.ID, v.object_id IS NOT NULL, COALESCE(c.n, 0) FROM {posts} p \
             LEFT JOIN (SELECT DISTINCT tr.object_id FROM {tr} tr \
               JOIN {tt} tt ON tt.term_taxonomy_id = tr.term_taxonomy_id \
               JOIN {terms} t ON t.term_id = tt.term_id \
               WHERE tt.taxonomy = 'product_type' AND t.slug = 'variable') v ON v.object_id = p.ID \
             LEFT JOIN (SELECT post_parent, COUNT(*) AS n FROM {posts} \
               WHERE post_type = 'product_variation' AND post_status IN ('publish','private') \
               GROUP BY post_parent) c ON c.post_parent = p.ID \
             WHERE p.post_type = 'product' AND p.post_status = 'publish' ORDER BY p.ID",
            posts = t.posts,
            tr = t.term_relationships,
            tt = t.term_taxonomy,
            terms = t.terms,
        ))?
        .into_iter()
        .map(|(id, variable, n)| Unit {
            id,
            variations: (variable != 0).then_some(n),
        })
        .collect();

    let per_location: u64 = locations.len() as u64;
    let total: u64 = units
        .iter()
        .map(|u| u.rows_per_location() * per_location)
        .sum();
    let first = (params.page - 1).saturating_mul(params.per_page);
    let last = first.saturating_add(params.per_page).min(total);

    // The products whose rows overlap the page, with the index of their first row.
    let mut on_page: Vec<(&Unit, u64)> = Vec::new();
    let mut at = 0u64;
    for u in &units {
        let n = u.rows_per_location() * per_location;
        if at + n > first && at < last {
            on_page.push((u, at));
        }
        at += n;
        if at >= last {
            break;
        }
    }

    // Variations of the variable products on the page, in WooCommerce's order.
    let parents: Vec<u64> = on_page
        .iter()
        .filter(|(u, _)| u.variations.is_some())
        .map(|(u, _)| u.id)
        .collect();
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    if !parents.is_empty() {
        let rows: Vec<(u64, u64)> = s.rows(&format!(
            "SELECT ID, post_parent FROM {posts} WHERE post_type = 'product_variation' \
             AND post_status IN ('publish','private') AND post_parent IN ({ids}) \
             ORDER BY post_parent, menu_order, ID",
            posts = t.posts,
            ids = id_list(parents.iter().copied()),
        ))?;
        for (id, parent) in rows {
            children.entry(parent).or_default().push(id);
        }
    }

    // The (post, location) rows of the page.
    let mut rows: Vec<(u64, &Location)> = Vec::new();
    for (u, start) in &on_page {
        let posts: Vec<u64> = match u.variations {
            Some(_) => children.get(&u.id).cloned().unwrap_or_default(),
            None => vec![u.id],
        };
        let mut i = *start;
        for loc in &locations {
            for &post in &posts {
                if i >= first && i < last {
                    rows.push((post, loc));
                }
                i += 1;
            }
        }
    }

    // Titles and meta of those posts, once.
    let mut ids: Vec<u64> = rows.iter().map(|(p, _)| *p).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut titles: HashMap<u64, String> = HashMap::new();
    let mut meta: HashMap<(u64, String), String> = HashMap::new();
    if !ids.is_empty() {
        let list = id_list(ids.iter().copied());
        for (id, title) in s.rows::<(u64, String)>(&format!(
            "SELECT ID, post_title FROM {} WHERE ID IN ({list})",
            t.posts
        ))? {
            titles.insert(id, title);
        }
        let mut keys = vec!["_sku".to_string()];
        keys.extend(location_keys(locations.iter().map(|l| l.id)));
        let found: Vec<(u64, String, Option<String>)> = s.rows(&format!(
            "SELECT post_id, meta_key, meta_value FROM {pm} WHERE post_id IN ({list}) \
             AND meta_key IN ({keys}) ORDER BY meta_id",
            pm = t.postmeta,
            keys = str_list(keys.iter().map(String::as_str)),
        ))?;
        for (post, key, value) in found {
            // `get_post_meta(..., true)` returns the first row.
            meta.entry((post, key))
                .or_insert_with(|| value.unwrap_or_default());
        }
    }

    let get = |post: u64, key: String| meta.get(&(post, key)).cloned().unwrap_or_default();
    let data: Vec<Value> = rows
        .iter()
        .map(|(post, loc)| {
            let l = loc.id;
            let mut row = Map::new();
            row.insert("product_id".into(), json!(post));
            row.insert("sku".into(), json!(get(*post, "_sku".into())));
            row.insert(
                "product_name".into(),
                json!(titles.get(post).cloned().unwrap_or_default()),
            );
            row.insert("location_id".into(), json!(l));
            row.insert("location_slug".into(), json!(loc.slug));
            row.insert("location_name".into(), json!(loc.name));
            for k in ["stock", "regular_price", "sale_price", "backorders"] {
                row.insert(k.into(), json!(get(*post, location_key(k, l))));
            }
            row.insert(
                "disabled".into(),
                json!(get(*post, location_key("disabled", l)) == "yes"),
            );
            Value::Object(row)
        })
        .collect();

    Ok(json!({
        "success": true,
        "count": data.len(),
        "total": total,
        "page": params.page,
        "per_page": params.per_page,
        "data": data,
        "engine": "native",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_clamped() {
        assert_eq!(
            ExportParams::new(Some(0), Some(0), Some(0)),
            ExportParams {
                location_id: None,
                page: 1,
                per_page: 1
            }
        );
        assert_eq!(
            ExportParams::new(None, None, Some(1 << 40)).per_page,
            MAX_PER_PAGE
        );
        assert_eq!(ExportParams::new(None, None, None).per_page, 100);
    }
}
