//! Time travel and batches on the SQLite store, each against the plain operation it refines, in one run.
//!
//! - `load_as_of/{factum,load}/N`: loading an order stream of N events as of an instant after all of them
//!   (`load_as_of`, `AsOf::Time`: the store tests each row's time in SQL) against `factum::load` of the same stream.
//!   The time bound should cost next to nothing.
//! - `project_as_of/{factum,catch_up}/N`: the `OrderSummary` projection as of an instant after every event of
//!   a log of N (`project_as_of`, one read) against `ProjectionRunner::held(..).catch_up()` from the start (reads of
//!   512).
//! - `import/{batch,one_append}/N`: N order events as one `append_batch` of N appends of one event each, interleaved
//!   over N/10 streams the way an imported log interleaves them, against the same events as one append to one
//!   stream, the store's fastest write: what the bookkeeping of a batch (one expectation check per append) costs.
//!
//! Under `cargo test --benches` each input is small (see `report::timed`). Setup is never timed.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::sqlite::SqliteStore;
use factum::store::StreamAppend;
use factum::{load, load_as_of, project_as_of, AsOf, EventStore, ExpectedVersion, LogAsOf, NewEvent, Timestamp};
use factum_benches::fixtures::encoded_events;
use factum_benches::report::{self, Comparison, Target};
use orders_example::schema::{Order, OrderSummary};
use orders_example::Summary;
use tempfile::TempDir;
use tokio::runtime::Runtime;

/// The sizes of a timed run and of a checking run: events loaded, orders projected (10 events each), events imported.
const TIMED: Sizes = Sizes { loaded: 10_000, projected_orders: 10_000, imported: 10_000 };
const CHECKED: Sizes = Sizes { loaded: 100, projected_orders: 20, imported: 100 };
/// The events of each order of the projected log.
const PROJECTED_ROUNDS: usize = 10;

#[derive(Debug, Clone, Copy)]
struct Sizes {
    loaded: usize,
    projected_orders: usize,
    imported: usize,
}

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
    let sizes = if report::timed() { TIMED } else { CHECKED };

    load_as_of_time(&mut criterion, &runtime, sizes.loaded);
    project_as_of_time(&mut criterion, &runtime, sizes.projected_orders);
    import(&mut criterion, &runtime, sizes.imported);

    criterion.final_summary();
    println!(
        "\n{}",
        report::render("Time travel and batches vs the plain operations", &output, started, &comparisons(sizes))
    );
}

/// The lines of the final table.
fn comparisons(sizes: Sizes) -> Vec<Comparison> {
    let projected = sizes.projected_orders * PROJECTED_ROUNDS;
    vec![
        Comparison {
            label: format!("load {} events as of an instant", sizes.loaded),
            factum: format!("load_as_of/factum/{}", sizes.loaded),
            raw: format!("load_as_of/load/{}", sizes.loaded),
            rows: sizes.loaded as u64,
            target: Target::TimeAtMost(1.15),
        },
        Comparison {
            label: format!("project {projected} events as of an instant"),
            factum: format!("project_as_of/factum/{projected}"),
            raw: format!("project_as_of/catch_up/{projected}"),
            rows: projected as u64,
            target: Target::TimeAtMost(1.15),
        },
        Comparison {
            label: format!("import {} events as a batch", sizes.imported),
            factum: format!("import/batch/{}", sizes.imported),
            raw: format!("import/one_append/{}", sizes.imported),
            rows: sizes.imported as u64,
            target: Target::ThroughputReported,
        },
    ]
}

/// A store on a database file in a directory of its own, deleted with it.
fn database() -> (TempDir, SqliteStore) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(directory.path().join("events.sqlite")).expect("a new SQLite store");
    (directory, store)
}

/// A time after every event of the benchmarks, so that a cut there selects everything.
fn after_everything() -> Timestamp {
    Timestamp::MAX_UTC
}

