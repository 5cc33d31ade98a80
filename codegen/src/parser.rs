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
    model::{Schema, SourceId},
};
#[cfg(feature = "derive")]
pub(crate) use grammar::MAX_NESTING;
use grammar::{Rule, SchemaParser};

/// The keywords that start a top-level declaration: where the parser resumes after a syntax error.
const DECLARATION_KEYWORDS: [&str; 7] = ["type", "enum", "event", "aggregate", "projection", "upcast", "alias"];

/// Parses a schema source into the model, or returns its syntax errors (all of them, where the parser can recover).
/// Its spans point into [`SourceId::FIRST`].
pub fn parse(source: &str) -> Result<Schema, Vec<Diagnostic>> {
    match parse_lowered(SourceId::FIRST, source) {
        (Some(schema), diagnostics) if diagnostics.is_empty() => Ok(schema),
        (_, diagnostics) => Err(diagnostics),
    }
}

/// Parses the text of source `id`: the model whenever the grammar accepted the whole text (what lowering could not read is
/// kept as a placeholder, so that the checks still run), and every problem found.
pub(crate) fn parse_lowered(id: SourceId, source: &str) -> (Option<Schema>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut schema = None;
    let mut offset = 0;
    loop {
        // The first parse reads the whole source; a resumed one reads one declaration at a time (see
        // `resumed_end`).
        let end = if offset == 0 { source.len() } else { resumed_end(source, offset) };
        let part = source.get(offset..end).unwrap_or_default();
        match SchemaParser::parse(Rule::schema, part) {
            Ok(pairs) => {
                let lowered = lower::lower(pairs, id, offset, &mut diagnostics);
                // Only a parse of the whole source is a schema; a parse resumed after an error only contributes
                // its diagnostics.
                if offset == 0 {
                    schema = Some(lowered);
                }
                if end >= source.len() {
                    break;
                }
                offset = end;
            }
            Err(error) => {
                let diagnostic = syntax_error::from_pest(id, source, offset, &error);
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

/// Every declaration of the text of source `id` that parses on its own, each parsed apart from the others: what can
/// be read of a source the grammar rejects, for the stubs `schema!` emits beside its errors. Problems are not
/// reported here: [`parse_lowered`] reports them.
pub(crate) fn parse_each_declaration(id: SourceId, source: &str) -> Schema {
    let mut schema = Schema::default();
    let mut next = resume_point(source, 0);
    while let Some(start) = next {
        let end = resumed_end(source, start);
        if let Ok(pairs) = SchemaParser::parse(Rule::schema, source.get(start..end).unwrap_or_default()) {
            schema.append(lower::lower(pairs, id, start, &mut Vec::new()));
        }
        next = resume_point(source, start + 1);
    }
    schema
}

/// Where a parse resumed at the declaration starting at `offset` stops: at the next line that starts a declaration,
/// less the blank, comment and doc lines above it (docs belong to the declaration below them). Outside comments and
/// strings such a line cannot continue a declaration, so the parse sees what it would in the whole source; and
/// stopping there keeps recovery linear, as pest's errors take time proportional to the text after them.
fn resumed_end(source: &str, offset: usize) -> usize {
    let Some(next) = resume_point(source, offset + 1) else { return source.len() };
    let mut end = source.as_bytes()[..next].iter().rposition(|byte| *byte == b'\n').map_or(0, |newline| newline + 1);
    while end > offset {
        let before = &source[offset..end - 1];
        let line_start = before.rfind('\n').map_or(offset, |newline| offset + newline + 1);
        let line = source[line_start..end].trim();
        if !(line.is_empty() || line.starts_with("//")) {
            break;
        }
        end = line_start;
    }
    if end > offset {
        end
    } else {
        source.len()
    }
}

/// The start of the first declaration keyword at or after byte `from` that begins a line (after indentation) and is
/// followed by a name, e.g. `type LineItem`. A field named `type` (`type: String`) is not a resume point.
fn resume_point(source: &str, from: usize) -> Option<usize> {
    // Start at the line holding `from`: scanning from the top after every error would make many errors quadratic.
    let from = from.min(source.len());
    let mut line_start =
        source.as_bytes()[..from].iter().rposition(|byte| *byte == b'\n').map_or(0, |newline| newline + 1);
    for line in source[line_start..].split_inclusive('\n') {
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

#[cfg(test)]
mod tests {
    use super::{grammar::MAX_NESTING, *};

    #[test]
    fn resumes_at_declaration_keywords_only() {
        let source = "type A {\n  type: String\n  event B v1 {}\n}\nenumeration\n  enum C { D }\n";
        assert_eq!(resume_point(source, 1), Some(source.find("event").unwrap_or_default()));
        assert_eq!(resume_point(source, 30), Some(source.find("enum C").unwrap_or_default()));
        assert_eq!(resume_point(source, source.len()), None);
    }

    #[test]
    fn resumed_parses_stop_before_the_next_declaration_and_its_docs() {
        let check = |source: &str, offset: usize, expected: &str| {
            assert_eq!(&source[offset..resumed_end(source, offset)], expected, "{source:?}");
        };
        let source = "type A { a: [u32 }\n\n/// B.\n// plain\ntype B { b: u32 }\nenum C { D }\n";
        check(source, 0, "type A { a: [u32 }\n");
        check(source, source.find("type B").unwrap_or_default(), "type B { b: u32 }\n");
        check(source, source.find("enum").unwrap_or_default(), "enum C { D }\n");
        check("type A {\n  type: String\n}", 0, "type A {\n  type: String\n}");
    }

    /// The messages `parse` reports for `source`, or none when it parses.
    fn messages(source: &str) -> Vec<String> {
        parse(source).err().unwrap_or_default().into_iter().map(|diagnostic| diagnostic.message).collect()
    }

    #[test]
    fn nesting_up_to_the_limit_parses_and_one_more_level_does_not() {
        let too_deep = format!("type nested more than {MAX_NESTING} levels deep");
        let check = |levels: usize, wrap: &dyn Fn(usize) -> String| {
            let at_limit = format!("type A {{ a: {} }}", wrap(levels));
            assert_eq!(messages(&at_limit), Vec::<String>::new(), "{at_limit}");
            let beyond = format!("type A {{ a: {} }}", wrap(levels + 1));
            assert_eq!(messages(&beyond), std::slice::from_ref(&too_deep), "{beyond}");
        };
        check(MAX_NESTING, &|n| format!("{}u32{}", "[".repeat(n), "]".repeat(n)));
        check(MAX_NESTING, &|n| format!("{}u32{}", "Map<String, ".repeat(n), ">".repeat(n)));
        check(MAX_NESTING, &|n| format!("u32{}", "?".repeat(n)));
        // Every kind counts towards the same limit.
        check(MAX_NESTING - 3, &|n| format!("[Map<u32, [u32{}]>]", "?".repeat(n)));
    }
}
