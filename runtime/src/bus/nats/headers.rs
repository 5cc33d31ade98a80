//! The envelope of an event as the headers of its JetStream message, and back.
//!
//! Every message carries, beside its payload (the stored JSON, byte for byte):
//!
//! | header | value |
//! | --- | --- |
//! | `Nats-Msg-Id` | the event id (JetStream deduplicates by it) |
//! | `Factum-Event-Name`, `Factum-Event-Version` | the stored name and version of the payload |
//! | `Factum-Stream-Id`, `Factum-Stream-Version` | the stream and the event's version in it |
//! | `Factum-Position` | the event's position in the store's log |
//! | `Factum-Aggregate-Type` | the aggregate type, absent for an event appended without one |
//! | `Factum-Recorded-At` | when it was recorded, RFC 3339 with nanoseconds |
//! | `Factum-Correlation-Id`, `Factum-Causation-Id`, `Factum-Command-Id` | the metadata's ids, when set |
//! | `Factum-Headers` | the metadata's free-form headers as a JSON object, when there are any |
//!
//! Header values cannot hold line breaks, so text values (names, the stream id) are percent-escaped: `%` and every
//! control character or space becomes `%XX`. Names and stream ids without them are sent as they are.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::str::FromStr;

use async_nats::header::NATS_MESSAGE_ID;
use async_nats::HeaderMap;

use crate::{Envelope, LogEventRef, Metadata, StoreError};

/// JetStream's deduplication header.
pub const MESSAGE_ID: &str = "Nats-Msg-Id";
/// The stored name of the event.
pub const EVENT_NAME: &str = "Factum-Event-Name";
/// The stored version of the event's payload.
pub const EVENT_VERSION: &str = "Factum-Event-Version";
/// The stream the event belongs to.
pub const STREAM_ID: &str = "Factum-Stream-Id";
/// The event's version in its stream.
pub const STREAM_VERSION: &str = "Factum-Stream-Version";
/// The event's position in the store's log.
pub const POSITION: &str = "Factum-Position";
/// The aggregate type of the stream, when the append named one.
pub const AGGREGATE_TYPE: &str = "Factum-Aggregate-Type";
/// When the event was recorded.
pub const RECORDED_AT: &str = "Factum-Recorded-At";
/// The metadata's correlation id.
pub const CORRELATION_ID: &str = "Factum-Correlation-Id";
/// The metadata's causation id.
pub const CAUSATION_ID: &str = "Factum-Causation-Id";
/// The metadata's command id.
pub const COMMAND_ID: &str = "Factum-Command-Id";
/// The metadata's free-form headers, as a JSON object.
pub const HEADERS: &str = "Factum-Headers";

/// A message whose headers do not hold an envelope the bus wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The message has no headers at all, or lacks one the bus always writes.
    #[error("the message has no `{header}` header")]
    Missing {
        /// The header.
        header: &'static str,
    },
    /// A header's value is not what the bus writes there.
    #[error("header `{header}` holds `{value}`: {problem}")]
    Invalid {
        /// The header.
        header: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The headers of a lent event's message (the metadata read from the store).
pub(crate) fn event_headers(event: &LogEventRef<'_>) -> Result<HeaderMap, StoreError> {
    let metadata = event.metadata()?;
    let mut headers = HeaderMap::new();
    headers.insert(NATS_MESSAGE_ID, event.event_id.to_string());
    headers.insert(EVENT_NAME, escape(event.event_name).into_owned());
    headers.insert(EVENT_VERSION, event.event_version.to_string());
    headers.insert(STREAM_ID, escape(event.stream_id).into_owned());
    headers.insert(STREAM_VERSION, event.stream_version.to_string());
    headers.insert(POSITION, event.position.to_string());
    if let Some(aggregate_type) = event.aggregate_type {
        headers.insert(AGGREGATE_TYPE, escape(aggregate_type).into_owned());
    }
    headers.insert(RECORDED_AT, event.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true));
    let ids = [
        (CORRELATION_ID, metadata.correlation_id),
        (CAUSATION_ID, metadata.causation_id),
        (COMMAND_ID, metadata.command_id),
    ];
    for (header, id) in ids {
        if let Some(id) = id {
            headers.insert(header, id.to_string());
        }
    }
    if !metadata.headers.is_empty() {
        // JSON escapes line breaks inside strings, and compact JSON has none of its own.
        let json = serde_json::to_string(&metadata.headers).map_err(|error| StoreError::Corrupt {
            stream_id: event.stream_id.to_owned(),
            stream_version: event.stream_version,
            message: format!("metadata headers: {error}"),
        })?;
        headers.insert(HEADERS, json);
    }
    Ok(headers)
}

