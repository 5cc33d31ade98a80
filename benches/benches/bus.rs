//! The NATS JetStream bus against the machine's NATS server (127.0.0.1:4222, JetStream on), in the same run:
//!
//! - `bus/relay`: the outbox relay publishing a SQLite store's log (durability NORMAL, the relay's checkpoint
//!   written after each batch of 256) into a fresh stream (memory storage, so that the server's disk is not what is
//!   measured): reading the log, building each message's headers, pipelined publishes with acknowledgements taken
//!   in order, the checkpoint.
//! - `bus/raw`: the baseline, a bare async-nats loop publishing the same messages (same subjects, headers and
//!   payloads, built before timing) into a fresh stream, 256 in flight at a time, acknowledgements awaited in order.
//!
//! The ratio is the relay's events per second over the raw loop's. Then the end-to-end latency from the append of
//! one event to a consumer in another process: a relay runs in a task of this process on its store (it is woken by
//! the append, as in a service); a `BusConsumer` runs in a child process (this benchmark's executable started again
//! with `FACTUM_BENCH_BUS_CONSUMER` set: its own runtime and NATS connection), which writes the wall-clock time at
//! which it is handed each decoded event to its stdout. The latency is that time minus the wall-clock time just before
//! the append began: both read the machine's one realtime clock. p50 and p99 are printed.
//!
//! Under `cargo test --benches` each part runs on a few events only. The benchmark fails when NATS is unreachable.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::bus::nats::async_nats::{self, jetstream};
use factum::bus::nats::{BusConfig, BusConsumer, ConsumerConfig, OutboxRelay, RelayConfig, RELAY_BATCH};
use factum::store::sqlite::{Durability, SqliteOptions, SqliteStore};
use factum::store::{LogQuery, StreamAppend};
use factum::{EventStore, ExpectedVersion};
use factum_benches::fixtures::encoded_events;
use factum_benches::report::{self, Comparison, Target};
use orders_example::schema::OrderEvent;
use tokio::runtime::Runtime;

/// Events published per sample, when timed.
const EVENTS: usize = 5_000;
/// Round trips sampled for the latency percentiles, when timed.
const LATENCY_SAMPLES: usize = 1_000;
/// Events and round trips when not timed (`cargo test --benches`).
const QUICK: usize = 20;
/// The machine's NATS server.
const NATS_URL: &str = "nats://127.0.0.1:4222";
/// Set (to `STREAM PREFIX`) in the child process that consumes the latency run's events.
const CONSUMER_ENV: &str = "FACTUM_BENCH_BUS_CONSUMER";
/// The line the consumer process writes once its durable consumer is bound.
const READY: &str = "ready";

