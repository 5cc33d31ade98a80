//! The outbox relay: publishes a store's committed events to JetStream in commit order, moving its checkpoint only
//! past what JetStream acknowledged.

use std::convert::Infallible;
use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage};
use uuid::Uuid;

use super::config::{BusConfig, BusError};
use super::headers::{self, event_headers};
use crate::{CheckpointStore, EventStore, LiveWait, LogEventRef, LogQuery, StoreError};

/// The first pause after a failure; pauses double from it up to [`RelayConfig::retry_max`].
const RETRY_START: Duration = Duration::from_millis(50);

/// How many events the relay reads and publishes at a time unless told otherwise.
pub const RELAY_BATCH: usize = 256;

/// How a relay runs: its bus, the checkpoint name it keeps in the store, and its pacing.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    bus: BusConfig,
    name: String,
    batch_size: usize,
    ack_timeout: Duration,
    retry_max: Duration,
}

impl RelayConfig {
    /// A relay into `bus`, keeping its checkpoint as `bus-relay:<stream>`, publishing [`RELAY_BATCH`] events at a
    /// time, waiting 5 s for each acknowledgement, and retrying a failed publish after pauses that double up to 5 s.
    pub fn new(bus: BusConfig) -> Self {
        let name = format!("bus-relay:{}", bus.stream());
        RelayConfig {
            bus,
            name,
            batch_size: RELAY_BATCH,
            ack_timeout: Duration::from_secs(5),
            retry_max: Duration::from_secs(5),
        }
    }

    /// Sets the name the relay's checkpoint is kept under (two relays of one store into two streams need two).
    pub fn checkpoint_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets how many events are read and published at a time (at least 1): a batch's publishes are in flight
    /// together, and its acknowledgements move the checkpoint once.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Sets how long a publish waits for JetStream's acknowledgement before it counts as failed.
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// Sets the longest pause between two attempts after a failure (the first is 50 ms, and each next one twice
    /// the last).
    pub fn retry_max(mut self, pause: Duration) -> Self {
        self.retry_max = pause;
        self
    }

    /// The bus.
    pub fn bus(&self) -> &BusConfig {
        &self.bus
    }

    /// The checkpoint's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What a relay has done since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayProgress {
    /// Events JetStream stored.
    pub published: u64,
    /// Events JetStream acknowledged as duplicates of messages it already had (republished after a restart).
    pub duplicates: u64,
    /// Where the relay continues: every event before it is in the stream.
    pub next_position: u64,
}

/// Why a relay stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Reading the log or moving the checkpoint failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// NATS failed: the stream could not be set up, or a publish was not acknowledged.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// An event is larger than the server takes in one message; the relay cannot publish past it.
    #[error(
        "event `{event_name}` at position {position} (stream `{stream_id}`) takes {size} bytes with its headers, \
         more than the NATS server's limit of {max_payload}"
    )]
    TooLarge {
        /// The event's name.
        event_name: String,
        /// Its stream.
        stream_id: String,
        /// Its position.
        position: u64,
        /// The message's size, headers and payload.
        size: usize,
        /// The server's `max_payload`.
        max_payload: usize,
    },
}

impl RelayError {
    /// Whether trying again may succeed: NATS failures (the server may come back) and busy stores.
    pub fn is_retryable(&self) -> bool {
        match self {
            RelayError::Store(error) => error.is_retryable(),
            RelayError::Bus(_) => true,
            RelayError::TooLarge { .. } => false,
        }
    }
}

/// An event read for publishing.
struct Outbound {
    event_id: Uuid,
    position: u64,
    subject: String,
    message: PublishMessage,
    size: usize,
    event_name: String,
    stream_id: String,
}

/// Publishes the committed events of a store to a JetStream stream, in commit order, from its own checkpoint.
///
/// See the [module](super) for the guarantees. [`OutboxRelay::run`] follows the log and never stops on a NATS
/// failure: it retries until the server answers again. [`OutboxRelay::publish_available`] publishes what is
/// committed now, once.
pub struct OutboxRelay<S> {
    store: S,
    jetstream: jetstream::Context,
    stream: jetstream::stream::Stream,
    config: RelayConfig,
    max_payload: usize,
    progress: RelayProgress,
    /// The id of the last message the relay knows to be the stream's last: the next publish expects it.
    last_published: Option<Uuid>,
}

impl<S> std::fmt::Debug for OutboxRelay<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRelay").field("config", &self.config).field("progress", &self.progress).finish()
    }
}

