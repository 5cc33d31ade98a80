//! The rules of schema evolution, as data: what the checker reports, with an example and a hint for each.
//!
//! Compatibility means that code built from the new schema reads every event written under the old one. Rules with
//! [`Severity::Error`] are breaking changes; rules with [`Severity::Note`] are source-level changes (commands, state)
//! that break no stored event. `docs/evolution-rules.md` is rendered from [`RULES`] by [`rules_markdown`]; a test
//! keeps the two in sync.

use std::fmt::Write as _;

use crate::diagnostics::Severity;

/// One rule of schema evolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// A short stable id: `E001` for breaking changes, `N001` for notes.
    pub id: &'static str,
    /// A stable kebab-case name.
    pub name: &'static str,
    /// The diagnostic code of its findings: `factum::` and the name.
    pub code: &'static str,
    /// Whether a finding breaks compatibility ([`Severity::Error`]) or is a note ([`Severity::Note`]).
    pub severity: Severity,
    /// What the rule is about, in a sentence.
    pub description: &'static str,
    /// An old schema, in part.
    pub example_old: &'static str,
    /// A new schema that the rule reports against the old one.
    pub example_new: &'static str,
    /// How to evolve the schema instead.
    pub hint: &'static str,
}

/// A released version's payload changed shape in place.
pub const RELEASED_SHAPE_CHANGED: Rule = Rule {
    id: "E001",
    name: "released-shape-changed",
    code: "factum::released-shape-changed",
    severity: Severity::Error,
    description: "the shape of a released event version is frozen: stored payloads keep it, so the version must keep \
                  it too, even for a widening; reusing a released version number for a new shape is this change",
    example_old: "event OrderPaid v1 { amount: u32 }",
    example_new: "event OrderPaid v1 { amount: u64 }",
    hint: "keep `v1` as it was and declare `v2` with the new shape; a declarative upcast step widens the field",
};

/// An event's stored name is no longer read.
pub const EVENT_REMOVED: Rule = Rule {
    id: "E002",
    name: "event-removed",
    code: "factum::event-removed",
    severity: Severity::Error,
    description: "every stored name must still be read: an event (or an alias) that was released cannot disappear, \
                  unless an alias maps its old name to a current event",
    example_old: "event OrderPlaced v1 { customer: String }",
    example_new: "event OrderCreated v1 { customer: String }",
    hint: "keep the event, or, if it was renamed, declare `alias OrderPlaced -> OrderCreated`",
};

/// A released version is gone.
pub const RELEASED_VERSION_REMOVED: Rule = Rule {
    id: "E003",
    name: "released-version-removed",
    code: "factum::released-version-removed",
    severity: Severity::Error,
    description: "every released version of an event must still be declared, so that its stored payloads decode",
    example_old: "event OrderPaid v1 { amount: u32 }\nevent OrderPaid v2 { amount: u64 }",
    example_new: "event OrderPaid v2 { amount: u64 }",
    hint: "keep `v1` and its upcast step to `v2`",
};

/// Version numbers skip or go back.
pub const VERSION_NOT_CONSECUTIVE: Rule = Rule {
    id: "E004",
    name: "version-not-consecutive",
    code: "factum::version-not-consecutive",
    severity: Severity::Error,
    description: "new versions count up one at a time from the latest released one; a new version numbered below it \
                  reuses a number stored payloads may already carry",
    example_old: "event OrderPaid v1 { amount: u32 }",
    example_new: "event OrderPaid v1 { amount: u32 }\nevent OrderPaid v3 { amount: u64 }",
    hint: "number the new version `v2`",
};

/// A released version cannot reach the latest one.
pub const MISSING_UPCAST_PATH: Rule = Rule {
    id: "E005",
    name: "missing-upcast-path",
    code: "factum::missing-upcast-path",
    severity: Severity::Error,
    description: "a released version must reach the latest version through one upcast step per version",
    example_old: "event OrderPaid v1 { amount: u32 }",
    example_new: "event OrderPaid v1 { amount: u32 }\nevent OrderPaid v2 { amount: u64 }",
    hint: "add `upcast OrderPaid v1 -> v2 { }` (or `custom`, written in Rust)",
};

/// A field added to a released version in place.
pub const FIELD_ADDED_WITHOUT_DEFAULT: Rule = Rule {
    id: "E006",
    name: "field-added-without-default",
    code: "factum::field-added-without-default",
    severity: Severity::Error,
    description: "a field added to an event needs a value for the payloads stored before it: a new version whose \
                  upcast step sets it",
    example_old: "event OrderCreated v1 { customer: String }",
    example_new: "event OrderCreated v1 { customer: String, currency: String }",
    hint: "keep `v1`, declare `v2` with the field, and `upcast OrderCreated v1 -> v2 { currency = \"EUR\" }`",
};

