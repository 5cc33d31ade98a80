//! Checks on how events evolve: an event's versions follow each other, every version but the latest has exactly one
//! upcast to the next, and each upcast names a declared event and two of its versions. The steps of a declarative
//! upcast are checked here only as far as their names go; whether they fit the two versions' fields and types is the
//! concern of the evolution checks.

use std::collections::HashMap;

use super::{and_list, events::unknown_event, Check};
use crate::{
    diagnostics::Diagnostic,
    index::Index,
    model::{Ident, UpcastBody, UpcastDef, UpcastStep},
};

/// The rules on upcasts.
pub(super) const CHECKS: &[Check] = &[
    check_version_gaps,
    check_upcast_events_exist,
    check_upcast_versions_exist,
    check_consecutive_upcasts,
    check_duplicate_upcasts,
    check_missing_upcasts,
    check_duplicate_step_fields,
    check_renames_to_itself,
];

/// The distinct declared versions of the event `name`, in increasing order.
fn declared_versions<'i>(index: &'i Index<'_>, name: &str) -> &'i [u32] {
    index.event(name).map_or(&[], |group| group.versions.as_slice())
}

/// Whether the event an upcast names is declared (an undeclared one is reported once, as unknown).
fn is_declared(index: &Index<'_>, upcast: &UpcastDef) -> bool {
    index.is_event(&upcast.event.name)
}

/// Whether both versions of an upcast could be read (the parser reported those it could not, and keeps them as 0).
fn has_versions(upcast: &UpcastDef) -> bool {
    upcast.from != 0 && upcast.to != 0
}

/// Whether an upcast leads to the next version, as it should.
fn is_consecutive(upcast: &UpcastDef) -> bool {
    upcast.from.checked_add(1) == Some(upcast.to)
}

/// "`OrderCreated` v1 to v2", as messages name an upcast.
fn describe(upcast: &UpcastDef) -> String {
    format!("`{}` v{} to v{}", upcast.event.name, upcast.from, upcast.to)
}

// An event's versions are consecutive, starting from any version (`v1, v2, v3`, or `v4, v5` once the first three
// are no longer stored): each upcast leads from one version to the next, so a gap would break the chain.
fn check_version_gaps(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for name in index.events().iter().map(|group| group.name) {
        for pair in declared_versions(index, name).windows(2) {
            let (before, after) = (pair[0], pair[1]);
            if after - before < 2 {
                continue;
            }
            let (Some(before_def), Some(after_def)) =
                (index.event_version(name, before), index.event_version(name, after))
            else {
                continue;
            };
            let missing = before + 1;
            let (message, help) = if after - before == 2 {
                (
                    format!("event `{name}` has no version v{missing} between v{before} and v{after}"),
                    format!(
                        "versions follow each other: declare `event {name} v{missing} {{ ... }}`, or renumber \
                         `v{after}` and the versions after it"
                    ),
                )
            } else {
                (
                    format!(
                        "event `{name}` has no versions v{missing} to v{} between v{before} and v{after}",
                        after - 1
                    ),
                    format!(
                        "versions follow each other: declare the missing ones, or renumber `v{after}` and the \
                         versions after it"
                    ),
                )
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::version-gap",
                    message,
                    after_def.version_span,
                    format!("`v{after}` follows `v{before}`"),
                )
                .with_label(before_def.version_span, format!("`v{before}` declared here"))
                .with_help(help),
            );
        }
    }
}

// Every upcast names a declared event.
fn check_upcast_events_exist(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for upcast in schema.upcasts.iter().filter(|upcast| !is_declared(index, upcast)) {
        let message = format!("upcast of unknown event `{}`", upcast.event.name);
        diagnostics.push(unknown_event(index, &upcast.event, message, &[]));
    }
}

// The versions an upcast connects are declared versions of its event. A `to` that is not the next version is
// reported as such, and a version missing between two declared ones as a gap, not also as unknown.
fn check_upcast_versions_exist(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for upcast in schema.upcasts.iter().filter(|upcast| is_declared(index, upcast) && has_versions(upcast)) {
        let name = &upcast.event.name;
        let versions = declared_versions(index, name);
        let (Some(first), Some(last)) = (versions.first().copied(), versions.last().copied()) else { continue };
        let mut tags = vec![(upcast.from, upcast.from_span)];
        if is_consecutive(upcast) {
            tags.push((upcast.to, upcast.to_span));
        }
        let unknown = |version: &u32| !versions.contains(version) && !(first..=last).contains(version);
        for (version, span) in tags.into_iter().filter(|(version, _)| unknown(version)) {
            let declared: Vec<String> = versions.iter().map(|version| format!("v{version}")).collect();
            let help = match declared.as_slice() {
                [only] => format!("the only declared version of `{name}` is {only}"),
                _ => format!("the declared versions of `{name}` are {}", and_list(&declared)),
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::unknown-event-version",
                    format!("event `{name}` has no version v{version}"),
                    span,
                    format!("no `event {name} v{version}` is declared"),
                )
                .with_help(help),
            );
        }
    }
}

