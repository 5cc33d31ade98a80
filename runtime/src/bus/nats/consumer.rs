//! The typed consumer: a durable JetStream pull consumer of chosen events, decoded with the generated types and
//! handed to a handler, acknowledged only once handled.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, AckKind};
use futures_util::StreamExt;

use super::config::{BusConfig, BusConfigError, BusError};
use super::headers::{envelope_from_headers, HeaderError};
use super::subject::check_name;
use crate::{Aggregate, DecodeError, Envelope, EventSet, SubscriptionHandler};

/// Which events a [`BusConsumer`] takes from a bus, under which durable name, and how JetStream redelivers.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    bus: BusConfig,
    durable: String,
    aggregate_type: Option<String>,
    names: Option<Vec<String>>,
    ack_wait: Duration,
    max_ack_pending: i64,
}

impl ConsumerConfig {
    /// The durable consumer `durable` of `bus`: it keeps its place across restarts, and a message it did not
    /// acknowledge within 30 s is delivered again.
    pub fn new(bus: BusConfig, durable: impl Into<String>) -> Result<Self, BusConfigError> {
        let durable = durable.into();
        check_name("consumer", &durable)?;
        Ok(ConsumerConfig {
            bus,
            durable,
            aggregate_type: None,
            names: None,
            ack_wait: Duration::from_secs(30),
            max_ack_pending: 1_000,
        })
    }

    /// Takes only events appended with this aggregate type.
    pub fn aggregate_type(mut self, aggregate_type: impl Into<String>) -> Self {
        self.aggregate_type = Some(aggregate_type.into());
        self
    }

    /// Takes only the events of the aggregate `A` (appended with its name, as the command service does).
    pub fn aggregate<A: Aggregate>(self) -> Self {
        self.aggregate_type(A::NAME)
    }

    /// Takes only events stored under these names, e.g. `OrderCreated::STORED_NAMES`
    /// ([`crate::Versioned::STORED_NAMES`]); names outside the consumer's event set select nothing.
    pub fn events<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Sets how long JetStream waits for an acknowledgement before it delivers a message again.
    pub fn ack_wait(mut self, ack_wait: Duration) -> Self {
        self.ack_wait = ack_wait;
        self
    }

    /// Sets how many messages may be delivered and not yet acknowledged at once (1 hands events to the handler
    /// strictly in stream order, redeliveries included).
    pub fn max_ack_pending(mut self, max_ack_pending: i64) -> Self {
        self.max_ack_pending = max_ack_pending.max(1);
        self
    }

    /// The durable name.
    pub fn durable(&self) -> &str {
        &self.durable
    }
}

/// Why a consumer stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError<E: std::error::Error + 'static = Infallible> {
    /// Talking to NATS failed.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// A message on the bus's subjects whose headers are not an envelope the relay wrote; it was handed back to
    /// JetStream, unacknowledged.
    #[error("message {sequence} on `{subject}` is not an event of the bus: {source}")]
    Headers {
        /// The message's subject.
        subject: String,
        /// The message's sequence in the stream.
        sequence: u64,
        /// What is wrong with its headers.
        #[source]
        source: HeaderError,
    },
    /// A chosen event could not be decoded (a newer version than this build knows, a malformed payload); it was
    /// handed back to JetStream, unacknowledged, for a build that can read it.
    ///
    /// Boxed because the place it names is large, and every result of a consumer would otherwise pay for it.
    #[error(transparent)]
    Decode(#[from] Box<DecodeError>),
    /// The handler failed; the message was handed back to JetStream, to be delivered again.
    #[error("bus handler failed on `{event_name}` at stream `{stream_id}` (global position {position}): {source}")]
    Handler {
        /// The event's name.
        event_name: String,
        /// Its stream.
        stream_id: String,
        /// Its position in the store's log.
        position: u64,
        /// The handler's error.
        #[source]
        source: E,
    },
}

impl ConsumerError<Infallible> {
    /// The same error, as the error of a consumer whose handler fails with `E`.
    fn widen<E: std::error::Error + 'static>(self) -> ConsumerError<E> {
        match self {
            ConsumerError::Bus(error) => ConsumerError::Bus(error),
            ConsumerError::Headers { subject, sequence, source } => {
                ConsumerError::Headers { subject, sequence, source }
            }
            ConsumerError::Decode(error) => ConsumerError::Decode(error),
            ConsumerError::Handler { source, .. } => match source {},
        }
    }
}

