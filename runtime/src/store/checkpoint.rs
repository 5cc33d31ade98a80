//! Where projections keep their checkpoints: the position each continues from, stored beside the events.

use std::future::Future;

use crate::StoreError;

/// A store that keeps, for each projection by name, the position of the global log it continues from.
///
/// A checkpoint is the position of the next event a projection reads (1 for one that has read nothing), so that a
/// restart continues where the last run stopped. Checkpoints are kept by name ([`crate::Projection::NAME`]), in the
/// store's own database where it has one, so that a read model in the same database can commit its updates and its
/// checkpoint together (see `factum::store::sqlite::TransactionalRunner`).
///
/// What every store guarantees: a saved checkpoint is read back by later calls, from any clone of the store and, for a
/// store on a file or a server, from any process; a reset one reads as 1; a projection never saved reads as 1.
pub trait CheckpointStore: Send + Sync {
    /// The position `projection` continues from; 1 when it has none.
    fn checkpoint(&self, projection: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records that `projection` continues from `next_position`.
    fn save_checkpoint(
        &self,
        projection: &str,
        next_position: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets `projection`'s checkpoint, so that it starts again from the beginning of the log.
    fn reset_checkpoint(&self, projection: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Implements [`CheckpointStore`] for a pointer type by forwarding every method to the store it points to.
macro_rules! forward_checkpoint_store {
    ($(#[$doc:meta])* $pointer:ty) => {
        $(#[$doc])*
        impl<S: CheckpointStore + ?Sized> CheckpointStore for $pointer {
            fn checkpoint(&self, projection: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
                (**self).checkpoint(projection)
            }

            fn save_checkpoint(
                &self,
                projection: &str,
                next_position: u64,
            ) -> impl Future<Output = Result<(), StoreError>> + Send {
                (**self).save_checkpoint(projection, next_position)
            }

            fn reset_checkpoint(&self, projection: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
                (**self).reset_checkpoint(projection)
            }
        }
    };
}

forward_checkpoint_store!(
    /// A shared store keeps the checkpoints of the store it shares.
    std::sync::Arc<S>
);
forward_checkpoint_store!(
    /// A borrowed store keeps the checkpoints of the store it borrows.
    &S
);
