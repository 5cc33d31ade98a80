//! Loads from the SQLite store while other tasks append to it, against the same loads with nobody appending, in one
//! run.
//!
//! - `reads/beside_writers/100`: one task loads a stream of 100 order events (`fold_stream`, as a command's load
//!   does), again and again, while 16 tasks append single events to streams of their own, without pause, through
//!   clones of the same `SqliteStore`, each append committed durably (`Durability::Full`) by the group-commit writer.
//! - `reads/alone/100`: the baseline. The same loads of the same file, with no writer.
//!
//! Reads take read-only connections of their own, so a load should cost about the same either way rather than queue
//! behind the writer's transactions and syncs. The file lives under cargo's target directory, on a real disk. The run
//! ends with the time ratio (a load beside writers over a load alone) and the worst single load beside the writers.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::sqlite::{Durability, SqliteOptions, SqliteStore};
use factum::{EventStore, ExpectedVersion};
use factum_benches::fixtures::encoded_events;
use factum_benches::report::{self, Comparison, Target};
use tokio::runtime::Runtime;

/// The events of the stream each load folds.
const EVENTS: usize = 100;
/// The tasks appending while the loads run.
const WRITERS: usize = 16;
/// The stream the loads fold.
const LOADED: &str = "Order-loaded";

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
    let options = SqliteOptions::default().durability(Durability::Full);
    let store = SqliteStore::open_with(directory.path().join("reads.db"), options).expect("a fresh file opens");
    runtime
        .block_on(store.append(LOADED, ExpectedVersion::NoStream, encoded_events(0..EVENTS)))
        .expect("the loaded stream is written");
    let worst = AtomicU64::new(0);

    let mut group = criterion.benchmark_group("reads");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function(BenchmarkId::new("alone", EVENTS), |bencher| {
        bencher.iter_custom(|iterations| loads(&runtime, &store, iterations).0);
    });
    let writers = Writers::start(&runtime, &store);
    group.bench_function(BenchmarkId::new("beside_writers", EVENTS), |bencher| {
        bencher.iter_custom(|iterations| {
            let (total, slowest) = loads(&runtime, &store, iterations);
            worst.fetch_max(slowest.as_nanos() as u64, Ordering::Relaxed);
            total
        });
    });
    let appended = writers.stop(&runtime);
    group.finish();

    criterion.final_summary();
    let comparison = Comparison {
        label: format!("load {EVENTS} events beside {WRITERS} writers vs alone"),
        factum: format!("reads/beside_writers/{EVENTS}"),
        raw: format!("reads/alone/{EVENTS}"),
        rows: EVENTS as u64,
        target: Target::TimeAtMost(TARGET),
    };
    println!("\n{}", report::render("Loads beside appends (durability: full)", &output, started, &[comparison]));
    let millis = worst.load(Ordering::Relaxed) as f64 / 1e6;
    println!("worst load beside the writers: {millis:.2} ms; the writers appended {appended} events meanwhile");
}

/// The most a load beside the writers may take, as a multiple of a load alone.
const TARGET: f64 = 2.0;

/// Loads the stream `iterations` times, one after another; returns the time taken and the slowest load.
fn loads(runtime: &Runtime, store: &SqliteStore, iterations: u64) -> (Duration, Duration) {
    runtime.block_on(async {
        let (start, mut slowest) = (Instant::now(), Duration::ZERO);
        for _ in 0..iterations {
            let loaded = Instant::now();
            let count = store
                .fold_stream(LOADED, 1, 0usize, |count, _| {
                    *count += 1;
                    Ok(())
                })
                .await
                .expect("the stream loads");
            assert_eq!(count, EVENTS, "the whole stream is loaded");
            slowest = slowest.max(loaded.elapsed());
        }
        (start.elapsed(), slowest)
    })
}

/// The tasks appending without pause until stopped.
struct Writers {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<u64>>,
}

impl Writers {
    fn start(runtime: &Runtime, store: &SqliteStore) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..WRITERS)
            .map(|writer| {
                let (store, stop) = (store.clone(), Arc::clone(&stop));
                runtime.spawn(async move {
                    let stream_id = format!("Order-writer-{writer}");
                    let mut appended = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let event = encoded_events(0..1);
                        store.append(&stream_id, ExpectedVersion::Any, event).await.expect("an append commits");
                        appended += 1;
                    }
                    appended
                })
            })
            .collect();
        Writers { stop, tasks }
    }

    /// Stops the writers; returns how many events they appended.
    fn stop(self, runtime: &Runtime) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        runtime.block_on(async {
            let mut appended = 0;
            for task in self.tasks {
                appended += task.await.expect("a writer finished");
            }
            appended
        })
    }
}