/// The envelope the headers of a message carry.
pub fn envelope_from_headers(headers: Option<&HeaderMap>) -> Result<Envelope, HeaderError> {
    let headers = headers.ok_or(HeaderError::Missing { header: MESSAGE_ID })?;
    let event_id = message_id(headers).ok_or(HeaderError::Missing { header: MESSAGE_ID })?;
    let event_id = parse(MESSAGE_ID, event_id)?;
    let aggregate_type = optional(headers, AGGREGATE_TYPE).map(|value| unescape(AGGREGATE_TYPE, value)).transpose()?;
    let custom = match optional(headers, HEADERS) {
        None => BTreeMap::new(),
        Some(json) => serde_json::from_str(json).map_err(|error| invalid(HEADERS, json, error))?,
    };
    let metadata = Metadata {
        correlation_id: optional(headers, CORRELATION_ID).map(|value| parse(CORRELATION_ID, value)).transpose()?,
        causation_id: optional(headers, CAUSATION_ID).map(|value| parse(CAUSATION_ID, value)).transpose()?,
        command_id: optional(headers, COMMAND_ID).map(|value| parse(COMMAND_ID, value)).transpose()?,
        headers: custom,
    };
    let recorded_at = required(headers, RECORDED_AT)?;
    Ok(Envelope {
        event_id,
        stream_id: unescape(STREAM_ID, required(headers, STREAM_ID)?)?,
        stream_version: parse(STREAM_VERSION, required(headers, STREAM_VERSION)?)?,
        position: parse(POSITION, required(headers, POSITION)?)?,
        aggregate_type,
        recorded_at: chrono::DateTime::parse_from_rfc3339(recorded_at)
            .map(|time| time.with_timezone(&chrono::Utc))
            .map_err(|error| invalid(RECORDED_AT, recorded_at, error))?,
        event_name: unescape(EVENT_NAME, required(headers, EVENT_NAME)?)?,
        event_version: parse(EVENT_VERSION, required(headers, EVENT_VERSION)?)?,
        metadata,
    })
}

/// The position a message's headers name, without reading the rest of the envelope.
pub(crate) fn position(headers: Option<&HeaderMap>) -> Option<u64> {
    optional(headers?, POSITION)?.parse().ok()
}

/// The `Nats-Msg-Id` of a message. Looked up by async-nats's own name: a name parsed off the wire is its standard
/// header, which a lookup by string would not find.
pub(crate) fn message_id(headers: &HeaderMap) -> Option<&str> {
    headers.get(NATS_MESSAGE_ID).map(|value| value.as_str())
}

fn optional<'a>(headers: &'a HeaderMap, header: &'static str) -> Option<&'a str> {
    headers.get(header).map(|value| value.as_str())
}

fn required<'a>(headers: &'a HeaderMap, header: &'static str) -> Result<&'a str, HeaderError> {
    optional(headers, header).ok_or(HeaderError::Missing { header })
}

fn parse<T>(header: &'static str, value: &str) -> Result<T, HeaderError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|error| invalid(header, value, error))
}

fn invalid(header: &'static str, value: &str, problem: impl std::fmt::Display) -> HeaderError {
    HeaderError::Invalid { header, value: value.to_owned(), problem: problem.to_string() }
}

/// Whether a character is written as `%XX`: `%` itself, and what a header value cannot hold or would lose (line
/// breaks, other control characters, and spaces, which a header parser may trim).
fn escaped(c: char) -> bool {
    c == '%' || c == ' ' || c.is_control()
}

/// `value` with every [`escaped`] character written as `%XX`, one per UTF-8 byte.
fn escape(value: &str) -> Cow<'_, str> {
    if !value.chars().any(escaped) {
        return Cow::Borrowed(value);
    }
    let mut written = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if escaped(c) {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                written.push_str(&format!("%{byte:02X}"));
            }
        } else {
            written.push(c);
        }
    }
    Cow::Owned(written)
}

