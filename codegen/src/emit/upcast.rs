//! Reading every stored version of an event: a `From` impl per declarative upcasting step, a trait for the `custom`
//! steps the user writes, and the `Versioned` impl of the latest type that decodes a stored version as its own type
//! and walks the typed chain up to the latest — never through an intermediate JSON value.

use proc_macro2::{Literal as TokenLiteral, TokenStream};
use quote::{format_ident, quote};

use super::{event_set, rust, Context};
use crate::{
    evolution::{compare, Compat, Widening},
    model::{Builtin, EventDef, LiteralKind, TypeKind, TypeRef, UpcastBody, UpcastDef, UpcastStep},
    names,
};

/// The upcasting code of every event of the schema.
pub(super) fn emit(context: &Context<'_>) -> TokenStream {
    let events = context.schema.event_names().into_iter().map(|name| event(context, name));
    quote!(#(#events)*)
}

fn event(context: &Context<'_>, name: &str) -> TokenStream {
    let runtime = context.runtime;
    let private = context.private();
    let schema = context.schema;
    let Some(latest) = schema.latest_event(name) else { return TokenStream::new() };
    let mut versions: Vec<&EventDef> = schema.event_versions(name).collect();
    versions.sort_by_key(|def| def.version);
    let latest_type = rust::ident(name);

    let steps: Vec<&UpcastDef> = versions.iter().filter_map(|def| schema.upcast_from(name, def.version)).collect();
    let from_impls = steps.iter().filter_map(|step| match &step.body {
        UpcastBody::Steps(changes) => Some(declarative_step(context, step, changes)),
        UpcastBody::Custom(_) => None,
    });
    let custom_trait = custom_trait(name, latest.version, &steps);

    let stored_names = event_set::stored_names(context, name);
    let version_numbers: Vec<TokenLiteral> =
        versions.iter().map(|def| TokenLiteral::u32_unsuffixed(def.version)).collect();
    let decode_arms = versions.iter().map(|def| {
        let version = TokenLiteral::u32_unsuffixed(def.version);
        let stored_type = rust::ident(&names::event_version_type(name, def.version, latest.version));
        let chain = chain(context, name, def.version, latest.version);
        quote! {
            #version => {
                let event = #runtime::decode_payload::<#stored_type>(payload)?;
                #chain
                #private::Result::Ok(event)
            }
        }
    });

    quote! {
        #(#from_impls)*
        #custom_trait

        #[automatically_derived]
        impl #runtime::Versioned for #latest_type {
            const STORED_NAMES: &'static [&'static str] = &[#(#stored_names),*];
            const VERSIONS: &'static [u32] = &[#(#version_numbers),*];

            fn decode_stored(
                name: &str,
                version: u32,
                payload: &[u8],
            ) -> #private::Result<Self, #runtime::DecodeErrorKind> {
                match version {
                    #(#decode_arms)*
                    _ => #private::Result::Err(#runtime::unknown_version::<Self>(name, version)),
                }
            }
        }
    }
}

