//! Generates the order domain's types from `schemas/orders.factum` into `OUT_DIR`, refusing a schema change that
//! would break reading the events its lock file (`schemas/orders.factum.lock`) says were released.

fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::Config::new().check_against_lock(true).compile(&["../../schemas/orders.factum"])
}
