//! What the command service tells `tracing` beside the command's name ([`crate::CommandSet::name`]): durations as
//! numbers.

use std::time::Duration;

/// A duration in whole microseconds, for tracing fields.
pub(super) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
