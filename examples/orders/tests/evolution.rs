//! Schema evolution of the order domain: every fixture of every event version (the payloads older builds stored)
//! decodes through the upcaster chain to the latest version, and arbitrary old events upcast and fold.
//!
//! The snapshot holds the latest-version value each fixture reads as: a change in how old events read shows up as
//! a diff. To update after an intended change: `INSTA_UPDATE=always cargo test -p orders-example --test evolution`,
//! then review the diff of `tests/snapshots/` in git.

use std::path::Path;

use factum::{Aggregate, EventSet, Versioned};
use orders_example::{
    schema::{InventoryEvent, LineItem, Order, OrderCreated, OrderCreatedV1, OrderCreatedV2, OrderEvent, OrderState},
    upcasts::legacy_customer_id,
};
use proptest::prelude::*;

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/fixtures/orders")
}

#[test]
fn every_fixture_reads_as_the_latest_version() {
    let mut files: Vec<_> = std::fs::read_dir(fixtures_dir()).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    let mut read = String::new();
    for file in &files {
        let file_name = file.file_name().unwrap().to_str().unwrap();
        let (name, version) = file_name
            .strip_suffix(".json")
            .and_then(|stem| stem.rsplit_once(".v"))
            .map(|(name, version)| (name, version.parse::<u32>().unwrap()))
            .unwrap_or_else(|| panic!("`{file_name}` is not named `<Event>.v<N>.json`"));
        let payload = std::fs::read(file).unwrap();
        let event = match InventoryEvent::contains(name) {
            true => read_as::<InventoryEvent>(file_name, name, version, &payload),
            false => read_as::<OrderEvent>(file_name, name, version, &payload),
        };
        read.push_str(&format!("{file_name}\n  {event}\n"));
    }
    assert_eq!(files.len(), 10, "one fixture per declared event version");
    insta::assert_snapshot!(read);
}

/// Decodes a fixture as an event of the set `E`, and shows what it reads as.
fn read_as<E: EventSet>(file_name: &str, name: &str, version: u32, payload: &[u8]) -> String {
    let event = E::decode(name, version, payload)
        .unwrap_or_else(|error| panic!("fixture `{file_name}` does not decode: {error}"));
    assert_eq!(event.name(), name, "a fixture reads as the event it was stored as");
    format!("{event:?}")
}

#[test]
fn the_chain_covers_every_declared_version() {
    assert_eq!(<OrderCreated as Versioned>::VERSIONS, [1, 2, 3]);
    assert_eq!(<OrderCreated as Versioned>::STORED_NAMES, ["OrderCreated"]);
}

#[test]
fn a_version_newer_than_this_build_is_a_typed_error() {
    let error = OrderEvent::decode("OrderCreated", 4, b"{}").unwrap_err();
    assert_eq!(error.to_string(), "unknown version 4 of event `OrderCreated` (this build reads v1, v2, v3)");
}

#[test]
fn a_v1_payload_missing_a_field_is_a_typed_error() {
    let error = OrderEvent::decode("OrderCreated", 1, br#"{"items": []}"#).unwrap_err();
    assert!(matches!(error, factum::DecodeErrorKind::MalformedPayload { .. }), "{error:?}");
    assert!(error.to_string().contains("missing field `customer`"), "{error}");
}

fn line_items() -> impl Strategy<Value = Vec<LineItem>> {
    prop::collection::vec(
        (".*", any::<u32>(), 0..u64::from(u32::MAX)).prop_map(|(sku, quantity, unit_price)| LineItem {
            sku,
            quantity,
            unit_price,
        }),
        0..4,
    )
}

proptest! {
    #[test]
    fn arbitrary_v1_events_upcast_and_fold(customer in ".*", items in line_items()) {
        let stored = serde_json::to_vec(&OrderCreatedV1 { customer: customer.clone(), items: items.clone() }).unwrap();
        let OrderEvent::OrderCreated(event) = OrderEvent::decode("OrderCreated", 1, &stored).unwrap() else {
            panic!("`OrderCreated` decoded as another event");
        };
        prop_assert_eq!(&event.currency, "IDR");
        prop_assert_eq!(event.customer_id, legacy_customer_id(&customer));
        prop_assert_eq!(&event.customer_name, &customer);
        prop_assert_eq!(&event.items, &items);
        let state: OrderState = Order::fold([&OrderEvent::OrderCreated(event)]);
        prop_assert_eq!(state.customer_name, customer);
    }

    #[test]
    fn arbitrary_v2_events_upcast_and_fold(customer in ".*", items in line_items(), currency in "[A-Z]{3}") {
        let old = OrderCreatedV2 { customer: customer.clone(), items: items.clone(), currency: currency.clone() };
        let stored = serde_json::to_vec(&old).unwrap();
        let event = OrderEvent::decode("OrderCreated", 2, &stored).unwrap();
        let state: OrderState = Order::fold([&event]);
        prop_assert_eq!(state.currency, currency);
        prop_assert_eq!(state.customer_id, Some(legacy_customer_id(&customer)));
    }
}
