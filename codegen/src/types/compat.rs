//! Type compatibility: whether a value stored under an old field type can become a value of the new one.
//!
//! [`compare_shapes`] answers one of three ways. [`Compat::Same`]: the value moves as it is. [`Compat::Widening`]: every old
//! value has a new one, found by a conversion the generated code can write without help (`i32` to `i64`, `T` to
//! `T?`, any integer to `f64`, and those inside lists, options and map values); the [`Widening`] tells the
//! conversion level by level. [`Compat::Breaking`]: no such conversion, with the reason (an option became required,
//! a list became a single value, an enum lost a variant, a record changed, or another type altogether).
//!
//! The same decision serves three callers: the checks, which reject a declarative upcast step that would need more
//! than a widening; the checked model, which records the widening of each field a step carries over, for the upcast
//! emitter to turn into a conversion; and the evolution checker, which classifies a changed field.

use std::fmt;

use super::shape::{FieldShape, TypeShape};
use crate::model::Builtin;

/// How an old field type relates to a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compat {
    /// The same type: the value moves unchanged.
    Same,
    /// A safe widening: every old value converts to a new one as described.
    Widening(Widening),
    /// No conversion without the user's help.
    Breaking(Breaking),
}

/// A safe widening, level by level, so that it can be turned into a conversion expression.
///
/// For a value `v` of the old type: `Integer` is `<to>::from(v)`; `IntegerToFloat` is `v as f64` (exact for 32-bit
/// integers, nearest for 64-bit ones); `Wrap(None)` is `Some(v)` and `Wrap(Some(w))` is `Some(w(v))`; `List(w)` is
/// `v.into_iter().map(w).collect()`; `Option(w)` is `v.map(w)`; `MapValue(w)` converts each value of the map with `w`
/// and keeps its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Widening {
    /// `i32 -> i64`, `u32 -> u64` or `u32 -> i64`: lossless, by `From`.
    Integer {
        /// The old integer type.
        from: Builtin,
        /// The new integer type.
        to: Builtin,
    },
    /// Any integer type to `f64`.
    IntegerToFloat {
        /// The old integer type.
        from: Builtin,
    },
    /// `T -> T?`: the value becomes `Some`, after widening it when the inner types differ (`i32 -> i64?`).
    Wrap(Option<Box<Widening>>),
    /// `[T] -> [U]`: each element widens.
    List(Box<Widening>),
    /// `T? -> U?`: the value, when present, widens.
    Option(Box<Widening>),
    /// `Map<K, T> -> Map<K, U>`: each value widens; keys stay the same.
    MapValue(Box<Widening>),
}

/// Why an old type's values cannot become values of the new type without the user's help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breaking {
    /// `T? -> T`: old payloads may have no value.
    OptionNarrowed,
    /// `[T] -> T`.
    ListToScalar,
    /// `T -> [T]`.
    ScalarToList,
    /// An enum lost variants that old payloads may hold (a renamed variant is a lost one).
    VariantsRemoved {
        /// The enum.
        enum_name: String,
        /// The variants that are gone.
        removed: Vec<String>,
        /// The variants that are new, which may be the renamed ones.
        added: Vec<String>,
    },
    /// A record lost a field.
    FieldRemoved {
        /// The record type.
        record: String,
        /// The field that is gone.
        field: String,
    },
    /// A record gained a field, which old payloads do not have.
    FieldAdded {
        /// The record type.
        record: String,
        /// The new field.
        field: String,
    },
    /// A field of a record changed type.
    FieldChanged {
        /// The record type.
        record: String,
        /// The field.
        field: String,
        /// Its old type, as written.
        old: String,
        /// Its new type, as written.
        new: String,
    },
    /// Any other change of type: `u64 -> String`, `LineItem -> OrderLine`, a map's key type.
    TypeChanged {
        /// The old type, as written.
        old: String,
        /// The new type, as written.
        new: String,
    },
}