impl<S: EventStore + CheckpointStore> OutboxRelay<S> {
    /// A relay of `store`'s log over `client`: creates or updates the stream, reads the checkpoint, and moves past
    /// whatever the stream already holds of the log (see the [module](super)).
    pub async fn start(store: S, client: async_nats::Client, config: RelayConfig) -> Result<Self, RelayError> {
        let jetstream = jetstream::ContextBuilder::new().timeout(config.ack_timeout).build(client.clone());
        let stream = config.bus.ensure_stream(&jetstream).await?;
        let next_position = store.checkpoint(&config.name).await?.max(1);
        let max_payload = client.server_info().max_payload;
        let progress = RelayProgress { next_position, ..RelayProgress::default() };
        let mut relay = OutboxRelay { store, jetstream, stream, config, max_payload, progress, last_published: None };
        relay.resync().await?;
        Ok(relay)
    }

    /// What the relay has done, and where it stands.
    pub fn progress(&self) -> RelayProgress {
        self.progress
    }

    /// The store relayed.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Publishes every event committed now, batch by batch; returns the progress. A failure is returned at once,
    /// with the checkpoint past every event acknowledged before it.
    pub async fn publish_available(&mut self) -> Result<RelayProgress, RelayError> {
        while self.publish_batch().await? > 0 {}
        Ok(self.progress)
    }

