//! The evolution checker: whether code built from a new schema reads every event written under an old one.
//!
//! [`check_against`] compares an old [`Snapshot`] (from a lock file or an older `.factum`) with a new schema. Each
//! rule of [`super::rules`] is checked by one `check_*` function below, with the rule stated above it. Stored names
//! are followed through aliases, so a renamed event is compared with what it was.

use std::collections::BTreeSet;

use super::{
    finding::Finding,
    rules::{self, Rule},
    snapshot::{EventShape, Place, Snapshot, VersionShape},
};
use crate::{
    diagnostics::Label,
    ir::Schema,
    types::{and_list, compare_shapes, default_placeholder, likeliest_rename, Breaking, Compat, FieldShape, TypeShape},
};

/// Every finding of the checked schema `new` against `old`, breaking changes and notes, ordered by where they point in
/// `new`.
pub fn check_against(old: &Snapshot, new: &Schema) -> Vec<Finding> {
    let new_snapshot = Snapshot::from_schema(new);
    let context = Context { old, new: &new_snapshot, schema: new };
    let checks: &[fn(&Context<'_>, &mut Vec<Finding>)] = &[
        check_removed_events,
        check_removed_versions,
        check_version_numbers,
        check_upcast_paths,
        check_released_fields,
        check_named_types,
        check_aggregates,
    ];
    let mut findings = Vec::new();
    for check in checks {
        check(&context, &mut findings);
    }
    findings.sort_by(|a, b| {
        let key = |finding: &Finding| (finding.span().map(|span| (span.source, span.start)), finding.rule.id);
        key(a).cmp(&key(b))
    });
    findings
}

/// The two sides being compared.
struct Context<'a> {
    old: &'a Snapshot,
    new: &'a Snapshot,
    schema: &'a Schema,
}

/// An old event and the new event that reads its stored payloads.
struct Pair<'a> {
    old: &'a EventShape,
    new: &'a EventShape,
}

impl Pair<'_> {
    /// `OrderCreated v1`, or `OrderPlaced v1` (read as `OrderCreated v1`) for a renamed event.
    fn released(&self, version: u32) -> String {
        if self.old.name == self.new.name {
            format!("`{} v{version}`", self.old.name)
        } else {
            format!("`{} v{version}` (read as `{} v{version}`)", self.old.name, self.new.name)
        }
    }

    /// The number a new version of the event would take.
    fn next_version(&self) -> u32 {
        self.new.latest().saturating_add(1)
    }
}

impl<'a> Context<'a> {
    /// Each old event with the new event that reads it, once per distinct pair (an event and its aliases usually
    /// lead to the same new event).
    fn pairs(&self) -> Vec<Pair<'a>> {
        let mut pairs: Vec<Pair<'a>> = Vec::new();
        for old in &self.old.events {
            for stored in std::iter::once(&old.name).chain(&old.aliases) {
                let Some(new) = self.new.reader_of(stored) else { continue };
                if !pairs.iter().any(|pair| pair.old.name == old.name && pair.new.name == new.name) {
                    pairs.push(Pair { old, new });
                }
            }
        }
        pairs
    }

    /// A finding pointing at `new` (with a label) in the new schema and at `old` in the old snapshot.
    fn finding(
        &self,
        rule: &'static Rule,
        message: String,
        new: Option<(Place, String)>,
        old: Option<Place>,
        hint: String,
    ) -> Finding {
        Finding {
            rule,
            message,
            new: new.and_then(|(place, label)| self.new.span(&place).map(|span| Label { span, message: label })),
            old: old.map(|place| self.old.locate(&place)),
            hint,
        }
    }
}

