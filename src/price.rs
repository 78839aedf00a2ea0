//! Numbers as the contract reads them: integer stock and exact decimal prices.
//!
//! Prices never pass through a binary float: a JSON number arrives as the text it was written
//! with (serde_json's `arbitrary_precision`), a string is checked digit by digit, and values are
//! compared as `rust_decimal::Decimal`.

use rust_decimal::Decimal;
use std::str::FromStr;

/// A validated price: the text to store and its value (`None` for `""`, which clears the price).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub text: String,
    pub value: Option<Decimal>,
}

impl Price {
    pub fn cleared() -> Self {
        Price {
            text: String::new(),
            value: None,
        }
    }
}

/// Where a price came from: a JSON string (store separator allowed) or a JSON number (as written).
#[derive(Debug, Clone, Copy)]
pub enum PriceSource<'a> {
    Text(&'a str),
    Number(&'a str),
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

/// `digits` or `digits.digits` or `.digits`: the only shapes a stored price may have.
fn is_plain_decimal(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && all_digits(int),
        Some(f) => !f.is_empty() && all_digits(f) && all_digits(int),
    }
}

/// The most digits a price may have (leading zeros of the integer part aside): what an exact
/// 96-bit decimal holds. Both engines refuse longer prices rather than round them.
pub const MAX_PRICE_DIGITS: usize = 28;

fn digit_count(text: &str) -> usize {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    int.trim_start_matches('0').len() + frac.len()
}

/// Parses a price. `decimal_sep` is the store's separator (`woocommerce_price_decimal_sep`).
pub fn parse_price(src: PriceSource<'_>, decimal_sep: &str) -> Option<Price> {
    let text = match src {
        PriceSource::Number(raw) => raw.to_string(),
        PriceSource::Text(raw) => {
            let trimmed = raw.trim_matches(is_space);
            if trimmed.is_empty() {
                return if raw.is_empty() {
                    Some(Price::cleared())
                } else {
                    None
                };
            }
            if !decimal_sep.is_empty() && decimal_sep != "." && trimmed.contains(decimal_sep) {
                if trimmed.contains('.') || trimmed.matches(decimal_sep).count() != 1 {
                    return None;
                }
                trimmed.replacen(decimal_sep, ".", 1)
            } else {
                trimmed.to_string()
            }
        }
    };
    if !is_plain_decimal(&text) || digit_count(&text) > MAX_PRICE_DIGITS {
        return None;
    }
    // `from_str_exact` refuses what it cannot hold without rounding (more than 28 digits).
    let value = Decimal::from_str_exact(&text).ok()?;
    Some(Price {
        text,
        value: Some(value),
    })
}

/// A stored price as the location plugin reads it back: a plain decimal, else none.
pub fn stored_price_value(stored: &str) -> Option<Decimal> {
    let t = stored.trim_matches(is_space);
    if is_plain_decimal(t) {
        Decimal::from_str(t).ok()
    } else {
        None
    }
}

/// Parses stock from a string: optional surrounding spaces, optional sign, digits.
pub fn parse_stock_text(raw: &str) -> Option<i64> {
    let t = raw.trim_matches(is_space);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unsigned = t.strip_prefix('+').unwrap_or(t);
    unsigned.parse::<i64>().ok()
}

/// Parses a JSON number's text as an integer stock (`5`, `-3`; not `1.5`, `1e3`, `5.0`).
pub fn parse_stock_number(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok()
}

/// Parses a positive integer identifier from a JSON number's text or a string.
pub fn parse_positive_id(raw: &str, allow_spaces: bool) -> Option<u64> {
    let t = if allow_spaces {
        raw.trim_matches(is_space)
    } else {
        raw
    };
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<u64>() {
        Ok(0) | Err(_) => None,
        Ok(n) if n > i64::MAX as u64 => None,
        Ok(n) => Some(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Option<String> {
        parse_price(PriceSource::Text(s), ".").map(|p| p.text)
    }

    #[test]
    fn prices_accepted_as_written() {
        assert_eq!(text("29.99").as_deref(), Some("29.99"));
        assert_eq!(text(" 7.50 ").as_deref(), Some("7.50"));
        assert_eq!(text(".5").as_deref(), Some(".5"));
        assert_eq!(text("29.990").as_deref(), Some("29.990"));
        assert_eq!(text("0").as_deref(), Some("0"));
        assert_eq!(text("").as_deref(), Some(""));
        let n = parse_price(PriceSource::Number("0.30000000000000004"), ".");
        assert_eq!(n.map(|p| p.text).as_deref(), Some("0.30000000000000004"));
        let n = parse_price(PriceSource::Number("12"), ".");
        assert_eq!(n.map(|p| p.text).as_deref(), Some("12"));
    }

    #[test]
    fn prices_rejected() {
        for bad in [
            "-3", "--1", "abc", "$5", "1e3", "1.2.3", "1,234.56", "1,5", "  ", "5.", "+5", "0x10",
            "1 000", "٣",
        ] {
            assert_eq!(text(bad), None, "{bad:?} must be rejected");
        }
        assert!(parse_price(PriceSource::Number("1e3"), ".").is_none());
        assert!(parse_price(PriceSource::Number("-0"), ".").is_none());
        // Too many digits for an exact decimal: rejected, never rounded.
        assert!(parse_price(PriceSource::Text("0.12345678901234567890123456789"), ".").is_none());
        assert!(parse_price(PriceSource::Text("9999999999999999999999999999"), ".").is_some());
        assert!(
            parse_price(PriceSource::Text("00000000000000000000000000000001.5"), ".").is_some()
        );
        assert!(parse_price(PriceSource::Text(&"9".repeat(1_000_000)), ".").is_none());
    }

    #[test]
    fn store_separator() {
        let p = |s| parse_price(PriceSource::Text(s), ",").map(|p| p.text);
        assert_eq!(p("1,5").as_deref(), Some("1.5"));
        assert_eq!(p("1.5").as_deref(), Some("1.5"));
        assert_eq!(p("1.234,5"), None);
        assert_eq!(p("1,2,3"), None);
        // Numbers are never read with the store separator.
        assert!(parse_price(PriceSource::Number("1.5"), ",").is_some());
    }

    #[test]
    fn decimal_comparison() {
        let a = parse_price(PriceSource::Text("9.50"), ".").and_then(|p| p.value);
        let b = parse_price(PriceSource::Text("10.00"), ".").and_then(|p| p.value);
        assert!(a < b);
        assert_eq!(stored_price_value("10.0"), stored_price_value("10"));
        assert_eq!(stored_price_value("garbage"), None);
    }

    #[test]
    fn stock_forms() {
        assert_eq!(parse_stock_text(" 5 "), Some(5));
        assert_eq!(parse_stock_text("-3"), Some(-3));
        assert_eq!(parse_stock_text("+4"), Some(4));
        assert_eq!(parse_stock_text("-0"), Some(0));
        for bad in [
            "",
            " ",
            "1.5",
            "abc",
            "1e3",
            "0x1A",
            "+-1",
            "--1",
            "99999999999999999999",
        ] {
            assert_eq!(parse_stock_text(bad), None, "{bad:?}");
        }
        assert_eq!(parse_stock_number("5"), Some(5));
        assert_eq!(parse_stock_number("-7"), Some(-7));
        for bad in ["1.5", "1e3", "5.0", "1E2"] {
            assert_eq!(parse_stock_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ids() {
        assert_eq!(parse_positive_id("12", true), Some(12));
        assert_eq!(parse_positive_id(" 12 ", true), Some(12));
        for bad in ["0", "-11", "10.9", "abc", "", "1e2", "99999999999999999999"] {
            assert_eq!(parse_positive_id(bad, true), None, "{bad:?}");
        }
    }
}
