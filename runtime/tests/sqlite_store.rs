//! The store conformance suite, run on the SQLite store (on a file and in memory), and the rules only a store that
//! outlives its process has: data survives reopening, and what is on disk is checked before it is trusted.
#![cfg(feature = "sqlite")]

mod common;

use std::path::Path;

use factum::store::sqlite::{SqliteStore, UnsupportedSchemaVersion, SCHEMA_VERSION};
use factum::store::LogQuery;
use factum::{AppendOutcome, EventStore, ExpectedVersion, Metadata, NewEvent, StoreError};
use factum_testkit::Guarded;

/// A store on a database file in a temporary directory, which lives as long as the store's last clone.
type FileStore = Guarded<SqliteStore, tempfile::TempDir>;

fn file_store() -> FileStore {
    file_store_with(factum::store::sqlite::SqliteOptions::default())
}

fn file_store_with(options: factum::store::sqlite::SqliteOptions) -> FileStore {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("events.db");
    let store = SqliteStore::open_with(path, options).expect("a fresh database file opens");
    Guarded::new(store, directory)
}

mod on_file {
    factum_testkit::store_conformance_tests!(|| async { super::file_store() });
}

/// With no read connection kept open, every read opens one of its own and closes it: the contract holds all the same.
mod on_file_keeping_no_readers {
    factum_testkit::store_conformance_tests!(|| async {
        super::file_store_with(factum::store::sqlite::SqliteOptions::default().readers(0))
    });
}

mod in_memory {
    factum_testkit::store_conformance_tests!(|| async {
        factum::store::sqlite::SqliteStore::open_in_memory().unwrap()
    });
}

#[test]
fn positions_have_no_gaps() {
    factum_testkit::conformance::block_on(factum_testkit::conformance::positions_have_no_gaps(file_store()));
}

fn event(name: &str, payload: &str, metadata: Metadata) -> NewEvent {
    NewEvent::new(name, 1, payload).with_metadata(metadata)
}

fn all() -> LogQuery {
    LogQuery::all()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime")
}

/// Sets the database's `user_version` behind the store's back.
fn set_user_version(path: &Path, version: i64) {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.pragma_update(None, "user_version", version).unwrap();
}

#[test]
fn data_survives_reopening_the_file() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    let metadata = Metadata::default().with_header("source", "first run");
    let written = runtime().block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        store.append("A", ExpectedVersion::NoStream, vec![event("Created", "{}", metadata.clone())]).await.unwrap();
        store
            .append("B", ExpectedVersion::NoStream, vec![event("Created", "{\"b\":1}", Metadata::default())])
            .await
            .unwrap();
        store.read_all(&all()).await.unwrap()
    });
    let (reread, next) = runtime().block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        let reread = store.read_all(&all()).await.unwrap();
        let next =
            store.append("A", ExpectedVersion::Exact(1), vec![event("Renamed", "{}", Metadata::default())]).await;
        (reread, next.unwrap())
    });
    assert_eq!(written.len(), 2);
    assert_eq!(reread, written);
    assert_eq!(next, AppendOutcome { stream_version: 2, position: 3 });
}

#[test]
fn corrupt_records_are_reported_with_their_place() {
    const ALL: &[&str] = &["read_stream", "read_all", "fold_stream"];
    // (what the damage is, the SQL that does it to `Order-1` version 2, the start of the message, the operations that
    // read the damaged column and must report it; the others must not notice)
    let cases: [(&str, &str, &str, &[&str]); 5] = [
        ("metadata that is not JSON", "metadata = x'7b226e6f74206a736f6e'", "metadata: ", &ALL[..2]),
        ("a time out of range", "recorded_at = 9223372036854775807", "recorded at: ", &ALL[..2]),
        ("an event name that is not UTF-8", "event_name = CAST(x'ff' AS TEXT)", "event name: not UTF-8", ALL),
        // `read_all` only reads positions from 1 on, so it never meets this one, and folding looks positions up only
        // to report an event it cannot decode.
        ("a negative position", "position = -5", "position: negative", &ALL[..1]),
        ("a huge event version", "event_version = 1099511627776", "event version: 1099511627776 is not", ALL),
    ];
    for (damage, assignment, message_start, reporting) in cases {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("events.db");
        runtime().block_on(async {
            let store = SqliteStore::open(&path).unwrap();
            let events = vec![
                event("Created", "{}", Metadata::default()),
                event("Renamed", "{}", Metadata::default().with_header("k", "v")),
            ];
            store.append("Order-1", ExpectedVersion::NoStream, events).await.unwrap();
        });
        let connection = rusqlite::Connection::open(&path).unwrap();
        let damaging = format!("UPDATE events SET {assignment} WHERE stream_version = 2");
        assert_eq!(connection.execute(&damaging, []).unwrap(), 1, "{damage}");
        drop(connection);

        runtime().block_on(async {
            let store = SqliteStore::open(&path).unwrap();
            let results = [
                ("read_stream", store.read_stream("Order-1", 1).await.map(drop)),
                ("read_all", store.read_all(&all()).await.map(drop)),
                ("fold_stream", store.fold_stream("Order-1", 1, (), |_, _| Ok(())).await),
            ];
            for (operation, result) in results {
                match result {
                    Ok(()) => assert!(!reporting.contains(&operation), "{damage}: {operation} did not notice"),
                    Err(StoreError::Corrupt { stream_id, stream_version, message }) => {
                        assert!(reporting.contains(&operation), "{damage}: {operation} should not notice");
                        assert_eq!((stream_id.as_str(), stream_version), ("Order-1", 2), "{damage}: {operation}");
                        assert!(message.starts_with(message_start), "{damage}: {operation} said {message:?}");
                    }
                    Err(error) => panic!("{damage}: {operation} should report a corrupt record, got {error:?}"),
                }
            }
            // The record before the damaged one still reads.
            assert_eq!(store.read_all(&all().limit(1)).await.unwrap().len(), 1, "{damage}");
        });
    }
}

