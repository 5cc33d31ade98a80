//! How schema names become Rust names: the single owner of every naming rule of the generator. Field and method
//! names that are Rust keywords become raw identifiers (`r#type`, `fn r#return`), the names the generator adds are
//! derived here (`OrderState`, `OrderCreatedV2`, `PayOrderOutcome`, ...), and the few names Rust cannot take at all
//! are listed here for the checks to reject.

use std::fmt;

/// Rust's keywords, strict and reserved (2024 edition): a field or method with one of these names is written as a
/// raw identifier.
const RUST_KEYWORDS: [&str; 52] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// The names Rust accepts in no form, not even as a raw identifier (`r#self` is an error).
const UNUSABLE: [&str; 5] = ["self", "Self", "super", "crate", "_"];

/// Whether `name` is a Rust keyword, so that it must be written as a raw identifier.
pub fn is_rust_keyword(name: &str) -> bool {
    RUST_KEYWORDS.contains(&name)
}

/// Whether Rust refuses `name` as an identifier in every form, raw or not: `self`, `Self`, `super`, `crate`, `_`.
pub fn is_unusable(name: &str) -> bool {
    UNUSABLE.contains(&name)
}

/// A name as Rust spells it in generated code: a keyword becomes a raw identifier. Its text never holds `r#`, so
/// that docs and messages can quote it as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RustName(String);

impl RustName {
    /// The Rust name for `name`, which the checks accepted (it is not [`is_unusable`]).
    pub fn new(name: impl Into<String>) -> Self {
        RustName(name.into())
    }

    /// The name without any `r#`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name is written as a raw identifier.
    pub fn is_raw(&self) -> bool {
        is_rust_keyword(&self.0)
    }

    /// The identifier for generated code: `r#type` for a keyword, the name itself otherwise.
    pub fn ident(&self) -> proc_macro2::Ident {
        let span = proc_macro2::Span::call_site();
        if self.is_raw() {
            proc_macro2::Ident::new_raw(&self.0, span)
        } else {
            proc_macro2::Ident::new(&self.0, span)
        }
    }
}

impl fmt::Display for RustName {
    /// The name as Rust source spells it: `r#type`, `OrderCreated`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_raw() {
            f.write_str("r#")?;
        }
        f.write_str(&self.0)
    }
}

/// `OrderCreated` → `order_created`, `HTTPRequest` → `http_request`, `PayOrderV2` → `pay_order_v2`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (index, &current) in chars.iter().enumerate() {
        if current.is_uppercase() {
            let previous = index.checked_sub(1).map(|previous| chars[previous]);
            let next = chars.get(index + 1).copied();
            // A word starts at an upper-case letter that follows a lower-case letter or digit, or that ends a run
            // of capitals followed by a lower-case letter (`HTTPRequest` → `http_request`).
            let starts_word = match previous {
                None | Some('_') => false,
                Some(previous) if previous.is_lowercase() || previous.is_ascii_digit() => true,
                Some(previous) => previous.is_uppercase() && next.is_some_and(char::is_lowercase),
            };
            if starts_word {
                out.push('_');
            }
            out.extend(current.to_lowercase());
        } else {
            out.push(current);
        }
    }
    out
}

/// The method generated for an event (in evolve and handler traits) or a command (in its decide trait):
/// `OrderCreated` → `order_created`, `Return` → `r#return`.
pub fn method(name: &str) -> RustName {
    RustName::new(snake_case(name))
}

/// The names the generator adds for an aggregate named `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateNames {
    /// The marker type, the aggregate's own name.
    pub marker: RustName,
    /// `OrderState`.
    pub state: RustName,
    /// `OrderCommand`.
    pub command: RustName,
    /// `OrderEvent`.
    pub event: RustName,
    /// `OrderDecide`.
    pub decide: RustName,
    /// `OrderEvolve`.
    pub evolve: RustName,
}