/// One decoded event, still unacknowledged: [`Delivery::ack`] once it is handled, or [`Delivery::nak`] to have it
/// delivered again. Dropped without either, it is delivered again after the consumer's ack wait.
#[derive(Debug)]
pub struct Delivery<E> {
    /// The event, upcast to the latest version of its type.
    pub event: E,
    /// Its envelope, as the store recorded it.
    pub envelope: Envelope,
    message: jetstream::Message,
    consumer: Arc<str>,
}

impl<E> Delivery<E> {
    /// Acknowledges the message: JetStream will not deliver it to this consumer again.
    pub async fn ack(&self) -> Result<(), BusError> {
        self.message.ack().await.map_err(|source| self.failed("acknowledge", source))
    }

    /// Hands the message back, to be delivered again after `delay` (at once without one).
    pub async fn nak(&self, delay: Option<Duration>) -> Result<(), BusError> {
        self.message.ack_with(AckKind::Nak(delay)).await.map_err(|source| self.failed("hand back", source))
    }

    /// How many times JetStream delivered this message, this time included (1 the first time).
    pub fn delivered(&self) -> i64 {
        self.message.info().map_or(1, |info| info.delivered)
    }

    fn failed(&self, action: &'static str, source: async_nats::Error) -> BusError {
        BusError::Consumer { consumer: self.consumer.to_string(), action, source }
    }
}

/// A durable JetStream pull consumer of the events of `E` (or chosen ones) that a relay published.
///
/// Each message is read back into its envelope (from the headers) and its event (the payload decoded by name and
/// version, so older versions are upcast). Messages of events outside the chosen ones (subjects can only narrow so
/// far; see [`super::SubjectPrefix::filter`]) are acknowledged and passed over. A message that is not the bus's, or
/// cannot be decoded, is handed back and stops the consumer with a typed error: nothing is dropped silently.
pub struct BusConsumer<E> {
    consumer: jetstream::consumer::PullConsumer,
    messages: Option<pull::Stream>,
    durable: Arc<str>,
    names: Vec<String>,
    aggregate_type: Option<String>,
    events: PhantomData<fn() -> E>,
}

impl<E> std::fmt::Debug for BusConsumer<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusConsumer")
            .field("durable", &self.durable)
            .field("names", &self.names)
            .field("aggregate_type", &self.aggregate_type)
            .finish()
    }
}

impl<E: EventSet> BusConsumer<E> {
    /// Creates the durable consumer (or binds to it when it exists: its settings are those it was created with),
    /// and the bus's stream when the relay has not created it yet.
    pub async fn bind(client: async_nats::Client, config: ConsumerConfig) -> Result<Self, ConsumerError> {
        let names: Vec<String> = match &config.names {
            Some(names) => names.iter().filter(|name| E::contains(name)).cloned().collect(),
            None => E::NAMES.iter().map(|&name| name.to_owned()).collect(),
        };
        let jetstream = jetstream::new(client);
        let stream = config.bus.ensure_stream(&jetstream).await?;
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let filter_subject = config.bus.prefix().filter(config.aggregate_type.as_deref(), &name_refs);
        let pull_config = pull::Config {
            durable_name: Some(config.durable.clone()),
            filter_subject,
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ack_wait: config.ack_wait,
            max_ack_pending: config.max_ack_pending,
            ..Default::default()
        };
        let failed = |source: async_nats::Error| BusError::Consumer {
            consumer: config.durable.clone(),
            action: "create",
            source,
        };
        let consumer =
            stream.get_or_create_consumer(&config.durable, pull_config).await.map_err(|error| failed(error.into()))?;
        Ok(BusConsumer {
            consumer,
            messages: None,
            durable: config.durable.into(),
            names,
            aggregate_type: config.aggregate_type,
            events: PhantomData,
        })
    }

    /// The durable name.
    pub fn durable(&self) -> &str {
        &self.durable
    }

