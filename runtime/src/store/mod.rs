//! The event store contract, and the stores that ship with the runtime.

use std::future::Future;

use crate::{NewEvent, RecordedEvent, RecordedEventRef, StoreError};

pub mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;

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
/// Every store passes the same conformance suite (`factum::conformance`). Stream versions start at 1 for a stream's
/// first event; global positions start at 1 for the store's first event and follow commit order.
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

    /// Reads the events of `stream_id` whose stream version is at least `from_version`, in order.
    ///
    /// A stream that does not exist reads as empty.
    fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// Reads at most `limit` events of the global log whose position is at least `from_position`, in order.
    fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// The version of `stream_id`'s last event, 0 when it has none.
    fn stream_version(&self, stream_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Hands the events of `stream_id` whose stream version is at least `from_version` to `visit`, in order, and
    /// returns the accumulator `visit` built up from `init`; the first error `visit` returns stops the read.
    ///
    /// This is how an aggregate is loaded. It reads the same events as [`EventStore::read_stream`], but a store can
    /// lend each one from its own buffers and run `visit` where it reads (on a blocking thread, say), so that a long
    /// stream is never copied. The default implementation reads the stream with `read_stream`.
    fn fold_stream<T, F>(
        &self,
        stream_id: &str,
        from_version: u64,
        init: T,
        mut visit: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send + 'static,
    {
        async move {
            let mut accumulator = init;
            for recorded in self.read_stream(stream_id, from_version).await? {
                visit(&mut accumulator, RecordedEventRef::from(&recorded))?;
            }
            Ok(accumulator)
        }
    }
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

            fn read_stream(
                &self,
                stream_id: &str,
                from_version: u64,
            ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
                (**self).read_stream(stream_id, from_version)
            }

            fn read_all(
                &self,
                from_position: u64,
                limit: usize,
            ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
                (**self).read_all(from_position, limit)
            }

            fn stream_version(&self, stream_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
                (**self).stream_version(stream_id)
            }

            fn fold_stream<T, F>(
                &self,
                stream_id: &str,
                from_version: u64,
                init: T,
                visit: F,
            ) -> impl Future<Output = Result<T, StoreError>> + Send
            where
                T: Send + 'static,
                F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send + 'static,
            {
                (**self).fold_stream(stream_id, from_version, init, visit)
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
