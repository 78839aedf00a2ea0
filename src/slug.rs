//! Term slug sanitization, ported from WordPress 6.1 (`wp-includes/formatting.php`).
//!
//! [`sanitize_location_slug`] turns a requested location slug into the slug WordPress
//! stores and looks up for `get_term_by('slug', $value, ...)`:
//!
//! 1. If the value contains `%XX` octets and percent-decoding the whole value
//!    (PHP `rawurldecode`) gives valid UTF-8, the decoded value is used.
//! 2. Then exactly what `sanitize_title($value)` does with WordPress's default
//!    filters: `remove_accents()` (default `en_US` locale, no `intl` normalizer),
//!    then `sanitize_title_with_dashes($title, $raw, 'save')`, which itself starts
//!    with PHP's `strip_tags()`, lower-cases (`mb_strtolower`, PHP 8.2 Unicode data),
//!    percent-encodes the remaining non-ASCII (`utf8_uri_encode(.., 200)`, which
//!    truncates to 200 output bytes), applies the 'save' replacements, kills
//!    entities, and keeps `[%a-z0-9_-]` with whitespace and dots turned to dashes.
//! 3. An empty result is `None`.
//!
//! Pure std, no panics on any input.

use std::borrow::Cow;

/// Returns the slug as WordPress would store/look it up, or None when nothing is left (empty result).
pub fn sanitize_location_slug(raw: &str) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    let value: Cow<'_, str> = match percent_decode_utf8(raw) {
        Some(decoded) => Cow::Owned(decoded),
        None => Cow::Borrowed(raw),
    };
    let title = remove_accents(&value);
    let slug = sanitize_title_with_dashes_save(&title);
    if slug.is_empty() {
        None
    } else {
        Some(slug)
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

/// PHP `rawurldecode()` of the whole value, returned only when the value holds at
/// least one `%XX` octet and the decoded bytes are valid UTF-8.
fn percent_decode_utf8(raw: &str) -> Option<String> {
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

/// `remove_accents()` for valid UTF-8 input and the default (`en_US`) locale.
///
/// WordPress uses `strtr()` with single-character keys for that locale, so this is a
/// per-character replacement. (Its ISO-8859-1 branch is unreachable: a `&str` is
/// always valid UTF-8, so `seems_utf8()` is true.)
fn remove_accents(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match accent_replacement(c) {
            Some(rep) => out.push_str(rep),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The `$chars` table of `remove_accents()` (WordPress 6.1), verbatim.
fn accent_replacement(c: char) -> Option<&'static str> {
    let rep = match c {
        // Decompositions for Latin-1 Supplement.
        'ª' => "a",
        'º' => "o",
        'À' => "A",
        'Á' => "A",
        'Â' => "A",
        'Ã' => "A",
        'Ä' => "A",
        'Å' => "A",
        'Æ' => "AE",
        'Ç' => "C",
        'È' => "E",
        'É' => "E",
        'Ê' => "E",
        'Ë' => "E",
        'Ì' => "I",
        'Í' => "I",
        'Î' => "I",
        'Ï' => "I",
        'Ð' => "D",
        'Ñ' => "N",
        'Ò' => "O",
        'Ó' => "O",
        'Ô' => "O",
        'Õ' => "O",
        'Ö' => "O",
        'Ù' => "U",
        'Ú' => "U",
        'Û' => "U",
        'Ü' => "U",
        'Ý' => "Y",
        'Þ' => "TH",
        'ß' => "s",
        'à' => "a",
        'á' => "a",
        'â' => "a",
        'ã' => "a",
        'ä' => "a",
        'å' => "a",
        'æ' => "ae",
        'ç' => "c",
        'è' => "e",
        'é' => "e",
        'ê' => "e",
        'ë' => "e",
        'ì' => "i",
        'í' => "i",
        'î' => "i",
        'ï' => "i",
        'ð' => "d",
        'ñ' => "n",
        'ò' => "o",
        'ó' => "o",
        'ô' => "o",
        'õ' => "o",
        'ö' => "o",
        'ø' => "o",
        'ù' => "u",
        'ú' => "u",
        'û' => "u",
        'ü' => "u",
        'ý' => "y",
        'þ' => "th",
        'ÿ' => "y",
        'Ø' => "O",
        // Decompositions for Latin Extended-A.
        'Ā' => "A",
        'ā' => "a",
        'Ă' => "A",
        'ă' => "a",
        'Ą' => "A",
        'ą' => "a",
        'Ć' => "C",
        'ć' => "c",
        'Ĉ' => "C",
        'ĉ' => "c",
        'Ċ' => "C",
        'ċ' => "c",
        'Č' => "C",
        'č' => "c",
        'Ď' => "D",
        'ď' => "d",
        'Đ' => "D",
        'đ' => "d",
        'Ē' => "E",
        'ē' => "e",
        'Ĕ' => "E",
        'ĕ' => "e",
        'Ė' => "E",
        'ė' => "e",
        'Ę' => "E",
        'ę' => "e",
        'Ě' => "E",
        'ě' => "e",
        'Ĝ' => "G",
        'ĝ' => "g",
        'Ğ' => "G",
        'ğ' => "g",
        'Ġ' => "G",
        'ġ' => "g",
        'Ģ' => "G",
        'ģ' => "g",
        'Ĥ' => "H",
        'ĥ' => "h",
        'Ħ' => "H",
        'ħ' => "h",
        'Ĩ' => "I",
        'ĩ' => "i",
        'Ī' => "I",
        'ī' => "i",
        'Ĭ' => "I",
        'ĭ' => "i",
        'Į' => "I",
        'į' => "i",
        'İ' => "I",
        'ı' => "i",
        'Ĳ' => "IJ",
        'ĳ' => "ij",
        'Ĵ' => "J",
        'ĵ' => "j",
        'Ķ' => "K",
        'ķ' => "k",
        'ĸ' => "k",
        'Ĺ' => "L",
        'ĺ' => "l",
        'Ļ' => "L",
        'ļ' => "l",
        'Ľ' => "L",
        'ľ' => "l",
        'Ŀ' => "L",
        'ŀ' => "l",
        'Ł' => "L",
        'ł' => "l",
        'Ń' => "N",
        'ń' => "n",
        'Ņ' => "N",
        'ņ' => "n",
        'Ň' => "N",
        'ň' => "n",
        'ŉ' => "n",
        'Ŋ' => "N",
        'ŋ' => "n",
        'Ō' => "O",
        'ō' => "o",
        'Ŏ' => "O",
        'ŏ' => "o",
        'Ő' => "O",
        'ő' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ŕ' => "R",
        'ŕ' => "r",
        'Ŗ' => "R",
        'ŗ' => "r",
        'Ř' => "R",
        'ř' => "r",
        'Ś' => "S",
        'ś' => "s",
        'Ŝ' => "S",
        'ŝ' => "s",
        'Ş' => "S",
        'ş' => "s",
        'Š' => "S",
        'š' => "s",
        'Ţ' => "T",
        'ţ' => "t",
        'Ť' => "T",
        'ť' => "t",
        'Ŧ' => "T",
        'ŧ' => "t",
        'Ũ' => "U",
        'ũ' => "u",
        'Ū' => "U",
        'ū' => "u",
        'Ŭ' => "U",
        'ŭ' => "u",
        'Ů' => "U",
        'ů' => "u",
        'Ű' => "U",
        'ű' => "u",
        'Ų' => "U",
        'ų' => "u",
        'Ŵ' => "W",
        'ŵ' => "w",
        'Ŷ' => "Y",
        'ŷ' => "y",
        'Ÿ' => "Y",
        'Ź' => "Z",
        'ź' => "z",
        'Ż' => "Z",
        'ż' => "z",
        'Ž' => "Z",
        'ž' => "z",
        'ſ' => "s",
        // Decompositions for Latin Extended-B.
        'Ș' => "S",
        'ș' => "s",
        'Ț' => "T",
        'ț' => "t",
        // Euro sign.
        '€' => "E",
        // GBP (Pound) sign.
        '£' => "",
        // Vowels with diacritic (Vietnamese).
        // Unmarked.
        'Ơ' => "O",
        'ơ' => "o",
        'Ư' => "U",
        'ư' => "u",
        // Grave accent.
        'Ầ' => "A",
        'ầ' => "a",
        'Ằ' => "A",
        'ằ' => "a",
        'Ề' => "E",
        'ề' => "e",
        'Ồ' => "O",
        'ồ' => "o",
        'Ờ' => "O",
        'ờ' => "o",
        'Ừ' => "U",
        'ừ' => "u",
        'Ỳ' => "Y",
        'ỳ' => "y",
        // Hook.
        'Ả' => "A",
        'ả' => "a",
        'Ẩ' => "A",
        'ẩ' => "a",
        'Ẳ' => "A",
        'ẳ' => "a",
        'Ẻ' => "E",
        'ẻ' => "e",
        'Ể' => "E",
        'ể' => "e",
        'Ỉ' => "I",
        'ỉ' => "i",
        'Ỏ' => "O",
        'ỏ' => "o",
        'Ổ' => "O",
        'ổ' => "o",
        'Ở' => "O",
        'ở' => "o",
        'Ủ' => "U",
        'ủ' => "u",
        'Ử' => "U",
        'ử' => "u",
        'Ỷ' => "Y",
        'ỷ' => "y",
        // Tilde.
        'Ẫ' => "A",
        'ẫ' => "a",
        'Ẵ' => "A",
        'ẵ' => "a",
        'Ẽ' => "E",
        'ẽ' => "e",
        'Ễ' => "E",
        'ễ' => "e",
        'Ỗ' => "O",
        'ỗ' => "o",
        'Ỡ' => "O",
        'ỡ' => "o",
        'Ữ' => "U",
        'ữ' => "u",
        'Ỹ' => "Y",
        'ỹ' => "y",
        // Acute accent.
        'Ấ' => "A",
        'ấ' => "a",
        'Ắ' => "A",
        'ắ' => "a",
        'Ế' => "E",
        'ế' => "e",
        'Ố' => "O",
        'ố' => "o",
        'Ớ' => "O",
        'ớ' => "o",
        'Ứ' => "U",
        'ứ' => "u",
        // Dot below.
        'Ạ' => "A",
        'ạ' => "a",
        'Ậ' => "A",
        'ậ' => "a",
        'Ặ' => "A",
        'ặ' => "a",
        'Ẹ' => "E",
        'ẹ' => "e",
        'Ệ' => "E",
        'ệ' => "e",
        'Ị' => "I",
        'ị' => "i",
        'Ọ' => "O",
        'ọ' => "o",
        'Ộ' => "O",
        'ộ' => "o",
        'Ợ' => "O",
        'ợ' => "o",
        'Ụ' => "U",
        'ụ' => "u",
        'Ự' => "U",
        'ự' => "u",
        'Ỵ' => "Y",
        'ỵ' => "y",
        // Vowels with diacritic (Chinese, Hanyu Pinyin).
        'ɑ' => "a",
        // Macron.
        'Ǖ' => "U",
        'ǖ' => "u",
        // Acute accent.
        'Ǘ' => "U",
        'ǘ' => "u",
        // Caron.
        'Ǎ' => "A",
        'ǎ' => "a",
        'Ǐ' => "I",
        'ǐ' => "i",
        'Ǒ' => "O",
        'ǒ' => "o",
        'Ǔ' => "U",
        'ǔ' => "u",
        'Ǚ' => "U",
        'ǚ' => "u",
        // Grave accent.
        'Ǜ' => "U",
        'ǜ' => "u",
        _ => return None,
    };
    Some(rep)
}

fn is_c_space(b: u8) -> bool {
    // C `isspace()` in the "C" locale.
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// PHP 8.2 `strip_tags($str)` (no allowed tags): a port of `php_strip_tags_ex()`.
///
/// The nested `match`/`if` layout deliberately mirrors the C state machine (a
/// guard would fall through to the wrong default arm).
#[allow(clippy::collapsible_match)]
fn strip_tags(buf: &[u8]) -> Vec<u8> {
    let end = buf.len();
    // C reads the NUL terminator one past the end.
    let at = |i: usize| -> u8 { buf.get(i).copied().unwrap_or(0) };
    let prev = |p: usize, back: usize| -> Option<u8> { p.checked_sub(back).map(at) };
    let mut out = Vec::with_capacity(end);
    let mut state: u8 = 0;
    let mut lc: u8 = 0;
    let mut br: i64 = 0;
    let mut depth: u64 = 0;
    let mut in_q: u8 = 0;
    let mut is_xml = false;
    let mut p = 0usize;
    while p < end {
        let c = buf[p];
        match state {
            0 => match c {
                0 => {}
                b'<' => {
                    if in_q != 0 {
                        // dropped
                    } else if is_c_space(at(p + 1)) {
                        out.push(c);
                    } else {
                        lc = b'<';
                        state = 1;
                    }
                }
                b'>' => {
                    if depth > 0 {
                        depth -= 1;
                    } else if in_q == 0 {
                        out.push(c);
                    }
                }
                _ => out.push(c),
            },
            1 => match c {
                b'<' => {
                    if in_q == 0 && !is_c_space(at(p + 1)) {
                        depth = depth.saturating_add(1);
                    }
                }
                b'>' => {
                    if depth > 0 {
                        depth -= 1;
                    } else if in_q == 0 {
                        lc = b'>';
                        if !(is_xml && prev(p, 1) == Some(b'-')) {
                            in_q = 0;
                            state = 0;
                            is_xml = false;
                        }
                    }
                }
                b'"' | b'\'' => {
                    if p != 0 && (in_q == 0 || c == in_q) {
                        in_q = if in_q != 0 { 0 } else { c };
                    }
                }
                b'!' => {
                    if prev(p, 1) == Some(b'<') {
                        state = 3;
                        lc = c;
                    }
                }
                b'?' => {
                    if prev(p, 1) == Some(b'<') {
                        br = 0;
                        state = 2;
                    }
                }
                _ => {}
            },
            2 => match c {
                b'(' => {
                    if lc != b'"' && lc != b'\'' {
                        lc = b'(';
                        br = br.wrapping_add(1);
                    }
                }
                b')' => {
                    if lc != b'"' && lc != b'\'' {
                        lc = b')';
                        br = br.wrapping_sub(1);
                    }
                }
                b'>' => {
                    if depth > 0 {
                        depth -= 1;
                    } else if in_q == 0 && br == 0 && lc != b'"' && prev(p, 1) == Some(b'?') {
                        in_q = 0;
                        state = 0;
                    }
                }
                b'"' | b'\'' => {
                    if let Some(before) = prev(p, 1) {
                        if before != b'\\' {
                            if lc == c {
                                lc = 0;
                            } else if lc != b'\\' {
                                lc = c;
                            }
                            if in_q == 0 || c == in_q {
                                in_q = if in_q != 0 { 0 } else { c };
                            }
                        }
                    }
                }
                b'l' | b'L' => {
                    if p > 4
                        && matches!(at(p - 1), b'm' | b'M')
                        && matches!(at(p - 2), b'x' | b'X')
                        && at(p - 3) == b'?'
                        && at(p - 4) == b'<'
                    {
                        state = 1;
                        is_xml = true;
                    }
                }
                _ => {}
            },
            3 => match c {
                b'>' => {
                    if depth > 0 {
                        depth -= 1;
                    } else if in_q == 0 {
                        state = 0;
                    }
                }
                b'"' | b'\'' => {
                    if p != 0 && at(p - 1) != b'\\' && (in_q == 0 || c == in_q) {
                        in_q = if in_q != 0 { 0 } else { c };
                    }
                }
                b'-' => {
                    if p >= 2 && at(p - 1) == b'-' && at(p - 2) == b'!' {
                        state = 4;
                    }
                }
                b'E' | b'e' => {
                    if p > 6
                        && matches!(at(p - 1), b'p' | b'P')
                        && matches!(at(p - 2), b'y' | b'Y')
                        && matches!(at(p - 3), b't' | b'T')
                        && matches!(at(p - 4), b'c' | b'C')
                        && matches!(at(p - 5), b'o' | b'O')
                        && matches!(at(p - 6), b'd' | b'D')
                    {
                        state = 1;
                    }
                }
                _ => {}
            },
            _ => {
                // State 4: inside `<!-- ... -->`.
                if c == b'>' && in_q == 0 && p >= 2 && at(p - 1) == b'-' && at(p - 2) == b'-' {
                    state = 0;
                }
            }
        }
        p += 1;
    }
    out
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// The three "preserve escaped octets" steps of `sanitize_title_with_dashes()`:
/// `%XX` → `---XX---`, drop every other `%`, `---XX---` → `%XX`.
fn preserve_octets(s: &[u8]) -> Vec<u8> {
    // preg_replace('|%([a-fA-F0-9][a-fA-F0-9])|', '---$1---')
    let mut a = Vec::with_capacity(s.len() * 2);
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() && is_hex(s[i + 1]) && is_hex(s[i + 2]) {
            a.extend_from_slice(b"---");
            a.push(s[i + 1]);
            a.push(s[i + 2]);
            a.extend_from_slice(b"---");
            i += 3;
        } else {
            a.push(s[i]);
            i += 1;
        }
    }
    // str_replace('%', '', ...)
    a.retain(|&b| b != b'%');
    // preg_replace('|---([a-fA-F0-9][a-fA-F0-9])---|', '%$1')
    let mut out = Vec::with_capacity(a.len());
    let mut i = 0;
    while i < a.len() {
        if a.len() - i >= 8
            && &a[i..i + 3] == b"---"
            && is_hex(a[i + 3])
            && is_hex(a[i + 4])
            && &a[i + 5..i + 8] == b"---"
        {
            out.push(b'%');
            out.push(a[i + 3]);
            out.push(a[i + 4]);
            i += 8;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out
}

/// Code points that Rust's (newer) Unicode data lower-cases but PHP 8.2's
/// `mb_strtolower()` (Unicode 14) leaves alone.
fn php82_has_no_lowercase(c: char) -> bool {
    matches!(
        c as u32,
        0x1C89
            | 0xA7CB
            | 0xA7CC
            | 0xA7CE
            | 0xA7D2
            | 0xA7D4
            | 0xA7DA
            | 0xA7DC
            | 0x10D50..=0x10D65
            | 0x16EA0..=0x16EB8
    )
}

/// PHP 8.2 `mb_strtolower($s, 'UTF-8')`: full, context-free lower-case mapping.
fn mb_strtolower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if php82_has_no_lowercase(c) {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `utf8_uri_encode($s, 200)`: percent-encodes non-ASCII (lower-case hex) and stops
/// before the character that would make the output longer than 200 bytes.
fn utf8_uri_encode(s: &str, max_len: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_len));
    let mut len = 0usize;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if c.is_ascii() {
            if len + 1 > max_len {
                break;
            }
            out.push(c);
            len += 1;
        } else {
            let encoded = c.encode_utf8(&mut buf);
            let n = encoded.len() * 3;
            if len + n > max_len {
                break;
            }
            for b in encoded.bytes() {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0x0f)]);
            }
            len += n;
        }
    }
    out
}

const HEX: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

/// The 'save' context replacements, in WordPress's order (each `str_replace` pass
/// runs over the result of the previous one).
const SAVE_REPLACEMENTS: &[(&str, &str)] = &[
    // Convert &nbsp, &ndash, and &mdash to hyphens.
    ("%c2%a0", "-"),
    ("%e2%80%93", "-"),
    ("%e2%80%94", "-"),
    // Convert &nbsp, &ndash, and &mdash HTML entities to hyphens.
    ("&nbsp;", "-"),
    ("&#160;", "-"),
    ("&ndash;", "-"),
    ("&#8211;", "-"),
    ("&mdash;", "-"),
    ("&#8212;", "-"),
    // Convert forward slash to hyphen.
    ("/", "-"),
    // Strip these characters entirely.
    // Soft hyphens.
    ("%c2%ad", ""),
    // &iexcl and &iquest.
    ("%c2%a1", ""),
    ("%c2%bf", ""),
    // Angle quotes.
    ("%c2%ab", ""),
    ("%c2%bb", ""),
    ("%e2%80%b9", ""),
    ("%e2%80%ba", ""),
    // Curly quotes.
    ("%e2%80%98", ""),
    ("%e2%80%99", ""),
    ("%e2%80%9c", ""),
    ("%e2%80%9d", ""),
    ("%e2%80%9a", ""),
    ("%e2%80%9b", ""),
    ("%e2%80%9e", ""),
    ("%e2%80%9f", ""),
    // Bullet.
    ("%e2%80%a2", ""),
    // &copy, &reg, &deg, &hellip, and &trade.
    ("%c2%a9", ""),
    ("%c2%ae", ""),
    ("%c2%b0", ""),
    ("%e2%80%a6", ""),
    ("%e2%84%a2", ""),
    // Acute accents.
    ("%c2%b4", ""),
    ("%cb%8a", ""),
    ("%cc%81", ""),
    ("%cd%81", ""),
    // Grave accent, macron, caron.
    ("%cc%80", ""),
    ("%cc%84", ""),
    ("%cc%8c", ""),
    // Non-visible characters that display without a width.
    ("%e2%80%8b", ""), // Zero width space.
    ("%e2%80%8c", ""), // Zero width non-joiner.
    ("%e2%80%8d", ""), // Zero width joiner.
    ("%e2%80%8e", ""), // Left-to-right mark.
    ("%e2%80%8f", ""), // Right-to-left mark.
    ("%e2%80%aa", ""), // Left-to-right embedding.
    ("%e2%80%ab", ""), // Right-to-left embedding.
    ("%e2%80%ac", ""), // Pop directional formatting.
    ("%e2%80%ad", ""), // Left-to-right override.
    ("%e2%80%ae", ""), // Right-to-left override.
    ("%ef%bb%bf", ""), // Byte order mark.
    ("%ef%bf%bc", ""), // Object replacement character.
    // Convert non-visible characters that display with a width to hyphen.
    ("%e2%80%80", "-"), // En quad.
    ("%e2%80%81", "-"), // Em quad.
    ("%e2%80%82", "-"), // En space.
    ("%e2%80%83", "-"), // Em space.
    ("%e2%80%84", "-"), // Three-per-em space.
    ("%e2%80%85", "-"), // Four-per-em space.
    ("%e2%80%86", "-"), // Six-per-em space.
    ("%e2%80%87", "-"), // Figure space.
    ("%e2%80%88", "-"), // Punctuation space.
    ("%e2%80%89", "-"), // Thin space.
    ("%e2%80%8a", "-"), // Hair space.
    ("%e2%80%a8", "-"), // Line separator.
    ("%e2%80%a9", "-"), // Paragraph separator.
    ("%e2%80%af", "-"), // Narrow no-break space.
    // Convert &times to 'x'.
    ("%c3%97", "x"),
];

/// `preg_replace('/&.+?;/', '', $s)` (no `/s`: `.` does not match `\n`).
fn kill_entities(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'&' {
            // `.+?` needs at least one non-newline byte, then the first `;` wins.
            let mut j = i + 1;
            let mut end = None;
            while j < s.len() && s[j] != b'\n' {
                if s[j] == b';' && j > i + 1 {
                    end = Some(j);
                    break;
                }
                j += 1;
            }
            if let Some(e) = end {
                i = e + 1;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `sanitize_title_with_dashes($title, '', 'save')`.
fn sanitize_title_with_dashes_save(title: &str) -> String {
    let stripped = strip_tags(title.as_bytes());
    let octets = preserve_octets(&stripped);
    // Only ASCII bytes were removed, so this is still UTF-8; the lossy fallback is
    // never taken and only keeps the code free of panics.
    let text = match String::from_utf8(octets) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    // seems_utf8() is always true for valid UTF-8.
    let lowered = mb_strtolower(&text);
    let mut t = utf8_uri_encode(&lowered, 200);
    t.make_ascii_lowercase();

    for (from, to) in SAVE_REPLACEMENTS {
        if t.contains(from) {
            t = t.replace(from, to);
        }
    }

    let killed = kill_entities(t.as_bytes());

    // '.' → '-', drop everything outside [%a-z0-9 _-], whitespace runs → '-'
    // (only ' ' can be left by then), collapse dashes, trim dashes.
    let mut out = String::with_capacity(killed.len());
    for &b in &killed {
        let b = if b == b'.' { b'-' } else { b };
        let keep = matches!(b, b'%' | b'a'..=b'z' | b'0'..=b'9' | b' ' | b'_' | b'-');
        if !keep {
            continue;
        }
        let b = if b == b' ' { b'-' } else { b };
        if b == b'-' && out.ends_with('-') {
            continue;
        }
        out.push(char::from(b));
    }
    let trimmed = out.trim_matches('-');
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::sanitize_location_slug;

    /// Expected values were produced by WordPress 6.1.9's own `sanitize_title()`
    /// (wp-includes/formatting.php on PHP 8.2, default filters, `en_US`, no intl),
    /// after `rawurldecode()` when the value holds `%XX` and decodes to valid UTF-8.
    #[test]
    fn matches_wordpress_sanitize_title() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Café Paris", Some("cafe-paris")),
            ("München", Some("munchen")),
            ("main-store", Some("main-store")),
            (" Main Store ", Some("main-store")),
            ("a.b", Some("a-b")),
            ("東京", Some("%e6%9d%b1%e4%ba%ac")),
            ("<b>Main</b> Store", Some("main-store")),
            ("caf%c3%a9-paris", Some("cafe-paris")),
            ("%e6%9d%b1%e4%ba%ac", Some("%e6%9d%b1%e4%ba%ac")),
            ("Straße Köln", Some("strase-koln")),
            ("Ærøskøbing", Some("aeroskobing")),
            ("Œuvre cœur", Some("oeuvre-coeur")),
            ("Łódź Wrocław Gdańsk", Some("lodz-wroclaw-gdansk")),
            ("Žluťoučký kůň Brno", Some("zlutoucky-kun-brno")),
            ("Hà Nội Đà Nẵng", Some("ha-noi-da-nang")),
            ("Thành phố Hồ Chí Minh", Some("thanh-pho-ho-chi-minh")),
            ("İstanbul Şişli Ğ", Some("istanbul-sisli-g")),
            ("Ålesund", Some("alesund")),
            ("Ĳssel ĳs", Some("ijssel-ijs")),
            ("Ångström", Some("angstrom")),
            ("Çà et là", Some("ca-et-la")),
            ("Niño Jalapeño", Some("nino-jalapeno")),
            ("Cluj-Napoca Țară Și", Some("cluj-napoca-tara-si")),
            (
                "Ωμέγα Αθήνα",
                Some("%cf%89%ce%bc%ce%ad%ce%b3%ce%b1-%ce%b1%ce%b8%ce%ae%ce%bd%ce%b1"),
            ),
            ("ΟΔΟΣ", Some("%ce%bf%ce%b4%ce%bf%cf%83")),
            (
                "Москва Центр",
                Some("%d0%bc%d0%be%d1%81%d0%ba%d0%b2%d0%b0-%d1%86%d0%b5%d0%bd%d1%82%d1%80"),
            ),
            ("Київ", Some("%d0%ba%d0%b8%d1%97%d0%b2")),
            ("北京市 店", Some("%e5%8c%97%e4%ba%ac%e5%b8%82-%e5%ba%97")),
            (
                "ＡＢＣ１２３",
                Some("%ef%bd%81%ef%bd%82%ef%bd%83%ef%bc%91%ef%bc%92%ef%bc%93"),
            ),
            ("Þórshöfn", Some("thorshofn")),
            ("ǅ ǈ", Some("%c7%86-%c7%89")),
            ("ﬁle", Some("%ef%ac%81le")),
            ("Lǚ Nǚ", Some("lu-nu")),
            ("Ɑ ɑ", Some("%c9%91-a")),
            ("€5 store", Some("e5-store")),
            ("£10 store", Some("10-store")),
            ("¥ store", Some("%c2%a5-store")),
            ("Store © 2024 ®", Some("store-2024")),
            ("A × B", Some("a-x-b")),
            ("a–b—c", Some("a-b-c")),
            ("a\u{a0}b", Some("a-b")),
            ("Don’t “Stop”", Some("dont-stop")),
            ("¡Hola! ¿Qué?", Some("hola-que")),
            ("« Paris »", Some("paris")),
            ("Über… ™", Some("uber")),
            ("zero\u{200b}width", Some("zerowidth")),
            ("\u{feff}bom", Some("bom")),
            ("en\u{2003}space", Some("en-space")),
            ("e\u{301}x", Some("ex")),
            ("u\u{308}ber", Some("u%cc%88ber")),
            ("Shop 😀 Here", Some("shop-%f0%9f%98%80-here")),
            ("👍🏽", Some("%f0%9f%91%8d%f0%9f%8f%bd")),
            ("😀", Some("%f0%9f%98%80")),
            ("MiXeD CaSe", Some("mixed-case")),
            ("MAIN_STORE", Some("main_store")),
            ("<script>alert(1)</script>Store", Some("alert1store")),
            ("<p class=\"x>y\">Main</p>", Some("main")),
            ("<!-- hidden -->Visible", Some("visible")),
            ("<?php echo 1; ?>Shop", Some("shop")),
            ("a < b", Some("a-b")),
            ("a<b", Some("a")),
            ("<>", None),
            ("Tom &amp; Jerry", Some("tom-jerry")),
            ("A &nbsp; B", Some("a-b")),
            ("A&mdash;B", Some("a-b")),
            ("a & b", Some("a-b")),
            ("x&y;z", Some("xz")),
            ("a&b\nc;d", Some("abcd")),
            ("v1.2.3", Some("v1-2-3")),
            ("foo_bar baz", Some("foo_bar-baz")),
            ("a    b\t\tc\nd", Some("a-bcd")),
            ("--leading-and-trailing--", Some("leading-and-trailing")),
            ("- - -", None),
            ("a/b/c", Some("a-b-c")),
            ("a+b=c", Some("abc")),
            ("'quoted'", Some("quoted")),
            ("#hash tag", Some("hash-tag")),
            ("caf%C3%A9", Some("cafe")),
            ("%C3%A9T%C3%A9", Some("ete")),
            ("100%", Some("100")),
            ("100% cotton", Some("100-cotton")),
            ("%zz", Some("zz")),
            ("%ff", Some("%ff")),
            ("caf%c3%a9%ff", Some("caf%c3%a9%ff")),
            ("%e2%80%93", None),
            ("%2Fpath", Some("path")),
            ("%41%42", Some("ab")),
            ("a%20b", Some("a-b")),
            ("%3Cb%3EBold%3C%2Fb%3E", Some("bold")),
            ("%00", None),
            ("a\0b", Some("ab")),
            ("---a0---", Some("%a0")),
            ("%c2%a0x", Some("x")),
            ("", None),
            (" ", None),
            ("---", None),
            ("<b></b>", None),
            ("...", None),
            ("£", None),
            ("™", None),
            ("!!!", None),
            ("&amp;", None),
        ];
        assert!(cases.len() >= 40);
        let mut failures = Vec::new();
        for (input, expected) in cases {
            let got = sanitize_location_slug(input);
            if got.as_deref() != *expected {
                failures.push(format!("{input:?}: got {got:?}, expected {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
    }

    /// `utf8_uri_encode($title, 200)` truncates to 200 output bytes (checked against PHP).
    #[test]
    fn long_input_is_truncated_like_wordpress() {
        let a = "a".repeat(300);
        assert_eq!(sanitize_location_slug(&a), Some("a".repeat(200)));
        let e = "é".repeat(150);
        assert_eq!(sanitize_location_slug(&e), Some("e".repeat(150)));
        let euro = "€".repeat(100);
        assert_eq!(sanitize_location_slug(&euro), Some("e".repeat(100)));
        let cjk = "東".repeat(30);
        assert_eq!(sanitize_location_slug(&cjk), Some("%e6%9d%b1".repeat(22)));
        let words = "ab ".repeat(100);
        assert_eq!(
            sanitize_location_slug(&words),
            Some(vec!["ab"; 67].join("-"))
        );
        let edge = format!("{}é", "x".repeat(199));
        assert_eq!(
            sanitize_location_slug(&edge),
            Some(format!("{}e", "x".repeat(199)))
        );
        let octets = format!("Ab{}", "%41".repeat(300));
        assert_eq!(
            sanitize_location_slug(&octets),
            Some(format!("ab{}", "a".repeat(198)))
        );
        let open = format!("<<<{}", "x".repeat(500));
        assert_eq!(sanitize_location_slug(&open), None);
    }

    /// Output is always a non-empty slug made of `[%a-z0-9_-]` without edge dashes,
    /// and no input panics (including every char-boundary slice of tricky strings).
    #[test]
    fn never_panics_and_output_is_well_formed() {
        let tricky = [
            "<?xml a='>'?><!DOCTYPE x><!-- c -->é<p \"q>\">%c3%a9%zz&amp;;%",
            "%%%%c3%%a9%e2%80%93%e2%80\u{0}<<>>\"'\\()<?(\")?>",
            "東京😀👍🏽İΣẞǅ\u{301}\u{a0}\u{200b}\u{feff}&#8212;a.b_c d\n\t",
            "%f0%9f%98%80%F0%9F%98%8%ed%a0%80%c0%af%ff%fe",
            "\u{10FFFF}\u{1C89}\u{A7CB}\u{10D50}\u{16EA0}\u{E000}\u{FFFD}",
        ];
        let check = |s: &str| {
            if let Some(out) = sanitize_location_slug(s) {
                assert!(!out.is_empty(), "{s:?}");
                assert!(
                    !out.starts_with('-') && !out.ends_with('-'),
                    "{s:?} -> {out:?}"
                );
                assert!(!out.contains("--"), "{s:?} -> {out:?}");
                assert!(
                    out.bytes()
                        .all(|b| matches!(b, b'%' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')),
                    "{s:?} -> {out:?}"
                );
                assert!(out.len() <= 200, "{s:?} -> {out:?}");
            }
        };
        for t in tricky {
            let bounds: Vec<usize> = t
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(t.len()))
                .collect();
            for &i in &bounds {
                for &j in &bounds {
                    if i <= j {
                        if let Some(sub) = t.get(i..j) {
                            check(sub);
                        }
                    }
                }
            }
        }
        // Deterministic pseudo-random concatenations of awkward pieces.
        let pieces = [
            "<", ">", "<?", "?>", "<!--", "-->", "<!", "\"", "'", "\\", "(", ")", "%", "%c3",
            "%a9", "%C3%A9", "%zz", "%ff", "&", ";", "&amp;", "\n", " ", ".", "-", "_", "/", "é",
            "Æ", "ß", "東", "😀", "\u{0}", "\u{301}", "İ", "x", "ml", "doctype",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 16) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            check(&s);
        }
    }
}
