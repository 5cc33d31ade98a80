//! Findings: what the evolution checker reports, as data, and their conversion to [`Diagnostic`]s so that the CLI
//! and build scripts render them like every other diagnostic.

use std::fmt::Write as _;

use serde::{Serialize, Serializer};

use super::{rules::Rule, snapshot::Location};
use crate::{
    diagnostics::{Diagnostic, Label, SchemaErrors, Severity},
    model::Span,
    sources::SourceMap,
};

/// One incompatibility (or note) between an old snapshot and a new schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule it breaks (serialized as its id and name).
    #[serde(serialize_with = "serialize_rule")]
    pub rule: &'static Rule,
    /// What changed, in one lowercase line.
    pub message: String,
    /// Where in the new schema, when the change is there to point at (a removed event is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Label>,
    /// Where in the old schema or lock file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Location>,
    /// How to evolve the schema instead.
    pub hint: String,
}

fn serialize_rule<S: Serializer>(rule: &&'static Rule, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{} {}", rule.id, rule.name))
}

impl Finding {
    /// Whether the finding breaks compatibility (rather than being a note).
    pub fn is_breaking(&self) -> bool {
        self.rule.severity == Severity::Error
    }

    /// The finding as a diagnostic of the new schema: the rule's code and severity, the new place as its label, and
    /// the hint (with the old place) as its help.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let help = match &self.old {
            Some(old) => format!("{} (old: {old})", self.hint),
            None => self.hint.clone(),
        };
        Diagnostic {
            code: self.rule.code,
            severity: self.rule.severity,
            message: self.message.clone(),
            labels: self.new.iter().cloned().collect(),
            help: Some(help),
        }
    }

    /// The primary span in the new schema, if any.
    pub fn span(&self) -> Option<Span> {
        self.new.as_ref().map(|label| label.span)
    }
}

/// The findings as diagnostics of the new schema `name` (text `source`), ready to render with miette.
pub fn findings_report(name: &str, source: &str, findings: &[Finding]) -> SchemaErrors {
    findings_report_in(name, &SourceMap::single(name, source), findings)
}

/// [`findings_report`] for a new schema `name` made of `sources`.
pub fn findings_report_in(name: &str, sources: &SourceMap, findings: &[Finding]) -> SchemaErrors {
    SchemaErrors::new(name, sources.clone(), findings.iter().map(Finding::to_diagnostic).collect())
}

/// One line per finding: `new.factum:4:5: error[E006 field-added-without-default]: message (old: ...) (help: ...)`.
pub fn render_plain(name: &str, source: &str, findings: &[Finding]) -> String {
    render_plain_in(name, &SourceMap::single(name, source), findings)
}

/// [`render_plain`] for a new schema `name` made of `sources`: each finding names the source it points into.
pub fn render_plain_in(name: &str, sources: &SourceMap, findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let severity = if finding.is_breaking() { "error" } else { "note" };
        let _ = match finding.span() {
            Some(span) => write!(out, "{}: ", sources.locate(span)),
            None => write!(out, "{name}: "),
        };
        let _ = write!(out, "{severity}[{} {}]: {}", finding.rule.id, finding.rule.name, finding.message);
        if let Some(old) = &finding.old {
            let _ = write!(out, " (old: {old})");
        }
        let _ = writeln!(out, " (help: {})", finding.hint);
    }
    out
}
