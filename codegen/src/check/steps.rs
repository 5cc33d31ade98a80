//! The checks of declarative upcast steps: that `upcast E vN -> vN+1 { ... }` can be generated as a conversion from
//! one version's payload to the next.
//!
//! For each field of the newer version, the generated conversion takes the same-named field of the older version
//! (moved, or safely widened), the field a `rename` names, or the literal a default gives; every field of the older
//! version that the newer one lacks must be `drop`ped or `rename`d. Each rule is one `check_*` function below, run
//! from [`super::check`]. Steps whose event or versions do not exist, or that skip versions, are reported by
//! the declaration checks and skipped here; a `custom` step is written in Rust and needs no checking.

use std::collections::HashMap;

use super::{did_you_mean, Check};
use crate::{
    diagnostics::Diagnostic,
    index::Index,
    model::{
        Builtin, EventDef, Field, Ident, Literal, LiteralKind, TypeKind, TypeRef, UpcastBody, UpcastDef, UpcastStep,
    },
    types::{
        compare_shapes, default_placeholder, likeliest_rename,
        value::{integer_range, value_of},
        Breaking, Compat,
    },
};

/// The rules on declarative upcast steps: a group of [`super::check`].
pub(super) const CHECKS: &[Check] = &[
    check_step_targets,
    check_renames_into_kept_fields,
    check_defaults_of_kept_fields,
    check_removed_fields,
    check_added_fields,
    check_carried_types,
    check_default_literals,
];

/// Every declarative step whose two versions are declared and consecutive, with what its changes say.
fn plans<'a>(index: &'a Index<'a>) -> Vec<Plan<'a>> {
    index.schema.upcasts.iter().filter_map(|upcast| Plan::new(index, upcast)).collect()
}

/// The plans whose steps name only existing fields, each at most once on each side: the others are reported (as
/// unknown or repeated fields), and what their fields would get is not judged, so that one mistake is reported once.
fn unambiguous_plans<'a>(index: &'a Index<'a>) -> Vec<Plan<'a>> {
    plans(index).into_iter().filter(|plan| !plan.names_unknown_fields() && !plan.repeats_fields()).collect()
}

/// One declarative step with both of its versions, and what its changes say about each field.
struct Plan<'a> {
    index: &'a Index<'a>,
    upcast: &'a UpcastDef,
    steps: &'a [UpcastStep],
    old: &'a EventDef,
    new: &'a EventDef,
    /// Old fields dropped, by name (the first `drop` of each).
    dropped: HashMap<&'a str, &'a Ident>,
    /// Old fields renamed, by old name: the new name (the first `rename` of each).
    renamed_from: HashMap<&'a str, &'a Ident>,
    /// New fields renamed into, by new name: the old name.
    renamed_to: HashMap<&'a str, &'a Ident>,
    /// New fields given a default, by name.
    defaulted: HashMap<&'a str, (&'a Ident, &'a Literal)>,
}

impl<'a> Plan<'a> {
    fn new(index: &'a Index<'a>, upcast: &'a UpcastDef) -> Option<Plan<'a>> {
        let UpcastBody::Steps(steps) = &upcast.body else { return None };
        if upcast.from.checked_add(1) != Some(upcast.to) {
            return None;
        }
        let old = index.event_version(&upcast.event.name, upcast.from)?;
        let new = index.event_version(&upcast.event.name, upcast.to)?;
        let mut plan = Plan {
            index,
            upcast,
            steps,
            old,
            new,
            dropped: HashMap::new(),
            renamed_from: HashMap::new(),
            renamed_to: HashMap::new(),
            defaulted: HashMap::new(),
        };
        for step in steps {
            match step {
                UpcastStep::Default { field, value } => {
                    plan.defaulted.entry(&field.name).or_insert((field, value));
                }
                UpcastStep::Rename { from, to } => {
                    plan.renamed_from.entry(&from.name).or_insert(to);
                    plan.renamed_to.entry(&to.name).or_insert(from);
                }
                UpcastStep::Drop { field } => {
                    plan.dropped.entry(&field.name).or_insert(field);
                }
            }
        }
        Some(plan)
    }

    /// `OrderCreated v1`.
    fn old_name(&self) -> String {
        format!("{} v{}", self.old.name.name, self.old.version)
    }

    /// `OrderCreated v2`.
    fn new_name(&self) -> String {
        format!("{} v{}", self.new.name.name, self.new.version)
    }

    fn old_field(&self, name: &str) -> Option<&'a Field> {
        self.old.fields.iter().find(|field| field.name.name == name)
    }

