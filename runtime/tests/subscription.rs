//! Subscriptions: what each kind selects, catch-up then live, decoding errors and failing handlers that stop at their
//! event, and a subscriber following an SQLite file while threads and other processes append to it, seeing each
//! event exactly once, in position order.
#![cfg(feature = "sqlite")]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{closed, deposited, opened, withdrawn, Account, AccountEvent};
use factum::store::memory::MemoryStore;
use factum::store::sqlite::SqliteStore;
use factum::store::LogQuery;
use factum::{
    Envelope, EventSet, EventStore, ExpectedVersion, LogSubscription, Metadata, NewEvent, StoreError, Subscription,
    SubscriptionError, SubscriptionHandler,
};

/// How long a read that should end may take before the test fails instead of hanging.
const GUARD: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
}

async fn guarded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(GUARD, future).await.expect("the subscription should have had an event by now")
}

fn encoded(event: &AccountEvent) -> NewEvent {
    NewEvent::encode(event, Metadata::default()).expect("the event encodes")
}

/// Appends `events` to `stream_id`, as an account's when `aggregate_type` is set.
async fn append<S: EventStore>(store: &S, stream_id: &str, aggregate_type: Option<&str>, events: &[AccountEvent]) {
    let events = events
        .iter()
        .map(|event| match aggregate_type {
            Some(aggregate_type) => encoded(event).with_aggregate_type(aggregate_type),
            None => encoded(event),
        })
        .collect();
    store.append(stream_id, ExpectedVersion::Any, events).await.expect("the append succeeds");
}

/// A log of accounts (with their aggregate type) and of a stream appended without one, then `after` appended once
/// the subscription has caught up: what `subscription` returns, as `stream@position name`.
fn check(subscribe: fn(MemoryStore) -> Subscription<MemoryStore, AccountEvent>, expected: &[&str]) {
    runtime().block_on(async {
        let store = MemoryStore::new();
        append(&store, "Account-1", Some("Account"), &[opened("ada"), deposited(5)]).await;
        append(&store, "Ledger-1", None, &[opened("bob")]).await;
        append(&store, "Account-2", Some("Account"), &[opened("cy"), withdrawn(1)]).await;
        let mut subscription = subscribe(store.clone());
        let writer = store.clone();
        let live = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            append(&writer, "Account-1", Some("Account"), &[closed()]).await;
            append(&writer, "Ledger-1", None, &[deposited(9)]).await;
        });
        let mut seen = Vec::new();
        while seen.len() < expected.len() {
            let (event, envelope) = guarded(subscription.next()).await.expect("the subscription reads");
            seen.push(format!("{}@{} {}", envelope.stream_id, envelope.position, event.name()));
        }
        live.await.expect("the writer ran");
        assert_eq!(seen, expected);
        // Nothing more is selected: a read that does not wait finds nothing.
        let mut rest = Counter::default();
        subscription.handle_available(&mut rest).await.expect("catching up succeeds");
        assert_eq!(rest.0, 0, "the subscription returned more than expected");
    });
}

#[test]
fn an_event_set_subscription_reads_its_events_from_every_stream() {
    check(
        |store| Subscription::new(store, 1),
        &[
            "Account-1@1 Opened",
            "Account-1@2 Deposited",
            "Ledger-1@3 Opened",
            "Account-2@4 Opened",
            "Account-2@5 Withdrawn",
            "Account-1@6 Closed",
            "Ledger-1@7 Deposited",
        ],
    );
}

#[test]
fn an_aggregate_subscription_reads_that_aggregate_type_only() {
    check(
        |store| Subscription::to_aggregate::<Account>(store, 1),
        &[
            "Account-1@1 Opened",
            "Account-1@2 Deposited",
            "Account-2@4 Opened",
            "Account-2@5 Withdrawn",
            "Account-1@6 Closed",
        ],
    );
}

#[test]
fn a_subscription_can_be_narrowed_to_chosen_events() {
    check(
        |store| Subscription::new(store, 1).only(["Opened", "Closed", "NotInTheSet"]),
        &["Account-1@1 Opened", "Ledger-1@3 Opened", "Account-2@4 Opened", "Account-1@6 Closed"],
    );
    check(
        |store| Subscription::to_aggregate::<Account>(store, 1).only(["Deposited", "Withdrawn"]),
        &["Account-1@2 Deposited", "Account-2@5 Withdrawn"],
    );
}

#[test]
fn a_subscription_starts_at_its_position() {
    check(
        |store| Subscription::new(store, 4),
        &["Account-2@4 Opened", "Account-2@5 Withdrawn", "Account-1@6 Closed", "Ledger-1@7 Deposited"],
    );
}

