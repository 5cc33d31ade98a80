//! Parser tests: each `check` parses a schema and snapshots its model as JSON, spans included (byte ranges into the
//! source), so a reviewer sees exactly what the checks and the emitter receive.
//!
//! To update the snapshots after an intended change, run
//! `INSTA_UPDATE=always cargo test -p factum-codegen --test parse` (or `cargo insta review` where cargo-insta is
//! installed), then review the diff of `tests/snapshots/parse__*.snap` before committing it.

use factum_codegen::{compile_source, model::Schema, parse};

/// Parses `source`, which must be free of syntax errors, and compares its model with the snapshot `name`.
fn check(name: &str, source: &str) {
    let schema = parse_ok(source);
    check_spans(source, &serde_json::to_value(&schema).unwrap_or_default());
    insta::assert_json_snapshot!(name, schema);
}

/// Asserts that every span in the model covers exactly what it stands for: a name's span its name, and any other
/// span a piece of source without surrounding whitespace or comments.
fn check_spans(source: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, span) in map.iter().filter(|(key, value)| key.ends_with("span") || is_span(value)) {
                let start = span["start"].as_u64().unwrap_or_default() as usize;
                let end = span["end"].as_u64().unwrap_or_default() as usize;
                let text = &source[start..end];
                match map.get("name").and_then(serde_json::Value::as_str) {
                    Some(name) if key == "span" => assert_eq!(text, name, "the span of `{name}`"),
                    _ => {
                        assert!(!text.is_empty() && text.trim() == text, "`{key}` covers {text:?}");
                        // A whole declaration may hold comments, but no span ends in one.
                        let last_line = text.rsplit('\n').next().unwrap_or_default();
                        assert!(!last_line.contains("//"), "`{key}` ends in a comment: {text:?}");
                    }
                }
            }
            map.values().for_each(|inner| check_spans(source, inner));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|inner| check_spans(source, inner)),
        _ => {}
    }
}

/// Whether `value` is a span (`{ "start": .., "end": .. }`), e.g. the one of `UpcastBody::Custom`.
fn is_span(value: &serde_json::Value) -> bool {
    value.as_object().is_some_and(|map| map.len() == 2 && map.contains_key("start") && map.contains_key("end"))
}

/// Parses `source`, failing the test with the syntax errors if there are any.
fn parse_ok(source: &str) -> Schema {
    match parse(source) {
        Ok(schema) => schema,
        Err(errors) => panic!("unexpected syntax errors in:\n{source}\n{errors:#?}"),
    }
}

/// The model as JSON without spans, to compare schemas that differ only in layout.
fn without_spans(schema: &Schema) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|key, _| !key.ends_with("span"));
                for value in map.values_mut() {
                    if is_span(value) {
                        *value = serde_json::Value::Null;
                    }
                    strip(value);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(schema).unwrap_or_default();
    strip(&mut value);
    value
}

/// Asserts that every source parses to the same model, spans aside.
fn check_same_model(sources: &[&str]) {
    let expected = without_spans(&parse_ok(sources[0]));
    for source in &sources[1..] {
        assert_eq!(without_spans(&parse_ok(source)), expected, "differs from the first source:\n{source}");
    }
}

#[test]
fn orders_example() {
    check("orders", include_str!("../../schemas/orders.factum"));
}

#[test]
fn orders_example_has_no_diagnostics() {
    let compiled = compile_source("orders.factum", include_str!("../../schemas/orders.factum"));
    match compiled {
        Ok((_, warnings)) => assert_eq!(warnings, Vec::new()),
        Err(errors) => panic!("{}", errors.to_plain_string()),
    }
}

#[test]
fn fields_separated_by_newlines_or_commas() {
    check("separators", "type LineItem { sku: String, quantity: u32, unit_price: u64 }");
    check_same_model(&[
        "type LineItem { sku: String, quantity: u32, unit_price: u64 }",
        "type LineItem {\n    sku: String\n    quantity: u32\n    unit_price: u64\n}",
        "type LineItem {\n    sku: String,\n    quantity: u32,\n    unit_price: u64,\n}",
        "type LineItem { sku: String, quantity: u32\n unit_price: u64, }",
        "type LineItem{sku:String,quantity:u32,unit_price:u64}",
        "type LineItem { sku: String quantity: u32 unit_price: u64 }",
    ]);
    check_same_model(&[
        "enum OrderStatus { Placed, Paid, Shipped }",
        "enum OrderStatus {\n    Placed\n    Paid\n    Shipped\n}",
        "enum OrderStatus { Placed, Paid, Shipped, }",
    ]);
}

#[test]
fn empty_bodies() {
    check(
        "empty_bodies",
        "type Marker {}\nevent Pinged v1 {}\naggregate Pinger { id: String command Ping {} emits Pinged }\n",
    );
    check_same_model(&["type Marker {}", "type Marker {\n}", "type Marker { }"]);
}

#[test]
fn docs_and_comments() {
    check(
        "docs",
        r#"// A plain comment, ignored.
/// A type.
/// Two lines of it.
type A {
    /// A field.
    a: u32 // a trailing comment
    ///no space after the slashes
    ///   three spaces, one stripped
    b: u32
}
//// Four slashes: a plain comment.
/// An enum.
enum E {
    /// A variant.
    One, Two
}
/// An event.
event Happened v1 {}
/// An aggregate.
aggregate Thing {
    id: Uuid
    state {
        /// A state field.
        count: u64
    }
    /// A command.
    command Do {
        /// A command field.
        how: String
    } emits Happened
}
/// A projection.
projection Log { on Happened }
"#,
    );
}

