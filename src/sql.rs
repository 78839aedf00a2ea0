//! SQL text: table names, literals and statements chunked to the server's packet size.
//!
//! Every string value goes into SQL as a hexadecimal literal with a character set introducer
//! (`_utf8mb4 X'…'`): no quoting or escaping rules to get wrong, whatever the bytes, and the
//! column's collation still applies in comparisons (so indexes are used). Numbers are formatted
//! from Rust integers. Nothing from the request is ever spliced in any other way.

use std::fmt::Write as _;

/// The tables the engine touches, with the site's prefix.
#[derive(Debug, Clone)]
pub struct Tables {
    pub prefix: String,
    pub posts: String,
    pub postmeta: String,
    pub terms: String,
    pub term_taxonomy: String,
    pub term_relationships: String,
    pub options: String,
    pub lookup: String,
}

impl Tables {
    /// `prefix` must already be checked (letters, digits, underscores).
    pub fn new(prefix: &str) -> Self {
        let t = |name: &str| format!("`{prefix}{name}`");
        Tables {
            prefix: prefix.to_string(),
            posts: t("posts"),
            postmeta: t("postmeta"),
            terms: t("terms"),
            term_taxonomy: t("term_taxonomy"),
            term_relationships: t("term_relationships"),
            options: t("options"),
            lookup: t("wc_product_meta_lookup"),
        }
    }
}

/// The location plugin's per-location meta fields: `_location_{field}_{term_id}`.
pub const LOCATION_FIELDS: [&str; 5] = [
    "stock",
    "regular_price",
    "sale_price",
    "backorders",
    "disabled",
];

/// The meta key of one location field.
pub fn location_key(field: &str, term_id: u64) -> String {
    format!("_location_{field}_{term_id}")
}

/// Every per-location meta key of the given locations.
pub fn location_keys(terms: impl IntoIterator<Item = u64>) -> Vec<String> {
    terms
        .into_iter()
        .flat_map(|t| LOCATION_FIELDS.iter().map(move |f| location_key(f, t)))
        .collect()
}

/// Appends a string literal.
pub fn push_str_lit(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() * 2 + 14);
    out.push_str("_utf8mb4 X'");
    for b in s.bytes() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out.push('\'');
}

/// A string literal.
pub fn str_lit(s: &str) -> String {
    let mut out = String::new();
    push_str_lit(&mut out, s);
    out
}

/// Comma-separated string literals.
pub fn str_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str_lit(&mut out, s);
    }
    out
}

/// Builds `head part,part,... tail` statements, each at most `budget` bytes long (a single part
/// longer than that still gets a statement of its own, which the server may refuse).
///
/// Lazy: each statement is built when the caller takes it, so that only one statement's text
/// (and the parts not taken yet, when they are produced lazily too) is held at a time.
pub fn chunked<'h, I: IntoIterator<Item = String>>(
    head: &'h str,
    sep: &'h str,
    tail: &'h str,
    parts: I,
    budget: usize,
) -> Chunks<'h, I::IntoIter> {
    Chunks {
        head,
        sep,
        tail,
        parts: parts.into_iter(),
        budget,
        next: None,
    }
}

/// The statements of `chunked`.
pub struct Chunks<'h, I> {
    head: &'h str,
    sep: &'h str,
    tail: &'h str,
    parts: I,
    budget: usize,
    /// A part taken that did not fit the previous statement.
    next: Option<String>,
}

impl<I: Iterator<Item = String>> Iterator for Chunks<'_, I> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let mut cur = String::new();
        while let Some(part) = self.next.take().or_else(|| self.parts.next()) {
            if !cur.is_empty()
                && cur.len() + self.sep.len() + part.len() + self.tail.len() > self.budget
            {
                self.next = Some(part);
                break;
            }
            if cur.is_empty() {
                cur.push_str(self.head);
            } else {
                cur.push_str(self.sep);
            }
            cur.push_str(&part);
        }
        if cur.is_empty() {
            return None;
        }
        cur.push_str(self.tail);
        Some(cur)
    }
}

/// Comma-separated integers.
pub fn id_list(ids: impl IntoIterator<Item = u64>) -> String {
    let mut out = String::new();
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{id}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_hex() {
        assert_eq!(str_lit("a'b"), "_utf8mb4 X'612762'");
        assert_eq!(str_lit(""), "_utf8mb4 X''");
        assert_eq!(str_list(["a", "b"]), "_utf8mb4 X'61',_utf8mb4 X'62'");
    }

    #[test]
    fn chunks_respect_budget() {
        let parts = (0..100).map(|i| format!("({i})"));
        let stmts: Vec<String> = chunked("INSERT INTO t VALUES ", ",", ";", parts, 64).collect();
        assert!(stmts.len() > 1);
        assert!(stmts.iter().all(|s| s.len() <= 64));
        let joined: usize = stmts.iter().map(|s| s.matches('(').count()).sum();
        assert_eq!(joined, 100);
        assert!(chunked("H", ",", "", Vec::<String>::new(), 10)
            .next()
            .is_none());
        // The same statements as one eager pass: a part that does not fit starts the next.
        let parts = ["aaaa", "bb", "cccccc", "d"].map(String::from);
        let stmts: Vec<String> = chunked("H ", ",", ";", parts, 10).collect();
        assert_eq!(stmts, vec!["H aaaa,bb;", "H cccccc;", "H d;"]);
    }

    #[test]
    fn tables_use_prefix() {
        let t = Tables::new("wp_3_");
        assert_eq!(t.postmeta, "`wp_3_postmeta`");
    }
}
