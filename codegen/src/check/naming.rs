//! Checks on names: unique, not taken by the language, usable in Rust, conventionally cased, and clear of the names
//! the generator adds. Rust keywords are fine (they become raw identifiers); only the names Rust refuses even as raw
//! identifiers are not.

use std::collections::HashMap;

use super::{field_lists, Check};
use crate::{
    diagnostics::Diagnostic,
    index::{is_builtin, DeclKind, Declared, Index},
    model::{Ident, UpcastBody},
    names::{event_version_type, is_unusable, outcome_name, snake_case, upcast_trait, AggregateNames, ProjectionNames},
};

/// The rules on names.
pub(super) const CHECKS: &[Check] = &[
    check_duplicate_names,
    check_reserved_names,
    check_naming_conventions,
    check_unusable_names,
    check_generated_names,
    check_method_names,
];

// Types, enums, events, aggregates, commands and projections all become Rust items in one module, so no two may
// share a name. The versions of one event share its name by design; commands of different aggregates do not.
pub(super) fn check_duplicate_names(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let mut first_by_name: HashMap<&str, Declared<'_>> = HashMap::new();
    for declared in index.declarations().iter().copied() {
        let name = declared.ident.name.as_str();
        let Some(first) = first_by_name.get(name) else {
            first_by_name.insert(name, declared);
            continue;
        };
        let mut diagnostic = Diagnostic::error(
            "factum::duplicate-name",
            format!("the name `{name}` is declared more than once"),
            declared.ident.span,
            format!("{} `{name}` declared here", declared.kind.word()),
        )
        .with_label(first.ident.span, format!("`{name}` first declared here, as {}", first.kind.with_article()));
        if declared.kind == DeclKind::Command || first.kind == DeclKind::Command {
            diagnostic = diagnostic
                .with_help("commands become top-level structs, so a command's name must be unique in the whole schema");
        }
        diagnostics.push(diagnostic);
    }
}

// The built-in type names and `Map` mean the language's own types wherever a type is written, so a declaration
// named after one could never be used.
pub(super) fn check_reserved_names(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for declared in index.declarations().iter().copied() {
        let name = &declared.ident.name;
        let what = if is_builtin(name) {
            "a built-in type"
        } else if name == "Map" {
            "the built-in map type"
        } else {
            continue;
        };
        diagnostics.push(
            Diagnostic::error(
                "factum::reserved-name",
                format!("`{name}` is {what} and cannot be declared"),
                declared.ident.span,
                format!("{} named after {what}", declared.kind.word()),
            )
            .with_help(format!("choose another name for the {}", declared.kind.word())),
        );
    }
}

// Declarations and variants are UpperCamelCase and fields snake_case, as in Rust: the generated items keep the
// schema's names, and method names are derived from them. The old name of an alias generates nothing, but it was an
// event's name, so it follows the same convention.
pub(super) fn check_naming_conventions(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    let mut camel: Vec<(&'static str, &Ident)> = index
        .declarations()
        .iter()
        .filter(|declared| !is_builtin(&declared.ident.name))
        .map(|declared| (declared.kind.word(), declared.ident))
        .collect();
    for def in &schema.enums {
        camel.extend(def.variants.iter().map(|variant| ("variant", &variant.name)));
    }
    camel.extend(schema.aliases.iter().map(|alias| ("alias", &alias.old)));
    camel.sort_by_key(|(_, ident)| (ident.span.source, ident.span.start));
    for (kind, ident) in camel {
        if is_upper_camel_case(&ident.name) {
            continue;
        }
        let mut diagnostic = Diagnostic::error(
            "factum::naming-convention",
            format!("{kind} `{}` should have an UpperCamelCase name", ident.name),
            ident.span,
            "not UpperCamelCase",
        );
        let suggestion = upper_camel_case(&ident.name);
        if !suggestion.is_empty() {
            diagnostic = diagnostic.with_help(format!("rename it to `{suggestion}`"));
        }
        diagnostics.push(diagnostic);
    }
    for list in field_lists(schema) {
        for field in list.fields {
            let name = &field.name.name;
            if is_snake_case(name) {
                continue;
            }
            let mut suggestion = snake_case(name);
            if is_unusable(&suggestion) {
                suggestion.push('_');
            }
            diagnostics.push(
                Diagnostic::error(
                    "factum::naming-convention",
                    format!("field `{name}` of {} should have a snake_case name", list.owner),
                    field.name.span,
                    "not snake_case",
                )
                .with_help(format!("rename it to `{suggestion}`")),
            );
        }
    }
}

/// Starts with a capital and has no underscores: `OrderCreated`, `HTTPRequest`, `V2`.
fn is_upper_camel_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase()) && !name.contains('_')
}

/// No capitals: `unit_price`, `_internal`, `line2`.
fn is_snake_case(name: &str) -> bool {
    !name.contains(|c: char| c.is_ascii_uppercase())
}

