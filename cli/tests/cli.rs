//! The `factum` command as users run it: exit codes and output, snapshotted.
//!
//! To update after an intended change: `INSTA_UPDATE=always cargo test -p factum-cli`, then review the diff of
//! `tests/snapshots/` in git.

use std::{path::Path, process::Command};

/// Runs `factum` with `args` from the workspace root, returning the exit code and what it printed (stdout, then
/// stderr), without colours.
fn factum(args: &[&str]) -> (i32, String) {
    factum_in(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap(), args)
}

/// Runs `factum` with `args` from `dir` (a temporary folder, for commands that write files), like [`factum`].
fn factum_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_factum"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    let printed = format!(
        "--- stdout ---\n{}--- stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), printed)
}

#[test]
fn check_accepts_a_valid_schema_with_a_summary() {
    let (code, printed) = factum(&["check", "schemas/orders.factum"]);
    assert_eq!(code, 0, "{printed}");
    insta::assert_snapshot!(printed);
}

#[test]
fn check_reports_every_error_and_fails() {
    let (code, printed) = factum(&["check", "schemas/orders.factum", "tests/ui/schema/broken.factum"]);
    assert_eq!(code, 1, "{printed}");
    insta::assert_snapshot!(printed);
}

#[test]
fn check_reports_a_missing_file() {
    let (code, printed) = factum(&["check", "schemas/missing.factum"]);
    assert_eq!(code, 1, "{printed}");
    insta::assert_snapshot!(printed);
}

#[test]
fn generate_prints_what_a_build_would_generate() {
    let (code, printed) = factum(&["generate", "schemas/orders.factum"]);
    assert_eq!(code, 0, "{printed}");
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/orders.factum")).unwrap();
    let expected = factum_codegen::generate_source("schemas/orders.factum", &source, &Default::default()).unwrap();
    assert_eq!(printed, format!("--- stdout ---\n{expected}--- stderr ---\n"));
}

#[test]
fn generate_writes_into_a_folder_only_when_changed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (code, printed) = factum(&["generate", "schemas/orders.factum", "-o", out]);
    assert_eq!(code, 0, "{printed}");
    let written = dir.path().join("orders.rs");
    let modified = std::fs::metadata(&written).unwrap().modified().unwrap();
    assert!(std::fs::read_to_string(&written).unwrap().starts_with("// @generated"));

    let (code, printed) = factum(&["generate", "schemas/orders.factum", "-o", out]);
    assert_eq!(code, 0, "{printed}");
    assert_eq!(
        std::fs::metadata(&written).unwrap().modified().unwrap(),
        modified,
        "an unchanged file is not rewritten"
    );
}

/// A temporary folder holding `files` copied from `codegen/tests/evolution/`, as (source, name in the folder).
fn evolution_case(files: &[(&str, &str)]) -> tempfile::TempDir {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/evolution");
    let dir = tempfile::tempdir().unwrap();
    for (source, name) in files {
        std::fs::copy(corpus.join(source), dir.path().join(name)).unwrap();
    }
    dir
}

#[test]
fn lock_writes_the_lock_and_check_uses_it() {
    let dir = evolution_case(&[("compatible/old.factum", "orders.factum")]);
    let (code, wrote) = factum_in(dir.path(), &["lock", "orders.factum"]);
    assert_eq!(code, 0, "{wrote}");
    let lock = std::fs::read_to_string(dir.path().join("orders.factum.lock")).unwrap();
    assert!(lock.contains("\"format\": 1"), "{lock}");
    let (code, again) = factum_in(dir.path(), &["lock", "orders.factum"]);
    assert_eq!(code, 0, "{again}");
    let (code, checked) = factum_in(dir.path(), &["check", "orders.factum"]);
    assert_eq!(code, 0, "{checked}");

    // The schema evolves compatibly: still ok against the lock.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/evolution/compatible/new.factum"),
        dir.path().join("orders.factum"),
    )
    .unwrap();
    let (code, evolved) = factum_in(dir.path(), &["check", "orders.factum"]);
    assert_eq!(code, 0, "{evolved}");
    insta::assert_snapshot!(format!("{wrote}{again}{checked}{evolved}"));
}

#[test]
fn check_against_the_lock_fails_on_breaking_changes() {
    let dir = evolution_case(&[("several-findings/old.factum", "orders.factum")]);
    let (code, printed) = factum_in(dir.path(), &["lock", "orders.factum"]);
    assert_eq!(code, 0, "{printed}");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/evolution/several-findings/new.factum"),
        dir.path().join("orders.factum"),
    )
    .unwrap();
    let (code, checked) = factum_in(dir.path(), &["check", "orders.factum"]);
    assert_eq!(code, 1, "{checked}");
    insta::assert_snapshot!(checked);
}

