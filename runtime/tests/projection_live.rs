//! Tests of the runners' `follow` (catch-up, then live): every runner sees the events appended after it started, by
//! concurrent tasks of the same process, in position order and once each; the transactional runner stays exactly
//! once when its future is dropped again and again; and a store that cannot read past a position it woke the runner
//! for does not make the runner spin.
//!
//! Appends from another process are covered by the conference example's tests (`examples/conference/tests/live.rs`),
//! whose binary is the other process.

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use factum::store::memory::MemoryStore;
use factum::store::sqlite::{rusqlite, Connection, SqliteStore, TransactionalRunner};
use factum::store::{LogQuery, StreamAppend, StreamQuery};
use factum::{
    AppendOutcome, ApplyError, AsyncProjection, AsyncProjectionRunner, Envelope, EventSet, EventStore, ExpectedVersion,
    Metadata, NewEvent, Projection, ProjectionRunner, RecordedEvent, RecordedEventRef, StoreError,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// How long a test waits for the follower to hand over an event before it fails: far longer than any wake-up or
/// poll takes, so that it only ends a test that would otherwise hang.
const PATIENCE: Duration = Duration::from_secs(20);

/// Sends the position of every event it applies, and (in an SQLite file) records it in a table whose primary key
/// refuses an event applied twice.
#[derive(Debug, Clone)]
struct Positions {
    seen: UnboundedSender<u64>,
}

impl Projection for Positions {
    const NAME: &'static str = "Positions";
    type Event = AccountEvent;
    type Error = Infallible;

    fn setup(&mut self, _: &()) -> Result<(), Infallible> {
        Ok(())
    }

    fn reset(&mut self, _: &()) -> Result<(), Infallible> {
        Ok(())
    }

    fn apply(&mut self, _: &(), _: &AccountEvent, envelope: &Envelope) -> Result<(), ApplyError<Infallible>> {
        // The receiver outlives every run that matters; a send after the test stopped listening changes nothing.
        let _ = self.seen.send(envelope.position);
        Ok(())
    }
}

impl Projection<Connection> for Positions {
    const NAME: &'static str = "Positions";
    type Event = AccountEvent;
    type Error = rusqlite::Error;

    fn setup(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch("CREATE TABLE IF NOT EXISTS applied (position INTEGER PRIMARY KEY) STRICT")
    }

    fn reset(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch("DROP TABLE IF EXISTS applied")
    }

    fn apply(
        &mut self,
        db: &Connection,
        _: &AccountEvent,
        envelope: &Envelope,
    ) -> Result<(), ApplyError<rusqlite::Error>> {
        let position = i64::try_from(envelope.position).expect("a test log stays small");
        db.execute("INSERT INTO applied (position) VALUES (?1)", [position]).map_err(ApplyError::Handler)?;
        // Sent only once the row is written; a batch rolled back after this would show as a repeat.
        let _ = self.seen.send(envelope.position);
        Ok(())
    }
}

impl AsyncProjection for Positions {
    const NAME: &'static str = "Positions";
    type Event = AccountEvent;
    type Error = Infallible;

    async fn setup(&mut self) -> Result<(), Infallible> {
        Ok(())
    }

    async fn reset(&mut self) -> Result<(), Infallible> {
        Ok(())
    }

    async fn apply(&mut self, _: &AccountEvent, envelope: &Envelope) -> Result<(), ApplyError<Infallible>> {
        // A handler that awaits, as one writing to another system would.
        tokio::task::yield_now().await;
        let _ = self.seen.send(envelope.position);
        Ok(())
    }
}

/// A runtime with `threads` workers and a timer: SQLite's reads hand their worker over (`block_in_place`), which
/// only a multi-threaded runtime allows, and following polls on the timer.
fn multi_thread(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().expect("a tokio runtime")
}

fn positions() -> (Positions, UnboundedReceiver<u64>) {
    let (seen, received) = unbounded_channel();
    (Positions { seen }, received)
}

fn new_event(event: &AccountEvent) -> NewEvent {
    NewEvent::encode(event, Metadata::default()).expect("account events encode")
}

/// An event the projection does not subscribe to.
fn note() -> NewEvent {
    NewEvent::new("Noted", 1, "{}")
}

/// Appends, from `writers` concurrent tasks, `appends` appends each: a deposit to the writer's account, then a note
/// the projection does not subscribe to.
async fn append_concurrently<S: EventStore + Clone + 'static>(store: &S, writers: usize, appends: usize) {
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..appends {
                    let account = format!("Account-{writer}");
                    store.append(&account, ExpectedVersion::Any, vec![new_event(&deposited(1))]).await.unwrap();
                    store.append(&format!("Note-{writer}"), ExpectedVersion::Any, vec![note()]).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// The positions of the subscribed events the log holds, in order.
async fn subscribed<S: EventStore>(store: &S) -> Vec<u64> {
    let query = LogQuery::all().events(AccountEvent::NAMES.iter().copied());
    store.read_all(&query).await.unwrap().iter().map(|event| event.envelope.position).collect()
}

/// Starts `follow` in a task, appends history before and events after, and checks that the follower handed over every
/// subscribed event in position order, once each.
async fn check<S, F>(store: S, received: &mut UnboundedReceiver<u64>, follow: F)
where
    S: EventStore + Clone + 'static,
    F: Future + Send + 'static,
    F::Output: std::fmt::Debug + Send,
{
    let follower = tokio::spawn(follow);
    append_concurrently(&store, 4, 25).await;
    let expected = subscribed(&store).await;
    let mut seen = Vec::new();
    while seen.len() < expected.len() {
        match tokio::time::timeout(PATIENCE, received.recv()).await {
            Ok(Some(position)) => seen.push(position),
            other => panic!("the follower stopped after {seen:?}: {other:?} (finished: {})", follower.is_finished()),
        }
    }
    assert_eq!(seen, expected, "every subscribed event, in position order, once");
    follower.abort();
    let _ = follower.await;
    assert_eq!(received.try_recv().ok(), None, "nothing handed over twice");
}

/// Appends a history for the follower to catch up with before it goes live.
async fn history<S: EventStore>(store: &S) {
    let events = vec![new_event(&opened("ada")), new_event(&deposited(5)), new_event(&withdrawn(2))];
    store.append("Account-history", ExpectedVersion::NoStream, events).await.unwrap();
    store.append("Note-history", ExpectedVersion::NoStream, vec![note()]).await.unwrap();
}

#[test]
fn an_at_least_once_runner_follows_appends_of_other_tasks() {
    multi_thread(4).block_on(async {
        let store = MemoryStore::new();
        history(&store).await;
        let (projection, mut received) = positions();
        let mut runner = ProjectionRunner::held(store.clone(), projection).batch_size(3);
        check(store, &mut received, async move { runner.follow().await }).await;

        // The same on an SQLite file, with the checkpoint kept in it.
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("events.sqlite")).unwrap();
        history(&store).await;
        let (projection, mut received) = positions();
        let mut runner = ProjectionRunner::new(store.clone(), projection).batch_size(3);
        check(store, &mut received, async move { runner.follow().await }).await;
    })
}

#[test]
fn an_async_runner_follows_appends_of_other_tasks() {
    multi_thread(4).block_on(async {
        let store = MemoryStore::new();
        history(&store).await;
        let (projection, mut received) = positions();
        let mut runner = AsyncProjectionRunner::new(store.clone(), projection).batch_size(3);
        check(store, &mut received, async move { runner.follow().await }).await;
    })
}

/// The positions in the transactional projection's table, in order.
async fn applied(store: &SqliteStore) -> Vec<u64> {
    store
        .read_tables(|db| {
            db.prepare("SELECT position FROM applied ORDER BY position")?
                .query_map([], |row| row.get::<_, i64>(0).map(|position| position as u64))?
                .collect()
        })
        .await
        .unwrap()
}

#[test]
fn the_transactional_runner_follows_appends_of_other_tasks_exactly_once() {
    multi_thread(4).block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("events.sqlite")).unwrap();
        history(&store).await;
        let (projection, mut received) = positions();
        let mut runner = TransactionalRunner::new(store.clone(), projection).batch_size(3);
        check(store.clone(), &mut received, async move { runner.follow().await }).await;
        assert_eq!(applied(&store).await, subscribed(&store).await);
    })
}

