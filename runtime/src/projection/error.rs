//! Why a projection stopped, and the event it stopped at.

use std::fmt;

use crate::{DecodeErrorKind, LogEventRef, StoreError, StreamIdError};

/// Where a stored event sits and what it is: enough to find it again and to tell which code failed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPlace {
    /// The event's position in the global log.
    pub position: u64,
    /// The event's id.
    pub event_id: uuid::Uuid,
    /// The name it is stored under.
    pub event_name: String,
    /// The version of its shape.
    pub event_version: u32,
    /// Its stream.
    pub stream_id: String,
    /// Its version in the stream.
    pub stream_version: u64,
}

impl EventPlace {
    /// The place of a lent event, boxed as the errors that name it hold it.
    pub(crate) fn of(event: &LogEventRef<'_>) -> Box<Self> {
        Box::new(EventPlace {
            position: event.position,
            event_id: event.event_id,
            event_name: event.event_name.to_owned(),
            event_version: event.event_version,
            stream_id: event.stream_id.to_owned(),
            stream_version: event.stream_version,
        })
    }
}

impl fmt::Display for EventPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "event `{}` v{} at global position {} (id {}, stream `{}` version {})",
            self.event_name, self.event_version, self.position, self.event_id, self.stream_id, self.stream_version
        )
    }
}

/// Why a projection stopped. Events before the one named were applied; it and those after it were not, and the
/// checkpoint says where a restart continues.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError<E: std::error::Error + 'static> {
    /// Reading the log, or reading or writing the checkpoint, failed.
    #[error("projection `{projection}`: {source}")]
    Store {
        /// The projection's name.
        projection: &'static str,
        /// What the store said.
        #[source]
        source: StoreError,
    },
    /// A subscribed event could not be decoded.
    #[error("projection `{projection}` cannot decode {event}: {kind}")]
    Decode {
        /// The projection's name.
        projection: &'static str,
        /// The event (boxed, so that results of every run stay small).
        event: Box<EventPlace>,
        /// What is wrong with it.
        kind: DecodeErrorKind,
    },
    /// A handler failed.
    #[error("projection `{projection}` failed to handle {event}: {source}")]
    Handler {
        /// The projection's name.
        projection: &'static str,
        /// The event (boxed, so that results of every run stay small).
        event: Box<EventPlace>,
        /// The handler's error.
        #[source]
        source: E,
    },
    /// The event's stream is not a stream of the aggregate that records the event, so its typed id is unknown.
    #[error("projection `{projection}` cannot handle {event}: {source}")]
    StreamId {
        /// The projection's name.
        projection: &'static str,
        /// The event (boxed, so that results of every run stay small).
        event: Box<EventPlace>,
        /// What is wrong with the stream id.
        #[source]
        source: StreamIdError,
    },
    /// Setting up or resetting the read model failed.
    #[error("projection `{projection}` failed to {step} its read model: {source}")]
    ReadModel {
        /// The projection's name.
        projection: &'static str,
        /// `set up` or `reset`.
        step: &'static str,
        /// The handler's error.
        #[source]
        source: E,
    },
}

impl<E: std::error::Error + 'static> ProjectionError<E> {
    /// The event the projection stopped at, when an event stopped it.
    pub fn event(&self) -> Option<&EventPlace> {
        match self {
            ProjectionError::Decode { event, .. }
            | ProjectionError::Handler { event, .. }
            | ProjectionError::StreamId { event, .. } => Some(event.as_ref()),
            ProjectionError::Store { .. } | ProjectionError::ReadModel { .. } => None,
        }
    }

    /// A store failure of the projection `projection`.
    pub(crate) fn store(projection: &'static str, source: StoreError) -> Self {
        ProjectionError::Store { projection, source }
    }
}
