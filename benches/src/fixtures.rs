//! The events the benchmarks store: realistic order events, encoded exactly as the command service encodes them.

use factum::{Metadata, NewEvent};
use orders_example::{
    schema::{LineItem, OrderCreated, OrderEvent, PaymentReceived, PaymentRejected},
    upcasts::legacy_customer_id,
};

/// What the benchmark order costs in all, in cents; every received payment pays exactly this.
pub const ORDER_TOTAL: u64 = 2 * 1_250 + 3_499 + 4 * 199;

/// The customer of the benchmark order.
pub const CUSTOMER: &str = "Ada Lovelace <ada@example.com>";

/// The lines of the benchmark order.
pub fn line_items() -> Vec<LineItem> {
    vec![
        LineItem { sku: "BOOK-ANALYTICAL-ENGINE".to_owned(), quantity: 2, unit_price: 1_250 },
        LineItem { sku: "LAMP-OIL-500ML".to_owned(), quantity: 1, unit_price: 3_499 },
        LineItem { sku: "PENCIL-HB".to_owned(), quantity: 4, unit_price: 199 },
    ]
}

/// The event with the 0-based `index` of a benchmark order stream.
///
/// The order is created first (three lines), then payments alternate between a rejected one (one cent short) and a
/// received one, so that a fold runs both payment methods of the real `OrderEvolve` rules.
pub fn order_event(index: usize) -> OrderEvent {
    if index == 0 {
        OrderCreated {
            customer_id: legacy_customer_id(CUSTOMER),
            customer_name: CUSTOMER.to_owned(),
            items: line_items(),
            currency: "EUR".to_owned(),
        }
        .into()
    } else if index % 2 == 1 {
        let amount = ORDER_TOTAL - 1;
        PaymentRejected { amount, reason: format!("the amount due is {ORDER_TOTAL}, not {amount}") }.into()
    } else {
        PaymentReceived { amount: ORDER_TOTAL }.into()
    }
}

/// The events with the 0-based indexes `range` of a benchmark order stream, encoded for appending, with empty
/// metadata (stored as NULL by the store and the baseline alike).
pub fn encoded_events(range: std::ops::Range<usize>) -> Vec<NewEvent> {
    range
        .map(|index| {
            NewEvent::encode(&order_event(index), Metadata::default())
                .expect("the order events of the benchmarks serialize to JSON")
        })
        .collect()
}
