//! Tests of the command service: deciding against the folded stream, retrying conflicts, writing nothing on
//! rejection, and reporting stored events it cannot read with their place.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::*;
use factum::store::memory::MemoryStore;
use factum::store::LogQuery;
use factum::{
    AppendOutcome, CommandError, CommandService, ConflictError, DecodeError, DecodeErrorKind, EventStore,
    ExpectedVersion, Metadata, NewEvent, RecordedEvent, RetryPolicy, StoreError, StreamAppend,
};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime").block_on(future)
}

fn new_event(event: &AccountEvent) -> NewEvent {
    NewEvent::encode(event, Metadata::default()).expect("account events encode")
}

/// A store whose appends go wrong in a chosen way, counting how often it was asked to append.
struct MeddlingStore {
    inner: MemoryStore,
    meddling: Meddling,
    appends: AtomicU32,
}

enum Meddling {
    /// Before the first append, another writer deposits 50 into the same stream.
    DepositBeforeFirstAppend,
    /// Every append conflicts.
    AlwaysConflict,
    /// The first append finds the store busy.
    BusyOnce,
    /// Every append finds the store busy.
    AlwaysBusy,
}

/// The error a busy backend answers with.
#[derive(Debug, thiserror::Error)]
#[error("database is locked")]
struct Locked;

impl MeddlingStore {
    fn new(inner: MemoryStore, meddling: Meddling) -> Self {
        MeddlingStore { inner, meddling, appends: AtomicU32::new(0) }
    }
}

impl EventStore for MeddlingStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let appends = self.appends.fetch_add(1, Ordering::SeqCst) + 1;
        match self.meddling {
            Meddling::DepositBeforeFirstAppend if appends == 1 => {
                self.inner.append(stream_id, ExpectedVersion::Any, vec![new_event(&deposited(50))]).await?;
            }
            Meddling::DepositBeforeFirstAppend => {}
            Meddling::AlwaysConflict => {
                let actual = self.inner.stream_version(stream_id).await? + 1;
                return Err(ConflictError { stream_id: stream_id.into(), expected, actual }.into());
            }
            Meddling::BusyOnce if appends == 1 => return Err(StoreError::transient(Locked)),
            Meddling::BusyOnce => {}
            Meddling::AlwaysBusy => return Err(StoreError::transient(Locked)),
        }
        self.inner.append(stream_id, expected, events).await
    }

    async fn append_batch(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        self.inner.append_batch(appends).await
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream_id, from_version).await
    }

    async fn read_all(&self, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(query).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        self.inner.stream_version(stream_id).await
    }
}

/// A store holding account 7, opened by ada with 100 deposited.
async fn funded_store() -> MemoryStore {
    let store = MemoryStore::new();
    let events = vec![new_event(&opened("ada")), new_event(&deposited(100))];
    store.append("Account-7", ExpectedVersion::NoStream, events).await.unwrap();
    store
}

#[test]
fn handled_commands_append_their_events_and_fold_them() {
    block_on(async {
        let service = CommandService::<Account, _>::new(MemoryStore::new());
        let metadata = Metadata::default().with_header("request", "r-1");
        let open = service.handle_with(&7, AccountCommand::Open { owner: "ada".into() }, metadata.clone()).await;
        let open = open.unwrap();
        assert_eq!((open.events, open.stream_version), (vec![opened("ada")], 1));
        let close = service.handle(&7, AccountCommand::Close).await.unwrap();
        assert_eq!(close.events, vec![closed()]);
        assert_eq!(close.state, AccountState { owner: Some("ada".into()), balance: 0, closed: true });
        assert_eq!(close.stream_version, 2);

        let stored = service.store().read_stream("Account-7", 1).await.unwrap();
        let names: Vec<&str> = stored.iter().map(|event| event.envelope.event_name.as_str()).collect();
        assert_eq!(names, ["Opened", "Closed"]);
        assert_eq!(stored[0].envelope.metadata, metadata);
        assert_eq!(stored[1].envelope.metadata, Metadata::default());
        let types: Vec<Option<&str>> = stored.iter().map(|event| event.envelope.aggregate_type.as_deref()).collect();
        assert_eq!(types, [Some("Account"); 2], "the service appends with the aggregate's type");
        let loaded = service.load(&7).await.unwrap();
        assert_eq!((loaded.state, loaded.version), (close.state, 2));
    });
}