#[test]
fn dropping_a_transactional_follow_again_and_again_applies_each_event_once() {
    multi_thread(4).block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("events.sqlite")).unwrap();
        let writers = {
            let store = store.clone();
            tokio::spawn(async move { append_concurrently(&store, 4, 40).await })
        };
        let (projection, _received) = positions();
        let mut runner = TransactionalRunner::new(store.clone(), projection).batch_size(2);
        // Each run is dropped after a few hundred microseconds, while it waits or between batches; an event applied twice
        // would break the table's primary key and end a run with an error instead.
        let mut runs = 0u64;
        while !writers.is_finished() {
            runs += 1;
            let dropped_after = Duration::from_micros(100 + runs % 7 * 150);
            if let Ok(stopped) = tokio::time::timeout(dropped_after, runner.follow()).await {
                panic!("the follow stopped: {stopped:?}");
            }
        }
        writers.await.unwrap();
        runner.catch_up().await.unwrap();
        assert_eq!(applied(&store).await, subscribed(&store).await);
    })
}

/// A store that filters by name only in `read_all` (the default `fold_all`), so that a read that selects nothing
/// cannot move past the events it does not select; it counts its log reads.
#[derive(Debug, Clone)]
struct FilterInRead {
    inner: MemoryStore,
    reads: Arc<AtomicU64>,
}

