//! Projections following the log live while other processes append to the same SQLite file: this example's binary
//! runs `stress` in child processes while runners `follow` in this one. Each sees every event the children commit, in
//! position order, once (the transactional runners exactly once, held to it by a table's primary key), and the
//! `SeatAvailability` table ends equal to the aggregate.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use conference_example::schema::{Conference, ConferenceEvent};
use conference_example::{available, Availability, SeatTable};
use factum::store::sqlite::{rusqlite, Connection, SqliteStore, TransactionalRunner};
use factum::store::LogQuery;
use factum::types::Uuid;
use factum::{ApplyError, CheckpointStore, CommandService, Envelope, EventStore, Projection, ProjectionRunner};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// How long the test waits for a follower before it fails: far longer than polling takes (100 ms at most), so that
/// it only ends a test that would otherwise hang.
const PATIENCE: Duration = Duration::from_secs(30);

/// Sends the position of every event it applies; in the SQLite file it also records it in a table whose primary key
/// refuses an event applied twice.
struct Seen {
    sent: UnboundedSender<u64>,
}

impl Projection for Seen {
    const NAME: &'static str = "SeenInMemory";
    type Event = ConferenceEvent;
    type Error = Infallible;

    fn setup(&mut self, _: &()) -> Result<(), Infallible> {
        Ok(())
    }

    fn reset(&mut self, _: &()) -> Result<(), Infallible> {
        Ok(())
    }

    fn apply(&mut self, _: &(), _: &ConferenceEvent, envelope: &Envelope) -> Result<(), ApplyError<Infallible>> {
        // The receiver lives as long as the test listens; later sends change nothing.
        let _ = self.sent.send(envelope.position);
        Ok(())
    }
}

impl Projection<Connection> for Seen {
    const NAME: &'static str = "SeenInTable";
    type Event = ConferenceEvent;
    type Error = rusqlite::Error;

    fn setup(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch("CREATE TABLE IF NOT EXISTS seen (position INTEGER PRIMARY KEY) STRICT")
    }

    fn reset(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch("DROP TABLE IF EXISTS seen")
    }

    fn apply(
        &mut self,
        db: &Connection,
        _: &ConferenceEvent,
        envelope: &Envelope,
    ) -> Result<(), ApplyError<rusqlite::Error>> {
        let position = i64::try_from(envelope.position).expect("a test log stays small");
        db.execute("INSERT INTO seen (position) VALUES (?1)", [position]).map_err(ApplyError::Handler)?;
        let _ = self.sent.send(envelope.position);
        Ok(())
    }
}

fn seen() -> (Seen, UnboundedReceiver<u64>) {
    let (sent, received) = unbounded_channel();
    (Seen { sent }, received)
}

/// Receives `count` positions, failing the test if the follower stops handing them over.
async fn receive(received: &mut UnboundedReceiver<u64>, count: usize) -> Vec<u64> {
    let mut positions = Vec::new();
    while positions.len() < count {
        match tokio::time::timeout(PATIENCE, received.recv()).await {
            Ok(Some(position)) => positions.push(position),
            other => panic!("the follower stopped after {} events: {other:?}", positions.len()),
        }
    }
    positions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn runners_follow_the_appends_of_other_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conference.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let conference = Uuid::new_v4();

    let (in_table, mut received_in_table) = seen();
    let (in_memory, mut received_in_memory) = seen();
    let mut followers = tokio::task::JoinSet::new();
    let mut seat_table = SeatTable::runner(store.clone()).batch_size(7);
    followers.spawn(async move { seat_table.follow().await.map(drop).map_err(|error| error.to_string()) });
    let mut table_runner = TransactionalRunner::new(store.clone(), in_table).batch_size(5);
    followers.spawn(async move { table_runner.follow().await.map(drop).map_err(|error| error.to_string()) });
    let mut memory_runner = ProjectionRunner::held(store.clone(), in_memory).batch_size(5);
    followers.spawn(async move { memory_runner.follow().await.map(drop).map_err(|error| error.to_string()) });

    // The transactional runners set their tables up when they start: once both tables exist, they are following.
    let started = Instant::now();
    let tables = "SELECT count(*) FROM sqlite_master WHERE name IN ('seen', 'seat_availability')";
    while store.read_tables(|db| db.query_row(tables, [], |row| row.get::<_, i64>(0))).await.unwrap() < 2 {
        assert!(started.elapsed() < PATIENCE, "the runners did not start");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    // Two processes reserve against one conference, after the runners started.
    let (processes, requests, capacity) = (2u32, 30u32, 40u32);
    let children: Vec<_> = (0..processes)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_conference-example"))
                .args(["--store", &format!("sqlite:{}", path.display()), "stress", "--tasks", "4"])
                .args(["--capacity", &capacity.to_string(), "--requests", &requests.to_string()])
                .args(["--conference", &conference.to_string()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("the example binary starts")
        })
        .collect();
    for child in children {
        let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
        assert!(output.status.success(), "{output:?}");
    }

    let log: Vec<u64> = store.read_all(&LogQuery::all()).await.unwrap().iter().map(|e| e.envelope.position).collect();
    assert_eq!(log.len() as u32, processes * requests + 1, "the creation and one event per request");
    assert_eq!(receive(&mut received_in_table, log.len()).await, log, "in order, once each");
    assert_eq!(receive(&mut received_in_memory, log.len()).await, log, "in order, once each");
    // A handler is called inside its batch's transaction, before the commit that a read on another connection sees:
    // the table is whole once the checkpoint, committed with it, has passed the log's end.
    let end = log.last().copied().unwrap_or(0) + 1;
    let started = Instant::now();
    while store.checkpoint("SeenInTable").await.unwrap() < end {
        assert!(started.elapsed() < PATIENCE, "the table of seen positions did not catch up");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let in_table: Vec<u64> = store
        .read_tables(|db| {
            db.prepare("SELECT position FROM seen ORDER BY position")?
                .query_map([], |row| row.get::<_, i64>(0).map(|position| position as u64))?
                .collect()
        })
        .await
        .unwrap();
    assert_eq!(in_table, log);

    // The seat table catches up too, and then agrees with the aggregate.
    let started = Instant::now();
    while store.checkpoint("SeatAvailability").await.unwrap() < end {
        assert!(started.elapsed() < PATIENCE, "the seat table did not catch up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rows = store.read_tables(SeatTable::read).await.unwrap();
    let state = CommandService::<Conference, _>::new(store.clone()).load(&conference).await.unwrap().state;
    let expected =
        Availability { conference, capacity: state.capacity, reserved: state.reserved, available: available(&state) };
    assert_eq!(rows, [expected]);
    assert_eq!(state.reserved, capacity);

    // Still following: none of them stopped.
    assert!(followers.try_join_next().is_none(), "a follower stopped");
    followers.abort_all();
}
