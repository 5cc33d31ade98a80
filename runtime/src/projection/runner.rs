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
    store: S,
    projection: P,
    checkpoint: Checkpoint,
    batch: usize,
    set_up: bool,
}

impl<S, P> ProjectionRunner<S, P>
where
    S: EventStore + CheckpointStore,
    P: Projection,
{
    /// A runner that keeps the checkpoint in the store, under [`Projection::NAME`]: for a read model that outlives the
    /// process (another database, a search index), so that a restart continues where the last run stopped.
    pub fn new(store: S, projection: P) -> Self {
        ProjectionRunner { store, projection, checkpoint: Checkpoint::Stored, batch: PROJECTION_BATCH, set_up: false }
    }

    /// A runner that holds the checkpoint itself, starting from the beginning of the log: for a read model that lives
    /// in memory beside it and starts empty in every process, which a stored checkpoint would wrongly skip ahead.
    pub fn held(store: S, projection: P) -> Self {
        ProjectionRunner { checkpoint: Checkpoint::Held(1), ..ProjectionRunner::new(store, projection) }
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

    /// Applies every subscribed event after the checkpoint, in position order, and returns the new checkpoint (the
    /// position to continue from). The read model is set up ([`Projection::setup`]) before the first run.
    pub async fn catch_up(&mut self) -> Result<u64, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "catch_up");
        self.catch_up_reporting(0, |_| {}).instrument(span).await
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

    /// Empties the read model ([`Projection::reset`], then [`Projection::setup`]) and the checkpoint, and replays the
    /// log from the start, calling `progress` after every batch; returns the new checkpoint.
    pub async fn rebuild(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "rebuild");
        self.rebuild_reporting(progress).instrument(span).await
    }

    /// Rebuilds, as [`ProjectionRunner::rebuild`] describes, inside its span.
    async fn rebuild_reporting(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        // The checkpoint goes first: a crash between the two replays onto the old read model (at least once), where
        // the other order would leave an empty read model that skips history.
        self.checkpoint.reset(&self.store, P::NAME).await.map_err(|source| ProjectionError::store(P::NAME, source))?;
        let total = count_subscribed(&self.store, P::Event::NAMES, 1)
            .await
            .map_err(|source| ProjectionError::store(P::NAME, source))?;
        self.projection.reset(&()).map_err(|source| ProjectionError::ReadModel {
            projection: P::NAME,
            step: "reset",
            source,
        })?;
        self.set_up = false;
        self.catch_up_reporting(total, progress).await
    }

    /// Catches up, calling `progress` after every batch with `total` as the events ahead.
    async fn catch_up_reporting(
        &mut self,
        total: u64,
        mut progress: impl FnMut(&Progress),
    ) -> Result<u64, ProjectionError<P::Error>> {
        if !self.set_up {
            self.projection.setup(&()).map_err(|source| ProjectionError::ReadModel {
                projection: P::NAME,
                step: "set up",
                source,
            })?;
            self.set_up = true;
        }
        let started = Instant::now();
        let mut next = self.checkpoint().await?.max(1);
        let mut done = 0u64;
        loop {
            let query = LogQuery::from_position(next).limit(self.batch).events(P::Event::NAMES.iter().copied());
            let projection = &mut self.projection;
            let folded = self
                .store
                .fold_all(&query, 0usize, |applied, event| {
                    apply_lent(projection, &(), event)?;
                    *applied += 1;
                    Ok::<_, Stopped<P::Error>>(())
                })
                .await;
            let (applied, next_position) = match folded {
                Ok(folded) => (folded.accumulator, folded.next_position),
                Err(Stopped::Projection(error)) => {
                    // Everything before the failing event was applied: the checkpoint moves up to it, not past it.
                    if let Some(event) = error.event() {
                        self.save(event.position).await?;
                    }
                    return Err(error);
                }
                Err(stopped) => return Err(stopped.into_error(P::NAME)),
            };
            done += applied as u64;
            if next_position != next {
                self.save(next_position).await?;
                next = next_position;
            }
            let head = trace::head_after(&self.store, applied, self.batch, next)
                .await
                .map_err(|source| ProjectionError::store(P::NAME, source))?;
            trace::batch_applied(applied, next, head);
            progress(&Progress { projection: P::NAME, done, total, next_position: next, elapsed: started.elapsed() });
            if applied < self.batch {
                return Ok(next);
            }
        }
    }

    async fn save(&mut self, next_position: u64) -> Result<(), ProjectionError<P::Error>> {
        self.checkpoint
            .save(&self.store, P::NAME, next_position)
            .await
            .map_err(|source| ProjectionError::store(P::NAME, source))
    }
}
