//! The order domain end to end on both stores: commands through the service, the stored log, loads and the
//! `OrderSummary` projection.

use factum::{
    store::{memory::MemoryStore, sqlite::SqliteStore, LogQuery},
    types::Uuid,
    Aggregate, CheckpointStore, CommandError, CommandService, EventStore, ExpectedVersion, Metadata, NewEvent,
    ProjectionRunner,
};
use orders_example::{
    schema::{CancelOrder, CreateOrder, LineItem, Order, OrderStatus, OrderSummary, PayOrder, ShipOrder},
    upcasts::legacy_customer_id,
    OrderError, Summary,
};

fn sorted<const N: usize>(mut ids: [Uuid; N]) -> Vec<Uuid> {
    ids.sort();
    ids.to_vec()
}

fn create(quantity: u32) -> CreateOrder {
    CreateOrder {
        customer_id: Uuid::from_u128(7),
        customer_name: "ada".into(),
        items: vec![LineItem { sku: "book".into(), quantity, unit_price: 1_000 }],
        currency: "EUR".into(),
    }
}

async fn lifecycle<S: EventStore + CheckpointStore>(store: S) {
    let service = CommandService::<Order, _>::new(store);
    let shipped = Uuid::new_v4();
    let cancelled = Uuid::new_v4();
    let correlation = Uuid::new_v4();
    let metadata = Metadata::correlated(correlation);

    service.handle_with(&shipped, create(2).into(), metadata.clone()).await.unwrap();
    let rejected = service.handle(&shipped, PayOrder { amount: 1 }.into()).await.unwrap();
    assert_eq!(rejected.state.status, Some(OrderStatus::Placed), "a rejected payment leaves the order placed");
    service.handle(&shipped, PayOrder { amount: 2_000 }.into()).await.unwrap();
    let done = service.handle(&shipped, ShipOrder { carrier: None }.into()).await.unwrap();
    assert_eq!(done.stream_version, 4);
    assert_eq!(done.state.status, Some(OrderStatus::Shipped));

    let refused = service.handle(&shipped, CancelOrder { reason: "late".into() }.into()).await;
    assert!(matches!(refused, Err(CommandError::Rejected(OrderError::CannotCancelShipped))), "{refused:?}");
    assert_eq!(service.load(&shipped).await.unwrap().version, 4, "a rejected command writes nothing");

    service.handle(&cancelled, create(1).into()).await.unwrap();
    service.handle(&cancelled, CancelOrder { reason: "changed my mind".into() }.into()).await.unwrap();
    let refused = service.handle(&cancelled, PayOrder { amount: 1_000 }.into()).await;
    assert!(matches!(refused, Err(CommandError::Rejected(OrderError::Cancelled))), "{refused:?}");

    let log = service.store().read_all(&LogQuery::all()).await.unwrap();
    let names: Vec<_> = log.iter().map(|recorded| recorded.envelope.event_name.as_str()).collect();
    assert_eq!(
        names,
        ["OrderCreated", "PaymentRejected", "PaymentReceived", "OrderShipped", "OrderCreated", "OrderCancelled"]
    );
    assert_eq!(log[0].envelope.metadata.correlation_id, Some(correlation));
    assert_eq!(log[0].envelope.stream_id, format!("Order-{shipped}"));

    // A summary in memory: the runner holds its checkpoint, and the store keeps none.
    let mut runner = ProjectionRunner::held(service.store(), OrderSummary(Summary::default()));
    let next = runner.catch_up().await.unwrap();
    assert_eq!(next, 7);
    assert_eq!(service.store().checkpoint("OrderSummary").await.unwrap(), 1);
    let summary = runner.into_projection().0;
    assert_eq!(summary.orders.keys().copied().collect::<Vec<_>>(), sorted([shipped, cancelled]), "typed ids");
    assert_eq!(summary.count(OrderStatus::Shipped), 1);
    assert_eq!(summary.count(OrderStatus::Cancelled), 1);
    assert_eq!((summary.ordered, summary.received), (3_000, 2_000));
}

#[tokio::test]
async fn order_lifecycle_on_the_memory_store() {
    lifecycle(MemoryStore::new()).await;
}

#[tokio::test]
async fn order_lifecycle_on_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    lifecycle(SqliteStore::open(dir.path().join("orders.sqlite")).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_payments_record_one_payment() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("orders.sqlite")).unwrap();
    let service = std::sync::Arc::new(CommandService::<Order, _>::new(store).with_max_attempts(10));
    let id = Uuid::new_v4();
    service.handle(&id, create(1).into()).await.unwrap();
    let payments = (0..8).map(|_| {
        let service = service.clone();
        tokio::spawn(async move { service.handle(&id, PayOrder { amount: 1_000 }.into()).await })
    });
    let mut received = 0;
    for payment in payments {
        match payment.await.unwrap() {
            Ok(_) => received += 1,
            Err(CommandError::Rejected(OrderError::AlreadyPaid)) => {}
            Err(other) => panic!("unexpected outcome: {other:?}"),
        }
    }
    assert_eq!(received, 1, "exactly one payment wins; the others re-decide against the paid order");
    assert_eq!(service.load(&id).await.unwrap().state.paid, 1_000);
}

/// Orders stored by older builds (`OrderCreated` v1 and v2, the schema's fixtures) read as v3 everywhere events are
/// read: aggregate loads, commands decided on them, and projections.
#[tokio::test]
async fn events_of_older_builds_read_as_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let service = CommandService::<Order, _>::new(SqliteStore::open(dir.path().join("orders.sqlite")).unwrap());
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/fixtures/orders");
    let mut ids = Vec::new();
    for version in [1, 2] {
        let id = Uuid::new_v4();
        let payload = std::fs::read(fixtures.join(format!("OrderCreated.v{version}.json"))).unwrap();
        let stored = NewEvent::new("OrderCreated", version, payload).with_aggregate_type(Order::NAME);
        service.store().append(&Order::stream_id(&id), ExpectedVersion::NoStream, vec![stored]).await.unwrap();
        ids.push(id);
    }

    let v1 = service.load(&ids[0]).await.unwrap();
    assert_eq!(v1.state.currency, "IDR", "the v1 -> v2 step's default");
    assert_eq!(v1.state.customer_id, Some(legacy_customer_id("sample customer")), "the custom v2 -> v3 step");
    assert_eq!(v1.state.total, 32 * 64);
    let paid = service.handle(&ids[0], PayOrder { amount: 32 * 64 }.into()).await.unwrap();
    assert_eq!((paid.stream_version, paid.state.status), (2, Some(OrderStatus::Paid)));

    let mut runner = ProjectionRunner::held(service.store(), OrderSummary(Summary::default()));
    runner.catch_up().await.unwrap();
    let summary = runner.into_projection();
    assert_eq!(summary.0.count(OrderStatus::Placed), 1, "the v2 order");
    assert_eq!(summary.0.count(OrderStatus::Paid), 1, "the v1 order");
    assert_eq!(summary.0.ordered, 2 * 32 * 64);

    let log = service.store().read_all(&LogQuery::all()).await.unwrap();
    let versions: Vec<_> = log.iter().map(|recorded| recorded.envelope.event_version).collect();
    assert_eq!(versions, [1, 2, 1], "stored events keep their versions; new ones are written at the latest");
}
