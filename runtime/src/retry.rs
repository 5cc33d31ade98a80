//! How long a command service keeps trying a command that loses its stream to other writers, or finds the store
//! busy: jittered exponential backoff, bounded by attempts and by time.

use std::time::Duration;

/// When a command is tried again after a conflict or a busy store, and when it is given up on.
///
/// After the `n`-th failed attempt the service sleeps a random time between zero and
/// `min(max_backoff, initial_backoff * 2^(n-1))` ("full jitter"): writers that collided once spread out instead of
/// colliding again in step, and the more often a command loses, the longer the window it picks its next try from.
/// A command is given up on when it has been decided `max_attempts` times, or when the next try would start after
/// `max_elapsed` has passed since the first; the give-up error says how many attempts were made and how long they
/// took.
///
/// The defaults are chosen for heavy contention on one stream (dozens of tasks or processes writing one aggregate):
/// many attempts, a few milliseconds of backoff at first, at most a tenth of a second between tries, and half a
/// minute in all, so that a command gives up only when the store is overwhelmed, not when it is merely busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_elapsed: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl RetryPolicy {
    /// How many times a command is decided at most, by default.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 1_000;
    /// How long a command is tried at most, by default.
    pub const DEFAULT_MAX_ELAPSED: Duration = Duration::from_secs(30);
    /// The longest sleep after the first failed attempt, by default.
    pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(2);
    /// The longest sleep between two attempts, by default.
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_millis(100);

    /// The default policy (see the constants).
    pub const fn new() -> Self {
        RetryPolicy {
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            max_elapsed: Self::DEFAULT_MAX_ELAPSED,
            initial_backoff: Self::DEFAULT_INITIAL_BACKOFF,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
        }
    }

    /// A policy that decides a command once and never tries it again.
    pub const fn never() -> Self {
        RetryPolicy { max_attempts: 1, ..Self::new() }
    }

    /// Sets how many times in all a command is decided before it is given up on (at least once).
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = if max_attempts == 0 { 1 } else { max_attempts };
        self
    }

    /// Sets how long after its first attempt a command may still be tried again.
    pub const fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Sets the backoff: the longest sleep after the first failed attempt, doubling after each further one up to
    /// `max` (`max` is raised to `initial` if it is smaller). Zero for both retries at once, as in tests.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// How many times in all a command is decided at most.
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long after its first attempt a command may still be tried again.
    pub const fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The longest sleep after the first failed attempt.
    pub const fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest sleep between two attempts.
    pub const fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The sleep before the next attempt, after `failed` attempts (at least 1) have failed and `elapsed` has passed
    /// since the first; `None` when the command is to be given up on. `unit` is a random number in `[0, 1)`, which
    /// picks the sleep within its window.
    pub fn backoff(&self, failed: u32, elapsed: Duration, unit: f64) -> Option<Duration> {
        if failed >= self.max_attempts {
            return None;
        }
        let doublings = failed.saturating_sub(1).min(31);
        let window = self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        let sleep = window.mul_f64(unit.clamp(0.0, 1.0));
        (elapsed.saturating_add(sleep) <= self.max_elapsed).then_some(sleep)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new()
    }
}