    /// Publishes every event, those committed now and each new one as it commits, until the store fails for good
    /// or an event cannot be published at all ([`RelayError::TooLarge`]); it never returns otherwise (stop it by
    /// dropping the future). A NATS failure (the server down or restarting, an acknowledgement timed out) is
    /// logged and retried after a pause, from the checkpoint: nothing is skipped.
    pub async fn run(&mut self) -> Result<Infallible, RelayError> {
        let mut live = LiveWait::new();
        let mut pause = RETRY_START;
        loop {
            let attempt = match self.publish_batch().await {
                Ok(0) => live.wait(&self.store, self.progress.next_position).await.map_err(RelayError::from),
                Ok(_) => Ok(()),
                Err(error) => Err(error),
            };
            match attempt {
                Ok(()) => pause = RETRY_START,
                Err(error) if error.is_retryable() => {
                    tracing::warn!(
                        stream = self.config.bus.stream(),
                        next_position = self.progress.next_position,
                        retry_in_ms = pause.as_millis() as u64,
                        "event bus relay: {error}",
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.config.retry_max);
                    if let Err(error) = self.resync().await {
                        tracing::warn!(stream = self.config.bus.stream(), "event bus relay: {error}");
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Reads the next batch of the log and publishes it; returns how many events it held, 0 when the relay has
    /// caught up.
    async fn publish_batch(&mut self) -> Result<usize, RelayError> {
        let query = LogQuery::from_position(self.progress.next_position).limit(self.config.batch_size);
        let prefix = self.config.bus.prefix();
        let mut previous = self.last_published;
        let read = self
            .store
            .fold_all(&query, Vec::new(), |batch, event| {
                batch.push(outbound(prefix.event_subject(event.aggregate_type, event.event_name), &event, previous)?);
                previous = Some(event.event_id);
                Ok::<_, StoreError>(())
            })
            .await?;
        let mut batch = read.accumulator;
        if batch.is_empty() {
            return Ok(0);
        }
        // An event too large to publish ends the batch before it: what comes before it is published, and then the
        // relay stops there, at that event.
        let too_large = batch.iter().position(|outbound| outbound.size > self.max_payload).map(|index| {
            let large = &batch[index];
            let error = RelayError::TooLarge {
                event_name: large.event_name.clone(),
                stream_id: large.stream_id.clone(),
                position: large.position,
                size: large.size,
                max_payload: self.max_payload,
            };
            (index, error)
        });
        let read_to = match &too_large {
            Some((index, _)) => batch[*index].position,
            None => read.next_position,
        };
        if let Some((index, _)) = &too_large {
            batch.truncate(*index);
        }

        // Every publish of the batch is sent before any acknowledgement is awaited; the acknowledgements are then
        // taken in order, and the first failure ends the batch there.
        let mut pending = Vec::with_capacity(batch.len());
        let mut failure = None;
        for (index, outbound) in batch.iter_mut().enumerate() {
            let message = std::mem::take(&mut outbound.message);
            match self.jetstream.send_publish(outbound.subject.clone(), message).await {
                Ok(ack) => pending.push(ack),
                Err(error) => {
                    failure = Some((index, error));
                    break;
                }
            }
        }
        let mut acknowledged = 0;
        for (index, ack) in pending.into_iter().enumerate() {
            match ack.await {
                Ok(ack) => {
                    match ack.duplicate {
                        true => self.progress.duplicates += 1,
                        false => self.progress.published += 1,
                    }
                    self.last_published = Some(batch[index].event_id);
                    acknowledged += 1;
                }
                Err(error) => {
                    failure = Some((index, error));
                    break;
                }
            }
        }

        let next_position = match batch.get(acknowledged) {
            Some(first_unacknowledged) => first_unacknowledged.position,
            None => read_to,
        };
        if acknowledged > 0 {
            self.store.save_checkpoint(&self.config.name, next_position).await?;
            self.progress.next_position = next_position;
        }
        tracing::debug!(
            stream = self.config.bus.stream(),
            acknowledged,
            next_position = self.progress.next_position,
            "event bus relay: batch published",
        );
        match (failure, too_large) {
            (Some((index, source)), _) => {
                self.last_published = None;
                Err(BusError::Publish { position: batch[index].position, source }.into())
            }
            (None, Some((_, error))) => Err(error),
            (None, None) => Ok(batch.len()),
        }
    }

    /// Moves the relay past what its stream already holds of the log: when the stream's last message is the event
    /// of this store at its position (at or past the checkpoint), every event up to it was published in order, so
    /// the relay continues after it, and expects it as the stream's last message. Otherwise (an empty stream, a
    /// stream of another store or of an older store) the relay continues from its checkpoint, its first publish
    /// expecting nothing.
    async fn resync(&mut self) -> Result<(), RelayError> {
        self.last_published = None;
        let failed = |error: Box<dyn std::error::Error + Send + Sync>| BusError::Stream {
            stream: self.config.bus.stream().to_owned(),
            action: "read",
            source: error,
        };
        let last_sequence = self.stream.info().await.map_err(|error| failed(Box::new(error)))?.state.last_sequence;
        if last_sequence == 0 {
            return Ok(());
        }
        let last = match self.stream.get_raw_message(last_sequence).await {
            Ok(last) => last,
            // The last message was deleted or expired between the two reads: nothing to learn from it.
            Err(error) if matches!(error.kind(), jetstream::stream::RawMessageErrorKind::NoMessageFound) => {
                return Ok(())
            }
            Err(error) => return Err(failed(Box::new(error)).into()),
        };
        let (Some(position), Some(event_id)) = (
            headers::position(Some(&last.headers)),
            headers::message_id(&last.headers).and_then(|id| id.parse::<Uuid>().ok()),
        ) else {
            return Ok(());
        };
        if position.saturating_add(1) < self.progress.next_position {
            return Ok(());
        }
        let at = LogQuery::from_position(position).to_position(position).limit(1);
        let stored = self.store.fold_all(&at, None, |found, event| {
            *found = Some(event.event_id);
            Ok::<_, StoreError>(())
        });
        if stored.await?.accumulator != Some(event_id) {
            return Ok(());
        }
        self.last_published = Some(event_id);
        if position + 1 > self.progress.next_position {
            self.progress.next_position = position + 1;
            self.store.save_checkpoint(&self.config.name, position + 1).await?;
        }
        Ok(())
    }
}

/// The message of a lent event, expecting `previous` as the stream's last message when it is known.
fn outbound(subject: String, event: &LogEventRef<'_>, previous: Option<Uuid>) -> Result<Outbound, StoreError> {
    let headers = event_headers(event)?;
    // The size as the protocol counts it: the header block (`NATS/1.0`, a line per header, an empty line) and the
    // payload.
    let header_bytes: usize = headers
        .iter()
        .map(|(name, values)| {
            values.iter().map(|value| AsRef::<str>::as_ref(name).len() + value.as_str().len() + 4).sum::<usize>()
        })
        .sum();
    let size = 12 + header_bytes + event.payload.len();
    let mut message = PublishMessage::build().payload(event.payload.to_vec().into()).headers(headers);
    if let Some(previous) = previous {
        message = message.expected_last_message_id(previous.to_string());
    }
    Ok(Outbound {
        event_id: event.event_id,
        position: event.position,
        subject,
        message,
        size,
        event_name: event.event_name.to_owned(),
        stream_id: event.stream_id.to_owned(),
    })
}
