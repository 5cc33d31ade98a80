//! The subjects events are published under, derived from their aggregate type and name, and the names the bus
//! gives JetStream (stream and consumer names), each checked once.

use std::borrow::Cow;

use super::BusConfigError;

/// The token that stands for the aggregate type of an event appended without one.
pub const NO_AGGREGATE: &str = "_";

/// The first tokens of every subject the bus publishes under, e.g. `factum.orders`: one or more dot-separated
/// tokens, none empty, none holding whitespace, a control character or a wildcard (`*`, `>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPrefix(String);

impl SubjectPrefix {
    /// Checks `prefix`.
    pub fn new(prefix: impl Into<String>) -> Result<Self, BusConfigError> {
        let prefix = prefix.into();
        let invalid = |reason: &str| BusConfigError::InvalidPrefix { prefix: prefix.clone(), reason: reason.into() };
        if prefix.is_empty() {
            return Err(invalid("it is empty"));
        }
        for token in prefix.split('.') {
            if token.is_empty() {
                return Err(invalid("it has an empty token (a leading, trailing or doubled `.`)"));
            }
            if let Some(bad) = token.chars().find(|&c| c == '*' || c == '>' || c.is_whitespace() || c.is_control()) {
                return Err(invalid(&format!("it holds {bad:?}, which a subject token cannot")));
            }
        }
        Ok(SubjectPrefix(prefix))
    }

    /// The prefix as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject of an event of `event_name` appended with `aggregate_type`:
    /// `<prefix>.<aggregate type>.<event name>`, each name made a token by [`subject_token`], and [`NO_AGGREGATE`]
    /// for an event appended without an aggregate type.
    pub fn event_subject(&self, aggregate_type: Option<&str>, event_name: &str) -> String {
        let aggregate = aggregate_type.map_or(Cow::Borrowed(NO_AGGREGATE), subject_token);
        format!("{}.{}.{}", self.0, aggregate, subject_token(event_name))
    }

    /// The subjects of every event (`<prefix>.>`): what the bus's stream holds.
    pub fn all_events(&self) -> String {
        format!("{}.>", self.0)
    }

    /// The one subject filter that selects the events of `event_names` (of `aggregate_type` when given): the exact
    /// subject for one name, a wildcard over the names for several (JetStream before 2.10 takes one filter per
    /// consumer), so a consumer still checks each message's name.
    pub fn filter(&self, aggregate_type: Option<&str>, event_names: &[&str]) -> String {
        let aggregate = aggregate_type.map_or(Cow::Borrowed("*"), subject_token);
        match event_names {
            [name] => format!("{}.{}.{}", self.0, aggregate, subject_token(name)),
            _ => format!("{}.{}.*", self.0, aggregate),
        }
    }
}

impl std::fmt::Display for SubjectPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name made one subject token: ASCII letters, digits, `-` and `_` are kept, every other character (a `.`, a
/// space, a wildcard, anything outside ASCII) becomes `_`, and an empty name is `_`.
///
/// Two names can thus share a token (`sample sku` and `sample_sku`): subjects route and filter, while the exact
/// name travels in the `Factum-Event-Name` and `Factum-Aggregate-Type` headers, which consumers check.
pub fn subject_token(name: &str) -> Cow<'_, str> {
    let kept = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if name.is_empty() {
        return Cow::Borrowed("_");
    }
    if name.chars().all(kept) {
        return Cow::Borrowed(name);
    }
    Cow::Owned(name.chars().map(|c| if kept(c) { c } else { '_' }).collect())
}

/// Checks a JetStream stream or consumer name: not empty, at most 255 characters, and none of `.`, `*`, `>`,
/// path separators, whitespace or control characters (JetStream uses it in subjects and file names).
pub(crate) fn check_name(kind: &'static str, name: &str) -> Result<(), BusConfigError> {
    let invalid = |reason: String| BusConfigError::InvalidName { kind, name: name.to_owned(), reason };
    if name.is_empty() {
        return Err(invalid("it is empty".into()));
    }
    if name.chars().count() > 255 {
        return Err(invalid("it is longer than 255 characters".into()));
    }
    let refused = |c: char| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control();
    match name.chars().find(|&c| refused(c)) {
        Some(bad) => Err(invalid(format!("it holds {bad:?}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_subject(prefix: &str, aggregate_type: Option<&str>, event_name: &str, expected: &str) {
        let prefix = SubjectPrefix::new(prefix).unwrap();
        assert_eq!(prefix.event_subject(aggregate_type, event_name), expected);
    }

    #[test]
    fn subjects_are_prefix_aggregate_and_event_tokens() {
        check_subject("factum", Some("Order"), "OrderCreated", "factum.Order.OrderCreated");
        check_subject("app.orders", Some("Order"), "OrderCreated", "app.orders.Order.OrderCreated");
        check_subject("factum", None, "Opened", "factum._.Opened");
        check_subject("factum", Some("Line Item"), "added.v2", "factum.Line_Item.added_v2");
        check_subject("factum", Some("Ware*house>"), "Stück", "factum.Ware_house_.St_ck");
        check_subject("factum", Some(""), "", "factum._._");
        check_subject("factum", Some("kebab-case_ok"), "E1", "factum.kebab-case_ok.E1");
    }

    fn check_prefix(prefix: &str, expected: Result<(), &str>) {
        let result = SubjectPrefix::new(prefix).map(|_| ()).map_err(|error| error.to_string());
        assert_eq!(result, expected.map_err(str::to_owned), "prefix {prefix:?}");
    }

    #[test]
    fn prefixes_are_checked() {
        check_prefix("factum", Ok(()));
        check_prefix("a.b-c.d_e", Ok(()));
        check_prefix("", Err("invalid subject prefix ``: it is empty"));
        check_prefix(
            "a..b",
            Err("invalid subject prefix `a..b`: it has an empty token (a leading, trailing or doubled `.`)"),
        );
        check_prefix(
            "orders.",
            Err("invalid subject prefix `orders.`: it has an empty token (a leading, trailing or doubled `.`)"),
        );
        check_prefix("orders.*", Err("invalid subject prefix `orders.*`: it holds '*', which a subject token cannot"));
        check_prefix(
            "my orders",
            Err("invalid subject prefix `my orders`: it holds ' ', which a subject token cannot"),
        );
    }

    #[test]
    fn filters_are_exact_for_one_name_and_wildcards_for_several() {
        let prefix = SubjectPrefix::new("p").unwrap();
        assert_eq!(prefix.filter(Some("Order"), &["OrderCreated"]), "p.Order.OrderCreated");
        assert_eq!(prefix.filter(None, &["OrderCreated"]), "p.*.OrderCreated");
        assert_eq!(prefix.filter(Some("Order"), &["OrderCreated", "OrderPlaced"]), "p.Order.*");
        assert_eq!(prefix.filter(None, &[]), "p.*.*");
        assert_eq!(prefix.all_events(), "p.>");
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("stream", "ORDERS_1").is_ok());
        for bad in ["", "a.b", "a b", "a*", "a>", "a/b", "a\\b", "a\nb"] {
            assert!(check_name("stream", bad).is_err(), "{bad:?}");
        }
        assert!(check_name("stream", &"x".repeat(256)).is_err());
    }
}
