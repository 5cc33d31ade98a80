//! Loading a long stream from a snapshot against folding it whole, on the SQLite store, in one run.
//!
//! - `snapshot_load/{snapshot,fold}/N`: `CommandService::load` of an order stream of N events, by a service with
//!   `SnapshotPolicy::Every(100)` whose stream's snapshot is at version N - 100, against a service without snapshots,
//!   which folds all N events. The tail after the snapshot is 100 events, one more than `Every(100)` ever leaves,
//!   so the ratio is a worst case for that policy. Goal: at least 20 times the loads per second.
//!
//! Under `cargo test --benches` the stream is small (see `report::timed`). Setup is never timed.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::sqlite::SqliteStore;
use factum::{load_as_of, save_snapshot, Aggregate, AsOf, CommandService, EventStore, ExpectedVersion, SnapshotPolicy};
use factum_benches::fixtures::encoded_events;
use factum_benches::report::{self, Comparison, Target};
use orders_example::schema::Order;
use tokio::runtime::Runtime;

/// The events of the loaded stream in a timed run, and in a checking run.
const TIMED: usize = 10_000;
const CHECKED: usize = 300;
/// How many events the policy of the benchmark takes a snapshot after.
const EVERY: u64 = 100;

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
    let loaded = if report::timed() { TIMED } else { CHECKED };

    snapshot_load(&mut criterion, &runtime, loaded);

    criterion.final_summary();
    let comparisons = [Comparison {
        label: format!("load {loaded} events from a snapshot"),
        factum: format!("snapshot_load/snapshot/{loaded}"),
        raw: format!("snapshot_load/fold/{loaded}"),
        rows: loaded as u64,
        target: Target::ThroughputAtLeast(20.0),
    }];
    println!("\n{}", report::render("Snapshots vs folding the whole stream", &output, started, &comparisons));
}

fn snapshot_load(criterion: &mut Criterion, runtime: &Runtime, loaded: usize) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(directory.path().join("events.sqlite")).expect("a new SQLite store");
    let id = factum::types::Uuid::from_u128(0x0190_f000_0000_7000_8000_0000_0000_0001);
    let stream_id = Order::stream_id(&id);
    let snapshot_version = loaded as u64 - EVERY;
    runtime.block_on(async {
        for start in (0..loaded).step_by(1_000) {
            let events = encoded_events(start..(start + 1_000).min(loaded));
            store.append(&stream_id, ExpectedVersion::Exact(start as u64), events).await.expect("the setup appends");
        }
        let then = load_as_of::<Order, _>(&store, &stream_id, AsOf::Version(snapshot_version)).await.expect("a load");
        assert_eq!(then.version, snapshot_version);
        save_snapshot::<Order, _>(&store, &stream_id, &then.state, then.version).await.expect("the snapshot");
    });
    let with_snapshots = CommandService::<Order, _>::new(store.clone()).with_snapshots(SnapshotPolicy::Every(EVERY));
    let folding = CommandService::<Order, _>::new(store.clone());
    // Both sides must load the same order, or the comparison means nothing.
    let from_snapshot = runtime.block_on(with_snapshots.load(&id)).expect("a load");
    let whole = runtime.block_on(folding.load(&id)).expect("a load");
    assert_eq!((&from_snapshot.state, from_snapshot.version), (&whole.state, whole.version));
    assert_eq!(whole.version, loaded as u64);

    let mut group = criterion.benchmark_group("snapshot_load");
    group.throughput(Throughput::Elements(loaded as u64));
    for (name, service) in [("snapshot", &with_snapshots), ("fold", &folding)] {
        group.bench_function(BenchmarkId::new(name, loaded), |bencher| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iterations {
                        black_box(service.load(black_box(&id)).await.expect("the load succeeds"));
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}
