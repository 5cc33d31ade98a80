//! Semantic checks: everything the grammar cannot see, reported all at once as diagnostics; then, for a schema without
//! errors, the lowering into the checked model ([`crate::ir`]), which is all that later stages read.
//!
//! Each rule is one `check_*` function with the rule stated above it; each area's module lists its rules in a
//! `CHECKS` group, and [`check`] runs every group over an index of the schema built once (so that no rule scans the
//! schema per name it looks up). A check never stops at its first finding, and rules are written so that one mistake
//! is reported once (an unknown type is not also a bad map key). The codes, by area:
//!
//! - names (`naming.rs`): `factum::duplicate-name`, `factum::reserved-name` (also for the names Rust refuses even as
//!   raw identifiers), `factum::naming-convention`, `factum::generated-name-collision`,
//!   `factum::method-name-collision`;
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
//! of the two versions it connects is checked by a group of its own, `steps.rs`:
//! `factum::field-added-without-default`, `factum::field-renamed-without-step`, `factum::field-removed-without-drop`,
//! `factum::field-type-changed`, `factum::option-narrowed`, `factum::list-scalar-changed`,
//! `factum::unknown-upcast-field`, `factum::conflicting-upcast-step`, `factum::default-for-existing-field` and
//! `factum::invalid-default`.
//!
//! The parser reports `factum::syntax`, `factum::invalid-version`, `factum::invalid-literal`, `factum::missing-id`,
//! `factum::duplicate-member` and `factum::misplaced-doc` itself; except after a syntax error, it keeps a placeholder
//! for what it could not read, and these checks run as well. `factum::internal` would mean the checked model could not
//! be built from a schema the checks accepted: a bug, never a panic.

mod aliases;
mod events;
mod members;
mod naming;
mod steps;
mod types;
mod upcasts;

use crate::{
    diagnostics::Diagnostic,
    index::Index,
    ir,
    model::{Field, Schema, TypeKind, TypeRef},
};

/// One rule: it inspects the indexed schema and pushes a diagnostic for each place that breaks it.
pub(crate) type Check = fn(&Index<'_>, &mut Vec<Diagnostic>);

/// Every rule, group by group; a new area of rules is one more line here.
const GROUPS: &[&[Check]] =
    &[naming::CHECKS, members::CHECKS, types::CHECKS, events::CHECKS, upcasts::CHECKS, aliases::CHECKS, steps::CHECKS];

/// Checks `schema` and lowers it into the checked model: the model and the warnings when there is no error, or every
/// diagnostic (errors and warnings, ordered by where they point) when there is one.
pub fn check(schema: &Schema) -> Result<(ir::Schema, Vec<Diagnostic>), Vec<Diagnostic>> {
    check_after(schema, Vec::new())
}

/// [`check`] for a schema whose lowering already found `earlier` problems (the parser keeps a placeholder for what it
/// could not read, so that every check still runs): all of them are reported together.
pub(crate) fn check_after(
    schema: &Schema,
    earlier: Vec<Diagnostic>,
) -> Result<(ir::Schema, Vec<Diagnostic>), Vec<Diagnostic>> {
    let index = Index::new(schema);
    let mut diagnostics = earlier;
    diagnostics.extend(run_checks(&index));
    diagnostics.sort_by_key(|diagnostic| (diagnostic.span().source, diagnostic.span().start));
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    match ir::lower(&index) {
        Ok(checked) => Ok((checked, diagnostics)),
        Err(internal) => {
            diagnostics.extend(internal);
            Err(diagnostics)
        }
    }
}

/// Every problem in the indexed schema, errors and warnings, rule by rule.
fn run_checks(index: &Index<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for check in GROUPS.iter().flat_map(|group| group.iter()) {
        check(index, &mut diagnostics);
    }
    diagnostics
}

/// A list of fields, with a description of whose they are: "type `LineItem`", "the state of aggregate `Order`".
struct FieldList<'a> {
    owner: FieldOwner<'a>,
    fields: &'a [Field],
}

/// Whose fields a [`FieldList`] holds. Described only when a diagnostic needs it (it displays as "type `LineItem`",
/// ...), so that listing the fields of a large schema formats nothing.
#[derive(Clone, Copy)]
enum FieldOwner<'a> {
    Type(&'a str),
    Event(&'a str, u32),
    State(&'a str),
    Command(&'a str),
}

impl std::fmt::Display for FieldOwner<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldOwner::Type(name) => write!(formatter, "type `{name}`"),
            FieldOwner::Event(name, version) => write!(formatter, "event `{name} v{version}`"),
            FieldOwner::State(aggregate) => write!(formatter, "the state of aggregate `{aggregate}`"),
            FieldOwner::Command(name) => write!(formatter, "command `{name}`"),
        }
    }
}

/// Every list of fields in the schema, in declaration order.
fn field_lists(schema: &Schema) -> Vec<FieldList<'_>> {
    let mut lists = Vec::new();
    for def in &schema.types {
        lists.push(FieldList { owner: FieldOwner::Type(&def.name.name), fields: &def.fields });
    }
    for def in &schema.events {
        lists.push(FieldList { owner: FieldOwner::Event(&def.name.name, def.version), fields: &def.fields });
    }
    for aggregate in &schema.aggregates {
        lists.push(FieldList { owner: FieldOwner::State(&aggregate.name.name), fields: &aggregate.state });
        for command in &aggregate.commands {
            lists.push(FieldList { owner: FieldOwner::Command(&command.name.name), fields: &command.fields });
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
pub(crate) fn type_text(ty: &TypeRef) -> String {
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

use crate::types::and_list;

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
