//! Small pieces every emitter uses: Rust types for schema types, doc attributes, fields, derives, sum enums.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Context, Halves};
use crate::{
    ir::{Field, Type},
    model::{Builtin, Docs},
    names::RustName,
};

/// `#[doc = "..."]` attributes for the user's doc lines, or for `fallback` when there are none (or only blank ones,
/// which would leave the item with an empty doc that clippy's `empty_docs` rejects).
pub(super) fn docs(docs: &Docs, fallback: impl FnOnce() -> String) -> TokenStream {
    if docs.iter().all(|line| line.trim().is_empty()) {
        let line = format!(" {}", fallback());
        return quote!(#[doc = #line]);
    }
    let lines = docs.iter().map(|line| format!(" {line}"));
    quote!(#(#[doc = #lines])*)
}

/// The Rust type of a schema type.
pub(super) fn rust_type(context: &Context<'_>, ty: &Type) -> TokenStream {
    let private = context.private();
    match ty {
        Type::Builtin(builtin) => match builtin {
            Builtin::Bool => quote!(bool),
            Builtin::I32 => quote!(i32),
            Builtin::I64 => quote!(i64),
            Builtin::U32 => quote!(u32),
            Builtin::U64 => quote!(u64),
            Builtin::F64 => quote!(f64),
            Builtin::String => quote!(#private::String),
            Builtin::Bytes => quote!(#private::Bytes),
            Builtin::Uuid => quote!(#private::Uuid),
            Builtin::Timestamp => quote!(#private::Timestamp),
            Builtin::Date => quote!(#private::Date),
        },
        Type::Record(id) => {
            let name = context.schema.record(*id).rust.ident();
            quote!(#name)
        }
        Type::Enum(id) => {
            let name = context.schema.enumeration(*id).rust.ident();
            quote!(#name)
        }
        Type::List(item) => {
            let item = rust_type(context, item);
            quote!(#private::Vec<#item>)
        }
        Type::Option(inner) => {
            let inner = rust_type(context, inner);
            quote!(#private::Option<#inner>)
        }
        Type::Map(key, value) => {
            let key = rust_type(context, key);
            let value = rust_type(context, value);
            quote!(#private::Map<#key, #value>)
        }
    }
}

/// The fields of a struct, with docs (`owner` says whose field it is, for the fallback doc) and the extra attributes
/// configured for them (`owners` are the names that select the struct). A field named after a Rust keyword is a raw
/// identifier, which serde stores under the name as written (`r#type` as `type`).
pub(super) fn fields(context: &Context<'_>, fields: &[Field], owners: &[&str], owner: &str) -> TokenStream {
    let fields = fields.iter().map(|field| {
        let docs = docs(&field.docs, || format!("The `{}` of {owner}.", field.name.name));
        let attributes = context.field_attributes(owners, &field.name.name);
        let name = field.rust.ident();
        let ty = rust_type(context, &field.ty);
        quote!(#docs #attributes pub #name: #ty,)
    });
    quote!(#(#fields)*)
}

/// The derives and serde attribute every serializable record carries.
pub(super) fn record_derives(context: &Context<'_>, default: bool) -> TokenStream {
    record_derives_at(&context.private(), &context.serde_path, default)
}

/// [`record_derives`] with the runtime's hidden path (`::factum::__private`) and serde's path as a string.
pub(super) fn record_derives_at(private: &TokenStream, serde_path: &str, default: bool) -> TokenStream {
    let default = default.then(|| quote!(#private::Default,));
    quote! {
        #[derive(#private::Debug, #private::Clone, ::core::cmp::PartialEq, #default
            #private::serde::Serialize, #private::serde::Deserialize)]
        #[serde(crate = #serde_path)]
    }
}

/// The derives and serde attribute of an enumeration.
pub(super) fn enum_derives_at(private: &TokenStream, serde_path: &str) -> TokenStream {
    quote! {
        #[derive(#private::Debug, #private::Clone, ::core::marker::Copy, ::core::cmp::PartialEq, ::core::cmp::Eq,
            ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord,
            #private::serde::Serialize, #private::serde::Deserialize)]
        #[serde(crate = #serde_path)]
    }
}

/// The derives of an aggregate's marker.
pub(super) fn marker_derives_at(private: &TokenStream) -> TokenStream {
    quote!(#[derive(#private::Debug, #private::Clone, ::core::marker::Copy, #private::Default)])
}

/// An enum with one variant per type, each variant named like the type it holds (the types half), and `From` each
/// type (the impls half, written by the runtime's `from_variants!` macro): the shape of command enums, event enums and outcome enums. `variants` pairs each type's
/// name with its variant's doc.
pub(super) fn sum_enum(context: &Context<'_>, name: &RustName, doc: &str, variants: &[(&RustName, String)]) -> Halves {
    let private = context.private();
    let attributes = context.type_attributes(&[name.as_str()]);
    let name = name.ident();
    let doc = format!(" {doc}");
    let types: Vec<_> = variants.iter().map(|(ty, _)| ty.ident()).collect();
    let docs = variants.iter().map(|(_, doc)| format!(" {doc}"));
    let definition = quote! {
        #[doc = #doc]
        #[derive(#private::Debug, #private::Clone, ::core::cmp::PartialEq)]
        #[allow(clippy::large_enum_variant)]
        #attributes
        pub enum #name {
            #(#[doc = #docs] #types(#types),)*
        }
    };
    let from_impls = quote! {
        #private::from_variants!(#name { #(#types),* });
    };
    Halves { types: definition, impls: from_impls }
}