fn load_as_of_time(criterion: &mut Criterion, runtime: &Runtime, loaded: usize) {
    let (_directory, store) = database();
    let stream_id = "Order-loaded";
    runtime.block_on(async {
        for start in (0..loaded).step_by(1_000) {
            let events = encoded_events(start..(start + 1_000).min(loaded));
            store.append(stream_id, ExpectedVersion::Exact(start as u64), events).await.expect("the setup appends");
        }
    });
    let instant = after_everything();
    // Both sides must fold to the same order, or the comparison means nothing.
    let cut = runtime.block_on(load_as_of::<Order, _>(&store, stream_id, AsOf::Time(instant))).expect("a load");
    let whole = runtime.block_on(load::<Order, _>(&store, stream_id)).expect("a load");
    assert_eq!((&cut.state, cut.version), (&whole.state, whole.version));
    assert_eq!(cut.version, loaded as u64);

    let mut group = criterion.benchmark_group("load_as_of");
    group.throughput(Throughput::Elements(loaded as u64));
    group.bench_function(BenchmarkId::new("factum", loaded), |bencher| {
        bencher.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    let as_of = AsOf::Time(black_box(instant));
                    black_box(load_as_of::<Order, _>(&store, stream_id, as_of).await.expect("the load succeeds"));
                }
                start.elapsed()
            })
        });
    });
    group.bench_function(BenchmarkId::new("load", loaded), |bencher| {
        bencher.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(load::<Order, _>(&store, black_box(stream_id)).await.expect("the load succeeds"));
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn project_as_of_time(criterion: &mut Criterion, runtime: &Runtime, orders: usize) {
    let (_directory, store) = database();
    // One batch writes the whole log: round by round, every order's next event.
    let appends = (0..PROJECTED_ROUNDS)
        .flat_map(|round| {
            (0..orders).map(move |order| {
                let events = encoded_events(round..round + 1);
                let events = events.into_iter().map(|event| event.with_aggregate_type("Order")).collect();
                StreamAppend::new(
                    format!("Order-{}", factum::types::Uuid::from_u128(order as u128)),
                    ExpectedVersion::Exact(round as u64),
                    events,
                )
            })
        })
        .collect();
    runtime.block_on(store.append_batch(appends)).expect("the setup appends");
    let instant = after_everything();
    let as_of = || async {
        let summary = OrderSummary(Summary::default());
        project_as_of(&store, summary, LogAsOf::Time(black_box(instant))).await.expect("the projection runs").0
    };
    let caught_up = || async {
        let mut runner = factum::ProjectionRunner::held(&store, OrderSummary(Summary::default()));
        runner.catch_up().await.expect("the projection runs");
        runner.into_projection().0
    };
    let summary = runtime.block_on(as_of());
    assert_eq!(summary, runtime.block_on(caught_up()), "the two runs disagree");
    assert_eq!(summary.orders.len(), orders);

    let events = (orders * PROJECTED_ROUNDS) as u64;
    let mut group = criterion.benchmark_group("project_as_of");
    group.throughput(Throughput::Elements(events));
    group.bench_function(BenchmarkId::new("factum", events), |bencher| {
        bencher.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(as_of().await);
                }
                start.elapsed()
            })
        });
    });
    group.bench_function(BenchmarkId::new("catch_up", events), |bencher| {
        bencher.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(caught_up().await);
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

/// The events of the import benchmark as appends of one event each, interleaved over `events / 10` streams.
fn interleaved(events: &[NewEvent]) -> Vec<StreamAppend> {
    let streams = (events.len() / 10).max(1);
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let (stream, version) = (index % streams, index / streams);
            StreamAppend::new(format!("Order-{stream}"), ExpectedVersion::Exact(version as u64), vec![event.clone()])
        })
        .collect()
}

fn import(criterion: &mut Criterion, runtime: &Runtime, imported: usize) {
    let mut group = criterion.benchmark_group("import");
    group.throughput(Throughput::Elements(imported as u64));
    // Each sample starts from an empty database, and every event has a fresh id, as a real import's would.
    group.bench_function(BenchmarkId::new("batch", imported), |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let (_directory, store) = database();
                let appends = interleaved(&encoded_events(0..imported));
                let start = Instant::now();
                let outcomes = runtime.block_on(store.append_batch(appends));
                elapsed += start.elapsed();
                assert_eq!(black_box(outcomes.expect("the batch succeeds")).len(), imported);
            }
            elapsed
        });
    });
    group.bench_function(BenchmarkId::new("one_append", imported), |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let (_directory, store) = database();
                let events = encoded_events(0..imported);
                let start = Instant::now();
                let outcome = runtime.block_on(store.append("Order-0", ExpectedVersion::NoStream, events));
                elapsed += start.elapsed();
                black_box(outcome.expect("the append succeeds"));
            }
            elapsed
        });
    });
    group.finish();
}
