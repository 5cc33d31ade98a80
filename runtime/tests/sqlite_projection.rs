//! Tests of `TransactionalRunner` on a real SQLite file: the read model's tables and the checkpoint commit together,
//! a failing handler or an unreadable event rolls its batch back and names the event, a restart resumes from the
//! checkpoint, two runners of one projection take turns, rebuilds start over, and checkpoints survive reopening and
//! the migration from layout 2.

mod common;

use common::*;
use factum::store::sqlite::{rusqlite, Connection, SqliteStore, TransactionalRunner, SCHEMA_VERSION};
use factum::{
    Aggregate, ApplyError, CheckpointStore, DecodeErrorKind, Envelope, EventStore, ExpectedVersion, Metadata, NewEvent,
    Progress, Projection, ProjectionError,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime")
}

/// Balances per account in a table, and every applied position in another, whose primary key refuses an event
/// applied twice.
#[derive(Debug, Default)]
struct Balances {
    /// The handler fails for a withdrawal of this amount.
    refuse_withdrawal_of: Option<i64>,
    /// The handler fails once for the event at each of these positions, after writing its update.
    fail_once_at: std::collections::BTreeSet<u64>,
}

#[derive(Debug, thiserror::Error)]
enum BalanceError {
    #[error("refused to apply a withdrawal of {0}")]
    Refused(i64),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl Projection<Connection> for Balances {
    const NAME: &'static str = "Balances";
    type Event = AccountEvent;
    type Error = BalanceError;

    fn setup(&mut self, db: &Connection) -> Result<(), BalanceError> {
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS balances (account INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS applied (position INTEGER PRIMARY KEY);",
        )?;
        Ok(())
    }

    fn reset(&mut self, db: &Connection) -> Result<(), BalanceError> {
        db.execute_batch("DROP TABLE IF EXISTS balances; DROP TABLE IF EXISTS applied;")?;
        Ok(())
    }

    fn apply(
        &mut self,
        db: &Connection,
        event: &AccountEvent,
        envelope: &Envelope,
    ) -> Result<(), ApplyError<BalanceError>> {
        let account = Account::parse_stream_id(&envelope.stream_id)?;
        let change = match event {
            AccountEvent::Deposited(deposited) => deposited.amount,
            AccountEvent::Withdrawn(withdrawn) if Some(withdrawn.amount) == self.refuse_withdrawal_of => {
                return Err(ApplyError::Handler(BalanceError::Refused(withdrawn.amount)))
            }
            AccountEvent::Withdrawn(withdrawn) => -withdrawn.amount,
            AccountEvent::Opened(_) | AccountEvent::Closed(_) => 0,
        };
        let sql = "INSERT INTO balances (account, balance) VALUES (?1, ?2) \
                   ON CONFLICT (account) DO UPDATE SET balance = balance + excluded.balance";
        let handled = db
            .execute(sql, rusqlite::params![account, change])
            .and_then(|_| db.execute("INSERT INTO applied (position) VALUES (?1)", [envelope.position as i64]));
        handled.map_err(|error| ApplyError::Handler(error.into()))?;
        // Failing after the update was written: the rollback must take it back.
        if self.fail_once_at.remove(&envelope.position) {
            return Err(ApplyError::Handler(BalanceError::Refused(change)));
        }
        Ok(())
    }
}

/// The tables, read back: balances by account, and the applied positions in order.
fn tables(store: &SqliteStore) -> (Vec<(u32, i64)>, Vec<u64>) {
    runtime()
        .block_on(store.read_tables(|db| {
            let balances = db
                .prepare("SELECT account, balance FROM balances ORDER BY account")?
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let applied = db
                .prepare("SELECT position FROM applied ORDER BY position")?
                .query_map([], |row| row.get::<_, i64>(0).map(|position| position as u64))?
                .collect::<rusqlite::Result<_>>()?;
            Ok((balances, applied))
        }))
        .unwrap()
}

fn append(store: &SqliteStore, stream_id: &str, events: Vec<NewEvent>) {
    runtime().block_on(store.append(stream_id, ExpectedVersion::Any, events)).unwrap();
}

fn new_event(event: &AccountEvent) -> NewEvent {
    NewEvent::encode(event, Metadata::default()).expect("account events encode")
}

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(dir.path().join("events.sqlite")).unwrap()
}

