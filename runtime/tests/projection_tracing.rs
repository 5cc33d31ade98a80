//! Tests of what projection runners tell a `tracing` subscriber: a span per run (catch-up, rebuild, follow) naming
//! the projection, and an event per batch with the events applied, the checkpoint, the head of the log and the lag.

mod common;

use std::future::Future;
use std::task::{Context, Waker};

use common::recorder::Recorder;
use common::*;
use factum::store::memory::MemoryStore;
use factum::store::sqlite::{SqliteStore, TransactionalRunner};
use factum::{
    ApplyError, AsyncProjection, AsyncProjectionRunner, Envelope, EventStore, ExpectedVersion, NewEvent, Projection,
    ProjectionRunner,
};

/// Counts the events it is handed, in any database.
#[derive(Debug, Default)]
struct Count(u64);

impl<Db> Projection<Db> for Count {
    const NAME: &'static str = "Count";
    type Event = AccountEvent;
    type Error = std::convert::Infallible;

    fn setup(&mut self, _: &Db) -> Result<(), Self::Error> {
        Ok(())
    }

    fn reset(&mut self, _: &Db) -> Result<(), Self::Error> {
        self.0 = 0;
        Ok(())
    }

    fn apply(&mut self, _: &Db, _: &AccountEvent, _: &Envelope) -> Result<(), ApplyError<Self::Error>> {
        self.0 += 1;
        Ok(())
    }
}

impl AsyncProjection for Count {
    const NAME: &'static str = "Count";
    type Event = AccountEvent;
    type Error = std::convert::Infallible;

    async fn setup(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn reset(&mut self) -> Result<(), Self::Error> {
        self.0 = 0;
        Ok(())
    }

    async fn apply(&mut self, _: &AccountEvent, _: &Envelope) -> Result<(), ApplyError<Self::Error>> {
        self.0 += 1;
        Ok(())
    }
}

/// Appends five events of account 1 to `store` (positions 1 to 5).
async fn five_events(store: &impl EventStore) {
    let events = vec![
        NewEvent::new("Opened", 1, r#"{"owner":"ada"}"#),
        NewEvent::new("Deposited", 1, r#"{"amount":10}"#),
        NewEvent::new("Deposited", 1, r#"{"amount":20}"#),
        NewEvent::new("Withdrawn", 1, r#"{"amount":5}"#),
        NewEvent::new("Deposited", 1, r#"{"amount":1}"#),
    ];
    store.append("Account-1", ExpectedVersion::NoStream, events).await.unwrap();
}

/// Runs `run` under a recording subscriber and checks the lines it was told.
fn check(run: impl FnOnce(), expected: &[&str]) {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), run);
    assert_eq!(*recorder.lines.lock().unwrap(), expected);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
}

/// Two events a batch: the first batches lag behind the head, the last one catches up.
const BATCHES_OF_TWO: [&str; 3] = [
    "DEBUG projection batch applied applied=2 checkpoint=3 head=5 lag=3",
    "DEBUG projection batch applied applied=2 checkpoint=5 head=5 lag=1",
    "DEBUG projection batch applied applied=1 checkpoint=6 head=5 lag=0",
];

#[test]
fn an_at_least_once_catch_up_is_a_span_with_an_event_per_batch() {
    let runtime = runtime();
    let store = MemoryStore::new();
    runtime.block_on(five_events(&store));
    let mut runner = ProjectionRunner::new(&store, Count::default()).batch_size(2);
    let mut expected = vec!["span projection projection=\"Count\" run=\"catch_up\""];
    expected.extend(BATCHES_OF_TWO);
    check(|| assert_eq!(runtime.block_on(runner.catch_up()).unwrap(), 6), &expected);

    // Caught up, a catch-up reads one empty batch: nothing applied, no lag.
    check(
        || assert_eq!(runtime.block_on(runner.catch_up()).unwrap(), 6),
        &[
            "span projection projection=\"Count\" run=\"catch_up\"",
            "DEBUG projection batch applied applied=0 checkpoint=6 head=5 lag=0",
        ],
    );

    let mut expected = vec!["span projection projection=\"Count\" run=\"rebuild\""];
    expected.extend(BATCHES_OF_TWO);
    check(|| assert_eq!(runtime.block_on(runner.rebuild(|_| {})).unwrap(), 6), &expected);
    assert_eq!(runner.projection().0, 5);
}

#[test]
fn a_follow_is_a_span_around_its_catch_ups() {
    let runtime = runtime();
    let store = MemoryStore::new();
    runtime.block_on(five_events(&store));
    let mut runner = ProjectionRunner::held(&store, Count::default()).batch_size(4);
    check(
        || {
            let _entered = runtime.enter();
            // A memory store answers at once, so one poll catches up and leaves the follow waiting for events.
            let mut follow = std::pin::pin!(runner.follow());
            assert!(follow.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
        },
        &[
            "span projection projection=\"Count\" run=\"follow\"",
            "span projection projection=\"Count\" run=\"catch_up\"",
            "DEBUG projection batch applied applied=4 checkpoint=5 head=5 lag=1",
            "DEBUG projection batch applied applied=1 checkpoint=6 head=5 lag=0",
        ],
    );
}

#[test]
fn a_transactional_catch_up_and_rebuild_are_spans_with_an_event_per_batch() {
    let runtime = runtime();
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(directory.path().join("events.db")).unwrap();
    runtime.block_on(five_events(&store));
    let mut runner = TransactionalRunner::new(store, Count::default()).batch_size(2);
    let mut expected = vec!["span projection projection=\"Count\" run=\"catch_up\""];
    expected.extend(BATCHES_OF_TWO);
    check(|| assert_eq!(runtime.block_on(runner.catch_up()).unwrap(), 6), &expected);

    let mut expected = vec!["span projection projection=\"Count\" run=\"rebuild\""];
    expected.extend(BATCHES_OF_TWO);
    check(|| assert_eq!(runtime.block_on(runner.rebuild(|_| {})).unwrap(), 6), &expected);
    assert_eq!(runner.projection().0, 5);
}

#[test]
fn an_async_catch_up_and_rebuild_are_spans_with_an_event_per_batch() {
    let runtime = runtime();
    let store = MemoryStore::new();
    runtime.block_on(five_events(&store));
    let mut runner = AsyncProjectionRunner::new(&store, Count::default()).batch_size(2);
    let mut expected = vec!["span projection projection=\"Count\" run=\"catch_up\""];
    expected.extend(BATCHES_OF_TWO);
    check(|| assert_eq!(runtime.block_on(runner.catch_up()).unwrap(), 6), &expected);

    let mut expected = vec!["span projection projection=\"Count\" run=\"rebuild\""];
    expected.extend(BATCHES_OF_TWO);
    check(|| assert_eq!(runtime.block_on(runner.rebuild(|_| {})).unwrap(), 6), &expected);
}
