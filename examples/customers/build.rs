//! Generates the customer registry's types from `schemas/customers.factum` into `OUT_DIR`, refusing a schema change
//! that would break reading the events its lock file (`schemas/customers.factum.lock`) says were released.

fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::Config::new().check_against_lock(true).compile(&["../../schemas/customers.factum"])
}
