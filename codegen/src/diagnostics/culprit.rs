//! Diagnostics as `syn::Error`s on their culprits, for macros.
//!
//! A macro front end makes the sources of a schema out of Rust tokens, so it knows which tokens each byte of a source
//! came from; [`ResolveSpan`] asks it. [`SpanTable`] is the table most front ends want: the byte ranges they wrote,
//! each with the tokens it stands for, resolved to the smallest range that holds a span. A diagnostic then becomes a
//! `syn::Error` on its culprit; where nothing resolves (a schema read from a file, whose culprit is the path literal
//! naming it), the error sits at a fallback span and its message says where it points, `file:line:col`.

use std::collections::HashMap;

use super::SchemaErrors;
use crate::model::{SourceId, Span};

/// How a macro front end finds the tokens a span of its sources stands for.
pub trait ResolveSpan {
    /// The tokens `span` points at, or `None` where the front end has none closer than its fallback.
    fn resolve(&self, span: Span) -> Option<proc_macro2::Span>;
}

/// The tokens each byte range of a front end's sources was made from; a span resolves to the tokens of the smallest
/// recorded range that holds it. An empty table resolves nothing.
#[derive(Debug, Default, Clone)]
pub struct SpanTable {
    ranges: HashMap<SourceId, Vec<(usize, usize, proc_macro2::Span)>>,
}

impl SpanTable {
    /// A table with no ranges.
    pub fn new() -> Self {
        SpanTable::default()
    }

    /// Records that the bytes of `span` were made from `tokens`. A front end records each item (the fallback for
    /// anything inside it) and each name, type and value in it, so that a diagnostic lands on the smallest.
    pub fn insert(&mut self, span: Span, tokens: proc_macro2::Span) {
        self.ranges.entry(span.source).or_default().push((span.start, span.end, tokens));
    }

    /// The recorded range that holds `span` and is the smallest, the first recorded of equals.
    fn smallest_holding(&self, span: Span) -> Option<&(usize, usize, proc_macro2::Span)> {
        let ranges = self.ranges.get(&span.source)?;
        let holding = ranges.iter().filter(|(start, end, _)| *start <= span.start && span.end <= *end);
        holding.min_by_key(|(start, end, _)| end - start)
    }
}

impl ResolveSpan for SpanTable {
    fn resolve(&self, span: Span) -> Option<proc_macro2::Span> {
        self.smallest_holding(span).map(|(_, _, tokens)| *tokens)
    }
}

impl SchemaErrors {
    /// Every error (not the warnings) as one `syn::Error` each, combined in order, or `None` when there is none.
    ///
    /// An error whose primary span resolves sits on those tokens, as `code: message (help: ...)` (rustc puts the
    /// `error:` in front); one that does not sits at `fallback` with its place in front
    /// ([`SchemaErrors::plain_line`]), so users can still find it.
    pub fn to_syn_error(&self, culprits: &dyn ResolveSpan, fallback: proc_macro2::Span) -> Option<syn::Error> {
        let mut errors = self.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).map(|diagnostic| {
            match culprits.resolve(diagnostic.span()) {
                Some(culprit) => {
                    let message = format!("{}: {}{}", diagnostic.code, diagnostic.message, diagnostic.help_suffix());
                    syn::Error::new(culprit, message)
                }
                None => syn::Error::new(fallback, self.plain_line(diagnostic)),
            }
        });
        let mut combined = errors.next()?;
        errors.for_each(|error| combined.combine(error));
        Some(combined)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proc_macro2::{TokenStream, TokenTree};

    use super::*;
    use crate::sources::SourceMap;

    /// A front end's source made of Rust tokens, as a derive front end makes one per item: the text is the tokens'
    /// own, so each token's byte range in it is where its span says, and each is recorded in `table`, with the
    /// whole item around them.
    fn add_item(sources: &mut SourceMap, table: &mut SpanTable, name: &str, text: &str) {
        let id = sources.add(name, text);
        let tokens = TokenStream::from_str(text).expect("the item lexes as Rust tokens");
        table.insert(Span::new(id, 0, text.len()), proc_macro2::Span::call_site());
        record(table, id, tokens);
    }

    fn record(table: &mut SpanTable, id: SourceId, tokens: TokenStream) {
        for token in tokens {
            let range = token.span().byte_range();
            table.insert(Span::new(id, range.start, range.end), token.span());
            if let TokenTree::Group(group) = token {
                record(table, id, group.stream());
            }
        }
    }

    /// Compiles `items` as one schema, one source each, and compares each error's message and its culprit: the
    /// tokens it was put on, and where they start in their item.
    fn check(items: &[(&str, &str)], expected: &[(&str, &str)]) {
        let (mut sources, mut table) = (SourceMap::new(), SpanTable::new());
        for (name, text) in items {
            add_item(&mut sources, &mut table, name, text);
        }
        let errors = crate::compile_sources("items", &sources).expect_err("the items have errors");
        let error = errors.to_syn_error(&table, proc_macro2::Span::call_site()).expect("errors become syn errors");
        let found: Vec<(String, String)> = error
            .into_iter()
            .map(|error| {
                let (culprit, at) = (error.span().source_text().unwrap_or_default(), error.span().start());
                (format!("`{culprit}` at {}:{}", at.line, at.column + 1), error.to_string())
            })
            .collect();
        let expected: Vec<(String, String)> =
            expected.iter().map(|(at, message)| ((*at).to_owned(), (*message).to_owned())).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn errors_land_on_their_culprits_in_each_source() {
        check(
            &[
                ("Pinged", "event Pinged v1 { at: u6 }"),
                ("Pinger", "aggregate Pinger {\n    id: String\n    command Ping { at: u63 } emits Pinged, Ponged\n}"),
            ],
            &[
                ("`u6` at 1:23", "factum::unknown-type: unknown type `u6` (help: did you mean `u64`?)"),
                ("`u63` at 3:24", "factum::unknown-type: unknown type `u63` (help: did you mean `u64`?)"),
                ("`Ponged` at 3:44", "factum::unknown-event: command `Ping` emits unknown event `Ponged`"),
            ],
        );
    }

    #[test]
    fn errors_nothing_resolves_sit_at_the_fallback_saying_where_they_point() {
        let mut sources = SourceMap::new();
        sources.add("events.factum", "event Pinged v1 { at: u64 }\n");
        sources
            .add("pinger.factum", "aggregate Pinger {\n    id: String\n    command Ping { at: u63 } emits Pinged\n}\n");
        let errors = crate::compile_sources("pinger", &sources).expect_err("the schema has an error");
        let error = errors.to_syn_error(&SpanTable::new(), proc_macro2::Span::call_site()).expect("one error");
        let messages: Vec<String> = error.into_iter().map(|error| error.to_string()).collect();
        assert_eq!(
            messages,
            ["pinger.factum:3:24: error[factum::unknown-type]: unknown type `u63` (help: did you mean `u64`?)"]
        );
    }
}
