//! Evolution checker tests. Every folder of `tests/evolution/` holds an `old.factum` and a `new.factum`, named after
//! the rule the change breaks (`field-added-without-default`, `version-not-consecutive-gap`), or `compatible` (no
//! findings at all), or `several-findings`. Its snapshot holds the findings against `old.factum` as JSON and as
//! plain lines, then the plain lines against the lock file of `old.factum`, which must report the same changes.
//!
//! To add a case, add a folder. To update the snapshots after an intended change, run
//! `INSTA_UPDATE=always cargo test -p factum-codegen --test evolution` (or `cargo insta review`), then read every
//! changed `tests/snapshots/evolution__*.snap`. `docs/evolution-rules.md` is rendered from the rules: after changing
//! them, run `UPDATE_DOCS=1 cargo test -p factum-codegen --test evolution` and review the diff.

use std::path::{Path, PathBuf};

use factum_codegen::{
    compile_source,
    diagnostics::line_column,
    evolution::{self, check_against, render_plain, Finding, Snapshot, RULES},
    ir::Schema,
};

/// A finding as JSON, with line and column instead of bytes.
#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    rule: String,
    severity: factum_codegen::Severity,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<String>,
    hint: &'a str,
}

#[derive(serde::Serialize)]
struct JsonLabel<'a> {
    at: String,
    label: &'a str,
}

impl<'a> JsonFinding<'a> {
    fn new(source: &str, finding: &'a Finding) -> Self {
        JsonFinding {
            rule: format!("{} {}", finding.rule.id, finding.rule.name),
            severity: finding.rule.severity,
            message: &finding.message,
            new: finding.new.as_ref().map(|label| {
                let at = line_column(source, label.span.start);
                JsonLabel { at: format!("{}:{}", at.line, at.column), label: &label.message }
            }),
            old: finding.old.as_ref().map(ToString::to_string),
            hint: &finding.hint,
        }
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evolution")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read `{}`: {error}", path.display()))
}

/// Compiles a schema of the corpus, which must have no errors.
fn compile(name: &str, source: &str) -> Schema {
    match compile_source(name, source) {
        Ok((schema, _warnings)) => schema,
        Err(errors) => panic!("`{name}` does not compile:\n{}", errors.to_plain_string()),
    }
}

/// How a case's snapshot starts when the schema checks reject its new schema.
const REJECTED: &str = "--- new.factum does not compile ---\n";

/// The findings of one case, rendered; panics when the lock of `old.factum` does not find the same changes.
fn render_case(case: &str, old_source: &str, new_source: &str) -> (String, Vec<Finding>) {
    let mut out = String::new();
    let old = Snapshot::from_schema(&compile("old.factum", old_source)).with_source("old.factum", old_source);
    // The checker compares checked schemas only: a change the schema checks already reject (a missing upcast, a gap
    // between versions) is reported by them, and there is nothing to compare.
    let new = match compile_source("new.factum", new_source) {
        Ok((schema, _warnings)) => schema,
        Err(errors) => {
            out.push_str(REJECTED);
            out.push_str(&errors.to_plain_string());
            out.push('\n');
            return (out, Vec::new());
        }
    };
    let findings = check_against(&old, &new);
    let json: Vec<JsonFinding<'_>> = findings.iter().map(|finding| JsonFinding::new(new_source, finding)).collect();
    out.push_str(&serde_json::to_string_pretty(&json).unwrap_or_default());
    out.push_str("\n\n--- plain ---\n");
    out.push_str(&render_plain("new.factum", new_source, &findings));

    let lock = Snapshot::from_lock("old.factum.lock", &old.to_lock()).unwrap_or_else(|error| panic!("{error}"));
    let against_lock = check_against(&lock, &new);
    let summary = |findings: &[Finding]| -> Vec<(String, String, Option<String>)> {
        findings
            .iter()
            .map(|finding| {
                let label = finding.new.as_ref().map(|label| format!("{:?} {}", label.span, label.message));
                (finding.rule.id.to_owned(), finding.message.clone(), label)
            })
            .collect()
    };
    assert_eq!(summary(&against_lock), summary(&findings), "`{case}`: the lock finds other changes than the schema");
    out.push_str("\n--- plain, against old.factum.lock ---\n");
    out.push_str(&render_plain("new.factum", new_source, &against_lock));
    (out, findings)
}

