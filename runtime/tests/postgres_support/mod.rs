//! What the PostgreSQL tests share: the server's URL, and stores in fresh schemas of their own, dropped with the
//! store's last clone, so that tests running at once (in this process or others) never see each other's events.
//!
//! The server is `FACTUM_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`). A test that cannot
//! reach it fails, naming the URL: these tests never skip.
#![allow(dead_code, unreachable_pub)] // Each test file uses a part of the helpers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use factum::store::postgres::PostgresStore;
use factum::store::{LogFold, LogQuery, Snapshot, SnapshotStore, StreamAppend, StreamQuery};
use factum::{
    AppendOutcome, CheckpointStore, EventStore, ExpectedVersion, LogEventRef, NewEvent, RecordedEvent,
    RecordedEventRef, StoreError,
};

/// The server the tests use.
pub fn url() -> String {
    std::env::var("FACTUM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema name no other test, run or process uses: the test's tag, the process id, a counter and the time.
pub fn unique_schema(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("test_{tag}_{}_{count}_{nanos}", std::process::id())
}

/// The URL of the test server with `schema` as the store's schema.
pub fn schema_url(schema: &str) -> String {
    let url = url();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}schema={schema}")
}

/// Drops its schema when dropped (on a thread of its own, since it may be dropped inside a runtime).
#[derive(Debug)]
pub struct Scratch {
    pub schema: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let schema = self.schema.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await
            })
        });
        if let Ok(Err(error)) = dropped.join() {
            eprintln!("could not drop the test schema `{}`: {error}", self.schema);
        }
    }
}

/// A store in a fresh schema, dropped with its last clone.
#[derive(Debug, Clone)]
pub struct TestStore {
    pub store: PostgresStore,
    pub scratch: Arc<Scratch>,
}

impl TestStore {
    /// A store in a fresh schema named after `tag`; fails the test when the server cannot be reached.
    pub async fn new(tag: &str) -> Self {
        let schema = unique_schema(tag);
        let scratch = Arc::new(Scratch { schema: schema.clone() });
        let store = PostgresStore::connect(&schema_url(&schema)).await.unwrap_or_else(|error| {
            panic!("the PostgreSQL tests need a server at `{}` (set FACTUM_TEST_POSTGRES): {error}", url())
        });
        TestStore { store, scratch }
    }

    /// Another store on the same schema, as another process would connect.
    pub async fn reconnect(&self) -> PostgresStore {
        PostgresStore::connect(&schema_url(&self.scratch.schema)).await.expect("the schema reconnects")
    }
}

impl EventStore for TestStore {
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

    // The folds and the wait are forwarded too, so that the suite runs the store's own, not the trait's defaults.
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

impl CheckpointStore for TestStore {
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

impl SnapshotStore for TestStore {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.store.load_snapshot(stream_id).await
    }

    async fn save_snapshot(&self, stream_id: &str, snapshot: Snapshot) -> Result<(), StoreError> {
        self.store.save_snapshot(stream_id, snapshot).await
    }
}
