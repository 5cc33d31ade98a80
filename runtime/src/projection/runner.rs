//! The at-least-once runner: any projection, any store, checkpoint saved after handling.

use std::convert::Infallible;
use std::time::Instant;

use tracing::Instrument;

use super::apply::{apply_lent, count_subscribed, Stopped};
use super::{trace, Progress, Projection, ProjectionError};
use crate::store::{CheckpointStore, LogQuery};
use crate::{EventSet, EventStore, LiveWait, StoreError};

/// How many events a runner reads, applies and checkpoints at a time, unless told otherwise.
pub const PROJECTION_BATCH: usize = 512;

/// Where an at-least-once runner keeps its checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Checkpoint {
    /// In the store, under the projection's name.
    Stored,
    /// In the runner: the position to continue from.
    Held(u64),
}

impl Checkpoint {
    /// The position the projection `name` continues from.
    pub(super) async fn load<S: CheckpointStore>(&self, store: &S, name: &str) -> Result<u64, StoreError> {
        match self {
            Checkpoint::Held(next) => Ok(*next),
            Checkpoint::Stored => store.checkpoint(name).await,
        }
    }

    /// Records that the projection `name` continues from `next_position`.
    pub(super) async fn save<S: CheckpointStore>(
        &mut self,
        store: &S,
        name: &str,
        next_position: u64,
    ) -> Result<(), StoreError> {
        match self {
            Checkpoint::Held(next) => {
                *next = next_position;
                Ok(())
            }
            Checkpoint::Stored => store.save_checkpoint(name, next_position).await,
        }
    }

    /// Starts the projection `name` over from the beginning of the log.
    pub(super) async fn reset<S: CheckpointStore>(&mut self, store: &S, name: &str) -> Result<(), StoreError> {
        match self {
            Checkpoint::Held(next) => {
                *next = 1;
                Ok(())
            }
            Checkpoint::Stored => store.reset_checkpoint(name).await,
        }
    }
}

/// What differs between the at-least-once runners: how a batch of the log reaches the read model. A synchronous
/// projection is lent each event as the store reads it ([`ProjectionRunner`]); one whose handlers await is handed
/// copies ([`super::AsyncProjectionRunner`]). The loop around it is [`Core`]'s.
pub(super) trait ReadModel {
    /// The projection's name, under which its checkpoint is kept.
    const NAME: &'static str;
    /// The events it subscribes to.
    type Event: EventSet;
    /// Why a handler failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Creates what the read model needs before the first event of a run.
    async fn setup(&mut self) -> Result<(), Self::Error>;

    /// Empties the read model before a rebuild.
    async fn reset(&mut self) -> Result<(), Self::Error>;

    /// Reads the events `query` selects from `store` and applies them in order; returns how many were applied and
    /// the position to continue from. An event that cannot be decoded or whose handler fails stops the batch with an
    /// error naming it, the events before it applied.
    async fn apply_batch<S: EventStore>(
        &mut self,
        store: &S,
        query: &LogQuery,
    ) -> Result<(usize, u64), ProjectionError<Self::Error>>;
}

/// What both at-least-once runners hold beside their projection, and their loop: the store, where the checkpoint is
/// kept, the batch size, and whether the read model was set up.
#[derive(Debug)]
pub(super) struct Core<S> {
    pub(super) store: S,
    checkpoint: Checkpoint,
    batch: usize,
    set_up: bool,
}

impl<S: EventStore + CheckpointStore> Core<S> {
    pub(super) fn new(store: S, checkpoint: Checkpoint) -> Self {
        Core { store, checkpoint, batch: PROJECTION_BATCH, set_up: false }
    }

    pub(super) fn batch_size(&mut self, batch: usize) {
        self.batch = batch.max(1);
    }

