//! Resolving identifiers: which product and which location each item names, from the rows that
//! the set queries of `engine.rs` returned (pure; no I/O here).

use crate::error::ItemError;
use crate::request::{sku_key, ItemFields};
use crate::slug::Slugs;
use std::collections::HashMap;

/// `post_type` of a product row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostType {
    Product,
    Variation,
}

impl PostType {
    pub fn from_db(s: &str) -> Option<PostType> {
        match s {
            "product" => Some(PostType::Product),
            "product_variation" => Some(PostType::Variation),
            _ => None,
        }
    }
}

/// What the engine knows of one product or variation post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostInfo {
    pub post_type: PostType,
    pub parent: u64,
    pub status: String,
}

/// An item whose product and location are known. Its fields are the validated item's own
/// (borrowed: an attempt resolves the items again without copying them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'f> {
    pub post_id: u64,
    pub term_id: u64,
    pub fields: &'f ItemFields,
}

/// The answers of the lookup queries.
#[derive(Debug, Default)]
pub struct Lookups {
    /// Products and variations found by id (any status).
    pub by_id: HashMap<u64, ()>,
    /// SKU key → products and variations (not trashed) carrying it.
    pub by_sku: HashMap<String, Vec<u64>>,
    /// Location term ids that exist.
    pub locations_by_id: HashMap<u64, ()>,
    /// Lower-cased stored slug → location term id.
    pub locations_by_slug: HashMap<String, u64>,
    /// Each raw `location_slug` of the request that names a location → its term id (see
    /// `name_slugs`): one hash lookup per item.
    pub locations_by_raw_slug: HashMap<String, u64>,
}

impl Lookups {
    /// Records a row of the by-id query.
    pub fn add_product(&mut self, id: u64) {
        self.by_id.insert(id, ());
    }

