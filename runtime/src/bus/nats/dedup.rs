//! Idempotency by event id for handlers fed at least once: handled ids recorded in the consumer's store, or
//! command ids derived from the event id.

use std::future::Future;

use uuid::Uuid;

use crate::{CheckpointStore, Envelope, EventSet, StoreError, SubscriptionHandler};

/// The command id a consumer sends its command in reaction to an event under, the same every time the event is
/// delivered: a UUID v5 of the consumer's name in the event id's namespace.
///
/// With [`crate::CommandService::handle_with`] and `Metadata::following(envelope).with_command_id(id)` (or
/// [`crate::CommandService::handle_idempotent`]), a redelivered event's command is found in the stream and answered
/// with its first outcome instead of being decided again: the command and the record that it was handled are one
/// append, so no crash can separate them. This is how a process manager driven by a [`super::BusConsumer`] is
/// idempotent.
pub fn command_id(consumer: &str, envelope: &Envelope) -> Uuid {
    Uuid::new_v5(&envelope.event_id, consumer.as_bytes())
}

/// Where a consumer records the ids of the events it handled.
pub trait HandledEvents: Send + Sync {
    /// Whether the event of `envelope` was handled.
    fn is_handled(&self, envelope: &Envelope) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records that the event of `envelope` was handled.
    fn record_handled(&self, envelope: &Envelope) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Handled event ids kept in a store's checkpoints (the consumer's own store, any [`CheckpointStore`]): one entry
/// per event, named `<consumer>/handled/<event id>`, holding the position after the event in the source log.
#[derive(Debug, Clone)]
pub struct StoreHandledEvents<S> {
    store: S,
    consumer: String,
}

impl<S: CheckpointStore> StoreHandledEvents<S> {
    /// The ids handled by `consumer`, kept in `store`.
    pub fn new(store: S, consumer: impl Into<String>) -> Self {
        StoreHandledEvents { store, consumer: consumer.into() }
    }

    fn key(&self, envelope: &Envelope) -> String {
        format!("{}/handled/{}", self.consumer, envelope.event_id)
    }
}

impl<S: CheckpointStore> HandledEvents for StoreHandledEvents<S> {
    async fn is_handled(&self, envelope: &Envelope) -> Result<bool, StoreError> {
        // A checkpoint never saved reads as 1; a recorded one is a position past an event, so at least 2.
        Ok(self.store.checkpoint(&self.key(envelope)).await? > 1)
    }

    async fn record_handled(&self, envelope: &Envelope) -> Result<(), StoreError> {
        self.store.save_checkpoint(&self.key(envelope), envelope.position.saturating_add(1).max(2)).await
    }
}

/// A handler that skips events already handled, and records each event it handled: redeliveries (a lost
/// acknowledgement, a crash before it) reach the inner handler only when the crash came between its effect and the
/// record. Handlers whose effect and record must be one (commands) use [`command_id`] instead.
#[derive(Debug, Clone)]
pub struct Deduplicated<H, L> {
    handler: H,
    handled: L,
}

impl<H, L> Deduplicated<H, L> {
    /// `handler`, handling each event once as far as `handled` records.
    pub fn new(handler: H, handled: L) -> Self {
        Deduplicated { handler, handled }
    }

    /// The inner handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The inner handler, given back.
    pub fn into_handler(self) -> H {
        self.handler
    }
}

/// Why a [`Deduplicated`] handler failed.
#[derive(Debug, thiserror::Error)]
pub enum DeduplicatedError<E: std::error::Error + 'static> {
    /// The inner handler failed.
    #[error(transparent)]
    Handler(E),
    /// Reading or recording handled ids failed.
    #[error("cannot read or record handled events: {0}")]
    Store(#[source] StoreError),
}

impl<E, H, L> SubscriptionHandler<E> for Deduplicated<H, L>
where
    E: EventSet,
    H: SubscriptionHandler<E>,
    L: HandledEvents,
{
    type Error = DeduplicatedError<H::Error>;

    async fn handle(&mut self, event: &E, envelope: &Envelope) -> Result<(), Self::Error> {
        if self.handled.is_handled(envelope).await.map_err(DeduplicatedError::Store)? {
            return Ok(());
        }
        self.handler.handle(event, envelope).await.map_err(DeduplicatedError::Handler)?;
        self.handled.record_handled(envelope).await.map_err(DeduplicatedError::Store)
    }
}
