//! Synthetic schemas for measuring the compiler: a domain of a given number of events and aggregates, and a chain of
//! record types each holding the next. Plain functions of their sizes, with no dependencies, so that the compiler's
//! own tests can include this file and check that schemas of this size compile.

use std::fmt::Write as _;

/// A valid schema with `events` events spread over `aggregates` aggregates (one command per event), a few shared
/// record types and enums, a second version with a declarative upcast for every tenth event, and one projection per
/// ten aggregates subscribed to all of their events.
pub fn domain(events: usize, aggregates: usize) -> String {
    let aggregates = aggregates.max(1);
    let mut schema = String::new();
    let _ = writeln!(schema, "enum Status {{ Open, Closed, Archived }}");
    let _ = writeln!(schema, "type Money {{ amount: u64, currency: String }}");
    let _ = writeln!(schema, "type Line {{ sku: String, quantity: u32, price: Money }}");
    for event in 0..events {
        let _ = writeln!(schema, "/// Event number {event}.");
        let _ =
            writeln!(schema, "event Happened{event} v1 {{ at: Timestamp, lines: [Line], note: String?, count: u32 }}");
        if event % 10 == 0 {
            let _ = writeln!(
                schema,
                "event Happened{event} v2 {{ at: Timestamp, lines: [Line], note: String?, count: u64, status: Status }}"
            );
            let _ = writeln!(schema, "upcast Happened{event} v1 -> v2 {{ status = Open }}");
        }
    }
    let per_aggregate = events.div_ceil(aggregates);
    for aggregate in 0..aggregates {
        let _ =
            writeln!(schema, "aggregate Thing{aggregate} {{\n    id: Uuid\n    state {{ seen: u64, status: Status? }}");
        for event in (aggregate * per_aggregate..(aggregate + 1) * per_aggregate).filter(|event| *event < events) {
            let _ = writeln!(schema, "    command Do{event} {{ lines: [Line], note: String? }} emits Happened{event}");
        }
        let _ = writeln!(schema, "}}");
    }
    for projection in 0..aggregates.div_ceil(10) {
        let first = projection * 10 * per_aggregate;
        let subscribed: Vec<String> =
            (first..(first + 10 * per_aggregate).min(events)).map(|event| format!("Happened{event}")).collect();
        if !subscribed.is_empty() {
            let _ = writeln!(schema, "projection View{projection} {{ on {} }}", subscribed.join(", "));
        }
    }
    schema
}

/// A valid schema whose record types form a chain of `length` types, each holding the next inline, and one event
/// holding the first: the shape that makes a naive recursive-type check quadratic or worse.
pub fn type_chain(length: usize) -> String {
    let mut schema = String::new();
    for link in 0..length {
        if link + 1 < length {
            let _ = writeln!(schema, "type Link{link} {{ next: Link{}, label: String }}", link + 1);
        } else {
            let _ = writeln!(schema, "type Link{link} {{ label: String }}");
        }
    }
    let _ = writeln!(schema, "event Chained v1 {{ first: Link0? }}");
    let _ = writeln!(schema, "aggregate Chain {{\n    id: Uuid\n    command Add {{}} emits Chained\n}}");
    schema
}
