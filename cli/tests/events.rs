//! `factum events export` and `import` on real SQLite files, through the real binary: the round trip, the selection
//! of `export`, and import refusing a bad file with every bad line named and nothing written.
//!
//! To update after an intended change: `INSTA_UPDATE=always cargo test -p factum-cli --test events`, then review the
//! diff of `tests/snapshots/` in git.

use std::path::Path;
use std::process::Command;

use factum_testkit::postgres::ScratchSchema;

/// A history of two customers: times with offsets and fractions, a line with metadata, one with an aggregate type,
/// versions given on some lines and not on others, payloads with spaces between their tokens and in their strings.
/// Every line has an id, so that exports are the same every run.
const CUSTOMERS: &str = r#"{"id": "00000000-0000-7000-8000-000000000001", "stream": "Customer-C1", "event": "CustomerRegistered", "event_version": 1, "recorded_at": "2021-02-01T01:00:00Z", "payload": {"name": "Ada", "points": 10, "categories": ["player"]}}
{"id": "00000000-0000-7000-8000-000000000002", "stream": "Customer-C2", "version": 1, "event": "CustomerRegistered", "event_version": 1, "recorded_at": "2021-02-01T09:30:00+07:00", "metadata": {"correlation_id": "00000000-0000-7000-8000-0000000000aa", "headers": {"source": "crm"}}, "payload": {"name": "Bob", "points": 0, "categories": []}}

{"id": "00000000-0000-7000-8000-000000000003", "stream": "Customer-C1", "version": 2, "event": "CustomerChanged", "event_version": 1, "recorded_at": "2021-02-03T00:00:00.25Z", "aggregate_type": "Customer", "payload": { "name": "Ada L", "points": 12, "categories": ["player", "vip"], "note": "a  spaced\tstring"}}
{"id": "00000000-0000-7000-8000-000000000004", "stream": "Customer-C2", "event": "CustomerDeleted", "event_version": 2, "recorded_at": "2021-02-04T00:00:00.000001Z", "payload": {}}
"#;

/// Runs `factum` with `args` in `dir`, returning the exit code, stdout and stderr, without colours.
fn factum_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_factum"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color")
        .output()
        .expect("the factum binary runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

/// Imports `file` (written into `dir` under `name`) into the store `store`; returns the exit code and what was printed.
fn import(dir: &Path, store: &str, name: &str, file: &str) -> (i32, String, String) {
    std::fs::write(dir.join(name), file).expect("the file is written");
    factum_in(dir, &["events", "import", "--store", store, name])
}

/// Exports the store with `extra` arguments, asserting success; returns the lines.
fn export(dir: &Path, store: &str, extra: &[&str]) -> String {
    let args: Vec<&str> = ["events", "export", "--store", store].iter().chain(extra).copied().collect();
    let (code, stdout, stderr) = factum_in(dir, &args);
    assert_eq!(code, 0, "export failed: {stderr}");
    assert_eq!(stderr, "");
    stdout
}

#[test]
fn export_import_export_gives_the_same_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = import(dir.path(), "sqlite:first.db", "customers.jsonl", CUSTOMERS);
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    assert_eq!(stdout, "imported 4 events into 2 streams from `customers.jsonl` (the log now ends at position 4)\n");
    let exported = export(dir.path(), "sqlite:first.db", &[]);
    insta::assert_snapshot!("exported_customers", exported);

    let (code, _, stderr) = import(dir.path(), "sqlite:second.db", "exported.jsonl", &exported);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(export(dir.path(), "sqlite:second.db", &[]), exported);
}

#[test]
fn lines_without_ids_or_versions_get_fresh_ids_and_the_next_versions() {
    let dir = tempfile::tempdir().unwrap();
    let file = [
        r#"{"stream": "S", "event": "A", "event_version": 1, "recorded_at": "2021-01-01T00:00:00Z", "payload": {}}"#,
        r#"{"stream": "S", "event": "B", "event_version": 1, "recorded_at": "2021-01-01T00:00:00Z", "payload": {}}"#,
    ];
    for round in 0..2 {
        let (code, _, stderr) = import(dir.path(), "sqlite:events.db", "plain.jsonl", &file.join("\n"));
        assert_eq!(code, 0, "round {round}: {stderr}");
    }
    let exported = export(dir.path(), "sqlite:events.db", &[]);
    let lines: Vec<serde_json::Value> = exported.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let versions: Vec<u64> = lines.iter().map(|line| line["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, [1, 2, 3, 4]);
    let ids: std::collections::HashSet<&str> = lines.iter().map(|line| line["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4, "every event has an id of its own: {exported}");
}

#[test]
fn export_selects_a_stream_and_a_first_position() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = import(dir.path(), "sqlite:events.db", "customers.jsonl", CUSTOMERS);
    assert_eq!(code, 0, "{stderr}");
    let cases: &[(&[&str], &[u64])] = &[
        (&[], &[1, 2, 3, 4]),
        (&["--from", "3"], &[3, 4]),
        (&["--from", "0"], &[1, 2, 3, 4]),
        (&["--from", "5"], &[]),
        (&["--stream", "Customer-C1"], &[1, 3]),
        (&["--stream", "Customer-C2", "--from", "3"], &[4]),
        (&["--stream", "Customer-C3"], &[]),
    ];
    for &(arguments, expected) in cases {
        let exported = export(dir.path(), "sqlite:events.db", arguments);
        let positions: Vec<u64> = exported
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["position"].as_u64().unwrap())
            .collect();
        assert_eq!(positions, expected, "{arguments:?}");
    }
}

/// One line of the format, with `fields` (JSON members) in place of the defaults of the same name.
fn line(fields: &str) -> String {
    let mut value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        r#"{"stream": "Customer-C9", "event": "CustomerRegistered", "event_version": 1,
            "recorded_at": "2021-03-01T00:00:00Z", "payload": {"name": "Cy"}}"#,
    )
    .unwrap();
    let extra: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&format!("{{{fields}}}")).unwrap();
    for (key, field) in extra {
        match field {
            serde_json::Value::Null => value.remove(&key),
            field => value.insert(key, field),
        };
    }
    serde_json::Value::Object(value).to_string()
}

