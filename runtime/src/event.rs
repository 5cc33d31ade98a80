//! What an event is to the runtime: a single typed event, and a closed set of them that can be stored and read back.

use std::cell::Cell;

use crate::error::{DecodeErrorKind, NonFiniteFloat, StoreError};
use crate::finite::{serialize_checked, Refused};

/// One event type: a struct with a stored name and a version tag.
///
/// Generated code implements this for every event struct of a schema. The name and version are what the store
/// records beside the payload, so that the payload can be read back by the right type, forever.
pub trait Event:
    serde::Serialize + serde::de::DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The name under which the event is stored, e.g. `"OrderCreated"`.
    const NAME: &'static str;
    /// The version tag of this shape of the event (`v1` is `1`).
    const VERSION: u32;
}

/// The latest version of an event, readable from a payload of any version ever stored under any of its names.
///
/// Generated code implements this for the latest type of every event: each older version is decoded as its own
/// type and converted step by step (`OrderCreatedV1` → `OrderCreatedV2` → `OrderCreated`) by typed upcasters, never
/// through an intermediate JSON value. Appends always write the latest version.
pub trait Versioned: Event {
    /// Every name events of this type were stored under: its own, then the old names of a renamed event.
    const STORED_NAMES: &'static [&'static str];
    /// Every version this build can read, oldest first; the last is [`Event::VERSION`].
    const VERSIONS: &'static [u32];

    /// Decodes a payload stored as version `version` (under `name`, one of the [`Self::STORED_NAMES`]) and upcasts
    /// it to the latest version.
    fn decode_stored(name: &str, version: u32, payload: &[u8]) -> Result<Self, DecodeErrorKind>;
}

/// The error for a version outside [`Versioned::VERSIONS`]: newer than this build, or never declared.
pub fn unknown_version<E: Versioned>(name: &str, version: u32) -> DecodeErrorKind {
    let known = E::VERSIONS.iter().map(|known| format!("v{known}")).collect::<Vec<_>>().join(", ");
    DecodeErrorKind::UnknownVersion { name: name.to_owned(), version, known }
}

/// A closed set of events that can be written to and read from a store: an aggregate's event enum, or the events a
/// projection subscribes to.
///
/// Generated code implements this for every event enum; decoding dispatches on the stored name and version and never
/// goes through an intermediate JSON value.
pub trait EventSet: Sized + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The stored names of every event in the set.
    const NAMES: &'static [&'static str];

    /// The stored name of this event.
    fn name(&self) -> &'static str;

    /// The version of this event's shape.
    fn version(&self) -> u32;

    /// Serializes the event's payload (without name or version) as the store keeps it.
    fn encode(&self) -> Result<Vec<u8>, serde_json::Error>;

    /// Reads a stored payload back, given the name and version it was stored under.
    fn decode(name: &str, version: u32, payload: &[u8]) -> Result<Self, DecodeErrorKind>;

    /// Whether events stored under `name` belong to this set.
    fn contains(name: &str) -> bool {
        Self::NAMES.contains(&name)
    }
}

/// Decodes a payload as the event type `E`, the building block of generated [`EventSet::decode`] functions.
pub fn decode_payload<E: Event>(payload: &[u8]) -> Result<E, DecodeErrorKind> {
    serde_json::from_slice(payload).map_err(|source| DecodeErrorKind::MalformedPayload { message: source.to_string() })
}

/// Encodes an event type's payload, the building block of generated [`EventSet::encode`] functions.
///
/// A float JSON cannot hold (NaN, an infinity) anywhere in the event is refused: serde_json would write it as `null`,
/// which would never read back. The error then carries a [`NonFiniteFloat`] naming the event and the field, which
/// [`crate::NewEvent::encode`] turns into [`crate::StoreError::NonFiniteFloat`].
pub fn encode_payload<E: Event>(event: &E) -> Result<Vec<u8>, serde_json::Error> {
    let mut payload = Vec::with_capacity(128);
    let refused = Cell::new(None);
    let result = serialize_checked(event, &mut serde_json::Serializer::new(&mut payload), &refused);
    match (result, refused.take()) {
        (Ok(()), _) => Ok(payload),
        (Err(_), Some(Refused { field, value })) => {
            Err(carry(NonFiniteFloat { event_name: E::NAME.to_owned(), field, value }))
        }
        (Err(error), None) => Err(error),
    }
}

/// Wraps a refused float in a `serde_json::Error`, the error type generated encoders return, so that it reaches
/// [`encode_error`] typed: the one public way serde_json offers to carry a cause of our own is an I/O error of the
/// writer, so a writer that fails with it is handed something to write.
#[cold]
fn carry(refused: NonFiniteFloat) -> serde_json::Error {
    struct Refusing(Option<std::io::Error>);
    impl std::io::Write for Refusing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.take().unwrap_or_else(|| std::io::Error::other("already refused")))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let message = refused.to_string();
    let mut writer = Refusing(Some(std::io::Error::new(std::io::ErrorKind::InvalidData, refused)));
    match serde_json::to_writer(&mut writer, &()) {
        Err(error) => error,
        Ok(()) => <serde_json::Error as serde::ser::Error>::custom(message),
    }
}

/// The store's error for an event that could not be encoded: a [`NonFiniteFloat`] stays typed.
pub(crate) fn encode_error(event_name: &str, error: serde_json::Error) -> StoreError {
    if error.is_io() {
        let io = std::io::Error::from(error);
        let message = io.to_string();
        return match io.into_inner().map(|inner| inner.downcast::<NonFiniteFloat>()) {
            Some(Ok(refused)) => StoreError::NonFiniteFloat(refused),
            _ => StoreError::Encode { event_name: event_name.to_owned(), message },
        };
    }
    StoreError::Encode { event_name: event_name.to_owned(), message: error.to_string() }
}
