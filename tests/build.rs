//! Compiles the test schemas, so that every form the generator emits is built against the runtime, and the samples
//! of random valid schemas (`schemas/generated/`, written by `codegen/tests/valid_schemas.rs`) with them. Two
//! schemas exercise options: `handwritten.factum` gets its impls alone (its types are written in
//! `tests/handwritten.rs`), and `attributes.factum` gets extra attributes on its types and fields.

use factum_codegen::{Config, Items};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    factum_codegen::compile_schemas(&[
        "schemas/every_form.factum",
        "schemas/evolving.factum",
        "schemas/generated/sample_0.factum",
        "schemas/generated/sample_1.factum",
        "schemas/generated/sample_2.factum",
        "schemas/generated/sample_3.factum",
        "schemas/keywords.factum",
        "schemas/tally_v1.factum",
        "schemas/tally_v2.factum",
    ])?;
    Config::new().items(Items::Impls).compile(&["schemas/handwritten.factum"])?;
    Config::new()
        .type_attribute("PostedV1", "#[derive(Eq, Hash)]")?
        .type_attribute("Parcel", "#[derive(Eq, Hash, PartialOrd, Ord)]")?
        .field_attribute("Posted.to", "#[serde(alias = \"recipient\")]")?
        .compile(&["schemas/attributes.factum"])?;
    Ok(())
}
