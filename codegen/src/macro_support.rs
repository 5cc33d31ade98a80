//! What `factum::schema!` does, kept here so that the proc-macro crate holds no logic: read the schema, compile it,
//! and turn failures into `compile_error!`s at the path literal.

use std::path::Path;

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

use crate::{diagnostics::SchemaErrors, emit::Options, fs};

/// The expansion of `schema!(<relative_path>)` for a crate whose manifest folder is `manifest_dir`; errors are
/// reported at `span` (the literal).
pub fn expand_schema_macro(manifest_dir: &Path, relative_path: &str, span: Span, options: &Options) -> TokenStream {
    let path = manifest_dir.join(relative_path);
    let source = match fs::read_schema(&path) {
        Ok(source) => source,
        Err(error) => {
            let message = format!("{error}");
            return quote_spanned!(span=> ::core::compile_error!(#message););
        }
    };
    // Including the file's bytes makes cargo track it, so editing the schema rebuilds the crate.
    let tracked = path.display().to_string();
    let track = quote_spanned!(span=> const _: &[u8] = ::core::include_bytes!(#tracked););
    match crate::compile_source(relative_path, &source) {
        Ok((schema, _warnings)) => {
            let generated = crate::generate(&schema, options);
            quote::quote!(#track #generated)
        }
        Err(errors) => {
            // Only errors fail the build; warnings are for `factum check` and build scripts, which can print them.
            let errors = SchemaErrors {
                diagnostics: errors.diagnostics.into_iter().filter(|diagnostic| diagnostic.is_error()).collect(),
                ..errors
            };
            let messages = errors.to_plain_string();
            let errors = messages.lines().map(|line| quote_spanned!(span=> ::core::compile_error!(#line);));
            quote::quote!(#track #(#errors)*)
        }
    }
}