/// The statements that turn `event`, of version `from`, into the latest version, one step at a time.
fn chain(context: &Context<'_>, name: &str, from: u32, latest: u32) -> TokenStream {
    let steps = (from..latest).map(|version| {
        let next = rust::ident(&names::event_version_type(name, version + 1, latest));
        let previous = rust::ident(&names::event_version_type(name, version, latest));
        match context.schema.upcast_from(name, version).map(|step| &step.body) {
            Some(UpcastBody::Custom(_)) => {
                let upcasts = rust::ident(&names::upcast_trait(name));
                let method = rust::ident(&names::upcast_method(version, version + 1));
                let latest_type = rust::ident(name);
                quote!(let event: #next = <#latest_type as #upcasts>::#method(event);)
            }
            // The checks guarantee a step for every version but the latest; a declarative one is a `From` impl.
            _ => quote!(let event = <#next as ::core::convert::From<#previous>>::from(event);),
        }
    });
    quote!(#(#steps)*)
}

/// The trait holding an event's `custom` steps, one method each, implemented by the user for the latest type.
fn custom_trait(name: &str, latest: u32, steps: &[&UpcastDef]) -> TokenStream {
    let methods: Vec<TokenStream> = steps
        .iter()
        .filter(|step| matches!(step.body, UpcastBody::Custom(_)))
        .map(|step| {
            let method = rust::ident(&names::upcast_method(step.from, step.to));
            let from = rust::ident(&names::event_version_type(name, step.from, latest));
            let to = rust::ident(&names::event_version_type(name, step.to, latest));
            let docs = rust::docs(&step.docs, || format!("Upcasts `{name}` v{} to v{}.", step.from, step.to));
            quote!(#docs fn #method(event: #from) -> #to;)
        })
        .collect();
    if methods.is_empty() {
        return TokenStream::new();
    }
    let upcasts = rust::ident(&names::upcast_trait(name));
    let doc = format!(
        " The `custom` upcasting steps of `{name}`, written by hand: implement it for [`{name}`]. Every stored `{name}` \
         of an older version is read through these methods."
    );
    quote! {
        #[doc = #doc]
        pub trait #upcasts {
            #(#methods)*
        }
    }
}

/// `From<Old> for New` for a declarative step: each field of the newer version is carried over (converted when
/// safely widened), renamed, or given its literal default.
fn declarative_step(context: &Context<'_>, step: &UpcastDef, changes: &[UpcastStep]) -> TokenStream {
    let schema = context.schema;
    let name = &step.event.name;
    let latest = schema.latest_event(name).map_or(step.to, |def| def.version);
    let (Some(old), Some(new)) = (schema.event_version(name, step.from), schema.event_version(name, step.to)) else {
        return TokenStream::new();
    };
    let old_type = rust::ident(&names::event_version_type(name, step.from, latest));
    let new_type = rust::ident(&names::event_version_type(name, step.to, latest));
    let mut carries_any = false;
    let fields: Vec<TokenStream> = new
        .fields
        .iter()
        .map(|field| {
            let target = rust::ident(&field.name.name);
            let default = changes.iter().find_map(|change| match change {
                UpcastStep::Default { field: defaulted, value } if defaulted.name == field.name.name => Some(value),
                _ => None,
            });
            if let Some(value) = default {
                let value = literal(context, &value.kind, &field.ty);
                return quote!(#target: #value,);
            }
            let source_name = changes
                .iter()
                .find_map(|change| match change {
                    UpcastStep::Rename { from, to } if to.name == field.name.name => Some(from.name.as_str()),
                    _ => None,
                })
                .unwrap_or(&field.name.name);
            let Some(source) = old.fields.iter().find(|old_field| old_field.name.name == source_name) else {
                // The checks reject a field with no source; keep the output compiling into a clear rustc error.
                return quote!(#target: ::core::compile_error!("field without a source"),);
            };
            carries_any = true;
            let source_ident = rust::ident(source_name);
            let value = convert(context, quote!(old.#source_ident), &source.ty, &field.ty);
            quote!(#target: #value,)
        })
        .collect();
    let parameter = if carries_any { format_ident!("old") } else { format_ident!("_old") };
    let doc = format!(" The declared upcasting step of `{name}` from v{} to v{}.", step.from, step.to);
    quote! {
        #[doc = #doc]
        #[automatically_derived]
        impl ::core::convert::From<#old_type> for #new_type {
            // Widenings inside lists and options map each item through one uniform closure, which clippy would rather
            // see as a bare path.
            #[allow(clippy::redundant_closure)]
            fn from(#parameter: #old_type) -> Self {
                #new_type { #(#fields)* }
            }
        }
    }
}

/// Converts `value` of type `from` into type `to`, as `evolution::compare` judges them: unchanged, or safely widened
/// (the checks reject a step that would need anything else).
fn convert(context: &Context<'_>, value: TokenStream, from: &TypeRef, to: &TypeRef) -> TokenStream {
    match compare(context.schema, from, to) {
        Compat::Widening(widening) => widen(value, &widening),
        Compat::Same | Compat::Breaking(_) => value,
    }
}

/// The expression that widens `value` as `widening` says, level by level.
fn widen(value: TokenStream, widening: &Widening) -> TokenStream {
    match widening {
        Widening::Integer { .. } => quote!(::core::convert::From::from(#value)),
        Widening::IntegerToFloat { .. } => quote!(#value as f64),
        Widening::Wrap(None) => quote!(::core::option::Option::Some(#value)),
        Widening::Wrap(Some(inner)) => {
            let inner = widen(value, inner);
            quote!(::core::option::Option::Some(#inner))
        }
        Widening::List(inner) => {
            let inner = widen(quote!(item), inner);
            quote!(#value.into_iter().map(|item| #inner).collect())
        }
        Widening::Option(inner) => {
            let inner = widen(quote!(value), inner);
            quote!(#value.map(|value| #inner))
        }
        Widening::MapValue(inner) => {
            let inner = widen(quote!(value), inner);
            quote!(#value.into_iter().map(|(key, value)| (key, #inner)).collect())
        }
    }
}

/// The Rust expression of a literal default for a field of type `ty` (the checks accepted the pairing).
fn literal(context: &Context<'_>, value: &LiteralKind, ty: &TypeRef) -> TokenStream {
    let private = context.private();
    match (value, &ty.kind) {
        (LiteralKind::None, _) => quote!(#private::Option::None),
        (value, TypeKind::Option(inner)) => {
            let inner = literal(context, value, inner);
            quote!(#private::Option::Some(#inner))
        }
        (LiteralKind::String(text), _) => quote!(#private::String::from(#text)),
        (LiteralKind::Integer(number), TypeKind::Builtin(builtin)) => integer(*number, *builtin),
        (LiteralKind::Float(number), _) => {
            let number = TokenLiteral::f64_suffixed(*number);
            quote!(#number)
        }
        (LiteralKind::Bool(true), _) => quote!(true),
        (LiteralKind::Bool(false), _) => quote!(false),
        (LiteralKind::EmptyList, _) => quote!(#private::Vec::new()),
        (LiteralKind::EmptyMap, _) => quote!(#private::Map::new()),
        (LiteralKind::Variant(variant), TypeKind::Named(enum_name)) => {
            let enum_name = rust::ident(enum_name);
            let variant = rust::ident(variant);
            quote!(#enum_name::#variant)
        }
        // The checks reject every other pairing; keep the output compiling into a clear rustc error.
        _ => quote!(::core::compile_error!("literal does not fit the field's type")),
    }
}

/// An integer literal with the suffix of the field's type, so rustc checks its range once more.
fn integer(number: i128, builtin: Builtin) -> TokenStream {
    let literal = match builtin {
        Builtin::I32 => i32::try_from(number).map(TokenLiteral::i32_suffixed).ok(),
        Builtin::I64 => i64::try_from(number).map(TokenLiteral::i64_suffixed).ok(),
        Builtin::U32 => u32::try_from(number).map(TokenLiteral::u32_suffixed).ok(),
        Builtin::U64 => u64::try_from(number).map(TokenLiteral::u64_suffixed).ok(),
        Builtin::F64 => Some(TokenLiteral::f64_suffixed(number as f64)),
        _ => None,
    };
    match literal {
        Some(literal) => quote!(#literal),
        None => quote!(::core::compile_error!("integer literal out of range for the field's type")),
    }
}
