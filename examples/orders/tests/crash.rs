//! Exactly once across crashes: `orders-project`, a real process running the transactional `OrderSummary` tables on
//! an SQLite file, or in a PostgreSQL schema, is killed with SIGKILL at random points of its catch-up (and of
//! rebuilds) and restarted each time; after every kill the tables hold exactly the events before the checkpoint, and
//! the tables it ends with equal a clean rebuild's and what the in-memory summary computes from the same log.
//!
//! The PostgreSQL run uses the real server (`FACTUM_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`), in a schema of its own that is dropped afterwards, and fails when the
//! server cannot be reached.

use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use factum::store::postgres::{tokio_postgres, PostgresStore};
use factum::store::sqlite::SqliteStore;
use factum::types::Uuid;
use factum::{Aggregate, CheckpointStore, EventSet, EventStore, ExpectedVersion, Metadata, NewEvent, ProjectionRunner};
use factum_testkit::postgres::{server_url, ScratchSchema};
use orders_example::schema::{
    LineItem, Order, OrderCancelled, OrderCreated, OrderEvent, OrderShipped, OrderSummary, OrderSummaryEvent,
    PaymentReceived, PaymentRejected,
};
use orders_example::{OrderTables, PostgresOrderTables, Summary, Tables};

/// Events per transaction in the killed runs: small, so that a run commits often and a kill lands between commits
/// as well as inside them.
const BATCH: &str = "16";

/// A small generator of kill delays (xorshift), seeded from the clock and printed, so that a failing run can be
/// repeated with `CRASH_SEED`.
struct Delays(u64);

impl Delays {
    fn new() -> Self {
        let seed = std::env::var("CRASH_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(|| {
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(1, |since| since.as_nanos() as u64) | 1
        });
        println!("CRASH_SEED={seed}");
        Delays(seed)
    }

    /// A delay from `low` to `high` milliseconds.
    fn next(&mut self, low: u64, high: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(low + self.0 % (high - low + 1))
    }
}

fn encode(event: OrderEvent) -> NewEvent {
    NewEvent::encode(&event, Metadata::default()).expect("order events encode").with_aggregate_type(Order::NAME)
}

/// Appends `orders` orders' events (each order has two to four), each order's in one append, so that orders interleave
/// in the log as they are written.
async fn fill(store: &impl EventStore, orders: u64) {
    for number in 0..orders {
        let id = Uuid::from_u128(u128::from(number) + 1);
        let created = OrderCreated {
            customer_id: Uuid::from_u128(7),
            customer_name: format!("customer {number}"),
            items: vec![LineItem { sku: "sku".into(), quantity: 1 + (number % 3) as u32, unit_price: 100 + number }],
            currency: "EUR".into(),
        };
        let due = orders_example::total(&created.items);
        let mut events = vec![encode(created.into())];
        if number % 5 == 0 {
            events.push(encode(PaymentRejected { amount: 1, reason: "short".into() }.into()));
        }
        match number % 3 {
            0 => events.push(encode(OrderCancelled { reason: "changed my mind".into() }.into())),
            _ => {
                events.push(encode(PaymentReceived { amount: due }.into()));
                events.push(encode(OrderShipped { carrier: None }.into()));
            }
        }
        store.append(&Order::stream_id(&id), ExpectedVersion::NoStream, events).await.expect("the log is written");
    }
}

/// How many events the `OrderSummary` projection subscribes to lie before `checkpoint`.
fn subscribed_before(runtime: &Runtime, store: &impl EventStore, checkpoint: u64) -> i64 {
    let query = factum::LogQuery::all().to_position(checkpoint - 1).events(OrderSummaryEvent::NAMES.iter().copied());
    runtime.block_on(store.read_all(&query)).unwrap().len() as i64
}

type Runtime = tokio::runtime::Runtime;
/// Reads a store's tables back.
type ReadTables<'a> = Box<dyn Fn(&Runtime) -> Result<Tables, String> + 'a>;

