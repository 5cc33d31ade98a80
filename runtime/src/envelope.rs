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
    /// Anything else the application wants to keep beside the event.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl Metadata {
    /// Metadata with the given correlation id.
    pub fn correlated(correlation_id: uuid::Uuid) -> Self {
        Metadata { correlation_id: Some(correlation_id), ..Metadata::default() }
    }

    /// Sets the causation id.
    pub fn caused_by(mut self, causation_id: uuid::Uuid) -> Self {
        self.causation_id = Some(causation_id);
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
    /// The stream the event belongs to, e.g. `"Order-6f1c…"`.
    pub stream_id: String,
    /// The event's version within its stream: the first event of a stream is version 1.
    pub stream_version: u64,
    /// The event's position in the store's global log: the first event ever appended is position 1.
    pub position: u64,
    /// When the store recorded the event.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The name the event is stored under.
    pub event_name: String,
    /// The version of the event's shape.
    pub event_version: u32,
    /// The encoded payload (JSON).
    pub payload: Vec<u8>,
    /// Correlation, causation and headers.
    pub metadata: Metadata,
}

impl NewEvent {
    /// Encodes an event of a set, with the given metadata.
    pub fn encode<E: crate::EventSet>(event: &E, metadata: Metadata) -> Result<Self, crate::StoreError> {
        let payload = event.encode().map_err(|source| crate::StoreError::Encode {
            event_name: event.name().to_owned(),
            message: source.to_string(),
        })?;
        Ok(NewEvent { event_name: event.name().to_owned(), event_version: event.version(), payload, metadata })
    }
}
