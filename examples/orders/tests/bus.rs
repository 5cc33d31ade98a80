//! The order domain over NATS JetStream, against real servers: the relay publishes the log in order and once, a
//! relay killed mid-publish or a NATS server restarted loses and repeats nothing, and a consumer decodes with the
//! generated types, hands undecodable messages back, and handles redeliveries once.
//!
//! They need the machine's NATS server with JetStream at 127.0.0.1:4222 (`.ci/run` starts it) and fail without it;
//! the restart test starts `nats-server` of its own on another port. Each test uses a stream and subjects of its own.

mod common_bus;

use std::process::{Command, Stdio};
use std::time::Duration;

use common_bus::*;
use factum::bus::nats::{
    command_id, BusConsumer, ConsumerConfig, ConsumerError, Deduplicated, OutboxRelay, RelayConfig, StoreHandledEvents,
};
use factum::store::{memory::MemoryStore, sqlite::SqliteStore, LogQuery};
use factum::types::Uuid;
use factum::{
    Aggregate, CommandService, DecodeErrorKind, Envelope, EventStore, ExpectedVersion, NewEvent, SubscriptionHandler,
};
use orders_example::bus::{placed_orders, BusOptions};
use orders_example::reservations::{StockReservations, MANAGER};
use orders_example::schema::{AddStock, Inventory, InventoryEvent, Order, OrderEvent};

/// The options of the example's processes for `bus`.
fn options(bus: &factum::bus::nats::BusConfig, url: &str) -> BusOptions {
    BusOptions { url: url.into(), stream: bus.stream().into(), prefix: bus.prefix().to_string() }
}