// Every stored name of the old schema (each event's name and its aliases) is still read by the new one: as the name
// of an event, or through an alias.
fn check_removed_events(context: &Context<'_>, findings: &mut Vec<Finding>) {
    for old in &context.old.events {
        if context.new.reader_of(&old.name).is_none() {
            let message = format!("event `{}` was removed, but its stored events must still be read", old.name);
            let hint = format!(
                "keep `{0}` with its released versions; if it was renamed, declare `alias {0} -> NewName`",
                old.name
            );
            findings.push(context.finding(
                &rules::EVENT_REMOVED,
                message,
                None,
                Some(Place::Event(old.name.clone())),
                hint,
            ));
        }
        for alias in &old.aliases {
            if context.new.reader_of(alias).is_some() {
                continue;
            }
            let message = format!(
                "alias `{alias}` of `{}` was removed, but events stored as `{alias}` must still be read",
                old.name
            );
            let new = context.new.reader_of(&old.name).map(|reader| {
                (Place::Event(reader.name.clone()), format!("no longer reads events stored as `{alias}`"))
            });
            let reader = context.new.reader_of(&old.name).map_or(old.name.as_str(), |reader| reader.name.as_str());
            let hint = format!("keep `alias {alias} -> {reader}`");
            findings.push(context.finding(
                &rules::EVENT_REMOVED,
                message,
                new,
                Some(Place::Alias(alias.clone())),
                hint,
            ));
        }
    }
}

// Every released version of an event is still declared.
fn check_removed_versions(context: &Context<'_>, findings: &mut Vec<Finding>) {
    for pair in context.pairs() {
        for released in &pair.old.versions {
            let version = released.version;
            if pair.new.version(version).is_some() {
                continue;
            }
            let message = format!("released version {} was removed", pair.released(version));
            let new = (Place::Event(pair.new.name.clone()), format!("declares no `v{version}`"));
            let hint = format!(
                "payloads stored as `v{version}` must still decode: keep `event {} v{version} {{ ... }}` and its \
                 upcast step",
                pair.new.name
            );
            let old = Place::Version(pair.old.name.clone(), version);
            findings.push(context.finding(&rules::RELEASED_VERSION_REMOVED, message, Some(new), Some(old), hint));
        }
    }
}

// New versions count up one at a time from the latest released version, and none is numbered below it.
fn check_version_numbers(context: &Context<'_>, findings: &mut Vec<Finding>) {
    for pair in context.pairs() {
        let released_latest = pair.old.latest();
        let mut previous: Option<u32> = None;
        for version in pair.new.versions.iter().map(|shape| shape.version) {
            let is_new = pair.old.version(version).is_none();
            let problem = if !is_new {
                None
            } else if version < released_latest {
                Some((
                    format!(
                        "new version `v{version}` of `{}` is numbered below the released `v{released_latest}`",
                        pair.new.name
                    ),
                    format!("number new versions from `v{}` on", released_latest.saturating_add(1)),
                ))
            } else {
                match previous {
                    Some(previous) if version != previous.saturating_add(1) => Some((
                        format!("version `v{version}` of `{}` does not follow `v{previous}`", pair.new.name),
                        format!("number it `v{}`", previous.saturating_add(1)),
                    )),
                    _ => None,
                }
            };
            previous = Some(version);
            let Some((message, hint)) = problem else { continue };
            let new = (Place::Version(pair.new.name.clone(), version), "numbered here".to_owned());
            let old = Place::Version(pair.old.name.clone(), released_latest);
            findings.push(context.finding(&rules::VERSION_NOT_CONSECUTIVE, message, Some(new), Some(old), hint));
        }
    }
}

// Every released version reaches the latest version through one upcast step per version.
fn check_upcast_paths(context: &Context<'_>, findings: &mut Vec<Finding>) {
    for pair in context.pairs() {
        let released: Vec<u32> = pair
            .old
            .versions
            .iter()
            .map(|shape| shape.version)
            .filter(|version| pair.new.version(*version).is_some())
            .collect();
        let Some(&lowest) = released.first() else { continue };
        let versions: Vec<u32> = pair.new.versions.iter().map(|shape| shape.version).collect();
        for window in versions.windows(2) {
            let (from, to) = (window[0], window[1]);
            let has_step = context
                .schema
                .event_named(&pair.new.name)
                .and_then(|event| event.version(from))
                .is_some_and(|version| version.upcast.is_some() && to == from.saturating_add(1));
            if from < lowest || has_step {
                continue;
            }
            let blocked: Vec<String> =
                released.iter().filter(|version| **version <= from).map(|version| format!("`v{version}`")).collect();
            let message = format!(
                "no upcast step from `v{from}` to `v{to}` of `{}`: released {} cannot be read as `v{}`",
                pair.new.name,
                and_list(&blocked),
                pair.new.latest()
            );
            let new = (Place::Version(pair.new.name.clone(), from), format!("no step from `v{from}`")).into();
            let old = released.iter().copied().filter(|version| *version <= from).max().unwrap_or(lowest);
            let hint =
                format!("add `upcast {} v{from} -> v{to} {{ ... }}`, or `custom` to write it in Rust", pair.new.name);
            let old = Place::Version(pair.old.name.clone(), old);
            findings.push(context.finding(&rules::MISSING_UPCAST_PATH, message, new, Some(old), hint));
        }
    }
}