    fn new_field(&self, name: &str) -> Option<&'a Field> {
        self.new.fields.iter().find(|field| field.name.name == name)
    }

    /// Whether a step names a field that does not exist: reported as unknown, and a likely cause of fields that then
    /// look unaccounted for, which are not reported again.
    fn names_unknown_fields(&self) -> bool {
        self.steps.iter().any(|step| match step {
            UpcastStep::Default { field, .. } => self.new_field(&field.name).is_none(),
            UpcastStep::Rename { from, to } => {
                self.old_field(&from.name).is_none() || self.new_field(&to.name).is_none()
            }
            UpcastStep::Drop { field } => self.old_field(&field.name).is_none(),
        })
    }

    /// Whether a step mentions a field twice on the same side (reported by the declaration checks).
    fn repeats_fields(&self) -> bool {
        let mut old_side = Vec::new();
        let mut new_side = Vec::new();
        for step in self.steps {
            let (old, new) = match step {
                UpcastStep::Default { field, .. } => (None, Some(field)),
                UpcastStep::Rename { from, to } => (Some(from), (from.name != to.name).then_some(to)),
                UpcastStep::Drop { field } => (Some(field), None),
            };
            for (side, ident) in [(&mut old_side, old), (&mut new_side, new)] {
                let Some(ident) = ident else { continue };
                if side.contains(&ident.name.as_str()) {
                    return true;
                }
                side.push(ident.name.as_str());
            }
        }
        false
    }

    /// Whether the old field `name` is dropped or renamed away.
    fn leaves(&self, name: &str) -> bool {
        self.dropped.contains_key(name) || self.renamed_from.contains_key(name)
    }

    /// Whether the new field `name` takes its value from a step (a rename into it, or a default).
    fn set_by_step(&self, name: &str) -> bool {
        self.renamed_to.contains_key(name) || self.defaulted.contains_key(name)
    }

    /// Old fields that the newer version lacks and no step accounts for, in declaration order.
    fn unaccounted_old(&self) -> impl Iterator<Item = &'a Field> + '_ {
        self.old
            .fields
            .iter()
            .filter(|field| self.new_field(&field.name.name).is_none() && !self.leaves(&field.name.name))
    }

    /// New fields with no value: not carried over (absent from the older version, or dropped there), not renamed
    /// into, not defaulted; in declaration order.
    fn unaccounted_new(&self) -> impl Iterator<Item = &'a Field> + '_ {
        self.new.fields.iter().filter(|field| {
            let name = field.name.name.as_str();
            let carried = self.old_field(name).is_some() && !self.leaves(name);
            !carried && !self.set_by_step(name)
        })
    }

    /// The unaccounted old fields that look renamed: each paired with the first unaccounted new field of the same
    /// type not already paired.
    fn likely_renames(&self) -> Vec<(&'a Field, &'a Field)> {
        let mut pairs: Vec<(&'a Field, &'a Field)> = Vec::new();
        let candidates: Vec<&Field> =
            self.unaccounted_new().filter(|field| self.old_field(&field.name.name).is_none()).collect();
        for old in self.unaccounted_old() {
            let Some(old_shape) = self.index.shape(&old.ty) else { continue };
            let same_type: Vec<&Field> = candidates
                .iter()
                .copied()
                .filter(|new| {
                    !pairs.iter().any(|(_, paired)| paired.name.name == new.name.name)
                        && self.index.shape(&new.ty).as_ref() == Some(&old_shape)
                })
                .collect();
            let names: Vec<&str> = same_type.iter().map(|new| new.name.name.as_str()).collect();
            if let Some(index) = likeliest_rename(&old.name.name, &names) {
                pairs.push((old, same_type[index]));
            }
        }
        pairs
    }
}

