//! End-to-end tests of Factum. `build.rs` compiles the test schemas; `tests/` includes the generated code and
//! exercises it against the runtime, and `ui/` holds the compile errors users meet.

/// The runtime under another path, as a platform crate would re-export it (`tests/reexport.rs` generates code
/// against it).
pub mod platform {
    pub use factum;
}

/// Checks that the sample payload `factum fixtures` writes for every version of every event of `schema_file` (in
/// `schemas/`) that `E` holds reads back through the generated code; panics naming the first that does not.
///
/// Fixtures stand for stored events, so a sample the generated types cannot read would make every fixture test a
/// lie.
pub fn check_samples<E: factum::EventSet>(schema_file: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(schema_file);
    let source = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {schema_file}: {error}"));
    let (schema, _warnings) = factum_codegen::compile_source(schema_file, &source)
        .unwrap_or_else(|errors| panic!("{}", errors.to_plain_string()));
    let samples = factum_codegen::fixtures::fixtures(&schema);
    assert_eq!(samples.len(), schema.version_count(), "one sample per declared version");
    for sample in samples.iter().filter(|sample| E::contains(&sample.event)) {
        E::decode(&sample.event, sample.version, sample.payload.as_bytes()).unwrap_or_else(|error| {
            panic!("the sample of {} v{} does not read: {error}\n{}", sample.event, sample.version, sample.payload)
        });
    }
}