impl EventStore for FilterInRead {
    fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<AppendOutcome, StoreError>> + Send {
        self.inner.append(stream_id, expected, events)
    }

    fn append_batch(
        &self,
        appends: Vec<StreamAppend>,
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, StoreError>> + Send {
        self.inner.append_batch(appends)
    }

    fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
        self.inner.read_stream(stream_id, from_version)
    }

    fn read_all(&self, query: &LogQuery) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.read_all(query)
    }

    fn stream_version(&self, stream_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
        self.inner.stream_version(stream_id)
    }

    fn wait_for_events(&self, from_position: u64) -> impl Future<Output = Result<u64, StoreError>> + Send {
        self.inner.wait_for_events(from_position)
    }

    fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        visit: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        self.inner.fold_stream_query(stream_id, query, init, visit)
    }
}

impl factum::CheckpointStore for FilterInRead {
    fn checkpoint(&self, projection: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
        self.inner.checkpoint(projection)
    }

    fn save_checkpoint(
        &self,
        projection: &str,
        next_position: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.save_checkpoint(projection, next_position)
    }

    fn reset_checkpoint(&self, projection: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.reset_checkpoint(projection)
    }
}

#[test]
fn a_runner_woken_for_events_it_cannot_read_past_does_not_spin() {
    // A spinning runner never yields, so neither aborting it nor dropping the runtime would end it: the runtime is
    // left to the background, so that the test fails instead of hanging.
    let runtime = multi_thread(2);
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async {
            let store = FilterInRead { inner: MemoryStore::new(), reads: Arc::new(AtomicU64::new(0)) };
            let (projection, mut received) = positions();
            let mut runner = ProjectionRunner::held(store.clone(), projection);
            let follower = tokio::spawn(async move { runner.follow().await });
            // The log's end is past the runner's checkpoint forever: every wait returns at once, and every read finds nothing.
            store.append("Note-1", ExpectedVersion::NoStream, vec![note()]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let reads = store.reads.load(Ordering::Relaxed);
            // Paced like polling (1 ms, doubling up to 100 ms), 300 ms hold about ten reads; a loop that waits again at once
            // reads thousands of times.
            assert!(reads < 60, "{reads} reads in 300 ms");
            // And it still follows: the next subscribed event is handed over.
            store.append("Account-1", ExpectedVersion::NoStream, vec![new_event(&deposited(1))]).await.unwrap();
            let position = tokio::time::timeout(PATIENCE, received.recv()).await.unwrap();
            assert_eq!(position, Some(2));
            assert!(!follower.is_finished());
            follower.abort();
        })
    }));
    runtime.shutdown_background();
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }
}
