//! Projections whose handlers await (a message bus, an HTTP API, another database's async client): at least once.

use std::convert::Infallible;
use std::future::Future;

use super::runner::{Checkpoint, Core, ReadModel};
use super::{ApplyError, EventPlace, Progress, ProjectionError};
use crate::store::{CheckpointStore, LogQuery};
use crate::{EventSet, EventStore, LogEventRef, RecordedEvent, StoreError};

/// A read model in another system, written by handlers that await.
///
/// Generated code implements this for the runner type of every projection (`OrderSummary<H>`) whose handler
/// implements the generated async handler trait (`OrderSummaryAsyncHandler`), whose methods may be `async fn`s.
/// [`AsyncProjectionRunner`] runs it at least once.
pub trait AsyncProjection: Send {
    /// The projection's stable name, under which its checkpoint is kept: the schema's projection name.
    const NAME: &'static str;
    /// The events the projection subscribes to.
    type Event: EventSet;
    /// Why a handler failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Creates what the read model needs before the first event of a run; it must be harmless when it exists.
    fn setup(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Empties the read model before a rebuild replays the log from the start.
    fn reset(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Applies one subscribed event.
    fn apply(
        &mut self,
        event: &Self::Event,
        envelope: &crate::Envelope,
    ) -> impl Future<Output = Result<(), ApplyError<Self::Error>>> + Send;
}

/// Runs an [`AsyncProjection`] **at least once**, as [`super::ProjectionRunner`] runs a synchronous one: each batch
/// is read from the store (copied, since handlers await while holding events), applied event by event, and
/// checkpointed after it was handled; a failing handler or an event that cannot be decoded stops the run at that event,
/// with the checkpoint moved up to it. [`AsyncProjectionRunner::follow`] catches up, then follows the log live.
#[derive(Debug)]
pub struct AsyncProjectionRunner<S, P> {
    core: Core<S>,
    projection: P,
}

impl<S, P> AsyncProjectionRunner<S, P>
where
    S: EventStore + CheckpointStore,
    P: AsyncProjection,
{
    /// A runner that keeps the checkpoint in the store, under [`AsyncProjection::NAME`].
    pub fn new(store: S, projection: P) -> Self {
        AsyncProjectionRunner { core: Core::new(store, Checkpoint::Stored), projection }
    }

    /// A runner that holds the checkpoint itself, starting from the beginning of the log.
    pub fn held(store: S, projection: P) -> Self {
        AsyncProjectionRunner { core: Core::new(store, Checkpoint::Held(1)), projection }
    }

    /// Reads, applies and checkpoints `batch` events at a time (at least 1; [`super::PROJECTION_BATCH`] by
    /// default).
    pub fn batch_size(mut self, batch: usize) -> Self {
        self.core.batch_size(batch);
        self
    }

    /// The projection.
    pub fn projection(&self) -> &P {
        &self.projection
    }

    /// The projection, to change it between runs.
    pub fn projection_mut(&mut self) -> &mut P {
        &mut self.projection
    }

    /// The projection, giving the runner up.
    pub fn into_projection(self) -> P {
        self.projection
    }

    /// The position the projection continues from.
    pub async fn checkpoint(&self) -> Result<u64, ProjectionError<P::Error>> {
        self.core.checkpoint(P::NAME).await
    }

    /// Applies every subscribed event after the checkpoint, in position order, and returns the new checkpoint.
    pub async fn catch_up(&mut self) -> Result<u64, ProjectionError<P::Error>> {
        self.core.catch_up(&mut Copied(&mut self.projection)).await
    }

    /// Catches up, then follows the log live, as [`super::ProjectionRunner::follow`] does: waits for the next commit
    /// past the checkpoint and catches up again, returning only on an error. An event is handled within
    /// microseconds of its commit through the same store, and at most [`crate::store::live::POLL_MAX`] (100 ms)
    /// plus one read after another process's commit. Dropping the future loses nothing; the events of the batch
    /// being handled when it was dropped are handled again by the next run (at least once).
    pub async fn follow(&mut self) -> Result<Infallible, ProjectionError<P::Error>> {
        self.core.follow(&mut Copied(&mut self.projection)).await
    }

    /// Empties the read model ([`AsyncProjection::reset`], then [`AsyncProjection::setup`]) and the checkpoint, and
    /// replays the log from the start, calling `progress` after every batch; returns the new checkpoint.
    pub async fn rebuild(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        self.core.rebuild(&mut Copied(&mut self.projection), progress).await
    }
}

/// A projection whose handlers await, handed copies of a batch's events: it holds them across its awaits, which a
/// store's lent rows do not outlive.
struct Copied<'a, P>(&'a mut P);

impl<P: AsyncProjection> ReadModel for Copied<'_, P> {
    const NAME: &'static str = P::NAME;
    type Event = P::Event;
    type Error = P::Error;

    async fn setup(&mut self) -> Result<(), P::Error> {
        self.0.setup().await
    }

    async fn reset(&mut self) -> Result<(), P::Error> {
        self.0.reset().await
    }

    async fn apply_batch<S: EventStore>(
        &mut self,
        store: &S,
        query: &LogQuery,
    ) -> Result<(usize, u64), ProjectionError<P::Error>> {
        let read = store
            .fold_all(query, Vec::new(), |events: &mut Vec<RecordedEvent>, event| {
                events.push(event.to_recorded()?);
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(|source| ProjectionError::store(P::NAME, source))?;
        for recorded in &read.accumulator {
            self.apply(recorded).await?;
        }
        Ok((read.accumulator.len(), read.next_position))
    }
}

impl<P: AsyncProjection> Copied<'_, P> {
    /// Decodes one event and awaits its handler.
    async fn apply(&mut self, recorded: &RecordedEvent) -> Result<(), ProjectionError<P::Error>> {
        let place = || EventPlace::of(&LogEventRef::from(recorded));
        let envelope = &recorded.envelope;
        let event = P::Event::decode(&envelope.event_name, envelope.event_version, &recorded.payload)
            .map_err(|kind| ProjectionError::Decode { projection: P::NAME, event: place(), kind })?;
        self.0.apply(&event, envelope).await.map_err(|error| match error {
            ApplyError::Handler(source) => ProjectionError::Handler { projection: P::NAME, event: place(), source },
            ApplyError::StreamId(source) => ProjectionError::StreamId { projection: P::NAME, event: place(), source },
        })
    }
}
