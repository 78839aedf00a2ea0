//! What only WordPress knows, handed over by the caller: database settings, table prefix,
//! limits and overrides of site options.

use crate::error::EngineError;
use crate::price::parse_positive_id;
use std::collections::HashMap;

/// A scalar option value as PHP hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum OptValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl OptValue {
    fn as_string(&self) -> Option<String> {
        match self {
            OptValue::Null => None,
            OptValue::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
            OptValue::Int(i) => Some(i.to_string()),
            OptValue::Float(f) => Some(f.to_string()),
            OptValue::Str(s) => Some(s.clone()),
        }
    }

    fn truthy(&self) -> bool {
        match self {
            OptValue::Null => false,
            OptValue::Bool(b) => *b,
            OptValue::Int(i) => *i != 0,
            OptValue::Float(f) => *f != 0.0,
            OptValue::Str(s) => !(s.is_empty() || s == "0"),
        }
    }
}

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DbAddr {
    Tcp { host: String, port: u16 },
    Socket(String),
}

/// The connection settings, as WordPress's `DB_*` constants give them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DbConfig {
    pub addr: DbAddr,
    pub user: String,
    pub password: String,
    pub name: String,
    pub charset: String,
    pub connect_timeout_secs: u64,
    pub read_timeout_secs: u64,
    /// `innodb_lock_wait_timeout` for the engine's session; `None` keeps the server's.
    pub lock_wait_timeout_secs: Option<u64>,
}

impl std::fmt::Debug for DbConfig {
    // Never print the password (or anything else that identifies the server) by accident.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbConfig { .. }")
    }
}

/// The default socket when `DB_HOST` is `localhost` without one (Debian's MariaDB/MySQL).
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";

/// Parses `DB_HOST` the way WordPress's `wpdb::parse_db_host()` and mysqli read it:
/// `localhost` (socket), `host:port`, `localhost:/path.sock`, `[::1]:3306`, `::1`.
pub fn parse_db_host(raw: &str, default_socket: &str) -> DbAddr {
    let (mut host, socket) = match raw.find(":/") {
        Some(pos) => (&raw[..pos], Some(raw[pos + 1..].to_string())),
        None => (raw, None),
    };
    let mut port: Option<u16> = None;
    if host.matches(':').count() > 1 {
        // IPv6: `[addr]:port` or a bare address.
        let h = host.strip_prefix('[').unwrap_or(host);
        match h.split_once("]:") {
            Some((addr, p)) => {
                host = addr;
                port = p.parse().ok();
            }
            None => host = h.trim_end_matches(']'),
        }
    } else if let Some((h, p)) = host.split_once(':') {
        host = h;
        port = p.parse().ok();
    }
    if host.is_empty() || host.eq_ignore_ascii_case("localhost") {
        return DbAddr::Socket(socket.unwrap_or_else(|| default_socket.to_string()));
    }
    DbAddr::Tcp {
        host: host.to_string(),
        port: port.unwrap_or(3306),
    }
}

/// `mulopimfwc_primary_location`, read as the contract says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primary {
    /// Absent, `""` or `"0"`: every location's stock follows into WooCommerce's stock.
    Unset,
    /// That term's stock follows.
    Term(u64),
    /// Set to something that names no location: no location's stock follows.
    Nothing,
}

impl Primary {
    pub fn from_option(v: Option<&OptValue>) -> Primary {
        let Some(v) = v else { return Primary::Unset };
        match v {
            OptValue::Null | OptValue::Bool(false) => Primary::Unset,
            OptValue::Int(0) => Primary::Unset,
            OptValue::Int(i) if *i > 0 => Primary::Term(*i as u64),
            OptValue::Str(s) if s.is_empty() || s == "0" => Primary::Unset,
            OptValue::Str(s) => parse_positive_id(s, true)
                .map(Primary::Term)
                .unwrap_or(Primary::Nothing),
            _ => Primary::Nothing,
        }
    }

    pub fn follows(self, term_id: u64) -> bool {
        match self {
            Primary::Unset => true,
            Primary::Term(t) => t == term_id,
            Primary::Nothing => false,
        }
    }
}