// A released version keeps its payload's fields and their types: adding, renaming, removing or retyping a field
// (even by a safe widening) belongs in a new version with an upcast step.
fn check_released_fields(context: &Context<'_>, findings: &mut Vec<Finding>) {
    for pair in context.pairs() {
        for old in &pair.old.versions {
            let Some(new) = pair.new.version(old.version) else { continue };
            if old.fields == new.fields {
                continue;
            }
            let before = findings.len();
            released_field_changes(context, &pair, old, new, findings);
            if findings.len() == before && !nested_types_changed(old, new) {
                let message = format!("the shape of released {} changed", pair.released(old.version));
                let label = format!("was `{}`", old.shape());
                let new_place = (Place::Version(pair.new.name.clone(), old.version), label);
                let hint = format!(
                    "keep `v{}` as it was and declare the new shape as `v{}`",
                    old.version,
                    pair.next_version()
                );
                let old_place = Place::Version(pair.old.name.clone(), old.version);
                findings.push(context.finding(
                    &rules::RELEASED_SHAPE_CHANGED,
                    message,
                    Some(new_place),
                    Some(old_place),
                    hint,
                ));
            }
        }
    }
}

/// The direct changes of fields between an old and a new declaration of the same released version.
fn released_field_changes(
    context: &Context<'_>,
    pair: &Pair<'_>,
    old: &VersionShape,
    new: &VersionShape,
    findings: &mut Vec<Finding>,
) {
    let version = old.version;
    let next = pair.next_version();
    let released = pair.released(version);
    let new_field = |name: &str| Place::Field(pair.new.name.clone(), version, name.to_owned());
    let old_field = |name: &str| Place::Field(pair.old.name.clone(), version, name.to_owned());
    let keep = format!("keep `v{version}` as it was, declare `v{next}`");
    let step = format!("upcast {} v{} -> v{next}", pair.new.name, next - 1);

    let added: Vec<&FieldShape> = new.fields.iter().filter(|field| old.field(&field.name).is_none()).collect();
    let mut renamed_to: BTreeSet<&str> = BTreeSet::new();
    for removed in old.fields.iter().filter(|field| new.field(&field.name).is_none()) {
        let candidates: Vec<&FieldShape> = added
            .iter()
            .copied()
            .filter(|added| added.ty == removed.ty && !renamed_to.contains(added.name.as_str()))
            .collect();
        let names: Vec<&str> = candidates.iter().map(|candidate| candidate.name.as_str()).collect();
        let target = likeliest_rename(&removed.name, &names).map(|index| candidates[index]);
        let (rule, message, new_place, hint) = match target {
            Some(target) => {
                renamed_to.insert(&target.name);
                (
                    &rules::FIELD_RENAMED_WITHOUT_STEP,
                    format!("field `{}` of released {released} was renamed to `{}`", removed.name, target.name),
                    (new_field(&target.name), format!("renamed from `{}`", removed.name)),
                    format!("{keep} with the new name, and `{step} {{ rename {} -> {} }}`", removed.name, target.name),
                )
            }
            None => (
                &rules::FIELD_REMOVED_WITHOUT_DROP,
                format!("field `{}` was removed from released {released}", removed.name),
                (Place::Version(pair.new.name.clone(), version), format!("no longer has `{}`", removed.name)),
                format!("{keep} without it, and `{step} {{ drop {} }}`", removed.name),
            ),
        };
        findings.push(context.finding(rule, message, Some(new_place), Some(old_field(&removed.name)), hint));
    }
    for field in added.iter().filter(|field| !renamed_to.contains(field.name.as_str())) {
        let message = format!("field `{}` was added to released {released}", field.name);
        let new_place = (new_field(&field.name), format!("not in stored `v{version}` payloads"));
        let hint = match default_placeholder(&field.ty) {
            Some(value) => format!("{keep} with it, and `{step} {{ {} = {value} }}`", field.name),
            None => format!(
                "{keep} with it, and choose its value in Rust: `{step} custom` (no literal is a value of `{}`)",
                field.ty.shallow()
            ),
        };
        let old_place = Place::Version(pair.old.name.clone(), version);
        findings.push(context.finding(
            &rules::FIELD_ADDED_WITHOUT_DEFAULT,
            message,
            Some(new_place),
            Some(old_place),
            hint,
        ));
    }
    for old_shape in &old.fields {
        let Some(new_shape) = new.field(&old_shape.name) else { continue };
        let (old_text, new_text) = (old_shape.ty.shallow(), new_shape.ty.shallow());
        // The same type as written but a different shape: a named type changed, which `check_named_types` reports.
        if old_text == new_text {
            continue;
        }
        let name = &old_shape.name;
        let custom = format!("{keep} with the new type, and write the step in Rust: `{step} custom`");
        let (rule, message, hint) = match compare_shapes(&old_shape.ty, &new_shape.ty) {
            Compat::Same => continue,
            Compat::Widening(_) => (
                &rules::RELEASED_SHAPE_CHANGED,
                format!("field `{name}` of released {released} was widened from `{old_text}` to `{new_text}`"),
                format!("{keep} with the wider type, and `{step} {{ }}`: a declarative step widens it"),
            ),
            Compat::Breaking(Breaking::OptionNarrowed) => (
                &rules::OPTION_NARROWED,
                format!("field `{name}` of released {released} became required (`{old_text}` to `{new_text}`)"),
                format!(
                    "stored payloads may have no `{name}`: {keep} with the required field, and choose a value in \
                     `{step} custom`"
                ),
            ),
            Compat::Breaking(breaking @ (Breaking::ListToScalar | Breaking::ScalarToList)) => (
                &rules::LIST_SCALAR_CHANGED,
                format!("field `{name}` of released {released}: {breaking} (`{old_text}` to `{new_text}`)"),
                custom,
            ),
            Compat::Breaking(_) => (
                &rules::FIELD_TYPE_CHANGED,
                format!("field `{name}` of released {released} changed type from `{old_text}` to `{new_text}`"),
                custom,
            ),
        };
        let new_place = (new_field(name), format!("was `{old_text}`"));
        findings.push(context.finding(rule, message, Some(new_place), Some(old_field(name)), hint));
    }
}

