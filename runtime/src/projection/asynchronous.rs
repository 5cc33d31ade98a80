//! Projections whose handlers await (a message bus, an HTTP API, another database's async client): at least once.

use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use tracing::Instrument;

use super::runner::{Checkpoint, PROJECTION_BATCH};
use super::{trace, ApplyError, EventPlace, Progress, ProjectionError};
use crate::store::{CheckpointStore, LogQuery};
use crate::{EventSet, EventStore, LiveWait, LogEventRef, RecordedEvent, StoreError};

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
    store: S,
    projection: P,
    checkpoint: Checkpoint,
    batch: usize,
    set_up: bool,
}

impl<S, P> AsyncProjectionRunner<S, P>
where
    S: EventStore + CheckpointStore,
    P: AsyncProjection,
{
    /// A runner that keeps the checkpoint in the store, under [`AsyncProjection::NAME`].
    pub fn new(store: S, projection: P) -> Self {
        AsyncProjectionRunner {
            store,
            projection,
            checkpoint: Checkpoint::Stored,
            batch: PROJECTION_BATCH,
            set_up: false,
        }
    }

    /// A runner that holds the checkpoint itself, starting from the beginning of the log.
    pub fn held(store: S, projection: P) -> Self {
        AsyncProjectionRunner { checkpoint: Checkpoint::Held(1), ..AsyncProjectionRunner::new(store, projection) }
    }

    /// Reads, applies and checkpoints `batch` events at a time (at least 1; [`PROJECTION_BATCH`] by default).
    pub fn batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
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
        self.checkpoint.load(&self.store, P::NAME).await.map_err(|source| ProjectionError::store(P::NAME, source))
    }

    /// Applies every subscribed event after the checkpoint, in position order, and returns the new checkpoint.
    pub async fn catch_up(&mut self) -> Result<u64, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "catch_up");
        self.catch_up_reporting(0, |_| {}).instrument(span).await
    }

    /// Catches up, then follows the log live, as [`super::ProjectionRunner::follow`] does: waits for the next commit
    /// past the checkpoint and catches up again, returning only on an error. An event is handled within
    /// microseconds of its commit through the same store, and at most [`crate::store::live::POLL_MAX`] (100 ms)
    /// plus one read after another process's commit. Dropping the future loses nothing; the events of the batch
    /// being handled when it was dropped are handled again by the next run (at least once).
    pub async fn follow(&mut self) -> Result<Infallible, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "follow");
        async {
            let mut live = LiveWait::new();
            loop {
                let next = self.catch_up().await?;
                live.wait(&self.store, next).await.map_err(|source| ProjectionError::store(P::NAME, source))?;
            }
        }
        .instrument(span)
        .await
    }

    /// Empties the read model ([`AsyncProjection::reset`], then [`AsyncProjection::setup`]) and the checkpoint, and
    /// replays the log from the start, calling `progress` after every batch; returns the new checkpoint.
    pub async fn rebuild(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "rebuild");
        self.rebuild_reporting(progress).instrument(span).await
    }

    /// Rebuilds, as [`AsyncProjectionRunner::rebuild`] describes, inside its span.
    async fn rebuild_reporting(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        let store_failed = |source| ProjectionError::store(P::NAME, source);
        self.checkpoint.reset(&self.store, P::NAME).await.map_err(store_failed)?;
        let total = super::apply::count_subscribed(&self.store, P::Event::NAMES, 1).await.map_err(store_failed)?;
        self.projection.reset().await.map_err(|source| ProjectionError::ReadModel {
            projection: P::NAME,
            step: "reset",
            source,
        })?;
        self.set_up = false;
        self.catch_up_reporting(total, progress).await
    }

    async fn catch_up_reporting(
        &mut self,
        total: u64,
        mut progress: impl FnMut(&Progress),
    ) -> Result<u64, ProjectionError<P::Error>> {
        let store_failed = |source| ProjectionError::store(P::NAME, source);
        if !self.set_up {
            self.projection.setup().await.map_err(|source| ProjectionError::ReadModel {
                projection: P::NAME,
                step: "set up",
                source,
            })?;
            self.set_up = true;
        }
        let started = Instant::now();
        let mut next = self.checkpoint.load(&self.store, P::NAME).await.map_err(store_failed)?.max(1);
        let mut done = 0u64;
        loop {
            let query = LogQuery::from_position(next).limit(self.batch).events(P::Event::NAMES.iter().copied());
            let read = self
                .store
                .fold_all(&query, Vec::new(), |events: &mut Vec<RecordedEvent>, event| {
                    events.push(event.to_recorded()?);
                    Ok::<_, StoreError>(())
                })
                .await
                .map_err(store_failed)?;
            for recorded in &read.accumulator {
                if let Err(error) = self.apply(recorded).await {
                    // Everything before the failing event was applied: the checkpoint moves up to it, not past it.
                    self.checkpoint
                        .save(&self.store, P::NAME, recorded.envelope.position)
                        .await
                        .map_err(store_failed)?;
                    return Err(error);
                }
                done += 1;
            }
            if read.next_position != next {
                self.checkpoint.save(&self.store, P::NAME, read.next_position).await.map_err(store_failed)?;
                next = read.next_position;
            }
            let head =
                trace::head_after(&self.store, read.accumulator.len(), self.batch, next).await.map_err(store_failed)?;
            trace::batch_applied(read.accumulator.len(), next, head);
            progress(&Progress { projection: P::NAME, done, total, next_position: next, elapsed: started.elapsed() });
            if read.accumulator.len() < self.batch {
                return Ok(next);
            }
        }
    }

    /// Decodes one event and awaits its handler.
    async fn apply(&mut self, recorded: &RecordedEvent) -> Result<(), ProjectionError<P::Error>> {
        let place = || EventPlace::of(&LogEventRef::from(recorded));
        let envelope = &recorded.envelope;
        let event = P::Event::decode(&envelope.event_name, envelope.event_version, &recorded.payload)
            .map_err(|kind| ProjectionError::Decode { projection: P::NAME, event: place(), kind })?;
        self.projection.apply(&event, envelope).await.map_err(|error| match error {
            ApplyError::Handler(source) => ProjectionError::Handler { projection: P::NAME, event: place(), source },
            ApplyError::StreamId(source) => ProjectionError::StreamId { projection: P::NAME, event: place(), source },
        })
    }
}