    /// The position the projection `name` continues from.
    pub(super) async fn checkpoint<E: std::error::Error + 'static>(
        &self,
        name: &'static str,
    ) -> Result<u64, ProjectionError<E>> {
        self.checkpoint.load(&self.store, name).await.map_err(|source| ProjectionError::store(name, source))
    }

    /// Catches `model` up, inside its span.
    pub(super) async fn catch_up<M: ReadModel>(&mut self, model: &mut M) -> Result<u64, ProjectionError<M::Error>> {
        let span = trace::run_span(M::NAME, "catch_up");
        self.catch_up_reporting(model, 0, |_| {}).instrument(span).await
    }

    /// Catches `model` up, then follows the log live, until an error.
    pub(super) async fn follow<M: ReadModel>(
        &mut self,
        model: &mut M,
    ) -> Result<Infallible, ProjectionError<M::Error>> {
        let span = trace::run_span(M::NAME, "follow");
        async {
            let mut live = LiveWait::new();
            loop {
                let next = self.catch_up(model).await?;
                live.wait(&self.store, next).await.map_err(|source| ProjectionError::store(M::NAME, source))?;
            }
        }
        .instrument(span)
        .await
    }

    /// Empties `model` and the checkpoint and replays the log from the start, inside its span.
    pub(super) async fn rebuild<M: ReadModel>(
        &mut self,
        model: &mut M,
        progress: impl FnMut(&Progress),
    ) -> Result<u64, ProjectionError<M::Error>> {
        let span = trace::run_span(M::NAME, "rebuild");
        self.rebuild_reporting(model, progress).instrument(span).await
    }

    async fn rebuild_reporting<M: ReadModel>(
        &mut self,
        model: &mut M,
        progress: impl FnMut(&Progress),
    ) -> Result<u64, ProjectionError<M::Error>> {
        let store_failed = |source| ProjectionError::store(M::NAME, source);
        // The checkpoint goes first: a crash between the two replays onto the old read model (at least once), where
        // the other order would leave an empty read model that skips history.
        self.checkpoint.reset(&self.store, M::NAME).await.map_err(store_failed)?;
        let total = count_subscribed(&self.store, M::Event::NAMES, 1).await.map_err(store_failed)?;
        model.reset().await.map_err(|source| ProjectionError::ReadModel {
            projection: M::NAME,
            step: "reset",
            source,
        })?;
        self.set_up = false;
        self.catch_up_reporting(model, total, progress).await
    }

    /// Catches up, calling `progress` after every batch with `total` as the events ahead.
    async fn catch_up_reporting<M: ReadModel>(
        &mut self,
        model: &mut M,
        total: u64,
        mut progress: impl FnMut(&Progress),
    ) -> Result<u64, ProjectionError<M::Error>> {
        let store_failed = |source| ProjectionError::store(M::NAME, source);
        if !self.set_up {
            model.setup().await.map_err(|source| ProjectionError::ReadModel {
                projection: M::NAME,
                step: "set up",
                source,
            })?;
            self.set_up = true;
        }
        let started = Instant::now();
        let mut next = self.checkpoint.load(&self.store, M::NAME).await.map_err(store_failed)?.max(1);
        let mut done = 0u64;
        loop {
            let query = LogQuery::from_position(next).limit(self.batch).events(M::Event::NAMES.iter().copied());
            let (applied, next_position) = match model.apply_batch(&self.store, &query).await {
                Ok(applied) => applied,
                Err(error) => {
                    // Everything before the failing event was applied: the checkpoint moves up to it, not past it.
                    if let Some(event) = error.event() {
                        self.checkpoint.save(&self.store, M::NAME, event.position).await.map_err(store_failed)?;
                    }
                    return Err(error);
                }
            };
            done += applied as u64;
            if next_position != next {
                self.checkpoint.save(&self.store, M::NAME, next_position).await.map_err(store_failed)?;
                next = next_position;
            }
            let head = trace::head_after(&self.store, applied, self.batch, next).await.map_err(store_failed)?;
            trace::batch_applied(applied, next, head);
            progress(&Progress { projection: M::NAME, done, total, next_position: next, elapsed: started.elapsed() });
            if applied < self.batch {
                return Ok(next);
            }
        }
    }
}

/// A synchronous projection, lent each event of a batch as the store reads it.
struct Lent<'a, P>(&'a mut P);

impl<P: Projection> ReadModel for Lent<'_, P> {
    const NAME: &'static str = P::NAME;
    type Event = P::Event;
    type Error = P::Error;

    async fn setup(&mut self) -> Result<(), P::Error> {
        self.0.setup(&())
    }

    async fn reset(&mut self) -> Result<(), P::Error> {
        self.0.reset(&())
    }

    async fn apply_batch<S: EventStore>(
        &mut self,
        store: &S,
        query: &LogQuery,
    ) -> Result<(usize, u64), ProjectionError<P::Error>> {
        let projection = &mut *self.0;
        let folded = store
            .fold_all(query, 0usize, |applied, event| {
                apply_lent(projection, &(), event)?;
                *applied += 1;
                Ok::<_, Stopped<P::Error>>(())
            })
            .await
            .map_err(|stopped| stopped.into_error(P::NAME))?;
        Ok((folded.accumulator, folded.next_position))
    }
}

