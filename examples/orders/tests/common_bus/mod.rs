//! What the bus tests share: the NATS server they run against (a test fails, never skips, when it is unreachable),
//! names no other run uses, orders stored in bulk, and a NATS server of a test's own.

#![allow(dead_code)] // Each test file uses its own part of it.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use factum::bus::nats::{async_nats, BusConfig};
use factum::store::StreamAppend;
use factum::types::Uuid;
use factum::{EventStore, ExpectedVersion, NewEvent};

/// The machine's NATS server with JetStream, which `.ci/run` starts.
pub(crate) const NATS_URL: &str = "nats://127.0.0.1:4222";

/// `OrderCreated` as the current build stores it.
pub(crate) const ORDER_CREATED_V3: &str = include_str!("../../../../schemas/fixtures/orders/OrderCreated.v3.json");
/// `OrderCreated` as the first release stored it.
pub(crate) const ORDER_CREATED_V1: &str = include_str!("../../../../schemas/fixtures/orders/OrderCreated.v1.json");

/// Connects to `url`, failing the test with the reason when the server is not there.
pub(crate) async fn connect(url: &str) -> async_nats::Client {
    match async_nats::connect(url).await {
        Ok(client) => client,
        Err(error) => panic!("the bus tests need NATS with JetStream at {url} (`.ci/run` starts it): {error}"),
    }
}

/// A stream and subject prefix no other test or run uses, in memory on the server.
pub(crate) fn unique_bus(test: &str) -> BusConfig {
    let id = Uuid::new_v4().simple().to_string();
    BusConfig::new(format!("T_{test}_{}", &id[..12]), format!("t{}.{test}", &id[..12])).unwrap().memory_storage()
}

/// `count` orders, each one `OrderCreated` v3 in its own stream, appended in batches; returns their event ids in log
/// order.
pub(crate) async fn store_orders(store: &impl EventStore, count: usize) -> Vec<Uuid> {
    let mut ids = Vec::with_capacity(count);
    let mut appends = Vec::new();
    for _ in 0..count {
        let event = NewEvent::new("OrderCreated", 3, ORDER_CREATED_V3).with_aggregate_type("Order");
        ids.push(event.event_id);
        appends.push(StreamAppend::new(format!("Order-{}", Uuid::new_v4()), ExpectedVersion::NoStream, vec![event]));
        if appends.len() == 1_000 {
            store.append_batch(std::mem::take(&mut appends)).await.unwrap();
        }
    }
    if !appends.is_empty() {
        store.append_batch(appends).await.unwrap();
    }
    ids
}

/// How many messages the bus's stream holds.
pub(crate) async fn stream_messages(client: &async_nats::Client, bus: &BusConfig) -> u64 {
    try_stream_messages(client, bus).await.unwrap_or_else(|error| panic!("cannot read `{}`: {error}", bus.stream()))
}

/// How many messages the bus's stream holds, or why that cannot be read now (no stream yet, the server restarting):
/// for waits that try again.
pub(crate) async fn try_stream_messages(
    client: &async_nats::Client,
    bus: &BusConfig,
) -> Result<u64, async_nats::Error> {
    let jetstream = async_nats::jetstream::new(client.clone());
    let mut stream = jetstream.get_stream(bus.stream()).await?;
    Ok(stream.info().await?.state.messages)
}

/// Deletes the bus's stream, so that test runs leave nothing on the shared server (a failed test leaves its stream,
/// for a look at it).
pub(crate) async fn delete_stream(client: &async_nats::Client, bus: &BusConfig) {
    let jetstream = async_nats::jetstream::new(client.clone());
    jetstream
        .delete_stream(bus.stream())
        .await
        .unwrap_or_else(|error| panic!("cannot delete `{}`: {error}", bus.stream()));
}

/// Whether the bus's stream holds at least `count` messages; `false` while it cannot be read.
pub(crate) async fn holds(client: &async_nats::Client, bus: &BusConfig, count: u64) -> bool {
    try_stream_messages(client, bus).await.is_ok_and(|messages| messages >= count)
}

/// Waits until `condition` holds, checking every few milliseconds, or fails the test after `limit` saying `what`.
pub(crate) async fn wait_until<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Counts event ids: how many times each was seen.
pub(crate) fn count_ids(ids: impl IntoIterator<Item = Uuid>) -> BTreeMap<Uuid, usize> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(id).or_default() += 1;
    }
    counts
}

/// Checks that `delivered` holds every id of `expected` exactly once, and nothing else.
pub(crate) fn check_once(expected: &[Uuid], delivered: &BTreeMap<Uuid, usize>) {
    let missing = expected.iter().filter(|id| !delivered.contains_key(id)).count();
    let twice: Vec<_> = delivered.iter().filter(|(_, count)| **count > 1).collect();
    let unknown = delivered.keys().filter(|id| !expected.contains(id)).count();
    assert_eq!((missing, twice.len(), unknown), (0, 0, 0), "missing, delivered twice ({twice:?}), unknown");
}

/// A NATS server of a test's own, with JetStream storing in `store_dir`, on a port of its own: a test can kill and
/// restart it. Killed when dropped.
pub(crate) struct OwnServer {
    pub(crate) port: u16,
    child: Option<Child>,
}

impl OwnServer {
    /// Starts a server on a free port and waits until it takes connections.
    pub(crate) fn start(store_dir: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = OwnServer { port, child: None };
        server.restart(store_dir);
        server
    }

    /// The server's URL.
    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL).
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts the server (again) on its port and waits until it takes connections.
    pub(crate) fn restart(&mut self, store_dir: &Path) {
        let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .unwrap_or("nats-server");
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(store_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("the bus tests need `nats-server` (Debian's `nats-server` package): {error}")
            });
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "nats-server did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}
