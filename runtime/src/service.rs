//! The command handling service: load an aggregate, decide, append with the loaded version, retry on contention.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::store::SnapshotStore;
use crate::{
    Aggregate, AsOf, CommandSet, Decide, EventStore, ExpectedVersion, Metadata, NewEvent, RetryPolicy, StoreError,
};

mod idempotent;
mod snapshots;
mod trace;

use idempotent::load_for_command;
use snapshots::SnapshotHooks;
pub use snapshots::{load_from_snapshot, save_snapshot, SnapshotError, SnapshotPolicy};
use trace::micros;

/// An aggregate instance as loaded from its stream.
pub struct Loaded<A: Aggregate> {
    /// The fold of every event of the stream.
    pub state: A::State,
    /// The version of the stream's last event (0: no events yet).
    pub version: u64,
}

/// What handling a command did.
pub struct Handled<A: Aggregate> {
    /// The events the command recorded, in order (possibly none).
    pub events: Vec<A::Event>,
    /// The state after the events.
    pub state: A::State,
    /// The stream's version after the append.
    pub stream_version: u64,
}

/// Why a command was not handled.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    /// The aggregate rejected the command; nothing was written.
    #[error("command rejected: {0}")]
    Rejected(#[source] E),
    /// Concurrent writers kept winning the stream, or the store stayed busy, until the [`RetryPolicy`] ran out of
    /// attempts or time; nothing was written.
    #[error("gave up after {attempts} attempts in {} ms: {source}", elapsed.as_millis())]
    GaveUp {
        /// The last failure: a [`StoreError::Conflict`] or a [`StoreError::Transient`].
        #[source]
        source: StoreError,
        /// How many times the command was decided.
        attempts: u32,
        /// How long the attempts took, from the first load to the last failure.
        elapsed: Duration,
    },
    /// The store failed, or a stored event could not be read.
    #[error(transparent)]
    Store(StoreError),
}

impl<E: std::error::Error + 'static> From<StoreError> for CommandError<E> {
    fn from(error: StoreError) -> Self {
        CommandError::Store(error)
    }
}

/// Handles commands of the aggregate `A` against the store `S`, decided by `D`.
///
/// Each command loads the aggregate by folding its stream, decides, and appends the decided events expecting the
/// loaded version. When another writer appended in between, or the store was busy, the whole cycle runs again after
/// a jittered, growing pause, as the service's [`RetryPolicy`] says; when the policy runs out of attempts or time the
/// command fails with [`CommandError::GaveUp`]. The pauses sleep on tokio's timer, so the runtime needs its time
/// driver (`#[tokio::main]` and `#[tokio::test]` enable it; a hand-built runtime calls `enable_time`).
///
/// A command handled with an id ([`CommandService::handle_idempotent`]) is recorded once per stream: handling the
/// same id again on the same aggregate instance answers with the first outcome.
///
/// Every command runs in a `tracing` span named `command` (the aggregate, the command's name, the stream), with
/// events for each retry, the outcome, the attempts, the events recorded and the time taken.
///
/// With snapshots on ([`CommandService::with_snapshots`]), loads start from the stream's snapshot and fold only the
/// events after it, and commands take snapshots as the [`SnapshotPolicy`] says, after their append commits.
///
/// The decider `D` is what every decision is handed to (see [`Decide`]): by default the aggregate's marker type, for
/// pure decisions ([`CommandService::new`]); or a value of the application's own type holding what decisions consult,
/// a clock, an id generator or a lookup ([`CommandService::with_decider`]).
pub struct CommandService<A: Aggregate, S, D = A> {
    store: S,
    decider: D,
    retry: RetryPolicy,
    snapshots: Option<SnapshotHooks<A, S>>,
    aggregate: PhantomData<fn() -> A>,
}

// The marker type `A` is never held, so these impls do not ask it to be `Debug` or `Clone` as derives would; generated
// marker types are neither.
impl<A: Aggregate> std::fmt::Debug for Loaded<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded").field("state", &self.state).field("version", &self.version).finish()
    }
}

impl<A: Aggregate> Clone for Loaded<A> {
    fn clone(&self) -> Self {
        Loaded { state: self.state.clone(), version: self.version }
    }
}

