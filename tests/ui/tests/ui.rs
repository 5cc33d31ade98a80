//! Compile errors users meet, checked with trybuild: `<category>/<what-went-wrong>.rs` and its `.stderr`.
//!
//! To update the expected output after an intended change: `TRYBUILD=overwrite cargo test -p factum-ui-tests`, then
//! review the `.stderr` diffs in git.

#[test]
fn compile_errors() {
    // trybuild compiles the cases in a scratch crate under the target folder, wherever that is (`CARGO_TARGET_DIR`
    // may point anywhere), so the cases cannot reach their schemas by a path relative to it. They start it with
    // `$FACTUM_UI_CASES`, which `schema!` reads while compiling: this folder.
    std::env::set_var("FACTUM_UI_CASES", env!("CARGO_MANIFEST_DIR"));
    let cases = trybuild::TestCases::new();
    // `common/` holds pieces the cases include, not cases.
    for category in ["decide", "derive", "evolve", "project", "schema", "upcast"] {
        cases.compile_fail(format!("{category}/*.rs"));
    }
    // What must compile: `derive/pass/`.
    cases.pass("derive/pass/*.rs");
}
