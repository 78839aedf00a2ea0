//! The MySQL/MariaDB connection: connecting from WordPress's settings, reusing the connection
//! across requests of one PHP process, detecting a dead one, running statements and telling
//! retryable failures from fatal ones.

use crate::error::EngineError;
use crate::options::{DbAddr, DbConfig};
use mysql::prelude::{FromRow, Queryable};
use mysql::{Conn, OptsBuilder, Row};
use std::sync::Mutex;
use std::time::Duration;

/// Why a statement failed, as far as the engine cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbFailure {
    /// Deadlock or lock wait timeout: the transaction was rolled back; try again.
    Retry(u16),
    /// The connection is gone (server restarted, killed, timed out): reconnect and try again.
    Lost,
    /// Anything else; the number is the server's error code when there is one.
    Fatal(Option<u16>),
}

impl DbFailure {
    fn from_mysql(e: &mysql::Error) -> Self {
        match e {
            mysql::Error::MySqlError(m) => match m.code {
                // Deadlock, lock wait timeout, and MySQL's "NOWAIT is set" (MariaDB reports a
                // NOWAIT conflict as a lock wait timeout).
                1213 | 1205 | 3572 => DbFailure::Retry(m.code),
                // Server gone away / lost / shutdown in progress / connection killed.
                2006 | 2013 | 1053 | 1927 | 4031 => DbFailure::Lost,
                code => DbFailure::Fatal(Some(code)),
            },
            mysql::Error::IoError(_) | mysql::Error::CodecError(_) => DbFailure::Lost,
            mysql::Error::DriverError(
                mysql::DriverError::ConnectTimeout
                | mysql::DriverError::CouldNotConnect(_)
                | mysql::DriverError::PacketOutOfSync
                | mysql::DriverError::Timeout,
            ) => DbFailure::Lost,
            _ => DbFailure::Fatal(None),
        }
    }

    /// The whole-request error for a failure that retries could not clear. The server's own
    /// message is never passed on: it can name the user and the host.
    pub fn into_engine_error(self) -> EngineError {
        let msg = match self {
            DbFailure::Retry(code) => {
                format!("The database stayed busy (error {code}); nothing was written. Try again.")
            }
            DbFailure::Lost => {
                "The connection to the database was lost; nothing was written.".to_string()
            }
            DbFailure::Fatal(Some(code)) => {
                format!("The database refused the sync (error {code}); nothing was written.")
            }
            DbFailure::Fatal(None) => {
                "The database could not complete the sync; nothing was written.".to_string()
            }
        };
        EngineError::Database(msg)
    }
}

/// One open connection with what the engine learned about it.
pub struct Session {
    conn: Conn,
    /// The server's `max_allowed_packet`, less room for protocol overhead.
    pub packet_budget: usize,
    /// Statements sent since the counter was last reset.
    pub statements: u64,
    /// Whether a multi-row INSERT gets consecutive auto-increment ids (`innodb_autoinc_lock_mode`
    /// 0 or 1; mode 2 may interleave them with other sessions').
    pub consecutive_ids: bool,
    /// Whether the server knows `SELECT ... FOR UPDATE NOWAIT` (MariaDB 10.3, MySQL 8.0).
    pub nowait: bool,
}

/// Whether a server of this `@@version` supports `FOR UPDATE NOWAIT`.
pub fn supports_nowait(version: &str) -> bool {
    // The client protocol's version of a MariaDB server reads "5.5.5-10.11.6-MariaDB...".
    let version = version.strip_prefix("5.5.5-").unwrap_or(version);
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    if version.contains("MariaDB") {
        (major, minor) >= (10, 3)
    } else {
        major >= 8
    }
}

fn opts(cfg: &DbConfig) -> OptsBuilder {
    let mut init = vec![
        "SET NAMES utf8mb4".to_string(),
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED".to_string(),
        // Estimate every IN-list value from the index itself: with the default (200), a request
        // of more items is costed from index statistics and the server may pick a full scan of
        // postmeta over the post_id range it needs.
        "SET SESSION eq_range_index_dive_limit = 0".to_string(),
    ];
    if let Some(secs) = cfg.lock_wait_timeout_secs {
        init.push(format!("SET SESSION innodb_lock_wait_timeout = {secs}"));
    }
    let b = OptsBuilder::new()
        .user(Some(cfg.user.clone()))
        .pass(Some(cfg.password.clone()))
        .db_name(Some(cfg.name.clone()))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(Duration::from_secs(cfg.connect_timeout_secs)))
        .read_timeout(Some(Duration::from_secs(cfg.read_timeout_secs)))
        .write_timeout(Some(Duration::from_secs(cfg.read_timeout_secs)))
        .stmt_cache_size(0)
        .init(init);
    match &cfg.addr {
        DbAddr::Tcp { host, port } => b.ip_or_hostname(Some(host.clone())).tcp_port(*port),
        DbAddr::Socket(path) => b.socket(Some(path.clone())),
    }
}

