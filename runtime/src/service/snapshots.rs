//! Snapshots in the command service: the policy, loading from a stream's snapshot and folding only the tail, and
//! taking snapshots.

use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Loaded;
use crate::store::{Snapshot, SnapshotStore};
use crate::{Aggregate, EventStore, StoreError};

/// When a [`crate::CommandService`] takes snapshots of an aggregate's state, and whether it loads from them.
///
/// A snapshot is the state as of a version of its stream, kept in the store's own database ([`SnapshotStore`]).
/// Loading with snapshots reads the stream's snapshot and folds only the events after it; a snapshot of another
/// state shape ([`Aggregate::STATE_FINGERPRINT`]) is ignored, and one that cannot be decoded is skipped with a
/// `tracing` warning: either way the stream is folded from its start, so a snapshot is never misread and never an
/// error. Snapshots are taken after the append commits, and failing to take one never fails the command (it is a
/// `tracing` warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotPolicy {
    /// No snapshots: every load folds the whole stream, and none are taken (the default).
    #[default]
    Off,
    /// Loads start from snapshots, and a command whose events bring the stream's version to or past a multiple of
    /// this number takes one after its append (`Every(0)` is taken as `Every(1)`: after every command).
    Every(u64),
    /// Loads start from snapshots, which are taken only when asked ([`crate::CommandService::take_snapshot`]).
    OnDemand,
}

impl SnapshotPolicy {
    /// Whether loads start from snapshots.
    pub fn reads(self) -> bool {
        !matches!(self, SnapshotPolicy::Off)
    }

    /// Whether a command that moved its stream from `before` to `after` takes a snapshot: it passed a multiple of the
    /// policy's number. This asks nothing of how the state was loaded, so that a stream whose snapshot was ignored
    /// (another shape) or never taken gets one at the next multiple.
    pub fn takes_snapshot(self, before: u64, after: u64) -> bool {
        match self {
            SnapshotPolicy::Every(every) => {
                let every = every.max(1);
                after > before && after / every > before / every
            }
            SnapshotPolicy::Off | SnapshotPolicy::OnDemand => false,
        }
    }
}

/// Why a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The state could not be encoded as JSON (a map whose keys are not strings, say).
    #[error("cannot encode the state of `{stream_id}` for a snapshot: {source}")]
    Encode {
        /// The stream whose state it is.
        stream_id: String,
        /// What the encoder said.
        #[source]
        source: serde_json::Error,
    },
    /// The store failed to load the stream or to keep the snapshot.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A boxed future, the return type of the hooks below.
type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Loads a stream from its snapshot ([`load_from_snapshot`]).
type LoadHook<A, S> = for<'a> fn(&'a S, &'a str) -> Boxed<'a, Result<Loaded<A>, StoreError>>;

/// Keeps a state as its stream's snapshot ([`save_snapshot`]).
type SaveHook<A, S> =
    for<'a> fn(&'a S, &'a str, &'a <A as Aggregate>::State, u64) -> Boxed<'a, Result<(), SnapshotError>>;

/// What a service with snapshots does with them: its policy, and the two operations, instantiated where the store is
/// known to keep snapshots and the state to be serde, so that the service asks neither of a store without them.
pub(super) struct SnapshotHooks<A: Aggregate, S> {
    pub(super) policy: SnapshotPolicy,
    pub(super) load: LoadHook<A, S>,
    pub(super) save: SaveHook<A, S>,
}

// Function pointers are `Copy` whatever `A` and `S` are, which a derive would not see.
impl<A: Aggregate, S> Clone for SnapshotHooks<A, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: Aggregate, S> Copy for SnapshotHooks<A, S> {}

impl<A, S> SnapshotHooks<A, S>
where
    A: Aggregate,
    A::State: Serialize + DeserializeOwned,
    S: EventStore + SnapshotStore,
{
    pub(super) fn new(policy: SnapshotPolicy) -> Self {
        SnapshotHooks {
            policy,
            load: |store, stream_id| Box::pin(load_from_snapshot::<A, S>(store, stream_id)),
            save: |store, stream_id, state, stream_version| {
                Box::pin(save_snapshot::<A, S>(store, stream_id, state, stream_version))
            },
        }
    }
}

/// Loads an aggregate from the snapshot of `stream_id` and the events after it; without a usable snapshot, by
/// folding the whole stream, as [`crate::load`] does.
///
/// A snapshot taken of another state shape (its fingerprint is not [`Aggregate::STATE_FINGERPRINT`]) is ignored,
/// and one whose state cannot be decoded, or that the store fails to read, is skipped with a `tracing` warning. The
/// result always equals the fold of the whole stream, for a snapshot that was taken of that fold.
pub async fn load_from_snapshot<A, S>(store: &S, stream_id: &str) -> Result<Loaded<A>, StoreError>
where
    A: Aggregate,
    A::State: DeserializeOwned,
    S: EventStore + SnapshotStore + ?Sized,
{
    let start = match store.load_snapshot(stream_id).await {
        Ok(None) => None,
        Ok(Some(snapshot)) if snapshot.fingerprint != A::STATE_FINGERPRINT => {
            tracing::debug!(
                stream = stream_id,
                snapshot_version = snapshot.stream_version,
                fingerprint = %snapshot.fingerprint,
                expected = A::STATE_FINGERPRINT,
                "snapshot of another state shape ignored",
            );
            None
        }
        Ok(Some(snapshot)) => match serde_json::from_slice::<A::State>(&snapshot.state) {
            Ok(state) => Some(Loaded::<A> { state, version: snapshot.stream_version }),
            Err(error) => {
                tracing::warn!(
                    stream = stream_id,
                    snapshot_version = snapshot.stream_version,
                    %error,
                    "snapshot cannot be decoded; folding the whole stream",
                );
                None
            }
        },
        Err(error) => {
            tracing::warn!(stream = stream_id, %error, "snapshot cannot be read; folding the whole stream");
            None
        }
    };
    let start = start.unwrap_or(Loaded { state: A::State::default(), version: 0 });
    let from_version = start.version + 1;
    store
        .fold_stream(stream_id, from_version, start, |loaded, recorded| {
            let event = recorded.decoded::<A::Event>()?;
            A::evolve(&mut loaded.state, &event);
            loaded.version = recorded.stream_version;
            Ok(())
        })
        .await
}

/// Keeps `state`, the fold of `stream_id` up to `stream_version`, as the stream's snapshot.
pub async fn save_snapshot<A, S>(
    store: &S,
    stream_id: &str,
    state: &A::State,
    stream_version: u64,
) -> Result<(), SnapshotError>
where
    A: Aggregate,
    A::State: Serialize,
    S: SnapshotStore + ?Sized,
{
    let encoded = serde_json::to_vec(state)
        .map_err(|source| SnapshotError::Encode { stream_id: stream_id.to_owned(), source })?;
    let snapshot = Snapshot {
        stream_version,
        fingerprint: A::STATE_FINGERPRINT.to_owned(),
        state: encoded,
        taken_at: chrono::Utc::now(),
    };
    store.save_snapshot(stream_id, snapshot).await?;
    Ok(())
}
