//! Factum's procedural macros, a thin shell: parse the input, call `factum-codegen`, emit its tokens or its
//! diagnostics as `compile_error!`. Use them through the `factum` crate (`factum::schema!`, `#[factum::domain]`).

use proc_macro::TokenStream;
use syn::parse::{Parse, ParseStream};

/// Expands a `.factum` schema in place: `factum::schema!("schemas/orders.factum")`.
///
/// The path is relative to the crate's `Cargo.toml` folder, or starts with an environment variable set while
/// compiling: `"$SCHEMAS/orders.factum"`. Editing the schema rebuilds the crate. A schema with errors fails the build
/// with every diagnostic, pointed at the path literal; its warnings are warnings there (`use of deprecated constant
/// ...`, whose note is the diagnostic). A crate that reaches the runtime through a re-export names it:
/// `factum::schema!("schemas/orders.factum", crate = ::platform::factum)`.
#[proc_macro]
pub fn schema(input: TokenStream) -> TokenStream {
    let SchemaInput { path, runtime_path } = syn::parse_macro_input!(input as SchemaInput);
    let mut options = factum_codegen::Options::default();
    if let Some(runtime_path) = runtime_path {
        options.runtime_path = runtime_path;
    }
    let env = |name: &str| std::env::var(name).ok();
    factum_codegen::expand_schema_macro(&env, &path.value(), path.span(), &options).into()
}

/// Declares a domain in Rust: the module's events, data types, aggregates, commands and projections, marked with
/// inert attributes, are checked as a schema is, and the module gains what the schema route generates around them.
///
/// ```text
/// #[factum::domain]
/// pub mod bank {
///     #[event]
///     pub struct Deposited { pub amount: u64 }
///
///     #[aggregate(id = Uuid)]
///     pub struct Account;
///
///     #[derive(Default)]
///     pub struct AccountState { pub balance: u64 }
///
///     #[command(emits(Deposited))]
///     pub struct Deposit { pub amount: u64 }
/// }
/// ```
///
/// Every error is reported at once on the token at fault, beside stubs of the generated names. The README's
/// "Domains declared in Rust" section lists the attributes and their keys. A crate that reaches the runtime through
/// a re-export names it: `#[factum::domain(crate = ::platform::factum)]`.
#[proc_macro_attribute]
pub fn domain(args: TokenStream, input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as factum_codegen::derive::DomainArgs);
    let module = syn::parse_macro_input!(input as syn::ItemMod);
    factum_codegen::derive::expand_domain(&args, module).into()
}

/// `"path"` or `"path", crate = some::path`.
struct SchemaInput {
    path: syn::LitStr,
    runtime_path: Option<syn::Path>,
}

impl Parse for SchemaInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path = input.parse()?;
        let mut runtime_path = None;
        if input.parse::<Option<syn::Token![,]>>()?.is_some() && !input.is_empty() {
            input.parse::<syn::Token![crate]>()?;
            input.parse::<syn::Token![=]>()?;
            runtime_path = Some(input.parse()?);
            input.parse::<Option<syn::Token![,]>>()?;
        }
        Ok(SchemaInput { path, runtime_path })
    }
}
