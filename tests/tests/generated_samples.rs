//! The code generated for the samples of random valid schemas (`schemas/generated/`), written by
//! `codegen/tests/valid_schemas.rs` and compiled by `build.rs`: that this file compiles against the runtime is the
//! test (records, enums, event versions and the conversions of declarative upcasts with their literal defaults).

/// The code generated from `schemas/generated/sample_0.factum`.
pub mod sample_0 {
    factum::include_schema!("sample_0");
}

/// The code generated from `schemas/generated/sample_1.factum`.
pub mod sample_1 {
    factum::include_schema!("sample_1");
}

/// The code generated from `schemas/generated/sample_2.factum`.
pub mod sample_2 {
    factum::include_schema!("sample_2");
}

/// The code generated from `schemas/generated/sample_3.factum`.
pub mod sample_3 {
    factum::include_schema!("sample_3");
}
