//! The SQLite event store against hand-written rusqlite doing the same work (`factum_benches::raw`), in one run.
//! Both sides run with `synchronous=NORMAL` (`factum_benches::store_options`, `Durability::Relaxed`).
//!
//! - `append/{factum,raw}/{1,100,1000}`: one append of that many order events to a new stream, on a database file
//!   in a temporary directory. Factum's is `SqliteStore::append`, awaited on a current-thread tokio runtime, so it
//!   includes the hop to the blocking thread pool that every user pays.
//! - `load/{factum,raw}/10000`: loading and folding an order stream of 10,000 events with the real `Order` rules:
//!   `factum::load::<Order, _>` against one prepared select, serde_json and the same `OrderEvolve` methods.
//!
//! - `project/{factum,raw}/100000`: the `OrderSummary` projection over a log of 100,000 events (10,000 orders of 10
//!   events, interleaved as orders come and go; the projection subscribes to 6 in 10 of them):
//!   `ProjectionRunner::held(..).catch_up()` against a hand-written loop running the store's SQL, decoding each row
//!   where it lies and calling the same handler methods with an envelope.
//!
//! The run ends with a table of Factum ÷ baseline ratios and whether each meets its target. Setup (encoding the
//! events to append, a fresh database file per sample) is never timed: each benchmark times itself with
//! `iter_custom`, around the append or the load alone. Both sides of an append are handed their own copy of the rows
//! and free it within the timing, as `SqliteStore::append` takes its events by value.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::sqlite::SqliteStore;
use factum::{EventStore, ExpectedVersion};
use factum::{Metadata, NewEvent};
use factum_benches::fixtures::encoded_events;
use factum_benches::raw::RawStore;
use factum_benches::report::{self, Comparison, Target};
use orders_example::schema::{Order, OrderEvent, OrderShipped, OrderSummary};
use orders_example::Summary;
use tempfile::TempDir;
use tokio::runtime::Runtime;

/// The events per append that are measured.
const BATCHES: [usize; 3] = [1, 100, 1_000];
/// The length of the stream that is loaded.
const LOADED_EVENTS: usize = 10_000;
/// How many events each append of the loaded stream writes.
const LOAD_SETUP_BATCH: usize = 1_000;
/// Other orders in the database of the load benchmark, so that the loaded stream is not the whole table.
const OTHER_ORDERS: usize = 1_000;
/// The orders of the projection benchmark's log, and the events of each.
const PROJECTED_ORDERS: usize = 10_000;
const PROJECTED_ROUNDS: usize = 10;

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a current-thread tokio runtime");

    appends(&mut criterion, &runtime);
    load(&mut criterion, &runtime);
    project(&mut criterion, &runtime);

    criterion.final_summary();
    println!("\n{}", report::render("Factum vs raw rusqlite", &output, started, &comparisons()));
}

/// The lines of the final table.
fn comparisons() -> Vec<Comparison> {
    let appends = BATCHES.map(|batch| Comparison {
        label: format!("append {batch} event{}", if batch == 1 { "" } else { "s" }),
        factum: format!("append/factum/{batch}"),
        raw: format!("append/raw/{batch}"),
        rows: batch as u64,
        target: if batch == 1 { Target::ThroughputReported } else { Target::ThroughputAtLeast(0.8) },
    });
    let load = Comparison {
        label: format!("load + fold {LOADED_EVENTS} events"),
        factum: format!("load/factum/{LOADED_EVENTS}"),
        raw: format!("load/raw/{LOADED_EVENTS}"),
        rows: LOADED_EVENTS as u64,
        target: Target::TimeAtMost(1.3),
    };
    let projected = PROJECTED_ORDERS * PROJECTED_ROUNDS;
    let project = Comparison {
        label: format!("project {projected} events"),
        factum: format!("project/factum/{projected}"),
        raw: format!("project/raw/{projected}"),
        rows: projected as u64,
        target: Target::TimeAtMost(1.2),
    };
    appends.into_iter().chain([load, project]).collect()
}

/// A database file in a directory of its own, created by `SqliteStore::open` (so the baseline gets the store's
/// layout), deleted with the directory.
struct Database {
    directory: TempDir,
}

impl Database {
    fn new() -> Self {
        let directory = tempfile::tempdir().expect("a temporary directory");
        SqliteStore::open_with(directory.path().join("events.sqlite"), factum_benches::store_options())
            .expect("a new SQLite store");
        Database { directory }
    }

    fn path(&self) -> std::path::PathBuf {
        self.directory.path().join("events.sqlite")
    }
}

/// A stream id like the command service's: the aggregate's name and a random UUID, so that new streams land all
/// over the table, as they do in a real store.
fn new_stream_id() -> String {
    format!("Order-{}", factum::types::Uuid::new_v4())
}