#[test]
fn a_bad_file_is_refused_with_every_bad_line_named_and_nothing_written() {
    let good = line("");
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "unparsable",
            vec![good.clone(), "{\"stream\": \"S\",".into(), "not json".into(), "[1]".into(), "\"text\"".into()],
        ),
        ("missing_field", vec![good.clone(), line(r#""event": null"#), line(r#""payload": null"#)]),
        ("unknown_field", vec![line(r#""evnet": "Typo""#)]),
        ("wrong_type", vec![line(r#""event_version": "1""#), line(r#""id": "not-a-uuid""#)]),
        (
            "bad_timestamp",
            vec![
                line(r#""recorded_at": "2021-02-30T00:00:00Z""#),
                line(r#""recorded_at": "2021-02-01T00:00:00""#),
                line(r#""recorded_at": "yesterday""#),
                line(r#""recorded_at": "2021-02-01T00:00:00.000000001Z""#),
            ],
        ),
        ("empty_names", vec![line(r#""stream": """#), line(r#""event": """#), line(r#""event_version": 0"#)]),
        (
            "version_out_of_order",
            vec![
                line(r#""version": 1"#),
                line(r#""version": 3"#),
                line(r#""stream": "Customer-C1", "version": 1"#),
                line(r#""stream": "Customer-C1""#),
                line(r#""stream": "Customer-C1", "version": 4"#),
            ],
        ),
        (
            "duplicate_id",
            vec![
                line(r#""id": "00000000-0000-7000-8000-0000000000ff""#),
                good.clone(),
                line(r#""id": "00000000-0000-7000-8000-0000000000ff""#),
            ],
        ),
        ("id_already_stored", vec![good.clone(), line(r#""id": "00000000-0000-7000-8000-000000000003""#)]),
        ("metadata_with_an_unknown_key", vec![line(r#""metadata": {"tenant": "acme"}"#)]),
        ("more_bad_lines_than_are_listed", (0..25).map(|index| format!("line {index}")).collect()),
    ];
    for (name, lines) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = import(dir.path(), "sqlite:events.db", "customers.jsonl", CUSTOMERS);
        assert_eq!(code, 0, "{stderr}");
        let before = export(dir.path(), "sqlite:events.db", &[]);

        let (code, stdout, stderr) = import(dir.path(), "sqlite:events.db", "bad.jsonl", &lines.join("\n"));
        assert_eq!((code, stdout.as_str()), (1, ""), "{name}: {stderr}");
        insta::assert_snapshot!(name, stderr);
        assert_eq!(export(dir.path(), "sqlite:events.db", &[]), before, "{name}: the refused import wrote something");
    }
}

#[test]
fn a_store_or_file_that_cannot_be_opened_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("bad_store_url", &["events", "export", "--store", "events.db"]),
        ("missing_import_file", &["events", "import", "--store", "memory:", "missing.jsonl"]),
        ("store_in_a_missing_folder", &["events", "export", "--store", "sqlite:missing/events.db"]),
    ];
    for &(name, args) in cases {
        let (code, stdout, stderr) = factum_in(dir.path(), args);
        assert_eq!((code, stdout.as_str()), (1, ""), "{name}: {stderr}");
        insta::assert_snapshot!(name, stderr);
    }
}

#[test]
fn importing_into_memory_checks_a_file_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = import(dir.path(), "memory:", "customers.jsonl", CUSTOMERS);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(stdout.starts_with("imported 4 events into 2 streams"), "{stdout}");
    assert_eq!(export(dir.path(), "memory:", &[]), "", "a memory store lives as long as one command");
}

/// Every line of an export without its `position`, which differs between stores (PostgreSQL's have gaps).
fn without_positions(exported: &str) -> Vec<serde_json::Value> {
    let mut lines: Vec<serde_json::Value> = exported.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    for line in &mut lines {
        line.as_object_mut().unwrap().remove("position");
    }
    lines
}

#[test]
fn a_postgres_store_imports_and_exports_what_an_sqlite_store_does() {
    let dir = tempfile::tempdir().unwrap();
    let schema = ScratchSchema::new(format!("test_cli_{}", std::process::id()));
    let store = schema.url();
    let (code, stdout, stderr) = import(dir.path(), &store, "customers.jsonl", CUSTOMERS);
    assert_eq!((code, stderr.as_str()), (0, ""), "the import into `{store}` failed: {stdout}");
    let (code, _, stderr) = import(dir.path(), "sqlite:events.db", "customers.jsonl", CUSTOMERS);
    assert_eq!(code, 0, "{stderr}");
    let from_postgres = export(dir.path(), &store, &[]);
    assert_eq!(without_positions(&from_postgres), without_positions(&export(dir.path(), "sqlite:events.db", &[])));
    // The same file again is refused (its versions are taken), and nothing is written.
    let (code, _, stderr) = import(dir.path(), &store, "customers.jsonl", CUSTOMERS);
    assert_eq!(code, 1, "a second import of the same lines must fail");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(export(dir.path(), &store, &[]), from_postgres);
}
