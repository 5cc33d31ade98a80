//! Compile errors users meet with `factum::schema!`: the cases are `<category>/<what-went-wrong>.rs` beside this
//! crate's `Cargo.toml`, each with the `.stderr` rustc must print, and `tests/ui.rs` runs them with trybuild.
//!
//! They live in a crate of their own because trybuild builds them with this crate's dependencies, in a target folder
//! of its own: the fewer the dependencies, the less is compiled twice.