/// A store the crash runs work on, as the test and `orders-project` reach it.
struct Target<'a, S> {
    store: &'a S,
    /// What `orders-project` is given to reach the store.
    argument: OsString,
    /// How many orders the log holds.
    orders: u64,
    /// How many times the runner is killed.
    kills: usize,
    /// Reads the tables back (an error when they do not exist yet).
    read: ReadTables<'a>,
    /// Returns once nothing the killed process sent can still change the store: on PostgreSQL its sessions must have
    /// ended, or a commit it sent just before the kill could land after the test read the checkpoint.
    settle: Box<dyn Fn(&Runtime) + 'a>,
}

/// Runs `orders-project` on `target` to completion and returns the checkpoint it printed.
fn project<S>(target: &Target<'_, S>, rebuild: bool) -> u64 {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orders-project"));
    command.arg(&target.argument).arg(BATCH);
    if rebuild {
        command.arg("--rebuild");
    }
    let output = command.output().expect("orders-project runs");
    assert!(output.status.success(), "orders-project failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().parse().expect("orders-project prints the checkpoint")
}

/// Fills the store, kills `orders-project` `target.kills` times, checking the tables after each kill, then checks
/// that the tables a last run ends with equal a clean rebuild's and the summary computed in memory.
fn killed_runs_apply_each_event_once<S: EventStore + CheckpointStore>(runtime: &Runtime, target: &Target<'_, S>) {
    let store = target.store;
    runtime.block_on(fill(store, target.orders));
    // A finished catch-up continues from past the last event: from right after it on SQLite; on PostgreSQL, whose
    // positions are not dense, from the store's watermark, which other commits to the server may have moved further.
    let log = runtime.block_on(store.read_all(&factum::LogQuery::all())).unwrap();
    let end = log.last().expect("the log is filled").envelope.position + 1;

    let mut delays = Delays::new();
    let (mut checkpoints, mut mid_run) = (Vec::new(), 0);
    // The longest wait before a kill, in milliseconds: doubled when a run was killed before it applied anything (a
    // slow or busy machine), halved when one finished before its kill, so that kills keep landing mid-run.
    let mut longest = 60;
    for kill in 0..target.kills {
        // Every fifth run is a rebuild, so that kills also land between its reset and the end of its replay.
        let rebuild = kill % 5 == 4;
        let before = runtime.block_on(store.checkpoint("OrderSummary")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_orders-project"));
        command.arg(&target.argument).arg(BATCH).stdout(Stdio::null()).stderr(Stdio::piped());
        if rebuild {
            command.arg("--rebuild");
        }
        let mut child = command.spawn().expect("orders-project starts");
        std::thread::sleep(delays.next(2, longest));
        // `kill` is SIGKILL on Unix: no destructor, no rollback, no flush runs in the child.
        child.kill().expect("the child is killed, or has just exited");
        let output = child.wait_with_output().unwrap();
        (target.settle)(runtime);
        let after = runtime.block_on(store.checkpoint("OrderSummary")).unwrap();
        if !output.status.success() && after != before && after > 1 && after < end {
            mid_run += 1;
        }
        if output.status.success() {
            longest = (longest / 2).max(4);
        } else if after == before && !rebuild {
            longest = (longest * 2).min(5_000);
        }
        let code = output.status.code();
        assert!(
            code.is_none() || code == Some(0),
            "orders-project failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        checkpoints.push((rebuild, before, after, code));
        // Wherever the kill landed, the tables hold exactly the events before the checkpoint: each of them once.
        let applied = match (target.read)(runtime) {
            Ok(tables) => tables.events,
            // Killed before the tables were first created: nothing can have been applied.
            Err(_) if after == 1 => 0,
            Err(error) => panic!("the tables cannot be read: {error}"),
        };
        assert_eq!(applied, subscribed_before(runtime, store, after), "after kill {kill}: {checkpoints:?}");
    }
    println!("(rebuild, checkpoint before, after, exit code) per kill: {checkpoints:?}");
    assert!(mid_run > 0, "no kill landed in the middle of a run, so the test proved nothing: {checkpoints:?}");

    assert!(project(target, false) >= end, "a restart finishes the catch-up");
    let after_kills = (target.read)(runtime).unwrap();
    assert!(project(target, true) >= end, "a clean rebuild");
    let rebuilt = (target.read)(runtime).unwrap();
    assert_eq!(after_kills, rebuilt, "the killed runs' tables differ from a clean rebuild's");

    // And both agree with the summary in memory, computed from the same log by a runner of its own.
    let mut summary = ProjectionRunner::held(store, OrderSummary(Summary::default()));
    runtime.block_on(summary.catch_up()).unwrap();
    let summary = summary.into_projection().0;
    let expected = Tables {
        orders: summary.orders.iter().map(|(id, status)| (*id, format!("{status:?}"))).collect(),
        ordered: summary.ordered as i64,
        received: summary.received as i64,
        events: target.orders as i64 * 3 - target.orders.div_ceil(3) as i64,
    };
    assert_eq!(rebuilt, expected);
}

#[test]
fn a_killed_runner_applies_each_event_exactly_once() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let target = Target {
        store: &store,
        argument: path.clone().into(),
        orders: 1_500,
        kills: 30,
        read: Box::new(|runtime| runtime.block_on(store.read_tables(OrderTables::read)).map_err(|e| e.to_string())),
        // The process is gone, and with it whatever it had not committed.
        settle: Box::new(|_| {}),
    };
    killed_runs_apply_each_event_once(&runtime, &target);
}

/// A client of the server outside any store, for the test's own bookkeeping.
async fn server() -> tokio_postgres::Client {
    let url = server_url();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL at `{url}` cannot be reached: {error}"));
    tokio::spawn(connection);
    client
}

#[test]
fn a_killed_runner_applies_each_event_exactly_once_on_postgres() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.subsec_nanos());
    let schema = ScratchSchema::new(format!("test_orders_crash_{}_{nanos}", std::process::id()));
    // The runner's sessions carry the schema's name, so that the test can tell when a killed runner's are over.
    let url = schema.url();
    let runner_url = format!("{url}&application_name={}", schema.name());
    let store = runtime
        .block_on(PostgresStore::connect(&url))
        .unwrap_or_else(|error| panic!("PostgreSQL at `{url}` cannot be reached: {error}"));
    let client = runtime.block_on(server());
    let settle = |runtime: &Runtime| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let sessions =
                runtime
                    .block_on(client.query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                        &[&schema.name()],
                    ))
                    .expect("the server lists its sessions");
            if sessions.get::<_, i64>(0) == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "the killed runner's sessions never ended");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let target = Target {
        store: &store,
        argument: runner_url.into(),
        orders: 600,
        kills: 10,
        read: Box::new(|runtime| runtime.block_on(PostgresOrderTables::read(&store)).map_err(|e| e.to_string())),
        settle: Box::new(settle),
    };
    killed_runs_apply_each_event_once(&runtime, &target);
}

/// Runs `orders-project` with `arguments` and checks that it fails with a message containing `expected`.
fn check_refused(arguments: &[&str], expected: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_orders-project")).args(arguments).output().expect("it runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{arguments:?}: {stderr}");
    assert!(stderr.contains(expected), "{arguments:?}: expected `{expected}` in {stderr}");
    assert!(output.stdout.is_empty(), "{arguments:?}: no checkpoint is printed");
}

#[test]
fn orders_project_refuses_what_it_cannot_run() {
    check_refused(&[], "usage: orders-project STORE");
    check_refused(&["orders.sqlite", "many"], "`many` is not a batch size");
    check_refused(&["orders.sqlite", "16", "more"], "unexpected argument `more`");
    check_refused(&["postgres://postgres@127.0.0.1:5432/test?schema=no-such-name"], "no-such-name");
    check_refused(&["postgres://postgres@127.0.0.1:1/test?schema=orders_unreachable"], "error connecting to server");
}
