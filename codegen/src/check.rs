//! Semantic checks: everything the grammar cannot see, reported all at once as diagnostics.
//!
//! Each rule is one `check_*` function with the rule stated above it; each area's module lists its rules in a
//! `CHECKS` group, and [`check`] runs every group. A check never stops at its first finding, and rules are written so
//! that one mistake is reported once (an unknown type is not also a bad map key). The codes, by area:
//!
//! - names (`naming.rs`): `factum::duplicate-name`, `factum::reserved-name`, `factum::naming-convention`,
//!   `factum::rust-keyword`, `factum::generated-name-collision`, `factum::method-name-collision`;
//! - members (`members.rs`): `factum::duplicate-field`, `factum::duplicate-variant`, `factum::empty-enum`,
//!   `factum::empty-aggregate`, `factum::empty-projection`;
//! - types (`types.rs`): `factum::unknown-type`, `factum::nested-option`, `factum::invalid-map-key`,
//!   `factum::recursive-type`, `factum::state-field-without-default`, `factum::invalid-id-type`;
//! - events (`events.rs`): `factum::duplicate-event-version`, `factum::unknown-event`, `factum::duplicate-emit`,
//!   `factum::duplicate-projection-event`, and two warnings, `factum::unused-event` and `factum::unemitted-event`;
//! - upcasts (`upcasts.rs`): `factum::version-gap`, `factum::unknown-event`, `factum::unknown-event-version`,
//!   `factum::upcast-not-consecutive`, `factum::duplicate-upcast`, `factum::missing-upcast`,
//!   `factum::duplicate-step-field`, `factum::rename-to-itself`;
//! - aliases (`aliases.rs`): `factum::unknown-event`, `factum::alias-shadows-event`, `factum::duplicate-alias`.
//!
//! The checks on upcasts need only names and version numbers. Whether a declarative step fits the fields and types
//! of the two versions it connects is checked by a group of its own, `crate::evolution::steps`:
//! `factum::field-added-without-default`, `factum::field-renamed-without-step`, `factum::field-removed-without-drop`,
//! `factum::field-type-changed`, `factum::option-narrowed`, `factum::list-scalar-changed`,
//! `factum::unknown-upcast-field`, `factum::conflicting-upcast-step`, `factum::default-for-existing-field` and
//! `factum::invalid-default`.
//!
//! The parser reports `factum::syntax`, `factum::invalid-version`, `factum::invalid-literal`, `factum::missing-id`,
//! `factum::duplicate-member` and `factum::misplaced-doc` itself.

mod aliases;
mod events;
mod members;
mod naming;
mod types;
mod upcasts;

pub(crate) use types::has_default;

use crate::{
    diagnostics::Diagnostic,
    model::{Field, Ident, Schema, TypeKind, TypeRef},
};

/// One rule: it inspects the schema and pushes a diagnostic for each place that breaks it.
pub(crate) type Check = fn(&Schema, &mut Vec<Diagnostic>);

/// Every rule, group by group; a new area of rules is one more line here.
const GROUPS: &[&[Check]] = &[
    naming::CHECKS,
    members::CHECKS,
    types::CHECKS,
    events::CHECKS,
    upcasts::CHECKS,
    aliases::CHECKS,
    crate::evolution::steps::CHECKS,
];

/// Every problem in `schema`, errors and warnings, grouped by rule.
pub fn check(schema: &Schema) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for check in GROUPS.iter().flat_map(|group| group.iter()) {
        check(schema, &mut diagnostics);
    }
    diagnostics
}

/// What a name used as a type refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedKind {
    /// A declared `type` (a record).
    Type,
    /// A declared `enum`.
    Enum,
}

/// Whether `name` (from a [`TypeKind::Named`]) is a declared `type` or `enum`; `None` when it is neither, which
/// cannot happen in a schema the checks accepted.
pub fn resolve_named(schema: &Schema, name: &str) -> Option<NamedKind> {
    if schema.type_def(name).is_some() {
        Some(NamedKind::Type)
    } else if schema.enum_def(name).is_some() {
        Some(NamedKind::Enum)
    } else {
        None
    }
}

/// The kinds of top-level names: the generator makes each a Rust item, so they share one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeclKind {
    Type,
    Enum,
    Event,
    Aggregate,
    Command,
    Projection,
}

impl DeclKind {
    /// `type`, `enum`, ...
    fn word(self) -> &'static str {
        match self {
            DeclKind::Type => "type",
            DeclKind::Enum => "enum",
            DeclKind::Event => "event",
            DeclKind::Aggregate => "aggregate",
            DeclKind::Command => "command",
            DeclKind::Projection => "projection",
        }
    }

    /// `a type`, `an enum`, ...
    fn with_article(self) -> String {
        let article = match self {
            DeclKind::Enum | DeclKind::Event | DeclKind::Aggregate => "an",
            DeclKind::Type | DeclKind::Command | DeclKind::Projection => "a",
        };
        format!("{article} {}", self.word())
    }
}

/// A top-level name and what declared it.
#[derive(Debug, Clone, Copy)]
struct Declared<'a> {
    kind: DeclKind,
    ident: &'a Ident,
}

