//! Compile errors users meet, checked with trybuild: `tests/ui/<category>/<what-went-wrong>.rs` and its `.stderr`.
//!
//! To update the expected output after an intended change: `TRYBUILD=overwrite cargo test -p factum-tests --test ui`,
//! then review the `.stderr` diffs in git. The cases reach the workspace's `schemas/` through the path trybuild's
//! scratch crate sits at (`target/tests/trybuild/factum-tests`), so they expect the default target folder.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    // `ui/common/` holds pieces the cases include, not cases.
    for category in ["decide", "evolve", "schema", "upcast"] {
        cases.compile_fail(format!("ui/{category}/*.rs"));
    }
}
