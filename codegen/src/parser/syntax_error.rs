//! Turns pest's errors into `factum::syntax` diagnostics that speak in tokens ("expected `{`, found `}`"), never in
//! grammar rule names.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::{
    grammar::{Rule, MAX_NESTING},
    DECLARATION_KEYWORDS,
};
use crate::{
    diagnostics::Diagnostic,
    model::{SourceId, Span},
};

/// The words the grammar reserves: they cannot name a declaration or a type.
const RESERVED: [&str; 11] =
    ["type", "enum", "event", "aggregate", "projection", "upcast", "alias", "command", "state", "emits", "on"];

/// The diagnostic for a pest error found while parsing `source[offset..]`, the text of source `id`.
pub(super) fn from_pest(id: SourceId, source: &str, offset: usize, error: &Error<Rule>) -> Diagnostic {
    let at = offset
        + match error.location {
            InputLocation::Pos(position) => position,
            InputLocation::Span((start, _)) => start,
        };
    let found = Found::at(id, source, at);
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.as_slice(),
        // pest reports a custom error only when it runs out of calls (no limit is set) or of native stack, which the
        // nesting limit keeps it from on any stack that can run the compiler at all.
        ErrorVariant::CustomError { message } => {
            return Diagnostic::error("factum::syntax", message.clone(), found.span, "here");
        }
    };
    // The nesting check runs only where a level really opens, so when it failed that is the problem, whatever else
    // would have fitted at the same point.
    if positives.contains(&Rule::within_nesting_limit) {
        return Diagnostic::error(
            "factum::too-deep",
            format!("type nested more than {MAX_NESTING} levels deep"),
            found.span,
            "one level too deep",
        )
        .with_help("each `[`, `Map<` and `?` is a level; declare an inner part as a `type` of its own");
    }
    let expected = expected_tokens(positives);
    if expected.is_empty() {
        let message = format!("unexpected {}", found.description);
        return Diagnostic::error("factum::syntax", message, found.span, "unexpected here");
    }
    let expected_list = one_of(&expected);
    let diagnostic = Diagnostic::error(
        "factum::syntax",
        format!("expected {expected_list}, found {}", found.description),
        found.span,
        format!("expected {expected_list}"),
    );
    match help(positives, &found) {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// What the user can be told was expected, in the order pest tried it, without repeats.
fn expected_tokens(positives: &[Rule]) -> Vec<&'static str> {
    let mut expected: Vec<&'static str> = Vec::new();
    for token in positives.iter().filter_map(|rule| describe(*rule)) {
        if !expected.contains(&token) {
            expected.push(token);
        }
    }
    // A doc comment fits before almost anything; saying so only helps when nothing else would do.
    if expected.len() > 1 {
        expected.retain(|token| *token != DOC);
    }
    // `?` after a type is always possible and rarely what was meant, and the end of the file reads best as the
    // last alternative.
    for last in ["`?`", END_OF_FILE] {
        if let Some(index) = expected.iter().position(|token| *token == last) {
            let token = expected.remove(index);
            expected.push(token);
        }
    }
    expected
}

/// How a doc comment is described.
const DOC: &str = "a doc comment";

/// How the end of the source is described.
const END_OF_FILE: &str = "end of file";