#[test]
fn a_catch_up_applies_each_event_once_and_a_restart_continues() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    append(&store, "Account-1", vec![new_event(&opened("ada")), new_event(&deposited(10))]);
    append(&store, "Account-2", vec![new_event(&deposited(5))]);
    let mut runner = TransactionalRunner::new(store.clone(), Balances::default()).batch_size(2);
    assert_eq!(runtime().block_on(runner.catch_up()).unwrap(), 4);
    assert_eq!(tables(&store), (vec![(1, 10), (2, 5)], vec![1, 2, 3]));

    // A restart, in a new store on the same file, continues from the stored checkpoint.
    drop(runner);
    let reopened = open(&dir);
    assert_eq!(runtime().block_on(reopened.checkpoint("Balances")).unwrap(), 4);
    append(&reopened, "Account-1", vec![new_event(&withdrawn(3))]);
    let mut restarted = TransactionalRunner::new(reopened.clone(), Balances::default());
    assert_eq!(runtime().block_on(restarted.catch_up()).unwrap(), 5);
    assert_eq!(runtime().block_on(restarted.catch_up()).unwrap(), 5, "nothing new");
    assert_eq!(tables(&reopened), (vec![(1, 7), (2, 5)], vec![1, 2, 3, 4]));
}

#[test]
fn a_failing_handler_rolls_its_batch_back_and_a_restart_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let events = [opened("ada"), deposited(10), deposited(1), withdrawn(3), withdrawn(4)];
    append(&store, "Account-1", events.iter().map(new_event).collect());
    let refusing = Balances { refuse_withdrawal_of: Some(3), ..Balances::default() };
    let mut runner = TransactionalRunner::new(store.clone(), refusing).batch_size(3);
    let error = runtime().block_on(runner.catch_up()).unwrap_err();
    match &error {
        ProjectionError::Handler { projection, event, source: BalanceError::Refused(3) } => {
            assert_eq!(*projection, "Balances");
            assert_eq!((event.position, event.event_name.as_str(), event.event_version), (4, "Withdrawn", 1));
            assert_eq!((event.stream_id.as_str(), event.stream_version), ("Account-1", 4));
        }
        other => panic!("expected a handler error, got {other:?}"),
    }
    // The first batch (1-3) committed; the second (4-5) stopped at its first event, and the checkpoint is at it.
    assert_eq!(runtime().block_on(runner.checkpoint()).unwrap(), 4);
    assert_eq!(tables(&store), (vec![(1, 11)], vec![1, 2, 3]));

    runner.projection_mut().refuse_withdrawal_of = None;
    assert_eq!(runtime().block_on(runner.catch_up()).unwrap(), 6);
    assert_eq!(tables(&store), (vec![(1, 4)], vec![1, 2, 3, 4, 5]));
}

#[test]
fn a_failure_inside_a_batch_stops_at_its_event_with_the_events_before_it_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let events = [opened("ada"), deposited(10), deposited(1), withdrawn(3), withdrawn(4)];
    append(&store, "Account-1", events.iter().map(new_event).collect());
    let refusing = Balances { refuse_withdrawal_of: Some(4), ..Balances::default() };
    let mut runner = TransactionalRunner::new(store.clone(), refusing).batch_size(3);
    let error = runtime().block_on(runner.catch_up()).unwrap_err();
    assert_eq!(error.event().map(|event| event.position), Some(5), "{error}");
    // The second batch (4-5) stopped at 5: event 4 is applied, once, and the checkpoint is at the failing event.
    assert_eq!(runtime().block_on(runner.checkpoint()).unwrap(), 5);
    assert_eq!(tables(&store), (vec![(1, 8)], vec![1, 2, 3, 4]));
    // Failing again changes nothing.
    runtime().block_on(runner.catch_up()).unwrap_err();
    assert_eq!(tables(&store), (vec![(1, 8)], vec![1, 2, 3, 4]));

    runner.projection_mut().refuse_withdrawal_of = None;
    assert_eq!(runtime().block_on(runner.catch_up()).unwrap(), 6);
    assert_eq!(tables(&store), (vec![(1, 4)], vec![1, 2, 3, 4, 5]));
}

