//! The warehouse's inventory rules, and the stock reservation process manager following the orders live on an
//! SQLite file: each new order is reserved once, even when the manager is handed its event again, and each
//! reservation names the order's event as its cause and carries the order's correlation.

use std::time::Duration;

use factum::store::sqlite::SqliteStore;
use factum::store::LogQuery;
use factum::testing::AggregateTest;
use factum::types::Uuid;
use factum::{CommandService, EventStore, Metadata, Subscription};
use orders_example::reservations::{placed_orders, StockReservations};
use orders_example::schema::{
    AddStock, CreateOrder, Inventory, InventoryEvent, LineItem, Order, ReserveStock, StockAdded, StockLine,
    StockReserved, StockShort,
};
use orders_example::InventoryError;

fn line(sku: &str, quantity: u32) -> StockLine {
    StockLine { sku: sku.into(), quantity }
}

fn added(sku: &str, quantity: u32) -> InventoryEvent {
    StockAdded { sku: sku.into(), quantity }.into()
}

fn order_id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// Given `stock`, reserving `lines` for order 1 records `expected`.
fn check(stock: &[(&str, u32)], lines: Vec<StockLine>, expected: Result<InventoryEvent, InventoryError>) {
    let given: Vec<_> = stock.iter().map(|&(sku, quantity)| added(sku, quantity)).collect();
    let when = AggregateTest::<Inventory>::given(given).when(ReserveStock { order_id: order_id(1), lines });
    match expected {
        Ok(event) => drop(when.then(vec![event])),
        Err(error) => drop(when.then_error(error)),
    }
}

#[test]
fn an_order_reserves_all_of_its_lines_or_none() {
    check(
        &[("book", 2), ("pen", 1)],
        vec![line("book", 2), line("pen", 1)],
        Ok(StockReserved { order_id: order_id(1), lines: vec![line("book", 2), line("pen", 1)] }.into()),
    );
    check(
        &[("book", 2), ("pen", 1)],
        vec![line("book", 2), line("pen", 2)],
        Ok(StockShort { order_id: order_id(1), sku: "pen".into(), requested: 2, available: 1 }.into()),
    );
    // Lines of one product count together, and stock added twice adds up.
    check(
        &[("book", 2), ("book", 1)],
        vec![line("book", 2), line("book", 2)],
        Ok(StockShort { order_id: order_id(1), sku: "book".into(), requested: 4, available: 3 }.into()),
    );
    check(
        &[],
        vec![line("lamp", 1)],
        Ok(StockShort { order_id: order_id(1), sku: "lamp".into(), requested: 1, available: 0 }.into()),
    );
    check(&[("book", 1)], vec![], Err(InventoryError::NoLines));
}

#[test]
fn each_order_is_decided_once_and_reserved_stock_is_gone() {
    let reserved: InventoryEvent = StockReserved { order_id: order_id(1), lines: vec![line("book", 2)] }.into();
    let short: InventoryEvent =
        StockShort { order_id: order_id(2), sku: "book".into(), requested: 9, available: 1 }.into();
    let given = vec![added("book", 3), reserved, short];
    for order in [1, 2] {
        AggregateTest::<Inventory>::given(given.clone())
            .when(ReserveStock { order_id: order_id(order), lines: vec![line("book", 1)] })
            .then_error(InventoryError::AlreadyDecided { order_id: order_id(order) });
    }
    AggregateTest::<Inventory>::given(given)
        .when(ReserveStock { order_id: order_id(3), lines: vec![line("book", 2)] })
        .then(vec![StockShort { order_id: order_id(3), sku: "book".into(), requested: 2, available: 1 }.into()]);
    AggregateTest::<Inventory>::given_no_events()
        .when(AddStock { sku: "book".into(), quantity: 0 })
        .then_error(InventoryError::NothingAdded);
}

fn create(sku: &str, quantity: u32) -> CreateOrder {
    CreateOrder {
        customer_id: Uuid::from_u128(7),
        customer_name: "ada".into(),
        items: vec![LineItem { sku: sku.into(), quantity, unit_price: 100 }],
        currency: "EUR".into(),
    }
}

/// The inventory's decisions, in order: (order id, reserved?, causation id, correlation id).
async fn decisions<S: EventStore>(store: &S, count: usize) -> Vec<(Uuid, bool, Option<Uuid>, Option<Uuid>)> {
    let mut inventory = Subscription::to_aggregate::<Inventory>(store, 1);
    let mut decided = Vec::new();
    while decided.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(10), inventory.next()).await;
        let (event, envelope) = next.expect("the manager decides every order in time").expect("the inventory reads");
        let (order, reserved) = match event {
            InventoryEvent::StockReserved(reserved) => (reserved.order_id, true),
            InventoryEvent::StockShort(short) => (short.order_id, false),
            InventoryEvent::StockAdded(_) => continue,
        };
        decided.push((order, reserved, envelope.metadata.causation_id, envelope.metadata.correlation_id));
    }
    decided
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_process_manager_reserves_each_new_order_live_with_its_ids() {
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(directory.path().join("orders.sqlite")).unwrap();
    let inventory = CommandService::<Inventory, _>::new(store.clone());
    inventory.handle(&"main".to_owned(), AddStock { sku: "book".into(), quantity: 3 }.into()).await.unwrap();

    let mut manager = StockReservations::new(store.clone(), "main");
    let mut placed = placed_orders(store.clone(), 1);
    let running = tokio::spawn(async move { placed.run(&mut manager).await });

    let orders = CommandService::<Order, _>::new(store.clone());
    let correlation = Uuid::new_v4();
    let (first, second, third) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    orders.handle_with(&first, create("book", 2).into(), Metadata::correlated(correlation)).await.unwrap();
    orders.handle_with(&second, create("book", 2).into(), Metadata::correlated(correlation)).await.unwrap();
    orders.handle(&third, create("book", 1).into()).await.unwrap();

    let decided = decisions(&store, 3).await;
    assert!(!running.is_finished(), "the manager keeps following the log: {:?}", running.await);
    running.abort();
    let created = store.read_all(&LogQuery::all().events(["OrderCreated"])).await.unwrap();
    let created_ids: Vec<Uuid> = created.iter().map(|event| event.envelope.event_id).collect();
    assert_eq!(
        decided,
        [
            (first, true, Some(created_ids[0]), Some(correlation)),
            (second, false, Some(created_ids[1]), Some(correlation)),
            // An order without a correlation starts one: its own event's id.
            (third, true, Some(created_ids[2]), Some(created_ids[2])),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_handed_over_again_is_not_reserved_twice() {
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(directory.path().join("orders.sqlite")).unwrap();
    let inventory = CommandService::<Inventory, _>::new(store.clone());
    inventory.handle(&"main".to_owned(), AddStock { sku: "book".into(), quantity: 10 }.into()).await.unwrap();
    let orders = CommandService::<Order, _>::new(store.clone());
    for _ in 0..3 {
        orders.handle(&Uuid::new_v4(), create("book", 2).into()).await.unwrap();
    }
    // Two managers from the start of the log: the second is handed every order the first already reserved for.
    // Each ends past the end of the log: after the orders and the three reservations the first one made.
    for expected_next in [8, 8] {
        let mut manager = StockReservations::new(store.clone(), "main");
        let next = placed_orders(store.clone(), 1).handle_available(&mut manager).await.unwrap();
        assert_eq!(next, expected_next, "the manager caught up with the whole log");
    }
    let state = inventory.load(&"main".to_owned()).await.unwrap().state;
    assert_eq!((state.decided_orders.len(), state.available.get("book").copied()), (3, Some(4)));
}
