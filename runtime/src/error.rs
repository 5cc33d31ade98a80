//! The runtime's typed errors: conflicts, events that cannot be read, and backend failures.

use crate::store::ExpectedVersion;

/// Why a stored payload could not be read as a known event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// No event of the set is stored under this name.
    #[error("unknown event name `{name}`")]
    UnknownEvent {
        /// The stored name.
        name: String,
    },
    /// The event is known, but not in this version: newer than this build, or never declared.
    #[error("unknown version {version} of event `{name}` (this build reads {known})")]
    UnknownVersion {
        /// The stored name.
        name: String,
        /// The stored version.
        version: u32,
        /// The versions this build can read, e.g. `"v1, v2"`.
        known: String,
    },
    /// The payload does not have the shape of its declared name and version.
    #[error("malformed payload: {message}")]
    MalformedPayload {
        /// What the deserializer said.
        message: String,
    },
}

/// A stored event that the code cannot read, with the place it was read from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode event `{event_name}` v{event_version} at stream `{stream_id}` version {stream_version} (global position {position}): {kind}")]
pub struct DecodeError {
    /// The stream the event belongs to.
    pub stream_id: String,
    /// The event's version in its stream.
    pub stream_version: u64,
    /// The event's position in the global log.
    pub position: u64,
    /// The stored name.
    pub event_name: String,
    /// The stored version.
    pub event_version: u32,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// Attaches the place of a recorded event to a decode failure.
    pub fn at(envelope: &crate::Envelope, kind: DecodeErrorKind) -> Self {
        DecodeError {
            stream_id: envelope.stream_id.clone(),
            stream_version: envelope.stream_version,
            position: envelope.position,
            event_name: envelope.event_name.clone(),
            event_version: envelope.event_version,
            kind,
        }
    }
}

/// An append whose expected version did not match the stream; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("concurrency conflict on stream `{stream_id}`: expected {expected}, but the stream is at version {actual}")]
pub struct ConflictError {
    /// The stream appended to.
    pub stream_id: String,
    /// What the append expected.
    pub expected: ExpectedVersion,
    /// The stream's version at the time of the append (0: no stream).
    pub actual: u64,
}

/// An append of an event whose id is already in the store (or twice in the append); nothing was written.
///
/// Ids identify events across stores and systems (an import, a message bus deduplicating by id), so one id is one
/// event: importing the same file twice fails here instead of recording every event twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event with id {event_id} is already stored: the append to stream `{stream_id}` wrote nothing")]
pub struct DuplicateEventId {
    /// The stream appended to.
    pub stream_id: String,
    /// The id that is taken.
    pub event_id: uuid::Uuid,
}

/// An event with a float JSON cannot hold (NaN, an infinity), refused when it was encoded.
///
/// JSON has no such numbers; serde_json would write `null`, which the event's type would never read back, so the
/// stream would become unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode event `{event_name}`: `{}` is {value}, which JSON cannot hold", self.path())]
pub struct NonFiniteFloat {
    /// The event's name.
    pub event_name: String,
    /// Where the float is in the event: `items[2].price`, `prices["sku-1"]`; empty for the payload itself.
    pub field: String,
    /// What it held.
    pub value: crate::finite::NonFinite,
}

impl NonFiniteFloat {
    /// The float's place with the event's name in front: `OrderCreated.items[2].price`.
    pub fn path(&self) -> String {
        match self.field.chars().next() {
            None => self.event_name.clone(),
            Some('[') => format!("{}{}", self.event_name, self.field),
            Some(_) => format!("{}.{}", self.event_name, self.field),
        }
    }
}

/// Everything that can go wrong talking to an event store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The expected version did not match; nothing was written.
    #[error(transparent)]
    Conflict(#[from] ConflictError),
    /// A stored event could not be read.
    ///
    /// Boxed because the place it names is large, and every `Result<_, StoreError>` would otherwise pay for it.
    #[error(transparent)]
    Decode(#[from] Box<DecodeError>),
    /// An event could not be encoded; nothing was written.
    #[error("cannot encode event `{event_name}`: {message}")]
    Encode {
        /// The event's name.
        event_name: String,
        /// What the serializer said.
        message: String,
    },
    /// An appended event's id is already stored; nothing was written.
    #[error(transparent)]
    DuplicateEventId(#[from] DuplicateEventId),
    /// An event held a float that JSON cannot hold; nothing was written.
    #[error(transparent)]
    NonFiniteFloat(#[from] Box<NonFiniteFloat>),
    /// The stored data is not what the store itself wrote (e.g. unreadable metadata).
    #[error("corrupt record at stream `{stream_id}` version {stream_version}: {message}")]
    Corrupt {
        /// The stream of the record.
        stream_id: String,
        /// The version of the record in its stream.
        stream_version: u64,
        /// What is wrong with it.
        message: String,
    },
    /// The backend is busy for now (SQLite: another connection held its lock past the busy timeout); nothing was
    /// written, and the same operation may well succeed if tried again. The command service retries it like a
    /// conflict.
    #[error("event store busy, nothing was written (try again): {0}")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The backend failed (I/O, database, ...).
    #[error("event store backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl From<DecodeError> for StoreError {
    fn from(error: DecodeError) -> Self {
        StoreError::Decode(Box::new(error))
    }
}

impl StoreError {
    /// Wraps a backend error.
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(error))
    }

    /// Wraps a backend error that says the backend is busy for now ([`StoreError::Transient`]).
    pub fn transient(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Transient(Box::new(error))
    }

    /// Whether trying the same operation again may succeed: a conflict (after loading the stream again) or a busy
    /// backend.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Conflict(_) | StoreError::Transient(_))
    }
}
