//! Snapshots of the Rust generated for every schema in the workspace's `schemas/` folder and in `tests/schemas/`.
//!
//! To update after an intended change: `INSTA_UPDATE=always cargo test -p factum-codegen --test generate`, then
//! review the diff of `tests/snapshots/` in git before committing. The examples and `factum-tests` compile the same
//! schemas against the runtime, so a snapshot here is never of code that does not build.

use std::path::Path;

#[test]
fn generated_code_of_every_domain_schema() {
    check_folder("../schemas");
}

#[test]
fn generated_code_of_every_test_schema() {
    check_folder("../tests/schemas");
}

/// Snapshots the code generated for each `.factum` file of `folder` (relative to this crate).
fn check_folder(folder: &str) {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&schemas).unwrap().map(|entry| entry.unwrap().path()).collect();
    entries.sort();
    for path in entries.into_iter().filter(|path| path.extension().is_some_and(|ext| ext == "factum")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let code = factum_codegen::generate_source(&name, &source, &factum_codegen::Options::default())
            .unwrap_or_else(|errors| panic!("{name} does not compile:\n{}", errors.to_plain_string()));
        insta::assert_snapshot!(format!("generated_{}", name.trim_end_matches(".factum")), code);
        seen += 1;
    }
    assert!(seen > 0, "no schema found in {}", schemas.display());
}

#[test]
fn runtime_path_can_point_at_a_re_export() {
    let source = "event Pinged v1 { at: Timestamp }\n\
                  aggregate Pinger { id: String\n command Ping { } emits Pinged }\n";
    let options = factum_codegen::Options { runtime_path: syn::parse_quote!(::platform::factum) };
    let code = factum_codegen::generate_source("ping.factum", source, &options).unwrap();
    assert!(code.contains("::platform::factum::__private::Timestamp"), "{code}");
    assert!(code.contains("impl ::platform::factum::Aggregate for Pinger"), "{code}");
    assert!(!code.contains(" ::factum::"), "a path escaped the configured runtime path:\n{code}");
}
