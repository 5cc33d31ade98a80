//! Diagnostics tests: every file of `tests/diagnostics/` is a schema with something wrong, named after what is wrong.
//! Its snapshot holds everything a user could see of it: the diagnostics as JSON (with line and column), the plain
//! one-line rendering, and miette's graphical rendering without colours.
//!
//! Each file opens with the codes it must produce, `// expect: factum::unknown-type, factum::missing-id` (every
//! distinct code, errors and warnings, in any order): the harness checks them before the snapshot, so a case cannot
//! silently stop testing what it is named after.
//!
//! To add a case, add a `.factum` file. To update the snapshots after an intended change, run
//! `INSTA_UPDATE=always cargo test -p factum-codegen --test diagnostics` (or `cargo insta review` where cargo-insta
//! is installed), then read every changed `tests/snapshots/diagnostics__*.snap`: the messages are the product.

use std::fmt::Write as _;

use factum_codegen::{compile_source, compile_sources, sources::SourceMap, Diagnostic, SchemaErrors, Severity};

/// A diagnostic as JSON, in its own field order, with each label's line and column.
#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    labels: Vec<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

/// A label with where it points: `line:column` in a schema of one source, `source:line:column` in one of several.
#[derive(serde::Serialize)]
struct JsonLabel<'a> {
    at: String,
    span: JsonSpan,
    message: &'a str,
}

/// The bytes a label points at, in its source.
#[derive(serde::Serialize)]
struct JsonSpan {
    start: usize,
    end: usize,
}

impl<'a> JsonDiagnostic<'a> {
    fn new(sources: &SourceMap, diagnostic: &'a Diagnostic) -> Self {
        let labels = diagnostic
            .labels
            .iter()
            .map(|label| {
                let at = sources.line_column(label.span);
                let at = match sources.len() {
                    1 => format!("{}:{}", at.line, at.column),
                    _ => sources.locate(label.span),
                };
                let span = JsonSpan { start: label.span.start, end: label.span.end };
                JsonLabel { at, span, message: &label.message }
            })
            .collect();
        JsonDiagnostic {
            code: diagnostic.code,
            severity: diagnostic.severity,
            message: &diagnostic.message,
            labels,
            help: diagnostic.help.as_deref(),
        }
    }
}

/// The codes a case declares in its `// expect:` lines, sorted.
fn expected_codes(name: &str, source: &str) -> Vec<String> {
    let mut codes: Vec<String> = source
        .lines()
        .filter_map(|line| line.strip_prefix("// expect:"))
        .flat_map(|list| list.split(','))
        .map(|code| code.trim().to_owned())
        .filter(|code| !code.is_empty())
        .collect();
    assert!(!codes.is_empty(), "`{name}` does not say which codes it expects: open it with `// expect: factum::...`");
    codes.sort();
    codes.dedup();
    codes
}

/// Compiles `source`, checks that it produces exactly the codes it expects, and renders every diagnostic the three
/// ways users meet them.
fn render(name: &str, source: &str) -> String {
    let errors = match compile_source(name, source) {
        Err(errors) => errors,
        Ok((_, warnings)) => SchemaErrors::single(name, source, warnings),
    };
    assert!(!errors.diagnostics.is_empty(), "`{name}` is in the corpus of broken schemas but has no diagnostics");
    let mut codes: Vec<String> = errors.diagnostics.iter().map(|diagnostic| diagnostic.code.to_owned()).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes, expected_codes(name, source), "`{name}` produces other codes than it expects");
    render_errors(&errors)
}

/// Every diagnostic of `errors` the three ways users meet them: JSON, plain lines and miette's graphical rendering.
fn render_errors(errors: &SchemaErrors) -> String {
    let json: Vec<JsonDiagnostic<'_>> =
        errors.diagnostics.iter().map(|diagnostic| JsonDiagnostic::new(&errors.sources, diagnostic)).collect();

    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut graphical = String::new();
    for report in errors.reports() {
        if handler.render_report(&mut graphical, report.as_ref()).is_err() {
            graphical.push_str("(miette failed to render this diagnostic)\n");
        }
    }

    let mut out = String::new();
    let json = serde_json::to_string_pretty(&json).unwrap_or_default();
    let _ = write!(out, "{json}\n\n--- plain ---\n{}\n--- graphical ---\n{graphical}", errors.to_plain_string());
    out
}

#[test]
fn corpus() {
    insta::glob!("diagnostics/*.factum", |path| {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        insta::assert_snapshot!(render(&name, &source));
    });
}

/// A schema of several sources: each label points into its own, and the graphical rendering shows each snippet under
/// its source's name, even within one diagnostic.
#[test]
fn several_sources() {
    let mut sources = SourceMap::new();
    sources.add("events.factum", "event OrderPlaced v1 { customer: String }\n\ntype LineItem { sku: String }\n");
    sources.add(
        "orders.factum",
        "type LineItem { sku: String, quantity: u32 }\n\naggregate Order {\n    id: String\n    command Place { \
         customer: Strin } emits OrderPlaced\n}\n",
    );
    let errors = compile_sources("orders", &sources).expect_err("the sources have errors");
    insta::assert_snapshot!(render_errors(&errors));
}

/// Every source is parsed even when another has a syntax error, and an error at the very end of one source renders
/// in that source, not at the start of the next.
#[test]
fn several_sources_with_syntax_errors() {
    let mut sources = SourceMap::new();
    sources.add("events.factum", "event OrderPlaced v1 {\n    customer: String\n");
    sources.add("orders.factum", "aggregate Order {\n    id String\n}\n");
    let errors = compile_sources("orders", &sources).expect_err("the sources have errors");
    insta::assert_snapshot!(render_errors(&errors));
}

/// A schema without commands is the read side of a service whose events are written elsewhere (consumed from the
/// bus): its projections handle events no command of its own emits, which is no mistake there, and is not warned
/// of. The sample schemas the tests crate compiles are of that kind, and printed the warning on every build.
#[test]
fn a_schema_without_commands_projects_events_written_elsewhere_without_warnings() {
    let source = "event OrderCreated v1 { sku: String }\nevent OrderCancelled v1 {}\n\n\
                  projection Reserved { on OrderCreated, OrderCancelled }\n";
    let (_, warnings) = compile_source("inventory", source).unwrap_or_else(|errors| panic!("{errors:?}"));
    let codes: Vec<&str> = warnings.iter().map(|diagnostic| diagnostic.code).collect();
    assert_eq!(codes, Vec::<&str>::new());
}