#[test]
fn rejected_and_empty_decisions_write_nothing() {
    block_on(async {
        let store = funded_store().await;
        let service = CommandService::<Account, _>::new(&store);
        let before = store.read_all(&LogQuery::all()).await.unwrap();

        let rejected = service.handle(&7, AccountCommand::Withdraw { amount: 500 }).await;
        match rejected {
            Err(CommandError::Rejected(error)) => {
                assert_eq!(error, AccountError::InsufficientFunds { balance: 100, requested: 500 })
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        let nothing = service.handle(&7, AccountCommand::Deposit { amount: 0 }).await.unwrap();
        assert_eq!((nothing.events, nothing.stream_version, nothing.state.balance), (vec![], 2, 100));
        assert_eq!(store.read_all(&LogQuery::all()).await.unwrap(), before);
    });
}

#[test]
fn a_conflict_is_retried_against_the_new_state() {
    block_on(async {
        let store = MeddlingStore::new(funded_store().await, Meddling::DepositBeforeFirstAppend);
        let service = CommandService::<Account, _>::new(store);
        let handled = service.handle(&7, AccountCommand::Deposit { amount: 10 }).await.unwrap();
        assert_eq!(handled.events, vec![deposited(10)]);
        assert_eq!((handled.state.balance, handled.stream_version), (160, 4));
        assert_eq!(service.store().appends.load(Ordering::SeqCst), 2);
        let stored = service.store().inner.read_stream("Account-7", 1).await.unwrap();
        let payloads: Vec<&[u8]> = stored.iter().map(|event| event.payload.as_slice()).collect();
        assert_eq!(payloads[2..], [br#"{"amount":50}"#.as_slice(), br#"{"amount":10}"#.as_slice()]);
    });
}

#[test]
fn a_busy_store_is_retried() {
    block_on(async {
        let store = MeddlingStore::new(funded_store().await, Meddling::BusyOnce);
        let service = CommandService::<Account, _>::new(store);
        let handled = service.handle(&7, AccountCommand::Deposit { amount: 10 }).await.unwrap();
        assert_eq!((handled.state.balance, handled.stream_version), (110, 3));
        assert_eq!(service.store().appends.load(Ordering::SeqCst), 2);
    });
}

/// Retries at once: these tests count attempts, not pauses.
const NO_PAUSE: RetryPolicy = RetryPolicy::new().with_max_elapsed(std::time::Duration::from_secs(60));

#[test]
fn contention_is_given_up_on_when_the_attempts_run_out() {
    let immediate = |policy: RetryPolicy| policy.with_backoff(Duration::ZERO, Duration::ZERO);
    // (meddling, policy, expected attempts)
    let cases = [
        (Meddling::AlwaysConflict, RetryPolicy::never(), 1),
        (Meddling::AlwaysConflict, immediate(NO_PAUSE.with_max_attempts(5)), 5),
        (Meddling::AlwaysConflict, immediate(NO_PAUSE.with_max_attempts(0)), 1),
        (Meddling::AlwaysConflict, immediate(NO_PAUSE), RetryPolicy::DEFAULT_MAX_ATTEMPTS),
        (Meddling::AlwaysBusy, immediate(NO_PAUSE.with_max_attempts(4)), 4),
    ];
    for (meddling, policy, expected_attempts) in cases {
        block_on(async {
            let busy = matches!(meddling, Meddling::AlwaysBusy);
            let store = MeddlingStore::new(funded_store().await, meddling);
            let service = CommandService::<Account, _>::new(store).with_retry_policy(policy);
            match service.handle(&7, AccountCommand::Deposit { amount: 10 }).await {
                Err(CommandError::GaveUp { source, attempts, elapsed }) => {
                    assert_eq!(attempts, expected_attempts, "attempts with {policy:?}");
                    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
                    match source {
                        StoreError::Conflict(conflict) if !busy => {
                            assert_eq!(conflict.stream_id, "Account-7");
                            assert_eq!(conflict.expected, ExpectedVersion::Exact(2));
                        }
                        StoreError::Transient(error) if busy => assert_eq!(error.to_string(), "database is locked"),
                        other => panic!("unexpected last failure {other:?}"),
                    }
                }
                other => panic!("expected to give up, got {other:?}"),
            }
            assert_eq!(service.store().appends.load(Ordering::SeqCst), expected_attempts);
            assert_eq!(service.store().inner.stream_version("Account-7").await.unwrap(), 2);
        });
    }
}

#[test]
fn contention_is_given_up_on_when_the_time_runs_out() {
    block_on(async {
        let store = MeddlingStore::new(funded_store().await, Meddling::AlwaysConflict);
        let policy = RetryPolicy::new()
            .with_backoff(Duration::from_millis(1), Duration::from_millis(4))
            .with_max_elapsed(Duration::from_millis(40));
        let service = CommandService::<Account, _>::new(store).with_retry_policy(policy);
        match service.handle(&7, AccountCommand::Deposit { amount: 10 }).await {
            Err(CommandError::GaveUp { attempts, elapsed, .. }) => {
                // Pauses are at most 4 ms, so 40 ms hold more than one attempt, and the service gives up only when
                // the next try would start past 40 ms, so not before 36 ms.
                assert!(attempts > 1 && attempts < RetryPolicy::DEFAULT_MAX_ATTEMPTS, "{attempts} attempts");
                assert!(elapsed > Duration::from_millis(36), "{elapsed:?}");
                assert_eq!(service.store().appends.load(Ordering::SeqCst), attempts);
            }
            other => panic!("expected to give up, got {other:?}"),
        }
    });
}

#[test]
fn stored_events_that_cannot_be_read_are_reported_with_their_place() {
    let cases: Vec<(&str, u32, &str, DecodeErrorKind)> = vec![
        ("Frozen", 1, "{}", DecodeErrorKind::UnknownEvent { name: "Frozen".into() }),
        (
            "Deposited",
            2,
            r#"{"amount":1}"#,
            DecodeErrorKind::UnknownVersion { name: "Deposited".into(), version: 2, known: "v1".into() },
        ),
        (
            "Deposited",
            1,
            r#"{"amount":"lots"}"#,
            DecodeErrorKind::MalformedPayload {
                message: "invalid type: string \"lots\", expected i64 at line 1 column 16".into(),
            },
        ),
        (
            "Deposited",
            1,
            "not json",
            DecodeErrorKind::MalformedPayload { message: "expected ident at line 1 column 2".into() },
        ),
    ];
    for (event_name, event_version, payload, kind) in cases {
        block_on(async {
            let store = MemoryStore::new();
            // Another stream first, so that the bad event's position differs from its stream version.
            store.append("Account-1", ExpectedVersion::Any, vec![new_event(&opened("bob"))]).await.unwrap();
            let unreadable = NewEvent::new(event_name, event_version, payload);
            let stored = vec![new_event(&opened("ada")), unreadable, new_event(&deposited(1))];
            store.append("Account-7", ExpectedVersion::NoStream, stored).await.unwrap();

            let expected = DecodeError {
                stream_id: "Account-7".into(),
                stream_version: 2,
                position: 3,
                event_name: event_name.into(),
                event_version,
                kind: kind.clone(),
            };
            let service = CommandService::<Account, _>::new(&store);
            match service.load(&7).await {
                Err(StoreError::Decode(error)) => assert_eq!(*error, expected),
                other => panic!("loading past `{event_name}` v{event_version} {payload}: {other:?}"),
            }
            match service.handle(&7, AccountCommand::Deposit { amount: 1 }).await {
                Err(CommandError::Store(StoreError::Decode(error))) => assert_eq!(*error, expected),
                other => panic!("handling past `{event_name}` v{event_version} {payload}: {other:?}"),
            }
            assert_eq!(store.stream_version("Account-7").await.unwrap(), 3, "nothing may be written");
        });
    }
}