    /// The next chosen event, waiting for one; it stays unacknowledged until [`Delivery::ack`].
    ///
    /// Cancel-safe in the sense JetStream gives: a message taken and dropped unacknowledged is delivered again
    /// after the ack wait.
    pub async fn next(&mut self) -> Result<Delivery<E>, ConsumerError> {
        loop {
            let messages = match &mut self.messages {
                Some(messages) => messages,
                None => {
                    let opened = self.consumer.messages().await.map_err(|error| self.failed("pull", error.into()))?;
                    self.messages.insert(opened)
                }
            };
            let message = match messages.next().await {
                Some(Ok(message)) => message,
                Some(Err(error)) => {
                    self.messages = None;
                    return Err(self.failed("pull", error.into()).into());
                }
                None => {
                    self.messages = None;
                    continue;
                }
            };
            let envelope = match envelope_from_headers(message.headers.as_ref()) {
                Ok(envelope) => envelope,
                Err(source) => {
                    let sequence = message.info().map_or(0, |info| info.stream_sequence);
                    let subject = message.subject.to_string();
                    self.hand_back(&message).await;
                    return Err(ConsumerError::Headers { subject, sequence, source });
                }
            };
            if !self.selects(&envelope) {
                message.ack().await.map_err(|error| self.failed("acknowledge", error))?;
                continue;
            }
            match E::decode(&envelope.event_name, envelope.event_version, &message.payload) {
                Ok(event) => return Ok(Delivery { event, envelope, message, consumer: self.durable.clone() }),
                Err(kind) => {
                    self.hand_back(&message).await;
                    return Err(Box::new(DecodeError::at(&envelope, kind)).into());
                }
            }
        }
    }

    /// Hands each chosen event to `handler` as it arrives, acknowledging it once the handler succeeded, until the
    /// handler fails or a message cannot be read; it never returns otherwise (stop it by dropping the future).
    ///
    /// Delivery is at least once: a message whose handler failed is handed back and delivered again, and one whose
    /// acknowledgement was lost (the process died after handling it) is delivered again after the ack wait. Make
    /// the handler idempotent with [`super::Deduplicated`], or by sending commands with [`super::command_id`].
    /// Losing the connection is not an error: the consumer pulls again once NATS is back.
    pub async fn run<H>(&mut self, handler: &mut H) -> Result<Infallible, ConsumerError<H::Error>>
    where
        H: SubscriptionHandler<E>,
    {
        let mut pause = Duration::from_millis(50);
        loop {
            let delivery = match self.next().await {
                Ok(delivery) => delivery,
                Err(ConsumerError::Bus(error)) => {
                    tracing::warn!(consumer = &*self.durable, "event bus consumer: {error}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                    continue;
                }
                Err(error) => return Err(error.widen()),
            };
            pause = Duration::from_millis(50);
            let envelope = &delivery.envelope;
            if let Err(source) = handler.handle(&delivery.event, envelope).await {
                // Handing back is a courtesy: unacknowledged, the message comes back after the ack wait anyway.
                let _ = delivery.nak(None).await;
                return Err(ConsumerError::Handler {
                    event_name: envelope.event_name.clone(),
                    stream_id: envelope.stream_id.clone(),
                    position: envelope.position,
                    source,
                });
            }
            if let Err(error) = delivery.ack().await {
                // The event was handled: a lost acknowledgement only means it is delivered again, and handled
                // idempotently then.
                tracing::warn!(consumer = &*self.durable, "event bus consumer: {error}");
            }
        }
    }

    /// Whether the consumer takes the event of `envelope`.
    fn selects(&self, envelope: &Envelope) -> bool {
        let type_selected =
            self.aggregate_type.as_ref().is_none_or(|wanted| envelope.aggregate_type.as_ref() == Some(wanted));
        type_selected && self.names.contains(&envelope.event_name)
    }

    /// Hands a message back for another delivery; a failure is logged, since JetStream redelivers it after the
    /// ack wait anyway.
    async fn hand_back(&self, message: &jetstream::Message) {
        if let Err(error) = message.ack_with(AckKind::Nak(None)).await {
            tracing::warn!(consumer = &*self.durable, "event bus consumer: cannot hand a message back: {error}");
        }
    }

    fn failed(&self, action: &'static str, source: async_nats::Error) -> BusError {
        BusError::Consumer { consumer: self.durable.to_string(), action, source }
    }
}