// Every field a step names exists: `rename` and `drop` name fields of the older version, the target of `rename`
// and a default name fields of the newer one.
fn check_step_targets(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for plan in &plans(index) {
        let unknown = |field: &Ident, event: &EventDef, event_name: String| {
            let candidates = event.fields.iter().map(|field| field.name.name.as_str());
            let diagnostic = Diagnostic::error(
                "factum::unknown-upcast-field",
                format!("`{event_name}` has no field `{}`", field.name),
                field.span,
                format!("no such field in `v{}`", event.version),
            );
            match did_you_mean(&field.name, candidates) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic,
            }
        };
        for step in plan.steps {
            let (old_side, new_side) = match step {
                UpcastStep::Default { field, .. } => (None, Some(field)),
                UpcastStep::Rename { from, to } => (Some(from), Some(to)),
                UpcastStep::Drop { field } => (Some(field), None),
            };
            if let Some(field) = old_side.filter(|field| plan.old_field(&field.name).is_none()) {
                diagnostics.push(unknown(field, plan.old, plan.old_name()));
            }
            if let Some(field) = new_side.filter(|field| plan.new_field(&field.name).is_none()) {
                diagnostics.push(unknown(field, plan.new, plan.new_name()));
            }
        }
    }
}

// A rename does not overwrite a field the older version keeps: renaming into `b` when `b` exists in the older version
// and is neither dropped nor renamed away would give the newer `b` two values.
fn check_renames_into_kept_fields(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for plan in unambiguous_plans(index).iter() {
        for step in plan.steps {
            let UpcastStep::Rename { from, to } = step else { continue };
            let Some(existing) = plan.old_field(&to.name) else { continue };
            if plan.leaves(&to.name) {
                continue;
            }
            diagnostics.push(
                Diagnostic::error(
                    "factum::conflicting-upcast-step",
                    format!(
                        "`rename {} -> {}` would overwrite field `{}` of `{}`",
                        from.name,
                        to.name,
                        to.name,
                        plan.old_name()
                    ),
                    to.span,
                    format!("`{}` already exists in `v{}`", to.name, plan.old.version),
                )
                .with_label(existing.name.span, "declared here")
                .with_help(format!("add `drop {}` to discard the old value, or rename it too", to.name)),
            );
        }
    }
}

// A default is for a field the older version does not carry over: a field that exists in the older version keeps its
// value, unless the step drops or renames it away.
fn check_defaults_of_kept_fields(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for plan in unambiguous_plans(index).iter() {
        for step in plan.steps {
            let UpcastStep::Default { field, value } = step else { continue };
            let Some(existing) = plan.old_field(&field.name) else { continue };
            if plan.leaves(&field.name) || plan.new_field(&field.name).is_none() {
                continue;
            }
            let span = field.span.to(value.span);
            diagnostics.push(
                Diagnostic::error(
                    "factum::default-for-existing-field",
                    format!("field `{}` exists in `{}`: its value carries over", field.name, plan.old_name()),
                    span,
                    "a default for a field that is not new",
                )
                .with_label(existing.name.span, format!("`{}` in `v{}`", field.name, plan.old.version))
                .with_help(format!("remove this default; to replace the old value, add `drop {}` as well", field.name)),
            );
        }
    }
}

// Every field of the older version that the newer one lacks is dropped or renamed; one that looks renamed (a new
// field of the same type has no value) is reported as a missing rename.
fn check_removed_fields(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for plan in unambiguous_plans(index).iter() {
        let renames = plan.likely_renames();
        for field in plan.unaccounted_old() {
            let name = &field.name.name;
            let diagnostic = match renames.iter().find(|(old, _)| old.name.name == *name) {
                Some((_, new)) => Diagnostic::error(
                    "factum::field-renamed-without-step",
                    format!(
                        "field `{name}` of `{}` is not in `v{}`, which has a new field `{}` of the same type",
                        plan.old_name(),
                        plan.new.version,
                        new.name.name
                    ),
                    field.name.span,
                    format!("not in `v{}`", plan.new.version),
                )
                .with_label(new.name.span, format!("new in `v{}`", plan.new.version))
                .with_help(format!(
                    "if it was renamed, add `rename {name} -> {}` to the step; otherwise `drop {name}` and give `{}` a \
                     default",
                    new.name.name, new.name.name
                )),
                None => Diagnostic::error(
                    "factum::field-removed-without-drop",
                    format!("field `{name}` of `{}` is not in `v{}`", plan.old_name(), plan.new.version),
                    field.name.span,
                    format!("not in `v{}`", plan.new.version),
                )
                .with_label(plan.upcast.span, "this step neither drops nor renames it")
                .with_help(format!("add `drop {name}` to the step (or `rename {name} -> <new name>`)")),
            };
            diagnostics.push(diagnostic);
        }
    }
}