/// The token or kind of token a rule stands for.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::type_def | Rule::kw_type => "`type`",
        Rule::enum_def | Rule::kw_enum => "`enum`",
        Rule::event_def | Rule::kw_event => "`event`",
        Rule::aggregate_def | Rule::kw_aggregate => "`aggregate`",
        Rule::projection_def | Rule::kw_projection => "`projection`",
        Rule::upcast_def | Rule::kw_upcast => "`upcast`",
        Rule::alias_def | Rule::kw_alias => "`alias`",
        Rule::kw_custom => "`custom`",
        Rule::rename_step | Rule::kw_rename => "`rename`",
        Rule::drop_step | Rule::kw_drop => "`drop`",
        Rule::id_member | Rule::kw_id => "`id`",
        Rule::state_member | Rule::kw_state => "`state`",
        Rule::command_def | Rule::kw_command => "`command`",
        Rule::emits | Rule::kw_emits => "`emits`",
        Rule::kw_on => "`on`",
        Rule::kw_map => "`Map`",
        Rule::type_name => "a type name",
        Rule::enum_name => "an enum name",
        Rule::variant | Rule::variant_name => "a variant name",
        Rule::event_name | Rule::event_ref | Rule::emit_slot | Rule::alias_name => "an event name",
        Rule::aggregate_name => "an aggregate name",
        Rule::command_name => "a command name",
        Rule::projection_name => "a projection name",
        Rule::field | Rule::field_name | Rule::default_step => "a field name",
        Rule::type_ref | Rule::list_type | Rule::map_type | Rule::named_type => "a type",
        Rule::version | Rule::from_version | Rule::to_version => "a version tag like `v1`",
        Rule::literal
        | Rule::string
        | Rule::number
        | Rule::kw_true
        | Rule::kw_false
        | Rule::kw_none
        | Rule::empty_list
        | Rule::empty_map
        | Rule::variant_value => "a value",
        Rule::closing_quote => "`\"`",
        Rule::empty_list_end => "`]`",
        Rule::empty_map_end => "`}`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::langle => "`<`",
        Rule::rangle => "`>`",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        Rule::question => "`?`",
        Rule::pipe => "`|`",
        Rule::arrow => "`->`",
        Rule::equals => "`=`",
        Rule::docs | Rule::doc | Rule::doc_text => DOC,
        Rule::EOI => END_OF_FILE,
        // The entry rule and silent rules, which pest never reports.
        Rule::schema
        | Rule::declaration
        | Rule::variants
        | Rule::aggregate_member
        | Rule::on_clause
        | Rule::upcast_body
        | Rule::upcast_steps
        | Rule::upcast_step
        | Rule::string_text
        | Rule::fields
        | Rule::type_atom
        | Rule::options
        | Rule::nested_type
        | Rule::deeper
        | Rule::within_nesting_limit
        | Rule::ident
        | Rule::ident_start
        | Rule::ident_continue
        | Rule::keyword
        | Rule::member_start
        | Rule::member_word
        | Rule::WHITESPACE
        | Rule::COMMENT => return None,
    })
}

