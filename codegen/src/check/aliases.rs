//! Checks on aliases, the old stored names of renamed events: each reads as a declared event, and an old name is
//! neither an event's current name nor the old name of two events.

use std::collections::HashMap;

use super::{events::unknown_event, Check};
use crate::{diagnostics::Diagnostic, index::Index, model::AliasDef};

/// The rules on aliases.
pub(super) const CHECKS: &[Check] =
    &[check_alias_events_exist, check_aliases_shadowing_events, check_duplicate_aliases];

// The new name of an alias is a declared event.
fn check_alias_events_exist(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for alias in &schema.aliases {
        if index.is_event(&alias.new.name) {
            continue;
        }
        let message = format!("alias `{}` reads as unknown event `{}`", alias.old.name, alias.new.name);
        diagnostics.push(unknown_event(index, &alias.new, message, &[&alias.old.name]));
    }
}

// The old name of an alias is not the name of a declared event: events stored under it would read as two events.
fn check_aliases_shadowing_events(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for alias in &schema.aliases {
        let name = &alias.old.name;
        let Some(event) = index.event(name).and_then(|group| group.defs.first()) else { continue };
        let help = if alias.new.name == *name {
            "an event is always read under its own name: remove the alias".to_owned()
        } else {
            format!(
                "an alias names what an event was stored as before it was renamed; a declared `{name}` is read as \
                 itself"
            )
        };
        diagnostics.push(
            Diagnostic::error(
                "factum::alias-shadows-event",
                format!("alias `{name}` is the name of a declared event"),
                alias.old.span,
                format!("events stored as `{name}` would read as `{}`", alias.new.name),
            )
            .with_label(event.name.span, format!("event `{name}` declared here"))
            .with_help(help),
        );
    }
}

// An old name is declared once: a stored name reads as one event.
fn check_duplicate_aliases(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    let mut first_by_name: HashMap<&str, &AliasDef> = HashMap::new();
    for alias in &schema.aliases {
        let name = alias.old.name.as_str();
        let Some(first) = first_by_name.get(name) else {
            first_by_name.insert(name, alias);
            continue;
        };
        let help = if first.new.name == alias.new.name {
            "remove one of them".to_owned()
        } else {
            format!("events stored as `{name}` read as one event: `{}` or `{}`", first.new.name, alias.new.name)
        };
        diagnostics.push(
            Diagnostic::error(
                "factum::duplicate-alias",
                format!("alias `{name}` is declared twice"),
                alias.old.span,
                format!("`{name}` declared again here"),
            )
            .with_label(first.old.span, format!("`{name}` first declared here"))
            .with_help(help),
        );
    }
}
