//! The native inventory export against MariaDB: rows, order, variations, paging, filter.

mod common;

use common::TestDb;
use mulopimfwc::export::{export, ExportParams};
use mysql::prelude::Queryable;
use serde_json::{json, Value};

fn page(db: &TestDb, loc: Option<u64>, page: u64, per: u64) -> Value {
    export(&db.options(), ExportParams::new(loc, Some(page), Some(per))).expect("export")
}

#[test]
fn exports_products_and_variations_per_location_in_pages() {
    let mut db = TestDb::new("export", "wp_");
    let store = db.seed(3, 2);
    let (l0, l1) = (store.locations[0].0, store.locations[1].0);
    // A variable product (product_type term) with two variations, the second first by menu_order.
    let posts = db.t("posts");
    let insert = |db: &mut TestDb, title: &str, ty: &str, parent: u64, order: i64| -> u64 {
        db.conn
            .query_drop(format!(
                "INSERT INTO {posts} (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, \
                 post_status, post_name, post_modified, post_modified_gmt, post_content_filtered, post_parent, \
                 menu_order, post_type, to_ping, pinged) VALUES (1, NOW(), NOW(), '', '{title}', '', 'publish', '', \
                 NOW(), NOW(), '', {parent}, {order}, '{ty}', '', '')"
            ))
            .expect("post");
        db.conn.last_insert_id()
    };
    let var = insert(&mut db, "Shirt", "product", 0, 0);
    let red = insert(&mut db, "Shirt - Red", "product_variation", var, 2);
    let blue = insert(&mut db, "Shirt - Blue", "product_variation", var, 1);
    let (terms, tt, tr) = (
        db.t("terms"),
        db.t("term_taxonomy"),
        db.t("term_relationships"),
    );
    db.conn
        .query_drop(format!(
            "INSERT INTO {terms} (name, slug) VALUES ('variable', 'variable')"
        ))
        .expect("term");
    let term = db.conn.last_insert_id();
    db.conn
        .query_drop(format!(
            "INSERT INTO {tt} (term_id, taxonomy, description) VALUES ({term}, 'product_type', '')"
        ))
        .expect("tt");
    let ttid = db.conn.last_insert_id();
    db.conn
        .query_drop(format!(
            "INSERT INTO {tr} (object_id, term_taxonomy_id) VALUES ({var}, {ttid})"
        ))
        .expect("tr");
    db.add_meta(red, "_sku", "SHIRT-RED");
    db.add_meta(red, &format!("_location_stock_{l1}"), "4");
    db.add_meta(red, &format!("_location_disabled_{l1}"), "yes");
    let p0 = store.products[0];
    db.add_meta(p0, &format!("_location_stock_{l0}"), "9");
    db.add_meta(p0, &format!("_location_regular_price_{l0}"), "12.50");
    // A draft product is not exported.
    let draft = insert(&mut db, "Draft", "product", 0, 0);
    db.conn
        .query_drop(format!(
            "UPDATE {posts} SET post_status = 'draft' WHERE ID = {draft}"
        ))
        .expect("draft");

    let all = page(&db, None, 1, 100);
    // 3 simple products × 2 locations + 2 variations × 2 locations.
    assert_eq!(all["total"], json!(10));
    assert_eq!(all["count"], json!(10));
    let rows = all["data"].as_array().expect("rows");
    let keys: Vec<(u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["product_id"].as_u64().unwrap_or(0),
                r["location_id"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut want = Vec::new();
    for &p in &store.products {
        want.push((p, l0));
        want.push((p, l1));
    }
    want.extend([(blue, l0), (red, l0), (blue, l1), (red, l1)]);
    assert_eq!(keys, want);
    assert_eq!(rows[0]["stock"], json!("9"));
    assert_eq!(rows[0]["regular_price"], json!("12.50"));
    assert_eq!(rows[0]["sale_price"], json!(""));
    assert_eq!(rows[0]["sku"], json!("SKU-0"));
    assert_eq!(rows[0]["location_slug"], json!("loc-0"));
    assert_eq!(rows[0]["location_name"], json!("Location 0"));
    assert_eq!(rows[0]["disabled"], json!(false));
    let red_l1 = &rows[9];
    assert_eq!(red_l1["product_name"], json!("Shirt - Red"));
    assert_eq!(red_l1["sku"], json!("SHIRT-RED"));
    assert_eq!(red_l1["stock"], json!("4"));
    assert_eq!(red_l1["disabled"], json!(true));

    // Pages of 3 put the same rows back together.
    let mut paged = Vec::new();
    for p in 1..=4 {
        let out = page(&db, None, p, 3);
        assert_eq!(out["total"], json!(10));
        paged.extend(out["data"].as_array().cloned().unwrap_or_default());
    }
    assert_eq!(&paged, rows);
    assert_eq!(page(&db, None, 5, 3)["count"], json!(0));

    // One location only; an unknown one gives nothing.
    let only = page(&db, Some(l1), 1, 100);
    assert_eq!(only["total"], json!(5));
    assert!(only["data"]
        .as_array()
        .map(|r| r.iter().all(|x| x["location_id"] == json!(l1)))
        .unwrap_or(false));
    assert_eq!(page(&db, Some(999_999), 1, 100)["total"], json!(0));
}
