//! Append-to-handler latency of a live subscription, against a bare `tokio::sync::watch` round trip in the same run.
//!
//! - `live/watch`: the baseline. A task waits on a watch channel; the benchmark sends a value and waits until the
//!   task has stamped the time it woke. This is the floor of any in-process notification: one send, one wake-up.
//! - `live/memory`, `live/sqlite`: a `Subscription` of the order events runs its handler in a task; the benchmark
//!   appends one order event through a clone of the subscribed store and waits until the handler has stamped the
//!   time it was handed the event. The latency includes the append itself, the wake-up at commit, the read of the
//!   log and the decoding of the typed event.
//! - `sqlite (other handle)`: the same append through a store opened separately on the file, which the
//!   subscription's store cannot see commit, so it finds the event by polling (1 ms, doubling to 100 ms). Each
//!   append comes after an untimed pause spread over 0-300 ms, so that the samples cover every step of the backoff.
//!   Reported in the percentile table only: its latency is the polling's, by design.
//!
//! - `transactional follow`: `TransactionalRunner::follow` of a projection writing one row per event into the
//!   file, in one transaction with its checkpoint; the append goes through a clone of the runner's store, and the
//!   latency includes the append, the wake-up, the read, the decoding, the row and the commit. Percentiles only.
//!
//! Criterion times the round trips (its medians are printed with the others); the run then samples each probe alone
//! and prints p50 and p99 with their ratios to the watch's. Under `cargo test --benches` each probe runs a few round
//! trips only.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use factum::store::memory::MemoryStore;
use factum::store::sqlite::{rusqlite, Connection, SqliteStore, TransactionalRunner};
use factum::{
    ApplyError, Envelope, EventStore, ExpectedVersion, LogFollower, LogQuery, Projection, Subscription,
    SubscriptionHandler,
};
use factum_benches::fixtures::encoded_events;
use factum_benches::report;
use orders_example::schema::OrderEvent;
use tokio::runtime::Runtime;

/// Round trips sampled per probe for the percentiles, when timed.
const SAMPLES: usize = 2_000;
/// Round trips sampled through polling, when timed: each waits for a poll.
const POLLED_SAMPLES: usize = 100;
/// How long the subscription of the polled probe may have been waiting when an append comes: past the backoff's
/// first steps, into its longest pauses.
const POLL_SPREAD: Duration = Duration::from_millis(300);
/// Round trips per probe when not timed (`cargo test --benches`).
const QUICK_SAMPLES: usize = 10;

fn main() {
    let mut criterion = Criterion::default()
        .output_directory(&std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion"))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a multi-threaded tokio runtime");
    let directory = tempfile::tempdir().expect("a temporary directory");
    // One file per probe: a subscription on a file shared with another probe would be handed its events too.
    let file = directory.path().join("events.sqlite");
    let shared_file = directory.path().join("shared.sqlite");
    let projected_file = directory.path().join("projected.sqlite");

    let mut probes: Vec<(&str, Box<dyn Probe>, usize)> = vec![
        ("watch (baseline)", Box::new(WatchProbe::new(&runtime)), SAMPLES),
        ("memory store", Box::new(LiveProbe::new(&runtime, MemoryStore::new(), None)), SAMPLES),
        (
            "sqlite file",
            Box::new(LiveProbe::new(&runtime, SqliteStore::open(&file).expect("the store opens"), None)),
            SAMPLES,
        ),
        (
            "sqlite file (other handle)",
            Box::new(LiveProbe::new(
                &runtime,
                SqliteStore::open(&shared_file).expect("the store opens"),
                Some(SqliteStore::open(&shared_file).expect("a second handle opens")),
            )),
            POLLED_SAMPLES,
        ),
        (
            "transactional follow",
            Box::new(FollowProbe::new(&runtime, SqliteStore::open(&projected_file).expect("the store opens"))),
            SAMPLES,
        ),
    ];

    let mut group = criterion.benchmark_group("live");
    for (id, probe) in [("watch", 0), ("memory", 1), ("sqlite", 2)] {
        let probe = &mut probes[probe].1;
        group.bench_function(BenchmarkId::new(id, 1), |bencher| {
            bencher.iter_custom(|iterations| (0..iterations).map(|_| probe.round_trip(&runtime)).sum())
        });
    }
    group.finish();
    criterion.final_summary();

    let timed = report::timed();
    let mut rows = Vec::new();
    for (label, probe, samples) in &mut probes {
        let samples = if timed { *samples } else { QUICK_SAMPLES };
        let mut latencies: Vec<Duration> = (0..samples).map(|_| probe.round_trip(&runtime)).collect();
        latencies.sort();
        rows.push((*label, percentile(&latencies, 0.50), percentile(&latencies, 0.99), samples));
    }
    println!("\nappend-to-handler latency of a live subscription vs a bare watch round trip (this run)");
    println!(
        "{:<28} {:>8} {:>12} {:>12} {:>14} {:>14}",
        "probe", "samples", "p50", "p99", "p50 ÷ watch", "p99 ÷ watch"
    );
    let (_, watch_p50, watch_p99, _) = rows[0];
    for (label, p50, p99, samples) in rows {
        let ratio = |value: Duration, base: Duration| value.as_secs_f64() / base.as_secs_f64().max(1e-9);
        println!(
            "{label:<28} {samples:>8} {:>12} {:>12} {:>14.1} {:>14.1}",
            format!("{:.1} µs", p50.as_secs_f64() * 1e6),
            format!("{:.1} µs", p99.as_secs_f64() * 1e6),
            ratio(p50, watch_p50),
            ratio(p99, watch_p99)
        );
    }
}

