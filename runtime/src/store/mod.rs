//! The event store contract, and the stores that ship with the runtime.

use std::future::Future;

use crate::{LogEventRef, NewEvent, RecordedEvent, RecordedEventRef, StoreError};

mod any;
mod batch;
mod checkpoint;
pub mod live;
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
mod query;
mod snapshot;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod stream_query;

pub use any::{AnyStore, StoreUrlError};
pub use batch::StreamAppend;
pub use checkpoint::CheckpointStore;
pub use query::LogQuery;
pub use snapshot::{Snapshot, SnapshotStore};
pub use stream_query::StreamQuery;

/// What an append expects of its stream; a mismatch is a [`crate::ConflictError`] and nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExpectedVersion {
    /// Append whatever state the stream is in.
    Any,
    /// The stream must not exist yet (have no events).
    NoStream,
    /// The stream must exist (have at least one event).
    StreamExists,
    /// The stream's last event must have exactly this version (0 means: no stream).
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream at version `actual` (0: no stream) satisfies the expectation.
    pub fn admits(self, actual: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::StreamExists => actual > 0,
            ExpectedVersion::Exact(version) => actual == version,
        }
    }
}

impl std::fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::StreamExists => f.write_str("an existing stream"),
            ExpectedVersion::Exact(version) => write!(f, "version {version}"),
        }
    }
}

/// Where an append put its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream's version after the append (the version of its last event).
    pub stream_version: u64,
    /// The global position of the last appended event. An append of no events reports the position of the store's
    /// last event instead (0 for an empty store), so waiting for it is never waiting for nothing.
    pub position: u64,
}

/// An append-only log of events, grouped into streams.
///
/// What every store guarantees, and the conformance suite (crate `factum-testkit`) checks:
///
/// - **Streams.** Stream versions start at 1 for a stream's first event and have no gaps. An append is atomic and
///   checks its [`ExpectedVersion`] in the same step; a mismatch writes nothing.
/// - **Events.** Every event keeps the id it was appended with ([`crate::NewEvent::event_id`]), its aggregate type,
///   and the time its append gave or, without one, the store's clock at the append. Stamped times never go back
///   from the time of the event before them in the log (give imported events their past times, not future ones).
/// - **Positions.** Every event has a position in the store's global log; positions are strictly increasing in
///   commit order: an event committed after another has a higher position. A reader that follows the log with
///   [`EventStore::fold_all`], continuing each time from the [`LogFold::next_position`] it returned, never misses an
///   event, including one that commits late. Positions need not be dense: a store may leave gaps (a sequence that
///   lost a rolled-back value); the SQLite and in-memory stores do not, and their own tests say so.
/// - **Following the log.** [`EventStore::wait_for_events`] waits for the next commit without a busy loop: a commit
///   through the same store (or a clone of it) wakes the waiters when it commits; a commit the store cannot see
///   happen (another process writing the same SQLite file) is found by polling, at most [`live::POLL_MAX`] after it
///   committed. [`crate::LogFollower`] and [`crate::Subscription`] build catch-up-then-live reading on it.
pub trait EventStore: Send + Sync {
    /// Appends `events` to `stream_id`, atomically: all of them or, on any error, none.
    ///
    /// Appending no events checks the expectation and changes nothing.
    fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<AppendOutcome, StoreError>> + Send;