/// `order_created` → `OrderCreated`, `orderCreated` → `OrderCreated`, `ORDER_STATUS` → `OrderStatus`.
fn upper_camel_case(name: &str) -> String {
    name.split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let shouting = !word.contains(|c: char| c.is_ascii_lowercase());
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).into_iter();
            let rest: String = if shouting { chars.as_str().to_ascii_lowercase() } else { chars.as_str().to_owned() };
            first.chain(rest.chars()).collect::<String>()
        })
        .collect()
}

// Every name becomes a Rust name: a field a struct field, a declaration or variant an item. Rust keywords become raw
// identifiers (`r#type`), but `self`, `Self`, `super`, `crate` and `_` cannot be written even so. (Names that break
// the naming convention are reported there, with a suggestion that is usable.)
pub(super) fn check_unusable_names(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let schema = index.schema;
    for list in field_lists(schema) {
        for field in list.fields {
            let name = &field.name.name;
            if !is_unusable(name) || !is_snake_case(name) {
                continue;
            }
            let diagnostic = if name == "_" {
                Diagnostic::error(
                    "factum::reserved-name",
                    format!("a field of {} is named `_`", list.owner),
                    field.name.span,
                    "`_` cannot name a field",
                )
                .with_help("give the field a name")
            } else {
                Diagnostic::error(
                    "factum::reserved-name",
                    format!("field `{name}` of {} has a name Rust refuses, even as a raw identifier", list.owner),
                    field.name.span,
                    format!("`{name}` cannot name a field"),
                )
                .with_help(format!("rename it, e.g. to `{name}_`"))
            };
            diagnostics.push(diagnostic);
        }
    }
    let mut names: Vec<(&'static str, &Ident)> =
        index.declarations().iter().map(|declared| (declared.kind.word(), declared.ident)).collect();
    for def in &schema.enums {
        names.extend(def.variants.iter().map(|variant| ("variant", &variant.name)));
    }
    for (kind, ident) in names.into_iter().filter(|(_, ident)| ident.name == "Self") {
        diagnostics.push(
            Diagnostic::error(
                "factum::reserved-name",
                format!("{kind} `Self` has a name Rust refuses, even as a raw identifier"),
                ident.span,
                "`Self` is a Rust keyword",
            )
            .with_help(format!("choose another name for the {kind}")),
        );
    }
}

/// A name the generator adds, and why.
struct Generated<'a> {
    name: String,
    /// What the generated item is, e.g. "its event enum".
    what: String,
    /// The declaration it is generated for.
    origin: Declared<'a>,
}

/// Every name the generator adds beside the declared ones (an aggregate's or projection's own name is declared).
fn generated_names<'a>(index: &Index<'a>) -> Vec<Generated<'a>> {
    let schema = index.schema;
    let mut generated = event_generated_names(index);
    for aggregate in &schema.aggregates {
        let origin = Declared { kind: DeclKind::Aggregate, ident: &aggregate.name };
        for (name, what) in AggregateNames::new(&aggregate.name.name).added() {
            generated.push(Generated { name: name.as_str().to_owned(), what: what.to_owned(), origin });
        }
        for command in &aggregate.commands {
            let origin = Declared { kind: DeclKind::Command, ident: &command.name };
            let one_of_count = command.emits.slots.iter().filter(|slot| slot.events().len() > 1).count();
            for index in 0..one_of_count {
                let name = outcome_name(&command.name.name, index, one_of_count).as_str().to_owned();
                let what = if one_of_count == 1 {
                    "the enum of its `A | B` slot".to_owned()
                } else {
                    format!("the enum of its `A | B` slot number {}", index + 1)
                };
                generated.push(Generated { name, what, origin });
            }
        }
    }
    for projection in &schema.projections {
        let origin = Declared { kind: DeclKind::Projection, ident: &projection.name };
        for (name, what) in ProjectionNames::new(&projection.name.name).added() {
            generated.push(Generated { name: name.as_str().to_owned(), what: what.to_owned(), origin });
        }
    }
    generated
}

/// The names the generator adds for events: a type for each version (`OrderCreatedV1`), and the trait of an event's
/// `custom` upcasts (`OrderCreatedUpcasts`).
fn event_generated_names<'a>(index: &Index<'a>) -> Vec<Generated<'a>> {
    let mut generated = Vec::new();
    for group in index.events() {
        for &version in &group.versions {
            let Some(def) = index.event_version(group.name, version) else { continue };
            generated.push(Generated {
                name: event_version_type(group.name, version).as_str().to_owned(),
                what: format!("the type of its version {version}"),
                origin: Declared { kind: DeclKind::Event, ident: &def.name },
            });
        }
    }
    let mut with_trait = std::collections::HashSet::new();
    for upcast in &index.schema.upcasts {
        let name = upcast.event.name.as_str();
        if matches!(upcast.body, UpcastBody::Custom(_)) && index.is_event(name) && with_trait.insert(name) {
            generated.push(Generated {
                name: upcast_trait(name).as_str().to_owned(),
                what: "the trait of its `custom` upcasts".to_owned(),
                origin: Declared { kind: DeclKind::Event, ident: &upcast.event },
            });
        }
    }
    generated
}

