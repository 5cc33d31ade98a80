//! The command handling service: load an aggregate, decide, append with the loaded version, retry on conflict.

use std::marker::PhantomData;

use crate::{Aggregate, AsOf, ConflictError, Decide, EventStore, ExpectedVersion, Metadata, NewEvent, StoreError};

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
    /// Concurrent writers kept winning the stream until the retries ran out; nothing was written.
    #[error("{source} (gave up after {attempts} attempts)")]
    Conflict {
        /// The last conflict.
        #[source]
        source: ConflictError,
        /// How many times the command was decided.
        attempts: u32,
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
/// loaded version. When another writer appended in between, the whole cycle runs again, up to the retry limit.
///
/// The decider `D` is what every decision is handed to (see [`Decide`]): by default the aggregate's marker type, for
/// pure decisions ([`CommandService::new`]); or a value of the application's own type holding what decisions consult,
/// a clock, an id generator or a lookup ([`CommandService::with_decider`]).
pub struct CommandService<A, S, D = A> {
    store: S,
    decider: D,
    max_attempts: u32,
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

impl<A, S: std::fmt::Debug, D> std::fmt::Debug for CommandService<A, S, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandService")
            .field("aggregate", &std::any::type_name::<A>())
            .field("decider", &std::any::type_name::<D>())
            .field("store", &self.store)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl<A, S: Clone, D: Clone> Clone for CommandService<A, S, D> {
    fn clone(&self) -> Self {
        CommandService {
            store: self.store.clone(),
            decider: self.decider.clone(),
            max_attempts: self.max_attempts,
            aggregate: PhantomData,
        }
    }
}

/// How many times a command is decided by default before a conflict is given up on.
pub const DEFAULT_ATTEMPTS: u32 = 3;

impl<A: Decide + Default, S: EventStore> CommandService<A, S> {
    /// A service over `store` whose decisions are pure (decided by the aggregate's marker type), and that retries
    /// conflicts [`DEFAULT_ATTEMPTS`] times in all.
    pub fn new(store: S) -> Self {
        CommandService::with_decider(store, A::default())
    }
}

impl<A: Decide<D>, S: EventStore, D: Sync> CommandService<A, S, D> {
    /// A service over `store` whose decisions are made by `decider`, and that retries conflicts [`DEFAULT_ATTEMPTS`]
    /// times in all.
    ///
    /// `decider` holds what decisions consult besides the state and the command, such as a clock: a type of the
    /// application's own that implements the aggregate's generated decide trait (`OrderDecide`) finds it at `self` in
    /// every decide method.
    pub fn with_decider(store: S, decider: D) -> Self {
        CommandService { store, decider, max_attempts: DEFAULT_ATTEMPTS, aggregate: PhantomData }
    }

    /// The decider commands are handed to.
    pub fn decider(&self) -> &D {
        &self.decider
    }

    /// Sets how many times in all a command is decided before a conflict is given up on (at least once).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// The store the service works on.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Loads the instance `id` by folding its whole stream.
    pub async fn load(&self, id: &A::Id) -> Result<Loaded<A>, StoreError> {
        load::<A, S>(&self.store, &A::stream_id(id)).await
    }

    /// Loads the instance `id` as it was [`AsOf`] a stream version or an instant (the events recorded strictly
    /// before it); see [`load_as_of`].
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

    /// Handles `command` for the instance `id`; every recorded event carries `metadata`.
    pub async fn handle_with(
        &self,
        id: &A::Id,
        command: A::Command,
        metadata: Metadata,
    ) -> Result<Handled<A>, CommandError<<A as Decide<D>>::Error>> {
        let stream_id = A::stream_id(id);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let Loaded { mut state, version } = load::<A, S>(&self.store, &stream_id).await?;
            let events = A::decide(&self.decider, &state, command.clone()).map_err(CommandError::Rejected)?;
            if events.is_empty() {
                return Ok(Handled { events, state, stream_version: version });
            }
            let new_events = events
                .iter()
                .map(|event| Ok(NewEvent::encode(event, metadata.clone())?.with_aggregate_type(A::NAME)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let expected = if version == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(version) };
            match self.store.append(&stream_id, expected, new_events).await {
                Ok(outcome) => {
                    for event in &events {
                        A::evolve(&mut state, event);
                    }
                    return Ok(Handled { events, state, stream_version: outcome.stream_version });
                }
                Err(StoreError::Conflict(source)) if attempts >= self.max_attempts => {
                    return Err(CommandError::Conflict { source, attempts });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
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
            let event = recorded.decode::<A::Event>()?;
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
            let event = recorded.decode::<A::Event>()?;
            A::evolve(&mut loaded.state, &event);
            loaded.version = recorded.stream_version;
            Ok(())
        })
        .await
}
