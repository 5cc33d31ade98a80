//! Recorded events lent by a store while it folds a stream or the log: borrowed from its buffers instead of copied.

use std::any::Any;
use std::borrow::Cow;
use std::sync::OnceLock;

use crate::{DecodeError, DecodeErrorKind, Envelope, EventSet, Metadata, RecordedEvent, StoreError, Timestamp};

/// A recorded event borrowed from a store's own buffers, as [`crate::EventStore::fold_stream`] hands them out.
///
/// Loading a long stream this way allocates nothing per event beyond the decoded event itself. The global position
/// is the one part a store may look up only when it is asked for ([`RecordedEventRef::position`]): folding does not
/// need it, only a report of an event that cannot be decoded does, and reading it for every event of a long stream
/// would cost a noticeable part of a load.
///
/// A store that keeps its events in memory may also lend the event already decoded ([`RecordedEventRef::decoded`]):
/// then loading a stream again decodes nothing.
#[derive(Clone, Copy)]
pub struct RecordedEventRef<'a> {
    /// The stream the event belongs to.
    pub stream_id: &'a str,
    /// The event's version within its stream.
    pub stream_version: u64,
    /// The name the event is stored under.
    pub event_name: &'a str,
    /// The version of the event's shape when it was stored.
    pub event_version: u32,
    /// The encoded payload (JSON).
    pub payload: &'a [u8],
    position: Position<'a>,
    decoded: Option<&'a DecodedSlot>,
}

/// Where a store that lives in memory keeps an event decoded, beside its payload: the event as the first set that
/// decoded it read it, so that later folds lend it instead of decoding the payload again.
///
/// What it holds is only ever what decoding the stored payload gave (the same bytes, the same decoder), so a reader
/// gets the same value from it as from the payload.
#[derive(Default)]
pub(crate) struct DecodedSlot(OnceLock<Box<dyn Any + Send + Sync>>);

impl std::fmt::Debug for DecodedSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "DecodedSlot(filled)" } else { "DecodedSlot(empty)" })
    }
}

/// Where a lent event's global position comes from.
#[derive(Clone, Copy)]
enum Position<'a> {
    Known(u64),
    LookedUp(&'a (dyn Fn() -> Result<u64, StoreError> + 'a)),
}

impl<'a> RecordedEventRef<'a> {
    /// An event whose global position is at hand.
    pub fn new(
        stream_id: &'a str,
        stream_version: u64,
        position: u64,
        event_name: &'a str,
        event_version: u32,
        payload: &'a [u8],
    ) -> Self {
        RecordedEventRef {
            stream_id,
            stream_version,
            event_name,
            event_version,
            payload,
            position: Position::Known(position),
            decoded: None,
        }
    }

    /// An event whose global position `look_up` finds when [`RecordedEventRef::position`] asks for it.
    pub fn with_position_lookup(
        stream_id: &'a str,
        stream_version: u64,
        event_name: &'a str,
        event_version: u32,
        payload: &'a [u8],
        look_up: &'a (dyn Fn() -> Result<u64, StoreError> + 'a),
    ) -> Self {
        RecordedEventRef {
            stream_id,
            stream_version,
            event_name,
            event_version,
            payload,
            position: Position::LookedUp(look_up),
            decoded: None,
        }
    }

    /// The event's position in the global log; the store may have to look it up.
    pub fn position(&self) -> Result<u64, StoreError> {
        match self.position {
            Position::Known(position) => Ok(position),
            Position::LookedUp(look_up) => look_up(),
        }
    }

    /// The same event, whose decoding the store keeps in `slot` (see [`RecordedEventRef::decoded`]).
    pub(crate) fn with_decoded_slot(self, slot: &'a DecodedSlot) -> Self {
        RecordedEventRef { decoded: Some(slot), ..self }
    }

    /// Decodes the event as a member of the set `E`.
    ///
    /// A failure is a [`StoreError::Decode`] naming the event's place, or the store's error if its position could not
    /// be looked up for the report.
    #[inline]
    pub fn decode<E: EventSet>(&self) -> Result<E, StoreError> {
        self.decoded::<E>().map(Cow::into_owned)
    }

    /// The event as a member of the set `E`: lent when the store keeps it decoded as `E`, else decoded from the
    /// payload. Folds that only need to look at the event ([`crate::Aggregate::evolve`]) use this rather than
    /// [`RecordedEventRef::decode`], so that nothing is decoded or copied when the store lends it.
    ///
    /// A store that keeps decoded events (the in-memory store) keeps the first decoding of each event, as whichever
    /// set read it first; reading it as another set decodes the payload each time, which gives the same value, only
    /// slower. A failure is as for [`RecordedEventRef::decode`].
    #[inline]
    pub fn decoded<E: EventSet>(&self) -> Result<Cow<'a, E>, StoreError> {
        let Some(slot) = self.decoded else {
            return self.decode_payload().map(Cow::Owned);
        };
        if let Some(kept) = slot.0.get() {
            return match kept.downcast_ref::<E>() {
                Some(event) => Ok(Cow::Borrowed(event)),
                None => self.decode_payload().map(Cow::Owned),
            };
        }
        let event = self.decode_payload::<E>()?;
        // Another reader may have filled the slot meanwhile, with this set or another; either way what it kept is a
        // decoding of the same payload, and this reader's own decoding is as good.
        match slot.0.set(Box::new(event)) {
            Ok(()) => match slot.0.get().and_then(|kept| kept.downcast_ref::<E>()) {
                Some(event) => Ok(Cow::Borrowed(event)),
                None => self.decode_payload().map(Cow::Owned),
            },
            Err(refused) => match refused.downcast::<E>() {
                Ok(event) => Ok(Cow::Owned(*event)),
                Err(_) => self.decode_payload().map(Cow::Owned),
            },
        }
    }

    #[inline]
    fn decode_payload<E: EventSet>(&self) -> Result<E, StoreError> {
        match E::decode(self.event_name, self.event_version, self.payload) {
            Ok(event) => Ok(event),
            Err(kind) => Err(self.decode_error(kind)),
        }
    }

    // Kept out of line: decoding runs once per event of every load, and failing is rare.
    #[cold]
    #[inline(never)]
    fn decode_error(&self, kind: DecodeErrorKind) -> StoreError {
        match self.position() {
            Ok(position) => StoreError::from(DecodeError {
                stream_id: self.stream_id.to_owned(),
                stream_version: self.stream_version,
                position,
                event_name: self.event_name.to_owned(),
                event_version: self.event_version,
                kind,
            }),
            Err(error) => error,
        }
    }
}