fn appends(criterion: &mut Criterion, runtime: &Runtime) {
    let mut group = criterion.benchmark_group("append");
    for batch in BATCHES {
        let events = encoded_events(0..batch);
        group.throughput(Throughput::Elements(batch as u64));
        // Each sample starts from an empty database, so that the two sides append to tables of the same size.
        group.bench_with_input(BenchmarkId::new("factum", batch), &events, |bencher, events| {
            bencher.iter_custom(|iterations| {
                let database = Database::new();
                let store = SqliteStore::open_with(database.path(), factum_benches::store_options())
                    .expect("the store opens its own file");
                runtime.block_on(async {
                    let mut elapsed = Duration::ZERO;
                    for _ in 0..iterations {
                        let stream_id = new_stream_id();
                        let events = events.clone();
                        let start = Instant::now();
                        let outcome = store.append(&stream_id, ExpectedVersion::NoStream, events).await;
                        elapsed += start.elapsed();
                        black_box(outcome.expect("the append succeeds"));
                    }
                    elapsed
                })
            });
        });
        group.bench_with_input(BenchmarkId::new("raw", batch), &events, |bencher, events| {
            bencher.iter_custom(|iterations| {
                let database = Database::new();
                let mut raw = RawStore::open(&database.path()).expect("the baseline opens the store's file");
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    let stream_id = new_stream_id();
                    // The store is handed its rows and frees them when done: so is the baseline.
                    let events = events.clone();
                    let start = Instant::now();
                    let version = raw.append(&stream_id, 0, &events);
                    drop(events);
                    elapsed += start.elapsed();
                    black_box(version.expect("the append succeeds"));
                }
                elapsed
            });
        });
    }
    group.finish();
}

fn load(criterion: &mut Criterion, runtime: &Runtime) {
    let database = Database::new();
    let store =
        SqliteStore::open_with(database.path(), factum_benches::store_options()).expect("the store opens its own file");
    let stream_id = new_stream_id();
    runtime.block_on(async {
        for _ in 0..OTHER_ORDERS {
            let events = encoded_events(0..3);
            store.append(&new_stream_id(), ExpectedVersion::NoStream, events).await.expect("the setup appends");
        }
        for start in (0..LOADED_EVENTS).step_by(LOAD_SETUP_BATCH) {
            let events = encoded_events(start..(start + LOAD_SETUP_BATCH).min(LOADED_EVENTS));
            let expected = ExpectedVersion::Exact(start as u64);
            store.append(&stream_id, expected, events).await.expect("the setup appends");
        }
    });
    let raw = RawStore::open(&database.path()).expect("the baseline opens the store's file");

    // Both sides must fold to the same order, or the comparison means nothing.
    let loaded = runtime.block_on(factum::load::<Order, _>(&store, &stream_id)).expect("factum loads the order");
    let (state, version) = raw.load_order(&stream_id).expect("the baseline loads the order");
    assert_eq!((&loaded.state, loaded.version), (&state, version), "factum and the baseline disagree");
    assert_eq!(version, LOADED_EVENTS as u64);

    let mut group = criterion.benchmark_group("load");
    group.throughput(Throughput::Elements(LOADED_EVENTS as u64));
    group.bench_function(BenchmarkId::new("factum", LOADED_EVENTS), |bencher| {
        bencher.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(
                        factum::load::<Order, _>(&store, black_box(&stream_id)).await.expect("the load succeeds"),
                    );
                }
                start.elapsed()
            })
        });
    });
    group.bench_function(BenchmarkId::new("raw", LOADED_EVENTS), |bencher| {
        bencher.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(raw.load_order(black_box(&stream_id)).expect("the load succeeds"));
            }
            start.elapsed()
        });
    });
    group.finish();
}

fn project(criterion: &mut Criterion, runtime: &Runtime) {
    let database = Database::new();
    let store =
        SqliteStore::open_with(database.path(), factum_benches::store_options()).expect("the store opens its own file");
    let orders: Vec<String> = (0..PROJECTED_ORDERS).map(|_| new_stream_id()).collect();
    runtime.block_on(async {
        for round in 0..PROJECTED_ROUNDS {
            for order in &orders {
                let mut events = encoded_events(round..round + 1);
                if round == PROJECTED_ROUNDS - 1 {
                    // Every order ends shipped, so the projection sees every kind of event it subscribes to.
                    let shipped = OrderShipped { carrier: Some("DHL".to_owned()) };
                    events = vec![NewEvent::encode(&OrderEvent::from(shipped), Metadata::default()).expect("encodes")];
                }
                let events = events.into_iter().map(|event| event.with_aggregate_type("Order")).collect();
                let expected = ExpectedVersion::Exact(round as u64);
                store.append(order, expected, events).await.expect("the setup appends");
            }
        }
    });
    let raw = RawStore::open(&database.path()).expect("the baseline opens the store's file");
    let projected = || async {
        let mut runner = factum::ProjectionRunner::held(&store, OrderSummary(Summary::default()));
        runner.catch_up().await.expect("the projection runs");
        runner.into_projection().0
    };
    // Both sides must build the same summary, or the comparison means nothing.
    let summary = runtime.block_on(projected());
    assert_eq!(summary, raw.project_summary().expect("the baseline projects"), "factum and the baseline disagree");
    assert_eq!(summary.orders.len(), PROJECTED_ORDERS);

    let events = (PROJECTED_ORDERS * PROJECTED_ROUNDS) as u64;
    let mut group = criterion.benchmark_group("project");
    group.throughput(Throughput::Elements(events));
    group.bench_function(BenchmarkId::new("factum", events), |bencher| {
        bencher.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(projected().await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function(BenchmarkId::new("raw", events), |bencher| {
        bencher.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(raw.project_summary().expect("the baseline projects"));
            }
            start.elapsed()
        })
    });
    group.finish();
}
