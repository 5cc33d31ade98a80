//! Factum's PostgreSQL store against postgres-es (cqrs-es on PostgreSQL) on the same bank account and the same
//! server, in one run.
//!
//! - `command/{factum-pg,factum-pg-snapshots,postgres-es}/N`: one deposit handled on an account whose stream holds N
//!   events (load, decide, append): Factum's `CommandService` over `PostgresStore`, without snapshots and with
//!   `SnapshotPolicy::Every(100)`, against cqrs-es's `CqrsFramework` over `PersistedEventStore::new_event_store` and
//!   postgres-es's `PostgresEventRepository`. Every N / 10 commands (at least every command) the account is replaced
//!   by a fresh one of N events, outside the timed part, so the stream stays within 10% of N. Goal without snapshots:
//!   at least twice postgres-es's commands per second.
//! - `rehydrate/{factum-pg,postgres-es}/N`: loading an account of N events without snapshots
//!   (`CommandService::load` against `PersistedEventStore::load_aggregate`). Goal: at least twice postgres-es.
//!
//! Each side has a schema of its own, dropped at the end; both sides' sessions run with the same
//! `synchronous_commit` (printed at the start). Each account is loaded once before it is timed. Setup is never
//! timed. Under `cargo test --benches` the accounts are small (see `report::timed`).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

use cqrs_es::{CqrsFramework, EventStore};
use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::postgres::PostgresStore;
use factum::{CommandService, SnapshotPolicy};
use factum_cqrs_es::factum_side::schema::BankAccount;
use factum_cqrs_es::{balance_after, cqrs_deposit, cqrs_side, factum_deposit, factum_side, time_commands};
use factum_cqrs_es_postgres::{PostgresEsStore, Schemas};
use report::{Comparison, Target};
use tokio::runtime::Runtime;

/// The ratio table every benchmark of the project ends with, shared with `factum-benches` by path (that crate cannot
/// be a dependency here: it links rusqlite). Not every item of it is used here.
#[allow(dead_code, unreachable_pub)]
#[path = "../../src/report.rs"]
mod report;

/// The stream lengths of a timed run and of a checking run.
const TIMED: Sizes = Sizes { commands: &[100, 1_000], rehydrated: &[1_000, 10_000] };
const CHECKED: Sizes = Sizes { commands: &[10], rehydrated: &[100] };
/// How many events the snapshot policy of the `factum-pg-snapshots` side takes a snapshot after.
const EVERY: u64 = 100;

#[derive(Debug, Clone, Copy)]
struct Sizes {
    commands: &'static [usize],
    rehydrated: &'static [usize],
}

/// Both sides, set up once for the run.
struct Sides {
    factum: CommandService<BankAccount, PostgresStore>,
    factum_snapshots: CommandService<BankAccount, PostgresStore>,
    store: PostgresStore,
    cqrs: CqrsFramework<cqrs_side::BankAccount, PostgresEsStore>,
    cqrs_store: PostgresEsStore,
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
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a current-thread tokio runtime");
    let sizes = if report::timed() { TIMED } else { CHECKED };

    let url = factum_cqrs_es_postgres::server_url();
    let schemas = Schemas::new("bench_pges");
    let sides = runtime.block_on(async {
        let durability = factum_cqrs_es_postgres::durability()
            .await
            .unwrap_or_else(|error| panic!("the benchmark needs PostgreSQL at `{url}`: {error}"));
        println!("PostgreSQL at {url} ({durability})");
        let store = factum_cqrs_es_postgres::factum_store(&schemas).await.expect("Factum's store connects");
        let pool = factum_cqrs_es_postgres::postgres_es_pool(&schemas).await.expect("postgres-es's pool connects");
        Sides {
            factum: CommandService::new(store.clone()),
            factum_snapshots: CommandService::new(store.clone()).with_snapshots(SnapshotPolicy::Every(EVERY)),
            store,
            cqrs: CqrsFramework::new(factum_cqrs_es_postgres::postgres_es_store(&pool), Vec::new(), ()),
            cqrs_store: factum_cqrs_es_postgres::postgres_es_store(&pool),
        }
    });

    for &events in sizes.commands {
        command(&mut criterion, &runtime, &sides, events);
    }
    for &events in sizes.rehydrated {
        rehydrate(&mut criterion, &runtime, &sides, events);
    }

    criterion.final_summary();
    drop(sides);
    drop(schemas);
    let title = "Factum vs postgres-es, on PostgreSQL";
    println!("\n{}", report::render(title, &output, started, &comparisons(sizes)));
}

