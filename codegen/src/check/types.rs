//! Checks on the types written in fields and ids: they exist, and each is usable where it is written.

use super::{did_you_mean, kind_of, type_refs, type_text, walk_type, Check};
use crate::{
    diagnostics::Diagnostic,
    model::{Builtin, Field, Schema, TypeDef, TypeKind, TypeRef},
};

/// The rules on types.
pub(super) const CHECKS: &[Check] = &[
    check_unknown_types,
    check_nested_options,
    check_map_keys,
    check_recursive_types,
    check_state_defaults,
    check_id_types,
];

/// Names from Rust and other languages that users reach for, and what the schema language says instead.
const FOREIGN_TYPES: [(&str, &str); 17] = [
    ("Vec", "a list is written `[T]`, e.g. `[String]`"),
    ("List", "a list is written `[T]`, e.g. `[String]`"),
    ("Option", "an optional value is written `T?`, e.g. `String?`"),
    ("HashMap", "a map is written `Map<K, V>`, e.g. `Map<String, u64>`"),
    ("BTreeMap", "a map is written `Map<K, V>`, e.g. `Map<String, u64>`"),
    ("Map", "a map names its key and value types, e.g. `Map<String, u64>`"),
    ("str", "did you mean `String`?"),
    ("DateTime", "did you mean `Timestamp`?"),
    ("usize", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("isize", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("u8", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("u16", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("u128", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("i8", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("i16", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("i128", "the integer types are `i32`, `i64`, `u32` and `u64`"),
    ("f32", "the floating-point type is `f64`"),
];

// Every name used as a type is a built-in, a declared `type` or a declared `enum`.
pub(super) fn check_unknown_types(schema: &Schema, diagnostics: &mut Vec<Diagnostic>) {
    let candidates: Vec<&str> = Builtin::ALL
        .iter()
        .map(|builtin| builtin.keyword())
        .chain(schema.types.iter().map(|def| def.name.name.as_str()))
        .chain(schema.enums.iter().map(|def| def.name.name.as_str()))
        .collect();
    for outer in type_refs(schema) {
        walk_type(outer, &mut |ty| {
            let TypeKind::Named(name) = &ty.kind else { return };
            if schema.type_def(name).is_some() || schema.enum_def(name).is_some() {
                return;
            }
            let help = if let Some(kind) = kind_of(schema, name) {
                Some(format!(
                    "`{name}` is {}; a field's type is a built-in type, a `type` or an `enum`",
                    kind.with_article()
                ))
            } else if let Some((_, help)) = FOREIGN_TYPES.iter().find(|(foreign, _)| foreign == name) {
                Some((*help).to_owned())
            } else {
                did_you_mean(name, candidates.iter().copied()).map(|close| format!("did you mean `{close}`?"))
            };
            let diagnostic = Diagnostic::error(
                "factum::unknown-type",
                format!("unknown type `{name}`"),
                ty.span,
                "not a built-in type, nor a declared `type` or `enum`",
            );
            diagnostics.push(match help {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            });
        });
    }
}

// `T??` would be an option of an option, which JSON cannot tell from `T?`: one `?` at a time.
pub(super) fn check_nested_options(schema: &Schema, diagnostics: &mut Vec<Diagnostic>) {
    for outer in type_refs(schema) {
        walk_type(outer, &mut |ty| {
            let TypeKind::Option(inner) = &ty.kind else { return };
            // Report `T???` once, at its outermost option.
            if !matches!(inner.kind, TypeKind::Option(_)) || outer_is_option_of(outer, ty) {
                return;
            }
            diagnostics.push(
                Diagnostic::error(
                    "factum::nested-option",
                    format!("`{}` is an option of an option", type_text(ty)),
                    ty.span,
                    "more than one `?`",
                )
                .with_help(format!("one `?` is enough: `{}?`", type_text(strip_options(ty)))),
            );
        });
    }
}

/// Whether `ty` sits directly inside an option within `outer`.
fn outer_is_option_of(outer: &TypeRef, ty: &TypeRef) -> bool {
    let mut parent_is_option = false;
    walk_type(outer, &mut |candidate| {
        if let TypeKind::Option(inner) = &candidate.kind {
            if std::ptr::eq(inner.as_ref(), ty) {
                parent_is_option = true;
            }
        }
    });
    parent_is_option
}

/// The type under all its `?`s.
fn strip_options(mut ty: &TypeRef) -> &TypeRef {
    while let TypeKind::Option(inner) = &ty.kind {
        ty = inner;
    }
    ty
}

// A map's keys are stored as JSON object keys, so they must have an exact text form: `String`, an integer, `Uuid`,
// `Date` or an enum.
pub(super) fn check_map_keys(schema: &Schema, diagnostics: &mut Vec<Diagnostic>) {
    for outer in type_refs(schema) {
        walk_type(outer, &mut |ty| {
            let TypeKind::Map(key, _) = &ty.kind else { return };
            let valid = match &key.kind {
                TypeKind::Builtin(builtin) => matches!(
                    builtin,
                    Builtin::String
                        | Builtin::I32
                        | Builtin::I64
                        | Builtin::U32
                        | Builtin::U64
                        | Builtin::Uuid
                        | Builtin::Date
                ),
                // An unknown name is reported as an unknown type, not twice.
                TypeKind::Named(name) => schema.type_def(name).is_none(),
                TypeKind::List(_) | TypeKind::Option(_) | TypeKind::Map(..) => false,
            };
            if valid {
                return;
            }
            diagnostics.push(
                Diagnostic::error(
                    "factum::invalid-map-key",
                    format!("`{}` cannot be a map key", type_text(key)),
                    key.span,
                    "not a key type",
                )
                .with_help("a map key is `String`, an integer (`i32`, `i64`, `u32`, `u64`), `Uuid`, `Date` or an enum"),
            );
        });
    }
}

// A `type` may not contain itself, directly or through other types, except through a list or a map: the Rust
// struct would have infinite size (an option does not help: `Option<T>` holds a `T`).
pub(super) fn check_recursive_types(schema: &Schema, diagnostics: &mut Vec<Diagnostic>) {
    let mut reported: Vec<&str> = Vec::new();
    for def in &schema.types {
        if reported.contains(&def.name.name.as_str()) {
            continue;
        }
        let Some(cycle) = cycle_from(schema, def) else { continue };
        reported.extend(cycle.iter().map(|(owner, _)| owner.name.name.as_str()));
        let names: Vec<String> = cycle.iter().map(|(owner, _)| format!("`{}`", owner.name.name)).collect();
        let (first_owner, first_field) = cycle[0];
        let message = if cycle.len() == 1 {
            format!("recursive type `{}` has infinite size", first_owner.name.name)
        } else {
            format!("recursive types {} have infinite size", super::and_list(&names))
        };
        let mut diagnostic = Diagnostic::error(
            "factum::recursive-type",
            message,
            first_field.ty.span,
            contains_label(first_owner, first_field),
        );
        for (owner, field) in &cycle[1..] {
            diagnostic = diagnostic.with_label(field.ty.span, contains_label(owner, field));
        }
        let example = format!("{}: [{}]", first_field.name.name, type_text(strip_options(&first_field.ty)));
        diagnostics.push(diagnostic.with_help(format!("put the recursion behind a list or a map, e.g. `{example}`")));
    }
}

/// "`Node` contains itself here", "`Person` contains `Address` here".
fn contains_label(owner: &TypeDef, field: &Field) -> String {
    let contained = type_text(strip_options(&field.ty));
    if contained == owner.name.name {
        format!("`{contained}` contains itself here")
    } else {
        format!("`{}` contains `{contained}` here", owner.name.name)
    }
}

/// The shortest chain of fields leading from `start` back to itself without a list or map, as (type, field)
/// steps, if there is one.
fn cycle_from<'a>(schema: &'a Schema, start: &'a TypeDef) -> Option<Vec<(&'a TypeDef, &'a Field)>> {
    // A breadth-first search over types, remembering how each was first reached.
    let mut reached: Vec<(&'a TypeDef, Option<(usize, &'a Field)>)> = vec![(start, None)];
    let mut next = 0;
    while next < reached.len() {
        let (owner, _) = reached[next];
        for field in &owner.fields {
            let Some(target) = held_directly(schema, &field.ty) else { continue };
            if std::ptr::eq(target, start) {
                let mut cycle = vec![(owner, field)];
                let mut at = next;
                while let (_, Some((previous, via))) = reached[at] {
                    cycle.push((reached[previous].0, via));
                    at = previous;
                }
                cycle.reverse();
                return Some(cycle);
            }
            if !reached.iter().any(|(seen, _)| std::ptr::eq(*seen, target)) {
                reached.push((target, Some((next, field))));
            }
        }
        next += 1;
    }
    None
}

/// The record type a field of type `ty` holds inline (itself or inside options), if any.
fn held_directly<'a>(schema: &'a Schema, ty: &TypeRef) -> Option<&'a TypeDef> {
    match &strip_options(ty).kind {
        TypeKind::Named(name) => schema.type_def(name),
        _ => None,
    }
}

// A state starts from its default, so each state field needs one: an enum has none (there is no natural first
// variant), and neither has a `type` that holds a non-optional enum, directly or through other types.
pub(super) fn check_state_defaults(schema: &Schema, diagnostics: &mut Vec<Diagnostic>) {
    for aggregate in &schema.aggregates {
        for field in &aggregate.state {
            let Some(path) = no_default_path(schema, &field.ty, &mut Vec::new()) else { continue };
            let label = match path.as_slice() {
                [] => format!("`{}` is an enum, which has no default", type_text(&field.ty)),
                [(owner, first), ..] => {
                    let mut chain = format!("{owner}.{first}");
                    for (_, step) in &path[1..] {
                        chain.push('.');
                        chain.push_str(step);
                    }
                    format!("`{owner}` has no default: `{chain}` is an enum")
                }
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::state-field-without-default",
                    format!(
                        "state field `{}` of aggregate `{}` has no default value",
                        field.name.name, aggregate.name.name
                    ),
                    field.ty.span,
                    label,
                )
                .with_help(format!("the state starts from its default; make it optional: `{}?`", type_text(&field.ty))),
            );
        }
    }
}

/// Whether a value of type `ty` has a default: the one place that decides which state fields are allowed and which
/// named types the emitter derives `Default` for.
pub(crate) fn has_default(schema: &Schema, ty: &TypeRef) -> bool {
    no_default_path(schema, ty, &mut Vec::new()).is_none()
}

/// Why `ty` has no default, as the chain of (type, field) steps leading to an enum (empty when `ty` is one), or
/// `None` when it has a default. Unknown names are reported elsewhere and count as having one.
fn no_default_path<'a>(
    schema: &'a Schema,
    ty: &TypeRef,
    visiting: &mut Vec<&'a str>,
) -> Option<Vec<(&'a str, &'a str)>> {
    let TypeKind::Named(name) = &ty.kind else { return None };
    if schema.enum_def(name).is_some() {
        return Some(Vec::new());
    }
    let def = schema.type_def(name)?;
    if visiting.contains(&def.name.name.as_str()) {
        return None;
    }
    visiting.push(&def.name.name);
    let found = def.fields.iter().find_map(|field| {
        let mut path = no_default_path(schema, &field.ty, visiting)?;
        path.insert(0, (def.name.name.as_str(), field.name.name.as_str()));
        Some(path)
    });
    visiting.pop();
    found
}

// An aggregate's id is a stream key: a `String`, a `Uuid` or an integer (`i64`, `u64`, `i32`, `u32`).
pub(super) fn check_id_types(schema: &Schema, diagnostics: &mut Vec<Diagnostic>) {
    for aggregate in &schema.aggregates {
        let id = &aggregate.id;
        let valid = match &id.kind {
            TypeKind::Builtin(builtin) => {
                matches!(
                    builtin,
                    Builtin::String | Builtin::Uuid | Builtin::I64 | Builtin::U64 | Builtin::I32 | Builtin::U32
                )
            }
            // An unknown name is reported as an unknown type, not twice.
            TypeKind::Named(name) => schema.type_def(name).is_none() && schema.enum_def(name).is_none(),
            TypeKind::List(_) | TypeKind::Option(_) | TypeKind::Map(..) => false,
        };
        if valid {
            continue;
        }
        diagnostics.push(
            Diagnostic::error(
                "factum::invalid-id-type",
                format!("`{}` cannot be the id of aggregate `{}`", type_text(id), aggregate.name.name),
                id.span,
                "not an id type",
            )
            .with_help("an aggregate's id is `String`, `Uuid`, `i64`, `u64`, `i32` or `u32`"),
        );
    }
}
