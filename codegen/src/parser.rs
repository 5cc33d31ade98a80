//! The `.factum` parser: source text to [`Schema`], or every syntax error found.
//!
//! Parsing happens in two steps. The pest grammar (`grammar.pest`) recognises the text; [`lower`] turns its parse
//! tree into the model, reporting the few problems the grammar cannot express (a missing `id`, a `v0`, an integer
//! too large for 128 bits). When the grammar rejects a declaration, the parser reports it and starts again at the
//! next line that begins a declaration, so that one mistake does not hide the next. Nothing here panics on any
//! input: the proptests in `tests/parser_never_panics.rs` hold it to that.

mod grammar;
mod literal;
mod lower;
mod syntax_error;

use pest::Parser as _;

use crate::{
    diagnostics::Diagnostic,
    model::{Schema, Span},
};
use grammar::{Rule, SchemaParser};

/// How deeply `[` and `<` may nest. The grammar and the checks recurse once per level; real schemas nest two or
/// three levels, and this bound keeps a hostile input from exhausting the stack.
const MAX_NESTING: usize = 32;

/// The keywords that start a top-level declaration: where the parser resumes after a syntax error.
const DECLARATION_KEYWORDS: [&str; 7] = ["type", "enum", "event", "aggregate", "projection", "upcast", "alias"];

/// Parses a schema source into the model, or returns its syntax errors (all of them, where the parser can recover).
pub fn parse(source: &str) -> Result<Schema, Vec<Diagnostic>> {
    match parse_lowered(source) {
        (Some(schema), diagnostics) if diagnostics.is_empty() => Ok(schema),
        (_, diagnostics) => Err(diagnostics),
    }
}

/// Parses a schema source: the model whenever the grammar accepted the whole text (what lowering could not read is
/// kept as a placeholder, so that the checks still run), and every problem found.
pub(crate) fn parse_lowered(source: &str) -> (Option<Schema>, Vec<Diagnostic>) {
    if let Some(too_deep) = check_nesting(source) {
        return (None, vec![too_deep]);
    }
    let mut diagnostics = Vec::new();
    let mut schema = None;
    let mut offset = 0;
    loop {
        let rest = source.get(offset..).unwrap_or_default();
        match SchemaParser::parse(Rule::schema, rest) {
            Ok(pairs) => {
                let lowered = lower::lower(pairs, offset, &mut diagnostics);
                // Only a parse of the whole source is a schema; a parse resumed after an error only contributes
                // its diagnostics.
                if offset == 0 {
                    schema = Some(lowered);
                }
                break;
            }
            Err(error) => {
                let diagnostic = syntax_error::from_pest(source, offset, &error);
                let at = diagnostic.span().start;
                diagnostics.push(diagnostic);
                match resume_point(source, at.max(offset + 1)) {
                    Some(next) => offset = next,
                    None => break,
                }
            }
        }
    }
    (schema, diagnostics)
}

/// The start of the first declaration keyword at or after byte `from` that begins a line (after indentation) and is
/// followed by a name, e.g. `type LineItem`. A field named `type` (`type: String`) is not a resume point.
fn resume_point(source: &str, from: usize) -> Option<usize> {
    let mut line_start = 0;
    for line in source.split_inclusive('\n') {
        let indentation = line.len() - line.trim_start_matches([' ', '\t']).len();
        let keyword_start = line_start + indentation;
        line_start += line.len();
        if keyword_start < from {
            continue;
        }
        let text = &line[indentation..];
        let starts_declaration = DECLARATION_KEYWORDS.iter().any(|keyword| {
            text.strip_prefix(keyword).is_some_and(|after| {
                let name = after.trim_start_matches([' ', '\t']);
                name.len() < after.len() && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            })
        });
        if starts_declaration {
            return Some(keyword_start);
        }
    }
    None
}

/// Rejects types nested more than [`MAX_NESTING`] levels deep before the recursive grammar sees them. Counts `[`
/// and `<` outside comments; unbalanced brackets count too, which no real schema comes near.
fn check_nesting(source: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_comment = false;
    let mut previous = '\0';
    for (index, character) in source.char_indices() {
        match character {
            '\n' => in_comment = false,
            '/' if previous == '/' => in_comment = true,
            '[' | '<' if !in_comment => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(Diagnostic::error(
                        "factum::syntax",
                        "type nested too deeply",
                        Span::new(index, index + 1),
                        format!("more than {MAX_NESTING} levels of `[` and `<`"),
                    ));
                }
            }
            ']' | '>' if !in_comment => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = character;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_at_declaration_keywords_only() {
        let source = "type A {\n  type: String\n  event B v1 {}\n}\nenumeration\n  enum C { D }\n";
        assert_eq!(resume_point(source, 1), Some(source.find("event").unwrap_or_default()));
        assert_eq!(resume_point(source, 30), Some(source.find("enum C").unwrap_or_default()));
        assert_eq!(resume_point(source, source.len()), None);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let source = format!("type A {{ a: {}u32{} }}", "[".repeat(10_000), "]".repeat(10_000));
        let errors = parse(&source).err().unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "type nested too deeply");
    }

    #[test]
    fn nesting_within_the_bound_parses() {
        let source = format!("type A {{ a: {}u32{} }}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(parse(&source).is_ok());
    }
}