/// Runs a projection whose read model lives outside the store's transactions (in memory, in another system), **at
/// least once**: each batch's checkpoint is saved after its events were handled, so an event handled just before a
/// crash is handled again after it. Handlers recognise such an event by its id or position
/// ([`super::EventContext::envelope`]).
///
/// [`ProjectionRunner::catch_up`] applies every subscribed event after the checkpoint and returns the new checkpoint;
/// [`ProjectionRunner::follow`] catches up, then follows the log live. A handler that fails, or an event that cannot be decoded,
/// stops the run at that event: the events before it are applied and checkpointed, it and those after it are not,
/// and the next `catch_up` starts with it.
///
/// ```
/// # use factum::{Envelope, EventSet, Projection, ApplyError};
/// # #[derive(Debug, Clone)] pub struct Noted;
/// # impl EventSet for Noted {
/// #     const NAMES: &'static [&'static str] = &["Noted"];
/// #     fn name(&self) -> &'static str { "Noted" }
/// #     fn version(&self) -> u32 { 1 }
/// #     fn encode(&self) -> Result<Vec<u8>, serde_json::Error> { Ok(b"{}".to_vec()) }
/// #     fn decode(_: &str, _: u32, _: &[u8]) -> Result<Self, factum::DecodeErrorKind> { Ok(Noted) }
/// # }
/// /// Counts `Noted` events, in memory.
/// #[derive(Default)]
/// struct Count(u64);
///
/// impl Projection for Count {
///     const NAME: &'static str = "Count";
///     type Event = Noted;
///     type Error = std::convert::Infallible;
///     fn setup(&mut self, _: &()) -> Result<(), Self::Error> { Ok(()) }
///     fn reset(&mut self, _: &()) -> Result<(), Self::Error> { self.0 = 0; Ok(()) }
///     fn apply(&mut self, _: &(), _: &Noted, _: &Envelope) -> Result<(), ApplyError<Self::Error>> {
///         self.0 += 1;
///         Ok(())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use factum::{store::memory::MemoryStore, EventStore, ExpectedVersion, NewEvent, ProjectionRunner};
///
/// let store = MemoryStore::new();
/// store.append("Note-1", ExpectedVersion::Any, vec![NewEvent::new("Noted", 1, "{}")]).await.unwrap();
/// // The count lives in this process, so its checkpoint does too.
/// let mut runner = ProjectionRunner::held(&store, Count::default());
/// assert_eq!(runner.catch_up().await.unwrap(), 2);
/// assert_eq!(runner.projection().0, 1);
/// # });
/// ```
#[derive(Debug)]
pub struct ProjectionRunner<S, P> {
    core: Core<S>,
    projection: P,
}

impl<S, P> ProjectionRunner<S, P>
where
    S: EventStore + CheckpointStore,
    P: Projection,
{
    /// A runner that keeps the checkpoint in the store, under [`Projection::NAME`]: for a read model that outlives the
    /// process (another database, a search index), so that a restart continues where the last run stopped.
    pub fn new(store: S, projection: P) -> Self {
        ProjectionRunner { core: Core::new(store, Checkpoint::Stored), projection }
    }

    /// A runner that holds the checkpoint itself, starting from the beginning of the log: for a read model that lives
    /// in memory beside it and starts empty in every process, which a stored checkpoint would wrongly skip ahead.
    pub fn held(store: S, projection: P) -> Self {
        ProjectionRunner { core: Core::new(store, Checkpoint::Held(1)), projection }
    }

    /// Reads, applies and checkpoints `batch` events at a time (at least 1; [`PROJECTION_BATCH`] by default).
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

    /// Applies every subscribed event after the checkpoint, in position order, and returns the new checkpoint (the
    /// position to continue from). The read model is set up ([`Projection::setup`]) before the first run.
    pub async fn catch_up(&mut self) -> Result<u64, ProjectionError<P::Error>> {
        self.core.catch_up(&mut Lent(&mut self.projection)).await
    }

    /// Catches up, then follows the log live: waits for the next commit past the checkpoint
    /// ([`EventStore::wait_for_events`]) and catches up again, for as long as it runs. It returns only on an error
    /// (a handler, the decoding of an event, the store), which stops it as it stops [`ProjectionRunner::catch_up`];
    /// stop it otherwise by dropping the future (`tokio::select!`, aborting its task).
    ///
    /// It never busy-loops. An event is applied within microseconds of its commit through the same store (or a
    /// clone of it), and at most [`crate::store::live::POLL_MAX`] (100 ms) plus one read after a commit by another
    /// process (polled from 1 ms after each wait began, at doubling pauses). Dropping the future loses nothing: the
    /// next run continues from the checkpoint, and events applied since the last save (in the batch being handled)
    /// are applied again, at least once as always.
    pub async fn follow(&mut self) -> Result<Infallible, ProjectionError<P::Error>> {
        self.core.follow(&mut Lent(&mut self.projection)).await
    }

    /// Empties the read model ([`Projection::reset`], then [`Projection::setup`]) and the checkpoint, and replays the
    /// log from the start, calling `progress` after every batch; returns the new checkpoint.
    pub async fn rebuild(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        self.core.rebuild(&mut Lent(&mut self.projection), progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AsyncProjection, AsyncProjectionRunner};
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    /// The runners' futures are `Send` for any store and projection that are, so that users spawn them on tokio from
    /// generic code too (the shared loop calls its read model through a private trait's `async fn`s).
    #[allow(dead_code)]
    fn runner_futures_are_send<S, P, A>(mut runner: ProjectionRunner<S, P>, mut awaiting: AsyncProjectionRunner<S, A>)
    where
        S: EventStore + CheckpointStore + Send + Sync,
        P: Projection + Send,
        A: AsyncProjection + Send,
    {
        assert_send(runner.catch_up());
        assert_send(runner.follow());
        assert_send(runner.rebuild(|_| {}));
        assert_send(awaiting.catch_up());
        assert_send(awaiting.follow());
        assert_send(awaiting.rebuild(|_| {}));
    }
}
