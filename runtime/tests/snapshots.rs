//! Tests of snapshots: loading from a snapshot and the tail equals folding the whole stream, on every store; a
//! snapshot of another state shape is ignored and replaced, a corrupt one skipped with a warning; a snapshot that
//! cannot be written never fails the command; time travel never reads snapshots; the stores keep snapshots by the
//! trait's rules; an SQLite file of layout 3 is migrated.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use factum::store::memory::MemoryStore;
use factum::store::sqlite::{SqliteStore, SCHEMA_VERSION};
use factum::store::{AnyStore, LogQuery, Snapshot, SnapshotStore};
use factum::{
    load, load_from_snapshot, Aggregate, AppendOutcome, AsOf, CommandService, EventStore, ExpectedVersion, Loaded,
    Metadata, NewEvent, RecordedEvent, SnapshotPolicy, StoreError, StreamAppend, Timestamp,
};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime").block_on(future)
}

/// The stores snapshots are kept in, each fresh; the SQLite file lives in `dir`.
fn stores(dir: &tempfile::TempDir) -> Vec<(&'static str, AnyStore)> {
    let path = dir.path().join("events.sqlite");
    vec![
        ("memory", AnyStore::Memory(MemoryStore::new())),
        ("sqlite file", AnyStore::Sqlite(SqliteStore::open(&path).expect("an SQLite file"))),
        ("sqlite in memory", AnyStore::open("sqlite::memory:").expect("an SQLite store in memory")),
    ]
}

fn new_event(event: &AccountEvent) -> NewEvent {
    NewEvent::encode(event, Metadata::default()).expect("account events encode").with_aggregate_type(Account::NAME)
}

/// Appends an opening and then `amounts` (deposits when positive, withdrawals when negative) to `Account-1`.
fn write_account<S: EventStore>(store: &S, amounts: &[i64]) {
    let mut events = vec![new_event(&opened("ada"))];
    events.extend(amounts.iter().map(|&amount| match amount {
        amount if amount >= 0 => new_event(&deposited(amount)),
        amount => new_event(&withdrawn(-amount)),
    }));
    block_on(store.append("Account-1", ExpectedVersion::Any, events)).expect("the append");
}

fn full_fold<S: EventStore>(store: &S) -> (AccountState, u64) {
    let Loaded { state, version } = block_on(load::<Account, _>(store, "Account-1")).expect("the fold");
    (state, version)
}

fn snapshot(stream_version: u64, fingerprint: &str, state: &[u8]) -> Snapshot {
    Snapshot {
        stream_version,
        fingerprint: fingerprint.to_owned(),
        state: state.to_vec(),
        taken_at: Timestamp::from_timestamp_micros(1_700_000_000_000_000).expect("a time"),
    }
}

fn state_json(balance: i64) -> Vec<u8> {
    serde_json::to_vec(&AccountState { owner: Some("ada".into()), balance, closed: false }).expect("a state")
}

