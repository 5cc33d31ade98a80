//! Checks on events: their versions, the events commands emit and projections handle, and events nothing uses.

use std::collections::{HashMap, HashSet};

use super::{did_you_mean, Check};
use crate::{diagnostics::Diagnostic, index::Index, model::Ident};

/// The rules on events.
pub(super) const CHECKS: &[Check] = &[
    check_duplicate_versions,
    check_emitted_events_exist,
    check_emits_repeats,
    check_projection_events_exist,
    check_projection_repeats,
    check_unused_events,
    check_projection_events_are_emitted,
];

// Each version of an event is declared once: the store tells payloads apart by name and version.
pub(super) fn check_duplicate_versions(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    let mut first_by_version = HashMap::new();
    for def in schema.events.iter().filter(|def| def.version != 0) {
        let key = (def.name.name.as_str(), def.version);
        let Some(first) = first_by_version.get(&key) else {
            first_by_version.insert(key, def.version_span);
            continue;
        };
        let next_free =
            index.event(&def.name.name).and_then(|group| group.versions.last().copied()).unwrap_or(def.version);
        let mut diagnostic = Diagnostic::error(
            "factum::duplicate-event-version",
            format!("event `{}` declares `v{}` twice", def.name.name, def.version),
            def.version_span,
            format!("`v{}` declared again here", def.version),
        )
        .with_label(*first, format!("`v{}` first declared here", def.version));
        if let Some(next) = next_free.checked_add(1) {
            diagnostic = diagnostic.with_help(format!("a new shape of the event needs a new version, e.g. `v{next}`"));
        }
        diagnostics.push(diagnostic);
    }
}

/// The diagnostic for a reference to an event that is not declared; the suggestion skips the events `listed` beside
/// it, which the user evidently did not mean.
pub(super) fn unknown_event(index: &Index<'_>, event: &Ident, message: String, listed: &[&String]) -> Diagnostic {
    let name = &event.name;
    let diagnostic =
        Diagnostic::error("factum::unknown-event", message, event.span, "no event of this name is declared");
    let renamed_to = index.alias_target(name).map(|new| &new.name);
    let help = match (index.kind_of(name), renamed_to) {
        (Some(kind), _) => Some(format!("`{name}` is {}, not an event", kind.with_article())),
        (None, Some(new)) => {
            Some(format!("`{name}` is an old name of `{new}`; refer to the event by its current name"))
        }
        (None, None) => {
            let candidates = index
                .events()
                .iter()
                .map(|group| group.name)
                .filter(|candidate| !listed.iter().any(|listed| listed == candidate));
            did_you_mean(name, candidates).map(|close| format!("did you mean `{close}`?"))
        }
    };
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

// Every event in an `emits` clause is declared.
pub(super) fn check_emitted_events_exist(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for command in schema.aggregates.iter().flat_map(|aggregate| &aggregate.commands) {
        let mut seen = HashSet::new();
        for event in command.emits.events() {
            // A repeated event is reported as a repeat, not again as unknown.
            if !seen.insert(&event.name) {
                continue;
            }
            if !index.is_event(&event.name) {
                let message = format!("command `{}` emits unknown event `{}`", command.name.name, event.name);
                let listed: Vec<&String> = command.emits.events().map(|listed| &listed.name).collect();
                diagnostics.push(unknown_event(index, event, message, &listed));
            }
        }
    }
}

// An event appears once in an `emits` clause: each slot is a field of the command's outcome, and an event listed
// twice would be ambiguous in the aggregate's event enum and in the outcome enums.
pub(super) fn check_emits_repeats(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for command in schema.aggregates.iter().flat_map(|aggregate| &aggregate.commands) {
        let mut first_by_name = HashMap::new();
        for event in command.emits.events() {
            let Some(first) = first_by_name.get(event.name.as_str()) else {
                first_by_name.insert(event.name.as_str(), event.span);
                continue;
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::duplicate-emit",
                    format!("command `{}` lists event `{}` twice in `emits`", command.name.name, event.name),
                    event.span,
                    format!("`{}` listed again here", event.name),
                )
                .with_label(*first, format!("`{}` first listed here", event.name))
                .with_help("list each event once"),
            );
        }
    }
}

// Every event a projection handles is declared.
pub(super) fn check_projection_events_exist(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for projection in &schema.projections {
        let mut seen = HashSet::new();
        for event in &projection.events {
            // A repeated event is reported as a repeat, not again as unknown.
            if !seen.insert(&event.name) {
                continue;
            }
            if !index.is_event(&event.name) {
                let message = format!("projection `{}` handles unknown event `{}`", projection.name.name, event.name);
                let listed: Vec<&String> = projection.events.iter().map(|listed| &listed.name).collect();
                diagnostics.push(unknown_event(index, event, message, &listed));
            }
        }
    }
}

// A projection lists each event once: it has one handler method per event.
pub(super) fn check_projection_repeats(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for projection in &schema.projections {
        let mut first_by_name = HashMap::new();
        for event in &projection.events {
            let Some(first) = first_by_name.get(event.name.as_str()) else {
                first_by_name.insert(event.name.as_str(), event.span);
                continue;
            };
            diagnostics.push(
                Diagnostic::error(
                    "factum::duplicate-projection-event",
                    format!("projection `{}` lists event `{}` twice", projection.name.name, event.name),
                    event.span,
                    format!("`{}` listed again here", event.name),
                )
                .with_label(*first, format!("`{}` first listed here", event.name))
                .with_help("list each event once"),
            );
        }
    }
}

// Warning: an event that no command emits and no projection handles is probably a leftover or a typo. Commands
// emit and projections handle an event by name, which means its latest version; the older versions are used by the
// upcasts that lead to it. So the warning is about a name, reported once, at its latest version.
pub(super) fn check_unused_events(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for name in index.events().iter().map(|group| group.name) {
        if index.is_handled(name) || index.is_emitted(name) {
            continue;
        }
        let Some(latest) = index.latest_event(name) else { continue };
        diagnostics.push(
            Diagnostic::warning(
                "factum::unused-event",
                format!("event `{name}` is never emitted nor handled"),
                latest.name.span,
                "no command emits it and no projection handles it",
            )
            .with_help(format!(
                "emit it from a command (`emits {name}`), handle it in a projection (`on {name}`), or remove it"
            )),
        );
    }
}

// Warning: a projection handling a declared event that no command emits will never see it. (An undeclared event is
// an error, reported by `check_projection_events_exist`.) A schema without commands is the read side of a service
// whose events are written elsewhere (another service's, consumed from the bus): there, every event is handled
// without being emitted, and nothing is said.
pub(super) fn check_projection_events_are_emitted(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    if !index.emits_any() {
        return;
    }
    let schema = index.schema;
    for projection in &schema.projections {
        let mut seen = HashSet::new();
        for event in &projection.events {
            let repeated = !seen.insert(&event.name);
            if repeated || !index.is_event(&event.name) || index.is_emitted(&event.name) {
                continue;
            }
            diagnostics.push(
                Diagnostic::warning(
                    "factum::unemitted-event",
                    format!("projection `{}` handles `{}`, which no command emits", projection.name.name, event.name),
                    event.span,
                    "this handler would never run",
                )
                .with_help(format!("add `{}` to a command's `emits`, or remove it from the projection", event.name)),
            );
        }
    }
}
