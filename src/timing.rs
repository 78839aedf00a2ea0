//! The clock per phase: how long each part of a request took, returned as the result's `timings`
//! (tests/contract/README.md, "timings"; the plugin turns it into a `Server-Timing` header).
//!
//! Phases (the PHP engine means the same by each name):
//! - `parse`: the body decoded and every item's fields validated (no statement);
//! - `resolve`: the site's options read, products (ids, SKUs) and locations looked up, items
//!   resolved;
//! - `read`: the transaction started and the snapshot read (the posts locked `FOR UPDATE` and read,
//!   their lookup rows, the meta rows the plan needs);
//! - `plan`: both plans built (before and after the rows are locked);
//! - `lock`: the missing rows inserted and the meta rows read locked and read again;
//! - `write`: the final writes and the `COMMIT` (a dry run: its `ROLLBACK`);
//! - `total`: the whole call, result built; the phases never add up to more.
//!
//! A retried transaction adds each attempt's time to its phases; the waits between attempts and
//! the rollbacks of failed attempts are only in `total`.

use serde_json::{Map, Number, Value};
use std::time::{Duration, Instant};

/// The phases of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Parse,
    Resolve,
    Read,
    Plan,
    Lock,
    Write,
}

/// Time spent per phase, summed over attempts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    pub parse: Duration,
    pub resolve: Duration,
    pub lock: Duration,
    pub read: Duration,
    pub plan: Duration,
    pub write: Duration,
}

/// Milliseconds with microsecond precision, as a JSON float: phases rounded down, the total up,
/// so that the phases as printed never add up to more than the total.
fn ms(d: Duration, up: bool) -> Value {
    let us = d.as_secs_f64() * 1_000_000.0;
    let v = if up { us.ceil() } else { us.floor() } / 1000.0;
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

impl Timings {
    fn slot(&mut self, phase: Phase) -> &mut Duration {
        match phase {
            Phase::Parse => &mut self.parse,
            Phase::Resolve => &mut self.resolve,
            Phase::Lock => &mut self.lock,
            Phase::Read => &mut self.read,
            Phase::Plan => &mut self.plan,
            Phase::Write => &mut self.write,
        }
    }

    /// Adds the time since `since` to `phase`.
    pub fn add(&mut self, phase: Phase, since: Instant) {
        *self.slot(phase) += since.elapsed();
    }

    /// Runs `f`, its time counted in `phase`.
    pub fn time<T>(&mut self, phase: Phase, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.add(phase, start);
        out
    }

    /// The sum of the phases.
    pub fn sum(&self) -> Duration {
        self.parse + self.resolve + self.lock + self.read + self.plan + self.write
    }

    /// `{"parse": ms, "resolve": ms, "lock": ms, "read": ms, "plan": ms, "write": ms, "total": ms}`
    /// (floats, milliseconds). `total` is never below the sum of the phases.
    pub fn to_json(&self, total: Duration) -> Value {
        let mut m = Map::new();
        m.insert("parse".into(), ms(self.parse, false));
        m.insert("resolve".into(), ms(self.resolve, false));
        m.insert("lock".into(), ms(self.lock, false));
        m.insert("read".into(), ms(self.read, false));
        m.insert("plan".into(), ms(self.plan, false));
        m.insert("write".into(), ms(self.write, false));
        m.insert("total".into(), ms(total.max(self.sum()), true));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_add_up_and_total_covers_them() {
        let mut t = Timings {
            parse: Duration::from_micros(1500),
            write: Duration::from_micros(250),
            ..Default::default()
        };
        t.time(Phase::Plan, || std::thread::sleep(Duration::from_millis(2)));
        assert!(t.plan >= Duration::from_millis(2));
        let v = t.to_json(Duration::from_millis(1));
        assert_eq!(v["parse"], serde_json::json!(1.5));
        assert_eq!(v["write"], serde_json::json!(0.25));
        assert_eq!(v["lock"], serde_json::json!(0.0));
        let total = v["total"].as_f64().unwrap_or(-1.0);
        let sum: f64 = ["parse", "resolve", "lock", "read", "plan", "write"]
            .iter()
            .map(|k| v[*k].as_f64().unwrap_or(f64::MAX))
            .sum();
        assert!(total + 1e-9 >= sum, "total {total} < sum {sum}");
    }
}
