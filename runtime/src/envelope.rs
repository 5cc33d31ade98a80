//! Everything the store records around an event's payload: where it sits, when it was recorded, and why.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The point in time at which an event was recorded.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Why an event was written: the ids that tie it to a request, and free-form headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The id shared by every message that stems from one original request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<uuid::Uuid>,
    /// The id of the message (command or event) that directly caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<uuid::Uuid>,
    /// The id of the command that recorded this event, when the command was handled idempotently
    /// ([`crate::CommandService::handle_idempotent`]): the command service finds it when it loads the stream, and
    /// answers the same command id again with the first outcome instead of recording the events twice. Stored only
    /// when present, so metadata written without it keeps its form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<uuid::Uuid>,
    /// Anything else the application wants to keep beside the event.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl Metadata {
    /// Metadata with the given correlation id.
    pub fn correlated(correlation_id: uuid::Uuid) -> Self {
        Metadata { correlation_id: Some(correlation_id), ..Metadata::default() }
    }

    /// The metadata of a message sent in reaction to the event of `envelope` (a process manager's command): caused
    /// by that event (its id), and correlated with what it was correlated with, or with the event itself when it was
    /// not. Headers are not carried over.
    pub fn following(envelope: &Envelope) -> Self {
        let correlation_id = envelope.metadata.correlation_id.unwrap_or(envelope.event_id);
        Metadata::correlated(correlation_id).caused_by(envelope.event_id)
    }

    /// Sets the causation id.
    pub fn caused_by(mut self, causation_id: uuid::Uuid) -> Self {
        self.causation_id = Some(causation_id);
        self
    }

    /// Sets the id of the command that records the event (see [`Metadata::command_id`]).
    pub fn with_command_id(mut self, command_id: uuid::Uuid) -> Self {
        self.command_id = Some(command_id);
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(key.into(), value.into());
        self
    }
}

/// Where and when a stored event sits, handed to projections beside the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The event's own id, given when it was appended and never changed: a later event's
    /// [`Metadata::causation_id`] may name it.
    pub event_id: uuid::Uuid,
    /// The stream the event belongs to, e.g. `"Order-6f1c…"`.
    pub stream_id: String,
    /// The event's version within its stream: the first event of a stream is version 1.
    pub stream_version: u64,
    /// The event's position in the store's global log: positions strictly increase in commit order (see
    /// [`crate::EventStore`] for what a reader can rely on).
    pub position: u64,
    /// The type of aggregate the stream belongs to (an [`crate::Aggregate::NAME`]), when the append named one.
    pub aggregate_type: Option<String>,
    /// When the event was recorded: the time its append gave, or the store's clock.
    pub recorded_at: Timestamp,
    /// The name the event is stored under.
    pub event_name: String,
    /// The version of the event's shape when it was stored.
    pub event_version: u32,
    /// Correlation, causation and headers.
    pub metadata: Metadata,
}

/// An event as the store holds it: its envelope and its still encoded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Where, when and why.
    pub envelope: Envelope,
    /// The encoded payload (JSON).
    pub payload: Vec<u8>,
}

/// An event ready to be appended: encoded, not yet placed in a stream.
///
/// [`NewEvent::new`] and [`NewEvent::encode`] give it a fresh id (a UUID v7, which sorts by creation time and keeps
/// the store's index on ids local) and leave the time to the store; the `with_*` methods set the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The event's id; unique, and kept by the store unchanged.
    pub event_id: uuid::Uuid,
    /// The name the event is stored under.
    pub event_name: String,
    /// The version of the event's shape.
    pub event_version: u32,
    /// The encoded payload (JSON).
    pub payload: Vec<u8>,
    /// Correlation, causation and headers.
    pub metadata: Metadata,
    /// The type of aggregate the stream belongs to; the command service sets its [`crate::Aggregate::NAME`], so
    /// that the log can be read by aggregate type.
    pub aggregate_type: Option<String>,
    /// When the event happened, for imports and migrations that carry their own times; `None` lets the store stamp
    /// it with its clock.
    pub recorded_at: Option<Timestamp>,
}

impl NewEvent {
    /// An already encoded event with a fresh id, empty metadata, no aggregate type and no time of its own.
    pub fn new(event_name: impl Into<String>, event_version: u32, payload: impl Into<Vec<u8>>) -> Self {
        NewEvent {
            event_id: uuid::Uuid::now_v7(),
            event_name: event_name.into(),
            event_version,
            payload: payload.into(),
            metadata: Metadata::default(),
            aggregate_type: None,
            recorded_at: None,
        }
    }

    /// Encodes an event of a set, with the given metadata.
    ///
    /// A float that JSON cannot hold (NaN, an infinity) is refused with [`crate::StoreError::NonFiniteFloat`], naming
    /// the field, rather than stored as `null` that would never read back.
    pub fn encode<E: crate::EventSet>(event: &E, metadata: Metadata) -> Result<Self, crate::StoreError> {
        let payload = event.encode().map_err(|source| crate::event::encode_error(event.name(), source))?;
        Ok(NewEvent::new(event.name(), event.version(), payload).with_metadata(metadata))
    }

    /// Sets the metadata.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets the id, e.g. to keep an event's id when copying it from another store.
    pub fn with_id(mut self, event_id: uuid::Uuid) -> Self {
        self.event_id = event_id;
        self
    }

    /// Sets the type of aggregate the stream belongs to.
    pub fn with_aggregate_type(mut self, aggregate_type: impl Into<String>) -> Self {
        self.aggregate_type = Some(aggregate_type.into());
        self
    }

    /// Sets the time the event is recorded at, instead of the store's clock.
    pub fn recorded_at(mut self, recorded_at: Timestamp) -> Self {
        self.recorded_at = Some(recorded_at);
        self
    }
}
