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
#[cfg(feature = "derive")]
pub mod derive;
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
pub mod print;
pub mod sources;
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
/// or every diagnostic at once: those the parser found while lowering the text, and every check's. `name` names the
/// source and the schema, and the spans point into [`SourceId::FIRST`](model::SourceId::FIRST).
pub fn compile_source(name: &str, source: &str) -> Result<(ir::Schema, Vec<Diagnostic>), SchemaErrors> {
    compile_sources(name, &sources::SourceMap::single(name, source))
}

/// Parses every source of `sources` and checks them as one schema, `name`: its declarations are those of each
/// source in turn, and the diagnostics point into whichever source holds their culprit. Returns what
/// [`compile_source`] returns.
pub fn compile_sources(
    name: &str,
    sources: &sources::SourceMap,
) -> Result<(ir::Schema, Vec<Diagnostic>), SchemaErrors> {
    let errors = |diagnostics| SchemaErrors::new(name, sources.clone(), diagnostics);
    let mut schema = Some(model::Schema::default());
    let mut lowering = Vec::new();
    for (id, source) in sources.iter() {
        let (parsed, diagnostics) = parser::parse_lowered(id, &source.text);
        lowering.extend(diagnostics);
        // A source the grammar rejected contributes its diagnostics only; the others are still parsed, so that
        // their syntax errors are reported too.
        schema = schema.zip(parsed).map(|(mut schema, parsed)| {
            schema.append(parsed);
            schema
        });
    }
    let Some(schema) = schema else { return Err(errors(lowering)) };
    check::check_after(&schema, lowering).map_err(errors)
}

/// Compiles one schema source to formatted Rust.
#[cfg(feature = "render")]
pub fn generate_source(name: &str, source: &str, options: &Options) -> Result<String, SchemaErrors> {
    let (schema, _warnings) = compile_source(name, source)?;
    Ok(format(generate(&schema, options), name))
}
