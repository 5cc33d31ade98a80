//! The PostgreSQL event store against hand-written tokio-postgres running the same statements, in one run, on the
//! server at `FACTUM_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`), in a schema of its own that
//! is dropped at the end. Both sides' sessions run with `synchronous_commit=off` (set in the connection options; the
//! server's own settings are printed at the start): a commit does not wait for its WAL to reach the disk, so that the
//! ratios measure what the store adds rather than the disk's flush times, which vary by milliseconds from one commit
//! to the next. A crash of the server may lose the last commits, never consistency.
//!
//! - `append/{factum,raw}/{1,100}`: one append of that many order events to a new stream. Factum's is
//!   `PostgresStore::append` (a pooled connection, one statement that moves the stream's row on and inserts every
//!   event, its own transaction); the baseline is one tokio-postgres connection sending the same statement, with the
//!   events as arrays, prepared once.
//! - `writers/{factum,raw}/...`: 64 tasks, each appending single events to a stream of its own through one store
//!   (a pool of 64 connections), against one task appending as many events one by one: what concurrent writers gain
//!   without a global lock (the server commits their transactions together). Reported as a throughput ratio.
//!
//! The run ends with a table of Factum ÷ baseline ratios (medians) and whether each meets its target.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use factum::store::postgres::{tokio_postgres, PostgresStore, OFFSET_BITS};
use factum::{EventStore, ExpectedVersion, Metadata, NewEvent};
use factum_benches::fixtures::encoded_events;
use factum_benches::report::{self, Comparison, Target};
use tokio::runtime::Runtime;

/// The events per append that are measured.
const BATCHES: [usize; 2] = [1, 100];
/// The concurrent writers, and how many appends of one event each makes per iteration.
const WRITERS: usize = 64;
const APPENDS_PER_WRITER: usize = 4;

/// The server, with the benchmark's session settings in its options.
fn url() -> String {
    let server =
        std::env::var("FACTUM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let separator = if server.contains('?') { '&' } else { '?' };
    format!("{server}{separator}options=-c%20synchronous_commit%3Doff")
}

fn schema_url(schema: &str, pool_size: usize) -> String {
    format!("{}&schema={schema}&pool_size={pool_size}", url())
}

async fn raw_client() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|error| panic!("the PostgreSQL benchmark needs the server at `{}`: {error}", url()));
    tokio::spawn(connection);
    client
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
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let schema = format!("bench_postgres_{}", std::process::id());
    let admin = runtime.block_on(raw_client());
    let settings = runtime.block_on(async {
        let sql = "SELECT current_setting('synchronous_commit'), \
                   (SELECT boot_val FROM pg_settings WHERE name = 'synchronous_commit'), current_setting('fsync')";
        let row = admin.query_one(sql, &[]).await.expect("the server's settings");
        let (session, server, fsync): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        format!("sessions: synchronous_commit={session}; server: synchronous_commit={server} by default, fsync={fsync}")
    });
    println!("PostgreSQL at {} ({settings}), schema `{schema}`", url());

    appends(&mut criterion, &runtime, &schema);
    writers(&mut criterion, &runtime, &schema);

    runtime.block_on(admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).expect("the drop");
    criterion.final_summary();
    println!("\n{}", report::render("Factum vs raw tokio-postgres", &output, started, &comparisons()));
}

fn comparisons() -> Vec<Comparison> {
    let appends = BATCHES.map(|batch| Comparison {
        label: format!("append {batch} event{}", if batch == 1 { "" } else { "s" }),
        factum: format!("append/factum/{batch}"),
        raw: format!("append/raw/{batch}"),
        rows: batch as u64,
        target: Target::TimeAtMost(1.2),
    });
    let total = (WRITERS * APPENDS_PER_WRITER) as u64;
    let writers = Comparison {
        label: format!("{WRITERS} writers vs 1 ({total} appends)"),
        factum: format!("writers/factum/{WRITERS}"),
        raw: "writers/factum/1".to_owned(),
        rows: total,
        target: Target::ThroughputReported,
    };
    appends.into_iter().chain([writers]).collect()
}

fn new_stream_id() -> String {
    format!("Order-{}", factum::types::Uuid::new_v4())
}

/// The baseline: one connection, the store's statement prepared once.
struct Raw {
    client: tokio_postgres::Client,
    append: tokio_postgres::Statement,
}

impl Raw {
    async fn new(schema: &str) -> Self {
        let client = raw_client().await;
        let append = format!(
            "WITH advanced AS (\
             INSERT INTO {schema}.streams AS s (stream_id, version) VALUES ($1, $2) \
             ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version \
             WHERE s.version BETWEEN $3::bigint AND $4::bigint \
             RETURNING s.version, pg_current_xact_id()::text::bigint AS xid), \
             stamp AS (SELECT greatest(clock_timestamp(), \
             (SELECT recorded_at FROM {schema}.events ORDER BY position DESC LIMIT 1)) AS at), \
             inserted AS (\
             INSERT INTO {schema}.events (position, stream_id, stream_version, event_name, aggregate_type, \
             event_version, event_id, recorded_at, metadata, payload) \
             SELECT (a.xid << {OFFSET_BITS}) | (e.ord - 1), $1, a.version - $2 + e.ord, e.event_name, \
             e.aggregate_type, e.event_version, e.event_id, coalesce(e.recorded_at, stamp.at), e.metadata, e.payload \
             FROM advanced AS a, stamp, unnest($5::text[], $6::text[], $7::bigint[], $8::uuid[], \
             $9::timestamptz[], $10::bytea[], $11::bytea[]) WITH ORDINALITY \
             AS e(event_name, aggregate_type, event_version, event_id, recorded_at, metadata, payload, ord)) \
             SELECT version, xid FROM advanced"
        );
        let append = client.prepare(&append).await.expect("the append prepares");
        Raw { client, append }
    }