#[test]
fn nested_types() {
    check(
        "nested_types",
        "type Nested {\n    a: [String?]?\n    b: Map<String, [LineItem]>\n    c: Map<u64, Map<Uuid, bool>>?\n    \
         d: [[Timestamp]]\n    e: Map<OrderStatus, Date?>\n    f: Bytes\n    g: f64\n    h: i32\n    i: i64\n}\n",
    );
}

#[test]
fn every_builtin() {
    let fields: Vec<String> =
        ["bool", "i32", "i64", "u32", "u64", "f64", "String", "Bytes", "Uuid", "Timestamp", "Date"]
            .iter()
            .enumerate()
            .map(|(index, ty)| format!("f{index}: {ty}"))
            .collect();
    check("every_builtin", &format!("type Everything {{ {} }}", fields.join(", ")));
}

#[test]
fn every_emits_form() {
    check(
        "emits_forms",
        "aggregate Account {\n    id: u64\n    command Open {} emits Opened\n    command Maybe {} emits Noted?\n    \
         command Choose {} emits Accepted | Rejected | Deferred\n    command Many {} emits Opened, Noted?, Accepted | Rejected\n}\n",
    );
    check_same_model(&[
        "aggregate A { id: u64 command C {} emits X, Y? , Z | W }",
        "aggregate A {\n  id: u64\n  command C {} emits X,\n    Y?,\n    Z\n    | W\n}",
    ]);
}

#[test]
fn several_event_versions() {
    check(
        "event_versions",
        "/// First shape.\nevent OrderCreated v1 { customer: String }\n\
         /// Second shape.\nevent OrderCreated v2 { customer: String, note: String? }\n\
         event OrderCreated v10 {}\n",
    );
}

#[test]
fn aggregate_members_in_any_order() {
    check_same_model(&[
        "aggregate A { id: Uuid state { n: u64 } command C {} emits E }",
        "aggregate A { command C {} emits E state { n: u64 } id: Uuid }",
        "aggregate A {\n    state {\n        n: u64\n    }\n    id: Uuid\n    command C {} emits E\n}",
    ]);
    let schema = parse_ok("aggregate A { id: String command C {} emits E }");
    assert_eq!(schema.aggregates[0].state, Vec::new(), "no `state` block is an empty state");
}

#[test]
fn projections_may_have_several_on_clauses() {
    check_same_model(&[
        "projection P { on A, B, C }",
        "projection P {\n    on A\n    on B, C\n}",
        "projection P { on A, B\n on C }",
    ]);
}

#[test]
fn keywords_may_name_fields() {
    check(
        "keyword_fields",
        "event Moved v1 { id: Uuid, state: String, on: bool, event: String, emits: u32, command: String }",
    );
}

#[test]
fn upcasts() {
    check(
        "upcasts",
        r#"/// Adds a currency.
upcast OrderCreated v1 -> v2 {
    currency = "IDR" // a new field takes a literal default
}
/// Splits the customer in two, in Rust.
upcast OrderCreated v2 -> v3 custom
upcast Shipment v1 -> v2 {
    rename carrier -> carrier_name
    drop legacy_code
    priority = High
    tags = []
    weight = 0.0, fragile = false
    notes = none, extras = {}
}
upcast Shipment v2 -> v3 {}
"#,
    );
    check_same_model(&[
        "upcast S v1 -> v2 { rename a -> b, drop c, d = 1 }",
        "upcast S v1 -> v2 {\n    rename a -> b\n    drop c\n    d = 1\n}",
        "upcast S v1 -> v2 {\n    rename a -> b,\n    drop c,\n    d = 1,\n}",
        "upcast S v1->v2{rename a->b drop c d=1}",
        "upcast S\n  v1 -> v2\n{ rename a\n -> b\n drop c d =\n 1 }",
    ]);
    check_same_model(&["upcast S v1 -> v2 custom", "upcast S v1->v2 custom", "upcast S\n    v1 -> v2\n    custom"]);
}

#[test]
fn literals() {
    check(
        "literals",
        r#"upcast Literals v1 -> v2 {
    plain = "text"
    escaped = "say \"hi\"\\ \n\t caf\u{e9} \u{1F600}"
    empty = ""
    zero = 0
    negative = -7
    largest = 170141183460469231731687303715884105727
    smallest = -170141183460469231731687303715884105728
    half = 1.5
    quarter = -0.25
    thousand = 1e3
    small = 2.5E-3
    yes = true
    no = false
    nothing = none
    list = [ ]
    map = { }
    variant = High
    truthy = True
}
"#,
    );
}

#[test]
fn aliases() {
    check(
        "aliases",
        "/// `OrderPlaced` was the stored name of `OrderCreated` before it was renamed.\n\
         alias OrderPlaced -> OrderCreated\nalias OrderMade->OrderCreated\n",
    );
}

#[test]
fn step_keywords_may_name_fields() {
    // `rename` and `drop` start a step only when a field name follows them; `custom`, `true` and `none` are
    // keywords only where a body or a value is expected.
    check_same_model(&[
        "upcast S v1 -> v2 { rename = 1, drop = none, custom = true, none = 2, rename drop -> rename, drop custom }",
        "upcast S v1 -> v2 {\n    rename = 1\n    drop = none\n    custom = true\n    none = 2\n    \
         rename drop -> rename\n    drop custom\n}",
    ]);
    let schema = parse_ok("upcast S v1 -> v2 { drop = 0 drop type\n rename upcast -> alias }");
    let steps = match &schema.upcasts[0].body {
        factum_codegen::model::UpcastBody::Steps(steps) => steps.len(),
        factum_codegen::model::UpcastBody::Custom(_) => 0,
    };
    assert_eq!(steps, 3);
    check(
        "evolution_keyword_fields",
        "event Named v1 { upcast: u32, alias: u32, custom: u32, rename: u32, drop: u32 }",
    );
}
