//! Time travel equals a replay cut at that point: an aggregate loaded as of a version or an instant, and a
//! projection run as of a position or an instant, against folds of the appended events cut by hand, for random
//! histories (times given out of order, some stamped by the store) on the memory store and on an SQLite file.

mod common;

use std::collections::BTreeMap;

use common::*;
use factum::store::memory::MemoryStore;
use factum::{
    project_as_of, Aggregate, ApplyError, AsOf, CommandService, Envelope, EventStore, ExpectedVersion, LogAsOf,
    Metadata, NewEvent, Projection, Timestamp,
};
use proptest::prelude::*;

/// Every account's balance and the positions applied, folded from the whole log.
#[derive(Debug, Default, PartialEq)]
struct Ledger {
    balances: BTreeMap<String, i64>,
    applied: Vec<u64>,
}

impl Projection for Ledger {
    const NAME: &'static str = "Ledger";
    type Event = AccountEvent;
    type Error = std::convert::Infallible;

    fn setup(&mut self, _: &()) -> Result<(), Self::Error> {
        Ok(())
    }

    fn reset(&mut self, _: &()) -> Result<(), Self::Error> {
        *self = Ledger::default();
        Ok(())
    }

    fn apply(&mut self, _: &(), event: &AccountEvent, envelope: &Envelope) -> Result<(), ApplyError<Self::Error>> {
        let change = match event {
            AccountEvent::Deposited(deposited) => deposited.amount,
            AccountEvent::Withdrawn(withdrawn) => -withdrawn.amount,
            AccountEvent::Opened(_) | AccountEvent::Closed(_) => 0,
        };
        *self.balances.entry(envelope.stream_id.clone()).or_default() += change;
        self.applied.push(envelope.position);
        Ok(())
    }
}

/// One append of a history: the account, its events, and the second it is recorded at (`None`: the store's clock).
#[derive(Debug, Clone)]
struct Append {
    account: u32,
    events: Vec<AccountEvent>,
    second: Option<i64>,
}

/// An event of the history as it lands in the log, in log order.
#[derive(Debug, Clone)]
struct Logged {
    stream_id: String,
    stream_version: u64,
    position: u64,
    event: AccountEvent,
    recorded_at: Option<Timestamp>,
}

/// A fixed instant plus `second` seconds: the given times lie in 2020, long before any time the store stamps.
fn at(second: i64) -> Timestamp {
    Timestamp::from_timestamp(1_600_000_000 + second, 0).expect("a valid time")
}

fn account_event() -> impl Strategy<Value = AccountEvent> {
    prop_oneof![
        "[a-z]{1,6}".prop_map(|owner| opened(&owner)),
        (1i64..1_000).prop_map(deposited),
        (1i64..1_000).prop_map(withdrawn),
        Just(closed()),
    ]
}

fn history() -> impl Strategy<Value = Vec<Append>> {
    let append = (0u32..3, prop::collection::vec(account_event(), 1..4), prop::option::weighted(0.85, 0i64..60))
        .prop_map(|(account, events, second)| Append { account, events, second });
    prop::collection::vec(append, 0..12)
}

/// A cut instant: a whole second, or a nanosecond after one (between the microseconds a store keeps).
fn instant() -> impl Strategy<Value = Timestamp> {
    (-1i64..62, any::<bool>())
        .prop_map(|(second, after)| at(second) + chrono::Duration::nanoseconds(if after { 1 } else { 0 }))
}

/// Appends the history and returns it as logged. Both stores here give dense positions, so the n-th event of the log
/// is at position n.
async fn write<S: EventStore>(store: &S, history: &[Append]) -> Vec<Logged> {
    let mut logged: Vec<Logged> = Vec::new();
    for append in history {
        let stream_id = Account::stream_id(&append.account);
        let recorded_at = append.second.map(at);
        let events = append.events.iter().map(|event| {
            let new = NewEvent::encode(event, Metadata::default()).expect("account events encode");
            recorded_at.map_or(new.clone(), |time| new.recorded_at(time))
        });
        store.append(&stream_id, ExpectedVersion::Any, events.collect()).await.expect("the append succeeds");
        for event in &append.events {
            let stream_version = logged.iter().filter(|earlier| earlier.stream_id == stream_id).count() as u64 + 1;
            let position = logged.len() as u64 + 1;
            logged.push(Logged {
                stream_id: stream_id.clone(),
                stream_version,
                position,
                event: event.clone(),
                recorded_at,
            });
        }
    }
    logged
}

/// Whether an event was recorded strictly before `instant`; the store's own stamps are later than every cut.
fn before(logged: &Logged, instant: Timestamp) -> bool {
    logged.recorded_at.is_some_and(|recorded_at| recorded_at < instant)
}

/// The account as a replay of its events that `keep` selects gives it: its state and the version of its last event.
fn replay_account(logged: &[Logged], stream_id: &str, keep: impl Fn(&Logged) -> bool) -> (AccountState, u64) {
    let mut state = AccountState::default();
    let mut version = 0;
    for kept in logged.iter().filter(|logged| logged.stream_id == stream_id && keep(logged)) {
        Account::evolve(&mut state, &kept.event);
        version = kept.stream_version;
    }
    (state, version)
}