#[test]
fn lock_refuses_breaking_changes_unless_accepted() {
    let dir = evolution_case(&[("several-findings/old.factum", "orders.factum")]);
    let (code, printed) = factum_in(dir.path(), &["lock", "orders.factum"]);
    assert_eq!(code, 0, "{printed}");
    let lock = dir.path().join("orders.factum.lock");
    let released = std::fs::read_to_string(&lock).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/evolution/several-findings/new.factum"),
        dir.path().join("orders.factum"),
    )
    .unwrap();
    // The lock guards what was released: locking the breaking schema writes nothing.
    let (code, refused) = factum_in(dir.path(), &["lock", "orders.factum"]);
    assert_eq!(code, 1, "{refused}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), released, "a refused lock is left as it was");
    // Accepting them writes it, and lists what was accepted.
    let (code, accepted) = factum_in(dir.path(), &["lock", "orders.factum", "--accept-breaking"]);
    assert_eq!(code, 0, "{accepted}");
    assert_ne!(std::fs::read_to_string(&lock).unwrap(), released);
    let (code, checked) = factum_in(dir.path(), &["check", "orders.factum"]);
    assert_eq!(code, 0, "{checked}");
    insta::assert_snapshot!(format!("{refused}{accepted}{checked}"));
}

#[test]
fn lock_keeps_a_lock_it_cannot_read_unless_accepted() {
    let dir = evolution_case(&[("compatible/old.factum", "orders.factum")]);
    let lock = dir.path().join("orders.factum.lock");
    std::fs::write(&lock, "{\"format\": 7}").unwrap();
    let (code, refused) = factum_in(dir.path(), &["lock", "orders.factum"]);
    assert_eq!(code, 1, "{refused}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "{\"format\": 7}");
    let (code, replaced) = factum_in(dir.path(), &["lock", "orders.factum", "--accept-breaking"]);
    assert_eq!(code, 0, "{replaced}");
    assert!(std::fs::read_to_string(&lock).unwrap().contains("\"format\": 1"));
    insta::assert_snapshot!(format!("{refused}{replaced}"));
}

#[test]
fn check_against_an_older_schema_lists_every_breaking_change() {
    let dir = evolution_case(&[
        ("field-type-changed/old.factum", "old.factum"),
        ("field-type-changed/new.factum", "new.factum"),
    ]);
    let (code, printed) = factum_in(dir.path(), &["check", "new.factum", "--against", "old.factum"]);
    assert_eq!(code, 1, "{printed}");
    insta::assert_snapshot!(printed);
}

#[test]
fn check_against_prints_notes_and_passes() {
    let dir = evolution_case(&[
        ("enum-variant-added/old.factum", "old.factum"),
        ("enum-variant-added/new.factum", "new.factum"),
    ]);
    let (code, printed) = factum_in(dir.path(), &["check", "new.factum", "--against", "old.factum"]);
    assert_eq!(code, 0, "{printed}");
    insta::assert_snapshot!(printed);
}

#[test]
fn check_against_a_bad_lock_or_schema_is_an_error() {
    let dir = evolution_case(&[("compatible/new.factum", "orders.factum")]);
    std::fs::write(dir.path().join("orders.factum.lock"), "{\"format\": 7}").unwrap();
    let (code, future) = factum_in(dir.path(), &["check", "orders.factum"]);
    assert_eq!(code, 1, "{future}");
    std::fs::write(dir.path().join("broken.factum"), "event OrderCreated v1 { customer: Strin }\n").unwrap();
    let (code, broken) = factum_in(dir.path(), &["check", "orders.factum", "--against", "broken.factum"]);
    assert_eq!(code, 1, "{broken}");
    let (code, two) = factum_in(dir.path(), &["check", "orders.factum", "orders.factum", "--against", "broken.factum"]);
    assert_eq!(code, 2, "{two}");
    insta::assert_snapshot!(format!("{future}{broken}{two}"));
}

#[test]
fn fixtures_writes_one_sample_per_version_and_keeps_released_ones() {
    let dir = evolution_case(&[("compatible/old.factum", "orders.factum")]);
    let (code, first) = factum_in(dir.path(), &["fixtures", "orders.factum"]);
    assert_eq!(code, 0, "{first}");
    let fixtures = dir.path().join("fixtures/orders");
    let mut written: Vec<_> =
        std::fs::read_dir(&fixtures).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    written.sort();

    // A released fixture stands for stored events: a second run keeps an edited one unless told to overwrite it.
    let edited = fixtures.join(&written[0]);
    std::fs::write(&edited, "{\"as\": \"stored\"}\n").unwrap();
    let (code, second) = factum_in(dir.path(), &["fixtures", "orders.factum"]);
    assert_eq!(code, 0, "{second}");
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "{\"as\": \"stored\"}\n");
    let (code, third) = factum_in(dir.path(), &["fixtures", "orders.factum", "--overwrite"]);
    assert_eq!(code, 0, "{third}");
    assert_ne!(std::fs::read_to_string(&edited).unwrap(), "{\"as\": \"stored\"}\n");
    insta::assert_snapshot!(format!("{}\n{first}{second}{third}", written.join("\n")));
}