impl std::fmt::Debug for RecordedEventRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("RecordedEventRef");
        debug.field("stream_id", &self.stream_id).field("stream_version", &self.stream_version);
        match self.position {
            Position::Known(position) => debug.field("position", &position),
            Position::LookedUp(_) => debug.field("position", &format_args!("(looked up when asked for)")),
        };
        debug
            .field("event_name", &self.event_name)
            .field("event_version", &self.event_version)
            .field("payload", &String::from_utf8_lossy(self.payload))
            .finish()
    }
}

impl<'a> From<&'a RecordedEvent> for RecordedEventRef<'a> {
    fn from(recorded: &'a RecordedEvent) -> Self {
        let envelope = &recorded.envelope;
        RecordedEventRef::new(
            &envelope.stream_id,
            envelope.stream_version,
            envelope.position,
            &envelope.event_name,
            envelope.event_version,
            &recorded.payload,
        )
    }
}

/// An event of the global log lent by a store while it folds the log ([`crate::EventStore::fold_all`]): every part
/// of the recorded event, borrowed from the store's buffers.
///
/// A projection decodes the payload where it lies and builds an owned [`Envelope`] only for the events it applies.
#[derive(Debug, Clone, Copy)]
pub struct LogEventRef<'a> {
    /// The event's id.
    pub event_id: uuid::Uuid,
    /// The stream the event belongs to.
    pub stream_id: &'a str,
    /// The event's version within its stream.
    pub stream_version: u64,
    /// The event's position in the global log.
    pub position: u64,
    /// The type of aggregate the stream belongs to, when the append named one.
    pub aggregate_type: Option<&'a str>,
    /// The name the event is stored under.
    pub event_name: &'a str,
    /// The version of the event's shape when it was stored.
    pub event_version: u32,
    /// When the event was recorded.
    pub recorded_at: Timestamp,
    /// The encoded payload (JSON).
    pub payload: &'a [u8],
    /// The metadata, as the store holds it.
    pub metadata: MetadataRef<'a>,
}

/// Metadata as a store lends it: already read, or still encoded as the store keeps it.
#[derive(Debug, Clone, Copy)]
pub enum MetadataRef<'a> {
    /// Read metadata.
    Decoded(&'a Metadata),
    /// Metadata encoded as JSON; `None` is empty metadata.
    Json(Option<&'a [u8]>),
}

impl LogEventRef<'_> {
    /// The event's metadata; metadata the store cannot read is a [`StoreError::Corrupt`] naming the event.
    pub fn metadata(&self) -> Result<Metadata, StoreError> {
        match self.metadata {
            MetadataRef::Decoded(metadata) => Ok(metadata.clone()),
            MetadataRef::Json(None) => Ok(Metadata::default()),
            MetadataRef::Json(Some(json)) => serde_json::from_slice(json).map_err(|source| StoreError::Corrupt {
                stream_id: self.stream_id.to_owned(),
                stream_version: self.stream_version,
                message: format!("metadata: {source}"),
            }),
        }
    }

    /// The event's envelope, owned.
    pub fn envelope(&self) -> Result<Envelope, StoreError> {
        Ok(Envelope {
            event_id: self.event_id,
            stream_id: self.stream_id.to_owned(),
            stream_version: self.stream_version,
            position: self.position,
            aggregate_type: self.aggregate_type.map(str::to_owned),
            recorded_at: self.recorded_at,
            event_name: self.event_name.to_owned(),
            event_version: self.event_version,
            metadata: self.metadata()?,
        })
    }

    /// The whole event, owned.
    pub fn to_recorded(&self) -> Result<RecordedEvent, StoreError> {
        Ok(RecordedEvent { envelope: self.envelope()?, payload: self.payload.to_vec() })
    }

    /// Decodes the event as a member of the set `E`; a failure is a [`StoreError::Decode`] naming the event's place.
    #[inline]
    pub fn decode<E: EventSet>(&self) -> Result<E, StoreError> {
        E::decode(self.event_name, self.event_version, self.payload).map_err(|kind| {
            StoreError::from(DecodeError {
                stream_id: self.stream_id.to_owned(),
                stream_version: self.stream_version,
                position: self.position,
                event_name: self.event_name.to_owned(),
                event_version: self.event_version,
                kind,
            })
        })
    }
}

impl<'a> From<&'a RecordedEvent> for LogEventRef<'a> {
    fn from(recorded: &'a RecordedEvent) -> Self {
        let envelope = &recorded.envelope;
        LogEventRef {
            event_id: envelope.event_id,
            stream_id: &envelope.stream_id,
            stream_version: envelope.stream_version,
            position: envelope.position,
            aggregate_type: envelope.aggregate_type.as_deref(),
            event_name: &envelope.event_name,
            event_version: envelope.event_version,
            recorded_at: envelope.recorded_at,
            payload: &recorded.payload,
            metadata: MetadataRef::Decoded(&envelope.metadata),
        }
    }
}