    /// Appends every append of `appends` in order, atomically across streams: all of them or, on any error, none.
    ///
    /// Each append's [`ExpectedVersion`] is checked against its stream as the appends before it in the batch left it;
    /// the events keep everything they were given (ids, names, versions, payloads, metadata, aggregate types and
    /// times), and take positions in the batch's order. The first conflict or taken id refuses the whole batch and
    /// is returned, naming its stream. This is how an import writes a file: every line, or nothing. Returns one
    /// outcome per append.
    fn append_batch(
        &self,
        appends: Vec<StreamAppend>,
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, StoreError>> + Send;

    /// Reads the events of `stream_id` whose stream version is at least `from_version`, in order.
    ///
    /// A stream that does not exist reads as empty.
    fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// Reads the events of the global log that `query` selects, in position order.
    ///
    /// The store filters by name and aggregate type itself: events the query does not select are never handed
    /// out. To follow the log, use [`EventStore::fold_all`], which says where to continue.
    fn read_all(&self, query: &LogQuery) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// The version of `stream_id`'s last event, 0 when it has none.
    fn stream_version(&self, stream_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Waits until the log holds a committed event at `from_position` or past it (0 counts as 1), and returns a
    /// position the log has reached, at least `from_position`; returns at once when the log already has one.
    ///
    /// This is how a follower of the log waits for what comes next: it reads with [`EventStore::fold_all`] until
    /// the read finds nothing more, then waits here from the [`LogFold::next_position`] the read returned. The
    /// wait never returns before such an event is committed, and never misses one:
    ///
    /// - **The same store.** An append through this store or any clone of it (or an `Arc` of it) wakes every
    ///   waiter when it commits: the latency is a task wake-up, microseconds.
    /// - **Other writers.** A commit the store cannot see happen (another process appending to the same SQLite
    ///   file, or a store opened separately on it) is found by polling a cheap read of the log's end: first
    ///   [`live::POLL_START`] (1 ms) after the wait began, then at pauses that double up to [`live::POLL_MAX`]
    ///   (100 ms). Such an event is seen at most 100 ms after it committed, within milliseconds when the wait has
    ///   just begun.
    ///
    /// The future may be dropped at any time (cancel-safe). Polling needs tokio's timer (a runtime built with
    /// `enable_time` or `enable_all`, as `#[tokio::main]` builds it). The default implementation polls
    /// [`EventStore::read_all`] for one event at `from_position`, with the backoff above, for a store that has no
    /// way to be told of commits.
    fn wait_for_events(&self, from_position: u64) -> impl Future<Output = Result<u64, StoreError>> + Send {
        live::poll_for_events(self, from_position)
    }

    /// Hands the events of `stream_id` whose stream version is at least `from_version` to `visit`, in order, and
    /// returns the accumulator `visit` built up from `init`; the first error `visit` returns stops the read.
    ///
    /// This is how an aggregate is loaded. It reads the same events as [`EventStore::read_stream`], but a store can
    /// lend each one from its own buffers, so that a long stream is never copied. `visit` runs synchronously inside
    /// the store's read (on the calling task; a store with blocking I/O may move the task's thread aside for it), so
    /// it should do no more than fold. The default implementation reads the stream with `read_stream`.
    fn fold_stream<T, F>(
        &self,
        stream_id: &str,
        from_version: u64,
        init: T,
        mut visit: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        async move {
            let mut accumulator = init;
            for recorded in self.read_stream(stream_id, from_version).await? {
                visit(&mut accumulator, RecordedEventRef::from(&recorded))?;
            }
            Ok(accumulator)
        }
    }

    /// Hands the events of `stream_id` that `query` selects to `visit`, in stream order, like
    /// [`EventStore::fold_stream`]: versions up to a bound, events recorded before an instant.
    ///
    /// This is how an aggregate is loaded as it was ([`crate::load_as_of`]). The default implementation reads the
    /// stream with `read_stream` and passes over what the query does not select; a store should override it to
    /// select in its own query (both stores here do).
    fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        mut visit: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        async move {
            let mut accumulator = init;
            for recorded in self.read_stream(stream_id, query.from_version).await? {
                let envelope = &recorded.envelope;
                if envelope.stream_version > query.to_version {
                    break;
                }
                if query.selects(envelope.stream_version, envelope.recorded_at) {
                    visit(&mut accumulator, RecordedEventRef::from(&recorded))?;
                }
            }
            Ok(accumulator)
        }
    }

    /// Hands the events of the global log that `query` selects to `visit`, in position order, lent from the store's
    /// buffers; returns what `visit` built up from `init` and where to continue. The first error `visit` returns
    /// stops the read and is returned.
    ///
    /// This is how projections read the log: events the query does not select are neither copied nor decoded, and
    /// the selected ones are lent, not copied. [`LogFold::next_position`] is past every visited event and never past
    /// an event the query selects that a later read could still see. `visit` runs as in
    /// [`EventStore::fold_stream`]. The default implementation reads with `read_all`.
    fn fold_all<T, E, F>(
        &self,
        query: &LogQuery,
        init: T,
        mut visit: F,
    ) -> impl Future<Output = Result<LogFold<T>, E>> + Send
    where
        T: Send,
        E: From<StoreError> + Send,
        F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
    {
        async move {
            let mut accumulator = init;
            let read = self.read_all(query).await?;
            for recorded in &read {
                visit(&mut accumulator, LogEventRef::from(recorded))?;
            }
            // Without knowing where the read ended, the only safe place to continue from is after the last event seen.
            let next_position = match read.last() {
                Some(last) => last.envelope.position.saturating_add(1),
                None => query.from_position.max(1),
            };
            Ok(LogFold { accumulator, next_position })
        }
    }
}

/// What [`EventStore::fold_all`] built, and where the next read continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogFold<T> {
    /// What the visitor built up.
    pub accumulator: T,
    /// The position to read from next: past every event visited, and never past one a later read could see.
    pub next_position: u64,
}

