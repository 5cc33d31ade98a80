//! How far a rebuild has come: events done of the total, the rate, and the time left.

use std::time::Duration;

/// How far a rebuild has come, reported after every batch.
///
/// `total` is the number of subscribed events in the log when the rebuild started; events appended while it runs are
/// replayed too, so `done` may pass it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The projection's name.
    pub projection: &'static str,
    /// Subscribed events applied so far.
    pub done: u64,
    /// Subscribed events in the log when the rebuild started.
    pub total: u64,
    /// The position the projection continues from.
    pub next_position: u64,
    /// Time since the rebuild started.
    pub elapsed: Duration,
}

impl Progress {
    /// Events applied per second so far; 0 before any time has passed.
    pub fn per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.done as f64 / seconds
        } else {
            0.0
        }
    }

    /// The time left at the rate so far; `None` before the rate is known.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.per_second();
        if rate <= 0.0 {
            return None;
        }
        let left = self.total.saturating_sub(self.done) as f64;
        Duration::try_from_secs_f64(left / rate).ok()
    }

    /// The share done, from 0 to 1 (1 for an empty log).
    pub fn fraction(&self) -> f64 {
        match self.total {
            0 => 1.0,
            total => (self.done as f64 / total as f64).min(1.0),
        }
    }
}