/// PHP's `absint()` of an option value (`intval` of the leading number, then absolute).
pub fn absint(v: Option<&OptValue>) -> i64 {
    match v {
        None | Some(OptValue::Null) => 0,
        Some(OptValue::Int(i)) => i.saturating_abs(),
        Some(OptValue::Float(f)) => (f.trunc() as i64).saturating_abs(),
        Some(OptValue::Bool(b)) => i64::from(*b),
        Some(OptValue::Str(s)) => {
            let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
            let (neg, rest) = match t.as_bytes().first() {
                Some(b'-') => (true, &t[1..]),
                Some(b'+') => (false, &t[1..]),
                _ => (false, t),
            };
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            let n = digits
                .parse::<i64>()
                .unwrap_or(if digits.is_empty() { 0 } else { i64::MAX });
            if neg {
                n.saturating_neg().saturating_abs()
            } else {
                n
            }
        }
    }
}

/// Everything the engine needs besides the payload.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub db: DbConfig,
    pub table_prefix: String,
    pub max_items: usize,
    /// Overrides of site options; `None` means: read it from `{prefix}options`.
    pub primary_location: Option<OptValue>,
    pub notify_no_stock_amount: Option<OptValue>,
    pub price_decimal_sep: Option<String>,
    /// `post_modified` / `post_modified_gmt` to stamp (WordPress's `current_time('mysql')`).
    pub now_local: Option<String>,
    pub now_gmt: Option<String>,
    /// Validate and resolve, write nothing.
    pub dry_run: bool,
    /// List every postmeta row written in the result (`meta_writes`), for the meta API's hooks.
    pub report_meta_writes: bool,
    /// `job_id` + `job_chunk`: the chunk of a bulk-sync job this call applies, exactly once.
    pub job: Option<JobChunk>,
}

/// One chunk of a bulk-sync job: its row in `{prefix}mulopimfwc_job_chunks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobChunk {
    pub job_id: u64,
    pub chunk_no: u64,
}

/// An integer option: an int, or a string of decimal digits (what `$wpdb` reads from a row).
/// `None` when absent or null; `Err` for anything else.
fn int_option(map: &HashMap<String, OptValue>, key: &str) -> Result<Option<u64>, EngineError> {
    let bad = || {
        EngineError::InvalidOptions(format!(
            "The {key} option must be an integer of 0 or more (job_id: 1 or more)."
        ))
    };
    match map.get(key) {
        None | Some(OptValue::Null) => Ok(None),
        Some(OptValue::Int(i)) => u64::try_from(*i).map(Some).map_err(|_| bad()),
        Some(OptValue::Str(t))
            if !t.is_empty() && t.len() <= 19 && t.bytes().all(|b| b.is_ascii_digit()) =>
        {
            t.parse().map(Some).map_err(|_| bad())
        }
        Some(_) => Err(bad()),
    }
}

/// `job_id` (1 or more) and `job_chunk` (0 or more): both or neither.
fn job_chunk(map: &HashMap<String, OptValue>) -> Result<Option<JobChunk>, EngineError> {
    match (int_option(map, "job_id")?, int_option(map, "job_chunk")?) {
        (None, None) => Ok(None),
        (Some(0), _) => Err(EngineError::InvalidOptions(
            "The job_id option must be an integer of 1 or more.".into(),
        )),
        (Some(job_id), Some(chunk_no)) => Ok(Some(JobChunk { job_id, chunk_no })),
        _ => Err(EngineError::InvalidOptions(
            "The job_id and job_chunk options go together: give both or neither.".into(),
        )),
    }
}

pub const DEFAULT_MAX_ITEMS: usize = 100_000;

