//! Location slugs the way the site resolves them.
//!
//! A requested `location_slug` matches as WordPress's `get_term_by('slug', …)` matches it: the
//! value is percent-decoded when it is percent-encoded (the contract's own step; SPEC.md), then
//! sanitized by the site's own `sanitize_title()`: its locale (`remove_accents()` writes `ü` as
//! `ue` in a `de_DE` store, `u` in an `en_US` one) and whatever `sanitize_title` filters its
//! plugins add (transliteration). The engine does not copy WordPress: it asks it, once per
//! request, for the distinct slugs of the request, through [`SlugSanitizer`] (src/php.rs calls
//! the site's `sanitize_title()`; the Rust tests have a small implementation of their own).
//!
//! What stays here is what WordPress cannot be asked for: the percent-decoding (PHP's
//! `rawurldecode()` kept only when the result is UTF-8, as the PHP engine does it; no site
//! setting or filter changes it) and the map from each raw slug to its sanitized form, so that
//! an item costs one hash lookup whatever the sanitizer costs.

use crate::error::EngineError;
use std::collections::HashMap;

/// The site's `sanitize_title()`, asked once per request.
pub trait SlugSanitizer {
    /// Sanitizes every value of `raw` (percent-decoded already, distinct, none empty); returns
    /// exactly one result per value, in order. `Err` is a whole-request failure (nothing is
    /// written); its text says why, for the caller's error message.
    fn sanitize(&self, raw: &[&str]) -> Result<Vec<String>, String>;
}

/// Each distinct raw `location_slug` of a request → its sanitized form, lower-cased (the key
/// the stored slugs are matched on: the database compares them case-insensitively); `None`
/// when it sanitizes to nothing.
#[derive(Debug, Default, Clone)]
pub struct Slugs {
    by_raw: HashMap<String, Option<String>>,
}

