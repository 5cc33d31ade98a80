//! Generates the conference domain's types from `schemas/conference.factum` into `OUT_DIR`, refusing a schema change
//! that would break reading the events its lock file (`schemas/conference.factum.lock`) says were released.

fn main() -> Result<(), factum_codegen::BuildError> {
    factum_codegen::Config::new().check_against_lock(true).compile(&["../../schemas/conference.factum"])
}
