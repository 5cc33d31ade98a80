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
    let mut options = factum_codegen::Options::default();
    options.runtime_path = syn::parse_quote!(::platform::factum);
    let code = factum_codegen::generate_source("ping.factum", source, &options).unwrap();
    assert!(code.contains("::platform::factum::__private::Timestamp"), "{code}");
    assert!(code.contains("impl ::platform::factum::Aggregate for Pinger"), "{code}");
    assert!(!code.contains(" ::factum::"), "a path escaped the configured runtime path:\n{code}");
}

/// Adding a version of an event renames nothing: every version keeps its own type, the plain name moves to the
/// latest, and a custom step already written keeps its signature.
#[test]
fn adding_a_version_keeps_every_existing_name() {
    let three =
        "event Paid v1 { amount: u32 }\nevent Paid v2 { amount: u64 }\nevent Paid v3 { amount: u64, note: String }\n\
                 upcast Paid v1 -> v2 {}\nupcast Paid v2 -> v3 custom\n\
                 aggregate Till { id: Uuid\n command Pay { amount: u64 } emits Paid }\n";
    let four =
        format!("{three}event Paid v4 {{ amount: u64, note: String, tip: u64 }}\nupcast Paid v3 -> v4 {{ tip = 0 }}\n");
    let check = |source: &str, latest: &str| {
        let code = factum_codegen::generate_source("paid.factum", source, &factum_codegen::Options::default())
            .unwrap_or_else(|errors| panic!("{}", errors.to_plain_string()));
        for expected in [
            "pub struct PaidV1 {",
            "pub struct PaidV2 {",
            "pub struct PaidV3 {",
            "fn v2_to_v3(event: PaidV2) -> PaidV3;",
        ] {
            assert!(code.contains(expected), "`{expected}` is missing:\n{code}");
        }
        assert!(code.contains(&format!("pub type Paid = {latest};")), "`Paid` does not name {latest}:\n{code}");
    };
    check(three, "PaidV3");
    check(&four, "PaidV4");
}

/// The state fingerprint of aggregate `Box` in `source`.
fn state_fingerprint(source: &str) -> String {
    let (schema, _) = factum_codegen::compile_source("box.factum", source)
        .unwrap_or_else(|errors| panic!("{source} does not compile:\n{}", errors.to_plain_string()));
    schema
        .aggregates
        .iter()
        .find(|aggregate| aggregate.name.name == "Box")
        .expect("aggregate `Box`")
        .state_fingerprint
        .clone()
}

/// Checks whether the state `block` (the body of `Box`'s `state { ... }`, beside the types in `types`) has the same
/// fingerprint as the state `against`: a snapshot of one must be read as the other exactly when it would decode so.
fn check_state_fingerprint(types: &str, block: &str, against: &str, same: bool) {
    let schema = |state: &str| {
        format!(
            "{types}\nevent Packed v1 {{ n: u32 }}\n\
             aggregate Box {{ id: Uuid\n state {{ {state} }}\n command Pack {{ n: u32 }} emits Packed }}\n"
        )
    };
    let (one, other) = (state_fingerprint(&schema(block)), state_fingerprint(&schema(against)));
    assert_eq!(one == other, same, "`{block}` against `{against}`: {one} and {other}");
    assert_eq!(one.len(), 16);
}

#[test]
fn the_state_fingerprint_follows_the_state_shape() {
    let types = "type Item { sku: String, count: u32 }\nenum Size { Small, Large }";
    check_state_fingerprint(types, "count: u32, name: String", "name: String, count: u32", true);
    check_state_fingerprint(types, "/// How many.\ncount: u32", "count: u32", true);
    check_state_fingerprint(types, "count: u32", "count: u64", false);
    check_state_fingerprint(types, "count: u32", "count: u32?", false);
    check_state_fingerprint(types, "count: u32", "total: u32", false);
    check_state_fingerprint(types, "count: u32", "count: u32, name: String", false);
    check_state_fingerprint(types, "items: [Item]", "items: [Item]", true);
    // A named type changed in place changes every state that holds it.
    let (before, after) =
        (state_fingerprint_with("type Item { sku: String }"), state_fingerprint_with("type Item { sku: u64 }"));
    assert_ne!(before, after);
    check_state_fingerprint(types, "size: Size?", "size: String?", false);
}

/// The fingerprint of a state holding `[Item]`, `Item` declared by `item`.
fn state_fingerprint_with(item: &str) -> String {
    state_fingerprint(&format!(
        "{item}\nevent Packed v1 {{ n: u32 }}\naggregate Box {{ id: Uuid\n state {{ items: [Item] }}\n \
         command Pack {{ n: u32 }} emits Packed }}\n"
    ))
}
