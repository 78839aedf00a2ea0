//! Test support: a fresh database per test on the private MariaDB that `./build.sh test`
//! starts (tests/lib/mariadb.sh), the WordPress/WooCommerce schema, and a small store.
#![allow(dead_code)]

use mulopimfwc::error::EngineError;
use mulopimfwc::options::{EngineOptions, OptValue};
use mulopimfwc::slug::SlugSanitizer;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use std::collections::HashMap;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run these tests through ./build.sh test (it starts MariaDB)")
    })
}

pub fn root() -> Conn {
    let opts = OptsBuilder::new()
        .socket(Some(env("MULOPIMFWC_DB_ROOT_SOCKET")))
        .user(Some("root"))
        .prefer_socket(true);
    Conn::new(opts).expect("root connection over the test server's socket")
}

/// The Rust tests' stand-in for the site's `sanitize_title()` (src/php.rs asks the real one):
/// ASCII only, trimmed, lower-cased, spaces and dots to dashes. Counts its calls and the slugs
/// it was asked.
#[derive(Default)]
pub struct TestSlugs {
    pub calls: std::cell::Cell<usize>,
    pub asked: std::cell::RefCell<Vec<String>>,
}

impl SlugSanitizer for TestSlugs {
    fn sanitize(&self, raw: &[&str]) -> Result<Vec<String>, String> {
        self.calls.set(self.calls.get() + 1);
        self.asked
            .borrow_mut()
            .extend(raw.iter().map(|s| s.to_string()));
        Ok(raw
            .iter()
            .map(|s| s.trim().to_ascii_lowercase().replace([' ', '.'], "-"))
            .collect())
    }
}

/// `engine::run_json` with the test sanitizer.
pub fn run_json(body: &[u8], opts: &EngineOptions) -> Result<serde_json::Value, EngineError> {
    mulopimfwc::engine::run_json(body, opts, &TestSlugs::default())
}

/// `engine::run_value` with the test sanitizer.
pub fn run_value(
    body: serde_json::Value,
    opts: &EngineOptions,
) -> Result<serde_json::Value, EngineError> {
    mulopimfwc::engine::run_value(body, opts, &TestSlugs::default())
}

/// A database of its own for one test.
pub struct TestDb {
    pub name: String,
    pub prefix: String,
    pub conn: Conn,
}

/// A seeded store: product ids by SKU, location term ids by slug.
pub struct Store {
    pub products: Vec<u64>,
    pub skus: Vec<String>,
    pub locations: Vec<(u64, String)>,
    pub outofstock_tt: u64,
}

