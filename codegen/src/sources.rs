//! The texts a schema is made of, each with the name users know it by: a schema can be one `.factum` file or
//! several, and a derive front end makes one source of each Rust item. Every [`Span`] names its source by
//! [`SourceId`]; the map resolves it to a name, a text, and a line and column, where diagnostics are rendered.

use std::sync::Arc;

use crate::{
    diagnostics::{line_column, LineColumn},
    model::{SourceId, Span},
};

/// One source: its name as shown to users (usually a path) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The name, as shown to users.
    pub name: String,
    /// The text spans point into.
    pub text: Arc<str>,
}

/// Every source of one schema, numbered in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    /// A map without sources.
    pub fn new() -> Self {
        SourceMap::default()
    }

    /// A map of one source, which is [`SourceId::FIRST`].
    pub fn single(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let mut sources = SourceMap::new();
        sources.add(name, text);
        sources
    }

    /// Adds a source and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceId {
        self.sources.push(Source { name: name.into(), text: text.into() });
        SourceId::from_index(self.sources.len() - 1)
    }

    /// The source `id` names, if it is in this map.
    pub fn get(&self, id: SourceId) -> Option<&Source> {
        self.sources.get(id.index())
    }

    /// Every source with its id, in order.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &Source)> + '_ {
        self.sources.iter().enumerate().map(|(index, source)| (SourceId::from_index(index), source))
    }

    /// How many sources there are.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The name of source `id`, or an empty name for an id of another map.
    pub fn name(&self, id: SourceId) -> &str {
        self.get(id).map_or("", |source| &source.name)
    }

    /// The text of source `id`, or an empty text for an id of another map.
    pub fn text(&self, id: SourceId) -> &str {
        self.get(id).map_or("", |source| &source.text)
    }

    /// The line and column where `span` starts in its source.
    pub fn line_column(&self, span: Span) -> LineColumn {
        line_column(self.text(span.source), span.start)
    }

    /// Where `span` starts, as users read it: `name:line:column`.
    pub fn locate(&self, span: Span) -> String {
        let at = self.line_column(span);
        format!("{}:{}:{}", self.name(span.source), at.line, at.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_resolve_in_their_own_source() {
        let mut sources = SourceMap::new();
        let first = sources.add("events.factum", "event A v1 {}\n");
        let second = sources.add("orders.factum", "\n\naggregate Order {}\n");
        let check = |span: Span, expected: &str| assert_eq!(sources.locate(span), expected);
        check(Span::new(first, 6, 7), "events.factum:1:7");
        check(Span::new(second, 2, 11), "orders.factum:3:1");
        // An id of another map resolves to nothing, rather than panicking.
        check(Span::new(SourceId::from_index(7), 3, 4), ":1:1");
        assert_eq!(
            sources.iter().map(|(id, source)| (id.index(), source.name.as_str())).collect::<Vec<_>>(),
            [(0, "events.factum"), (1, "orders.factum")]
        );
    }
}