// The generator adds items named after declarations (`OrderState`, `OrderEvent`, `PayOrderOutcome`,
// `OrderSummaryHandler`, `OrderCreatedV1`, `OrderCreatedUpcasts`, ...); a declaration may not take one of those
// names. Two generated names cannot collide unless their declarations share a name, which `check_duplicate_names`
// reports: the suffixes differ.
pub(super) fn check_generated_names(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let generated = generated_names(index);
    let mut by_name: HashMap<&str, &Generated<'_>> = HashMap::new();
    for name in &generated {
        by_name.entry(name.name.as_str()).or_insert(name);
    }
    for declared in index.declarations().iter().copied() {
        let name = &declared.ident.name;
        let Some(clash) = by_name.get(name.as_str()) else {
            continue;
        };
        let origin = clash.origin;
        diagnostics.push(
            Diagnostic::error(
                "factum::generated-name-collision",
                format!(
                    "{} `{name}` collides with a name generated for {} `{}`",
                    declared.kind.word(),
                    origin.kind.word(),
                    origin.ident.name
                ),
                declared.ident.span,
                format!("{} `{name}` declared here", declared.kind.word()),
            )
            .with_label(
                origin.ident.span,
                format!("{} `{}` generates `{name}`, {}", origin.kind.word(), origin.ident.name, clash.what),
            )
            .with_help(format!("rename the {} or the {}", declared.kind.word(), origin.kind.word())),
        );
    }
}

// Events and commands also become methods, named in snake_case (`OrderCreated` → `order_created`): an event's
// method in every evolve and handler trait it appears in, a command's in its aggregate's decide trait. A method
// named after a Rust keyword is a raw identifier (`r#return`), but not one of those Rust refuses even so (`Self`,
// `Super`, `Crate`), and two events (or two commands of one aggregate) may not share one. Names outside the naming
// convention are left to that check.
pub(super) fn check_method_names(index: &Index<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let events: Vec<Declared<'_>> =
        index.declarations().iter().copied().filter(|declared| declared.kind == DeclKind::Event).collect();
    check_method_group(&events, diagnostics);
    for aggregate in &index.schema.aggregates {
        let commands: Vec<Declared<'_>> = aggregate
            .commands
            .iter()
            .map(|command| Declared { kind: DeclKind::Command, ident: &command.name })
            .collect();
        check_method_group(&commands, diagnostics);
    }
}

/// The method-name rule for one group of names whose methods share a trait.
fn check_method_group(group: &[Declared<'_>], diagnostics: &mut Vec<Diagnostic>) {
    let mut first_by_method: HashMap<String, &Declared<'_>> = HashMap::new();
    for declared in group.iter().filter(|declared| is_upper_camel_case(&declared.ident.name)) {
        let kind = declared.kind.word();
        let name = &declared.ident.name;
        let method = snake_case(name);
        // `Self` itself is reported as a name Rust refuses.
        if is_unusable(&method) && name != "Self" {
            diagnostics.push(
                Diagnostic::error(
                    "factum::reserved-name",
                    format!(
                        "the method generated for {kind} `{name}` would be named `{method}`, which Rust refuses even as \
                         a raw identifier"
                    ),
                    declared.ident.span,
                    format!("its method would be `{method}`"),
                )
                .with_help(format!("rename the {kind}")),
            );
            continue;
        }
        match first_by_method.get(&method) {
            None => {
                first_by_method.insert(method, declared);
            }
            // The same name twice is a duplicate name, reported as such.
            Some(first) if first.ident.name == *name => {}
            Some(first) => diagnostics.push(
                Diagnostic::error(
                    "factum::method-name-collision",
                    format!("{kind}s `{}` and `{name}` would both get the method `{method}`", first.ident.name),
                    declared.ident.span,
                    format!("`{name}` becomes `{method}`"),
                )
                .with_label(first.ident.span, format!("`{}` becomes `{method}` too", first.ident.name))
                .with_help(format!("rename one of the {kind}s")),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_snake_case, is_upper_camel_case, upper_camel_case};

    #[test]
    fn suggests_upper_camel_case() {
        let check = |input: &str, expected: &str| assert_eq!(upper_camel_case(input), expected, "{input:?}");
        check("order_created", "OrderCreated");
        check("orderCreated", "OrderCreated");
        check("ORDER_STATUS", "OrderStatus");
        check("_private", "Private");
        check("v2_event", "V2Event");
    }

    #[test]
    fn recognises_conventions() {
        assert!(is_upper_camel_case("HTTPRequest"));
        assert!(!is_upper_camel_case("Order_Created"));
        assert!(!is_upper_camel_case("order"));
        assert!(is_snake_case("unit_price2"));
        assert!(!is_snake_case("unitPrice"));
    }
}
