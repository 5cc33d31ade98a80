//! How schema names become Rust names: method names from type names, and the names the generator adds.

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

/// The names the generator adds for an aggregate named `name`, with what each is.
pub fn aggregate_names(name: &str) -> [(String, &'static str); 6] {
    [
        (name.to_owned(), "the aggregate's marker type"),
        (format!("{name}State"), "the aggregate's state"),
        (format!("{name}Command"), "the aggregate's command enum"),
        (format!("{name}Event"), "the aggregate's event enum"),
        (format!("{name}Decide"), "the aggregate's decide trait"),
        (format!("{name}Evolve"), "the aggregate's evolve trait"),
    ]
}

/// The names the generator adds for a projection named `name`, with what each is.
pub fn projection_names(name: &str) -> [(String, &'static str); 3] {
    [
        (name.to_owned(), "the projection's runner type"),
        (format!("{name}Event"), "the projection's event enum"),
        (format!("{name}Handler"), "the projection's handler trait"),
    ]
}

/// The name of the enum generated for the `index`-th (from 0) `A | B` slot of command `command`, among `count`
/// such slots.
pub fn outcome_name(command: &str, index: usize, count: usize) -> String {
    if count == 1 {
        format!("{command}Outcome")
    } else {
        format!("{command}Outcome{}", index + 1)
    }
}

/// The Rust type of version `version` of event `event`, given its latest version: the latest keeps the plain
/// name, older ones are `OrderCreatedV1`, `OrderCreatedV2`, ...
pub fn event_version_type(event: &str, version: u32, latest: u32) -> String {
    if version == latest {
        event.to_owned()
    } else {
        format!("{event}V{version}")
    }
}

/// The trait the user implements for an event's `custom` upcasting steps.
pub fn upcast_trait(event: &str) -> String {
    format!("{event}Upcasts")
}

/// The method of the upcast trait for the custom step `from -> to`.
pub fn upcast_method(from: u32, to: u32) -> String {
    format!("v{from}_to_v{to}")
}

#[cfg(test)]
mod tests {
    use super::snake_case;

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
}