// Every field of the newer version gets a value: carried over from the older version, renamed into, or given a
// default (fields reported as likely renames are not reported again).
fn check_added_fields(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for plan in unambiguous_plans(index).iter() {
        let renames = plan.likely_renames();
        for field in plan.unaccounted_new() {
            let name = &field.name.name;
            if renames.iter().any(|(_, new)| new.name.name == *name) {
                continue;
            }
            let Some(shape) = plan.index.shape(&field.ty) else { continue };
            let help = match default_placeholder(&shape) {
                Some(value) => format!("add `{name} = {value}` to the step"),
                None => {
                    format!("no literal is a value of `{}`: make the step `custom` and set it in Rust", shape.shallow())
                }
            };
            let mut diagnostic = Diagnostic::error(
                "factum::field-added-without-default",
                format!("field `{name}` of `{}` has no value for payloads of `v{}`", plan.new_name(), plan.old.version),
                field.name.span,
                format!("new in `v{}`", plan.new.version),
            );
            diagnostic = match plan.dropped.get(name.as_str()) {
                Some(dropped) => diagnostic.with_label(dropped.span, "its old value is dropped here"),
                None => diagnostic.with_label(plan.upcast.span, "this step does not set it"),
            };
            diagnostics.push(diagnostic.with_help(help));
        }
    }
}

// A field carried over (same name, or renamed) keeps its type or widens safely: anything else needs a `custom` step.
fn check_carried_types(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for plan in unambiguous_plans(index).iter() {
        let mut carried: Vec<(&Field, &Field, Option<&Ident>)> = Vec::new();
        for old in &plan.old.fields {
            let name = old.name.name.as_str();
            if let Some(to) = plan.renamed_from.get(name) {
                if let Some(new) = plan.new_field(&to.name) {
                    carried.push((old, new, Some(to)));
                }
            } else if !plan.dropped.contains_key(name) && !plan.set_by_step(name) {
                if let Some(new) = plan.new_field(name) {
                    carried.push((old, new, None));
                }
            }
        }
        for (old, new, renamed) in carried {
            let (Some(old_shape), Some(new_shape)) = (plan.index.shape(&old.ty), plan.index.shape(&new.ty)) else {
                continue;
            };
            let Compat::Breaking(breaking) = compare_shapes(&old_shape, &new_shape) else { continue };
            let (old_text, new_text) = (old_shape.shallow(), new_shape.shallow());
            let subject = match renamed {
                Some(_) => format!("field `{}` (renamed to `{}`)", old.name.name, new.name.name),
                None => format!("field `{}`", old.name.name),
            };
            let (old_version, new_version) = (plan.old.version, plan.new.version);
            let event = &plan.old.name.name;
            let (code, message) = match &breaking {
            Breaking::OptionNarrowed => (
                "factum::option-narrowed",
                format!("{subject} of `{event}` becomes required in `v{new_version}` (`{old_text}` in `v{old_version}`)"),
            ),
            Breaking::ListToScalar | Breaking::ScalarToList => (
                "factum::list-scalar-changed",
                format!(
                    "{subject} of `{event}` changes from `{old_text}` in `v{old_version}` to `{new_text}` in \
                     `v{new_version}`: {breaking}"
                ),
            ),
            _ => (
                "factum::field-type-changed",
                format!(
                    "{subject} of `{event}` changes type from `{old_text}` in `v{old_version}` to `{new_text}` in \
                     `v{new_version}`"
                ),
            ),
        };
            let help = match breaking {
                Breaking::OptionNarrowed => format!(
                    "payloads of `v{}` may have no `{}`: make the step `custom` to choose a value, or `drop` it and give \
                     it a default",
                    plan.old.version, old.name.name
                ),
                _ => "a declarative step only moves a field, or widens it safely: make the step `custom` and \
                      convert it in Rust, or `drop` it and give it a default"
                    .to_owned(),
            };
            diagnostics.push(
                Diagnostic::error(code, message, new.ty.span, format!("`{new_text}` in `v{}`", plan.new.version))
                    .with_label(old.ty.span, format!("`{old_text}` in `v{}`", plan.old.version))
                    .with_help(help),
            );
        }
    }
}