/// Whether a record or enum held by both versions differs between them.
fn nested_types_changed(old: &VersionShape, new: &VersionShape) -> bool {
    let (mut old_named, mut new_named) = (Default::default(), Default::default());
    old.fields.iter().for_each(|field| field.ty.collect_named(&mut old_named));
    new.fields.iter().for_each(|field| field.ty.collect_named(&mut new_named));
    old_named.iter().any(|(name, shape)| new_named.get(name).is_some_and(|new_shape| new_shape != shape))
}

// A record type or enum held by a released version keeps its shape: a record keeps its fields and their types, an
// enum keeps its variants (gaining one is a note: stored payloads still read).
fn check_named_types(context: &Context<'_>, findings: &mut Vec<Finding>) {
    let pairs = context.pairs();
    let mut old_named = std::collections::BTreeMap::new();
    for pair in &pairs {
        for version in &pair.old.versions {
            version.fields.iter().for_each(|field| field.ty.collect_named(&mut old_named));
        }
    }
    for (name, old_shape) in old_named {
        let Some(new_shape) = context.schema.named_shape(name) else { continue };
        if *old_shape == new_shape {
            continue;
        }
        // The released versions whose old and new declarations both hold the type.
        let affected: Vec<String> = pairs
            .iter()
            .flat_map(|pair| {
                pair.old.versions.iter().filter_map(move |old| {
                    let new = pair.new.version(old.version)?;
                    let holds =
                        |version: &VersionShape| version.fields.iter().any(|field| field.ty.contains_named(name));
                    (holds(old) && holds(new)).then(|| pair.released(old.version))
                })
            })
            .collect();
        if affected.is_empty() {
            continue;
        }
        let affected = and_list(&affected);
        match (old_shape, &new_shape) {
            (TypeShape::Enum { variants: old_variants, .. }, TypeShape::Enum { variants: new_variants, .. }) => {
                enum_changes(context, name, old_variants, new_variants, &affected, findings)
            }
            (TypeShape::Record { fields: old_fields, .. }, TypeShape::Record { fields: new_fields, .. }) => {
                let changes = field_changes(old_fields, new_fields);
                // Only the records whose own fields changed: a record holding a changed one is reported through it.
                let Some(first) = changes.first() else { continue };
                let message = format!(
                    "type `{name}` changed in place ({}), which changes released {affected}",
                    and_list(&changes.iter().map(|change| change.text.clone()).collect::<Vec<_>>())
                );
                let field_place = Place::TypeField(name.to_owned(), first.field.clone());
                let type_place = Place::Type(name.to_owned());
                let new_place = if first.in_new { field_place.clone() } else { type_place.clone() };
                let old_place = if first.in_old { field_place } else { type_place };
                let hint = format!(
                    "released payloads keep the old `{name}`: restore it, and give the events that need the new \
                     shape a new version with a new type (e.g. `{name}V2`)"
                );
                let new_place = (new_place, format!("`{name}` is part of released {affected}"));
                findings.push(context.finding(
                    &rules::NESTED_TYPE_CHANGED,
                    message,
                    Some(new_place),
                    Some(old_place),
                    hint,
                ));
            }
            _ => {
                let (old_kind, new_kind) = (kind_word(old_shape), kind_word(&new_shape));
                let message =
                    format!("`{name}` changed from {old_kind} to {new_kind}, which changes released {affected}");
                let (new_place, old_place) = (declaration_place(name, &new_shape), declaration_place(name, old_shape));
                let hint = format!("restore `{name}`, and declare a new type for new versions of the events");
                let new_place = (new_place, format!("now {new_kind}"));
                findings.push(context.finding(
                    &rules::NESTED_TYPE_CHANGED,
                    message,
                    Some(new_place),
                    Some(old_place),
                    hint,
                ));
            }
        }
    }
}

