//! What a bounded read of one stream asks for: a range of stream versions, and recorded before when.

use crate::Timestamp;

/// A read of one stream: its events with versions in `from_version..=to_version`, recorded strictly before
/// `recorded_before` when it is set, in stream order.
///
/// This is how an aggregate is loaded as it was ([`crate::AsOf`]): cut after a version, or as recorded before an
/// instant.
///
/// ```
/// # use factum::store::StreamQuery;
/// # let instant = factum::Timestamp::from_timestamp(1_600_000_000, 0).unwrap();
/// let query = StreamQuery::from_version(1).to_version(10).recorded_before(instant);
/// assert!(query.selects(10, instant - chrono::Duration::seconds(1)));
/// assert!(!query.selects(11, instant - chrono::Duration::seconds(1)));
/// assert!(!query.selects(3, instant));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamQuery {
    /// The first version read; 0 reads from the start, like 1.
    pub from_version: u64,
    /// The last version read (inclusive); `u64::MAX` unless set.
    pub to_version: u64,
    /// Reads only events recorded strictly before this instant; `None` reads them whenever they were recorded.
    ///
    /// Events are selected by their own recorded time: in a stream whose times go back (events imported with earlier
    /// times after later ones), an event recorded before the bound is read even when one before it is not.
    pub recorded_before: Option<Timestamp>,
}

impl StreamQuery {
    /// Every event of the stream from `from_version` on.
    pub fn from_version(from_version: u64) -> Self {
        StreamQuery { from_version, to_version: u64::MAX, recorded_before: None }
    }

    /// The whole stream.
    pub fn all() -> Self {
        StreamQuery::from_version(1)
    }

    /// Reads no event past version `to_version`.
    pub fn to_version(mut self, to_version: u64) -> Self {
        self.to_version = to_version;
        self
    }

    /// Reads only events recorded strictly before `instant`.
    pub fn recorded_before(mut self, instant: Timestamp) -> Self {
        self.recorded_before = Some(instant);
        self
    }

    /// Whether the event at `stream_version`, recorded at `recorded_at`, is one the query reads.
    pub fn selects(&self, stream_version: u64, recorded_at: Timestamp) -> bool {
        (self.from_version..=self.to_version).contains(&stream_version)
            && self.recorded_before.is_none_or(|bound| recorded_at < bound)
    }
}

impl Default for StreamQuery {
    fn default() -> Self {
        StreamQuery::all()
    }
}