// A default's literal is a value of the field's type: a string for `String`, an integer in range for an integer
// type, a number for `f64`, `true` or `false` for `bool`, `none` (or a value of the inner type) for an option, `[]`
// for a list, `{}` for a map, a variant for an enum; no literal stands for `Uuid`, `Timestamp`, `Date`, `Bytes` or a
// record type.
fn check_default_literals(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for plan in &plans(index) {
        for step in plan.steps {
            let UpcastStep::Default { field, value } = step else { continue };
            let Some(target) = plan.new_field(&field.name) else { continue };
            let Some(shape) = plan.index.shape(&target.ty) else { continue };
            if fits(plan.index, &target.ty, value) {
                continue;
            }
            let type_text = shape.shallow();
            let label = match expected(plan.index, &target.ty) {
                Some(expected) => format!("expected {expected}"),
                None => format!("no literal is a value of `{type_text}`"),
            };
            let mut diagnostic = Diagnostic::error(
                "factum::invalid-default",
                format!("`{}` is not a value of `{type_text}`, the type of `{}`", literal_text(value), field.name),
                value.span,
                label,
            )
            .with_label(target.ty.span, format!("`{}` is declared `{type_text}` here", field.name));
            if let Some(help) = literal_help(plan.index, &target.ty, value) {
                diagnostic = diagnostic.with_help(help);
            }
            diagnostics.push(diagnostic);
        }
    }
}

/// Whether `literal` is a value of `ty`.
fn fits(index: &Index<'_>, ty: &TypeRef, literal: &Literal) -> bool {
    value_of(ty, &literal.kind, &|name, variant| index.variant(name, variant)).is_some()
}

/// The literals of `ty`, as a noun phrase (`a string`, `` `none` or an integer from 0 to 4294967295 ``); `None` when no
/// literal is a value of it.
fn expected(index: &Index<'_>, ty: &TypeRef) -> Option<String> {
    match &ty.kind {
        TypeKind::Option(inner) => Some(match expected(index, inner) {
            Some(inner) => format!("`none` or {inner}"),
            None => "`none`".to_owned(),
        }),
        TypeKind::List(_) => Some("`[]`, an empty list".to_owned()),
        TypeKind::Map(..) => Some("`{}`, an empty map".to_owned()),
        TypeKind::Builtin(builtin) => match builtin {
            Builtin::String => Some("a string".to_owned()),
            Builtin::Bool => Some("`true` or `false`".to_owned()),
            Builtin::F64 => Some("a number".to_owned()),
            Builtin::Bytes | Builtin::Uuid | Builtin::Timestamp | Builtin::Date => None,
            Builtin::I32 | Builtin::I64 | Builtin::U32 | Builtin::U64 => {
                integer_range(*builtin).map(|range| format!("an integer from {} to {}", range.start(), range.end()))
            }
        },
        TypeKind::Named(name) => index.enum_def(name).map(|def| {
            let variants: Vec<String> = def.variants.iter().map(|variant| format!("`{}`", variant.name.name)).collect();
            let variants = match variants.as_slice() {
                [init @ .., last] if !init.is_empty() => format!("{} or {last}", init.join(", ")),
                _ => variants.join(""),
            };
            format!("a variant of `{name}`: {variants}")
        }),
    }
}

/// A hint for a literal that does not fit `ty`: a close variant name, quotes around a bare word meant as a string,
/// or a `custom` step for types no literal stands for.
fn literal_help(index: &Index<'_>, ty: &TypeRef, literal: &Literal) -> Option<String> {
    let mut base = ty;
    while let TypeKind::Option(inner) = &base.kind {
        base = inner;
    }
    match (&base.kind, &literal.kind) {
        (TypeKind::Named(name), LiteralKind::Variant(word)) => index.enum_def(name).and_then(|def| {
            let variants = def.variants.iter().map(|variant| variant.name.name.as_str());
            did_you_mean(word, variants).map(|close| format!("did you mean `{close}`?"))
        }),
        (TypeKind::Builtin(Builtin::String), LiteralKind::Variant(word)) => Some(format!("did you mean `\"{word}\"`?")),
        _ if expected(index, base).is_none() => Some("make the step `custom` and set the field in Rust".to_owned()),
        _ => None,
    }
}

/// A literal as written: `"IDR"`, `42`, `none`, `[]`.
fn literal_text(literal: &Literal) -> String {
    match &literal.kind {
        LiteralKind::String(text) => format!("{text:?}"),
        LiteralKind::Integer(value) => value.to_string(),
        LiteralKind::Float(value) => format!("{value:?}"),
        LiteralKind::Bool(value) => value.to_string(),
        LiteralKind::None => "none".to_owned(),
        LiteralKind::EmptyList => "[]".to_owned(),
        LiteralKind::EmptyMap => "{}".to_owned(),
        LiteralKind::Variant(name) => name.clone(),
    }
}
