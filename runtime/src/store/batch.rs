//! Appends to several streams that commit together: how an import writes a whole file or nothing.

use crate::{ExpectedVersion, NewEvent};

/// One append of a batch ([`crate::EventStore::append_batch`]): events for one stream, and what the stream is
/// expected to be when the batch reaches this append.
///
/// A batch may name a stream more than once; each append's expectation is checked against the stream as the appends
/// before it in the batch left it, so a batch can interleave streams in the order their events are to take positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAppend {
    /// The stream appended to.
    pub stream_id: String,
    /// What the stream must be at this point of the batch.
    pub expected: ExpectedVersion,
    /// The events, kept as given: ids, names, versions, payloads, metadata, aggregate types and times.
    pub events: Vec<NewEvent>,
}

impl StreamAppend {
    /// An append of `events` to `stream_id`, expecting `expected`.
    pub fn new(stream_id: impl Into<String>, expected: ExpectedVersion, events: Vec<NewEvent>) -> Self {
        StreamAppend { stream_id: stream_id.into(), expected, events }
    }
}