impl<A: Aggregate> std::fmt::Debug for Handled<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handled")
            .field("events", &self.events)
            .field("state", &self.state)
            .field("stream_version", &self.stream_version)
            .finish()
    }
}

impl<A: Aggregate> Clone for Handled<A> {
    fn clone(&self) -> Self {
        Handled { events: self.events.clone(), state: self.state.clone(), stream_version: self.stream_version }
    }
}

impl<A: Aggregate, S: std::fmt::Debug, D> std::fmt::Debug for CommandService<A, S, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandService")
            .field("aggregate", &std::any::type_name::<A>())
            .field("decider", &std::any::type_name::<D>())
            .field("store", &self.store)
            .field("retry", &self.retry)
            .field("snapshots", &self.snapshots.map_or(SnapshotPolicy::Off, |hooks| hooks.policy))
            .finish()
    }
}

impl<A: Aggregate, S: Clone, D: Clone> Clone for CommandService<A, S, D> {
    fn clone(&self) -> Self {
        CommandService {
            store: self.store.clone(),
            decider: self.decider.clone(),
            retry: self.retry,
            snapshots: self.snapshots,
            aggregate: PhantomData,
        }
    }
}

impl<A: Decide + Default, S: EventStore> CommandService<A, S> {
    /// A service over `store` whose decisions are pure (decided by the aggregate's marker type), and that retries
    /// by the default [`RetryPolicy`].
    pub fn new(store: S) -> Self {
        CommandService::with_decider(store, A::default())
    }
}

impl<A: Decide<D>, S: EventStore, D: Sync> CommandService<A, S, D> {
    /// A service over `store` whose decisions are made by `decider`, and that retries by the default
    /// [`RetryPolicy`].
    ///
    /// `decider` holds what decisions consult besides the state and the command, such as a clock: a type of the
    /// application's own that implements the aggregate's generated decide trait (`OrderDecide`) finds it at `self` in
    /// every decide method.
    pub fn with_decider(store: S, decider: D) -> Self {
        CommandService { store, decider, retry: RetryPolicy::new(), snapshots: None, aggregate: PhantomData }
    }

    /// When snapshots are taken, and whether loads start from them ([`SnapshotPolicy::Off`] unless
    /// [`CommandService::with_snapshots`] was called).
    pub fn snapshot_policy(&self) -> SnapshotPolicy {
        self.snapshots.map_or(SnapshotPolicy::Off, |hooks| hooks.policy)
    }

    /// The decider commands are handed to.
    pub fn decider(&self) -> &D {
        &self.decider
    }

    /// Sets when commands are tried again after a conflict or a busy store, and when they are given up on.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how many times in all a command is decided before it is given up on (at least once), keeping the rest of
    /// the retry policy.
    pub fn with_max_attempts(self, max_attempts: u32) -> Self {
        let retry = self.retry.with_max_attempts(max_attempts);
        self.with_retry_policy(retry)
    }

    /// When commands are tried again, and when they are given up on.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The store the service works on.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Loads the instance `id`: from its snapshot and the events after it when the [`SnapshotPolicy`] reads
    /// snapshots, else by folding its whole stream.
    pub async fn load(&self, id: &A::Id) -> Result<Loaded<A>, StoreError> {
        self.load_stream(&A::stream_id(id)).await
    }

    async fn load_stream(&self, stream_id: &str) -> Result<Loaded<A>, StoreError> {
        match self.snapshots {
            Some(hooks) if hooks.policy.reads() => (hooks.load)(&self.store, stream_id).await,
            _ => load::<A, S>(&self.store, stream_id).await,
        }
    }

    /// Takes a snapshot after an append that moved `stream_id` from `before` to `after`, when the policy says so; a
    /// failure is a warning, never the command's.
    async fn snapshot_after_append(&self, stream_id: &str, state: &A::State, before: u64, after: u64) {
        let Some(hooks) = self.snapshots else { return };
        if !hooks.policy.takes_snapshot(before, after) {
            return;
        }
        match (hooks.save)(&self.store, stream_id, state, after).await {
            Ok(()) => tracing::debug!(stream_version = after, "snapshot taken"),
            Err(error) => tracing::warn!(stream_version = after, %error, "snapshot not taken; the command stands"),
        }
    }

