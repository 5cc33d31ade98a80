//! Where snapshots of aggregate states are kept: the newest one of each stream, stored beside its events.

use std::future::Future;

use crate::{StoreError, Timestamp};

/// A stored snapshot: an aggregate's state, encoded, as of a version of its stream.
///
/// The command service writes and reads these (see [`crate::SnapshotPolicy`]); a store only keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The version of the stream's last event folded into the state (at least 1).
    pub stream_version: u64,
    /// The fingerprint of the state's shape ([`crate::Aggregate::STATE_FINGERPRINT`]) when it was taken.
    pub fingerprint: String,
    /// The state, encoded as JSON.
    pub state: Vec<u8>,
    /// When it was taken.
    pub taken_at: Timestamp,
}

/// A store that keeps, for each stream, the newest snapshot of the state its events fold into.
///
/// What every store guarantees: a saved snapshot is read back by later calls, from any clone of the store and, for a
/// store on a file or a server, from any process. A stream has at most one snapshot. Saving replaces it, except that
/// a snapshot of the same fingerprint and an older stream version never replaces a newer one, so that a slow writer
/// cannot move a stream's snapshot back; a snapshot of another fingerprint (a state whose shape changed) is always
/// replaced. A snapshot is never handed out past the end of its stream: a stream that has fewer events than the
/// snapshot's version reads as having none.
pub trait SnapshotStore: Send + Sync {
    /// The snapshot of `stream_id`, if it has one.
    fn load_snapshot(&self, stream_id: &str) -> impl Future<Output = Result<Option<Snapshot>, StoreError>> + Send;

    /// Keeps `snapshot` as the snapshot of `stream_id`, as the trait's rules say.
    fn save_snapshot(&self, stream_id: &str, snapshot: Snapshot)
        -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Implements [`SnapshotStore`] for a pointer type by forwarding every method to the store it points to.
macro_rules! forward_snapshot_store {
    ($(#[$doc:meta])* $pointer:ty) => {
        $(#[$doc])*
        impl<S: SnapshotStore + ?Sized> SnapshotStore for $pointer {
            fn load_snapshot(
                &self,
                stream_id: &str,
            ) -> impl Future<Output = Result<Option<Snapshot>, StoreError>> + Send {
                (**self).load_snapshot(stream_id)
            }

            fn save_snapshot(
                &self,
                stream_id: &str,
                snapshot: Snapshot,
            ) -> impl Future<Output = Result<(), StoreError>> + Send {
                (**self).save_snapshot(stream_id, snapshot)
            }
        }
    };
}

forward_snapshot_store!(
    /// A shared store keeps the snapshots of the store it shares.
    std::sync::Arc<S>
);
forward_snapshot_store!(
    /// A borrowed store keeps the snapshots of the store it borrows.
    &S
);

impl Snapshot {
    /// Whether this snapshot may replace `stored`, the stream's snapshot now, by the rules of [`SnapshotStore`].
    pub fn replaces(&self, stored: &Snapshot) -> bool {
        self.fingerprint != stored.fingerprint || self.stream_version >= stored.stream_version
    }
}
