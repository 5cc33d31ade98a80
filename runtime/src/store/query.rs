//! What a read of the global log asks for: a range of positions, a limit, which events, and recorded before when.

use crate::Timestamp;

/// A read of the global log: the events with positions in `from_position..=to_position`, of the given names and
/// aggregate type, recorded strictly before `recorded_before` when it is set, at most `limit` of them, in position
/// order.
///
/// The two upper bounds are how the log is read as it was: `to_position` cuts it where it stood after an event,
/// `recorded_before` keeps what had been recorded before an instant (see [`crate::LogAsOf`]).
///
/// ```
/// # use factum::store::LogQuery;
/// let query = LogQuery::from_position(1).limit(512).events(["OrderCreated", "OrderShipped"]).aggregate_type("Order");
/// assert!(query.selects("OrderShipped", Some("Order")));
/// assert!(!query.selects("OrderPaid", Some("Order")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    /// The first position read; 0 reads from the start, like 1.
    pub from_position: u64,
    /// The last position read (inclusive); `u64::MAX` unless set.
    pub to_position: u64,
    /// How many events are read at most; `usize::MAX` unless set.
    pub limit: usize,
    /// The names of the events read; `None` reads every name (and an empty list none).
    pub event_names: Option<Vec<String>>,
    /// The aggregate type of the events read; `None` reads every event, also those appended without one.
    pub aggregate_type: Option<String>,
    /// Reads only events recorded strictly before this instant; `None` reads them whenever they were recorded.
    ///
    /// Events are selected by their recorded time, not cut at the first later one: an event imported with an earlier
    /// time than events before it in the log is read when its own time is before the bound.
    pub recorded_before: Option<Timestamp>,
}

impl LogQuery {
    /// Every event from `from_position` on.
    pub fn from_position(from_position: u64) -> Self {
        LogQuery {
            from_position,
            to_position: u64::MAX,
            limit: usize::MAX,
            event_names: None,
            aggregate_type: None,
            recorded_before: None,
        }
    }

    /// The whole log.
    pub fn all() -> Self {
        LogQuery::from_position(1)
    }

    /// Reads no event past `to_position`.
    pub fn to_position(mut self, to_position: u64) -> Self {
        self.to_position = to_position;
        self
    }

    /// Reads at most `limit` events.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Reads only events stored under these names, e.g. a projection's [`crate::EventSet::NAMES`].
    pub fn events<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.event_names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Reads only events appended with this aggregate type.
    pub fn aggregate_type(mut self, aggregate_type: impl Into<String>) -> Self {
        self.aggregate_type = Some(aggregate_type.into());
        self
    }

    /// Reads only events recorded strictly before `instant`.
    pub fn recorded_before(mut self, instant: Timestamp) -> Self {
        self.recorded_before = Some(instant);
        self
    }

    /// Whether an event recorded at `recorded_at` is recorded early enough for the query (see
    /// [`LogQuery::recorded_before`]).
    pub fn selects_recorded_at(&self, recorded_at: Timestamp) -> bool {
        self.recorded_before.is_none_or(|bound| recorded_at < bound)
    }

    /// Whether an event of this name and aggregate type is one the query reads (positions, time and limit aside).
    pub fn selects(&self, event_name: &str, aggregate_type: Option<&str>) -> bool {
        let name_selected = self.event_names.as_ref().is_none_or(|names| names.iter().any(|name| name == event_name));
        let type_selected = self.aggregate_type.as_deref().is_none_or(|wanted| aggregate_type == Some(wanted));
        name_selected && type_selected
    }

    /// Whether the query can select anything at all: a limit of 0, an empty name list or an empty range read nothing.
    pub fn is_empty(&self) -> bool {
        self.limit == 0
            || self.event_names.as_ref().is_some_and(Vec::is_empty)
            || self.from_position.max(1) > self.to_position
    }
}

impl Default for LogQuery {
    fn default() -> Self {
        LogQuery::all()
    }
}
