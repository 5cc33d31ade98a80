//! The line format of `factum events`: one event as one JSON object on one line, written by `export` (and any command
//! that prints events) and read back by `import`.
//!
//! Exported lines have their fields in a fixed order: `stream`, `event`, `event_version`, `recorded_at`, `payload`
//! (what an imported line needs), then `position`, `id`, `version`, and `aggregate_type` and `metadata` when the
//! event has them.
//! An imported line needs `stream`, `event`, `event_version`, `recorded_at` and `payload`; `id`, `version`,
//! `aggregate_type` and `metadata` are optional, `position` is ignored (the store gives positions), and any other
//! field is refused rather than dropped.

use std::borrow::Cow;
use std::io::Write;

use factum::{LogEventRef, Metadata, NewEvent, StoreError, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One exported line, its fields in the order they are written.
#[derive(Serialize)]
struct Exported<'a> {
    stream: &'a str,
    event: &'a str,
    event_version: u32,
    recorded_at: String,
    payload: &'a RawValue,
    position: u64,
    id: uuid::Uuid,
    version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    aggregate_type: Option<&'a str>,
    #[serde(skip_serializing_if = "is_empty")]
    metadata: Metadata,
}

fn is_empty(metadata: &Metadata) -> bool {
    *metadata == Metadata::default()
}

/// Why an event could not be written as a line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    /// The event's metadata could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored payload is not JSON, which every event Factum writes is.
    #[error(
        "the payload of the event at position {position} (stream `{stream}` version {version}) is not JSON: {source}"
    )]
    PayloadNotJson {
        /// The event's position.
        position: u64,
        /// The event's stream.
        stream: String,
        /// The event's version in its stream.
        version: u64,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// Writing failed (a closed pipe, a full disk).
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes `event` as one line (ending in a newline) to `out`.
pub(crate) fn write_line(out: &mut impl Write, event: &LogEventRef<'_>) -> Result<(), WriteError> {
    let not_json = |source| WriteError::PayloadNotJson {
        position: event.position,
        stream: event.stream_id.to_owned(),
        version: event.stream_version,
        source,
    };
    let text = std::str::from_utf8(event.payload).map_err(|_| not_json(serde::de::Error::custom("not UTF-8")))?;
    let compact = compact_json(text);
    let payload: &RawValue = serde_json::from_str(&compact).map_err(not_json)?;
    let line = Exported {
        stream: event.stream_id,
        event: event.event_name,
        event_version: event.event_version,
        recorded_at: format_time(event.recorded_at),
        payload,
        position: event.position,
        id: event.event_id,
        version: event.stream_version,
        aggregate_type: event.aggregate_type,
        metadata: event.metadata()?,
    };
    serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// RFC 3339 in UTC with a `Z`, with as many fractional digits as the time needs (none, 3, 6).
pub(crate) fn format_time(time: Timestamp) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// JSON text without the whitespace between its tokens, so that a payload stored pretty-printed still fits on one line
/// and an imported payload is stored as compactly as Factum writes them. Keys keep their order and strings their
/// bytes; text without such whitespace is returned as it is.
fn compact_json(text: &str) -> Cow<'_, str> {
    let is_space = |byte: u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
    let (mut in_string, mut escaped) = (false, false);
    let needs_work = text.bytes().any(|byte| {
        let outside = !in_string;
        match byte {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ => {}
        }
        outside && is_space(byte)
    });
    if !needs_work {
        return Cow::Borrowed(text);
    }
    let (mut in_string, mut escaped) = (false, false);
    let mut compact = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ' ' | '\t' | '\n' | '\r' if !in_string => continue,
            _ => {}
        }
        compact.push(character);
    }
    Cow::Owned(compact)
}

/// The fields a line may have, in the order `export` writes them.
const FIELDS: [&str; 10] = [
    "position",
    "id",
    "stream",
    "version",
    "event",
    "event_version",
    "recorded_at",
    "aggregate_type",
    "metadata",
    "payload",
];