impl TestDb {
    pub fn new(tag: &str, prefix: &str) -> TestDb {
        let name = format!("mulopimfwc_rs_{tag}");
        let mut conn = root();
        conn.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
            .expect("drop");
        conn.query_drop(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
        ))
        .expect("create");
        conn.query_drop(format!("USE `{name}`")).expect("use");
        let schema = std::fs::read_to_string(env("MULOPIMFWC_TEST_SCHEMA")).expect("schema.sql");
        let schema: String = schema
            .replace("{prefix}", prefix)
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for stmt in schema.split(';') {
            if !stmt.trim().is_empty() {
                conn.query_drop(stmt).expect("schema statement");
            }
        }
        TestDb {
            name,
            prefix: prefix.to_string(),
            conn,
        }
    }

    pub fn t(&self, table: &str) -> String {
        format!("`{}{}`", self.prefix, table)
    }

    /// Another session holds `post`'s `_stock` row (as an order's decrement does for a moment)
    /// until `after` has passed; returns the thread that releases it.
    pub fn hold_stock_row(
        &self,
        post: u64,
        after: std::time::Duration,
    ) -> std::thread::JoinHandle<()> {
        let mut holder = root();
        holder
            .query_drop(format!("USE `{}`", self.name))
            .expect("use");
        // The row alone (READ COMMITTED, by primary key): no gap lock, which would only make the
        // engine's inserts wait.
        let id: Option<u64> = holder
            .query_first(format!(
                "SELECT meta_id FROM {} WHERE post_id = {post} AND meta_key = '_stock'",
                self.t("postmeta")
            ))
            .expect("_stock row");
        holder
            .query_drop("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            .expect("isolation");
        holder.query_drop("START TRANSACTION").expect("begin");
        holder
            .query_drop(format!(
                "SELECT meta_id FROM {} WHERE meta_id = {} FOR UPDATE",
                self.t("postmeta"),
                id.expect("one _stock row")
            ))
            .expect("lock");
        std::thread::spawn(move || {
            std::thread::sleep(after);
            holder.query_drop("ROLLBACK").expect("release");
        })
    }

    /// Engine options for this database, connecting over TCP as the test user.
    pub fn options(&self) -> EngineOptions {
        self.options_with(&[])
    }

    pub fn options_with(&self, extra: &[(&str, OptValue)]) -> EngineOptions {
        let mut m = HashMap::new();
        let host = format!("127.0.0.1:{}", env("MULOPIMFWC_DB_PORT"));
        m.insert("db_host".into(), OptValue::Str(host));
        m.insert("db_user".into(), OptValue::Str(env("MULOPIMFWC_DB_USER")));
        m.insert(
            "db_password".into(),
            OptValue::Str(env("MULOPIMFWC_DB_PASSWORD")),
        );
        m.insert("db_name".into(), OptValue::Str(self.name.clone()));
        m.insert("table_prefix".into(), OptValue::Str(self.prefix.clone()));
        for (k, v) in extra {
            m.insert(k.to_string(), v.clone());
        }
        EngineOptions::from_map(&m).expect("options")
    }

    fn insert_id(&mut self, sql: String) -> u64 {
        self.conn.query_drop(sql).expect("insert");
        self.conn.last_insert_id()
    }

    pub fn add_meta(&mut self, post: u64, key: &str, value: &str) {
        let sql = format!(
            "INSERT INTO {} (post_id, meta_key, meta_value) VALUES ({post}, '{key}', '{value}')",
            self.t("postmeta")
        );
        self.conn.query_drop(sql).expect("meta");
    }

    /// `n` simple products managing stock (SKU `SKU-i`, stock 5, in stock) and `locations`
    /// location terms (`loc-j`); product_visibility's `outofstock` term.
    pub fn seed(&mut self, n: usize, locations: usize) -> Store {
        let (terms, tt) = (self.t("terms"), self.t("term_taxonomy"));
        let mut locs = Vec::new();
        for j in 0..locations {
            let slug = format!("loc-{j}");
            let id = self.insert_id(format!(
                "INSERT INTO {terms} (name, slug) VALUES ('Location {j}', '{slug}')"
            ));
            self.conn
                .query_drop(format!(
                    "INSERT INTO {tt} (term_id, taxonomy, description) VALUES ({id}, 'mulopimfwc_store_location', '')"
                ))
                .expect("tt");
            locs.push((id, slug));
        }
        let oos = self.insert_id(format!(
            "INSERT INTO {terms} (name, slug) VALUES ('outofstock', 'outofstock')"
        ));
        let outofstock_tt = self.insert_id(format!(
            "INSERT INTO {tt} (term_id, taxonomy, description) VALUES ({oos}, 'product_visibility', '')"
        ));
        let posts = self.t("posts");
        let mut products = Vec::new();
        let mut skus = Vec::new();
        for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
            let values: Vec<String> = chunk
                .iter()
                .map(|i| {
                    format!(
                        "(1, NOW(), NOW(), '', 'Product {i}', '', 'publish', 'product-{i}', NOW(), NOW(), '', 'product', '', '')"
                    )
                })
                .collect();
            self.conn
                .query_drop(format!(
                    "INSERT INTO {posts} (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, \
                     post_status, post_name, post_modified, post_modified_gmt, post_content_filtered, post_type, to_ping, pinged) \
                     VALUES {}",
                    values.join(",")
                ))
                .expect("posts");
            let first = self.conn.last_insert_id();
            for (k, i) in chunk.iter().enumerate() {
                products.push(first + k as u64);
                skus.push(format!("SKU-{i}"));
            }
        }
        let pm = self.t("postmeta");
        let lookup = self.t("wc_product_meta_lookup");
        for chunk in products
            .iter()
            .zip(skus.iter())
            .collect::<Vec<_>>()
            .chunks(1000)
        {
            let mut meta = Vec::new();
            let mut look = Vec::new();
            for (id, sku) in chunk {
                for (k, v) in [
                    ("_sku", sku.as_str()),
                    ("_manage_stock", "yes"),
                    ("_stock", "5"),
                    ("_stock_status", "instock"),
                    ("_backorders", "no"),
                    ("_regular_price", "50"),
                ] {
                    meta.push(format!("({id}, '{k}', '{v}')"));
                }
                look.push(format!("({id}, '{sku}', 5, 'instock')"));
            }
            self.conn
                .query_drop(format!(
                    "INSERT INTO {pm} (post_id, meta_key, meta_value) VALUES {}",
                    meta.join(",")
                ))
                .expect("meta");
            self.conn
                .query_drop(format!(
                    "INSERT INTO {lookup} (product_id, sku, stock_quantity, stock_status) VALUES {}",
                    look.join(",")
                ))
                .expect("lookup");
        }
        Store {
            products,
            skus,
            locations: locs,
            outofstock_tt,
        }
    }

    /// The value rows of (post, key).
    pub fn meta(&mut self, post: u64, key: &str) -> Vec<String> {
        let sql = format!(
            "SELECT meta_value FROM {} WHERE post_id = {post} AND meta_key = '{key}' ORDER BY meta_id",
            self.t("postmeta")
        );
        self.conn.query(sql).expect("meta query")
    }

    /// (post, key) pairs that have more than one row.
    pub fn duplicate_keys(&mut self) -> u64 {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT post_id, meta_key FROM {} GROUP BY post_id, meta_key HAVING COUNT(*) > 1) d",
            self.t("postmeta")
        );
        self.conn.query_first(sql).expect("dupes").unwrap_or(0)
    }

    /// A checksum of every table the engine may write.
    pub fn fingerprint(&mut self) -> String {
        let mut out = String::new();
        for table in [
            "postmeta",
            "posts",
            "term_relationships",
            "term_taxonomy",
            "wc_product_meta_lookup",
        ] {
            let row: Option<(String, Option<u64>)> = self
                .conn
                .query_first(format!("CHECKSUM TABLE {}", self.t(table)))
                .expect("checksum");
            out.push_str(&format!("{table}={:?};", row.map(|r| r.1)));
        }
        out
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = self
                .conn
                .query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
        }
    }
}

/// A request body of `n` items over the store's products and locations.
pub fn body(store: &Store, n: usize, stock: i64) -> String {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let (_, slug) = &store.locations[i % store.locations.len()];
            serde_json::json!({
                "sku": store.skus[i % store.skus.len()],
                "location_slug": slug,
                "stock": stock,
                "regular_price": "19.99",
                "sale_price": "14.50",
            })
        })
        .collect();
    serde_json::json!({ "items": items }).to_string()
}
