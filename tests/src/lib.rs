//! End-to-end tests of Factum. `build.rs` compiles the test schemas; `tests/` includes the generated code and
//! exercises it against the runtime, and `ui/` holds the compile errors users meet.

/// The runtime under another path, as a platform crate would re-export it (`tests/reexport.rs` generates code
/// against it).
pub mod platform {
    pub use factum;
}