    /// Records a row of the by-SKU query, keeping only rows whose SKU really matches one asked
    /// for (the database's collation may be looser than WooCommerce's match).
    pub fn add_sku_match(&mut self, id: u64, stored_sku: &str) {
        let ids = self.by_sku.entry(sku_key(stored_sku)).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    pub fn add_location(&mut self, term_id: u64, slug: &str) {
        self.locations_by_id.insert(term_id, ());
        self.locations_by_slug
            .entry(slug.to_lowercase())
            .or_insert(term_id);
    }

    /// Maps each raw slug of the request to the location its sanitized form names (after every
    /// `add_location`).
    pub fn name_slugs(&mut self, slugs: &Slugs) {
        for (raw, sanitized) in slugs.iter() {
            if let Some(id) = sanitized.and_then(|s| self.locations_by_slug.get(s).copied()) {
                self.locations_by_raw_slug.insert(raw.to_string(), id);
            }
        }
    }

    /// The products a SKU names (not trashed), as WooCommerce's lookup finds them.
    fn by_sku(&self, sku: &str) -> &[u64] {
        self.by_sku
            .get(&sku_key(sku))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn product(&self, f: &ItemFields) -> Result<u64, ItemError> {
        match (f.product_id, f.sku.as_deref()) {
            (Some(id), sku) => {
                if !self.by_id.contains_key(&id) {
                    return Err(ItemError::PRODUCT_NOT_FOUND_ID);
                }
                // Both given: the SKU, looked up as a SKU, must name exactly this product.
                match sku.map(|s| self.by_sku(s)) {
                    None => Ok(id),
                    Some([one]) if *one == id => Ok(id),
                    Some([_, _, ..]) => Err(ItemError::AMBIGUOUS_SKU),
                    Some(_) => Err(ItemError::PRODUCT_MISMATCH),
                }
            }
            (None, Some(sku)) => match self.by_sku(sku) {
                [] => Err(ItemError::PRODUCT_NOT_FOUND_SKU),
                [id] => Ok(*id),
                _ => Err(ItemError::AMBIGUOUS_SKU),
            },
            (None, None) => Err(ItemError::MISSING_PRODUCT),
        }
    }

    fn location(&self, f: &ItemFields) -> Result<u64, ItemError> {
        let by_slug = |raw: &String| self.locations_by_raw_slug.get(raw.as_str()).copied();
        match (f.location.id, &f.location.slug) {
            (Some(id), slug) => {
                if !self.locations_by_id.contains_key(&id) {
                    return Err(ItemError::LOCATION_NOT_FOUND_ID);
                }
                match slug {
                    Some(s) if by_slug(s) != Some(id) => Err(ItemError::LOCATION_MISMATCH),
                    _ => Ok(id),
                }
            }
            (None, Some(s)) => by_slug(s).ok_or(ItemError::LOCATION_NOT_FOUND_SLUG),
            (None, None) => Err(ItemError::MISSING_LOCATION),
        }
    }

    /// Resolves one validated item.
    pub fn resolve<'f>(&self, fields: &'f ItemFields) -> Result<Resolved<'f>, ItemError> {
        let post_id = self.product(fields)?;
        let term_id = self.location(fields)?;
        Ok(Resolved {
            post_id,
            term_id,
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::LocationRef;

    fn fields(
        pid: Option<u64>,
        sku: Option<&str>,
        lid: Option<u64>,
        slug: Option<&str>,
    ) -> ItemFields {
        ItemFields {
            product_id: pid,
            sku: sku.map(str::to_string),
            location: LocationRef {
                id: lid,
                slug: slug.map(str::to_string),
            },
            stock: crate::request::StockOp::Set(1),
            expected_stock: None,
            regular_price: None,
            sale_price: None,
            backorders: None,
            disabled: None,
        }
    }

    fn lookups() -> Lookups {
        let mut l = Lookups::default();
        l.add_product(10);
        l.add_product(11);
        l.add_product(20);
        l.add_sku_match(10, "PROD-001");
        l.add_sku_match(20, "DUP");
        l.add_sku_match(21, "dup ");
        l.add_location(5, "main-store");
        l.add_location(6, "warehouse");
        let slugs = Slugs::from_pairs([
            ("warehouse", "warehouse"),
            ("main-store", "main-store"),
            ("nowhere", "nowhere"),
            ("Main Store", "Main-Store"),
        ]);
        l.name_slugs(&slugs);
        l
    }

    #[test]
    fn products() {
        let l = lookups();
        let code = |f: ItemFields| l.resolve(&f).map(|r| r.post_id).map_err(|e| e.code);
        assert_eq!(
            code(fields(None, Some("prod-001  "), Some(5), None)),
            Ok(10)
        );
        assert_eq!(
            code(fields(Some(10), Some("PROD-001"), Some(5), None)),
            Ok(10)
        );
        assert_eq!(
            code(fields(Some(11), Some("PROD-001"), Some(5), None)),
            Err("product_mismatch")
        );
        assert_eq!(
            code(fields(Some(99), None, Some(5), None)),
            Err("product_not_found")
        );
        assert_eq!(
            code(fields(None, Some("nope"), Some(5), None)),
            Err("product_not_found")
        );
        assert_eq!(
            code(fields(None, Some("DUP"), Some(5), None)),
            Err("ambiguous_sku")
        );
    }

    #[test]
    fn locations() {
        let l = lookups();
        let code = |f: ItemFields| l.resolve(&f).map(|r| r.term_id).map_err(|e| e.code);
        assert_eq!(code(fields(Some(10), None, None, Some("warehouse"))), Ok(6));
        assert_eq!(
            code(fields(Some(10), None, Some(5), Some("main-store"))),
            Ok(5)
        );
        assert_eq!(
            code(fields(Some(10), None, Some(5), Some("warehouse"))),
            Err("location_mismatch")
        );
        assert_eq!(
            code(fields(Some(10), None, Some(7), None)),
            Err("location_not_found")
        );
        assert_eq!(
            code(fields(Some(10), None, None, Some("nowhere"))),
            Err("location_not_found")
        );
        // The sanitized form names the location (matched case-insensitively), not the raw one.
        assert_eq!(
            code(fields(Some(10), None, Some(5), Some("Main Store"))),
            Ok(5)
        );
        // A raw slug the sanitizer never saw names nothing.
        assert_eq!(
            code(fields(Some(10), None, Some(5), Some("MAIN-STORE"))),
            Err("location_mismatch")
        );
    }
}
