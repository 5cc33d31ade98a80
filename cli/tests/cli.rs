//! The `factum` command as users run it: exit codes and output, snapshotted.
//!
//! To update after an intended change: `INSTA_UPDATE=always cargo test -p factum-cli`, then review the diff of
//! `tests/snapshots/` in git.

use std::{path::Path, process::Command};

/// Runs `factum` with `args` from the workspace root, returning the exit code and what it printed (stdout, then
/// stderr), without colours.
fn factum(args: &[&str]) -> (i32, String) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_factum"))
        .args(args)
        .current_dir(workspace)
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