impl fmt::Display for Breaking {
    /// Lowercase, without a trailing period, names in backticks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breaking::OptionNarrowed => f.write_str("an optional value became required"),
            Breaking::ListToScalar => f.write_str("a list became a single value"),
            Breaking::ScalarToList => f.write_str("a single value became a list"),
            Breaking::VariantsRemoved { enum_name, removed, added } => {
                let removed: Vec<String> = removed.iter().map(|variant| format!("`{variant}`")).collect();
                let noun = if removed.len() == 1 { "variant" } else { "variants" };
                write!(f, "enum `{enum_name}` lost {noun} {}", super::and_list(&removed))?;
                if let [renamed] = added.as_slice() {
                    write!(f, " (renamed to `{renamed}`?)")?;
                }
                Ok(())
            }
            Breaking::FieldRemoved { record, field } => write!(f, "type `{record}` lost field `{field}`"),
            Breaking::FieldAdded { record, field } => write!(f, "type `{record}` gained field `{field}`"),
            Breaking::FieldChanged { record, field, old, new } => {
                write!(f, "field `{field}` of type `{record}` changed from `{old}` to `{new}`")
            }
            Breaking::TypeChanged { old, new } => write!(f, "`{old}` became `{new}`"),
        }
    }
}

/// Compares two expanded types, which may come from different schemas (an old schema or a lock file, and the
/// current one).
///
/// Records and enums compare by name, then by content: a record must have the same fields of the same types, and an
/// enum must keep every variant (one that gained variants still holds every old value, so it counts as the same).
pub fn compare_shapes(old: &TypeShape, new: &TypeShape) -> Compat {
    if old == new {
        return Compat::Same;
    }
    let changed = || Compat::Breaking(Breaking::TypeChanged { old: old.shallow(), new: new.shallow() });
    match (old, new) {
        (TypeShape::Builtin(from), TypeShape::Builtin(to)) => {
            widen_builtin(*from, *to).map_or_else(changed, Compat::Widening)
        }
        (TypeShape::List(old_inner), TypeShape::List(new_inner)) => {
            nest(compare_shapes(old_inner, new_inner), Widening::List)
        }
        (TypeShape::Option(old_inner), TypeShape::Option(new_inner)) => {
            nest(compare_shapes(old_inner, new_inner), Widening::Option)
        }
        (TypeShape::Map(old_key, old_value), TypeShape::Map(new_key, new_value)) => {
            if old_key != new_key {
                return changed();
            }
            nest(compare_shapes(old_value, new_value), Widening::MapValue)
        }
        (TypeShape::Option(_), _) => Compat::Breaking(Breaking::OptionNarrowed),
        (_, TypeShape::Option(new_inner)) => match compare_shapes(old, new_inner) {
            Compat::Same => Compat::Widening(Widening::Wrap(None)),
            Compat::Widening(widening) => Compat::Widening(Widening::Wrap(Some(Box::new(widening)))),
            breaking @ Compat::Breaking(_) => breaking,
        },
        (TypeShape::List(_), _) => Compat::Breaking(Breaking::ListToScalar),
        (_, TypeShape::List(_)) => Compat::Breaking(Breaking::ScalarToList),
        (
            TypeShape::Record { name: old_name, fields: old_fields },
            TypeShape::Record { name: new_name, fields: new_fields },
        ) if old_name == new_name => compare_records(old_name, old_fields, new_fields),
        (
            TypeShape::Enum { name: old_name, variants: old_variants },
            TypeShape::Enum { name: new_name, variants: new_variants },
        ) if old_name == new_name => {
            let removed: Vec<String> =
                old_variants.iter().filter(|variant| !new_variants.contains(variant)).cloned().collect();
            if removed.is_empty() {
                return Compat::Same;
            }
            let added = new_variants.iter().filter(|variant| !old_variants.contains(variant)).cloned().collect();
            Compat::Breaking(Breaking::VariantsRemoved { enum_name: old_name.clone(), removed, added })
        }
        _ => changed(),
    }
}

/// The widening from one built-in to another, if there is one.
fn widen_builtin(from: Builtin, to: Builtin) -> Option<Widening> {
    use Builtin::{F64, I32, I64, U32, U64};
    match (from, to) {
        (I32, I64) | (U32, U64) | (U32, I64) => Some(Widening::Integer { from, to }),
        (I32 | I64 | U32 | U64, F64) => Some(Widening::IntegerToFloat { from }),
        _ => None,
    }
}

/// The comparison of a container's contents, as the comparison of the container.
fn nest(inner: Compat, wrap: fn(Box<Widening>) -> Widening) -> Compat {
    match inner {
        Compat::Widening(widening) => Compat::Widening(wrap(Box::new(widening))),
        same_or_breaking => same_or_breaking,
    }
}

