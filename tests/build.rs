//! Compiles the test schemas, so that every form the generator emits is built against the runtime, and the samples
//! of random valid schemas (`schemas/generated/`, written by `codegen/tests/valid_schemas.rs`) with them.

fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::compile_schemas(&[
        "schemas/every_form.factum",
        "schemas/evolving.factum",
        "schemas/generated/sample_0.factum",
        "schemas/generated/sample_1.factum",
        "schemas/generated/sample_2.factum",
        "schemas/generated/sample_3.factum",
        "schemas/keywords.factum",
    ])
}