    /// Appends `events` to the new stream `stream_id` as the store does.
    async fn append(&mut self, stream_id: &str, events: &[NewEvent]) -> Result<u64, tokio_postgres::Error> {
        let count = events.len() as i64;
        let names: Vec<&str> = events.iter().map(|event| event.event_name.as_str()).collect();
        let types: Vec<Option<&str>> = events.iter().map(|event| event.aggregate_type.as_deref()).collect();
        let event_versions: Vec<i64> = events.iter().map(|event| i64::from(event.event_version)).collect();
        let ids: Vec<factum::types::Uuid> = events.iter().map(|event| event.event_id).collect();
        let times: Vec<Option<factum::Timestamp>> = events.iter().map(|event| event.recorded_at).collect();
        let metadata: Vec<Option<Vec<u8>>> = events
            .iter()
            .map(|event| (event.metadata != Metadata::default()).then(|| serde_json::to_vec(&event.metadata).unwrap()))
            .collect();
        let payloads: Vec<&[u8]> = events.iter().map(|event| event.payload.as_slice()).collect();
        let (least, most) = (0i64, 0i64);
        let row = self
            .client
            .query_one(
                &self.append,
                &[
                    &stream_id,
                    &count,
                    &least,
                    &most,
                    &names,
                    &types,
                    &event_versions,
                    &ids,
                    &times,
                    &metadata,
                    &payloads,
                ],
            )
            .await?;
        let (version, _transaction_id): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(version, count, "a new stream");
        Ok(version as u64)
    }
}

fn appends(criterion: &mut Criterion, runtime: &Runtime, schema: &str) {
    let store = runtime.block_on(PostgresStore::connect(&schema_url(schema, 4))).expect("the store connects");
    let mut raw = runtime.block_on(Raw::new(schema));
    let mut group = criterion.benchmark_group("append");
    for batch in BATCHES {
        let events = encoded_events(0..batch);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(BenchmarkId::new("factum", batch), &events, |bencher, events| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(async {
                    let mut elapsed = Duration::ZERO;
                    for _ in 0..iterations {
                        let (stream_id, events) = (new_stream_id(), fresh_ids(events));
                        let start = Instant::now();
                        let outcome = store.append(&stream_id, ExpectedVersion::NoStream, events).await;
                        elapsed += start.elapsed();
                        black_box(outcome.expect("the append succeeds"));
                    }
                    elapsed
                })
            });
        });
        group.bench_with_input(BenchmarkId::new("raw", batch), &events, |bencher, events| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(async {
                    let mut elapsed = Duration::ZERO;
                    for _ in 0..iterations {
                        let (stream_id, events) = (new_stream_id(), fresh_ids(events));
                        let start = Instant::now();
                        let version = raw.append(&stream_id, &events).await;
                        drop(events);
                        elapsed += start.elapsed();
                        black_box(version.expect("the append succeeds"));
                    }
                    elapsed
                })
            });
        });
    }
    group.finish();
}

/// A copy of `events` with ids of their own: one id is one event, in every store.
fn fresh_ids(events: &[NewEvent]) -> Vec<NewEvent> {
    events.iter().map(|event| event.clone().with_id(factum::types::Uuid::now_v7())).collect()
}

fn writers(criterion: &mut Criterion, runtime: &Runtime, schema: &str) {
    let url = schema_url(schema, WRITERS);
    let store = runtime.block_on(PostgresStore::connect(&url)).expect("the store connects");
    let event = encoded_events(0..1);
    let mut group = criterion.benchmark_group("writers");
    group.throughput(Throughput::Elements((WRITERS * APPENDS_PER_WRITER) as u64));
    for writers in [1, WRITERS] {
        group.bench_function(BenchmarkId::new("factum", writers), |bencher| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(async {
                    let mut elapsed = Duration::ZERO;
                    for _ in 0..iterations {
                        let start = Instant::now();
                        let tasks: Vec<_> = (0..writers)
                            .map(|_| {
                                let (store, event) = (store.clone(), event.clone());
                                let appends = WRITERS * APPENDS_PER_WRITER / writers;
                                tokio::spawn(async move {
                                    let stream_id = new_stream_id();
                                    for version in 0..appends as u64 {
                                        let expected = ExpectedVersion::Exact(version);
                                        store.append(&stream_id, expected, fresh_ids(&event)).await.unwrap();
                                    }
                                })
                            })
                            .collect();
                        for task in tasks {
                            task.await.expect("a writer ran");
                        }
                        elapsed += start.elapsed();
                    }
                    elapsed
                })
            });
        });
    }
    group.finish();
}
