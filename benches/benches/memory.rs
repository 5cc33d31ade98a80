//! Loading an aggregate from the in-memory store against a store of typed events, in one run.
//!
//! - `memory_load/{factum,typed}/N`: `CommandService::load` of an order stream of N events from `MemoryStore`
//!   (whose events are appended encoded, exactly as on SQLite) against the way a store that keeps events as typed
//!   values loads them, as cqrs-es's `MemStore` does: the stream's typed events cloned out under a read lock, then
//!   applied one by one. Goal: at least the typed store's loads per second.
//!
//! - `memory_first_load/factum/N`: the first load of a stream of N events just appended, which decodes every payload
//!   and keeps what it decoded, against the same typed store: what the first load of an aggregate costs, reported
//!   without a goal.
//!
//! `memory_load` does not time the first load: `MemoryStore` decodes each event's payload the first time a fold
//! reads it and lends the decoded event afterwards (see `factum::store::memory`), so what it times is a long-lived
//! aggregate's every later load. Under `cargo test --benches` the stream is small (see `report::timed`).

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::memory::MemoryStore;
use factum::{Aggregate, CommandService, EventStore, ExpectedVersion};
use factum_benches::fixtures::{encoded_events, order_event};
use factum_benches::report::{self, Comparison, Target};
use orders_example::schema::{Order, OrderEvent, OrderState};
use tokio::runtime::Runtime;

/// The events of the loaded stream in a timed run, and in a checking run.
const TIMED: &[usize] = &[1_000, 10_000];
const CHECKED: &[usize] = &[100];

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a current-thread tokio runtime");
    let sizes = if report::timed() { TIMED } else { CHECKED };

    for &loaded in sizes {
        memory_load(&mut criterion, &runtime, loaded);
    }
    let first_loaded = sizes[0];
    first_load(&mut criterion, &runtime, first_loaded);

    criterion.final_summary();
    let mut comparisons: Vec<Comparison> = sizes
        .iter()
        .map(|&loaded| Comparison {
            label: format!("load {loaded} events from memory"),
            factum: format!("memory_load/factum/{loaded}"),
            raw: format!("memory_load/typed/{loaded}"),
            rows: loaded as u64,
            target: Target::ThroughputAtLeast(1.0),
        })
        .collect();
    comparisons.push(Comparison {
        label: format!("first load of {first_loaded} events"),
        factum: format!("memory_first_load/factum/{first_loaded}"),
        raw: format!("memory_load/typed/{first_loaded}"),
        rows: first_loaded as u64,
        target: Target::ThroughputReported,
    });
    println!("\n{}", report::render("The in-memory store vs a store of typed events", &output, started, &comparisons));
}

/// A store of typed events, as cqrs-es's `MemStore` keeps them: each stream's events behind one lock, by stream id.
#[derive(Default)]
struct TypedStore {
    streams: RwLock<HashMap<String, Vec<OrderEvent>>>,
}

impl TypedStore {
    /// Clones the stream's events out under the read lock, then folds them, as `MemStore::load_aggregate` does.
    fn load(&self, stream_id: &str) -> (OrderState, u64) {
        let events: Vec<OrderEvent> =
            self.streams.read().expect("an unpoisoned lock").get(stream_id).into_iter().flatten().cloned().collect();
        let mut state = OrderState::default();
        let mut version = 0;
        for event in events {
            Order::evolve(&mut state, &event);
            version += 1;
        }
        (state, version)
    }
}

fn memory_load(criterion: &mut Criterion, runtime: &Runtime, loaded: usize) {
    let store = MemoryStore::new();
    let id = factum::types::Uuid::from_u128(0x0190_f000_0000_7000_8000_0000_0000_0001);
    let stream_id = Order::stream_id(&id);
    runtime.block_on(async {
        for start in (0..loaded).step_by(1_000) {
            let events = encoded_events(start..(start + 1_000).min(loaded));
            store.append(&stream_id, ExpectedVersion::Exact(start as u64), events).await.expect("the setup appends");
        }
    });
    let typed = TypedStore::default();
    typed
        .streams
        .write()
        .expect("an unpoisoned lock")
        .insert(stream_id.clone(), (0..loaded).map(order_event).collect());
    let service = CommandService::<Order, _>::new(store);
    // Both sides must load the same order, or the comparison means nothing; this is also the untimed first load.
    let from_memory = runtime.block_on(service.load(&id)).expect("a load");
    let (typed_state, typed_version) = typed.load(&stream_id);
    assert_eq!((&from_memory.state, from_memory.version), (&typed_state, typed_version));
    assert_eq!(typed_version, loaded as u64);

    let mut group = criterion.benchmark_group("memory_load");
    group.throughput(Throughput::Elements(loaded as u64));
    group.bench_function(BenchmarkId::new("factum", loaded), |bencher| {
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
    group.bench_function(BenchmarkId::new("typed", loaded), |bencher| {
        bencher.iter(|| black_box(typed.load(black_box(&stream_id))));
    });
    group.finish();
}

fn first_load(criterion: &mut Criterion, runtime: &Runtime, loaded: usize) {
    let id = factum::types::Uuid::from_u128(0x0190_f000_0000_7000_8000_0000_0000_0002);
    let stream_id = Order::stream_id(&id);
    // Encoded once; each timed load gets a fresh store holding a copy, appended outside the timed part just before
    // it (one setup per iteration, so that the load finds the events where an append leaves them, in the cache).
    let events = encoded_events(0..loaded);
    let fresh = || {
        let store = MemoryStore::new();
        runtime
            .block_on(store.append(&stream_id, ExpectedVersion::NoStream, events.clone()))
            .expect("the setup appends");
        CommandService::<Order, _>::new(store)
    };
    let mut group = criterion.benchmark_group("memory_first_load");
    group.throughput(Throughput::Elements(loaded as u64));
    group.bench_function(BenchmarkId::new("factum", loaded), |bencher| {
        bencher.iter_batched(
            fresh,
            |service| {
                let loaded = runtime.block_on(service.load(&id)).expect("the load succeeds");
                // The store is dropped outside the timed part, with what it kept.
                (black_box(loaded), service)
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
}