fn valid_prefix(p: &str) -> bool {
    !p.is_empty() && p.len() <= 64 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn valid_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

impl EngineOptions {
    /// Builds the options from the caller's map (keys as documented in tests/contract/README.md).
    pub fn from_map(map: &HashMap<String, OptValue>) -> Result<Self, EngineError> {
        let s = |k: &str| map.get(k).and_then(OptValue::as_string);
        let default_socket = s("db_default_socket").unwrap_or_else(|| DEFAULT_SOCKET.to_string());
        let host = s("db_host").unwrap_or_else(|| "localhost".to_string());
        let name = s("db_name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| EngineError::Config("The db_name option is required.".into()))?;
        let secs = |k: &str, default: u64| match map.get(k) {
            Some(OptValue::Int(i)) if *i > 0 => *i as u64,
            _ => default,
        };
        let db = DbConfig {
            addr: parse_db_host(&host, &default_socket),
            user: s("db_user").unwrap_or_default(),
            password: s("db_password").unwrap_or_default(),
            name,
            charset: s("db_charset")
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "utf8mb4".into()),
            connect_timeout_secs: secs("db_connect_timeout", 5),
            read_timeout_secs: secs("db_read_timeout", 60),
            lock_wait_timeout_secs: match map.get("lock_wait_timeout") {
                Some(OptValue::Int(i)) if *i > 0 => Some(*i as u64),
                _ => None,
            },
        };
        let table_prefix = s("table_prefix").unwrap_or_else(|| "wp_".into());
        if !valid_prefix(&table_prefix) {
            return Err(EngineError::Config(
                "The table prefix may contain only letters, digits and underscores.".into(),
            ));
        }
        let max_items = match map.get("max_items") {
            Some(OptValue::Int(i)) if *i >= 0 => *i as usize,
            Some(OptValue::Str(t)) => t.trim().parse().unwrap_or(DEFAULT_MAX_ITEMS),
            _ => DEFAULT_MAX_ITEMS,
        };
        let stamp = |k: &str| -> Result<Option<String>, EngineError> {
            match s(k) {
                None => Ok(None),
                Some(v) if valid_datetime(&v) => Ok(Some(v)),
                Some(_) => Err(EngineError::Config(format!(
                    "The {k} option must look like 2024-01-31 23:59:59."
                ))),
            }
        };
        Ok(EngineOptions {
            db,
            table_prefix,
            max_items,
            primary_location: map.get("primary_location").cloned(),
            notify_no_stock_amount: map.get("notify_no_stock_amount").cloned(),
            price_decimal_sep: s("price_decimal_sep"),
            now_local: stamp("now_local")?,
            now_gmt: stamp("now_gmt")?,
            dry_run: map.get("dry_run").map(OptValue::truthy).unwrap_or(false),
            report_meta_writes: map
                .get("report_meta_writes")
                .map(OptValue::truthy)
                .unwrap_or(false),
            job: job_chunk(map)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_host_forms() {
        let d = DEFAULT_SOCKET;
        assert_eq!(parse_db_host("localhost", d), DbAddr::Socket(d.into()));
        assert_eq!(
            parse_db_host("localhost:/tmp/my.sock", d),
            DbAddr::Socket("/tmp/my.sock".into())
        );
        assert_eq!(
            parse_db_host("127.0.0.1:3307", d),
            DbAddr::Tcp {
                host: "127.0.0.1".into(),
                port: 3307
            }
        );
        assert_eq!(
            parse_db_host("db.example", d),
            DbAddr::Tcp {
                host: "db.example".into(),
                port: 3306
            }
        );
        assert_eq!(
            parse_db_host("[::1]:3306", d),
            DbAddr::Tcp {
                host: "::1".into(),
                port: 3306
            }
        );
        assert_eq!(
            parse_db_host("::1", d),
            DbAddr::Tcp {
                host: "::1".into(),
                port: 3306
            }
        );
        assert_eq!(
            parse_db_host("127.0.0.1:3307:/x.sock", d),
            DbAddr::Tcp {
                host: "127.0.0.1".into(),
                port: 3307
            }
        );
    }

    #[test]
    fn primary_location_forms() {
        let p = |v: Option<OptValue>| Primary::from_option(v.as_ref());
        assert_eq!(p(None), Primary::Unset);
        assert_eq!(p(Some(OptValue::Str(String::new()))), Primary::Unset);
        assert_eq!(p(Some(OptValue::Str("0".into()))), Primary::Unset);
        assert_eq!(p(Some(OptValue::Str("17".into()))), Primary::Term(17));
        assert_eq!(p(Some(OptValue::Int(17))), Primary::Term(17));
        assert_eq!(
            p(Some(OptValue::Str("main-store".into()))),
            Primary::Nothing
        );
        assert_eq!(p(Some(OptValue::Str("17abc".into()))), Primary::Nothing);
        assert!(Primary::Unset.follows(3));
        assert!(!Primary::Nothing.follows(3));
        assert!(Primary::Term(3).follows(3) && !Primary::Term(3).follows(4));
    }

    #[test]
    fn absint_like_php() {
        let a = |s: &str| absint(Some(&OptValue::Str(s.into())));
        assert_eq!(a("2"), 2);
        assert_eq!(a(" 2abc"), 2);
        assert_eq!(a("-3"), 3);
        assert_eq!(a("abc"), 0);
        assert_eq!(absint(None), 0);
    }

    #[test]
    fn options_map() {
        let mut m = HashMap::new();
        m.insert("db_name".to_string(), OptValue::Str("wp".into()));
        m.insert("table_prefix".to_string(), OptValue::Str("wp_3_".into()));
        let o = EngineOptions::from_map(&m).expect("valid options");
        assert_eq!(o.table_prefix, "wp_3_");
        assert_eq!(o.max_items, DEFAULT_MAX_ITEMS);
        assert!(!o.report_meta_writes);
        m.insert("report_meta_writes".to_string(), OptValue::Bool(true));
        assert!(EngineOptions::from_map(&m).is_ok_and(|o| o.report_meta_writes));
        m.insert("report_meta_writes".to_string(), OptValue::Str("0".into()));
        assert!(EngineOptions::from_map(&m).is_ok_and(|o| !o.report_meta_writes));
        m.remove("report_meta_writes");
        m.insert(
            "table_prefix".to_string(),
            OptValue::Str("wp`; DROP".into()),
        );
        assert!(EngineOptions::from_map(&m).is_err());
        assert!(!format!("{:?}", o.db).contains("wp"));
    }

    #[test]
    fn job_options_both_or_neither() {
        let mut m = HashMap::new();
        m.insert("db_name".to_string(), OptValue::Str("wp".into()));
        assert_eq!(EngineOptions::from_map(&m).map(|o| o.job), Ok(None));
        let with = |id: OptValue, chunk: Option<OptValue>| {
            let mut m = m.clone();
            m.insert("job_id".to_string(), id);
            if let Some(c) = chunk {
                m.insert("job_chunk".to_string(), c);
            }
            EngineOptions::from_map(&m).map(|o| o.job)
        };
        let ok = |job_id, chunk_no| Ok(Some(JobChunk { job_id, chunk_no }));
        assert_eq!(with(OptValue::Int(12), Some(OptValue::Int(0))), ok(12, 0));
        assert_eq!(
            with(OptValue::Str("12".into()), Some(OptValue::Str("3".into()))),
            ok(12, 3)
        );
        assert_eq!(with(OptValue::Null, Some(OptValue::Null)), Ok(None));
        for (id, chunk) in [
            (OptValue::Int(12), None),
            (OptValue::Null, Some(OptValue::Int(3))),
            (OptValue::Int(0), Some(OptValue::Int(3))),
            (OptValue::Int(-1), Some(OptValue::Int(3))),
            (OptValue::Int(12), Some(OptValue::Int(-1))),
            (OptValue::Float(12.0), Some(OptValue::Int(3))),
            (OptValue::Int(12), Some(OptValue::Str("3a".into()))),
            (OptValue::Int(12), Some(OptValue::Str("-3".into()))),
            (OptValue::Int(12), Some(OptValue::Str(String::new()))),
            (OptValue::Bool(true), Some(OptValue::Int(3))),
        ] {
            let got = with(id.clone(), chunk.clone());
            assert!(
                matches!(&got, Err(e) if e.code() == "invalid_options" && e.status() == 400),
                "{id:?} {chunk:?}: {got:?}"
            );
        }
    }
}