impl AggregateNames {
    /// The names for the aggregate `name`.
    pub fn new(name: &str) -> Self {
        AggregateNames {
            marker: RustName::new(name),
            state: RustName::new(format!("{name}State")),
            command: RustName::new(format!("{name}Command")),
            event: RustName::new(format!("{name}Event")),
            decide: RustName::new(format!("{name}Decide")),
            evolve: RustName::new(format!("{name}Evolve")),
        }
    }

    /// The names beside the marker, with what each is ("its state").
    pub fn added(&self) -> [(&RustName, &'static str); 5] {
        [
            (&self.state, "its state"),
            (&self.command, "its command enum"),
            (&self.event, "its event enum"),
            (&self.decide, "its decide trait"),
            (&self.evolve, "its evolve trait"),
        ]
    }
}

/// The names the generator adds for a projection named `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionNames {
    /// The runner type, the projection's own name.
    pub runner: RustName,
    /// `OrderSummaryEvent`.
    pub event: RustName,
    /// `OrderSummaryHandler`.
    pub handler: RustName,
    /// `OrderSummaryAsyncHandler`.
    pub async_handler: RustName,
}

impl ProjectionNames {
    /// The names for the projection `name`.
    pub fn new(name: &str) -> Self {
        ProjectionNames {
            runner: RustName::new(name),
            event: RustName::new(format!("{name}Event")),
            handler: RustName::new(format!("{name}Handler")),
            async_handler: RustName::new(format!("{name}AsyncHandler")),
        }
    }

    /// The names beside the runner, with what each is.
    pub fn added(&self) -> [(&RustName, &'static str); 3] {
        [
            (&self.event, "its event enum"),
            (&self.handler, "its handler trait"),
            (&self.async_handler, "its async handler trait"),
        ]
    }
}

/// The name of the enum generated for the `index`-th (from 0) `A | B` slot of command `command`, among `count`
/// such slots.
pub fn outcome_name(command: &str, index: usize, count: usize) -> RustName {
    if count == 1 {
        RustName::new(format!("{command}Outcome"))
    } else {
        RustName::new(format!("{command}Outcome{}", index + 1))
    }
}

/// The Rust type of version `version` of event `event`: `OrderCreatedV1`, `OrderCreatedV2`, ... Every version has
/// its own, stable type; `pub type OrderCreated = OrderCreatedV3;` names the latest, so adding a version renames
/// nothing.
pub fn event_version_type(event: &str, version: u32) -> RustName {
    RustName::new(format!("{event}V{version}"))
}

/// The type alias naming an event's latest version: the event's own name.
pub fn event_type(event: &str) -> RustName {
    RustName::new(event)
}

/// The trait the user implements for an event's `custom` upcasting steps.
pub fn upcast_trait(event: &str) -> RustName {
    RustName::new(format!("{event}Upcasts"))
}

/// The method of the upcast trait for the custom step `from -> to`.
pub fn upcast_method(from: u32, to: u32) -> RustName {
    RustName::new(format!("v{from}_to_v{to}"))
}

#[cfg(test)]
mod tests {
    use super::{method, snake_case, RustName};

    #[test]
    fn snake_case_splits_words() {
        let check = |input: &str, expected: &str| assert_eq!(snake_case(input), expected, "snake_case({input:?})");
        check("OrderCreated", "order_created");
        check("Order", "order");
        check("HTTPRequest", "http_request");
        check("PayOrderV2", "pay_order_v2");
        check("Seat2Booked", "seat2_booked");
        check("already_snake", "already_snake");
    }

    #[test]
    fn keywords_become_raw_identifiers() {
        let check = |name: RustName, expected: &str| {
            assert_eq!(name.ident().to_string(), expected, "{name:?}");
            assert_eq!(name.to_string(), expected, "{name:?}");
        };
        check(RustName::new("type"), "r#type");
        check(RustName::new("amount"), "amount");
        check(method("Return"), "r#return");
        check(method("Match"), "r#match");
        check(method("OrderCreated"), "order_created");
        check(RustName::new("Type"), "Type");
    }
}