/// Takes `count` deliveries from `consumer`, acknowledging each; fails the test if they do not come within 20 s.
async fn take<E: factum::EventSet>(consumer: &mut BusConsumer<E>, count: usize) -> Vec<(E, Envelope)> {
    let mut taken = Vec::with_capacity(count);
    while taken.len() < count {
        let delivery = tokio::time::timeout(Duration::from_secs(20), consumer.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} events delivered within 20 s", taken.len()))
            .unwrap();
        delivery.ack().await.unwrap();
        taken.push((delivery.event, delivery.envelope));
    }
    taken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_publishes_the_log_in_order_with_envelopes_and_consumers_upcast() {
    let client = connect(NATS_URL).await;
    let bus = unique_bus("order");
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(directory.path().join("orders.db")).unwrap();
    let mut ids = store_orders(&store, 3).await;
    // An order a first release stored: v1, read back as v3 on the consumer's side.
    let legacy = NewEvent::new("OrderCreated", 1, ORDER_CREATED_V1).with_aggregate_type(Order::NAME);
    ids.push(legacy.event_id);
    store.append(&format!("Order-{}", Uuid::new_v4()), ExpectedVersion::NoStream, vec![legacy]).await.unwrap();
    // An event of another aggregate, published too, and passed over by a consumer of orders.
    let inventory = CommandService::<Inventory, _>::new(store.clone());
    inventory.handle(&"main".to_owned(), AddStock { sku: "chair".into(), quantity: 2 }.into()).await.unwrap();

    let mut relay =
        OutboxRelay::start(store.clone(), client.clone(), RelayConfig::new(bus.clone()).batch_size(2)).await.unwrap();
    let progress = relay.publish_available().await.unwrap();
    assert_eq!((progress.published, progress.duplicates, progress.next_position), (5, 0, 6));
    assert_eq!(stream_messages(&client, &bus).await, 5);
    // Published once: a second pass, and a relay started again, find nothing to publish.
    assert_eq!(relay.publish_available().await.unwrap().published, 5);
    let mut again = OutboxRelay::start(store.clone(), client.clone(), RelayConfig::new(bus.clone())).await.unwrap();
    assert_eq!(again.publish_available().await.unwrap().published, 0);
    assert_eq!(stream_messages(&client, &bus).await, 5);

    let config = ConsumerConfig::new(bus.clone(), "orders").unwrap().aggregate::<Order>();
    let mut consumer = BusConsumer::<OrderEvent>::bind(client.clone(), config).await.unwrap();
    let delivered = take(&mut consumer, 4).await;
    let stored = store.read_all(&LogQuery::all().aggregate_type(Order::NAME)).await.unwrap();
    let envelopes: Vec<_> = delivered.iter().map(|(_, envelope)| envelope.clone()).collect();
    assert_eq!(envelopes, stored.iter().map(|recorded| recorded.envelope.clone()).collect::<Vec<_>>());
    assert_eq!(envelopes.iter().map(|envelope| envelope.event_id).collect::<Vec<_>>(), ids);
    let OrderEvent::OrderCreated(upcast) = &delivered[3].0 else { panic!("{:?}", delivered[3].0) };
    assert_eq!((delivered[3].1.event_version, upcast.customer_name.as_str()), (1, "sample customer"));
    delete_stream(&client, &bus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_publish_and_restarted_delivers_every_event_once() {
    let client = connect(NATS_URL).await;
    let bus = unique_bus("kill");
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("orders.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut ids = store_orders(&store, 20_000).await;
    let relay = |options: &BusOptions| {
        Command::new(env!("CARGO_BIN_EXE_orders-example"))
            .args(["relay", &format!("sqlite:{}", path.display()), "--bus", &options.url])
            .args(["--stream", &options.stream, "--prefix", &options.prefix])
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let options = options(&bus, NATS_URL);

    let mut first = relay(&options);
    // The relay creates the stream, then publishes: kill it once some, not all, of the log is in.
    wait_until(Duration::from_secs(30), "the relay's first messages", || holds(&client, &bus, 1_000)).await;
    first.kill().unwrap();
    first.wait().unwrap();
    let published = stream_messages(&client, &bus).await;
    assert!(published < 20_000, "the relay was killed after it had published everything ({published})");

    // Orders keep coming while no relay runs; the restarted relay publishes the rest, and these.
    ids.extend(store_orders(&store, 500).await);
    let mut second = relay(&options);
    wait_until(Duration::from_secs(60), "every event in the stream", || holds(&client, &bus, 20_500)).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(stream_messages(&client, &bus).await, 20_500, "events stored twice in the stream");

    let config = ConsumerConfig::new(bus.clone(), "count").unwrap();
    let mut consumer = BusConsumer::<OrderEvent>::bind(client.clone(), config).await.unwrap();
    let delivered = take(&mut consumer, 20_500).await;
    let positions: Vec<u64> = delivered.iter().map(|(_, envelope)| envelope.position).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "the stream is not in commit order");
    check_once(&ids, &count_ids(delivered.iter().map(|(_, envelope)| envelope.event_id)));
    let more = tokio::time::timeout(Duration::from_millis(300), consumer.next()).await;
    assert!(more.is_err(), "a message past the log's events: {more:?}");
    delete_stream(&client, &bus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_resumes_when_nats_comes_back() {
    let directory = tempfile::tempdir().unwrap();
    let mut server = OwnServer::start(&directory.path().join("nats"));
    // On file: the stream outlives the server's restart.
    let bus = factum::bus::nats::BusConfig::new("RESTART", "restart").unwrap();
    let client = connect(&server.url()).await;
    let store = MemoryStore::new();
    let mut ids = store_orders(&store, 300).await;
    let config =
        RelayConfig::new(bus.clone()).ack_timeout(Duration::from_millis(500)).retry_max(Duration::from_millis(200));
    let mut relay = OutboxRelay::start(store.clone(), client.clone(), config).await.unwrap();
    let relaying = tokio::spawn(async move { relay.run().await });
    wait_until(Duration::from_secs(20), "the first events", || holds(&client, &bus, 300)).await;

    server.kill();
    // Committed while the server is down: the relay keeps them until it is back.
    ids.extend(store_orders(&store, 300).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.restart(&directory.path().join("nats"));
    ids.extend(store_orders(&store, 300).await);
    wait_until(Duration::from_secs(30), "every event after the restart", || holds(&client, &bus, 900)).await;
    assert!(!relaying.is_finished(), "the relay stopped: {:?}", relaying.await);
    relaying.abort();
    assert_eq!(stream_messages(&client, &bus).await, 900);
    let mut consumer =
        BusConsumer::<OrderEvent>::bind(client.clone(), ConsumerConfig::new(bus, "count").unwrap()).await.unwrap();
    let delivered = take(&mut consumer, 900).await;
    let positions: Vec<u64> = delivered.iter().map(|(_, envelope)| envelope.position).collect();
    assert_eq!(positions, (1..=900).collect::<Vec<_>>());
    check_once(&ids, &count_ids(delivered.iter().map(|(_, envelope)| envelope.event_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_handled_but_not_acknowledged_is_delivered_again_and_handled_once() {
    let client = connect(NATS_URL).await;
    let bus = unique_bus("crash");
    let store = MemoryStore::new();
    let inventory = CommandService::<Inventory, _>::new(store.clone());
    inventory.handle(&"main".to_owned(), AddStock { sku: "sample sku".into(), quantity: 100 }.into()).await.unwrap();
    store_orders(&store, 1).await;
    OutboxRelay::start(store.clone(), client.clone(), RelayConfig::new(bus.clone()))
        .await
        .unwrap()
        .publish_available()
        .await
        .unwrap();
    let config = placed_orders(&options(&bus, NATS_URL), MANAGER).unwrap().ack_wait(Duration::from_secs(1));

    // The inventory process handles the order, and dies before its acknowledgement leaves.
    let crashed = connect(NATS_URL).await;
    let mut consumer = BusConsumer::<OrderEvent>::bind(crashed.clone(), config.clone()).await.unwrap();
    let delivery = consumer.next().await.unwrap();
    let mut reservations = StockReservations::new(store.clone(), "main");
    reservations.handle(&delivery.event, &delivery.envelope).await.unwrap();
    assert_eq!(delivery.delivered(), 1);
    drop((delivery, consumer, crashed));

    // Its successor is handed the order again, and the reservation's command id finds the first one.
    let mut consumer = BusConsumer::<OrderEvent>::bind(client.clone(), config).await.unwrap();
    let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next()).await.unwrap().unwrap();
    assert_eq!(delivery.delivered(), 2);
    reservations.handle(&delivery.event, &delivery.envelope).await.unwrap();
    delivery.ack().await.unwrap();
    let loaded = inventory.load(&"main".to_owned()).await.unwrap();
    assert_eq!(loaded.version, 2, "the stock was reserved twice");
    let reserved = store.read_stream("Inventory-main", 2).await.unwrap();
    assert_eq!(reserved[0].envelope.metadata.command_id, Some(command_id(MANAGER, &delivery.envelope)));
    let decided = factum::LogEventRef::from(&reserved[0]).decode::<InventoryEvent>().unwrap();
    assert!(matches!(decided, InventoryEvent::StockReserved(_)), "{decided:?}");
    delete_stream(&client, &bus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_event_stops_the_consumer_and_stays_on_the_bus() {
    let client = connect(NATS_URL).await;
    let bus = unique_bus("newer");
    let store = MemoryStore::new();
    let newer = NewEvent::new("OrderCreated", 9, "{}").with_aggregate_type(Order::NAME);
    store.append("Order-1", ExpectedVersion::NoStream, vec![newer]).await.unwrap();
    OutboxRelay::start(store.clone(), client.clone(), RelayConfig::new(bus.clone()))
        .await
        .unwrap()
        .publish_available()
        .await
        .unwrap();
    // A message handed back to a consumer that is gone waits for its pull request to expire or its ack wait.
    let config = ConsumerConfig::new(bus.clone(), "orders").unwrap().ack_wait(Duration::from_secs(1));
    for delivery in 1..=2 {
        let mut consumer = BusConsumer::<OrderEvent>::bind(client.clone(), config.clone()).await.unwrap();
        let mut handler = StockReservations::new(store.clone(), "main");
        let stopped = tokio::time::timeout(Duration::from_secs(10), consumer.run(&mut handler)).await.unwrap();
        match stopped {
            Err(ConsumerError::Decode(error)) => {
                assert!(matches!(error.kind, DecodeErrorKind::UnknownVersion { version: 9, .. }), "{error}");
                assert_eq!((error.stream_id.as_str(), error.position), ("Order-1", 1), "delivery {delivery}");
            }
            other => panic!("delivery {delivery}: {other:?}"),
        }
    }
    delete_stream(&client, &bus).await;
}

/// Counts what it is handed.
#[derive(Default)]
struct Counter(Vec<Uuid>);

impl SubscriptionHandler<OrderEvent> for Counter {
    type Error = std::convert::Infallible;

    async fn handle(&mut self, _: &OrderEvent, envelope: &Envelope) -> Result<(), Self::Error> {
        self.0.push(envelope.event_id);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handled_event_ids_kept_in_the_consumers_store_skip_redeliveries() {
    let client = connect(NATS_URL).await;
    let bus = unique_bus("dedup");
    let source = MemoryStore::new();
    let ids = store_orders(&source, 3).await;
    OutboxRelay::start(source.clone(), client.clone(), RelayConfig::new(bus.clone()))
        .await
        .unwrap()
        .publish_available()
        .await
        .unwrap();
    // The consumer's own store, where it records what it handled.
    let directory = tempfile::tempdir().unwrap();
    let own = SqliteStore::open(directory.path().join("consumer.db")).unwrap();
    let mut handler = Deduplicated::new(Counter::default(), StoreHandledEvents::new(own.clone(), "counter"));
    let config = ConsumerConfig::new(bus.clone(), "counter").unwrap();
    let mut consumer = BusConsumer::<OrderEvent>::bind(client.clone(), config).await.unwrap();
    let deliveries = [consumer.next().await.unwrap(), consumer.next().await.unwrap(), consumer.next().await.unwrap()];
    for delivery in &deliveries {
        handler.handle(&delivery.event, &delivery.envelope).await.unwrap();
    }
    // Handed the same events again (a redelivery), the inner handler is not called.
    for delivery in &deliveries {
        handler.handle(&delivery.event, &delivery.envelope).await.unwrap();
        delivery.ack().await.unwrap();
    }
    let mut again = Deduplicated::new(Counter::default(), StoreHandledEvents::new(own, "counter"));
    again.handle(&deliveries[0].event, &deliveries[0].envelope).await.unwrap();
    assert_eq!((handler.handler().0.clone(), again.handler().0.len()), (ids, 0));
    delete_stream(&client, &bus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_on_another_store_does_not_take_the_streams_end_for_its_own() {
    let client = connect(NATS_URL).await;
    let bus = unique_bus("reuse");
    let first = MemoryStore::new();
    store_orders(&first, 3).await;
    let mut relay = OutboxRelay::start(first, client.clone(), RelayConfig::new(bus.clone())).await.unwrap();
    relay.publish_available().await.unwrap();
    // A new store whose log is longer: position 3 of the stream's last message is another event there.
    let second = MemoryStore::new();
    let ids = store_orders(&second, 5).await;
    let mut relay = OutboxRelay::start(second, client.clone(), RelayConfig::new(bus.clone())).await.unwrap();
    let progress = relay.publish_available().await.unwrap();
    assert_eq!((progress.published, progress.duplicates, progress.next_position), (5, 0, 6));
    let mut consumer =
        BusConsumer::<OrderEvent>::bind(client.clone(), ConsumerConfig::new(bus.clone(), "all").unwrap())
            .await
            .unwrap();
    let delivered = take(&mut consumer, 8).await;
    let second_ids: Vec<Uuid> = delivered[3..].iter().map(|(_, envelope)| envelope.event_id).collect();
    assert_eq!(second_ids, ids);
    delete_stream(&client, &bus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_larger_than_the_server_takes_stops_the_relay_before_it() {
    let client = connect(NATS_URL).await;
    let bus = unique_bus("large");
    let store = MemoryStore::new();
    let ids = store_orders(&store, 2).await;
    let note = "x".repeat(client.server_info().max_payload);
    let large = NewEvent::new("OrderCancelled", 1, format!("{{\"reason\":\"{note}\"}}")).with_aggregate_type("Order");
    store.append("Order-large", ExpectedVersion::NoStream, vec![large]).await.unwrap();
    let mut relay =
        OutboxRelay::start(store, client.clone(), RelayConfig::new(bus.clone()).batch_size(1)).await.unwrap();
    match relay.publish_available().await {
        Err(error @ factum::bus::nats::RelayError::TooLarge { position: 3, .. }) => {
            assert!(!error.is_retryable());
            assert!(error.to_string().starts_with("event `OrderCancelled` at position 3 (stream `Order-large`) takes"));
        }
        other => panic!("{other:?}"),
    }
    // Everything before it is published, and the checkpoint stands at it.
    assert_eq!(relay.progress().next_position, 3);
    assert_eq!(stream_messages(&client, &bus).await, ids.len() as u64);
    let stopped = tokio::time::timeout(Duration::from_secs(5), relay.run()).await.unwrap();
    assert!(matches!(stopped, Err(factum::bus::nats::RelayError::TooLarge { position: 3, .. })));
    delete_stream(&client, &bus).await;
}

/// Runs the example's binary with `arguments`; returns whether it succeeded, and its stdout and stderr.
fn run_example(arguments: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_orders-example")).args(arguments).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[test]
fn the_demo_reserves_stock_through_the_inventory_process_over_the_bus() {
    let directory = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", directory.path().join("orders.db").display());
    let bus = unique_bus("demo");
    let prefix = bus.prefix().to_string();
    let (succeeded, stdout, stderr) =
        run_example(&[&store, "--bus", NATS_URL, "--stream", bus.stream(), "--prefix", &prefix]);
    assert!(succeeded, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let decisions = stdout.split("== stock reservations").nth(1).unwrap().split("== event log").next().unwrap();
    let reserved = decisions.lines().filter(|line| line.starts_with("reserved order")).count();
    let short = decisions.lines().filter(|line| line.starts_with("short")).count();
    assert_eq!((reserved, short), (3, 2), "{decisions}");
    assert!(stdout.contains(&format!("(stream {}, subjects {prefix}.>)", bus.stream())), "{stdout}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async { delete_stream(&connect(NATS_URL).await, &bus).await });
}

fn check_usage_error(arguments: &[&str], expected: &str) {
    let (succeeded, _, stderr) = run_example(arguments);
    assert!(!succeeded);
    assert_eq!(stderr.lines().next().unwrap_or_default(), expected, "{arguments:?}");
}

/// The store is the argument `STORE` or, as the other examples take it, `--store STORE`; not both.
#[test]
fn the_store_is_an_argument_or_the_store_option() {
    for arguments in [&["memory:"][..], &["--store", "memory:"]] {
        let (succeeded, stdout, stderr) = run_example(arguments);
        assert!(succeeded, "{arguments:?}: {stderr}");
        assert_eq!(stdout.lines().next(), Some("event store: memory:"), "{arguments:?}");
    }
    check_usage_error(
        &["memory:", "--store", "memory:"],
        "error: the store is given twice: as `STORE` and as `--store`",
    );
    check_usage_error(&["relay", "--store", "sqlite:x.db"], "error: `relay` takes `--bus URL`");
}

#[test]
fn the_bus_commands_say_what_they_lack() {
    check_usage_error(&["relay", "sqlite:x.db"], "error: `relay` takes `--bus URL`");
    check_usage_error(&["inventory", "--bus", NATS_URL], "error: `inventory` takes a store URL");
    check_usage_error(&["--bus"], "error: `--bus` takes a value");
    check_usage_error(&["--queue", "x"], "error: unknown option `--queue`");
    check_usage_error(
        &["memory:", "--bus", NATS_URL],
        "error: `--bus` needs a store the inventory process can open too, not `memory:`",
    );
}