// An upcast leads from one version to the next (`v1 -> v2`): a longer way is a chain of such steps, and there is no
// way back.
fn check_consecutive_upcasts(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for upcast in &schema.upcasts {
        if is_consecutive(upcast) || !has_versions(upcast) {
            continue;
        }
        let (from, to) = (upcast.from, upcast.to);
        let next = from.checked_add(1);
        let label = match next {
            Some(next) => format!("expected `v{next}`"),
            None => format!("`v{from}` is the last possible version"),
        };
        let help = match next {
            Some(next) if next.checked_add(1) == Some(to) => {
                format!("each upcast leads to the next version: chain `v{from} -> v{next}` and `v{next} -> v{to}`")
            }
            Some(next) if to > from => format!(
                "each upcast leads to the next version: chain `v{from} -> v{next}`, `v{next} -> v{}` and so on up \
                 to `v{to}`",
                next + 1
            ),
            _ => "upcasts lead from an older version to the next newer one, e.g. `v1 -> v2`".to_owned(),
        };
        diagnostics.push(
            Diagnostic::error(
                "factum::upcast-not-consecutive",
                format!("upcast from {} does not lead to the next version", describe(upcast)),
                upcast.to_span,
                label,
            )
            .with_help(help),
        );
    }
}

// An event has at most one upcast from each version: reading an old payload takes one path. (An upcast that does
// not lead to the next version is reported as such, and does not count here.)
fn check_duplicate_upcasts(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    let mut first_by_version: HashMap<(&str, u32), &UpcastDef> = HashMap::new();
    for upcast in schema
        .upcasts
        .iter()
        .filter(|upcast| is_declared(index, upcast) && has_versions(upcast) && is_consecutive(upcast))
    {
        let key = (upcast.event.name.as_str(), upcast.from);
        let Some(first) = first_by_version.get(&key) else {
            first_by_version.insert(key, upcast);
            continue;
        };
        let version = upcast.from;
        diagnostics.push(
            Diagnostic::error(
                "factum::duplicate-upcast",
                format!("event `{}` has two upcasts from v{version}", upcast.event.name),
                upcast.from_span,
                format!("second upcast from `v{version}`"),
            )
            .with_label(first.from_span, format!("first upcast from `v{version}`"))
            .with_help("keep one: a stored payload takes exactly one step to the next version"),
        );
    }
}

// Every version of an event but the latest has an upcast to the next one, so that any stored payload can be read
// as the latest version. (A version before a gap is left to the gap's error.)
fn check_missing_upcasts(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for name in index.events().iter().map(|group| group.name) {
        let versions = declared_versions(index, name);
        for pair in versions.windows(2) {
            let (version, next) = (pair[0], pair[1]);
            let has_upcast = index.upcast_from(name, version).is_some();
            let Some(def) = index.event_version(name, version).filter(|_| next == version + 1 && !has_upcast) else {
                continue;
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::missing-upcast",
                    format!("no upcaster from `{name}` v{version} to v{next}"),
                    def.version_span,
                    format!("stored `v{version}` payloads cannot be read as `v{next}`"),
                )
                .with_help(format!(
                    "declare how they change, `upcast {name} v{version} -> v{next} {{ ... }}`, or write the step in \
                     Rust: `upcast {name} v{version} -> v{next} custom`"
                )),
            );
        }
    }
}

/// Which side of an upcast a step's field name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    /// A field of the older version: renamed or dropped.
    Older,
    /// A field of the newer version: a rename's new name, or a new field with a default.
    Newer,
}

/// The field names a declarative step mentions, each with its side. A rename to the same name counts once, as
/// `check_renames_to_itself` reports it.
fn mentions(steps: &[UpcastStep]) -> Vec<(Side, &Ident)> {
    let mut mentioned = Vec::new();
    for step in steps {
        match step {
            UpcastStep::Default { field, .. } => mentioned.push((Side::Newer, field)),
            UpcastStep::Rename { from, to } => {
                mentioned.push((Side::Older, from));
                if from.name != to.name {
                    mentioned.push((Side::Newer, to));
                }
            }
            UpcastStep::Drop { field } => mentioned.push((Side::Older, field)),
        }
    }
    mentioned
}

// Within one declarative upcast, each field of the older version is renamed or dropped at most once, and each field
// of the newer version comes from at most one step (a default or a rename). A name may appear once on each side:
// `rename status -> legacy_status, status = Active` moves the old field aside and gives the new one a value.
fn check_duplicate_step_fields(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for upcast in &schema.upcasts {
        let UpcastBody::Steps(steps) = &upcast.body else { continue };
        let mut first_by_name: HashMap<(Side, &str), &Ident> = HashMap::new();
        for (side, field) in mentions(steps) {
            let Some(first) = first_by_name.get(&(side, field.name.as_str())) else {
                first_by_name.insert((side, &field.name), field);
                continue;
            };
            let name = &field.name;
            let help = match side {
                Side::Older => format!("each field of v{} is renamed or dropped at most once", upcast.from),
                Side::Newer => {
                    format!("each field of v{} gets its value from one step: a default or a rename", upcast.to)
                }
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::duplicate-step-field",
                    format!("field `{name}` appears twice in the upcast from {}", describe(upcast)),
                    field.span,
                    format!("`{name}` again here"),
                )
                .with_label(first.span, format!("`{name}` first here"))
                .with_help(help),
            );
        }
    }
}

// `rename a -> a` does nothing, so it is surely not what was meant: a field that keeps its name needs no step.
fn check_renames_to_itself(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for upcast in &schema.upcasts {
        let UpcastBody::Steps(steps) = &upcast.body else { continue };
        for step in steps {
            let UpcastStep::Rename { from, to } = step else { continue };
            if from.name != to.name {
                continue;
            }
            diagnostics.push(
                Diagnostic::error(
                    "factum::rename-to-itself",
                    format!("field `{}` is renamed to itself in the upcast from {}", from.name, describe(upcast)),
                    to.span,
                    "already the field's name",
                )
                .with_help("a field that keeps its name carries over unchanged: remove the step, or give the new name"),
            );
        }
    }
}
