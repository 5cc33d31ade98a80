//! Generates the bank account's types from `schemas/account.factum` into `OUT_DIR`.

fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::compile_schemas(&["schemas/account.factum"])
}
