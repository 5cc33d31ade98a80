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

/// The domain of [`domain`] declared in Rust, as the items of a `#[factum::domain] pub mod domain { ... }`: the same
/// events, versions, upcasts, types, aggregates, commands and projections, so that it checks to the same lock.
pub fn derive_domain(events: usize, aggregates: usize) -> String {
    let aggregates = aggregates.max(1);
    let mut module = String::new();
    let _ = writeln!(module, "#[factum::domain]\npub mod domain {{\n    use factum::types::{{Timestamp, Uuid}};");
    let _ = writeln!(module, "    #[data]\n    pub enum Status {{ Open, Closed, Archived }}");
    let _ = writeln!(module, "    #[data]\n    pub struct Money {{ pub amount: u64, pub currency: String }}");
    let _ =
        writeln!(module, "    #[data]\n    pub struct Line {{ pub sku: String, pub quantity: u32, pub price: Money }}");
    for event in 0..events {
        let _ = writeln!(module, "    /// Event number {event}.");
        let fields = "pub at: Timestamp, pub lines: Vec<Line>, pub note: Option<String>";
        if event % 10 == 0 {
            let _ = writeln!(
                module,
                "    #[event(name = \"Happened{event}\", version = 1, upcast(status = Open))]\n    \
                 pub struct Happened{event}V1 {{ {fields}, pub count: u32 }}"
            );
            let _ = writeln!(
                module,
                "    #[event(version = 2)]\n    pub struct Happened{event} {{ {fields}, pub count: u64, pub status: Status }}"
            );
        } else {
            let _ = writeln!(module, "    #[event]\n    pub struct Happened{event} {{ {fields}, pub count: u32 }}");
        }
    }
    let per_aggregate = events.div_ceil(aggregates);
    for aggregate in 0..aggregates {
        let _ = writeln!(module, "    #[aggregate(id = Uuid)]\n    pub struct Thing{aggregate};");
        let _ = writeln!(
            module,
            "    #[derive(Default)]\n    pub struct Thing{aggregate}State {{ pub seen: u64, pub status: Option<Status> }}"
        );
        for event in (aggregate * per_aggregate..(aggregate + 1) * per_aggregate).filter(|event| *event < events) {
            let _ = writeln!(
                module,
                "    #[command(aggregate = Thing{aggregate}, emits(Happened{event}))]\n    \
                 pub struct Do{event} {{ pub lines: Vec<Line>, pub note: Option<String> }}"
            );
        }
    }
    for projection in 0..aggregates.div_ceil(10) {
        let first = projection * 10 * per_aggregate;
        let subscribed: Vec<String> =
            (first..(first + 10 * per_aggregate).min(events)).map(|event| format!("Happened{event}")).collect();
        if !subscribed.is_empty() {
            let _ =
                writeln!(module, "    #[projection(on({}))]\n    pub struct View{projection};", subscribed.join(", "));
        }
    }
    let _ = writeln!(module, "}}");
    module
}

/// The evolve impls of the domain of [`domain`] (one method per event, counting it), which a crate compiling that
/// domain needs whichever route declared it: its items are named as both routes name them, inside `domain`.
pub fn domain_rules(events: usize, aggregates: usize) -> String {
    let aggregates = aggregates.max(1);
    let per_aggregate = events.div_ceil(aggregates);
    let mut rules = String::from("use domain::*;\n");
    for aggregate in 0..aggregates {
        let _ = writeln!(rules, "impl Thing{aggregate}Evolve for Thing{aggregate}State {{");
        for event in (aggregate * per_aggregate..(aggregate + 1) * per_aggregate).filter(|event| *event < events) {
            let _ = writeln!(rules, "    fn happened{event}(&mut self, _: &Happened{event}) {{ self.seen += 1; }}");
        }
        let _ = writeln!(rules, "}}");
    }
    rules
}
