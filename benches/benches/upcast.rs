//! Reading old events: the order schema's typed upcaster chain against decoding the latest version directly, and
//! against a `serde_json::Value`-rewriting upcaster of the kind cqrs-es uses (`factum_benches::value_upcaster`).
//!
//! - `decode/latest_v3`: `OrderEvent::decode` of an `OrderCreated` stored as v3, the latest: no upcasting.
//! - `decode/chain_v1`: `OrderEvent::decode` of the same order stored as v1: decoded as `OrderCreatedV1`, then
//!   `From<OrderCreatedV1> for OrderCreatedV2` (a declared default) and the hand-written v2 → v3 step.
//! - `decode/value_v1`: the same v1 payload parsed into a `serde_json::Value`, rewritten to v3's shape and
//!   deserialized.
//!
//! - `decode/user_step`: the hand-written v2 → v3 step's own work alone (deriving a UUID v5 from the customer's
//!   name, a SHA-1), which both `chain_v1` and `value_v1` include: it tells how much of each is the user's code.
//!
//! The run ends with the ratios and whether each meets its target.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use factum::EventSet;
use factum_benches::fixtures::{line_items, CUSTOMER};
use factum_benches::report::{self, Comparison, Target};
use factum_benches::value_upcaster;
use orders_example::schema::{OrderCreated, OrderCreatedV1, OrderEvent};
use orders_example::upcasts::legacy_customer_id;

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    let v1 = serde_json::to_vec(&OrderCreatedV1 { customer: CUSTOMER.to_owned(), items: line_items() })
        .expect("a v1 event serializes");
    let v3 = serde_json::to_vec(&OrderCreated {
        customer_id: legacy_customer_id(CUSTOMER),
        customer_name: CUSTOMER.to_owned(),
        items: line_items(),
        currency: "IDR".to_owned(),
    })
    .expect("a v3 event serializes");

    // All three read the same order: check it before timing anything.
    let expected = OrderEvent::decode("OrderCreated", 3, &v3).expect("v3 decodes");
    assert_eq!(OrderEvent::decode("OrderCreated", 1, &v1).expect("v1 decodes"), expected);
    let by_value = value_upcaster::decode_order_created(1, &v1).expect("the value upcaster reads v1");
    assert_eq!(OrderEvent::OrderCreated(by_value), expected);

    let mut group = criterion.benchmark_group("decode");
    group.bench_function("latest_v3", |bencher| {
        bencher.iter(|| OrderEvent::decode("OrderCreated", 3, black_box(&v3)).expect("v3 decodes"))
    });
    group.bench_function("chain_v1", |bencher| {
        bencher.iter(|| OrderEvent::decode("OrderCreated", 1, black_box(&v1)).expect("v1 decodes"))
    });
    group.bench_function("value_v1", |bencher| {
        bencher.iter(|| value_upcaster::decode_order_created(1, black_box(&v1)).expect("v1 decodes"))
    });
    group.bench_function("user_step", |bencher| bencher.iter(|| legacy_customer_id(black_box(CUSTOMER))));
    group.finish();

    criterion.final_summary();
    println!("\n{}", report::render("Factum's upcaster chain vs its baselines", &output, started, &comparisons()));
}

/// The lines of the final table.
fn comparisons() -> Vec<Comparison> {
    vec![
        Comparison {
            label: "v1 through the chain vs v3 directly".to_owned(),
            factum: "decode/chain_v1".to_owned(),
            raw: "decode/latest_v3".to_owned(),
            rows: 1,
            target: Target::TimeAtMost(1.3),
        },
        Comparison {
            label: "v1 through the chain vs a Value rewrite".to_owned(),
            factum: "decode/chain_v1".to_owned(),
            raw: "decode/value_v1".to_owned(),
            rows: 1,
            // At least three times faster: at most a third of the time.
            target: Target::TimeAtMost(1.0 / 3.0),
        },
    ]
}