/// Checks what loading with snapshots makes of `Account-1` when it holds an opening and `amounts`, and its stored
/// snapshot is `stored` (none when `None`): the result must be the fold of the whole stream, on every store.
fn check(amounts: &[i64], stored: Option<Snapshot>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in stores(&dir) {
        write_account(&store, amounts);
        if let Some(stored) = &stored {
            block_on(store.save_snapshot("Account-1", stored.clone())).expect("the save");
        }
        let loaded = block_on(load_from_snapshot::<Account, _>(&store, "Account-1")).expect("the load");
        assert_eq!((loaded.state, loaded.version), full_fold(&store), "{name}: {stored:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// A snapshot of the fold up to any version, plus the tail after it, equals the fold of the whole stream.
    #[test]
    fn a_snapshot_and_its_tail_equal_the_whole_fold(
        amounts in proptest::collection::vec(-30i64..50, 0..30),
        cut in 0usize..31,
    ) {
        let cut = cut.min(amounts.len());
        let head = MemoryStore::new();
        write_account(&head, &amounts[..cut]);
        let (state, version) = full_fold(&head);
        let stored = snapshot(version, Account::STATE_FINGERPRINT, &serde_json::to_vec(&state).unwrap());
        check(&amounts, Some(stored));
    }

    /// Commands through a service taking a snapshot every `every` events leave the state a plain fold finds, and
    /// the snapshot where the policy says.
    #[test]
    fn commands_with_snapshots_leave_the_state_of_the_whole_fold(
        amounts in proptest::collection::vec(1i64..50, 0..25),
        every in 1u64..6,
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (name, store) in stores(&dir) {
            let service = CommandService::<Account, _>::new(store.clone()).with_snapshots(SnapshotPolicy::Every(every));
            block_on(service.handle(&1, AccountCommand::Open { owner: "ada".into() })).unwrap();
            for &amount in &amounts {
                block_on(service.handle(&1, AccountCommand::Deposit { amount })).unwrap();
            }
            let loaded = block_on(service.load(&1)).unwrap();
            proptest::prop_assert_eq!((loaded.state, loaded.version), full_fold(&store), "{}", name);
            let stream_version = amounts.len() as u64 + 1;
            let kept = block_on(store.load_snapshot("Account-1")).unwrap().map(|kept| kept.stream_version);
            let expected = Some(stream_version / every * every).filter(|&version| version > 0);
            proptest::prop_assert_eq!(kept, expected, "{}", name);
        }
    }
}

#[test]
fn snapshots_that_cannot_be_used_are_passed_over() {
    let right = Account::STATE_FINGERPRINT;
    // A snapshot whose state is wrong on purpose (a balance of 999): only a load that reads it could find 999.
    check(&[5, 7, -2], Some(snapshot(2, "another-shape", &state_json(999))));
    check(&[5, 7, -2], Some(snapshot(2, right, b"{\"owner\": \"ada\", \"balance\": ")));
    check(&[5, 7, -2], Some(snapshot(2, right, b"not json")));
    check(&[5, 7, -2], Some(snapshot(2, right, b"{\"balance\": \"seven\"}")));
    // A snapshot past the stream's end is never handed out.
    check(&[5], Some(snapshot(9, right, &state_json(999))));
    check(&[5, 7, -2], None);
}

/// A subscriber that keeps the messages of the warnings it is told.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Warnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        if *event.metadata().level() == tracing::Level::WARN {
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.lock().unwrap().push(message.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_corrupt_snapshot_is_a_warning_and_a_changed_shape_is_not() {
    let store = MemoryStore::new();
    write_account(&store, &[5, 7]);
    let warnings = Warnings::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    block_on(store.save_snapshot("Account-1", snapshot(2, "another-shape", &state_json(999)))).unwrap();
    block_on(load_from_snapshot::<Account, _>(&store, "Account-1")).unwrap();
    assert_eq!(*warnings.0.lock().unwrap(), Vec::<String>::new(), "a snapshot of another shape is expected");
    block_on(store.save_snapshot("Account-1", snapshot(2, Account::STATE_FINGERPRINT, b"not json"))).unwrap();
    block_on(load_from_snapshot::<Account, _>(&store, "Account-1")).unwrap();
    assert_eq!(*warnings.0.lock().unwrap(), ["snapshot cannot be decoded; folding the whole stream"]);
}

#[test]
fn a_snapshot_of_another_shape_is_replaced_by_the_next_one_taken() {
    let store = MemoryStore::new();
    let service = CommandService::<Account, _>::new(store.clone()).with_snapshots(SnapshotPolicy::Every(3));
    block_on(service.handle(&1, AccountCommand::Open { owner: "ada".into() })).unwrap();
    block_on(service.handle(&1, AccountCommand::Deposit { amount: 5 })).unwrap();
    // An older build's snapshot: newer than the commands so far, of another state shape.
    block_on(store.save_snapshot("Account-1", snapshot(2, "another-shape", &state_json(999)))).unwrap();
    let handled = block_on(service.handle(&1, AccountCommand::Deposit { amount: 7 })).unwrap();
    assert_eq!((handled.state.balance, handled.stream_version), (12, 3));
    let kept = block_on(store.load_snapshot("Account-1")).unwrap().expect("a snapshot");
    assert_eq!((kept.stream_version, kept.fingerprint.as_str()), (3, Account::STATE_FINGERPRINT));
    assert_eq!(kept.state, serde_json::to_vec(&handled.state).unwrap());
}

#[test]
fn stores_keep_the_newest_snapshot_of_a_shape_and_any_of_another() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in stores(&dir) {
        write_account(&store, &[1, 2, 3, 4]);
        let kept = |store: &AnyStore| {
            let kept = block_on(store.load_snapshot("Account-1")).unwrap().expect("a snapshot");
            (kept.stream_version, kept.fingerprint)
        };
        let save = |version: u64, fingerprint: &str| {
            block_on(store.save_snapshot("Account-1", snapshot(version, fingerprint, b"{}"))).unwrap();
        };
        assert_eq!(block_on(store.load_snapshot("Account-1")).unwrap(), None, "{name}");
        save(3, "a");
        save(2, "a");
        assert_eq!(kept(&store), (3, "a".to_owned()), "{name}: an older snapshot of the same shape is dropped");
        save(2, "b");
        assert_eq!(kept(&store), (2, "b".to_owned()), "{name}: one of another shape replaces it");
        save(5, "b");
        assert_eq!(kept(&store), (5, "b".to_owned()), "{name}");
        assert_eq!(block_on(store.load_snapshot("Account-2")).unwrap(), None, "{name}: other streams have none");
        let stored = block_on(store.load_snapshot("Account-1")).unwrap().unwrap();
        assert_eq!(stored, snapshot(5, "b", b"{}"), "{name}: every field reads back");
    }
}

#[test]
fn time_travel_never_reads_snapshots() {
    let store = MemoryStore::new();
    write_account(&store, &[5, 7, 11]);
    // Right fingerprint, wrong state: a load as of any version that read it would show the balance 999.
    block_on(store.save_snapshot("Account-1", snapshot(2, Account::STATE_FINGERPRINT, &state_json(999)))).unwrap();
    let service = CommandService::<Account, _>::new(store.clone()).with_snapshots(SnapshotPolicy::OnDemand);
    for (version, balance) in [(1, 0), (2, 5), (3, 12), (4, 23)] {
        let loaded = block_on(service.load_as_of(&1, AsOf::Version(version))).unwrap();
        assert_eq!((loaded.state.balance, loaded.version), (balance, version), "as of version {version}");
    }
    assert_eq!(block_on(service.load(&1)).unwrap().state.balance, 999 + 7 + 11, "while loads read it");
}

#[test]
fn on_demand_snapshots_are_taken_when_asked_and_off_reads_none() {
    let store = MemoryStore::new();
    let on_demand = CommandService::<Account, _>::new(store.clone()).with_snapshots(SnapshotPolicy::OnDemand);
    assert_eq!(on_demand.snapshot_policy(), SnapshotPolicy::OnDemand);
    assert_eq!(block_on(on_demand.take_snapshot(&1)).unwrap().version, 0, "an empty stream has nothing to keep");
    assert_eq!(block_on(store.load_snapshot("Account-1")).unwrap(), None);
    block_on(on_demand.handle(&1, AccountCommand::Open { owner: "ada".into() })).unwrap();
    block_on(on_demand.handle(&1, AccountCommand::Deposit { amount: 5 })).unwrap();
    assert_eq!(block_on(store.load_snapshot("Account-1")).unwrap(), None, "commands take none on demand");
    block_on(on_demand.take_snapshot(&1)).unwrap();
    assert_eq!(block_on(store.load_snapshot("Account-1")).unwrap().map(|kept| kept.stream_version), Some(2));
    // A service without snapshots folds the whole stream, whatever is stored.
    block_on(store.save_snapshot("Account-1", snapshot(2, Account::STATE_FINGERPRINT, &state_json(999)))).unwrap();
    let off = CommandService::<Account, _>::new(store.clone());
    assert_eq!(off.snapshot_policy(), SnapshotPolicy::Off);
    assert_eq!(block_on(off.load(&1)).unwrap().state.balance, 5);
    assert_eq!(block_on(on_demand.load(&1)).unwrap().state.balance, 999);
}

/// A store whose snapshots cannot be written, and are never there.
#[derive(Clone, Default)]
struct NoRoomForSnapshots {
    inner: MemoryStore,
}

#[derive(Debug, thiserror::Error)]
#[error("disk full")]
struct DiskFull;

impl EventStore for NoRoomForSnapshots {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
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

impl SnapshotStore for NoRoomForSnapshots {
    async fn load_snapshot(&self, _: &str) -> Result<Option<Snapshot>, StoreError> {
        Err(StoreError::backend(DiskFull))
    }

    async fn save_snapshot(&self, _: &str, _: Snapshot) -> Result<(), StoreError> {
        Err(StoreError::backend(DiskFull))
    }
}

#[test]
fn a_snapshot_that_cannot_be_written_never_fails_the_command() {
    let store = NoRoomForSnapshots::default();
    let warnings = Warnings::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    let service = CommandService::<Account, _>::new(store.clone()).with_snapshots(SnapshotPolicy::Every(1));
    block_on(service.handle(&1, AccountCommand::Open { owner: "ada".into() })).unwrap();
    let handled = block_on(service.handle(&1, AccountCommand::Deposit { amount: 5 })).unwrap();
    assert_eq!((handled.state.balance, handled.stream_version), (5, 2));
    assert_eq!(block_on(service.load(&1)).unwrap().state.balance, 5);
    assert_eq!(full_fold(&store.inner), (handled.state, 2));
    assert!(block_on(service.take_snapshot(&1)).is_err(), "a snapshot asked for reports its failure");
    let warnings = warnings.0.lock().unwrap().clone();
    assert_eq!(
        warnings,
        [
            "snapshot cannot be read; folding the whole stream",
            "snapshot not taken; the command stands",
            "snapshot cannot be read; folding the whole stream",
            "snapshot not taken; the command stands",
            "snapshot cannot be read; folding the whole stream",
            "snapshot cannot be read; folding the whole stream",
        ]
    );
}

/// The layout of version 3, as that build created it, with three events of `Account-1`.
const LAYOUT_3: &str = "
    CREATE TABLE events (
        position       INTEGER PRIMARY KEY,
        stream_id      TEXT    NOT NULL,
        stream_version INTEGER NOT NULL,
        event_name     TEXT    NOT NULL,
        aggregate_type TEXT,
        event_version  INTEGER NOT NULL,
        event_id       BLOB    NOT NULL,
        recorded_at    INTEGER NOT NULL,
        metadata       BLOB,
        payload        BLOB    NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX events_stream ON events (stream_id, stream_version);
    CREATE UNIQUE INDEX events_id ON events (event_id);
    CREATE TABLE projection_checkpoints (
        projection    TEXT    PRIMARY KEY,
        next_position INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    INSERT INTO events VALUES (1, 'Account-1', 1, 'Opened', 'Account', 1, x'0190f00000007000800000000000000a',
                               1700000000000000, NULL, CAST('{\"owner\":\"ada\"}' AS BLOB));
    INSERT INTO events VALUES (2, 'Account-1', 2, 'Deposited', 'Account', 1, x'0190f00000007000800000000000000b',
                               1700000000000001, NULL, CAST('{\"amount\":4}' AS BLOB));
    INSERT INTO events VALUES (3, 'Account-1', 3, 'Deposited', 'Account', 1, x'0190f00000007000800000000000000c',
                               1700000000000002, NULL, CAST('{\"amount\":6}' AS BLOB));
    INSERT INTO projection_checkpoints VALUES ('Balances', 3, 1700000000000003);
    PRAGMA user_version = 3;
";

#[test]
fn a_file_of_layout_3_gains_the_snapshot_table_and_keeps_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    rusqlite::Connection::open(&path).unwrap().execute_batch(LAYOUT_3).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let version: i64 =
        block_on(store.read_tables(|db| db.pragma_query_value(None, "user_version", |row| row.get(0)))).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(block_on(factum::CheckpointStore::checkpoint(&store, "Balances")).unwrap(), 3);
    let service = CommandService::<Account, _>::new(store.clone()).with_snapshots(SnapshotPolicy::Every(4));
    let handled = block_on(service.handle(&1, AccountCommand::Deposit { amount: 5 })).unwrap();
    assert_eq!((handled.state.balance, handled.stream_version), (15, 4));
    drop(service);
    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    let kept = block_on(reopened.load_snapshot("Account-1")).unwrap().expect("the snapshot the command took");
    assert_eq!((kept.stream_version, kept.state), (4, serde_json::to_vec(&handled.state).unwrap()));
    assert_eq!(full_fold(&reopened), (handled.state, 4));
}
