//! Diagnostics as data: a code, a message, labelled spans and a hint, gathered all together and rendered at the
//! edge, where the [`SourceMap`] resolves each span to its source: graphical in the CLI and build.rs through miette,
//! with the `render` feature (`graphical.rs`); in macros, `syn::Error`s on the tokens a span stands for
//! ([`culprit`]), or one line each at a path literal, with lints for warnings.
//!
//! Messages are lowercase, without a trailing period, with names in backticks.

#[cfg(feature = "render")]
mod graphical;

pub mod culprit;

use std::{fmt, sync::Arc};

use serde::Serialize;

use crate::{model::Span, sources::SourceMap};

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

    /// The diagnostic without its place: `error[code]: message (help: ...)`.
    pub fn summary(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        format!("{severity}[{}]: {}{}", self.code, self.message, self.help_suffix())
    }

    /// ` (help: ...)`, or nothing when there is no help.
    fn help_suffix(&self) -> String {
        self.help.as_ref().map(|help| format!(" (help: {help})")).unwrap_or_default()
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

/// Every diagnostic of one schema, with the sources they point into: the error type of compiling a schema.
#[derive(Debug, Clone)]
pub struct SchemaErrors {
    /// The schema's name, as shown to users: its path, for a schema of one file.
    pub name: String,
    /// The sources the diagnostics point into.
    pub sources: SourceMap,
    /// The diagnostics, errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl SchemaErrors {
    /// The diagnostics of the schema `name`, pointing into `sources`.
    pub fn new(name: impl Into<String>, sources: SourceMap, diagnostics: Vec<Diagnostic>) -> Self {
        SchemaErrors { name: name.into(), sources, diagnostics }
    }

    /// The diagnostics of a schema of one source, `name`, whose text is `text`.
    pub fn single(name: &str, text: impl Into<Arc<str>>, diagnostics: Vec<Diagnostic>) -> Self {
        SchemaErrors::new(name, SourceMap::single(name, text), diagnostics)
    }

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

    /// One diagnostic of this schema on one line, as [`SchemaErrors::plain_lines`] renders it: where its primary
    /// label points (`file:line:col`, in whichever source that is), then [`Diagnostic::summary`].
    pub fn plain_line(&self, diagnostic: &Diagnostic) -> String {
        format!("{}: {}", self.sources.locate(diagnostic.span()), diagnostic.summary())
    }

    /// The diagnostics rendered one by one, as miette reports. A diagnostic whose labels point into several sources
    /// shows a snippet of each under its own name.
    #[cfg(feature = "render")]
    pub fn reports(&self) -> impl Iterator<Item = miette::Report> + '_ {
        graphical::reports(&self.sources, &self.diagnostics)
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