/// Reverses [`escape`].
fn unescape(header: &'static str, value: &str) -> Result<String, HeaderError> {
    if !value.contains('%') {
        return Ok(value.to_owned());
    }
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first != b'%' {
            bytes.push(first);
            rest = tail;
            continue;
        }
        let hex = tail.get(..2).and_then(|hex| std::str::from_utf8(hex).ok());
        let byte = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok());
        bytes.push(byte.ok_or_else(|| invalid(header, value, "a `%` is not followed by two hex digits"))?);
        rest = &tail[2..];
    }
    String::from_utf8(bytes).map_err(|error| invalid(header, value, error))
}

/// When the event was recorded, as the header writes it.
#[cfg(test)]
fn recorded_at_header(time: crate::Timestamp) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordedEvent;

    fn recorded(stream_id: &str, event_name: &str, aggregate_type: Option<&str>, metadata: Metadata) -> RecordedEvent {
        RecordedEvent {
            envelope: Envelope {
                event_id: uuid::Uuid::now_v7(),
                stream_id: stream_id.into(),
                stream_version: 3,
                position: 42,
                aggregate_type: aggregate_type.map(str::to_owned),
                recorded_at: "2026-12-02T11:22:33.123456789Z".parse().unwrap(),
                event_name: event_name.into(),
                event_version: 2,
                metadata,
            },
            payload: b"{}".to_vec(),
        }
    }

    fn check_round_trip(recorded: RecordedEvent) {
        let headers = event_headers(&LogEventRef::from(&recorded)).unwrap();
        for (name, values) in headers.iter() {
            for value in values {
                assert!(!value.as_str().contains(['\r', '\n']), "{name}: {value:?}");
            }
        }
        assert_eq!(envelope_from_headers(Some(&headers)).unwrap(), recorded.envelope);
    }

    #[test]
    fn envelopes_round_trip_through_headers() {
        check_round_trip(recorded("Order-1", "OrderCreated", Some("Order"), Metadata::default()));
        check_round_trip(recorded("Account-1", "Opened", None, Metadata::default()));
        let ids = Metadata::correlated(uuid::Uuid::new_v4())
            .caused_by(uuid::Uuid::new_v4())
            .with_command_id(uuid::Uuid::new_v4())
            .with_header("source", "line one\r\nline two")
            .with_header("empty", "");
        check_round_trip(recorded("odd stream\nwith 100% of it", "Stück Über", Some(" padded "), ids));
    }

    #[test]
    fn text_is_escaped_only_where_needed() {
        assert!(matches!(escape("Order-6f1c"), Cow::Borrowed("Order-6f1c")));
        assert_eq!(escape("a b%\n"), "a%20b%25%0A");
        assert_eq!(unescape(STREAM_ID, "a%20b%25%0A").unwrap(), "a b%\n");
        assert_eq!(unescape(STREAM_ID, "%C3%BC").unwrap(), "ü");
    }

    fn check_error(edit: impl FnOnce(&mut HeaderMap), expected: &str) {
        let event = recorded("Order-1", "OrderCreated", Some("Order"), Metadata::default());
        let mut headers = event_headers(&LogEventRef::from(&event)).unwrap();
        edit(&mut headers);
        assert_eq!(envelope_from_headers(Some(&headers)).unwrap_err().to_string(), expected);
    }

    #[test]
    fn headers_the_bus_did_not_write_are_typed_errors() {
        assert_eq!(envelope_from_headers(None).unwrap_err(), HeaderError::Missing { header: MESSAGE_ID });
        check_error(
            |headers| headers.insert(POSITION, "forty-two"),
            "header `Factum-Position` holds `forty-two`: invalid digit found in string",
        );
        check_error(
            |headers| headers.insert(STREAM_ID, "bad%4"),
            "header `Factum-Stream-Id` holds `bad%4`: a `%` is not followed by two hex digits",
        );
        check_error(
            |headers| headers.insert(RECORDED_AT, "yesterday"),
            "header `Factum-Recorded-At` holds `yesterday`: premature end of input",
        );
        check_error(|headers| *headers = HeaderMap::new(), "the message has no `Nats-Msg-Id` header");
        let time = recorded_at_header("2026-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(time, "2026-01-01T00:00:00.000000000Z");
    }
}
