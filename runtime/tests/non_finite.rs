//! Floats JSON cannot hold (NaN, ±inf) are refused when an event is encoded, with an error naming the event and the
//! field, instead of being written as `null` that would never read back; every other value encodes as serde_json
//! writes it.

use std::collections::BTreeMap;

use factum::{encode_payload, Event, EventSet, Metadata, NewEvent, NonFinite, NonFiniteFloat, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Line {
    sku: String,
    price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Discount {
    None,
    Percent(f32),
    Fixed { amount: f64 },
}

/// An event with floats everywhere one can hide: at the top, in a list, an option, a map value, a tuple and enums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Priced {
    total: f64,
    items: Vec<Line>,
    tip: Option<f64>,
    rates: BTreeMap<String, f64>,
    by_quantity: BTreeMap<u32, Vec<f32>>,
    range: (f64, f64),
    discount: Discount,
}

impl Event for Priced {
    const NAME: &'static str = "Priced";
    const VERSION: u32 = 1;
}

#[derive(Debug, Clone, PartialEq)]
enum PricedEvent {
    Priced(Priced),
}

impl EventSet for PricedEvent {
    const NAMES: &'static [&'static str] = &["Priced"];
    fn name(&self) -> &'static str {
        "Priced"
    }
    fn version(&self) -> u32 {
        1
    }
    fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let PricedEvent::Priced(event) = self;
        encode_payload(event)
    }
    fn decode(_: &str, _: u32, payload: &[u8]) -> Result<Self, factum::DecodeErrorKind> {
        factum::decode_payload(payload).map(PricedEvent::Priced)
    }
}

fn sample() -> Priced {
    Priced {
        total: 12.5,
        items: vec![
            Line { sku: "a".into(), price: 1.0 },
            Line { sku: "b".into(), price: 2.0 },
            Line { sku: "c".into(), price: 3.0 },
        ],
        tip: Some(0.5),
        rates: BTreeMap::from([("sku-1".into(), 0.25), ("sku-2".into(), 0.75)]),
        by_quantity: BTreeMap::from([(10, vec![1.0, 0.9])]),
        range: (0.0, 100.0),
        discount: Discount::Percent(5.0),
    }
}

/// Encodes `event` through `NewEvent::encode`, as the command service does, and checks what comes out: the refused
/// field's path and value, or (`None`) the bytes serde_json writes.
#[track_caller]
fn check(event: Priced, expected: Option<(&str, NonFinite)>) {
    let result = NewEvent::encode(&PricedEvent::Priced(event.clone()), Metadata::default());
    match (result, expected) {
        (Ok(new), None) => assert_eq!(new.payload, serde_json::to_vec(&event).unwrap()),
        (Err(StoreError::NonFiniteFloat(refused)), Some((field, value))) => {
            assert_eq!(*refused, NonFiniteFloat { event_name: "Priced".into(), field: field.into(), value });
        }
        (other, expected) => panic!("expected {expected:?}, got {other:?}"),
    }
}

#[test]
fn finite_floats_encode_as_serde_json_writes_them() {
    check(sample(), None);
    let mut extremes = sample();
    extremes.total = f64::MAX;
    extremes.tip = Some(-0.0);
    extremes.range = (f64::MIN_POSITIVE, f64::EPSILON);
    extremes.discount = Discount::None;
    check(extremes, None);
}

/// Puts a non-finite float somewhere in an event.
type Damage = Box<dyn Fn(&mut Priced)>;

#[test]
fn non_finite_floats_are_refused_with_their_field() {
    for value in [NonFinite::NaN, NonFinite::Infinity, NonFinite::NegativeInfinity] {
        let float = match value {
            NonFinite::NaN => f64::NAN,
            NonFinite::Infinity => f64::INFINITY,
            NonFinite::NegativeInfinity => f64::NEG_INFINITY,
        };
        let cases: Vec<(Damage, &str)> = vec![
            (Box::new(move |event| event.total = float), "total"),
            (Box::new(move |event| event.items[2].price = float), "items[2].price"),
            (Box::new(move |event| event.tip = Some(float)), "tip"),
            (Box::new(move |event| *event.rates.get_mut("sku-2").unwrap() = float), "rates[\"sku-2\"]"),
            (Box::new(move |event| event.by_quantity.get_mut(&10).unwrap()[1] = float as f32), "by_quantity[10][1]"),
            (Box::new(move |event| event.range.1 = float), "range[1]"),
            (Box::new(move |event| event.discount = Discount::Percent(float as f32)), "discount.Percent"),
            (Box::new(move |event| event.discount = Discount::Fixed { amount: float }), "discount.Fixed.amount"),
        ];
        for (damage, field) in cases {
            let mut event = sample();
            damage(&mut event);
            check(event, Some((field, value)));
        }
    }
}

#[test]
fn the_message_names_the_event_and_the_field() {
    let mut event = sample();
    event.items[2].price = f64::NAN;
    let error = NewEvent::encode(&PricedEvent::Priced(event), Metadata::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot encode event `Priced`: `Priced.items[2].price` is NaN, which JSON cannot hold"
    );
    // Generated code calls `encode_payload` directly; its error says the same.
    let mut event = sample();
    event.total = f64::NEG_INFINITY;
    let error = encode_payload(&event).unwrap_err();
    assert!(error.to_string().contains("`Priced.total` is -inf"), "{error}");
}
