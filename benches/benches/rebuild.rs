//! A transactional projection's rebuild against a hand-written loop doing the same work (`factum_benches::raw_tables`),
//! in one run, on the same SQLite file, both with `synchronous=NORMAL` (`factum_benches::store_options`,
//! `Durability::Relaxed`).
//!
//! - `rebuild/{factum,raw}/1000000`: the `OrderSummary` tables (`orders_example::OrderTables`: a row per order and
//!   running totals) rebuilt from a log of 1,000,000 events (100,000 orders of 10 events, interleaved as orders come
//!   and go; the projection subscribes to 6 in 10 of them), 512 events per transaction:
//!   `TransactionalRunner::rebuild` against a loop running the store's SQL, decoding each row where it lies and
//!   calling the same handler methods inside the same transactions, checkpoint included.
//!
//! Under `cargo test --benches` each runs once on 2,000 events. The run ends with the ratio of the medians.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::sqlite::{SqliteStore, TransactionalRunner};
use factum::{EventStore, ExpectedVersion, Metadata, NewEvent, PROJECTION_BATCH};
use factum_benches::fixtures::encoded_events;
use factum_benches::raw_tables::RawTables;
use factum_benches::report::{self, Comparison, Target};
use orders_example::schema::{OrderEvent, OrderShipped, OrderSummary};
use orders_example::OrderTables;

/// The orders of the log, and the events of each, when timed.
const ORDERS: usize = 100_000;
const ROUNDS: usize = 10;
/// The orders of the log when the benchmark only runs once to check it.
const ORDERS_CHECKED: usize = 200;

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let orders = if report::timed() { ORDERS } else { ORDERS_CHECKED };
    let events = rebuild(&mut criterion, orders);
    criterion.final_summary();
    let comparison = Comparison {
        label: format!("rebuild {events} events in tables"),
        factum: format!("rebuild/factum/{events}"),
        raw: format!("rebuild/raw/{events}"),
        rows: events,
        target: Target::ThroughputReported,
    };
    println!("\n{}", report::render("TransactionalRunner vs raw rusqlite", &output, started, &[comparison]));
}

/// Fills a store with `orders` orders of [`ROUNDS`] events and benchmarks both rebuilds on it; returns the number of
/// events in the log.
fn rebuild(criterion: &mut Criterion, orders: usize) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a current-thread tokio runtime");
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("events.sqlite");
    let store = SqliteStore::open_with(&path, factum_benches::store_options()).expect("a new SQLite store");
    let streams: Vec<String> = (0..orders).map(|_| format!("Order-{}", factum::types::Uuid::new_v4())).collect();
    runtime.block_on(async {
        for round in 0..ROUNDS {
            for stream in &streams {
                let mut events = encoded_events(round..round + 1);
                if round == ROUNDS - 1 {
                    // Every order ends shipped, so the projection sees every kind of event it subscribes to.
                    let shipped = OrderShipped { carrier: Some("DHL".to_owned()) };
                    events = vec![NewEvent::encode(&OrderEvent::from(shipped), Metadata::default()).expect("encodes")];
                }
                let events = events.into_iter().map(|event| event.with_aggregate_type("Order")).collect();
                store.append(stream, ExpectedVersion::Exact(round as u64), events).await.expect("the setup appends");
            }
        }
    });
    let mut raw = RawTables::open(&path).expect("the baseline opens the store's file");
    let mut runner = TransactionalRunner::new(store.clone(), OrderSummary(OrderTables));

    // Both sides must build the same tables, or the comparison means nothing.
    let events = (orders * ROUNDS) as u64;
    let next = runtime.block_on(runner.rebuild(|_| {})).expect("factum rebuilds");
    let factum_tables = runtime.block_on(store.read_tables(OrderTables::read)).expect("the tables read back");
    assert_eq!(raw.rebuild(PROJECTION_BATCH).expect("the baseline rebuilds"), next);
    let raw_tables = OrderTables::read(raw.connection()).expect("the tables read back");
    assert_eq!(factum_tables, raw_tables, "factum and the baseline disagree");
    assert_eq!((factum_tables.orders.len(), next), (orders, events + 1));

    let mut group = criterion.benchmark_group("rebuild");
    group.throughput(Throughput::Elements(events));
    group.bench_function(BenchmarkId::new("factum", events), |bencher| {
        bencher.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(
                        runner
                            .rebuild(|progress| {
                                black_box(progress);
                            })
                            .await
                            .expect("factum rebuilds"),
                    );
                }
                start.elapsed()
            })
        });
    });
    group.bench_function(BenchmarkId::new("raw", events), |bencher| {
        bencher.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(raw.rebuild(PROJECTION_BATCH).expect("the baseline rebuilds"));
            }
            start.elapsed()
        })
    });
    group.finish();
    events
}