#[test]
fn corpus() {
    insta::glob!("evolution/*/new.factum", |path| {
        let dir = path.parent().unwrap_or(Path::new("."));
        let case = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let (rendered, findings) = render_case(&case, &read(&dir.join("old.factum")), &read(path));
        match case.as_str() {
            "compatible" => assert!(findings.is_empty(), "`compatible` has findings:\n{rendered}"),
            "several-findings" => assert!(findings.len() > 3, "`several-findings` has few findings:\n{rendered}"),
            // The rule holds before any comparison: the schema checks reject the new schema with an error.
            _ if rendered.starts_with(REJECTED) => {
                assert!(rendered.contains(": error["), "`{case}` is rejected without an error:\n{rendered}")
            }
            _ => {
                let rule = RULES
                    .iter()
                    .filter(|rule| case.starts_with(rule.name))
                    .max_by_key(|rule| rule.name.len())
                    .unwrap_or_else(|| panic!("`{case}` is named after no rule"));
                assert!(
                    findings.iter().any(|finding| finding.rule.id == rule.id),
                    "`{case}` does not report {} {}:\n{rendered}",
                    rule.id,
                    rule.name
                );
            }
        }
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn every_rule_has_a_case() {
    for rule in RULES {
        assert!(corpus_dir().join(rule.name).join("new.factum").is_file(), "no case `tests/evolution/{}/`", rule.name);
    }
}

/// Every schema of the corpus that compiles, and the order domain.
fn schemas() -> Vec<(String, String)> {
    let mut schemas = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
        .unwrap_or_default();
    cases.sort();
    for case in cases {
        for file in ["old.factum", "new.factum"] {
            let path = case.join(file);
            let source = read(&path);
            if compile_source(file, &source).is_ok() {
                schemas.push((path.display().to_string(), source));
            }
        }
    }
    let orders = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/orders.factum");
    schemas.push((orders.display().to_string(), read(&orders)));
    schemas
}

#[test]
fn a_schema_is_compatible_with_itself_and_its_lock() {
    for (name, source) in schemas() {
        let schema = compile(&name, &source);
        let lock = evolution::lock_text(&schema);
        let locked = Snapshot::from_lock("x.lock", &lock).unwrap_or_else(|error| panic!("`{name}`: {error}"));
        assert_eq!(locked.to_lock(), lock, "`{name}`: the lock does not round-trip");
        assert_eq!(locked.events, Snapshot::from_schema(&schema).events, "`{name}`: the lock loses events");
        assert!(check_against(&locked, &schema).is_empty(), "`{name}` is not compatible with its own lock");
        let itself = Snapshot::from_schema(&schema).with_source(name.as_str(), &source);
        assert!(check_against(&itself, &schema).is_empty(), "`{name}` is not compatible with itself");
    }
}

#[test]
fn lock_file_format() {
    let source = read(&corpus_dir().join("compatible/new.factum"));
    insta::assert_snapshot!(evolution::lock_text(&compile("new.factum", &source)));
}

#[test]
fn bad_lock_files_are_errors() {
    let source = read(&corpus_dir().join("released-shape-changed/old.factum"));
    let good = evolution::lock_text(&compile("old.factum", &source));
    let fingerprint = Snapshot::from_schema(&compile("old.factum", &source)).events[0].versions[0].fingerprint();
    let cases = [
        ("not json", "this is not json".to_owned()),
        ("empty object", "{}".to_owned()),
        ("format as text", good.replace("\"format\": 1", "\"format\": \"one\"")),
        ("future format", good.replace("\"format\": 1", "\"format\": 2")),
        ("unknown entry", good.replace("\"format\": 1", "\"format\": 1, \"extra\": true")),
        ("edited field type", good.replace("\"amount\": \"u32\"", "\"amount\": \"u64\"")),
        ("edited fingerprint", good.replace(&fingerprint, "0000000000000000")),
        ("unknown type", good.replace("\"amount\": \"u32\"", "\"amount\": \"Money\"")),
        ("malformed type", good.replace("\"amount\": \"u32\"", "\"amount\": \"[u32\"")),
        ("duplicate version", {
            let events = Snapshot::from_lock("x", &good).map(|snapshot| snapshot.events).unwrap_or_default();
            assert_eq!(events.len(), 1);
            let text: serde_json::Value = serde_json::from_str(&good).unwrap_or_default();
            let version = text["events"]["OrderPaid"]["versions"][0].clone();
            let mut edited = text.clone();
            edited["events"]["OrderPaid"]["versions"] = serde_json::json!([version.clone(), version]);
            edited.to_string()
        }),
    ];
    let mut out = String::new();
    for (what, text) in cases {
        let error = Snapshot::from_lock("orders.factum.lock", &text).expect_err(what);
        out.push_str(&format!("{what}: {error}\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn check_files_reads_schemas_and_locks() {
    let case = corpus_dir().join("several-findings");
    let (old, new) = (case.join("old.factum"), case.join("new.factum"));
    let against_schema = evolution::check_files(&new, &old).unwrap_or_else(|error| panic!("{error}"));
    assert!(against_schema.iter().any(Finding::is_breaking));

    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let lock = dir.path().join("old.factum.lock");
    let old_schema = compile("old.factum", &read(&old));
    std::fs::write(&lock, evolution::lock_text(&old_schema)).unwrap_or_else(|error| panic!("{error}"));
    let against_lock = evolution::check_files(&new, &lock).unwrap_or_else(|error| panic!("{error}"));
    let messages = |findings: &[Finding]| findings.iter().map(|finding| finding.message.clone()).collect::<Vec<_>>();
    assert_eq!(messages(&against_lock), messages(&against_schema));

    let missing = evolution::check_files(&new, &dir.path().join("missing.lock"));
    assert!(matches!(missing, Err(evolution::EvolutionError::Fs(_))));
    assert_eq!(evolution::lock_path(Path::new("schemas/orders.factum")), Path::new("schemas/orders.factum.lock"));
}

#[test]
fn rules_doc_is_in_sync() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/evolution-rules.md");
    let rendered = evolution::rules::rules_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap_or_else(|error| panic!("{error}"));
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == rendered,
        "`docs/evolution-rules.md` is out of date: run `UPDATE_DOCS=1 cargo test -p factum-codegen --test evolution`"
    );
}

#[test]
fn build_scripts_can_check_against_the_lock() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let schema = dir.path().join("orders.factum");
    let case = corpus_dir().join("released-shape-changed");
    let write = |path: &Path, text: &str| std::fs::write(path, text).unwrap_or_else(|error| panic!("{error}"));
    let old_source = read(&case.join("old.factum"));
    write(&schema, &old_source);
    let config = || factum_codegen::Config::new().out_dir(dir.path().join("out")).emit_rerun_if_changed(false);

    // No lock yet: nothing to check against.
    config().check_against_lock(true).compile(&[&schema]).unwrap_or_else(|error| panic!("{error}"));
    write(&evolution::lock_path(&schema), &evolution::lock_text(&compile("orders.factum", &old_source)));
    config().check_against_lock(true).compile(&[&schema]).unwrap_or_else(|error| panic!("{error}"));

    write(&schema, &read(&case.join("new.factum")));
    match config().check_against_lock(true).compile(&[&schema]) {
        Err(factum_codegen::BuildError::Breaking { errors, .. }) => {
            let codes: Vec<&str> = errors.diagnostics.iter().map(|diagnostic| diagnostic.code).collect();
            assert_eq!(codes, ["factum::released-shape-changed"]);
        }
        other => panic!("expected breaking changes, got {other:?}"),
    }
    // Off by default.
    config().compile(&[&schema]).unwrap_or_else(|error| panic!("{error}"));
}

/// A schema of several sources: findings point into the new source that holds the change, and name the old source
/// the entry was declared in.
#[test]
fn findings_point_into_their_own_sources() {
    let sources = |events: &str| {
        let mut sources = factum_codegen::sources::SourceMap::new();
        sources.add("orders.factum", "aggregate Order {\n    id: String\n    command Place {} emits OrderPlaced\n}\n");
        sources.add("events.factum", events);
        sources
    };
    let compile_all =
        |sources: &factum_codegen::sources::SourceMap| match factum_codegen::compile_sources("orders", sources) {
            Ok((schema, _warnings)) => schema,
            Err(errors) => panic!("the sources do not compile:\n{}", errors.to_plain_string()),
        };
    let old_sources = sources("event OrderPlaced v1 { customer: String }\n");
    let old = Snapshot::from_schema(&compile_all(&old_sources)).with_sources("orders", old_sources);
    let new_sources = sources("\nevent OrderPlaced v1 { customer: String, total: u64 }\n");
    let findings = check_against(&old, &compile_all(&new_sources));
    assert_eq!(
        evolution::render_plain_in("orders", &new_sources, &findings),
        "events.factum:2:42: error[E006 field-added-without-default]: field `total` was added to released \
         `OrderPlaced v1` (old: events.factum:1:7) (help: keep `v1` as it was, declare `v2` with it, and \
         `upcast OrderPlaced v1 -> v2 { total = <value> }`)\n"
    );
}