#[test]
fn a_newer_schema_version_is_refused() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    drop(SqliteStore::open(&path).unwrap());
    set_user_version(&path, SCHEMA_VERSION + 1);
    let error = SqliteStore::open(&path).unwrap_err();
    let message = error.to_string();
    let StoreError::Backend(source) = error else { panic!("expected a backend error, got {error:?}") };
    let unsupported = source.downcast_ref::<UnsupportedSchemaVersion>().expect("an UnsupportedSchemaVersion");
    assert_eq!(
        *unsupported,
        UnsupportedSchemaVersion { path: path.clone(), found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION }
    );
    let found = format!("schema version {}", SCHEMA_VERSION + 1);
    assert!(message.contains(&found), "unclear message: {message}");
    assert!(message.contains("newer factum"), "unclear message: {message}");
}

#[test]
fn a_fresh_file_gets_the_current_schema_version() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    drop(SqliteStore::open(&path).unwrap());
    let connection = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let journal: String = connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    std::fs::write(&path, b"this is not an SQLite database, but it is long enough to have a header").unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::Backend(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "event store backend failed: cannot open the SQLite event store `{}`: file is not a database",
            path.display()
        )
    );
}

#[test]
fn a_file_in_a_missing_folder_is_an_error_naming_it() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("missing").join("events.db");
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(error.to_string().contains(&format!("cannot open the SQLite event store `{}`", path.display())), "{error}");
}

#[test]
fn a_panicking_visitor_panics_the_caller_and_leaves_the_store_usable() {
    let store = SqliteStore::open_in_memory().unwrap();
    runtime().block_on(async {
        store.append("A", ExpectedVersion::NoStream, vec![event("Created", "{}", Metadata::default())]).await.unwrap();
    });
    let panicking = store.clone();
    let caught = std::panic::catch_unwind(move || {
        runtime().block_on(panicking.fold_stream("A", 1, (), |_, _| panic!("the visitor panicked")))
    });
    let payload = caught.expect_err("the visitor's panic should reach the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the visitor panicked"));
    let after = runtime().block_on(store.append("A", ExpectedVersion::Exact(1), Vec::new())).unwrap();
    assert_eq!(after, AppendOutcome { stream_version: 1, position: 1 });
}

#[test]
fn an_undecodable_event_is_reported_with_its_place() {
    let store = SqliteStore::open_in_memory().unwrap();
    let error = runtime().block_on(async {
        store
            .append(
                "Other",
                ExpectedVersion::NoStream,
                vec![event("Opened", r#"{"owner":"bob"}"#, Metadata::default())],
            )
            .await
            .unwrap();
        let stored = vec![
            event("Opened", r#"{"owner":"ada"}"#, Metadata::default()),
            event("Deposited", r#"{"amount":"lots"}"#, Metadata::default()),
        ];
        store.append("Account-7", ExpectedVersion::NoStream, stored).await.unwrap();
        factum::load::<common::Account, _>(&store, "Account-7").await.unwrap_err()
    });
    let StoreError::Decode(error) = error else { panic!("expected a decode error, got {error:?}") };
    assert_eq!(
        (error.stream_id.as_str(), error.stream_version, error.position, error.event_name.as_str()),
        ("Account-7", 2, 3, "Deposited")
    );
    assert!(matches!(error.kind, factum::DecodeErrorKind::MalformedPayload { .. }), "{:?}", error.kind);
}

/// The plan SQLite makes for `sql` on a store's file, one step per line.
fn query_plan(path: &Path, sql: &str) -> String {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let steps = statement.query_map([], |row| row.get::<_, String>(3)).unwrap();
    steps.collect::<Result<Vec<_>, _>>().unwrap().join("\n")
}

#[test]
fn the_log_is_read_in_table_order_and_streams_through_their_index() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    drop(SqliteStore::open(&path).unwrap());
    // (what is read, a query shaped like the store's, the plan it must get)
    let cases = [
        (
            "the log, filtered by name",
            "SELECT payload FROM events WHERE position >= 1 AND position <= 100 AND event_name IN ('A', 'B') \
             ORDER BY position LIMIT 10",
            "SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
        ),
        (
            "the log, filtered by aggregate type",
            "SELECT payload FROM events WHERE position >= 1 AND position <= 100 AND aggregate_type = 'Order' \
             ORDER BY position LIMIT 10",
            "SEARCH events USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
        ),
        (
            "a stream",
            "SELECT payload FROM events WHERE stream_id = 'A' AND stream_version >= 1 ORDER BY stream_version",
            "SEARCH events USING INDEX events_stream (stream_id=? AND stream_version>?)",
        ),
        (
            "a stream's version",
            "SELECT stream_version FROM events WHERE stream_id = 'A' ORDER BY stream_version DESC LIMIT 1",
            "SEARCH events USING COVERING INDEX events_stream (stream_id=?)",
        ),
    ];
    for (read, sql, expected) in cases {
        assert_eq!(query_plan(&path, sql), expected, "{read}");
    }
}
