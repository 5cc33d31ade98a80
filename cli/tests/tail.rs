//! `factum events tail` as users run it: a real process following an SQLite file while this test appends to it,
//! one JSON line per event, whatever process appended it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use factum::store::sqlite::SqliteStore;
use factum::types::Uuid;
use factum::{EventStore, ExpectedVersion, Metadata, NewEvent, Timestamp};

/// How long a line that should come may take before the test fails instead of hanging.
const GUARD: Duration = Duration::from_secs(20);

/// A running `factum events tail`, killed when dropped, with its output lines arriving on channels.
struct Tail {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Tail {
    fn spawn(args: &[&str]) -> Tail {
        let mut child = Command::new(env!("CARGO_BIN_EXE_factum"))
            .args(["events", "tail"])
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Tail { child, stdout, stderr }
    }

    /// The next line printed on stdout.
    #[track_caller]
    fn line(&self) -> String {
        self.stdout.recv_timeout(GUARD).expect("factum events tail should have printed a line by now")
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(from: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_timestamp(1_612_141_200 + seconds, 0).unwrap()
}

/// Appends an event with a known id and time, so that its line is known.
fn append(store: &SqliteStore, stream_id: &str, event: (&str, &str, u128, i64), metadata: Metadata) {
    let (name, payload, id, seconds) = event;
    let event = NewEvent::new(name, 1, payload).with_id(Uuid::from_u128(id)).recorded_at(at(seconds));
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(store.append(stream_id, ExpectedVersion::Any, vec![event.with_metadata(metadata)])).unwrap();
}

fn url(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

#[test]
fn tail_prints_the_log_then_each_event_another_process_appends() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    let store = SqliteStore::open(&path).unwrap();
    let correlation = Metadata::correlated(Uuid::from_u128(9)).with_header("source", "test");
    append(&store, "Customer-C1", ("CustomerRegistered", r#"{"name":"Ada","points":1}"#, 1, 0), Metadata::default());
    append(&store, "Customer-C2", ("CustomerRegistered", r#"{"name":"Bob"}"#, 2, 60), correlation);

    let tail = Tail::spawn(&["--store", &url(&path), "--from", "1"]);
    let expected = [
        r#"{"stream":"Customer-C1","event":"CustomerRegistered","event_version":1,"recorded_at":"2021-02-01T01:00:00Z","payload":{"name":"Ada","points":1},"position":1,"id":"00000000-0000-0000-0000-000000000001","version":1}"#,
        r#"{"stream":"Customer-C2","event":"CustomerRegistered","event_version":1,"recorded_at":"2021-02-01T01:01:00Z","payload":{"name":"Bob"},"position":2,"id":"00000000-0000-0000-0000-000000000002","version":1,"metadata":{"correlation_id":"00000000-0000-0000-0000-000000000009","headers":{"source":"test"}}}"#,
        r#"{"stream":"Customer-C1","event":"CustomerChanged","event_version":1,"recorded_at":"2021-02-01T01:02:00Z","payload":{"name":"Ada","points":2},"position":3,"id":"00000000-0000-0000-0000-000000000003","version":2}"#,
        r#"{"stream":"Customer-C1","event":"CustomerDeleted","event_version":1,"recorded_at":"2021-02-01T01:03:00Z","payload":{},"position":4,"id":"00000000-0000-0000-0000-000000000004","version":3}"#,
    ];
    assert_eq!([tail.line(), tail.line()], expected[..2]);
    // Appended by this process while the tail waits: it finds them by polling the file.
    append(&store, "Customer-C1", ("CustomerChanged", r#"{"name":"Ada","points":2}"#, 3, 120), Metadata::default());
    assert_eq!(tail.line(), expected[2]);
    append(&store, "Customer-C1", ("CustomerDeleted", "{}", 4, 180), Metadata::default());
    assert_eq!(tail.line(), expected[3]);
}

#[test]
fn tail_without_from_prints_only_what_is_appended_from_then_on() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    let store = SqliteStore::open(&path).unwrap();
    append(&store, "Customer-C1", ("CustomerRegistered", "{}", 1, 0), Metadata::default());

    let tail = Tail::spawn(&["--store", &url(&path)]);
    let started = tail.stderr.recv_timeout(GUARD).expect("the tail says where it starts");
    assert_eq!(started, format!("following `{}` from position 2", url(&path)));
    append(&store, "Customer-C2", ("CustomerRegistered", "{}", 2, 60), Metadata::default());
    let line: serde_json::Value = serde_json::from_str(&tail.line()).unwrap();
    assert_eq!((&line["position"], &line["stream"]), (&2.into(), &"Customer-C2".into()));
}

/// Runs `factum events tail` to its end: the exit code and what it printed on stderr.
fn failing(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_factum"))
        .args(["events", "tail"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn tail_refuses_what_it_cannot_follow_and_stops_at_what_it_cannot_print() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.db");
    let store = SqliteStore::open(&path).unwrap();
    append(&store, "Blob-1", ("Opaque", "not json", 1, 0), Metadata::default());
    let file = url(&path);
    // (arguments, what the error says)
    let cases: [(&[&str], &str); 4] = [
        (&["--store", "memory:"], "`memory:` is a store in memory, empty and private to this command"),
        (&["--store", "sqlite::memory:"], "`sqlite::memory:` is a store in memory"),
        (&["--store", "events.db"], "`events.db` is not a store URL"),
        (
            &["--store", &file, "--from", "1"],
            "the payload of the event at position 1 (stream `Blob-1` version 1) is not JSON",
        ),
    ];
    for (args, expected) in cases {
        let (code, stderr) = failing(args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?} should say {expected:?}, said:\n{stderr}");
    }
}
