//! Opening SQLite event store files: files of the first layout are migrated, and many threads or processes may open
//! a brand-new file at the same moment.
#![cfg(feature = "sqlite")]

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use factum::store::sqlite::{SqliteStore, SCHEMA_VERSION};
use factum::store::LogQuery;
use factum::{EventStore, ExpectedVersion, Metadata, NewEvent, Timestamp};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime")
}

/// The first layout, as the first release created it.
const LAYOUT_V1: &str = "
    CREATE TABLE events (
        stream_id      TEXT    NOT NULL,
        stream_version INTEGER NOT NULL,
        position       INTEGER NOT NULL,
        event_name     TEXT    NOT NULL,
        event_version  INTEGER NOT NULL,
        payload        BLOB    NOT NULL,
        metadata       BLOB,
        recorded_at    INTEGER NOT NULL,
        PRIMARY KEY (stream_id, stream_version)
    ) STRICT, WITHOUT ROWID;
    CREATE UNIQUE INDEX events_position ON events (position);
    PRAGMA user_version = 1;
";

/// A row of the first layout: stream, version, position, name, payload, metadata JSON, recorded at (µs).
type V1Row = (&'static str, i64, i64, &'static str, &'static str, Option<&'static str>, i64);

const V1_ROWS: [V1Row; 4] = [
    ("Order-1", 1, 1, "OrderCreated", r#"{"customer":"ada"}"#, None, 1_600_000_000_000_001),
    ("Order-2", 1, 2, "OrderCreated", r#"{"customer":"bob"}"#, Some(r#"{"headers":{"k":"v"}}"#), 1_600_000_000_500_000),
    ("Order-1", 2, 3, "OrderPaid", r#"{"amount":5}"#, None, 1_600_000_001_000_000),
    ("Order-1", 3, 4, "OrderShipped", "{}", None, 1_600_000_002_000_000),
];

/// What an event reads as: stream, version, position, name, payload, metadata, recorded at.
type Read<'a> = (&'a str, u64, u64, &'a str, Vec<u8>, Metadata, Timestamp);

fn write_v1_file(path: &Path) {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.execute_batch(LAYOUT_V1).unwrap();
    for (stream_id, stream_version, position, name, payload, metadata, recorded_at) in V1_ROWS {
        connection
            .execute(
                "INSERT INTO events VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)",
                rusqlite::params![
                    stream_id,
                    stream_version,
                    position,
                    name,
                    payload.as_bytes(),
                    metadata.map(str::as_bytes),
                    recorded_at
                ],
            )
            .unwrap();
    }
}

#[test]
fn a_file_of_the_first_layout_is_migrated_and_reads_as_before() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    write_v1_file(&path);

    let store = SqliteStore::open(&path).unwrap();
    let (log, next) = runtime().block_on(async {
        let log = store.read_all(&LogQuery::all()).await.unwrap();
        let next = store.append("Order-1", ExpectedVersion::Exact(3), vec![NewEvent::new("OrderClosed", 1, "{}")]);
        (log, next.await.unwrap())
    });
    let read: Vec<Read<'_>> = log
        .iter()
        .map(|event| {
            let envelope = &event.envelope;
            let place = (envelope.stream_id.as_str(), envelope.stream_version, envelope.position);
            (
                place.0,
                place.1,
                place.2,
                envelope.event_name.as_str(),
                event.payload.clone(),
                envelope.metadata.clone(),
                envelope.recorded_at,
            )
        })
        .collect();
    let expected: Vec<Read<'_>> = V1_ROWS
        .iter()
        .map(|&(stream_id, stream_version, position, name, payload, metadata, recorded_at)| {
            let metadata = metadata.map_or_else(Metadata::default, |json| serde_json::from_str(json).unwrap());
            let recorded_at = Timestamp::from_timestamp_micros(recorded_at).unwrap();
            (
                stream_id,
                stream_version as u64,
                position as u64,
                name,
                payload.as_bytes().to_vec(),
                metadata,
                recorded_at,
            )
        })
        .collect();
    assert_eq!(read, expected);
    // Old events get ids of their own, UUID v7s of their recorded time (to the millisecond), and no aggregate type.
    let mut ids = std::collections::BTreeSet::new();
    for event in &log {
        let envelope = &event.envelope;
        assert!(ids.insert(envelope.event_id), "a repeated id: {}", envelope.event_id);
        assert_eq!(envelope.event_id.get_version_num(), 7);
        let (seconds, nanos) = envelope.event_id.get_timestamp().expect("a v7 id has a time").to_unix();
        assert_eq!(seconds as i64 * 1_000 + i64::from(nanos / 1_000_000), envelope.recorded_at.timestamp_millis());
        assert_eq!(envelope.aggregate_type, None);
    }
    assert_eq!((next.stream_version, next.position), (4, 5), "appends continue after the migrated events");
    drop(store);

    let connection = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        ["events", "events_id", "events_stream", "projection_checkpoints", "snapshots", "sqlite_autoindex_snapshots_1"],
        "the first layout's table and index are gone, and every later layout's tables are there"
    );
    drop(connection);
    // Reopening a migrated file migrates nothing again: the ids stay.
    let reread = runtime().block_on(SqliteStore::open(&path).unwrap().read_all(&LogQuery::all().limit(4))).unwrap();
    assert_eq!(reread, log);
}

/// How many openers race for one new file.
const OPENERS: usize = 8;

/// Opens the store at `path` and appends one event to a stream of its own.
fn open_and_append(path: &Path, opener: &str) {
    let store = SqliteStore::open(path).unwrap_or_else(|error| panic!("{opener} could not open the store: {error}"));
    let appended =
        runtime().block_on(store.append(opener, ExpectedVersion::NoStream, vec![NewEvent::new("Opened", 1, "{}")]));
    appended.unwrap_or_else(|error| panic!("{opener} could not append: {error}"));
}

/// Checks that every opener's event is in the file, and that it is a WAL database of the current layout.
fn check_every_opener_wrote(path: &Path, openers: &[String]) {
    let store = SqliteStore::open(path).unwrap();
    let log = runtime().block_on(store.read_all(&LogQuery::all())).unwrap();
    let mut streams: Vec<&str> = log.iter().map(|event| event.envelope.stream_id.as_str()).collect();
    streams.sort_unstable();
    let mut expected: Vec<&str> = openers.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(streams, expected);
    let connection = rusqlite::Connection::open(path).unwrap();
    let journal: String = connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn threads_opening_a_new_file_at_once_all_succeed() {
    for round in 0..5 {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("events.db");
        let barrier = std::sync::Barrier::new(OPENERS);
        let openers: Vec<String> = (0..OPENERS).map(|opener| format!("thread-{round}-{opener}")).collect();
        std::thread::scope(|scope| {
            for opener in &openers {
                let (path, barrier) = (&path, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    open_and_append(path, opener);
                });
            }
        });
        check_every_opener_wrote(&path, &openers);
    }
}

/// Set in the processes [`processes_opening_a_new_file_at_once_all_succeed`] spawns: the file, when to open it (Unix
/// milliseconds) and the opener's name.
const CHILD: &str = "FACTUM_OPEN_RACE";

fn unix_millis() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()
}

/// Runs this test binary once per opener, each as the same test with [`CHILD`] set: they wait for one moment, then
/// open and append.
#[test]
fn processes_opening_a_new_file_at_once_all_succeed() {
    if let Ok(child) = std::env::var(CHILD) {
        let mut parts = child.splitn(3, '|');
        let (Some(path), Some(start), Some(opener)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("{CHILD} is not `path|start|opener`: {child}");
        };
        let start: u128 = start.parse().unwrap();
        while unix_millis() < start {
            std::thread::sleep(Duration::from_millis(1));
        }
        open_and_append(Path::new(path), opener);
        return;
    }
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    let start = unix_millis() + 500;
    let openers: Vec<String> = (0..OPENERS).map(|opener| format!("process-{opener}")).collect();
    let children: Vec<_> = openers
        .iter()
        .map(|opener| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "processes_opening_a_new_file_at_once_all_succeed", "--nocapture"])
                .env(CHILD, format!("{}|{start}|{opener}", path.display()))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (opener, child) in openers.iter().zip(children) {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{opener} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    check_every_opener_wrote(&path, &openers);
}