/// The value below which `fraction` of the sorted `latencies` lie.
fn percentile(latencies: &[Duration], fraction: f64) -> Duration {
    let index = ((latencies.len() as f64 - 1.0) * fraction).round() as usize;
    latencies.get(index).copied().unwrap_or_default()
}

/// Something that is notified, with the time from the notification to the task that waits for it.
trait Probe {
    fn round_trip(&mut self, runtime: &Runtime) -> Duration;
}

/// The baseline: a watch send and the wake-up of the task that waits on it.
struct WatchProbe {
    sender: tokio::sync::watch::Sender<u64>,
    stamps: mpsc::Receiver<Instant>,
    sent: u64,
}

impl WatchProbe {
    fn new(runtime: &Runtime) -> Self {
        let (sender, mut receiver) = tokio::sync::watch::channel(0);
        let (stamp, stamps) = mpsc::channel();
        runtime.spawn(async move {
            while receiver.changed().await.is_ok() {
                if stamp.send(Instant::now()).is_err() {
                    break;
                }
            }
        });
        WatchProbe { sender, stamps, sent: 0 }
    }
}

impl Probe for WatchProbe {
    fn round_trip(&mut self, _runtime: &Runtime) -> Duration {
        self.sent += 1;
        let start = Instant::now();
        self.sender.send_replace(self.sent);
        let woken = self.stamps.recv().expect("the waiting task stamps each wake-up");
        woken.saturating_duration_since(start)
    }
}

/// A subscription's handler stamping the time it is handed each event.
struct Stamp(mpsc::Sender<Instant>);

#[derive(Debug, thiserror::Error)]
#[error("the benchmark stopped listening")]
struct Gone;

impl SubscriptionHandler<OrderEvent> for Stamp {
    type Error = Gone;

    async fn handle(&mut self, _event: &OrderEvent, _envelope: &Envelope) -> Result<(), Gone> {
        self.0.send(Instant::now()).map_err(|_| Gone)
    }
}

/// An append through `writer` (or the subscribed store itself), handed to a live subscription's handler.
struct LiveProbe<S> {
    writer: S,
    stamps: mpsc::Receiver<Instant>,
    /// With a separate writer, the subscription finds appends by polling, and how long that takes depends on how
    /// long it has been waiting: each append then comes after an untimed pause spread over up to this long.
    spread: Duration,
    round_trips: u32,
}

impl<S: EventStore + Clone + 'static> LiveProbe<S> {
    /// A probe whose subscription follows `store` from its end; appends go through `writer`, or a clone of `store`.
    fn new(runtime: &Runtime, store: S, writer: Option<S>) -> Self {
        let (stamp, stamps) = mpsc::channel();
        let from =
            runtime.block_on(LogFollower::new(&store, LogQuery::all()).skip_to_end()).expect("the log's end is read");
        let mut subscription = Subscription::<_, OrderEvent>::new(store.clone(), from);
        runtime.spawn(async move { subscription.run(&mut Stamp(stamp)).await });
        let spread = if writer.is_some() { POLL_SPREAD } else { Duration::ZERO };
        LiveProbe { writer: writer.unwrap_or(store), stamps, spread, round_trips: 0 }
    }
}

impl<S: EventStore> Probe for LiveProbe<S> {
    fn round_trip(&mut self, runtime: &Runtime) -> Duration {
        let events = encoded_events(0..1);
        // Pauses of 0, 37, 74, ... hundredths of the spread, modulo 100: the same spread of waits in every run.
        self.round_trips += 1;
        std::thread::sleep(self.spread * (self.round_trips * 37 % 100) / 100);
        let start = Instant::now();
        runtime.block_on(self.writer.append("Order-live", ExpectedVersion::Any, events)).expect("the append succeeds");
        let handled = self.stamps.recv().expect("the handler stamps each event");
        handled.saturating_duration_since(start)
    }
}

/// A transactional projection writing one row per event, then stamping the time it applied it.
struct StampedRows(mpsc::Sender<Instant>);

impl Projection<Connection> for StampedRows {
    const NAME: &'static str = "StampedRows";
    type Event = OrderEvent;
    type Error = rusqlite::Error;

    fn setup(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch("CREATE TABLE IF NOT EXISTS stamped (position INTEGER PRIMARY KEY) STRICT")
    }

    fn reset(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch("DROP TABLE IF EXISTS stamped")
    }

    fn apply(
        &mut self,
        db: &Connection,
        _: &OrderEvent,
        envelope: &Envelope,
    ) -> Result<(), ApplyError<rusqlite::Error>> {
        let position = i64::try_from(envelope.position).unwrap_or(i64::MAX);
        db.execute("INSERT INTO stamped (position) VALUES (?1)", [position]).map_err(ApplyError::Handler)?;
        // The stamp is taken inside the batch, just before its commit: the commit's own time is not included.
        let _ = self.0.send(Instant::now());
        Ok(())
    }
}

/// An append through a clone of the store that a transactional runner follows, applied by the runner.
struct FollowProbe {
    writer: SqliteStore,
    stamps: mpsc::Receiver<Instant>,
}

impl FollowProbe {
    fn new(runtime: &Runtime, store: SqliteStore) -> Self {
        let (stamp, stamps) = mpsc::channel();
        let mut runner = TransactionalRunner::new(store.clone(), StampedRows(stamp));
        runtime.spawn(async move { runner.follow().await });
        FollowProbe { writer: store, stamps }
    }
}

impl Probe for FollowProbe {
    fn round_trip(&mut self, runtime: &Runtime) -> Duration {
        let events = encoded_events(0..1);
        let start = Instant::now();
        runtime.block_on(self.writer.append("Order-live", ExpectedVersion::Any, events)).expect("the append succeeds");
        let applied = self.stamps.recv().expect("the runner applies each event");
        applied.saturating_duration_since(start)
    }
}
