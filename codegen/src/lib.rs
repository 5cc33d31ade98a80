//! Factum's schema compiler: the `.factum` grammar and parser, the semantic checks, diagnostics, the
//! front-end-agnostic [`model`], the checked model [`ir`], the Rust emitter and the `build.rs` API.
//!
//! The pipeline is `parse` (text to [`model::Schema`]) → [`check()`] (every problem at once, or the checked
//! [`ir::Schema`]) → [`generate`] (tokens) → [`format()`] (prettyplease). [`compile_schemas`] and [`Config`] wrap it
//! for `build.rs`; the `factum::schema!` macro and the `factum` CLI call the same functions. All file-system access
//! lives in [`fs`].
//!
//! The default feature `render` brings what shows results to people: diagnostics rendered graphically by miette,
//! generated code formatted by prettyplease, and the build.rs API, which does both. The proc macro turns it off.

// pest is built without `std` (see the workspace manifest: its stack probe costs a seventh of parsing time), and the
// parser it derives then names the `alloc` crate from the crate root.
extern crate alloc;

pub mod check;
pub mod diagnostics;
mod emit;
pub mod evolution;
pub mod fixtures;
pub mod fs;
mod index;
pub mod ir;
pub mod model;
pub mod names;
mod parser;
pub mod types;

#[cfg(feature = "render")]
mod build;
mod macro_support;

#[cfg(feature = "render")]
pub use build::{compile_schemas, BuildError, Config};
pub use check::check;
pub use diagnostics::{Diagnostic, SchemaErrors, Severity};
#[cfg(feature = "render")]
pub use emit::format;
pub use emit::{generate, AttributeError, Items, Options};
pub use macro_support::expand_schema_macro;
pub use parser::parse;

/// Parses and checks one schema source: the checked model when it has no errors (warnings are returned beside it),
/// or every diagnostic at once: those the parser found while lowering the text, and every check's.
pub fn compile_source(name: &str, source: &str) -> Result<(ir::Schema, Vec<Diagnostic>), SchemaErrors> {
    let errors = |diagnostics| SchemaErrors {
        name: name.to_owned(),
        source: std::sync::Arc::new(source.to_owned()),
        diagnostics,
    };
    let (schema, lowering) = parser::parse_lowered(source);
    let Some(schema) = schema else { return Err(errors(lowering)) };
    check::check_after(&schema, lowering).map_err(errors)
}

/// Compiles one schema source to formatted Rust.
#[cfg(feature = "render")]
pub fn generate_source(name: &str, source: &str, options: &Options) -> Result<String, SchemaErrors> {
    let (schema, _warnings) = compile_source(name, source)?;
    Ok(format(generate(&schema, options), name))
}