/// Two records of the same name: the first difference, field by field (both lists are sorted by name).
fn compare_records(record: &str, old_fields: &[FieldShape], new_fields: &[FieldShape]) -> Compat {
    for old_field in old_fields {
        let Some(new_field) = new_fields.iter().find(|field| field.name == old_field.name) else {
            return Compat::Breaking(Breaking::FieldRemoved {
                record: record.to_owned(),
                field: old_field.name.clone(),
            });
        };
        let (old_text, new_text) = (old_field.ty.shallow(), new_field.ty.shallow());
        match compare_shapes(&old_field.ty, &new_field.ty) {
            Compat::Same => {}
            // The same type as written, changed deeper down: the deeper change is the reason.
            Compat::Breaking(inner) if old_text == new_text => return Compat::Breaking(inner),
            _ => {
                return Compat::Breaking(Breaking::FieldChanged {
                    record: record.to_owned(),
                    field: old_field.name.clone(),
                    old: old_text,
                    new: new_text,
                })
            }
        }
    }
    match new_fields.iter().find(|new_field| !old_fields.iter().any(|old_field| old_field.name == new_field.name)) {
        Some(added) => Compat::Breaking(Breaking::FieldAdded { record: record.to_owned(), field: added.name.clone() }),
        None => Compat::Same,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> TypeShape {
        TypeShape::parse(text).unwrap_or_else(|error| panic!("{error}"))
    }

    fn check(old: &str, new: &str, expected: &str) {
        let described = match compare_shapes(&shape(old), &shape(new)) {
            Compat::Same => "same".to_owned(),
            Compat::Widening(widening) => format!("{widening:?}"),
            Compat::Breaking(breaking) => breaking.to_string(),
        };
        assert_eq!(described, expected, "{old} -> {new}");
    }

    #[test]
    fn identical_types_are_the_same() {
        check("String", "String", "same");
        check("[LineItem{sku:String}]", "[LineItem{sku:String}]", "same");
        check("Status(A|B)", "Status(A|B|C)", "same");
    }

    #[test]
    fn widenings_are_described_level_by_level() {
        check("i32", "i64", "Integer { from: I32, to: I64 }");
        check("u32", "u64", "Integer { from: U32, to: U64 }");
        check("u32", "i64", "Integer { from: U32, to: I64 }");
        check("u64", "f64", "IntegerToFloat { from: U64 }");
        check("String", "String?", "Wrap(None)");
        check("i32", "i64?", "Wrap(Some(Integer { from: I32, to: I64 }))");
        check("[u32]", "[u64]", "List(Integer { from: U32, to: U64 })");
        check("u32?", "f64?", "Option(IntegerToFloat { from: U32 })");
        check("Map<String,i32>", "Map<String,i64>", "MapValue(Integer { from: I32, to: I64 })");
        check("[u32]?", "[i64]?", "Option(List(Integer { from: U32, to: I64 }))");
    }

    #[test]
    fn breaking_changes_have_a_reason() {
        check("String?", "String", "an optional value became required");
        check("[String]", "String", "a list became a single value");
        check("String", "[String]", "a single value became a list");
        check("i64", "i32", "`i64` became `i32`");
        check("u64", "String", "`u64` became `String`");
        check("i32", "u64", "`i32` became `u64`");
        check("f64", "i64", "`f64` became `i64`");
        check("Map<String,u32>", "Map<Uuid,u32>", "`Map<String, u32>` became `Map<Uuid, u32>`");
        check("Status(A|B)", "Status(A|C)", "enum `Status` lost variant `B` (renamed to `C`?)");
        check("Status(A|B|C)", "Status(A)", "enum `Status` lost variants `B` and `C`");
        check("Item{a:u32,b:u32}", "Item{a:u32}", "type `Item` lost field `b`");
        check("Item{a:u32}", "Item{a:u32,b:u32}", "type `Item` gained field `b`");
        check("Item{a:u32}", "Item{a:u64}", "field `a` of type `Item` changed from `u32` to `u64`");
        check("Outer{i:Inner{a:u32}}", "Outer{i:Inner{}}", "type `Inner` lost field `a`");
        check("Item{a:u32}", "Other{a:u32}", "`Item` became `Other`");
        check("[Status(A|B)]", "[Status(A)]?", "enum `Status` lost variant `B`");
    }
}