/// Implements [`EventStore`] for a pointer type by forwarding every method to the store it points to.
macro_rules! forward_event_store {
    ($(#[$doc:meta])* $pointer:ty) => {
        $(#[$doc])*
        impl<S: EventStore + ?Sized> EventStore for $pointer {
            fn append(
                &self,
                stream_id: &str,
                expected: ExpectedVersion,
                events: Vec<NewEvent>,
            ) -> impl Future<Output = Result<AppendOutcome, StoreError>> + Send {
                (**self).append(stream_id, expected, events)
            }

            fn append_batch(
                &self,
                appends: Vec<StreamAppend>,
            ) -> impl Future<Output = Result<Vec<AppendOutcome>, StoreError>> + Send {
                (**self).append_batch(appends)
            }

            fn read_stream(
                &self,
                stream_id: &str,
                from_version: u64,
            ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
                (**self).read_stream(stream_id, from_version)
            }

            fn read_all(&self, query: &LogQuery) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
                (**self).read_all(query)
            }

            fn stream_version(&self, stream_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
                (**self).stream_version(stream_id)
            }

            fn wait_for_events(&self, from_position: u64) -> impl Future<Output = Result<u64, StoreError>> + Send {
                (**self).wait_for_events(from_position)
            }

            fn fold_stream<T, F>(
                &self,
                stream_id: &str,
                from_version: u64,
                init: T,
                visit: F,
            ) -> impl Future<Output = Result<T, StoreError>> + Send
            where
                T: Send,
                F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
            {
                (**self).fold_stream(stream_id, from_version, init, visit)
            }

            fn fold_stream_query<T, F>(
                &self,
                stream_id: &str,
                query: &StreamQuery,
                init: T,
                visit: F,
            ) -> impl Future<Output = Result<T, StoreError>> + Send
            where
                T: Send,
                F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
            {
                (**self).fold_stream_query(stream_id, query, init, visit)
            }

            fn fold_all<T, E, F>(
                &self,
                query: &LogQuery,
                init: T,
                visit: F,
            ) -> impl Future<Output = Result<LogFold<T>, E>> + Send
            where
                T: Send,
                E: From<StoreError> + Send,
                F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
            {
                (**self).fold_all(query, init, visit)
            }
        }
    };
}

forward_event_store!(
    /// A shared store is a store: an `Arc` of one can be cloned into every task.
    std::sync::Arc<S>
);
forward_event_store!(
    /// A borrowed store is a store, so a service can work on a store it does not own.
    &S
);
