//! A store kept together with what must outlive it.

use std::sync::Arc;

use factum::store::{LogFold, LogQuery, Snapshot, SnapshotStore, StreamAppend, StreamQuery};
use factum::{
    AppendOutcome, CheckpointStore, EventStore, ExpectedVersion, LogEventRef, NewEvent, RecordedEvent,
    RecordedEventRef, StoreError,
};

/// A store and a guard that lives as long as the store's last clone: the temporary directory of a store's file, a
/// scratch schema dropped with it. Every method of [`EventStore`], [`CheckpointStore`] and [`SnapshotStore`] is the
/// store's own (the folds and the wait too, not the traits' defaults), so that a suite run on it tests the store.
#[derive(Debug)]
pub struct Guarded<S, G> {
    /// The store.
    pub store: S,
    /// What must outlive it.
    pub guard: Arc<G>,
}

impl<S, G> Guarded<S, G> {
    /// `store`, keeping `guard` until its last clone is dropped.
    pub fn new(store: S, guard: G) -> Self {
        Guarded { store, guard: Arc::new(guard) }
    }
}

impl<S: Clone, G> Clone for Guarded<S, G> {
    fn clone(&self) -> Self {
        Guarded { store: self.store.clone(), guard: Arc::clone(&self.guard) }
    }
}

impl<S: EventStore, G: Send + Sync> EventStore for Guarded<S, G> {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.store.append(stream_id, expected, events).await
    }

    async fn append_batch(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        self.store.append_batch(appends).await
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store.read_stream(stream_id, from_version).await
    }

    async fn read_all(&self, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store.read_all(query).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        self.store.stream_version(stream_id).await
    }

    async fn wait_for_events(&self, from_position: u64) -> Result<u64, StoreError> {
        self.store.wait_for_events(from_position).await
    }

    async fn fold_stream<T, F>(&self, stream_id: &str, from_version: u64, init: T, visit: F) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        self.store.fold_stream(stream_id, from_version, init, visit).await
    }

    async fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        visit: F,
    ) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        self.store.fold_stream_query(stream_id, query, init, visit).await
    }

    async fn fold_all<T, E, F>(&self, query: &LogQuery, init: T, visit: F) -> Result<LogFold<T>, E>
    where
        T: Send,
        E: From<StoreError> + Send,
        F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
    {
        self.store.fold_all(query, init, visit).await
    }
}

impl<S: CheckpointStore, G: Send + Sync> CheckpointStore for Guarded<S, G> {
    async fn checkpoint(&self, projection: &str) -> Result<u64, StoreError> {
        self.store.checkpoint(projection).await
    }

    async fn save_checkpoint(&self, projection: &str, next_position: u64) -> Result<(), StoreError> {
        self.store.save_checkpoint(projection, next_position).await
    }

    async fn reset_checkpoint(&self, projection: &str) -> Result<(), StoreError> {
        self.store.reset_checkpoint(projection).await
    }
}

impl<S: SnapshotStore, G: Send + Sync> SnapshotStore for Guarded<S, G> {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.store.load_snapshot(stream_id).await
    }

    async fn save_snapshot(&self, stream_id: &str, snapshot: Snapshot) -> Result<(), StoreError> {
        self.store.save_snapshot(stream_id, snapshot).await
    }
}
