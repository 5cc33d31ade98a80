//! The sources a derive front end makes of Rust items, one per item, and the table from their byte ranges back to
//! the tokens they were made from, so that a diagnostic lands on the smallest culprit token.

use crate::{
    diagnostics::culprit::SpanTable,
    model::{SourceId, Span},
    sources::SourceMap,
};

/// Builds one source per item: each name, type or value lowered from the item's tokens is written into the item's
/// text and recorded with the tokens it came from.
#[derive(Default)]
pub(super) struct Recorder {
    pub(super) sources: SourceMap,
    pub(super) spans: SpanTable,
    /// The item being recorded: its source's id, name, text so far and tokens.
    open: Option<OpenItem>,
}

struct OpenItem {
    id: SourceId,
    name: String,
    text: String,
    tokens: proc_macro2::Span,
}

impl Recorder {
    /// Starts the source of the item `name` (its path, as users know it), made from `tokens`. Any item still open is
    /// finished first.
    pub(super) fn begin(&mut self, name: String, tokens: proc_macro2::Span) {
        self.end();
        let id = SourceId::from_index(self.sources.len());
        self.open = Some(OpenItem { id, name, text: String::new(), tokens });
    }

    /// The span of `text`, written next in the open item's source, made from `tokens`.
    pub(super) fn span(&mut self, text: &str, tokens: proc_macro2::Span) -> Span {
        let Some(open) = &mut self.open else {
            // Everything is recorded inside an item; outside one, the span names no source of the map, so it
            // resolves to nothing and the diagnostic falls back to the module's name.
            return Span::new(SourceId::from_index(usize::MAX), 0, 0);
        };
        if !open.text.is_empty() {
            open.text.push(' ');
        }
        let start = open.text.len();
        open.text.push_str(text);
        let span = Span::new(open.id, start, open.text.len());
        self.spans.insert(span, tokens);
        span
    }

    /// The source of the open item.
    pub(super) fn current(&self) -> Option<SourceId> {
        self.open.as_ref().map(|open| open.id)
    }

    /// Finishes the open item: its whole text stands for its tokens, the fallback of every span inside it.
    pub(super) fn end(&mut self) {
        let Some(open) = self.open.take() else { return };
        self.spans.insert(Span::new(open.id, 0, open.text.len()), open.tokens);
        self.sources.add(open.name, open.text);
    }
}
