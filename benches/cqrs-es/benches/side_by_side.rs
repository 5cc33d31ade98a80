//! Factum against cqrs-es on the same bank account, both in memory, in one run.
//!
//! - `command/{factum,factum-snapshots,cqrs-es}/N`: one deposit handled on an account whose stream holds N events
//!   (load, decide, append): Factum's `CommandService` over its `MemoryStore`, without snapshots and with
//!   `SnapshotPolicy::Every(100)`, against cqrs-es's `CqrsFramework` over its `MemStore`. Every N / 10 commands (at
//!   least every command) the account is replaced by a fresh one of N events, outside the timed part, so the stream
//!   stays within 10% of N. Goal with snapshots at 1,000 events: at least 10 times cqrs-es's commands per second.
//! - `rehydrate/{factum,cqrs-es}/N`: loading an account of N events without snapshots (`CommandService::load`
//!   against `MemStore::load_aggregate`). Goal: at least cqrs-es's loads per second.
//! - `println/cqrs-es`: the line `MemStore` prints on every load and every commit (`loading: ...`, `storing: ...`),
//!   alone: part of cqrs-es's times above, shown so that the reader can take it out.
//!
//! Each account is loaded once before it is timed: `MemoryStore` decodes an event's payload the first time a fold
//! reads it and lends the decoded event afterwards, so what is timed is the steady state of a long-lived aggregate on
//! both sides. Setup is never timed. Under `cargo test --benches` the accounts are small (see `report::timed`).
//!
//! cqrs-es prints a line per load and per commit; run with its lines filtered out (see the README).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

use cqrs_es::mem_store::MemStore;
use cqrs_es::{CqrsFramework, EventStore};
use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::memory::MemoryStore;
use factum::{CommandService, SnapshotPolicy};
use factum_benches::report::{self, Comparison, Target};
use factum_cqrs_es::factum_side::schema::BankAccount;
use factum_cqrs_es::{balance_after, cqrs_deposit, cqrs_side, factum_deposit, factum_side, time_commands};
use tokio::runtime::Runtime;

/// The stream lengths of a timed run and of a checking run.
const TIMED: Sizes = Sizes { commands: &[10, 100, 1_000], rehydrated: &[1_000, 10_000] };
const CHECKED: Sizes = Sizes { commands: &[10, 100], rehydrated: &[100] };
/// How many events the snapshot policy of the `factum-snapshots` side takes a snapshot after.
const EVERY: u64 = 100;

#[derive(Debug, Clone, Copy)]
struct Sizes {
    commands: &'static [usize],
    rehydrated: &'static [usize],
}

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

    for &events in sizes.commands {
        command(&mut criterion, &runtime, events);
    }
    for &events in sizes.rehydrated {
        rehydrate(&mut criterion, &runtime, events);
    }
    criterion.bench_function("println/cqrs-es", |bencher| {
        bencher.iter(|| println!("loading: {} events for aggregate ID '{}'", black_box(1_000), black_box("id")));
    });

    criterion.final_summary();
    println!("\n{}", report::render("Factum vs cqrs-es, in memory", &output, started, &comparisons(sizes)));
}

/// The lines of the final table.
fn comparisons(sizes: Sizes) -> Vec<Comparison> {
    let mut comparisons = Vec::new();
    let largest = sizes.commands.iter().copied().max().unwrap_or(0);
    for &events in sizes.commands {
        comparisons.push(Comparison {
            label: format!("command at {events} events"),
            factum: format!("command/factum/{events}"),
            raw: format!("command/cqrs-es/{events}"),
            rows: 1,
            target: Target::ThroughputReported,
        });
        comparisons.push(Comparison {
            label: format!("command at {events} events, snapshots"),
            factum: format!("command/factum-snapshots/{events}"),
            raw: format!("command/cqrs-es/{events}"),
            rows: 1,
            target: if events == largest { Target::ThroughputAtLeast(10.0) } else { Target::ThroughputReported },
        });
    }
    for &events in sizes.rehydrated {
        comparisons.push(Comparison {
            label: format!("rehydrate {events} events"),
            factum: format!("rehydrate/factum/{events}"),
            raw: format!("rehydrate/cqrs-es/{events}"),
            rows: events as u64,
            target: Target::ThroughputAtLeast(1.0),
        });
    }
    comparisons
}

