//! The NATS JetStream event bus: an outbox relay that publishes a store's committed events in commit order, and a
//! typed, durable consumer that hands them to handlers in other processes.
//!
//! # Publishing: the outbox relay
//!
//! The store's log is the outbox: an event is published only once it is committed, and every committed event is
//! published. [`OutboxRelay`] follows the log from its own checkpoint (a [`crate::CheckpointStore`] name, kept in
//! the store's own database), publishes each event to JetStream in position order, and moves its checkpoint only
//! past events JetStream acknowledged. A relay killed mid-batch and restarted starts again from its checkpoint:
//!
//! - before publishing, it reads the last message of its stream and, when that is an event of its store at or past
//!   the checkpoint, continues after it (the relay publishes in order, so every event before it is in the stream);
//! - every message carries the event id as its `Nats-Msg-Id`, so JetStream drops a republished event within the
//!   stream's duplicate window ([`BusConfig::duplicate_window`]).
//!
//! Within a batch, publishes are pipelined and each message after the first expects the one before it as the
//! stream's last message (`Nats-Expected-Last-Msg-Id`), so a message lost on a broken connection cannot be
//! overtaken by the next: commit order is the stream's order. The relay is meant to be the stream's only publisher.
//!
//! # Subjects
//!
//! An event is published under `<prefix>.<aggregate type>.<event name>`, e.g. `factum.Order.OrderCreated`: the
//! prefix as configured ([`SubjectPrefix`]), then each name made one subject token by [`subject_token`] (ASCII
//! letters, digits, `-` and `_` kept, any other character `_`), and `_` ([`NO_AGGREGATE`]) for an event appended
//! without an aggregate type. The relay creates the stream (or updates its subjects and duplicate window) to hold
//! `<prefix>.>`.
//!
//! # The message
//!
//! The payload is the stored JSON, byte for byte, in the version it was stored in; the headers carry the envelope
//! (see [`headers`] for the table), so a consumer decodes with the generated types, upcasting older versions.
//!
//! # Consuming
//!
//! [`BusConsumer`] is a durable JetStream pull consumer of chosen events of an [`crate::EventSet`]: it decodes each
//! message, hands `(event, envelope)` to a [`crate::SubscriptionHandler`], and acknowledges the message only after
//! the handler succeeded. A message it cannot decode stops it with a typed error (the message is handed back to
//! JetStream, never dropped). Delivery is at least once; [`Deduplicated`] and [`command_id`] make a handler
//! idempotent by event id.

mod config;
mod consumer;
mod dedup;
pub mod headers;
mod relay;
mod subject;

pub use config::{BusConfig, BusConfigError, BusError, DEFAULT_DUPLICATE_WINDOW};
pub use consumer::{BusConsumer, ConsumerConfig, ConsumerError, Delivery};
pub use dedup::{command_id, Deduplicated, DeduplicatedError, HandledEvents, StoreHandledEvents};
pub use headers::HeaderError;
pub use relay::{OutboxRelay, RelayConfig, RelayError, RelayProgress, RELAY_BATCH};
pub use subject::{subject_token, SubjectPrefix, NO_AGGREGATE};

pub use async_nats;
