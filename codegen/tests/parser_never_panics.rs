//! The parser and the checks never panic, whatever the input: arbitrary strings, strings made of the language's own
//! characters, and valid schemas damaged by random deletions and insertions all come back as `Ok` or as
//! diagnostics whose spans lie inside the source.
//!
//! These are property tests without snapshots; a failing case is printed by proptest (and saved under
//! `proptest-regressions/`, which is worth committing with the fix).

use factum_codegen::{check, compile_source, parse, Diagnostic};
use proptest::prelude::*;

/// The example schema, the richest valid input there is.
const ORDERS: &str = include_str!("../../schemas/orders.factum");

/// A schema with every form of upcast, literal and alias, for the mutations to damage.
const EVOLVING: &str = r#"enum Priority { Low, High }
event Shipment v1 { carrier: String, legacy_code: u32 }
event Shipment v2 { carrier_name: String, priority: Priority, tags: [String], weight: f64, fragile: bool }
event Shipment v3 { carrier_name: String, priority: Priority, tags: [String], weight: f64, fragile: bool,
    note: String?, extras: Map<String, u64>, count: i64, label: String }
/// Renames, drops and defaults.
upcast Shipment v1 -> v2 {
    rename carrier -> carrier_name
    drop legacy_code
    priority = High
    tags = []
    weight = 0.0, fragile = false
}
upcast Shipment v2 -> v3 { note = none, extras = {}, count = -9223372036854775808,
    label = "say \"hi\" \\ \n \t \u{e9}" }
event OrderCreated v1 { customer: String }
event OrderCreated v2 { customer_id: Uuid }
upcast OrderCreated v1 -> v2 custom
/// `OrderPlaced` was the stored name of `OrderCreated`.
alias OrderPlaced -> OrderCreated
aggregate Shipping { id: Uuid command Ship {} emits Shipment command Create {} emits OrderCreated }
"#;

/// Characters that mean something to the grammar, so that random text gets past the first token.
const ALPHABET: &[char] = &[
    'a', 'e', 'v', '1', '0', '_', 'T', 'O', ' ', ' ', '\n', '\t', '{', '}', '[', ']', '<', '>', ':', ',', '|', '?',
    '/', 'é', '\r', '-', '=', '"', '\\', '.', 'u',
];

/// Parses and, if that succeeds, checks and lowers `source` into the checked model, asserting that every diagnostic
/// points inside it.
fn parse_and_check(source: &str) {
    let diagnostics = match compile_source("damaged.factum", source) {
        Ok((_, warnings)) => warnings,
        Err(errors) => {
            assert!(!errors.diagnostics.is_empty(), "a failed compilation comes with at least one diagnostic");
            errors.diagnostics
        }
    };
    for diagnostic in &diagnostics {
        assert_spans_inside(source, diagnostic);
    }
}

fn assert_spans_inside(source: &str, diagnostic: &Diagnostic) {
    for label in &diagnostic.labels {
        let span = label.span;
        assert!(span.start <= span.end && span.end <= source.len(), "{diagnostic:?} points outside the source");
        assert!(
            source.is_char_boundary(span.start) && source.is_char_boundary(span.end),
            "{diagnostic:?} splits a character"
        );
    }
}

/// An edit of a source: delete the character at a position, or insert one there.
#[derive(Debug, Clone)]
enum Edit {
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), prop::sample::select(ALPHABET)).prop_map(|(at, c)| Edit::Insert(at, c)),
        (any::<prop::sample::Index>(), any::<char>()).prop_map(|(at, c)| Edit::Insert(at, c)),
    ]
}

/// `source` with the edits applied, at character positions.
fn apply(source: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for edit in edits {
        match edit {
            Edit::Delete(at) if !chars.is_empty() => {
                chars.remove(at.index(chars.len()));
            }
            Edit::Delete(_) => {}
            Edit::Insert(at, c) => chars.insert(at.index(chars.len() + 1), *c),
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #[test]
    fn arbitrary_strings(source in any::<String>()) {
        parse_and_check(&source);
    }

    #[test]
    fn strings_of_grammar_characters(chars in prop::collection::vec(prop::sample::select(ALPHABET), 0..200)) {
        parse_and_check(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn damaged_schemas(edits in prop::collection::vec(edit(), 1..12)) {
        parse_and_check(&apply(ORDERS, &edits));
    }

    #[test]
    fn schemas_cut_short(at in any::<prop::sample::Index>()) {
        let chars: Vec<char> = ORDERS.chars().collect();
        parse_and_check(&chars[..at.index(chars.len() + 1)].iter().collect::<String>());
    }

    #[test]
    fn damaged_evolving_schemas(edits in prop::collection::vec(edit(), 1..12)) {
        parse_and_check(&apply(EVOLVING, &edits));
    }

    #[test]
    fn evolving_schemas_cut_short(at in any::<prop::sample::Index>()) {
        let chars: Vec<char> = EVOLVING.chars().collect();
        parse_and_check(&chars[..at.index(chars.len() + 1)].iter().collect::<String>());
    }

    #[test]
    fn arbitrary_literals(literal in r#"-?[0-9]{1,60}(\.[0-9]{1,5})?([eE][+-]?[0-9]{1,5})?|"([^"\n]|\\.){0,20}""#) {
        let source = format!("event E v1 {{}}\nevent E v2 {{ a: u32 }}\nupcast E v1 -> v2 {{ a = {literal} }}\n");
        parse_and_check(&source);
    }
}

#[test]
fn the_evolving_example_is_valid() {
    match parse(EVOLVING) {
        Ok(schema) => {
            let errors: Vec<Diagnostic> =
                check(&schema).err().unwrap_or_default().into_iter().filter(Diagnostic::is_error).collect();
            assert_eq!(errors, Vec::new());
        }
        Err(errors) => panic!("{errors:#?}"),
    }
}

#[test]
fn the_example_survives_every_single_deletion() {
    // Exhaustive where it is cheap: every one-character deletion of a small schema.
    let source = "type A { a: [Map<String, B?>] }\nenum B { X, Y }\nevent E v1 { b: B? }\n\
                  aggregate G { id: Uuid state { n: u64 } command C { x: A } emits E | F, E? }\nprojection P { on E }\n";
    for (at, _) in source.char_indices() {
        let mut damaged = source.to_owned();
        damaged.remove(at);
        parse_and_check(&damaged);
    }
}

#[test]
fn extreme_versions() {
    let max = u32::MAX;
    for (from, to) in [(max - 2, max), (max - 1, max), (max, max), (max, 1), (1, max), (max - 1, 1)] {
        let source = format!(
            "event E v1 {{}}\nevent E v{from} {{}}\nevent E v{to} {{}}\nupcast E v{from} -> v{to} custom\n\
             upcast E v1 -> v{max} {{}}\nalias F -> E\n"
        );
        parse_and_check(&source);
    }
}

#[test]
fn the_evolving_example_survives_every_single_deletion() {
    let source = "event E v1 { a: u32 }\nevent E v2 { b: u32, c: [u8], d: E?, s: String }\n\
                  upcast E v1 -> v2 { rename a -> b, drop x, c = [], d = none, s = \"\\u{e9}\\\"\", f = -1.5e3 }\n\
                  upcast E v2 -> v3 custom\n/// Docs.\nalias F -> E\n";
    for (at, _) in source.char_indices() {
        let mut damaged = source.to_owned();
        damaged.remove(at);
        parse_and_check(&damaged);
    }
}