    /// Loads the instance `id` as it was [`AsOf`] a stream version or an instant (the events recorded strictly
    /// before it); see [`load_as_of`]. Snapshots are not used: this always folds the stream up to the cut.
    pub async fn load_as_of(&self, id: &A::Id, as_of: AsOf) -> Result<Loaded<A>, StoreError> {
        load_as_of::<A, S>(&self.store, &A::stream_id(id), as_of).await
    }

    /// Handles `command` for the instance `id`, with empty metadata.
    pub async fn handle(
        &self,
        id: &A::Id,
        command: A::Command,
    ) -> Result<Handled<A>, CommandError<<A as Decide<D>>::Error>> {
        self.handle_with(id, command, Metadata::default()).await
    }

    /// Handles `command` for the instance `id` once per `command_id`, with empty metadata but for the command id.
    ///
    /// The first time, this is [`CommandService::handle`], and every recorded event carries `command_id` in its
    /// metadata ([`Metadata::command_id`]). When the stream already holds events recorded under `command_id` (the
    /// caller retried after a timeout, a message was delivered twice), nothing is decided or written: the answer is
    /// the first outcome, the events recorded then and the state right after them. The scope is the aggregate
    /// instance's stream: the same id on another instance is another command. A command that recorded no events, or
    /// was rejected, left nothing to find, so handling its id again decides it again.
    pub async fn handle_idempotent(
        &self,
        id: &A::Id,
        command_id: uuid::Uuid,
        command: A::Command,
    ) -> Result<Handled<A>, CommandError<<A as Decide<D>>::Error>> {
        self.handle_with(id, command, Metadata::default().with_command_id(command_id)).await
    }

    /// Handles `command` for the instance `id`; every recorded event carries `metadata`.
    ///
    /// When `metadata` has a [`Metadata::command_id`], the command is idempotent, as with
    /// [`CommandService::handle_idempotent`].
    pub async fn handle_with(
        &self,
        id: &A::Id,
        command: A::Command,
        metadata: Metadata,
    ) -> Result<Handled<A>, CommandError<<A as Decide<D>>::Error>> {
        let stream_id = A::stream_id(id);
        let span = tracing::info_span!(
            "command",
            aggregate = A::NAME,
            command = %command.name(),
            stream = %stream_id,
            command_id = tracing::field::Empty,
        );
        if let Some(command_id) = metadata.command_id {
            span.record("command_id", tracing::field::display(command_id));
        }
        self.handle_in_span(&stream_id, command, metadata).instrument(span).await
    }

    async fn handle_in_span(
        &self,
        stream_id: &str,
        command: A::Command,
        metadata: Metadata,
    ) -> Result<Handled<A>, CommandError<<A as Decide<D>>::Error>> {
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match self.attempt(stream_id, &command, &metadata).await {
                Ok(handled) => {
                    tracing::debug!(
                        attempts,
                        events = handled.events.len(),
                        stream_version = handled.stream_version,
                        elapsed_us = micros(started.elapsed()),
                        "command handled",
                    );
                    return Ok(handled);
                }
                Err(CommandError::Rejected(error)) => {
                    tracing::debug!(attempts, elapsed_us = micros(started.elapsed()), %error, "command rejected");
                    return Err(CommandError::Rejected(error));
                }
                Err(CommandError::Store(error)) if error.is_retryable() => error,
                Err(error) => {
                    tracing::warn!(attempts, elapsed_us = micros(started.elapsed()), %error, "command failed");
                    return Err(error);
                }
            };
            let elapsed = started.elapsed();
            match self.retry.backoff(attempts, elapsed, fastrand::f64()) {
                Some(pause) => {
                    tracing::debug!(attempt = attempts, %error, pause_us = micros(pause), "command retried");
                    if pause.is_zero() {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(pause).await;
                    }
                }
                None => {
                    tracing::warn!(attempts, elapsed_us = micros(elapsed), %error, "command given up");
                    return Err(CommandError::GaveUp { source: error, attempts, elapsed });
                }
            }
        }
    }

    /// Loads, decides and appends once; a conflict or a busy store is returned for the caller to retry.
    async fn attempt(
        &self,
        stream_id: &str,
        command: &A::Command,
        metadata: &Metadata,
    ) -> Result<Handled<A>, CommandError<<A as Decide<D>>::Error>> {
        let Loaded { mut state, version } = match metadata.command_id {
            None => self.load_stream(stream_id).await?,
            Some(command_id) => match load_for_command::<A, S>(&self.store, stream_id, command_id).await? {
                Ok(loaded) => loaded,
                Err(first) => {
                    tracing::debug!(stream_version = first.stream_version, "command already handled");
                    return Ok(first);
                }
            },
        };
        let events = A::decide(&self.decider, &state, command.clone()).map_err(CommandError::Rejected)?;
        if events.is_empty() {
            return Ok(Handled { events, state, stream_version: version });
        }
        let new_events = events
            .iter()
            .map(|event| Ok(NewEvent::encode(event, metadata.clone())?.with_aggregate_type(A::NAME)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let expected = if version == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(version) };
        let outcome = self.store.append(stream_id, expected, new_events).await?;
        for event in &events {
            A::evolve(&mut state, event);
        }
        self.snapshot_after_append(stream_id, &state, version, outcome.stream_version).await;
        Ok(Handled { events, state, stream_version: outcome.stream_version })
    }
}

