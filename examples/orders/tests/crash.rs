//! Exactly once across crashes: `orders-project`, a real process running the transactional `OrderSummary` tables on
//! an SQLite file, is killed with SIGKILL at random points of its catch-up (and of rebuilds) and restarted each time;
//! after every kill the tables hold exactly the events before the checkpoint, and the tables it ends with equal a
//! clean rebuild's and what the in-memory summary computes from the same log.

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use factum::store::sqlite::SqliteStore;
use factum::types::Uuid;
use factum::{Aggregate, CheckpointStore, EventSet, EventStore, ExpectedVersion, Metadata, NewEvent, ProjectionRunner};
use orders_example::schema::{
    LineItem, Order, OrderCancelled, OrderCreated, OrderEvent, OrderShipped, OrderSummary, OrderSummaryEvent,
    PaymentReceived, PaymentRejected,
};
use orders_example::{OrderTables, Summary, Tables};

/// How many orders the log holds; each has three or four events.
const ORDERS: u64 = 1_500;
/// Events per transaction in the killed runs: small, so that a run commits often and a kill lands between commits
/// as well as inside them.
const BATCH: &str = "16";
/// How many times the runner is killed.
const KILLS: usize = 30;

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

/// Appends the orders' events, each order's in one append, so that orders interleave in the log as they are written.
async fn fill(store: &SqliteStore) {
    for number in 0..ORDERS {
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
fn subscribed_before(runtime: &tokio::runtime::Runtime, store: &SqliteStore, checkpoint: u64) -> i64 {
    let query = factum::LogQuery::all().to_position(checkpoint - 1).events(OrderSummaryEvent::NAMES.iter().copied());
    runtime.block_on(store.read_all(&query)).unwrap().len() as i64
}

/// Runs `orders-project` on `path` to completion and returns the checkpoint it printed.
fn project(path: &std::path::Path, rebuild: bool) -> u64 {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orders-project"));
    command.arg(path).arg(BATCH);
    if rebuild {
        command.arg("--rebuild");
    }
    let output = command.output().expect("orders-project runs");
    assert!(output.status.success(), "orders-project failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().parse().expect("orders-project prints the checkpoint")
}

#[test]
fn a_killed_runner_applies_each_event_exactly_once() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    runtime.block_on(fill(&store));
    let head = runtime.block_on(store.read_all(&factum::LogQuery::all())).unwrap().len() as u64;

    let mut delays = Delays::new();
    let (mut checkpoints, mut mid_run) = (Vec::new(), 0);
    // The longest wait before a kill, in milliseconds: doubled when a run was killed before it applied anything (a
    // slow or busy machine), halved when one finished before its kill, so that kills keep landing mid-run.
    let mut longest = 60;
    for kill in 0..KILLS {
        // Every fifth run is a rebuild, so that kills also land between its reset and the end of its replay.
        let rebuild = kill % 5 == 4;
        let before = runtime.block_on(store.checkpoint("OrderSummary")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_orders-project"));
        command.arg(&path).arg(BATCH).stdout(Stdio::null()).stderr(Stdio::piped());
        if rebuild {
            command.arg("--rebuild");
        }
        let mut child = command.spawn().expect("orders-project starts");
        std::thread::sleep(delays.next(2, longest));
        // `kill` is SIGKILL on Unix: no destructor, no rollback, no flush runs in the child.
        child.kill().expect("the child is killed, or has just exited");
        let status = child.wait().unwrap();
        let after = runtime.block_on(store.checkpoint("OrderSummary")).unwrap();
        if !status.success() && after != before && after > 1 && after <= head {
            mid_run += 1;
        }
        if status.success() {
            longest = (longest / 2).max(4);
        } else if after == before && !rebuild {
            longest = (longest * 2).min(5_000);
        }
        checkpoints.push((rebuild, before, after, status.code()));
        // Wherever the kill landed, the tables hold exactly the events before the checkpoint: each of them once.
        let applied = match runtime.block_on(store.read_tables(OrderTables::read)) {
            Ok(tables) => tables.events,
            // Killed before the tables were first created: nothing can have been applied.
            Err(_) if after == 1 => 0,
            Err(error) => panic!("the tables cannot be read: {error}"),
        };
        assert_eq!(applied, subscribed_before(&runtime, &store, after), "after kill {kill}: {checkpoints:?}");
    }
    println!("(rebuild, checkpoint before, after, exit code) per kill: {checkpoints:?}");
    assert!(mid_run > 0, "no kill landed in the middle of a run, so the test proved nothing: {checkpoints:?}");

    assert_eq!(project(&path, false), head + 1, "a restart finishes the catch-up");
    let after_kills = runtime.block_on(store.read_tables(OrderTables::read)).unwrap();
    assert_eq!(project(&path, true), head + 1, "a clean rebuild");
    let rebuilt = runtime.block_on(store.read_tables(OrderTables::read)).unwrap();
    assert_eq!(after_kills, rebuilt, "the killed runs' tables differ from a clean rebuild's");

    // And both agree with the summary in memory, computed from the same log by a runner of its own.
    let mut summary = ProjectionRunner::held(&store, OrderSummary(Summary::default()));
    runtime.block_on(summary.catch_up()).unwrap();
    let summary = summary.into_projection().0;
    let expected = Tables {
        orders: summary.orders.iter().map(|(id, status)| (*id, format!("{status:?}"))).collect(),
        ordered: summary.ordered as i64,
        received: summary.received as i64,
        events: ORDERS as i64 * 3 - ORDERS.div_ceil(3) as i64,
    };
    assert_eq!(rebuilt, expected);
}
