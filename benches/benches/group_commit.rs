//! Group commit in the SQLite store: many concurrent single-event appends against one writer making the same appends
//! one after another, in one run, both with durable commits.
//!
//! - `group_commit/concurrent/64`: 64 tasks on a multi-threaded tokio runtime each append one order event to a stream
//!   of its own, through clones of one `SqliteStore`, all released at once; timed until the last append is
//!   acknowledged. The store commits the appends that wait together in one transaction and one fsync.
//! - `group_commit/sequential/64`: the baseline. One task makes the same 64 appends, awaiting each before the next,
//!   so each pays its own commit and fsync: the rate of one writer.
//!
//! Both stores are files opened with `Durability::Full` (`synchronous=FULL` in WAL mode, the default), so that every
//! acknowledged append has reached the disk; the files live under cargo's target directory, on a real disk rather
//! than a memory file system where a sync costs nothing. Each sample appends to fresh streams of the same file.
//!
//! The run ends with the throughput ratio (concurrent appends per second over the single writer's; goal at least 10)
//! and the worst latency of a concurrent append (from its release to its acknowledgement) over every sample, beside
//! the worst single append of the baseline.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::sqlite::{Durability, SqliteOptions, SqliteStore};
use factum::{EventStore, ExpectedVersion, NewEvent};
use factum_benches::fixtures::encoded_events;
use factum_benches::report::{self, Comparison, Target};
use tokio::runtime::Runtime;

/// The appends of one sample: one event each, to distinct streams.
const APPENDS: usize = 64;

/// The worst latency of a single append seen in each benchmark, in nanoseconds.
#[derive(Default)]
struct Worst {
    concurrent: AtomicU64,
    sequential: AtomicU64,
}

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().expect("a multi-threaded tokio runtime");
    let directory = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory on disk");
    let open = |name: &str| {
        let options = SqliteOptions::default().durability(Durability::Full);
        SqliteStore::open_with(directory.path().join(name), options).expect("a fresh database file opens")
    };
    let (concurrent_store, sequential_store) = (open("concurrent.db"), open("sequential.db"));
    let worst = Worst::default();
    let streams = AtomicU64::new(0);
    // The appends of one sample, made before it is timed: fresh stream ids, so that every append creates its stream,
    // and one encoded order event each (with an id of its own).
    let fresh_appends = || -> Vec<(String, NewEvent)> {
        let names = (0..APPENDS).map(|_| format!("Order-{}", streams.fetch_add(1, Ordering::Relaxed)));
        names.zip(encoded_events(0..APPENDS)).collect()
    };

    let mut group = criterion.benchmark_group("group_commit");
    group.throughput(Throughput::Elements(APPENDS as u64));
    group.bench_function(BenchmarkId::new("concurrent", APPENDS), |bencher| {
        bencher.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let (elapsed, slowest) = concurrent(&runtime, &concurrent_store, fresh_appends());
                total += elapsed;
                worst.concurrent.fetch_max(slowest.as_nanos() as u64, Ordering::Relaxed);
            }
            total
        });
    });
    group.bench_function(BenchmarkId::new("sequential", APPENDS), |bencher| {
        bencher.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let (elapsed, slowest) = sequential(&runtime, &sequential_store, fresh_appends());
                total += elapsed;
                worst.sequential.fetch_max(slowest.as_nanos() as u64, Ordering::Relaxed);
            }
            total
        });
    });
    group.finish();

    criterion.final_summary();
    let comparison = Comparison {
        label: format!("{APPENDS} concurrent appends vs one writer"),
        factum: format!("group_commit/concurrent/{APPENDS}"),
        raw: format!("group_commit/sequential/{APPENDS}"),
        rows: APPENDS as u64,
        target: Target::ThroughputAtLeast(10.0),
    };
    println!("\n{}", report::render("Group commit vs one writer (durability: full)", &output, started, &[comparison]));
    let millis = |nanos: &AtomicU64| nanos.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "worst append latency: {:.2} ms concurrent ({APPENDS} at once), {:.2} ms for one append of the single writer",
        millis(&worst.concurrent),
        millis(&worst.sequential)
    );
}

/// Makes each of `appends` (a stream and its one event) from its own task, all released at once; returns the time
/// until the last was acknowledged and the slowest append's latency.
fn concurrent(runtime: &Runtime, store: &SqliteStore, appends: Vec<(String, NewEvent)>) -> (Duration, Duration) {
    runtime.block_on(async {
        let slowest = Arc::new(Mutex::new(Duration::ZERO));
        let start = Instant::now();
        let tasks: Vec<_> = appends
            .into_iter()
            .map(|(stream_id, event)| {
                let (store, slowest) = (store.clone(), Arc::clone(&slowest));
                tokio::spawn(async move {
                    store.append(&stream_id, ExpectedVersion::NoStream, vec![event]).await.expect("an append commits");
                    let latency = start.elapsed();
                    let mut slowest = slowest.lock().expect("no task panicked");
                    *slowest = (*slowest).max(latency);
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("an append task finished");
        }
        let elapsed = start.elapsed();
        let slowest = *slowest.lock().expect("no task panicked");
        (elapsed, slowest)
    })
}

/// Makes each of `appends` in turn, each awaited before the next; returns the time taken and the slowest append's
/// latency.
fn sequential(runtime: &Runtime, store: &SqliteStore, appends: Vec<(String, NewEvent)>) -> (Duration, Duration) {
    runtime.block_on(async {
        let (start, mut slowest) = (Instant::now(), Duration::ZERO);
        for (stream_id, event) in appends {
            let appended = Instant::now();
            store.append(&stream_id, ExpectedVersion::NoStream, vec![event]).await.expect("an append commits");
            slowest = slowest.max(appended.elapsed());
        }
        (start.elapsed(), slowest)
    })
}
