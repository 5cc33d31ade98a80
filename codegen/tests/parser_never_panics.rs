//! The parser and the checks never panic, whatever the input: arbitrary strings, strings made of the language's own
//! characters, and valid schemas damaged by random deletions and insertions all come back as `Ok` or as
//! diagnostics whose spans lie inside the source.
//!
//! These are property tests without snapshots; a failing case is printed by proptest (and saved under
//! `proptest-regressions/`, which is worth committing with the fix).

use factum_codegen::{check::check, parse, Diagnostic};
use proptest::prelude::*;

/// The example schema, the richest valid input there is.
const ORDERS: &str = include_str!("../../schemas/orders.factum");

/// Characters that mean something to the grammar, so that random text gets past the first token.
const ALPHABET: &[char] = &[
    'a', 'e', 'v', '1', '0', '_', 'T', 'O', ' ', ' ', '\n', '\t', '{', '}', '[', ']', '<', '>', ':', ',', '|', '?',
    '/', 'é', '\r',
];

/// Parses and, if that succeeds, checks `source`, asserting that every diagnostic points inside it.
fn parse_and_check(source: &str) {
    let diagnostics = match parse(source) {
        Ok(schema) => check(&schema),
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "a parse error comes with at least one diagnostic");
            diagnostics
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
