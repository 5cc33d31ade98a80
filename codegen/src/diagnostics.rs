//! Diagnostics as data: a code, a message, labelled spans and a hint, gathered all together and rendered at the
//! edge (graphical in the CLI and build.rs through miette, with the `render` feature; `compile_error!` and lints in
//! the macro, one line each, without it).
//!
//! Messages are lowercase, without a trailing period, with names in backticks.

use std::{fmt, sync::Arc};

use serde::Serialize;

use crate::model::Span;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The schema cannot be compiled.
    Error,
    /// The schema compiles, but something is probably wrong.
    Warning,
    /// Worth knowing, nothing wrong: e.g. a source-level change the evolution checker notes.
    Note,
}

/// A labelled span of source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The bytes the label points at.
    pub span: Span,
    /// What it says about them.
    pub message: String,
}

/// One problem found in a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A stable code, e.g. `factum::unknown-type`.
    pub code: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// What is wrong, in one lowercase line.
    pub message: String,
    /// Where: the first label is the primary one.
    pub labels: Vec<Label>,
    /// How to fix it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with a code, a message and a primary label.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: vec![Label { span, message: label.into() }],
            help: None,
        }
    }

    /// A warning with a code, a message and a primary label.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message, span, label) }
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The primary span.
    pub fn span(&self) -> Span {
        self.labels.first().map(|label| label.span).unwrap_or_default()
    }

    /// Whether this diagnostic stops compilation.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A line and column (both from 1) in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineColumn {
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

/// The line and column of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> LineColumn {
    let offset = offset.min(source.len());
    let before = &source[..source.floor_char_boundary_compat(offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    LineColumn { line, column: before[line_start..].chars().count() + 1 }
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut index: usize) -> usize {
        while !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}

/// Every diagnostic of one schema source, with the source they point into: the error type of compiling a schema.
#[derive(Debug, Clone)]
pub struct SchemaErrors {
    /// The source's name, as shown to users (usually its path).
    pub name: String,
    /// The source text.
    pub source: Arc<String>,
    /// The diagnostics, errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl SchemaErrors {
    /// How many of the diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).count()
    }

    /// A plain, one-line-per-diagnostic rendering: `file:line:col: error[code]: message`.
    pub fn to_plain_string(&self) -> String {
        self.plain_lines().map(|line| line + "\n").collect()
    }

    /// Each diagnostic on one line, `file:line:col: warning[code]: message (help: ...)`: the form that fits where
    /// there is one line per diagnostic (`compile_error!`, `cargo:warning`).
    pub fn plain_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.diagnostics.iter().map(|diagnostic| self.plain_line(diagnostic))
    }

    /// One diagnostic of this source on one line, as [`SchemaErrors::plain_lines`] renders it.
    pub fn plain_line(&self, diagnostic: &Diagnostic) -> String {
        let at = line_column(&self.source, diagnostic.span().start);
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let mut line =
            format!("{}:{}:{}: {severity}[{}]: {}", self.name, at.line, at.column, diagnostic.code, diagnostic.message);
        if let Some(help) = &diagnostic.help {
            line.push_str(&format!(" (help: {help})"));
        }
        line
    }

    /// The diagnostics rendered one by one, as miette reports sharing this source.
    #[cfg(feature = "render")]
    pub fn reports(&self) -> impl Iterator<Item = miette::Report> + '_ {
        self.diagnostics.iter().map(|diagnostic| {
            miette::Report::new(Rendered {
                diagnostic: diagnostic.clone(),
                source: miette::NamedSource::new(self.name.clone(), self.source.clone()),
            })
        })
    }
}

impl fmt::Display for SchemaErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.error_count();
        write!(f, "`{}` has {errors} error{}", self.name, if errors == 1 { "" } else { "s" })
    }
}

impl std::error::Error for SchemaErrors {}

#[cfg(feature = "render")]
impl miette::Diagnostic for SchemaErrors {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        None
    }
}

/// One diagnostic with its source, as miette renders it.
#[cfg(feature = "render")]
#[derive(Debug)]
struct Rendered {
    diagnostic: Diagnostic,
    source: miette::NamedSource<Arc<String>>,
}

#[cfg(feature = "render")]
impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

#[cfg(feature = "render")]
impl std::error::Error for Rendered {}

#[cfg(feature = "render")]
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

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.diagnostic.labels.iter().enumerate().map(|(index, label)| {
            let span = (label.span.start, label.span.end.saturating_sub(label.span.start));
            if index == 0 {
                miette::LabeledSpan::new_primary_with_span(Some(label.message.clone()), span)
            } else {
                miette::LabeledSpan::new_with_span(Some(label.message.clone()), span)
            }
        })))
    }
}
