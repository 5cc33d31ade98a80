//! Checks on what declarations contain: fields and variants are unique, and enums, aggregates and projections are
//! not empty.

use std::collections::HashMap;

use super::{field_lists, Check};
use crate::{diagnostics::Diagnostic, index::Index};

/// The rules on members.
pub(super) const CHECKS: &[Check] = &[
    check_duplicate_fields,
    check_duplicate_variants,
    check_empty_enums,
    check_empty_aggregates,
    check_empty_projections,
];

// Within one type, event, command or state, field names are unique: they become the fields of one struct.
pub(super) fn check_duplicate_fields(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for list in field_lists(schema) {
        let mut first_by_name = HashMap::new();
        for field in list.fields {
            let name = field.name.name.as_str();
            match first_by_name.get(name) {
                None => {
                    first_by_name.insert(name, field.name.span);
                }
                Some(first) => diagnostics.push(
                    Diagnostic::error(
                        "factum::duplicate-field",
                        format!("field `{name}` is declared twice in {}", list.owner),
                        field.name.span,
                        format!("`{name}` declared again here"),
                    )
                    .with_label(*first, format!("`{name}` first declared here")),
                ),
            }
        }
    }
}

// Within one enum, variant names are unique.
pub(super) fn check_duplicate_variants(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for def in &schema.enums {
        let mut first_by_name = HashMap::new();
        for variant in &def.variants {
            let name = variant.name.name.as_str();
            match first_by_name.get(name) {
                None => {
                    first_by_name.insert(name, variant.name.span);
                }
                Some(first) => diagnostics.push(
                    Diagnostic::error(
                        "factum::duplicate-variant",
                        format!("variant `{name}` is declared twice in enum `{}`", def.name.name),
                        variant.name.span,
                        format!("`{name}` declared again here"),
                    )
                    .with_label(*first, format!("`{name}` first declared here")),
                ),
            }
        }
    }
}

// An enum has at least one variant: a field of an empty enum could never hold a value.
pub(super) fn check_empty_enums(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for def in schema.enums.iter().filter(|def| def.variants.is_empty()) {
        diagnostics.push(
            Diagnostic::error(
                "factum::empty-enum",
                format!("enum `{}` has no variants", def.name.name),
                def.name.span,
                "empty enum",
            )
            .with_help(format!("list its variants, e.g. `enum {} {{ Active, Closed }}`", def.name.name)),
        );
    }
}

// An aggregate has at least one command: without one it could never record an event, and its command and event
// enums would be empty.
pub(super) fn check_empty_aggregates(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for aggregate in schema.aggregates.iter().filter(|aggregate| aggregate.commands.is_empty()) {
        diagnostics.push(
            Diagnostic::error(
                "factum::empty-aggregate",
                format!("aggregate `{}` has no commands", aggregate.name.name),
                aggregate.name.span,
                "no `command` in this aggregate",
            )
            .with_help("declare what it decides, e.g. `command PlaceOrder { customer: String } emits OrderPlaced`"),
        );
    }
}

// A projection handles at least one event: without one it could never run, and its event enum would be empty.
pub(super) fn check_empty_projections(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for projection in schema.projections.iter().filter(|projection| projection.events.is_empty()) {
        diagnostics.push(
            Diagnostic::error(
                "factum::empty-projection",
                format!("projection `{}` handles no events", projection.name.name),
                projection.name.span,
                "no `on` clause in this projection",
            )
            .with_help("list the events it handles, e.g. `on OrderPlaced, OrderShipped`"),
        );
    }
}
