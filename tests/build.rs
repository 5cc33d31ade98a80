//! Compiles the test schemas, so that every form the generator emits is built against the runtime.

fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::compile_schemas(&[
        "schemas/every_form.factum",
        "schemas/evolving.factum",
        "schemas/keywords.factum",
    ])
}