/// A field renamed in place.
pub const FIELD_RENAMED_WITHOUT_STEP: Rule = Rule {
    id: "E007",
    name: "field-renamed-without-step",
    code: "factum::field-renamed-without-step",
    severity: Severity::Error,
    description: "stored payloads hold a field under its old name: a renamed field needs a new version whose upcast \
                  step renames it",
    example_old: "event OrderShipped v1 { carrier: String }",
    example_new: "event OrderShipped v1 { carrier_name: String }",
    hint: "keep `v1`, declare `v2` with the new name, and `upcast OrderShipped v1 -> v2 { rename carrier -> \
           carrier_name }`",
};

/// A field removed in place.
pub const FIELD_REMOVED_WITHOUT_DROP: Rule = Rule {
    id: "E008",
    name: "field-removed-without-drop",
    code: "factum::field-removed-without-drop",
    severity: Severity::Error,
    description: "a field removed from an event is still in the payloads stored before: a new version whose upcast \
                  step drops it",
    example_old: "event OrderShipped v1 { carrier: String, legacy_code: u32 }",
    example_new: "event OrderShipped v1 { carrier: String }",
    hint: "keep `v1`, declare `v2` without the field, and `upcast OrderShipped v1 -> v2 { drop legacy_code }`",
};

/// A field's type changed, other than by a safe widening.
pub const FIELD_TYPE_CHANGED: Rule = Rule {
    id: "E009",
    name: "field-type-changed",
    code: "factum::field-type-changed",
    severity: Severity::Error,
    description: "a field's type may only change by a safe widening (`i32` to `i64`, `u32` to `u64` or `i64`, any \
                  integer to `f64`, `T` to `T?`, and those inside lists, options and map values), in a new version",
    example_old: "event PaymentReceived v1 { amount: u64 }",
    example_new: "event PaymentReceived v1 { amount: String }",
    hint: "keep `v1`, declare `v2` with the new type, and write the step in Rust: `upcast PaymentReceived v1 -> v2 \
           custom`",
};

/// An optional field became required.
pub const OPTION_NARROWED: Rule = Rule {
    id: "E010",
    name: "option-narrowed",
    code: "factum::option-narrowed",
    severity: Severity::Error,
    description: "a field that was optional (`T?`) may be missing from stored payloads: making it required (`T`) \
                  needs a value for them",
    example_old: "event OrderShipped v1 { carrier: String? }",
    example_new: "event OrderShipped v1 { carrier: String }",
    hint: "keep `v1`, declare `v2` with the required field, and choose a value in a `custom` step (or `drop \
           carrier, carrier = \"unknown\"`)",
};

/// A list became a single value, or the other way round.
pub const LIST_SCALAR_CHANGED: Rule = Rule {
    id: "E011",
    name: "list-scalar-changed",
    code: "factum::list-scalar-changed",
    severity: Severity::Error,
    description: "a list (`[T]`) and a single value (`T`) are stored differently: turning one into the other needs a \
                  conversion written by hand",
    example_old: "event OrderCreated v1 { items: [LineItem] }",
    example_new: "event OrderCreated v1 { items: LineItem }",
    hint: "keep `v1`, declare `v2` with the new type, and write the step in Rust: `upcast OrderCreated v1 -> v2 \
           custom`",
};

/// An enum lost a variant that released events may hold.
pub const ENUM_VARIANT_REMOVED: Rule = Rule {
    id: "E012",
    name: "enum-variant-removed",
    code: "factum::enum-variant-removed",
    severity: Severity::Error,
    description: "an enum used (directly or through other types) by a released event version keeps every variant: \
                  stored payloads may hold any of them, under its name, so renaming a variant removes it",
    example_old: "enum Priority { Low, High }\nevent OrderFlagged v1 { priority: Priority }",
    example_new: "enum Priority { Low, Urgent }\nevent OrderFlagged v1 { priority: Priority }",
    hint: "keep the variant; to stop writing it, stop using it in new events and say so in its docs",
};

/// A named type changed in place under a released event.
pub const NESTED_TYPE_CHANGED: Rule = Rule {
    id: "E013",
    name: "nested-type-changed",
    code: "factum::nested-type-changed",
    severity: Severity::Error,
    description: "a record type used (directly or through other types) by a released event version is part of that \
                  version's shape: changing it in place changes the released shape",
    example_old: "type LineItem { sku: String }\nevent OrderCreated v1 { items: [LineItem] }",
    example_new: "type LineItem { sku: String, gift: bool }\nevent OrderCreated v1 { items: [LineItem] }",
    hint: "restore the type, and declare a new type (e.g. `LineItemV2`) for a new version of the events that need \
           it, with a `custom` upcast step",
};

/// An enum gained a variant: compatible.
pub const ENUM_VARIANT_ADDED: Rule = Rule {
    id: "N001",
    name: "enum-variant-added",
    code: "factum::enum-variant-added",
    severity: Severity::Note,
    description: "an enum used by a released event version gained a variant: every stored payload still reads, but \
                  code built from the old schema cannot read events that hold the new variant",
    example_old: "enum Priority { Low, High }\nevent OrderFlagged v1 { priority: Priority }",
    example_new: "enum Priority { Low, High, Urgent }\nevent OrderFlagged v1 { priority: Priority }",
    hint: "deploy readers before writers; run `factum lock` to accept the new shape",
};

