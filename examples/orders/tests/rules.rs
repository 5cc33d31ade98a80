//! The order rules, given/when/then: given these events, when this command, then these events or this error.

use factum::{testing::AggregateTest, types::Uuid};
use orders_example::{
    schema::{
        CancelOrder, CreateOrder, LineItem, Order, OrderCancelled, OrderCreated, OrderEvent, OrderShipped, OrderStatus,
        PayOrder, PaymentReceived, PaymentRejected, ShipOrder,
    },
    OrderError,
};

fn created() -> OrderEvent {
    OrderCreated {
        customer_id: ada(),
        customer_name: "ada".into(),
        currency: "EUR".into(),
        items: vec![
            LineItem { sku: "book".into(), quantity: 2, unit_price: 3_500 },
            LineItem { sku: "pen".into(), quantity: 1, unit_price: 200 },
        ],
    }
    .into()
}

fn ada() -> Uuid {
    Uuid::from_u128(7)
}

fn create(items: Vec<LineItem>) -> CreateOrder {
    CreateOrder { customer_id: ada(), customer_name: "ada".into(), items, currency: "EUR".into() }
}

fn paid() -> OrderEvent {
    PaymentReceived { amount: 7_200 }.into()
}

fn shipped() -> OrderEvent {
    OrderShipped { carrier: Some("DHL".into()) }.into()
}

fn cancelled() -> OrderEvent {
    OrderCancelled { reason: "no longer needed".into() }.into()
}

fn order() -> AggregateTest<Order> {
    AggregateTest::given_no_events()
}

#[test]
fn an_order_is_created_once_and_with_lines() {
    let command = create(vec![LineItem { sku: "x".into(), quantity: 1, unit_price: 5 }]);
    order().when(command.clone()).then(vec![OrderCreated {
        customer_id: ada(),
        customer_name: "ada".into(),
        items: command.items.clone(),
        currency: "EUR".into(),
    }
    .into()]);
    AggregateTest::<Order>::given([created()]).when(command).then_error(OrderError::AlreadyCreated);
    order().when(create(vec![])).then_error(OrderError::NoItems);
    let huge = LineItem { sku: "x".into(), quantity: u32::MAX, unit_price: u64::MAX };
    order().when(create(vec![huge])).then_error(OrderError::TotalTooLarge);
}

#[test]
fn a_payment_of_the_amount_due_is_received() {
    AggregateTest::<Order>::given([created()]).when(PayOrder { amount: 7_200 }).then(vec![paid()]).then_state(
        |state| {
            assert_eq!(state.status, Some(OrderStatus::Paid));
            assert_eq!((state.total, state.paid), (7_200, 7_200));
        },
    );
}

#[test]
fn a_payment_that_does_not_match_is_recorded_as_rejected() {
    AggregateTest::<Order>::given([created()])
        .when(PayOrder { amount: 7_000 })
        .then(vec![PaymentRejected { amount: 7_000, reason: "the amount due is 7200, not 7000".into() }.into()])
        .then_state(|state| assert_eq!((state.status, state.paid), (Some(OrderStatus::Placed), 0)));
}

#[test]
fn a_cancelled_order_takes_no_payment() {
    AggregateTest::<Order>::given([created(), cancelled()])
        .when(PayOrder { amount: 7_200 })
        .then_error(OrderError::Cancelled);
}

#[test]
fn a_paid_order_is_not_paid_again() {
    AggregateTest::<Order>::given([created(), paid()])
        .when(PayOrder { amount: 7_200 })
        .then_error(OrderError::AlreadyPaid);
}

#[test]
fn an_unpaid_order_does_not_ship() {
    AggregateTest::<Order>::given([created()]).when(ShipOrder { carrier: None }).then_error(OrderError::NotPaid);
    AggregateTest::<Order>::given([created(), PaymentRejected { amount: 1, reason: "short".into() }.into()])
        .when(ShipOrder { carrier: None })
        .then_error(OrderError::NotPaid);
}

#[test]
fn a_paid_order_ships_once() {
    AggregateTest::<Order>::given([created(), paid()])
        .when(ShipOrder { carrier: Some("DHL".into()) })
        .then(vec![shipped()]);
    AggregateTest::<Order>::given([created(), paid(), shipped()])
        .when(ShipOrder { carrier: None })
        .then_error(OrderError::AlreadyShipped);
}

#[test]
fn a_shipped_order_cannot_be_cancelled() {
    AggregateTest::<Order>::given([created(), paid(), shipped()])
        .when(CancelOrder { reason: "late".into() })
        .then_error(OrderError::CannotCancelShipped);
}

#[test]
fn placed_and_paid_orders_can_be_cancelled() {
    let cancel = CancelOrder { reason: "no longer needed".into() };
    AggregateTest::<Order>::given([created()]).when(cancel.clone()).then(vec![cancelled()]);
    AggregateTest::<Order>::given([created(), paid()])
        .when(cancel)
        .then(vec![cancelled()])
        .then_state(|state| assert_eq!(state.status, Some(OrderStatus::Cancelled)));
}

#[test]
fn commands_on_a_missing_order_are_rejected() {
    order().when(PayOrder { amount: 1 }).then_error(OrderError::NotFound);
    order().when(ShipOrder { carrier: None }).then_error(OrderError::NotFound);
    order().when(CancelOrder { reason: "x".into() }).then_error(OrderError::NotFound);
}