fn kind_word(shape: &TypeShape) -> &'static str {
    match shape {
        TypeShape::Enum { .. } => "an enum",
        _ => "a type",
    }
}

/// The findings about an enum held by released versions whose variants changed.
fn enum_changes(
    context: &Context<'_>,
    name: &str,
    old_variants: &[String],
    new_variants: &[String],
    affected: &str,
    findings: &mut Vec<Finding>,
) {
    let quoted =
        |variants: Vec<&String>| variants.into_iter().map(|variant| format!("`{variant}`")).collect::<Vec<_>>();
    let removed = quoted(old_variants.iter().filter(|variant| !new_variants.contains(variant)).collect());
    let added = quoted(new_variants.iter().filter(|variant| !old_variants.contains(variant)).collect());
    let place = Place::Enum(name.to_owned());
    let plural = |items: &[String]| if items.len() == 1 { "variant" } else { "variants" };
    if !removed.is_empty() {
        let renamed = match added.as_slice() {
            [one] if removed.len() == 1 => format!(" (renamed to {one}?)"),
            _ => String::new(),
        };
        let message = format!(
            "enum `{name}` lost {} {}{renamed}, which released {affected} may hold",
            plural(&removed),
            and_list(&removed)
        );
        let hint = format!(
            "stored payloads may hold {}: keep it in `{name}`, and stop using it in new events instead",
            and_list(&removed)
        );
        let new_place = (place.clone(), format!("no longer has {}", and_list(&removed)));
        findings.push(context.finding(&rules::ENUM_VARIANT_REMOVED, message, Some(new_place), Some(place), hint));
    } else if !added.is_empty() {
        let message =
            format!("enum `{name}` gained {} {}, held by released {affected}", plural(&added), and_list(&added));
        let new_place = (place.clone(), format!("gained {}", and_list(&added)));
        let hint = rules::ENUM_VARIANT_ADDED.hint.to_owned();
        findings.push(context.finding(&rules::ENUM_VARIANT_ADDED, message, Some(new_place), Some(place), hint));
    }
}

/// One difference between two lists of fields.
struct FieldChange {
    field: String,
    /// Whether the field is in the old list.
    in_old: bool,
    /// Whether the field is in the new list.
    in_new: bool,
    text: String,
}

