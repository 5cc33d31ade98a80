//! The order domain declared twice, with `#[factum::domain]` (`derive/orders.rs`) and through
//! `schemas/orders.factum`: the same checked model, the same generated impls and public names, the same lock, and
//! the same given/when/then scenarios (`derive/rules.rs`, included beside each) pass against both.
//!
//! To update the snapshots after an intended change: `cargo insta test -p factum-tests --test derive_equivalence`,
//! then review them.

mod derive;

/// The domain declared in Rust, with the rules and scenarios.
mod via_derive {
    use crate::derive::orders::*;
    include!("derive/rules.rs");
}

/// The same domain through the schema file, with the same rules and scenarios.
mod via_schema {
    factum::schema!("../schemas/orders.factum");
    include!("derive/rules.rs");
}

use factum_codegen::{evolution, ir, Items, Options};

/// The checked model of `schemas/orders.factum`.
fn from_schema() -> ir::Schema {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/orders.factum");
    let source = std::fs::read_to_string(path).unwrap();
    factum_codegen::compile_source("orders.factum", &source).unwrap().0
}

/// The checked model of the module `orders` in `derive/orders.rs`, lowered from its items as the macro does.
fn from_derive() -> ir::Schema {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/derive/orders.rs")).unwrap();
    let file = syn::parse_file(&source).unwrap();
    let module = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "orders" => module.content.as_ref(),
            _ => None,
        })
        .expect("derive/orders.rs declares `mod orders { ... }`");
    let (schema, warnings) = factum_codegen::derive::compile_domain("orders", &module.1)
        .unwrap_or_else(|errors| panic!("{}", errors.to_plain_string()));
    assert_eq!(warnings, [], "the derive orders domain has no warnings");
    schema
}

/// Asserts two generated texts are equal, showing the first line that differs.
fn assert_same(derived: &str, written: &str) {
    let first = derived.lines().zip(written.lines()).position(|(a, b)| a != b);
    if let Some(line) = first {
        panic!(
            "line {}: derive `{}`, schema `{}`",
            line + 1,
            derived.lines().nth(line).unwrap_or_default(),
            written.lines().nth(line).unwrap_or_default()
        );
    }
    assert_eq!(derived.lines().count(), written.lines().count(), "the same lines, then more in one");
}

fn half(schema: &ir::Schema, items: Items) -> String {
    let mut options = Options::default();
    options.items = items;
    factum_codegen::format(factum_codegen::generate(schema, &options), "orders")
}

/// Every public item of the generated code, as `kind Name`: the API users program against.
fn public_items(schema: &ir::Schema) -> Vec<String> {
    let file: syn::File = syn::parse2(factum_codegen::generate(schema, &Options::default())).unwrap();
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => Some(format!("struct {}", item.ident)),
            syn::Item::Enum(item) => Some(format!("enum {}", item.ident)),
            syn::Item::Type(item) => Some(format!("type {}", item.ident)),
            syn::Item::Trait(item) => {
                let methods: Vec<String> = item
                    .items
                    .iter()
                    .filter_map(|member| match member {
                        syn::TraitItem::Fn(method) => Some(method.sig.ident.to_string()),
                        _ => None,
                    })
                    .collect();
                Some(format!("trait {} {{ {} }}", item.ident, methods.join(", ")))
            }
            syn::Item::Impl(item) => {
                let self_ty = &item.self_ty;
                let self_ty = quote::quote!(#self_ty);
                Some(match &item.trait_ {
                    Some((_, path, _)) => format!("impl {} for {self_ty}", quote_path(path)),
                    None => {
                        let methods = item.items.iter().filter_map(|inner| match inner {
                            syn::ImplItem::Fn(function) => Some(function.sig.ident.to_string()),
                            _ => None,
                        });
                        format!("impl {self_ty} {{ {} }}", methods.collect::<Vec<_>>().join(", "))
                    }
                })
            }
            _ => None,
        })
        .collect()
}

fn quote_path(path: &syn::Path) -> String {
    quote::quote!(#path).to_string()
}

#[test]
fn both_routes_generate_the_same_impls() {
    let (derived, mut written) = (from_derive(), from_schema());
    // The one thing the derive route cannot say: docs of an upcasting step (an attribute's argument has no doc
    // comment), which the schema's custom step has on its trait method.
    for version in written.events.iter_mut().flat_map(|event| event.versions.iter_mut()) {
        if let Some(upcast) = &mut version.upcast {
            upcast.docs.clear();
        }
    }
    assert_same(&half(&derived, Items::Impls), &half(&written, Items::Impls));
    // The types half too: the derive route takes the types it lacks from it, and the user's types stand for the rest.
    assert_same(&half(&derived, Items::Types), &half(&written, Items::Types));
    let public = public_items(&derived);
    assert_eq!(public, public_items(&written));
    insta::assert_snapshot!("derive_orders_public_items", public.join("\n"));
}

#[test]
fn both_routes_lock_the_same_shapes() {
    let written = evolution::lock_text(&from_schema());
    assert_eq!(evolution::lock_text(&from_derive()), written);
    // The module exports its lock, and its model as text whose lock is the same again.
    assert_eq!(derive::orders::factum_lock(), written);
    let (reread, _) = factum_codegen::compile_source("orders.factum", derive::orders::factum_model()).unwrap();
    assert_eq!(evolution::lock_text(&reread), written);
    insta::assert_snapshot!("derive_orders_model", derive::orders::factum_model());
}
