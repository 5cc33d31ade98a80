//! The derive-macro front end: a Rust module whose items carry inert attributes (`#[event]`, `#[data]`,
//! `#[aggregate(...)]`, `#[command(...)]`, `#[projection(...)]`), lowered into the same model as a `.factum`
//! schema, checked by the same checks, and emitted by the same emitters, impls only, since the user wrote the types.
//!
//! `lower.rs` turns the items into a [`crate::model::Schema`], one source per item, recording which tokens each span
//! was made from (`recorder.rs`); `expand.rs` checks the model and assembles the module again, or reports every
//! error on its culprit with stubs beside them. `attrs.rs` holds the attribute and key names. The
//! `#[factum::domain]` attribute in `factum-macros` parses the module and calls [`expand_domain`].

mod attrs;
mod expand;
mod lower;
mod recorder;

pub use expand::{expand_domain, DomainArgs};
pub use lower::{lower_items, Lowered};

use crate::{diagnostics::SchemaErrors, ir, Diagnostic};

/// Lowers and checks the items of the module `module`: the checked model and its warnings, or every diagnostic with
/// the sources it points into (one per item, named `module::Item`).
pub fn compile_domain(module: &str, items: &[syn::Item]) -> Result<(ir::Schema, Vec<Diagnostic>), SchemaErrors> {
    let lowered = lower_items(module, items);
    crate::check::check_after(&lowered.schema, lowered.diagnostics)
        .map_err(|diagnostics| SchemaErrors::new(module, lowered.sources, diagnostics))
}

#[cfg(test)]
mod tests;
