//! End-to-end tests of Factum. `build.rs` compiles the test schemas; `tests/` includes the generated code and
//! exercises it against the runtime, and `ui/` holds the compile errors users meet. The library itself is empty.
