//! Diagnostics as miette reports, for the CLI and build scripts.
//!
//! miette renders a report against one `SourceCode`, but a diagnostic's labels may point into several sources.
//! [`Joined`] is that one `SourceCode`: every source laid end to end, each at its own offset, with a gap between
//! them, and each snippet it reads carries the name and the lines of the source it lies in. miette draws each label's
//! snippet apart from labels of other sources, as a snippet never spans two of them, so a diagnostic about two files
//! shows both under their own names.

use std::{fmt, sync::Arc};

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::{Diagnostic, Severity};
use crate::{
    model::{SourceId, Span},
    sources::SourceMap,
};

/// The reports of `diagnostics`, one each, reading from `sources`.
pub(super) fn reports<'a>(
    sources: &SourceMap,
    diagnostics: &'a [Diagnostic],
) -> impl Iterator<Item = miette::Report> + 'a {
    let joined = Arc::new(Joined::new(sources.clone()));
    diagnostics.iter().map(move |diagnostic| {
        miette::Report::new(Rendered { diagnostic: diagnostic.clone(), sources: joined.clone() })
    })
}

/// Every source of a schema as one text for miette: source `i` starts at `starts[i]`.
#[derive(Debug)]
struct Joined {
    sources: SourceMap,
    starts: Vec<usize>,
}

impl Joined {
    fn new(sources: SourceMap) -> Self {
        // One byte between sources keeps the end of one (where a missing token is reported) apart from the start of
        // the next.
        let starts = sources
            .iter()
            .scan(0, |next, (_, source)| {
                let start = *next;
                *next += source.text.len() + 1;
                Some(start)
            })
            .collect();
        Joined { sources, starts }
    }

    /// Where `span` is in the joined text, as miette counts: offset and length. A span of a source this map does not
    /// hold lands past the end, where reading it fails.
    fn place(&self, span: Span) -> (usize, usize) {
        let start = self.starts.get(span.source.index()).map_or(usize::MAX / 2, |start| start + span.start);
        (start, span.end.saturating_sub(span.start))
    }
}

impl SourceCode for Joined {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let index = self.starts.partition_point(|start| *start <= span.offset()).checked_sub(1);
        let found = index.and_then(|index| Some((self.starts[index], self.sources.get(SourceId::from_index(index))?)));
        let Some((start, source)) = found else {
            return Err(MietteError::OutOfBounds);
        };
        let local = span.offset() - start;
        if local + span.len() > source.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let text: &'a str = &source.text;
        let contents = text.read_span(&(local, span.len()).into(), context_lines_before, context_lines_after)?;
        let read = contents.span();
        Ok(Box::new(MietteSpanContents::new_named(
            source.name.clone(),
            contents.data(),
            (read.offset() + start, read.len()).into(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

/// One diagnostic with the sources it points into, as miette renders it.
#[derive(Debug)]
struct Rendered {
    diagnostic: Diagnostic,
    sources: Arc<Joined>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.sources.as_ref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.diagnostic.labels.iter().enumerate().map(|(index, label)| {
            let span = self.sources.place(label.span);
            if index == 0 {
                miette::LabeledSpan::new_primary_with_span(Some(label.message.clone()), span)
            } else {
                miette::LabeledSpan::new_with_span(Some(label.message.clone()), span)
            }
        })))
    }
}