/// A command changed: source-level only.
pub const COMMAND_CHANGED: Rule = Rule {
    id: "N002",
    name: "command-changed",
    code: "factum::command-changed",
    severity: Severity::Note,
    description: "commands are not stored, so a command removed or changed breaks no stored event, only the code \
                  that sends it",
    example_old: "command CreateOrder { customer: String } emits OrderCreated",
    example_new: "command CreateOrder { customer: String, note: String? } emits OrderCreated",
    hint: "update the callers that build the command",
};

/// An aggregate's state or id changed: source-level only.
pub const STATE_CHANGED: Rule = Rule {
    id: "N003",
    name: "state-changed",
    code: "factum::state-changed",
    severity: Severity::Note,
    description: "an aggregate's state is folded from its events, not stored, so changing it (or its id type) breaks \
                  no stored event; snapshots of the state, where kept, are stale",
    example_old: "aggregate Order { id: Uuid state { total: u64 } ... }",
    example_new: "aggregate Order { id: Uuid state { total: u64, paid: u64 } ... }",
    hint: "update the fold (evolve) methods; discard stored snapshots of the state, if any",
};

/// An aggregate was removed: source-level only.
pub const AGGREGATE_REMOVED: Rule = Rule {
    id: "N004",
    name: "aggregate-removed",
    code: "factum::aggregate-removed",
    severity: Severity::Note,
    description: "an aggregate is not stored, its events are: removing it breaks only the code that uses it, as long \
                  as its events stay declared",
    example_old: "aggregate Cart { id: Uuid ... }",
    example_new: "(no aggregate `Cart`)",
    hint: "keep the events it recorded declared, so that their stored payloads still read",
};

/// Every rule, in id order.
pub const RULES: &[Rule] = &[
    RELEASED_SHAPE_CHANGED,
    EVENT_REMOVED,
    RELEASED_VERSION_REMOVED,
    VERSION_NOT_CONSECUTIVE,
    MISSING_UPCAST_PATH,
    FIELD_ADDED_WITHOUT_DEFAULT,
    FIELD_RENAMED_WITHOUT_STEP,
    FIELD_REMOVED_WITHOUT_DROP,
    FIELD_TYPE_CHANGED,
    OPTION_NARROWED,
    LIST_SCALAR_CHANGED,
    ENUM_VARIANT_REMOVED,
    NESTED_TYPE_CHANGED,
    ENUM_VARIANT_ADDED,
    COMMAND_CHANGED,
    STATE_CHANGED,
    AGGREGATE_REMOVED,
];

/// The rule with id `id` (`E001`) or name `name` (`released-shape-changed`).
pub fn rule(id_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id_or_name || rule.name == id_or_name)
}

/// `docs/evolution-rules.md`: a table of every rule, then each rule with its example and hint.
pub fn rules_markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- @generated from `factum_codegen::evolution::rules::RULES`: edit the rules there, then run \
         `UPDATE_DOCS=1 cargo test -p factum-codegen --test evolution` -->\n\n",
    );
    out.push_str("# Schema evolution rules\n\n");
    out.push_str(
        "`factum check SCHEMA --against OLD` (OLD is a `.factum` or a `.lock` written by `factum lock`) compares two \
         versions of a schema. Compatible means that code built from the new schema reads every event written under \
         the old one. Errors are breaking changes and fail the check; notes are source-level changes (commands, \
         state) that break no stored event.\n\n\
         `factum lock SCHEMA` writes `SCHEMA.lock` beside the schema: per event (with its aliases) per version, the \
         canonical shape of its payload (fields sorted by name, named types and enums expanded) and its fingerprint. \
         Commit it with each release; afterwards `factum check SCHEMA` checks against it, and so does a build script \
         with `Config::new().check_against_lock(true)`. Each finding is a diagnostic whose code is `factum::` and the \
         rule's name.\n\n",
    );
    out.push_str("| Id | Name | Severity | What it checks |\n|----|------|----------|----------------|\n");
    for rule in RULES {
        let _ = writeln!(
            out,
            "| {} | [`{}`](#{}-{}) | {} | {} |",
            rule.id,
            rule.name,
            rule.id.to_lowercase(),
            rule.name,
            severity_word(rule.severity),
            rule.description
        );
    }
    for rule in RULES {
        let _ = write!(
            out,
            "\n## {} {}\n\n{}.\n\nBefore:\n\n```factum\n{}\n```\n\nAfter (reported):\n\n```factum\n{}\n```\n\n\
             Instead: {}.\n",
            rule.id,
            rule.name,
            capitalized(rule.description),
            rule.example_old,
            rule.example_new,
            rule.hint
        );
    }
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::RULES;

    #[test]
    fn rules_are_consistent() {
        for (index, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.code, format!("factum::{}", rule.name), "{}", rule.id);
            assert!(!RULES[..index].iter().any(|earlier| earlier.id == rule.id || earlier.name == rule.name));
            let prefix = if rule.severity == crate::Severity::Error { 'E' } else { 'N' };
            assert!(rule.id.starts_with(prefix), "{} has the wrong prefix for its severity", rule.id);
        }
    }
}