/// `a`, `a or b`, `a, b or c`.
fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A hint for the mistakes that have a known fix.
fn help(positives: &[Rule], found: &Found) -> Option<String> {
    let expects = |wanted: &[Rule]| positives.iter().any(|rule| wanted.contains(rule));
    if let Some(word) = found.reserved.filter(|_| {
        expects(&[
            Rule::type_name,
            Rule::enum_name,
            Rule::variant,
            Rule::variant_name,
            Rule::event_name,
            Rule::event_ref,
            Rule::emit_slot,
            Rule::alias_name,
            Rule::aggregate_name,
            Rule::command_name,
            Rule::projection_name,
            Rule::type_ref,
        ])
    }) {
        return Some(format!("`{word}` is a keyword and cannot be used as a name"));
    }
    if found.description == "`?`" && expects(&[Rule::pipe]) {
        return Some("an `A | B` slot always records one of its events and cannot be optional".to_owned());
    }
    if found.description == DOC {
        return Some(
            "doc comments document types, enums, variants, events, fields, aggregates, commands, projections, \
             upcasts and aliases; use `//` for a plain comment"
                .to_owned(),
        );
    }
    if found.after_doc && (found.description == "`}`" || found.description == END_OF_FILE) {
        return Some("a doc comment documents the field, variant or declaration that follows it".to_owned());
    }
    if found.reserved.is_some_and(|word| DECLARATION_KEYWORDS.contains(&word)) && expects(&[Rule::rbrace]) {
        return Some("is a `}` missing before this declaration?".to_owned());
    }
    if expects(&[Rule::emits, Rule::kw_emits]) {
        return Some("every command declares the events it may record, e.g. `emits OrderPlaced`".to_owned());
    }
    if expects(&[Rule::version]) {
        return Some("every event carries a version tag, e.g. `event OrderPlaced v1 { ... }`".to_owned());
    }
    if expects(&[Rule::from_version, Rule::to_version]) {
        return Some(
            "an upcast connects two versions of an event, e.g. `upcast OrderPlaced v1 -> v2 { ... }`".to_owned(),
        );
    }
    if expects(&[Rule::kw_custom]) {
        return Some(
            "an upcast either lists its steps, e.g. `{ currency = \"EUR\" }`, or is written in Rust: `custom`"
                .to_owned(),
        );
    }
    if expects(&[Rule::literal]) {
        return Some(
            "a value is a string (`\"text\"`), a number (`42`, `1.5`), `true`, `false`, `none`, `[]`, `{}` or an enum \
             variant (`High`)"
                .to_owned(),
        );
    }
    if expects(&[Rule::empty_list_end, Rule::empty_map_end]) {
        return Some(
            "a new list or map field starts empty, `[]` or `{}`; to fill it from other fields, write the upcast in \
             Rust with `custom`"
                .to_owned(),
        );
    }
    if expects(&[Rule::closing_quote]) {
        return Some("a string ends on the line it starts; write a line break as `\\n`".to_owned());
    }
    None
}

/// What the parser found where it expected something else.
struct Found {
    /// How to name it in a message: "`}`", "end of file".
    description: String,
    /// Where it is.
    span: Span,
    /// The reserved word it is, if it is one.
    reserved: Option<&'static str>,
    /// Whether it directly follows a doc comment.
    after_doc: bool,
}

impl Found {
    /// The token starting at byte `at` of `source`, the text of source `id`.
    fn at(id: SourceId, source: &str, at: usize) -> Found {
        let rest = source.get(at..).unwrap_or_default();
        let Some(first) = rest.chars().next() else {
            // Point just after the last token, where something is missing, rather than past the final newline.
            let end = source.trim_end().len();
            return Found {
                description: END_OF_FILE.to_owned(),
                span: Span::new(id, end, end),
                reserved: None,
                after_doc: follows_doc(source, at),
            };
        };
        if rest.starts_with("///") && !rest.starts_with("////") {
            let length = rest.find(['\n', '\r']).unwrap_or(rest.len());
            return Found {
                description: DOC.to_owned(),
                span: Span::new(id, at, at + length),
                reserved: None,
                after_doc: follows_doc(source, at),
            };
        }
        if first == '\n' || first == '\r' {
            // Only an atomic rule (a string) can stop at a line break; everywhere else it is skipped.
            return Found {
                description: "end of line".to_owned(),
                span: Span::new(id, at, at),
                reserved: None,
                after_doc: false,
            };
        }
        let length = if first.is_ascii_alphanumeric() || first == '_' {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len())
        } else if rest.starts_with("->") {
            2
        } else {
            first.len_utf8()
        };
        let token = &rest[..length];
        // Control characters are shown escaped; a quote or a backslash is shown as it is.
        let shown: String =
            token.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect();
        Found {
            description: format!("`{shown}`"),
            span: Span::new(id, at, at + length),
            reserved: RESERVED.into_iter().find(|word| *word == token),
            after_doc: follows_doc(source, at),
        }
    }
}

/// Whether the last non-blank line before byte `at` is a doc comment.
fn follows_doc(source: &str, at: usize) -> bool {
    let before = source.get(..at).unwrap_or_default();
    let last_line = before.trim_end().lines().next_back().unwrap_or_default().trim_start();
    last_line.starts_with("///") && !last_line.starts_with("////")
}