/// Every top-level name in source order; an event with several versions counts once, at its first declaration.
fn declarations(schema: &Schema) -> Vec<Declared<'_>> {
    let mut declared = Vec::new();
    let mut push = |kind, ident| declared.push(Declared { kind, ident });
    schema.types.iter().for_each(|def| push(DeclKind::Type, &def.name));
    schema.enums.iter().for_each(|def| push(DeclKind::Enum, &def.name));
    for (index, def) in schema.events.iter().enumerate() {
        if !schema.events[..index].iter().any(|earlier| earlier.name.name == def.name.name) {
            push(DeclKind::Event, &def.name);
        }
    }
    for aggregate in &schema.aggregates {
        push(DeclKind::Aggregate, &aggregate.name);
        aggregate.commands.iter().for_each(|command| push(DeclKind::Command, &command.name));
    }
    schema.projections.iter().for_each(|def| push(DeclKind::Projection, &def.name));
    declared.sort_by_key(|declared| declared.ident.span.start);
    declared
}

/// What a top-level name is, when something declares it.
fn kind_of(schema: &Schema, name: &str) -> Option<DeclKind> {
    declarations(schema).into_iter().find(|declared| declared.ident.name == name).map(|declared| declared.kind)
}

/// A list of fields, with a description of whose they are: "type `LineItem`", "the state of aggregate `Order`".
struct FieldList<'a> {
    owner: String,
    fields: &'a [Field],
}

/// Every list of fields in the schema, in declaration order.
fn field_lists(schema: &Schema) -> Vec<FieldList<'_>> {
    let mut lists = Vec::new();
    for def in &schema.types {
        lists.push(FieldList { owner: format!("type `{}`", def.name.name), fields: &def.fields });
    }
    for def in &schema.events {
        lists.push(FieldList { owner: format!("event `{} v{}`", def.name.name, def.version), fields: &def.fields });
    }
    for aggregate in &schema.aggregates {
        let owner = format!("the state of aggregate `{}`", aggregate.name.name);
        lists.push(FieldList { owner, fields: &aggregate.state });
        for command in &aggregate.commands {
            lists.push(FieldList { owner: format!("command `{}`", command.name.name), fields: &command.fields });
        }
    }
    lists
}

/// Every type written in the schema (field types and aggregate ids), outermost only.
fn type_refs(schema: &Schema) -> Vec<&TypeRef> {
    let mut types: Vec<&TypeRef> =
        field_lists(schema).into_iter().flat_map(|list| list.fields.iter().map(|field| &field.ty)).collect();
    types.extend(schema.aggregates.iter().map(|aggregate| &aggregate.id));
    types
}

/// Calls `visit` on `ty` and every type inside it, outermost first.
fn walk_type<'a>(ty: &'a TypeRef, visit: &mut impl FnMut(&'a TypeRef)) {
    visit(ty);
    match &ty.kind {
        TypeKind::Builtin(_) | TypeKind::Named(_) => {}
        TypeKind::List(inner) | TypeKind::Option(inner) => walk_type(inner, visit),
        TypeKind::Map(key, value) => {
            walk_type(key, visit);
            walk_type(value, visit);
        }
    }
}

/// A type as the schema language spells it: `[LineItem]`, `Map<String, u64>`, `String?`.
fn type_text(ty: &TypeRef) -> String {
    match &ty.kind {
        TypeKind::Builtin(builtin) => builtin.keyword().to_owned(),
        TypeKind::Named(name) => name.clone(),
        TypeKind::List(inner) => format!("[{}]", type_text(inner)),
        TypeKind::Option(inner) => format!("{}?", type_text(inner)),
        TypeKind::Map(key, value) => format!("Map<{}, {}>", type_text(key), type_text(value)),
    }
}

/// The longest name (in bytes) [`did_you_mean`] compares by edit distance.
const MAX_SUGGESTED_LENGTH: usize = 256;

/// The candidate closest to `name`, if one is close enough to be what the user meant: a case-insensitive match
/// first, then the smallest edit distance within a third of the name's length.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().filter(|candidate| *candidate != name).collect();
    if let Some(same) = candidates.iter().find(|candidate| candidate.eq_ignore_ascii_case(name)) {
        return Some(same);
    }
    // Edit distance takes time and memory quadratic in the names' lengths: longer names get no suggestion.
    if name.len() > MAX_SUGGESTED_LENGTH {
        return None;
    }
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|candidate| candidate.len() <= MAX_SUGGESTED_LENGTH)
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggestions_are_close_names_only() {
        let check = |name: &str, expected: Option<&str>| {
            let candidates = ["String", "OrderCreated", "OrderShipped", "u64", "Uuid"];
            assert_eq!(did_you_mean(name, candidates), expected, "did_you_mean({name:?})");
        };
        check("string", Some("String"));
        check("OrderCreatd", Some("OrderCreated"));
        check("OrderShiped", Some("OrderShipped"));
        check("u46", Some("u64"));
        check("Uid", Some("Uuid"));
        check("Something", None);
        check("u8", None);
    }
}