fn main() {
    if let Ok(bus) = std::env::var(CONSUMER_ENV) {
        return consumer_process(&bus);
    }
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a multi-threaded tokio runtime");
    // async-nats spawns its tasks (the connection's, a JetStream context's acker) on the runtime it is called in.
    let _entered = runtime.enter();
    let timed = report::timed();
    let events = if timed { EVENTS } else { QUICK };
    let directory = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory on disk");
    let open = |name: &str| {
        let options = SqliteOptions::default().durability(Durability::Relaxed);
        SqliteStore::open_with(directory.path().join(name), options).expect("a fresh database file opens")
    };
    let client = runtime
        .block_on(async_nats::connect(NATS_URL))
        .unwrap_or_else(|error| panic!("the bus benchmark needs NATS with JetStream at {NATS_URL}: {error}"));
    let jetstream = jetstream::new(client.clone());
    let run = format!("{:x}", SystemTime::UNIX_EPOCH.elapsed().expect("a clock after 1970").as_micros());
    let mut samples = 0usize;
    let mut fresh_bus = || {
        samples += 1;
        BusConfig::new(format!("BENCH_{run}_{samples}"), format!("bench{run}.s{samples}"))
            .expect("a valid stream and prefix")
            .memory_storage()
    };

    let store = open("relayed.db");
    runtime.block_on(store_events(&store, events));
    let stored = runtime.block_on(store.read_all(&LogQuery::all())).expect("the log reads");

    let mut group = criterion.benchmark_group("bus");
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function(BenchmarkId::new("relay", events), |bencher| {
        bencher.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let bus = fresh_bus();
                let config = RelayConfig::new(bus.clone()).checkpoint_name(format!("relay:{}", bus.stream()));
                total += runtime.block_on(async {
                    let mut relay = OutboxRelay::start(&store, client.clone(), config).await.expect("the relay starts");
                    let start = Instant::now();
                    let progress = relay.publish_available().await.expect("the relay publishes");
                    let elapsed = start.elapsed();
                    assert_eq!(progress.published, events as u64, "the relay published every event once");
                    jetstream.delete_stream(bus.stream()).await.expect("the stream is deleted");
                    elapsed
                });
            }
            total
        });
    });
    group.bench_function(BenchmarkId::new("raw", events), |bencher| {
        bencher.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let bus = fresh_bus();
                let messages = raw_messages(&bus, &stored);
                total += runtime.block_on(async {
                    bus.ensure_stream(&jetstream).await.expect("the stream is created");
                    let start = Instant::now();
                    publish_raw(&jetstream, messages).await;
                    let elapsed = start.elapsed();
                    jetstream.delete_stream(bus.stream()).await.expect("the stream is deleted");
                    elapsed
                });
            }
            total
        });
    });
    group.finish();
    criterion.final_summary();

    let comparison = Comparison {
        label: format!("relay {events} events vs raw async-nats publishes"),
        factum: format!("bus/relay/{events}"),
        raw: format!("bus/raw/{events}"),
        rows: events as u64,
        target: Target::ThroughputReported,
    };
    println!(
        "\n{}",
        report::render(
            "Outbox relay vs raw JetStream publishes (log: SQLite, Durability::Relaxed)",
            &output,
            started,
            &[comparison]
        )
    );

    let samples = if timed { LATENCY_SAMPLES } else { QUICK };
    let mut latencies = latency(&runtime, &open("latency.db"), &client, fresh_bus(), samples);
    assert_eq!(latencies.len(), samples, "every appended event reached the consumer process");
    latencies.sort();
    let micros = |fraction: f64| {
        let index = ((latencies.len() as f64 - 1.0) * fraction).round() as usize;
        latencies[index].as_secs_f64() * 1e6
    };
    println!(
        "commit-to-consumer latency over JetStream ({samples} events, consumer in another process): \
         p50 {:.0} µs, p99 {:.0} µs",
        micros(0.50),
        micros(0.99)
    );
}

/// `count` order events, each in a stream of its own, with the aggregate type `Order`.
async fn store_events(store: &SqliteStore, count: usize) {
    let appends = encoded_events(0..count)
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            StreamAppend::new(
                format!("Order-{index}"),
                ExpectedVersion::NoStream,
                vec![event.with_aggregate_type("Order")],
            )
        })
        .collect();
    store.append_batch(appends).await.expect("the events are stored");
}

/// The messages the relay publishes for `stored`, built as a bare client would: subject, headers, payload.
fn raw_messages(bus: &BusConfig, stored: &[factum::RecordedEvent]) -> Vec<(String, async_nats::HeaderMap, Vec<u8>)> {
    stored
        .iter()
        .map(|recorded| {
            let envelope = &recorded.envelope;
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, envelope.event_id.to_string());
            headers.insert("Factum-Event-Name", envelope.event_name.as_str());
            headers.insert("Factum-Event-Version", envelope.event_version.to_string());
            headers.insert("Factum-Stream-Id", envelope.stream_id.as_str());
            headers.insert("Factum-Stream-Version", envelope.stream_version.to_string());
            headers.insert("Factum-Position", envelope.position.to_string());
            headers.insert("Factum-Aggregate-Type", "Order");
            headers.insert("Factum-Recorded-At", envelope.recorded_at.to_rfc3339());
            let subject = bus.prefix().event_subject(envelope.aggregate_type.as_deref(), &envelope.event_name);
            (subject, headers, recorded.payload.clone())
        })
        .collect()
}