impl<A, S, D> CommandService<A, S, D>
where
    A: Decide<D>,
    A::State: serde::Serialize + serde::de::DeserializeOwned,
    S: EventStore + SnapshotStore,
    D: Sync,
{
    /// Turns snapshots on (or off, with [`SnapshotPolicy::Off`]): loads start from the stream's snapshot and fold
    /// only the events after it, and commands take snapshots as `policy` says, after their append commits.
    ///
    /// Snapshots live in the store's own database ([`SnapshotStore`]). A snapshot records the state's fingerprint
    /// ([`Aggregate::STATE_FINGERPRINT`]): when the state's shape changes, old snapshots are ignored (the stream is
    /// folded from its start) and replaced by the next one taken. Time travel ([`CommandService::load_as_of`]) and
    /// projections never read snapshots.
    pub fn with_snapshots(mut self, policy: SnapshotPolicy) -> Self {
        self.snapshots = Some(SnapshotHooks::new(policy));
        self
    }

    /// Loads the instance `id` (from its snapshot when the policy reads snapshots) and keeps its state as the
    /// stream's snapshot now, whatever the policy; returns what was loaded. A stream with no events has nothing to
    /// keep. Unlike the snapshots commands take, a failure here is returned.
    pub async fn take_snapshot(&self, id: &A::Id) -> Result<Loaded<A>, SnapshotError> {
        let stream_id = A::stream_id(id);
        let loaded = self.load_stream(&stream_id).await?;
        if loaded.version > 0 {
            save_snapshot::<A, S>(&self.store, &stream_id, &loaded.state, loaded.version).await?;
        }
        Ok(loaded)
    }
}

/// Loads an aggregate by folding every event of `stream_id`.
///
/// The fold runs inside the store's read ([`EventStore::fold_stream`]), so events are decoded straight from the
/// store's buffers and never collected.
pub async fn load<A: Aggregate, S: EventStore + ?Sized>(store: &S, stream_id: &str) -> Result<Loaded<A>, StoreError> {
    let empty = Loaded::<A> { state: A::State::default(), version: 0 };
    store
        .fold_stream(stream_id, 1, empty, |loaded, recorded| {
            let event = recorded.decoded::<A::Event>()?;
            A::evolve(&mut loaded.state, &event);
            loaded.version = recorded.stream_version;
            Ok(())
        })
        .await
}

/// Loads an aggregate as it was [`AsOf`] a point: the fold of `stream_id`'s events up to a version, or of those
/// recorded strictly before an instant.
///
/// The store selects the events in its own read ([`EventStore::fold_stream_query`]), and the result equals a fold of
/// the stream cut at that point. [`Loaded::version`] is the version of the last event folded (0: none), which is
/// where the stream stood then; a state loaded as of the past is for reading, not for deciding new commands.
pub async fn load_as_of<A: Aggregate, S: EventStore + ?Sized>(
    store: &S,
    stream_id: &str,
    as_of: AsOf,
) -> Result<Loaded<A>, StoreError> {
    let empty = Loaded::<A> { state: A::State::default(), version: 0 };
    store
        .fold_stream_query(stream_id, &as_of.stream_query(), empty, |loaded, recorded| {
            let event = recorded.decoded::<A::Event>()?;
            A::evolve(&mut loaded.state, &event);
            loaded.version = recorded.stream_version;
            Ok(())
        })
        .await
}
