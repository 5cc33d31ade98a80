//! Generates the order domain's types from `schemas/orders.factum` into `OUT_DIR`.

fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::compile_schemas(&["../../schemas/orders.factum"])
}