/// Publishes `messages` in batches of the relay's size, each batch's acknowledgements awaited in order.
async fn publish_raw(jetstream: &jetstream::Context, messages: Vec<(String, async_nats::HeaderMap, Vec<u8>)>) {
    let mut messages = messages.into_iter().peekable();
    while messages.peek().is_some() {
        let mut pending = Vec::with_capacity(RELAY_BATCH);
        for (subject, headers, payload) in messages.by_ref().take(RELAY_BATCH) {
            let ack =
                jetstream.publish_with_headers(subject, headers, payload.into()).await.expect("the publish is sent");
            pending.push(ack);
        }
        for ack in pending {
            ack.await.expect("JetStream acknowledges the publish");
        }
    }
}

/// Appends one event at a time to `store` while a relay follows it and a consumer in a child process stamps each
/// event it is handed; returns the time from the start of each append to its stamp.
fn latency(
    runtime: &Runtime,
    store: &SqliteStore,
    client: &async_nats::Client,
    bus: BusConfig,
    samples: usize,
) -> Vec<Duration> {
    let mut child = Command::new(std::env::current_exe().expect("the benchmark's own executable"))
        .env(CONSUMER_ENV, format!("{} {}", bus.stream(), bus.prefix().as_str()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the consumer process starts");
    let (stamp, stamps) = mpsc::channel();
    let lines = BufReader::new(child.stdout.take().expect("the consumer's stdout is piped"));
    let reader = std::thread::spawn(move || {
        for line in lines.lines() {
            let line = line.expect("the consumer's stdout reads");
            if stamp.send(line).is_err() {
                break;
            }
        }
    });
    let ready = stamps.recv_timeout(Duration::from_secs(30)).expect("the consumer process binds its consumer");
    assert_eq!(ready, READY, "the consumer process's first line");

    let stream = bus.stream().to_owned();
    let relayed = store.clone();
    let relay_client = client.clone();
    let relay = runtime.spawn(async move {
        let mut relay = OutboxRelay::start(relayed, relay_client, RelayConfig::new(bus)).await?;
        relay.run().await
    });
    let events = encoded_events(0..samples);
    let mut latencies = Vec::with_capacity(samples);
    for (index, event) in events.into_iter().enumerate() {
        let event = event.with_aggregate_type("Order");
        let start = SystemTime::now();
        runtime
            .block_on(store.append(&format!("Order-latency-{index}"), ExpectedVersion::NoStream, vec![event]))
            .expect("the event is stored");
        let Ok(line) = stamps.recv_timeout(Duration::from_secs(10)) else { break };
        let nanos: u64 = line.parse().unwrap_or_else(|_| panic!("a stamp in nanoseconds, not {line:?}"));
        let handled = SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos);
        latencies.push(handled.duration_since(start).unwrap_or(Duration::ZERO));
    }
    relay.abort();
    child.kill().expect("the consumer process is stopped");
    child.wait().expect("the consumer process is reaped");
    reader.join().expect("the reader thread ends");
    runtime.block_on(jetstream::new(client.clone()).delete_stream(&stream)).expect("the stream is deleted");
    latencies
}

/// The child process of [`latency`]: binds a durable consumer of the order events on `bus` (`STREAM PREFIX`),
/// says [`READY`], then writes the wall-clock time, in nanoseconds since 1970, at which it is handed each decoded
/// event, and acknowledges it. It ends when its parent kills it or stops reading.
fn consumer_process(bus: &str) {
    let (stream, prefix) = bus.split_once(' ').expect("`STREAM PREFIX` in the consumer's variable");
    let bus = BusConfig::new(stream, prefix).expect("a valid stream and prefix").memory_storage();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a current-thread tokio runtime");
    runtime.block_on(async {
        let client = async_nats::connect(NATS_URL).await.expect("the consumer process connects to NATS");
        let config = ConsumerConfig::new(bus, "latency").expect("a valid consumer name");
        let mut consumer = BusConsumer::<OrderEvent>::bind(client, config).await.expect("the consumer binds");
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{READY}").and_then(|()| stdout.flush()).expect("the parent reads the consumer's stdout");
        loop {
            let delivery = consumer.next().await.expect("the consumer reads");
            let handled = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("a clock after 1970");
            if writeln!(stdout, "{}", handled.as_nanos()).and_then(|()| stdout.flush()).is_err() {
                break;
            }
            delivery.ack().await.expect("the acknowledgement is sent");
        }
    });
}