/// Counts what it is handed, failing at `fail_at` (a position) while it is set.
#[derive(Debug, Default)]
struct Counter(usize, Option<u64>, Vec<u64>);

#[derive(Debug, thiserror::Error)]
#[error("refused on purpose")]
struct Refused;

impl SubscriptionHandler<AccountEvent> for Counter {
    type Error = Refused;

    async fn handle(&mut self, _event: &AccountEvent, envelope: &Envelope) -> Result<(), Refused> {
        if self.1 == Some(envelope.position) {
            return Err(Refused);
        }
        self.0 += 1;
        self.2.push(envelope.position);
        Ok(())
    }
}

#[test]
fn an_undecodable_event_stops_the_subscription_after_the_events_before_it() {
    runtime().block_on(async {
        let store = MemoryStore::new();
        append(&store, "Account-1", None, &[opened("ada"), deposited(1)]).await;
        let malformed = NewEvent::new("Deposited", 1, r#"{"amount":"lots"}"#);
        store.append("Account-1", ExpectedVersion::Exact(2), vec![malformed]).await.unwrap();
        append(&store, "Account-1", None, &[deposited(2)]).await;

        let mut subscription = Subscription::<_, AccountEvent>::new(store.clone(), 1);
        assert_eq!(subscription.next().await.unwrap().0, opened("ada"));
        assert_eq!(subscription.next().await.unwrap().0, deposited(1));
        for _ in 0..2 {
            let error = subscription.next().await.unwrap_err();
            let StoreError::Decode(error) = error else { panic!("expected a decode error, got {error:?}") };
            assert_eq!((error.event_name.as_str(), error.position), ("Deposited", 3), "{error}");
            assert_eq!(subscription.next_position(), 3, "the subscription stays at the event it cannot read");
        }

        let mut counter = Counter::default();
        let stopped = Subscription::<_, AccountEvent>::new(store, 1).run(&mut counter).await.unwrap_err();
        assert!(matches!(&stopped, SubscriptionError::Decode(error) if error.position == 3), "{stopped:?}");
        assert_eq!(counter.2, [1, 2], "every event before the undecodable one was handled");
    });
}

#[test]
fn a_failing_handler_stops_at_its_event_and_a_rerun_resumes_there() {
    runtime().block_on(async {
        let store = MemoryStore::new();
        append(&store, "Account-1", None, &[opened("ada"), deposited(1), deposited(2), deposited(3)]).await;
        let mut subscription = Subscription::<_, AccountEvent>::new(store.clone(), 1);
        let mut handler = Counter(0, Some(3), Vec::new());
        let stopped = subscription.run(&mut handler).await.unwrap_err();
        let SubscriptionError::Handler { event_name, stream_id, position, .. } = &stopped else {
            panic!("expected a handler error, got {stopped:?}")
        };
        assert_eq!((event_name.as_str(), stream_id.as_str(), *position), ("Deposited", "Account-1", 3));
        assert_eq!(
            stopped.to_string(),
            "subscription handler failed on `Deposited` at stream `Account-1` (global position 3): refused on purpose"
        );
        assert_eq!((handler.2.as_slice(), subscription.next_position()), (&[1, 2][..], 3));

        handler.1 = None;
        assert_eq!(subscription.handle_available(&mut handler).await.unwrap(), 5);
        assert_eq!(handler.2, [1, 2, 3, 4], "the failed event is handed over again, and nothing twice");
    });
}

#[test]
fn a_log_subscription_reads_every_event_untyped() {
    runtime().block_on(async {
        let store = MemoryStore::new();
        store.append("Other-1", ExpectedVersion::Any, vec![NewEvent::new("Anything", 7, "[1]")]).await.unwrap();
        let mut subscription = LogSubscription::new(store.clone(), LogQuery::all());
        let first = subscription.next().await.unwrap();
        let writer = store.clone();
        tokio::spawn(async move { append(&writer, "Account-1", None, &[opened("ada")]).await });
        let second = guarded(subscription.next()).await.unwrap();
        let read: Vec<_> = [first, second]
            .iter()
            .map(|event| (event.envelope.position, event.envelope.event_name.clone(), event.envelope.event_version))
            .collect();
        assert_eq!(read, [(1, "Anything".to_owned(), 7), (2, "Opened".to_owned(), 1)]);
        assert_eq!(subscription.next_position(), 3);
    });
}

/// Set in the processes [`subscribers_see_every_event_once_while_threads_and_processes_append`] spawns: the file,
/// the writer's name, and how many events it appends.
const CHILD: &str = "FACTUM_SUBSCRIPTION_WRITER";
const PROCESS_WRITERS: usize = 2;
const THREAD_WRITERS: usize = 2;
/// The events each writer appends, in batches of one to three.
const WRITTEN: i64 = 60;

/// Appends [`WRITTEN`] deposits of 0, 1, 2, ... to `Account-<writer>`, in small batches, yielding between them.
async fn write_deposits<S: EventStore>(store: &S, writer: &str) {
    let mut amount = 0;
    while amount < WRITTEN {
        let batch: Vec<_> = (amount..(amount + amount % 3 + 1).min(WRITTEN)).map(deposited).collect();
        amount += batch.len() as i64;
        append(store, &format!("Account-{writer}"), Some("Account"), &batch).await;
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn spawn_process_writer(path: &Path, writer: &str) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "subscribers_see_every_event_once_while_threads_and_processes_append", "--nocapture"])
        .env(CHILD, format!("{}|{writer}", path.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A subscriber follows an SQLite file while threads append through clones of its store (woken at commit) and other
/// processes append to the same file (found by polling): it sees every event exactly once, in position order, each
/// writer's deposits in the order they were written.
#[test]
fn subscribers_see_every_event_once_while_threads_and_processes_append() {
    if let Ok(child) = std::env::var(CHILD) {
        let (path, writer) = child.split_once('|').expect("the writer's variable is `path|writer`");
        let store = SqliteStore::open(path).unwrap();
        runtime().block_on(write_deposits(&store, writer));
        return;
    }
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    let store = SqliteStore::open(&path).unwrap();
    let processes: Vec<_> =
        (0..PROCESS_WRITERS).map(|writer| spawn_process_writer(&path, &format!("process{writer}"))).collect();
    let threads: Vec<_> = (0..THREAD_WRITERS)
        .map(|writer| {
            let store = store.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(write_deposits(&store, &format!("thread{writer}")));
            })
        })
        .collect();

    let total = (PROCESS_WRITERS + THREAD_WRITERS) * WRITTEN as usize;
    let seen = runtime().block_on(async {
        let mut subscription = Subscription::<_, AccountEvent>::to_aggregate::<Account>(store.clone(), 1);
        let mut seen = Vec::with_capacity(total);
        while seen.len() < total {
            let (event, envelope) = guarded(subscription.next()).await.expect("the subscription reads");
            seen.push((envelope.position, envelope.stream_id, event));
        }
        seen
    });
    for thread in threads {
        thread.join().expect("the writing thread ran");
    }
    for (writer, process) in processes.into_iter().enumerate() {
        let output = process.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "process {writer} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let positions: Vec<u64> = seen.iter().map(|(position, ..)| *position).collect();
    assert_eq!(positions, (1..=total as u64).collect::<Vec<_>>(), "each event once, in position order");
    let logged = runtime().block_on(store.read_all(&LogQuery::all())).unwrap();
    assert_eq!(logged.len(), total, "the subscription saw the whole log");
    let writers: Vec<String> = (0..PROCESS_WRITERS)
        .map(|writer| format!("Account-process{writer}"))
        .chain((0..THREAD_WRITERS).map(|writer| format!("Account-thread{writer}")))
        .collect();
    for writer in writers {
        let amounts: Vec<i64> = seen
            .iter()
            .filter(|(_, stream_id, _)| *stream_id == writer)
            .map(|(_, _, event)| match event {
                AccountEvent::Deposited(deposit) => deposit.amount,
                other => panic!("{writer} wrote {other:?}"),
            })
            .collect();
        assert_eq!(amounts, (0..WRITTEN).collect::<Vec<_>>(), "{writer}'s deposits, in order");
    }
}

/// A follower moved to the end of the log follows only what is appended after, on both stores.
#[test]
fn a_follower_skipped_to_the_end_reads_only_new_events() {
    async fn check<S: EventStore + Clone + 'static>(store: S) {
        append(&store, "Account-1", None, &[opened("ada"), deposited(1), deposited(2)]).await;
        let mut follower = factum::LogFollower::new(store.clone(), LogQuery::all().events(["Deposited"]));
        assert_eq!(follower.skip_to_end().await.unwrap(), 4);
        let writer = store.clone();
        tokio::spawn(async move { append(&writer, "Account-1", None, &[withdrawn(1), deposited(3)]).await });
        let mut seen = Vec::new();
        guarded(follower.fold_next(|event| {
            seen.push(event.position);
            Ok::<_, StoreError>(())
        }))
        .await
        .unwrap();
        assert_eq!((seen, follower.next_position()), (vec![5], 6));
    }
    runtime().block_on(check(MemoryStore::new()));
    let directory = tempfile::tempdir().unwrap();
    runtime().block_on(check(SqliteStore::open(directory.path().join("events.db")).unwrap()));
}