/// [`Metadata`] as a line holds it, refusing keys that [`Metadata`] has no place for instead of dropping them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object with `correlation_id`, `causation_id`, `command_id` or `headers`")]
struct ImportedMetadata {
    #[serde(default)]
    correlation_id: Option<uuid::Uuid>,
    #[serde(default)]
    causation_id: Option<uuid::Uuid>,
    #[serde(default)]
    command_id: Option<uuid::Uuid>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

/// A line read for import: where it goes and the event to append.
#[derive(Debug)]
pub(crate) struct ParsedLine {
    /// The stream to append to.
    pub(crate) stream: String,
    /// The stream version the line says the event has, if it says.
    pub(crate) version: Option<u64>,
    /// The event, with its time, and its id (the line's, or a fresh one).
    pub(crate) event: NewEvent,
}

/// Why a line could not be read; each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LineError {
    /// The line is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// The line is JSON, but not an object.
    #[error("{0}, not an object")]
    NotObject(&'static str),
    /// A field the format does not have; refused rather than dropped.
    #[error("unknown field `{0}` (a line has `{fields}`)", fields = FIELDS.join("`, `"))]
    UnknownField(String),
    /// A field the format needs is missing.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field holds a value of the wrong kind.
    #[error("`{field}`: {message}")]
    BadField {
        /// The field.
        field: &'static str,
        /// What is wrong with its value.
        message: String,
    },
    /// `recorded_at` is not an RFC 3339 time.
    #[error("`recorded_at` `{value}` is not an RFC 3339 time with an offset: {reason}")]
    BadTime {
        /// The text found.
        value: String,
        /// What the parser said.
        reason: String,
    },
    /// `recorded_at` is finer than the microsecond a store keeps, so its last digits would be lost.
    #[error("`recorded_at` `{0}` is finer than the microsecond a store keeps")]
    TooPrecise(String),
    /// A field that names something is empty.
    #[error("`{0}` is empty")]
    Empty(&'static str),
    /// Event versions start at 1.
    #[error("`event_version` is 0, but event versions start at 1")]
    EventVersionZero,
}

/// The fields of one line, each still JSON text, so that each is read with errors naming it.
struct Fields<'a>(std::collections::HashMap<String, &'a RawValue>);

impl<'a> Fields<'a> {
    /// An optional field; `null` is the same as leaving it out.
    fn optional<T: Deserialize<'a>>(&self, field: &'static str) -> Result<Option<T>, LineError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(raw) => serde_json::from_str::<Option<T>>(raw.get())
                .map_err(|error| LineError::BadField { field, message: without_place(&error) }),
        }
    }

    /// A field the format needs.
    fn required<T: Deserialize<'a>>(&self, field: &'static str) -> Result<T, LineError> {
        let raw = self.0.get(field).ok_or(LineError::MissingField(field))?;
        serde_json::from_str(raw.get()).map_err(|error| LineError::BadField { field, message: without_place(&error) })
    }
}

/// A serde_json error without "at line 1 column N": the reader sees one line, or one field, at a time, so the place
/// would mislead.
fn without_place(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let place = format!(" at line {} column {}", error.line(), error.column());
    message.strip_suffix(&place).unwrap_or(&message).to_owned()
}

/// What kind of JSON value a line that is not an object holds.
fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads one line of the format.
pub(crate) fn parse_line(line: &str) -> Result<ParsedLine, LineError> {
    let fields: std::collections::HashMap<String, &RawValue> = match serde_json::from_str(line) {
        Ok(fields) => fields,
        Err(error) => {
            return Err(match serde_json::from_str::<serde_json::Value>(line) {
                Ok(value) => LineError::NotObject(kind_of(&value)),
                Err(_) => LineError::NotJson(format!("{} at column {}", without_place(&error), error.column())),
            })
        }
    };
    if let Some(unknown) = fields.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(LineError::UnknownField(unknown.clone()));
    }
    let fields = Fields(fields);
    let id: Option<uuid::Uuid> = fields.optional("id")?;
    let stream: String = fields.required("stream")?;
    let version: Option<u64> = fields.optional("version")?;
    let event: String = fields.required("event")?;
    let event_version: u32 = fields.required("event_version")?;
    let recorded_at_text: String = fields.required("recorded_at")?;
    let aggregate_type: Option<String> = fields.optional("aggregate_type")?;
    let metadata: Option<ImportedMetadata> = fields.optional("metadata")?;
    let payload: &RawValue = fields.required("payload")?;
    for (field, value) in [("stream", &stream), ("event", &event)] {
        if value.is_empty() {
            return Err(LineError::Empty(field));
        }
    }
    if event_version == 0 {
        return Err(LineError::EventVersionZero);
    }
    let recorded_at = chrono::DateTime::parse_from_rfc3339(&recorded_at_text)
        .map_err(|error| LineError::BadTime { value: recorded_at_text.clone(), reason: error.to_string() })?
        .with_timezone(&chrono::Utc);
    if recorded_at.timestamp_subsec_nanos() % 1_000 != 0 {
        return Err(LineError::TooPrecise(recorded_at_text));
    }
    let metadata = metadata.map_or_else(Metadata::default, |metadata| Metadata {
        correlation_id: metadata.correlation_id,
        causation_id: metadata.causation_id,
        command_id: metadata.command_id,
        headers: metadata.headers,
    });
    let payload = compact_json(payload.get()).into_owned();
    let mut new_event = NewEvent::new(event, event_version, payload).with_metadata(metadata).recorded_at(recorded_at);
    if let Some(id) = id {
        new_event = new_event.with_id(id);
    }
    if let Some(aggregate_type) = aggregate_type {
        new_event = new_event.with_aggregate_type(aggregate_type);
    }
    Ok(ParsedLine { stream, version, event: new_event })
}

#[cfg(test)]
mod tests {
    use super::compact_json;

    /// Checks that `input` compacts to `expected`.
    fn check(input: &str, expected: &str) {
        assert_eq!(compact_json(input), expected, "{input}");
    }

    #[test]
    fn whitespace_between_tokens_goes_and_strings_keep_theirs() {
        check(r#"{"a":1}"#, r#"{"a":1}"#);
        check("{ \"b\": 1,\n  \"a\": [1, 2] }", r#"{"b":1,"a":[1,2]}"#);
        check(r#"{"s": "two  words\t\"quoted \\\" \" "}"#, r#"{"s":"two  words\t\"quoted \\\" \" "}"#);
        check(r#"{"s": "ends in a backslash \\", "t": 1}"#, r#"{"s":"ends in a backslash \\","t":1}"#);
        check(" \"é ü\" ", "\"é ü\"");
    }
}