/// The ledger as a replay of the events `keep` selects gives it.
fn replay_ledger(logged: &[Logged], keep: impl Fn(&Logged) -> bool) -> Ledger {
    let mut ledger = Ledger::default();
    for kept in logged.iter().filter(|logged| keep(logged)) {
        let envelope = Envelope {
            event_id: uuid::Uuid::nil(),
            stream_id: kept.stream_id.clone(),
            stream_version: kept.stream_version,
            position: kept.position,
            aggregate_type: None,
            recorded_at: at(0),
            event_name: String::new(),
            event_version: 1,
            metadata: Metadata::default(),
        };
        ledger.apply(&(), &kept.event, &envelope).expect("the ledger applies every event");
    }
    ledger
}

/// Writes the history, then checks every kind of cut against its replay.
async fn check<S: EventStore + Clone>(store: S, history: &[Append], version: u64, position: u64, instant: Timestamp) {
    let logged = write(&store, history).await;
    let service = CommandService::<Account, _>::new(store.clone());
    for account in 0..3 {
        let stream_id = Account::stream_id(&account);
        let loaded = service.load_as_of(&account, AsOf::Version(version)).await.expect("a load as of a version");
        let expected = replay_account(&logged, &stream_id, |logged| logged.stream_version <= version);
        assert_eq!((loaded.state, loaded.version), expected, "`{stream_id}` as of version {version}");

        let loaded = service.load_as_of(&account, AsOf::Time(instant)).await.expect("a load as of an instant");
        let expected = replay_account(&logged, &stream_id, |logged| before(logged, instant));
        assert_eq!((loaded.state, loaded.version), expected, "`{stream_id}` as of {instant}");
    }
    let projected = project_as_of(&store, Ledger::default(), LogAsOf::Position(position)).await.expect("a projection");
    assert_eq!(projected, replay_ledger(&logged, |logged| logged.position <= position), "as of position {position}");
    let projected = project_as_of(&store, Ledger::default(), LogAsOf::Time(instant)).await.expect("a projection");
    assert_eq!(projected, replay_ledger(&logged, |logged| before(logged, instant)), "as of {instant}");
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime").block_on(future)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn memory_store_time_travel_equals_a_cut_replay(
        history in history(), version in 0u64..14, position in 0u64..40, instant in instant(),
    ) {
        block_on(check(MemoryStore::new(), &history, version, position, instant));
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_file_time_travel_equals_a_cut_replay(
        history in history(), version in 0u64..14, position in 0u64..40, instant in instant(),
    ) {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let store = factum::store::sqlite::SqliteStore::open(directory.path().join("events.db")).expect("a new file");
        block_on(check(store, &history, version, position, instant));
    }
}

/// A cut before an event the code cannot read reads past nothing it cannot read; a cut after it stops there, with the
/// error naming its place, for a load and for a projection alike.
#[test]
fn an_unreadable_event_matters_only_to_cuts_that_include_it() {
    block_on(async {
        let store = MemoryStore::new();
        let readable = |event: &AccountEvent| NewEvent::encode(event, Metadata::default()).expect("encodes");
        let stream_id = Account::stream_id(&1);
        let appended = vec![
            readable(&opened("ada")).recorded_at(at(1)),
            readable(&deposited(5)).recorded_at(at(2)),
            NewEvent::new("Deposited", 1, "{\"amount\": \"five\"}").recorded_at(at(3)),
        ];
        store.append(&stream_id, ExpectedVersion::NoStream, appended).await.expect("the append succeeds");
        let service = CommandService::<Account, _>::new(store.clone());

        let cases: Vec<(AsOf, LogAsOf, Result<i64, &str>)> = vec![
            (AsOf::Version(2), LogAsOf::Position(2), Ok(5)),
            (AsOf::Time(at(3)), LogAsOf::Time(at(3)), Ok(5)),
            (AsOf::Version(3), LogAsOf::Position(3), Err("stream `Account-1` version 3")),
            (AsOf::Time(at(4)), LogAsOf::Time(at(4)), Err("stream `Account-1` version 3")),
        ];
        for (as_of, log_as_of, expected) in cases {
            let loaded = service.load_as_of(&1, as_of).await.map(|loaded| loaded.state.balance);
            let projected = project_as_of(&store, Ledger::default(), log_as_of)
                .await
                .map(|ledger| ledger.balances.get(&stream_id).copied().unwrap_or_default());
            match expected {
                Ok(balance) => {
                    assert_eq!(loaded.expect("the load succeeds"), balance, "{as_of:?}");
                    assert_eq!(projected.expect("the projection runs"), balance, "{log_as_of:?}");
                }
                Err(place) => {
                    let load_error = loaded.expect_err("the load fails").to_string();
                    assert!(load_error.contains(place), "{as_of:?}: {load_error}");
                    let projection_error = projected.expect_err("the projection fails").to_string();
                    assert!(projection_error.contains(place), "{log_as_of:?}: {projection_error}");
                    for error in [&load_error, &projection_error] {
                        assert!(error.contains("global position 3"), "{error}");
                    }
                }
            }
        }
    });
}