/// A Factum account of `events` events in a store of its own, loaded once; with snapshots, its snapshot is taken.
fn factum_account(
    runtime: &Runtime,
    events: usize,
    snapshots: bool,
) -> (CommandService<BankAccount, MemoryStore>, Uuid) {
    let store = MemoryStore::new();
    let id = Uuid::new_v4();
    runtime.block_on(async {
        factum_side::seed(&store, &id, events - 1).await.expect("the setup appends");
        let service = CommandService::<BankAccount, _>::new(store);
        let service = if snapshots {
            let service = service.with_snapshots(SnapshotPolicy::Every(EVERY));
            service.take_snapshot(&id).await.expect("the snapshot");
            service
        } else {
            service
        };
        let loaded = service.load(&id).await.expect("a load");
        assert_eq!((loaded.version, loaded.state.balance), (events as u64, balance_after(events - 1)));
        (service, id)
    })
}

type Uuid = factum::types::Uuid;
type CqrsAccounts = CqrsFramework<cqrs_side::BankAccount, MemStore<cqrs_side::BankAccount>>;

/// A cqrs-es account of `events` events in a store of its own, loaded once.
fn cqrs_account(runtime: &Runtime, events: usize) -> (CqrsAccounts, MemStore<cqrs_side::BankAccount>, String) {
    let store = MemStore::default();
    let id = Uuid::new_v4().to_string();
    runtime.block_on(async {
        cqrs_side::seed(&store, &id, events - 1).await.expect("the setup commits");
        let loaded = store.load_aggregate(&id).await.expect("a load");
        assert_eq!((loaded.current_sequence, loaded.aggregate.balance), (events, balance_after(events - 1)));
    });
    (CqrsFramework::new(store.clone(), Vec::new(), ()), store, id)
}

fn command(criterion: &mut Criterion, runtime: &Runtime, events: usize) {
    // Both sides must decide the same: one deposit on an account of `events` events leaves the same balance.
    let (service, id) = factum_account(runtime, events, false);
    let handled = runtime.block_on(service.handle(&id, factum_deposit())).expect("the deposit");
    let (cqrs, store, cqrs_id) = cqrs_account(runtime, events);
    runtime.block_on(cqrs.execute(&cqrs_id, cqrs_deposit())).expect("the deposit");
    let after = runtime.block_on(store.load_aggregate(&cqrs_id)).expect("a load");
    assert_eq!(handled.state.balance, after.aggregate.balance);
    assert_eq!(handled.stream_version, after.current_sequence as u64);

    let mut group = criterion.benchmark_group("command");
    group.throughput(Throughput::Elements(1));
    for (name, snapshots) in [("factum", false), ("factum-snapshots", true)] {
        group.bench_function(BenchmarkId::new(name, events), |bencher| {
            bencher.iter_custom(|iterations| {
                time_commands(
                    iterations,
                    events,
                    || factum_account(runtime, events, snapshots),
                    |(service, id)| {
                        let handled = runtime.block_on(service.handle(id, factum_deposit())).expect("the deposit");
                        black_box(handled);
                    },
                )
            });
        });
    }
    group.bench_function(BenchmarkId::new("cqrs-es", events), |bencher| {
        bencher.iter_custom(|iterations| {
            time_commands(
                iterations,
                events,
                || cqrs_account(runtime, events),
                |(cqrs, _, id)| runtime.block_on(cqrs.execute(id, cqrs_deposit())).expect("the deposit"),
            )
        });
    });
    group.finish();
}

fn rehydrate(criterion: &mut Criterion, runtime: &Runtime, events: usize) {
    let (service, id) = factum_account(runtime, events, false);
    let (_, store, cqrs_id) = cqrs_account(runtime, events);

    let mut group = criterion.benchmark_group("rehydrate");
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function(BenchmarkId::new("factum", events), |bencher| {
        bencher.iter(|| black_box(runtime.block_on(service.load(black_box(&id))).expect("a load")));
    });
    group.bench_function(BenchmarkId::new("cqrs-es", events), |bencher| {
        bencher.iter(|| black_box(runtime.block_on(store.load_aggregate(black_box(&cqrs_id))).expect("a load")));
    });
    group.finish();
}
