//! What `factum::schema!` does, kept here so that the proc-macro crate holds no logic: find and read the schema,
//! compile it, and report at the path literal: errors as `compile_error!`s, with [`stubs`] of every name the user's
//! code may reference, and warnings as lints.

pub(crate) mod stubs;

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use crate::{
    diagnostics::{culprit::SpanTable, SchemaErrors},
    emit::Options,
    fs,
};

/// The expansion of `schema!(<written_path>)`; errors and warnings are reported at `span` (the literal).
///
/// `env` reads the compiler's environment: `CARGO_MANIFEST_DIR`, which a relative path is relative to, and the
/// variable a path may start with (`"$SCHEMAS/orders.factum"`), so that crates can name a schema folder wherever they
/// are built from (e.g. one set in `.cargo/config.toml`'s `[env]`).
pub fn expand_schema_macro(
    env: &dyn Fn(&str) -> Option<String>,
    written_path: &str,
    span: Span,
    options: &Options,
) -> TokenStream {
    let located = match locate(env, written_path) {
        Ok(located) => located,
        Err(message) => return quote_spanned!(span=> ::core::compile_error!(#message);),
    };
    let source = match fs::read_schema(&located.path) {
        Ok(source) => source,
        Err(error) => {
            let message = format!("cannot read `{written_path}` ({}): {}", located.relative_to, error.source);
            return quote_spanned!(span=> ::core::compile_error!(#message););
        }
    };
    // Including the file's bytes makes cargo track it, so editing the schema rebuilds the crate; naming the variable
    // with `env!` makes cargo track it too, so pointing it elsewhere rebuilds the crate as well.
    let tracked = located.path.display().to_string();
    let mut track = quote_spanned!(span=> const _: &[u8] = ::core::include_bytes!(#tracked););
    if let Some(variable) = &located.variable {
        track.extend(quote_spanned!(span=> const _: &str = ::core::env!(#variable);));
    }
    match crate::compile_source(written_path, &source) {
        Ok((schema, warnings)) => {
            let warnings = SchemaErrors::single(written_path, source, warnings);
            let lints = warnings.plain_lines().map(|line| warning_lint(&line, span));
            let generated = crate::generate(&schema, options);
            quote!(#track #(#lints)* #generated)
        }
        Err(errors) => {
            // Only errors fail the build; with them, warnings would only add noise. Nothing in a file resolves to a
            // token, so every error sits at the literal, saying where in the file it points.
            let errors = errors.to_syn_error(&SpanTable::new(), span).map(|error| error.to_compile_error());
            // Beside the errors, a stub for every name the parser could read, so that the code using them adds
            // no errors of its own. Parsing again costs little, and only on failure.
            let stubs = stubs::with_stubs(&stubs::readable(&source), errors.unwrap_or_default());
            quote!(#track #stubs)
        }
    }
}

/// A warning at `span`, on stable Rust, where proc macros cannot emit warnings: a deprecated constant, used at once,
/// whose deprecation note is the warning. rustc reports `use of deprecated constant ...: <message>` at the literal,
/// and `#[allow(deprecated)]` or `-D warnings` treat it like any other warning.
///
/// Everything sits inside `const _: () = { ... };`, so the names added collide with nothing of the user's.
pub(crate) fn warning_lint(message: &str, span: Span) -> TokenStream {
    quote_spanned! {span=>
        const _: () = {
            #[deprecated(note = #message)]
            #[allow(non_upper_case_globals)]
            const factum_schema_warning: () = ();
            factum_schema_warning
        };
    }
}

/// Where a written schema path leads.
#[derive(Debug, PartialEq, Eq)]
struct Located {
    /// The file.
    path: PathBuf,
    /// What a relative path was taken relative to, for messages.
    relative_to: String,
    /// The environment variable the path started with, if any.
    variable: Option<String>,
}

/// Resolves a written path: `$NAME/rest` starts from the variable `NAME`; anything else, and a relative `NAME`, from
/// the crate's manifest folder.
fn locate(env: &dyn Fn(&str) -> Option<String>, written: &str) -> Result<Located, String> {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR").unwrap_or_default());
    let Some(after_dollar) = written.strip_prefix('$') else {
        return Ok(Located {
            path: manifest_dir.join(written),
            relative_to: "relative to the folder of the crate's `Cargo.toml`".to_owned(),
            variable: None,
        });
    };
    let name_end = after_dollar.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after_dollar.len());
    let (name, rest) = after_dollar.split_at(name_end);
    if name.is_empty() || !(rest.is_empty() || rest.starts_with('/')) {
        return Err(format!(
            "`{written}` starts with `$` but not with a variable name and `/`: write `$NAME/path/to/schema.factum`"
        ));
    }
    let Some(value) = env(name) else {
        return Err(format!(
            "`{written}` starts with `${name}`, but the environment variable `{name}` is not set while compiling"
        ));
    };
    Ok(Located {
        path: manifest_dir.join(&value).join(rest.trim_start_matches('/')),
        relative_to: format!("`${name}` is `{value}`"),
        variable: Some(name.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment holding `vars`.
    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
    }

    fn check_locate(written: &str, expected: Result<(&str, Option<&str>), &str>) {
        let env = env_of(&[("CARGO_MANIFEST_DIR", "/crate"), ("SCHEMAS", "/shared/schemas"), ("NEAR", "near")]);
        let located = locate(&env, written);
        let located = located
            .as_ref()
            .map(|located| (located.path.to_str().unwrap(), located.variable.as_deref()))
            .map_err(String::as_str);
        assert_eq!(located, expected, "{written}");
    }

    #[test]
    fn paths_are_relative_to_the_manifest_or_start_from_a_variable() {
        check_locate("schemas/orders.factum", Ok(("/crate/schemas/orders.factum", None)));
        check_locate("/abs/orders.factum", Ok(("/abs/orders.factum", None)));
        check_locate("$SCHEMAS/orders.factum", Ok(("/shared/schemas/orders.factum", Some("SCHEMAS"))));
        check_locate("$SCHEMAS", Ok(("/shared/schemas/", Some("SCHEMAS"))));
        // A relative variable is relative to the manifest folder, like a written path.
        check_locate("$NEAR/orders.factum", Ok(("/crate/near/orders.factum", Some("NEAR"))));
        check_locate(
            "$MISSING/orders.factum",
            Err("`$MISSING/orders.factum` starts with `$MISSING`, but the environment variable `MISSING` is not \
                 set while compiling"),
        );
        check_locate(
            "$/orders.factum",
            Err("`$/orders.factum` starts with `$` but not with a variable name and `/`: write \
                 `$NAME/path/to/schema.factum`"),
        );
        check_locate(
            "$SCHEMAS-old/orders.factum",
            Err("`$SCHEMAS-old/orders.factum` starts with `$` but not with a variable name and `/`: write \
                 `$NAME/path/to/schema.factum`"),
        );
    }

    /// What the expansion reports: the notes of its warning lints and the messages of its `compile_error!`s (as
    /// items, or inside the type the stubs alias), in order.
    fn reported(tokens: TokenStream) -> (Vec<String>, Vec<String>) {
        let mut errors = Vec::new();
        compile_errors(tokens.clone(), &mut errors);
        let file: syn::File = syn::parse2(tokens).expect("the expansion parses as items");
        let mut warnings = Vec::new();
        for item in file.items {
            let syn::Item::Const(item) = item else { continue };
            let syn::Expr::Block(block) = *item.expr else { continue };
            for statement in block.block.stmts {
                let syn::Stmt::Item(syn::Item::Const(inner)) = statement else { continue };
                for attribute in inner.attrs.iter().filter(|attribute| attribute.path().is_ident("deprecated")) {
                    let syn::Meta::List(list) = &attribute.meta else { continue };
                    let note: syn::MetaNameValue = list.parse_args().unwrap();
                    let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(note), .. }) = note.value else {
                        panic!("a deprecation note is a string")
                    };
                    warnings.push(note.value());
                }
            }
        }
        (warnings, errors)
    }

    /// The message of every `compile_error!` in `tokens`, wherever it is.
    fn compile_errors(tokens: TokenStream, errors: &mut Vec<String>) {
        let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        for (index, token) in tokens.iter().enumerate() {
            match token {
                proc_macro2::TokenTree::Ident(ident) if ident == "compile_error" => {
                    if let Some(proc_macro2::TokenTree::Group(body)) = tokens.get(index + 2) {
                        errors.push(syn::parse2::<syn::LitStr>(body.stream()).unwrap().value());
                    }
                }
                proc_macro2::TokenTree::Group(group) => compile_errors(group.stream(), errors),
                _ => {}
            }
        }
    }

    /// Expands `schema!("schema.factum")` for a crate holding `source` there, and compares what it reports.
    fn check_expansion(source: &str, expected_warnings: &[&str], expected_errors: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("schema.factum"), source).unwrap();
        let manifest_dir = dir.path().to_str().unwrap().to_owned();
        let env = move |name: &str| (name == "CARGO_MANIFEST_DIR").then(|| manifest_dir.clone());
        let tokens = expand_schema_macro(&env, "schema.factum", Span::call_site(), &Options::default());
        let (warnings, errors) = reported(tokens);
        assert_eq!((warnings, errors), (owned(expected_warnings), owned(expected_errors)), "{source}");
    }

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|line| (*line).to_owned()).collect()
    }

    #[test]
    fn warnings_become_lints_and_errors_compile_errors() {
        let pinger = "aggregate Pinger {\n    id: String\n    command Ping { at: u64 } emits Pinged\n}\n";
        check_expansion(&format!("event Pinged v1 {{ at: u64 }}\n{pinger}"), &[], &[]);
        check_expansion(
            &format!("event Pinged v1 {{ at: u64 }}\nevent Ponged v1 {{ at: u64 }}\n{pinger}"),
            &["schema.factum:2:7: warning[factum::unused-event]: event `Ponged` is never emitted nor handled \
               (help: emit it from a command (`emits Ponged`), handle it in a projection (`on Ponged`), or remove it)"],
            &[],
        );
        // With errors, the warnings are left out: the errors are what stop the build.
        check_expansion(
            &format!("event Pinged v1 {{ at: u63 }}\nevent Ponged v1 {{ at: u64 }}\n{pinger}"),
            &[],
            &["schema.factum:1:23: error[factum::unknown-type]: unknown type `u63` (help: did you mean `u64`?)"],
        );
    }

    #[test]
    fn a_missing_file_is_reported_as_written() {
        let env = |name: &str| (name == "CARGO_MANIFEST_DIR").then(|| "/nowhere".to_owned());
        let tokens = expand_schema_macro(&env, "schemas/missing.factum", Span::call_site(), &Options::default());
        assert_eq!(
            reported(tokens),
            (
                vec![],
                owned(&["cannot read `schemas/missing.factum` (relative to the folder of the crate's `Cargo.toml`): \
                         No such file or directory (os error 2)"])
            )
        );
    }
}