impl Slugs {
    /// Asks `sanitizer` once for the distinct values of `raw` (percent-decoded first).
    pub fn resolve<'a>(
        raw: impl IntoIterator<Item = &'a str>,
        sanitizer: &dyn SlugSanitizer,
    ) -> Result<Slugs, EngineError> {
        let mut by_raw: HashMap<String, Option<String>> = HashMap::new();
        // Distinct decoded values, and which raw values share each.
        let mut decoded: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut raw_to_decoded: Vec<(String, usize)> = Vec::new();
        for r in raw {
            if r.is_empty() || by_raw.contains_key(r) {
                continue;
            }
            by_raw.insert(r.to_string(), None);
            let d = percent_decode_utf8(r).unwrap_or_else(|| r.to_string());
            let next = order.len();
            let idx = *decoded.entry(d.clone()).or_insert(next);
            if idx == next {
                order.push(d);
            }
            raw_to_decoded.push((r.to_string(), idx));
        }
        if order.is_empty() {
            return Ok(Slugs { by_raw });
        }
        let asked: Vec<&str> = order.iter().map(String::as_str).collect();
        let answers = sanitizer.sanitize(&asked).map_err(EngineError::Config)?;
        if answers.len() != asked.len() {
            return Err(EngineError::Config(format!(
                "Sanitizing location slugs gave {} answers for {} slugs; nothing was written.",
                answers.len(),
                asked.len()
            )));
        }
        let answers: Vec<Option<String>> = answers
            .into_iter()
            .map(|s| (!s.is_empty()).then(|| s.to_lowercase()))
            .collect();
        for (r, idx) in raw_to_decoded {
            by_raw.insert(r, answers[idx].clone());
        }
        Ok(Slugs { by_raw })
    }

    /// Slugs sanitized already: `(raw, sanitized)` pairs (an empty sanitized value is nothing).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Slugs {
        let by_raw = pairs
            .into_iter()
            .map(|(r, s)| (r.to_string(), (!s.is_empty()).then(|| s.to_lowercase())))
            .collect();
        Slugs { by_raw }
    }

    /// The sanitized, lower-cased slug of a raw value: `None` when it sanitizes to nothing (or
    /// was not part of the request).
    pub fn get(&self, raw: &str) -> Option<&str> {
        self.by_raw.get(raw).and_then(|s| s.as_deref())
    }

    /// Each distinct raw slug with its sanitized form.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.by_raw.iter().map(|(r, s)| (r.as_str(), s.as_deref()))
    }

    /// The distinct sanitized slugs (for the lookup query).
    pub fn sanitized(&self) -> impl Iterator<Item = &str> {
        let mut seen = std::collections::BTreeSet::new();
        for s in self.by_raw.values().flatten() {
            seen.insert(s.as_str());
        }
        seen.into_iter()
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// PHP `rawurldecode()` of the whole value, returned only when the value holds at least one
/// `%XX` octet and the decoded bytes are valid UTF-8.
pub fn percent_decode_utf8(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut found = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            ) {
                out.push(hi * 16 + lo);
                found = true;
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    if !found {
        return None;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Upper-cases nothing: lower-cases, spaces to dashes; records every call.
    struct Recording(RefCell<Vec<Vec<String>>>);

    impl SlugSanitizer for Recording {
        fn sanitize(&self, raw: &[&str]) -> Result<Vec<String>, String> {
            self.0
                .borrow_mut()
                .push(raw.iter().map(|s| s.to_string()).collect());
            Ok(raw
                .iter()
                .map(|s| s.trim().to_lowercase().replace(' ', "-"))
                .collect())
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode_utf8("caf%c3%a9-paris").as_deref(),
            Some("café-paris")
        );
        assert_eq!(
            percent_decode_utf8("%E6%9D%B1%E4%BA%AC").as_deref(),
            Some("東京")
        );
        assert_eq!(percent_decode_utf8("plain"), None);
        assert_eq!(percent_decode_utf8("100%"), None);
        // Not UTF-8 once decoded: kept as given.
        assert_eq!(percent_decode_utf8("%ff%fe"), None);
    }

    #[test]
    fn one_call_with_the_distinct_decoded_values() {
        let s = Recording(RefCell::new(Vec::new()));
        let raw = [
            "Main Store",
            "Main Store",
            "caf%c3%a9",
            "café",
            "",
            "  ",
            "X",
        ];
        let slugs = Slugs::resolve(raw.iter().copied(), &s).expect("sanitized");
        assert_eq!(
            *s.0.borrow(),
            vec![vec![
                "Main Store".to_string(),
                "café".into(),
                "  ".into(),
                "X".into()
            ]]
        );
        assert_eq!(slugs.get("Main Store"), Some("main-store"));
        assert_eq!(slugs.get("caf%c3%a9"), Some("café"));
        assert_eq!(slugs.get("café"), Some("café"));
        assert_eq!(slugs.get("  "), None);
        assert_eq!(slugs.get("X"), Some("x"));
        assert_eq!(slugs.get("never asked"), None);
        assert_eq!(
            slugs.sanitized().collect::<Vec<_>>(),
            vec!["café", "main-store", "x"]
        );
    }

    #[test]
    fn no_slugs_no_call() {
        let s = Recording(RefCell::new(Vec::new()));
        Slugs::resolve(std::iter::empty(), &s).expect("nothing to do");
        assert!(s.0.borrow().is_empty());
    }

    struct Broken(Result<Vec<String>, String>);
    impl SlugSanitizer for Broken {
        fn sanitize(&self, _: &[&str]) -> Result<Vec<String>, String> {
            self.0.clone()
        }
    }

    #[test]
    fn failures_are_whole_request_errors() {
        let e =
            Slugs::resolve(["a"], &Broken(Err("no sanitize_title()".into()))).expect_err("fails");
        assert_eq!(e, EngineError::Config("no sanitize_title()".into()));
        let e = Slugs::resolve(["a", "b"], &Broken(Ok(vec!["a".into()]))).expect_err("fails");
        assert!(matches!(e, EngineError::Config(m) if m.contains("1 answers for 2 slugs")));
    }
}