#[test]
fn an_unreadable_event_or_a_foreign_stream_stops_the_run_at_it() {
    // (the stream, the stored event, what the error says about it)
    let cases: [(&str, NewEvent, &str); 3] = [
        (
            "Account-1",
            NewEvent::new("Deposited", 1, r#"{"amount":"ten"}"#),
            "cannot decode event `Deposited` v1 at global position 3",
        ),
        (
            "Account-1",
            NewEvent::new("Withdrawn", 2, r#"{"amount":1}"#),
            "cannot decode event `Withdrawn` v2 at global position 3",
        ),
        ("Ledger-1", new_event(&deposited(1)), "stream `Ledger-1` is not a stream of aggregate `Account`"),
    ];
    for (stream_id, stopping, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        append(&store, "Account-1", vec![new_event(&opened("ada")), new_event(&deposited(10))]);
        append(&store, stream_id, vec![stopping.clone()]);
        append(&store, "Account-2", vec![new_event(&deposited(5))]);
        let mut runner = TransactionalRunner::new(store.clone(), Balances::default()).batch_size(1);
        for run in ["the first run", "a restart"] {
            let error = runtime().block_on(runner.catch_up()).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(says), "{run}: {message}");
            let event = error.event().expect("the error names the event");
            assert_eq!((event.position, event.event_id), (3, stopping.event_id), "{run}");
            if stopping.event_version == 2 {
                assert!(matches!(error, ProjectionError::Decode { kind: DecodeErrorKind::UnknownVersion { .. }, .. }));
            }
            assert_eq!(runtime().block_on(runner.checkpoint()).unwrap(), 3, "{run}: the checkpoint is at the event");
            assert_eq!(tables(&store), (vec![(1, 10)], vec![1, 2]), "{run}: nothing after it is applied");
        }
    }
}

#[test]
fn two_runners_of_one_projection_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    append(&store, "Account-1", (0..50).map(|_| new_event(&deposited(1))).collect());
    // Two stores on one file: two connections, as two processes would have.
    let mut first = TransactionalRunner::new(store.clone(), Balances::default()).batch_size(7);
    let mut second = TransactionalRunner::new(open(&dir), Balances::default()).batch_size(5);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let (one, two) = runtime.block_on(async {
        let one = tokio::spawn(async move { first.catch_up().await.map(|next| (next, first)) });
        let two = tokio::spawn(async move { second.catch_up().await.map(|next| (next, second)) });
        (one.await.unwrap().unwrap().0, two.await.unwrap().unwrap().0)
    });
    assert_eq!((one, two), (51, 51));
    // The `applied` table's key would have refused an event applied twice.
    assert_eq!(tables(&store), (vec![(1, 50)], (1..=50).collect()));
}

#[test]
fn a_rebuild_starts_over_and_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    append(&store, "Account-1", (0..9).map(|_| new_event(&deposited(2))).collect());
    let mut runner = TransactionalRunner::new(store.clone(), Balances::default()).batch_size(4);
    runtime().block_on(runner.catch_up()).unwrap();
    let mut reports: Vec<Progress> = Vec::new();
    assert_eq!(runtime().block_on(runner.rebuild(|progress| reports.push(*progress))).unwrap(), 10);
    let seen: Vec<(u64, u64, u64)> =
        reports.iter().map(|report| (report.done, report.total, report.next_position)).collect();
    assert_eq!(seen, [(4, 9, 5), (8, 9, 9), (9, 9, 10)]);
    assert!(reports.iter().all(|report| report.projection == "Balances"));
    assert_eq!(tables(&store), (vec![(1, 18)], (1..=9).collect()), "each event once, after the reset");
}

/// The layout of version 2, as that build created it.
const LAYOUT_2: &str = "
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
    INSERT INTO events VALUES (1, 'Account-1', 1, 'Deposited', 'Account', 1, x'0190f00000007000800000000000000a',
                               1700000000000000, NULL, CAST('{\"amount\":4}' AS BLOB));
    PRAGMA user_version = 2;
";

#[test]
fn a_file_of_layout_2_gains_the_checkpoint_table_and_keeps_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    rusqlite::Connection::open(&path).unwrap().execute_batch(LAYOUT_2).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let version: i64 = runtime()
        .block_on(store.read_tables(|db| db.pragma_query_value(None, "user_version", |row| row.get(0))))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mut runner = TransactionalRunner::new(store.clone(), Balances::default());
    assert_eq!(runtime().block_on(runner.catch_up()).unwrap(), 2);
    assert_eq!(tables(&store), (vec![(1, 4)], vec![1]));
    assert_eq!(runtime().block_on(SqliteStore::open(&path).unwrap().checkpoint("Balances")).unwrap(), 2);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

    /// However the log is batched and wherever handlers fail after writing (each failure followed by a restart), the
    /// tables end as a clean rebuild leaves them, every event applied once.
    #[test]
    fn failures_and_restarts_end_where_a_clean_rebuild_ends(
        amounts in proptest::collection::vec((1u32..4, -20i64..20), 1..40),
        batch in 1usize..7,
        failures in proptest::collection::btree_set(1u64..50, 0..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        for (account, amount) in &amounts {
            let event = if *amount >= 0 { deposited(*amount) } else { withdrawn(-*amount) };
            append(&store, &format!("Account-{account}"), vec![new_event(&event)]);
        }
        let flaky = Balances { fail_once_at: failures.clone(), ..Balances::default() };
        let mut runner = TransactionalRunner::new(store.clone(), flaky).batch_size(batch);
        let reached = loop {
            match runtime().block_on(runner.catch_up()) {
                Ok(next) => break next,
                Err(ProjectionError::Handler { event, .. }) => assert!(failures.contains(&event.position)),
                Err(other) => panic!("unexpected error: {other}"),
            }
        };
        let after_failures = tables(&store);
        let mut clean = TransactionalRunner::new(store.clone(), Balances::default());
        proptest::prop_assert_eq!(runtime().block_on(clean.rebuild(|_| {})).unwrap(), reached);
        proptest::prop_assert_eq!(after_failures.clone(), tables(&store));
        proptest::prop_assert_eq!(after_failures.1, (1..=amounts.len() as u64).collect::<Vec<_>>());
    }
}
