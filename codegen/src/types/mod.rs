//! The semantics of types, shared by the checks, the checked model and the evolution checker: the canonical shape of
//! stored values ([`shape`]), what a safe widening is ([`compat`]), which literal is a value of which type
//! ([`value`]), and the guesses both the checks and the evolution checker make about a changed event.
//!
//! This layer knows nothing of how a schema is checked or compiled; everything above it asks it, so that one decision
//! is never made twice.

pub mod compat;
pub mod shape;
pub mod value;

pub use compat::{compare_shapes, Breaking, Compat, Widening};
pub use shape::{fingerprint, shape_text, FieldShape, TypeShape};
pub use value::Value;

use crate::model::Builtin;

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Among `candidates` (new fields of the same type as the removed field `old`), the likeliest new name of `old`: the
/// longest common start or end (`customer` -> `customer_name`), then the smallest edit distance, then the first.
pub(crate) fn likeliest_rename(old: &str, candidates: &[&str]) -> Option<usize> {
    let common = |a: &str, b: &str| {
        let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let suffix = a.chars().rev().zip(b.chars().rev()).take_while(|(x, y)| x == y).count();
        prefix.max(suffix)
    };
    (0..candidates.len()).min_by_key(|index| {
        let candidate = candidates[*index];
        (std::cmp::Reverse(common(old, candidate)), strsim::damerau_levenshtein(old, candidate), *index)
    })
}

/// What to write after `field =` in a step for a field of type `ty`: the literal when there is only one kind
/// (`none`, `[]`, `{}`), a placeholder otherwise, and `None` when no literal can stand for the type.
pub(crate) fn default_placeholder(ty: &TypeShape) -> Option<&'static str> {
    match ty {
        TypeShape::Option(_) => Some("none"),
        TypeShape::List(_) => Some("[]"),
        TypeShape::Map(..) => Some("{}"),
        TypeShape::Enum { .. } => Some("<variant>"),
        TypeShape::Builtin(Builtin::Bytes | Builtin::Uuid | Builtin::Timestamp | Builtin::Date)
        | TypeShape::Record { .. }
        | TypeShape::Recursive(_) => None,
        TypeShape::Builtin(_) => Some("<value>"),
    }
}