impl Session {
    /// Opens a connection. Failures name no host, user or password.
    pub fn connect(cfg: &DbConfig) -> Result<Session, EngineError> {
        let refused = |e: &mysql::Error| {
            let detail = match e {
                mysql::Error::MySqlError(m) => format!(" (error {})", m.code),
                _ => String::new(),
            };
            EngineError::Database(format!("Could not connect to the database{detail}."))
        };
        let mut conn = Conn::new(opts(cfg)).map_err(|e| refused(&e))?;
        let settings: Option<(u64, String, u64)> = conn
            .query_first("SELECT @@max_allowed_packet, @@version, @@innodb_autoinc_lock_mode")
            .map_err(|e| refused(&e))?;
        let (packet, version, autoinc_mode) = settings.unwrap_or((4 << 20, String::new(), 2));
        if version.contains("MariaDB") {
            // MariaDB turns an IN list of 1,000 values or more into a join with a derived table,
            // which it then reads with a full scan of postmeta (and, for a locking read, locks
            // every row it scans): keep IN lists as index ranges.
            conn.query_drop("SET SESSION in_predicate_conversion_threshold = 0")
                .map_err(|e| refused(&e))?;
        }
        let packet = packet as usize;
        Ok(Session {
            conn,
            // Leave room for the protocol header and our own estimate errors.
            packet_budget: packet.saturating_sub(16 * 1024).clamp(16 * 1024, 64 << 20),
            statements: 0,
            consecutive_ids: autoinc_mode < 2,
            nowait: supports_nowait(&version),
        })
    }

    /// Runs a query and converts each row.
    pub fn rows<T: FromRow>(&mut self, sql: &str) -> Result<Vec<T>, DbFailure> {
        self.statements += 1;
        let result = self
            .conn
            .query_iter(sql)
            .map_err(|e| DbFailure::from_mysql(&e))?;
        let mut out = Vec::new();
        for row in result {
            let row: Row = row.map_err(|e| DbFailure::from_mysql(&e))?;
            out.push(mysql::from_row_opt::<T>(row).map_err(|_| DbFailure::Fatal(None))?);
        }
        Ok(out)
    }

    /// Runs a query and hands each row, converted, to `f` as it arrives (no list of them is
    /// kept).
    pub fn each_row<T: FromRow>(
        &mut self,
        sql: &str,
        mut f: impl FnMut(T),
    ) -> Result<(), DbFailure> {
        self.statements += 1;
        let result = self
            .conn
            .query_iter(sql)
            .map_err(|e| DbFailure::from_mysql(&e))?;
        for row in result {
            let row: Row = row.map_err(|e| DbFailure::from_mysql(&e))?;
            f(mysql::from_row_opt::<T>(row).map_err(|_| DbFailure::Fatal(None))?);
        }
        Ok(())
    }

    /// Runs a statement; returns the affected row count.
    pub fn exec(&mut self, sql: &str) -> Result<u64, DbFailure> {
        self.statements += 1;
        self.conn
            .query_drop(sql)
            .map_err(|e| DbFailure::from_mysql(&e))?;
        Ok(self.conn.affected_rows())
    }

    /// The first id the last INSERT generated.
    pub fn last_insert_id(&self) -> u64 {
        self.conn.last_insert_id()
    }

    /// Rolls back whatever is open, ignoring failures (the connection may be gone).
    pub fn rollback_quietly(&mut self) {
        self.statements += 1;
        let _ = self.conn.query_drop("ROLLBACK");
    }

    fn alive(&mut self) -> bool {
        self.conn.ping().is_ok()
    }
}

/// Connections kept between requests of this process (php-fpm keeps workers alive).
static POOL: Mutex<Vec<(DbConfig, Session)>> = Mutex::new(Vec::new());
const POOL_MAX: usize = 4;

/// Takes a live connection for `cfg` from the pool, or opens one.
pub fn checkout(cfg: &DbConfig) -> Result<Session, EngineError> {
    let pooled = {
        let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
        pool.iter()
            .position(|(c, _)| c == cfg)
            .map(|i| pool.swap_remove(i).1)
    };
    if let Some(mut s) = pooled {
        if s.alive() {
            s.statements = 0;
            return Ok(s);
        }
    }
    Session::connect(cfg)
}

/// Returns a healthy connection to the pool.
pub fn checkin(cfg: &DbConfig, session: Session) {
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    if pool.len() >= POOL_MAX {
        pool.remove(0);
    }
    pool.push((cfg.clone(), session));
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    fn malloc_trim(pad: usize) -> i32;
}

/// Hands memory freed after a large request back to the system, so that a long-lived PHP
/// worker does not keep a large sync's peak for the rest of its life (glibc keeps freed
/// memory in its arenas otherwise).
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; it takes no pointers from us.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::supports_nowait;

    #[test]
    fn nowait_by_server_version() {
        assert!(supports_nowait("10.11.6-MariaDB-0+deb12u1"));
        assert!(supports_nowait("10.3.39-MariaDB"));
        assert!(!supports_nowait("10.2.44-MariaDB"));
        assert!(!supports_nowait("5.5.5-10.1.48-MariaDB"));
        assert!(supports_nowait("5.5.5-10.11.6-MariaDB-0+deb12u1"));
        assert!(supports_nowait("8.0.36"));
        assert!(!supports_nowait("5.7.44-log"));
        assert!(!supports_nowait(""));
    }
}