/// The lines of the final table.
fn comparisons(sizes: Sizes) -> Vec<Comparison> {
    let mut comparisons = Vec::new();
    for &events in sizes.commands {
        comparisons.push(Comparison {
            label: format!("command at {events} events"),
            factum: format!("command/factum-pg/{events}"),
            raw: format!("command/postgres-es/{events}"),
            rows: 1,
            target: Target::ThroughputAtLeast(2.0),
        });
        comparisons.push(Comparison {
            label: format!("command at {events} events, snapshots"),
            factum: format!("command/factum-pg-snapshots/{events}"),
            raw: format!("command/postgres-es/{events}"),
            rows: 1,
            target: Target::ThroughputReported,
        });
    }
    for &events in sizes.rehydrated {
        comparisons.push(Comparison {
            label: format!("rehydrate {events} events"),
            factum: format!("rehydrate/factum-pg/{events}"),
            raw: format!("rehydrate/postgres-es/{events}"),
            rows: events as u64,
            target: Target::ThroughputAtLeast(2.0),
        });
    }
    comparisons
}

type Uuid = factum::types::Uuid;

/// A fresh Factum account of `events` events, loaded once through `service`; when it takes snapshots, its snapshot
/// is taken.
fn factum_account(
    runtime: &Runtime,
    store: &PostgresStore,
    service: &CommandService<BankAccount, PostgresStore>,
    events: usize,
    snapshots: bool,
) -> Uuid {
    let id = Uuid::new_v4();
    runtime.block_on(async {
        factum_side::seed(store, &id, events - 1).await.expect("the setup appends");
        if snapshots {
            service.take_snapshot(&id).await.expect("the snapshot");
        }
        let loaded = service.load(&id).await.expect("a load");
        assert_eq!((loaded.version, loaded.state.balance), (events as u64, balance_after(events - 1)));
    });
    id
}

/// A fresh postgres-es account of `events` events, loaded once.
fn cqrs_account(runtime: &Runtime, store: &PostgresEsStore, events: usize) -> String {
    let id = Uuid::new_v4().to_string();
    runtime.block_on(async {
        factum_cqrs_es_postgres::seed_postgres_es(store, &id, events - 1).await.expect("the setup commits");
        let loaded = store.load_aggregate(&id).await.expect("a load");
        assert_eq!((loaded.current_sequence, loaded.aggregate.balance), (events, balance_after(events - 1)));
    });
    id
}

fn command(criterion: &mut Criterion, runtime: &Runtime, sides: &Sides, events: usize) {
    // Both sides must decide the same: one deposit on an account of `events` events leaves the same balance.
    let id = factum_account(runtime, &sides.store, &sides.factum, events, false);
    let handled = runtime.block_on(sides.factum.handle(&id, factum_deposit())).expect("the deposit");
    let cqrs_id = cqrs_account(runtime, &sides.cqrs_store, events);
    runtime.block_on(sides.cqrs.execute(&cqrs_id, cqrs_deposit())).expect("the deposit");
    let after = runtime.block_on(sides.cqrs_store.load_aggregate(&cqrs_id)).expect("a load");
    assert_eq!(handled.state.balance, after.aggregate.balance);
    assert_eq!(handled.stream_version, after.current_sequence as u64);

    let mut group = criterion.benchmark_group("command");
    group.throughput(Throughput::Elements(1));
    for (name, service, snapshots) in
        [("factum-pg", &sides.factum, false), ("factum-pg-snapshots", &sides.factum_snapshots, true)]
    {
        group.bench_function(BenchmarkId::new(name, events), |bencher| {
            bencher.iter_custom(|iterations| {
                time_commands(
                    iterations,
                    events,
                    || factum_account(runtime, &sides.store, service, events, snapshots),
                    |id| {
                        let handled = runtime.block_on(service.handle(id, factum_deposit())).expect("the deposit");
                        black_box(handled);
                    },
                )
            });
        });
    }
    group.bench_function(BenchmarkId::new("postgres-es", events), |bencher| {
        bencher.iter_custom(|iterations| {
            time_commands(
                iterations,
                events,
                || cqrs_account(runtime, &sides.cqrs_store, events),
                |id| runtime.block_on(sides.cqrs.execute(id, cqrs_deposit())).expect("the deposit"),
            )
        });
    });
    group.finish();
}

fn rehydrate(criterion: &mut Criterion, runtime: &Runtime, sides: &Sides, events: usize) {
    let id = factum_account(runtime, &sides.store, &sides.factum, events, false);
    let cqrs_id = cqrs_account(runtime, &sides.cqrs_store, events);

    let mut group = criterion.benchmark_group("rehydrate");
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function(BenchmarkId::new("factum-pg", events), |bencher| {
        bencher.iter(|| black_box(runtime.block_on(sides.factum.load(black_box(&id))).expect("a load")));
    });
    group.bench_function(BenchmarkId::new("postgres-es", events), |bencher| {
        bencher.iter(|| {
            black_box(runtime.block_on(sides.cqrs_store.load_aggregate(black_box(&cqrs_id))).expect("a load"))
        });
    });
    group.finish();
}