/// The differences between two lists of fields (sorted by name), by the types as written: a field whose type is
/// written the same but holds a changed record is not one of them.
fn field_changes(old: &[FieldShape], new: &[FieldShape]) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for old_field in old {
        match new.iter().find(|field| field.name == old_field.name) {
            None => changes.push(FieldChange {
                field: old_field.name.clone(),
                in_old: true,
                in_new: false,
                text: format!("field `{}` removed", old_field.name),
            }),
            Some(new_field) => {
                let (old_text, new_text) = (old_field.ty.shallow(), new_field.ty.shallow());
                if old_text != new_text {
                    changes.push(FieldChange {
                        field: old_field.name.clone(),
                        in_old: true,
                        in_new: true,
                        text: format!("field `{}` changed from `{old_text}` to `{new_text}`", old_field.name),
                    });
                }
            }
        }
    }
    for new_field in new.iter().filter(|field| !old.iter().any(|old_field| old_field.name == field.name)) {
        changes.push(FieldChange {
            field: new_field.name.clone(),
            in_old: false,
            in_new: true,
            text: format!("field `{}` added", new_field.name),
        });
    }
    changes
}

/// The differences between two lists of fields, including fields whose written type is the same but whose named
/// type changed, as text.
fn surface_changes(old: &[FieldShape], new: &[FieldShape]) -> Vec<String> {
    let mut changes: Vec<String> = field_changes(old, new).into_iter().map(|change| change.text).collect();
    for old_field in old {
        let Some(new_field) = new.iter().find(|field| field.name == old_field.name) else { continue };
        if old_field.ty != new_field.ty && old_field.ty.shallow() == new_field.ty.shallow() {
            changes.push(format!("field `{}` changed (its type `{}` changed)", old_field.name, old_field.ty.shallow()));
        }
    }
    changes
}

// Commands and state are not stored: changing them breaks no stored event, so they are notes (source-level
// changes), as is removing an aggregate.
fn check_aggregates(context: &Context<'_>, findings: &mut Vec<Finding>) {
    for old in &context.old.aggregates {
        let aggregate = Place::Aggregate(old.name.clone());
        let Some(new) = context.new.aggregate(&old.name) else {
            let message = format!("aggregate `{}` was removed", old.name);
            let hint = rules::AGGREGATE_REMOVED.hint.to_owned();
            findings.push(context.finding(&rules::AGGREGATE_REMOVED, message, None, Some(aggregate), hint));
            continue;
        };
        let mut state = surface_changes(&old.state, &new.state);
        if old.id != new.id {
            state.insert(0, format!("the id changed from `{}` to `{}`", old.id.shallow(), new.id.shallow()));
        }
        if !state.is_empty() {
            let message = format!("the state of aggregate `{}` changed: {}", old.name, state.join(", "));
            let new_place = (aggregate.clone(), "state changed".to_owned());
            let hint = rules::STATE_CHANGED.hint.to_owned();
            findings.push(context.finding(
                &rules::STATE_CHANGED,
                message,
                Some(new_place),
                Some(aggregate.clone()),
                hint,
            ));
        }
        for old_command in &old.commands {
            let place = Place::Command(old.name.clone(), old_command.name.clone());
            let hint = rules::COMMAND_CHANGED.hint.to_owned();
            match new.commands.iter().find(|command| command.name == old_command.name) {
                None => {
                    let message = format!("command `{}` of aggregate `{}` was removed", old_command.name, old.name);
                    let new_place = (aggregate.clone(), format!("no longer has `{}`", old_command.name));
                    findings.push(context.finding(
                        &rules::COMMAND_CHANGED,
                        message,
                        Some(new_place),
                        Some(place),
                        hint,
                    ));
                }
                Some(new_command) => {
                    let changes = surface_changes(&old_command.fields, &new_command.fields);
                    if changes.is_empty() {
                        continue;
                    }
                    let message = format!("command `{}` changed: {}", old_command.name, changes.join(", "));
                    let new_place = (place.clone(), "changed".to_owned());
                    findings.push(context.finding(
                        &rules::COMMAND_CHANGED,
                        message,
                        Some(new_place),
                        Some(place),
                        hint,
                    ));
                }
            }
        }
    }
}

/// Where the named type or enum `name`, of shape `shape`, is declared.
fn declaration_place(name: &str, shape: &TypeShape) -> Place {
    match shape {
        TypeShape::Enum { .. } => Place::Enum(name.to_owned()),
        _ => Place::Type(name.to_owned()),
    }
}
