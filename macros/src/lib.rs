//! Factum's procedural macros, a thin shell: parse the input, call `factum-codegen`, emit its tokens or its
//! diagnostics as `compile_error!`. Use them through the `factum` crate (`factum::schema!`).

use proc_macro::TokenStream;

/// Expands a `.factum` schema in place: `factum::schema!("schemas/orders.factum")`.
///
/// The path is relative to the crate's `Cargo.toml` folder. Editing the schema rebuilds the crate. A schema with
/// errors fails the build with every diagnostic, pointed at the path literal.
#[proc_macro]
pub fn schema(input: TokenStream) -> TokenStream {
    let path = syn::parse_macro_input!(input as syn::LitStr);
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    factum_codegen::expand_schema_macro(std::path::Path::new(&manifest_dir), &path.value(), path.span()).into()
}
