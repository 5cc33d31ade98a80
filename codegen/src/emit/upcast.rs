//! Reading every stored version of an event: a `From` impl per declarative upcasting step, a trait for the `custom`
//! steps the user writes, and the `Event` and `Versioned` impls (through the runtime's `event!` macro): a stored
//! version decodes as its own type and walks the typed chain up to the latest — never through an intermediate JSON
//! value.

use proc_macro2::{Literal as TokenLiteral, TokenStream};
use quote::{format_ident, quote, ToTokens};

use super::{Context, Halves};
use crate::{
    emit::rust,
    ir::{Event, EventVersion, FieldSource, UpcastKind},
    types::{Value, Widening},
};

/// The upcasting code of every event of the schema: all of it is of the impls half.
pub(super) fn emit(context: &Context<'_>) -> Halves {
    let events = context.schema.events.iter().map(|event| event_code(context, event));
    Halves { types: TokenStream::new(), impls: quote!(#(#events)*) }
}

/// An event's declarative steps and custom trait, then one call of the runtime's `event!` macro, which writes the
/// `Event` impl of every version and the `Versioned` impl of the latest: every version by its number and type, with
/// the typed steps from it to the latest.
fn event_code(context: &Context<'_>, event: &Event) -> TokenStream {
    let private = context.private();
    let latest_type = event.rust.ident();

    let from_impls = event.versions.windows(2).filter_map(|pair| match &pair[0].upcast.as_ref()?.kind {
        UpcastKind::Declarative(sources) => Some(declarative_step(context, event, &pair[0], &pair[1], sources)),
        UpcastKind::Custom { .. } => None,
    });
    let custom_trait = custom_trait(event);

    let steps: Vec<TokenStream> = event.versions.windows(2).map(|pair| step(event, &pair[0], &pair[1])).collect();
    let versions = event.versions.iter().enumerate().map(|(position, def)| {
        let version = TokenLiteral::u32_unsuffixed(def.version);
        let stored_type = def.rust.ident();
        let chain = &steps[position..];
        quote!(#version #stored_type #(=> #chain)*;)
    });
    let mut stored_names = event.stored_names();
    let name = stored_names.next();
    let old_names = stored_names;

    quote! {
        #(#from_impls)*
        #custom_trait

        #private::event! {
            #latest_type = #name #(| #old_names)* {
                #(#versions)*
            }
        }
    }
}

/// The step from version `previous` of `event` to the next one, as `event!` reads it: the next version's type, and
/// for a custom step the method of the event's custom trait (implemented by the latest type) that makes it.
fn step(event: &Event, previous: &EventVersion, next: &EventVersion) -> TokenStream {
    let next_type = next.rust.ident();
    match (previous.upcast.as_ref().map(|upcast| &upcast.kind), &event.upcast_trait) {
        (Some(UpcastKind::Custom { method }), Some(upcasts)) => {
            let (latest_type, upcasts, method) = (event.rust.ident(), upcasts.ident(), method.ident());
            quote!(#next_type by <#latest_type as #upcasts>::#method)
        }
        _ => quote!(#next_type),
    }
}

/// The trait holding an event's `custom` steps, one method each from one version's own type to the next one's,
/// implemented by the user for the event's latest type. Adding a version adds a method and renames nothing, so
/// steps already written keep compiling.
fn custom_trait(event: &Event) -> TokenStream {
    let Some(upcasts) = &event.upcast_trait else { return TokenStream::new() };
    let name = &event.name.name;
    let methods = event.versions.windows(2).filter_map(|pair| {
        let upcast = pair[0].upcast.as_ref()?;
        let UpcastKind::Custom { method } = &upcast.kind else { return None };
        let method = method.ident();
        let (from, to) = (pair[0].rust.ident(), pair[1].rust.ident());
        let docs =
            rust::docs(&upcast.docs, || format!("Upcasts `{name}` v{} to v{}.", pair[0].version, pair[1].version));
        Some(quote!(#docs fn #method(event: #from) -> #to;))
    });
    let upcasts = upcasts.ident();
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
fn declarative_step(
    context: &Context<'_>,
    event: &Event,
    old: &EventVersion,
    new: &EventVersion,
    sources: &[FieldSource],
) -> TokenStream {
    let name = &event.name.name;
    let old_type = old.rust.ident();
    let new_type = new.rust.ident();
    let carries_any = sources.iter().any(|source| matches!(source, FieldSource::Carried { .. }));
    let fields = new.fields.iter().zip(sources).map(|(field, source)| {
        let target = field.rust.ident();
        match source {
            FieldSource::Default(value) => {
                let value = literal(context, value);
                quote!(#target: #value,)
            }
            FieldSource::Carried { from, widening } => {
                let source = old.fields[*from].rust.ident();
                let value = match widening {
                    Some(widening) => widen(quote!(old.#source), widening),
                    None => quote!(old.#source),
                };
                quote!(#target: #value,)
            }
        }
    });
    let parameter = if carries_any { format_ident!("old") } else { format_ident!("_old") };
    let doc = format!(" The declared upcasting step of `{name}` from v{} to v{}.", old.version, new.version);
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

/// The Rust expression of a literal default, with the suffix of the field's type so rustc checks its range once
/// more.
fn literal(context: &Context<'_>, value: &Value) -> TokenStream {
    let private = context.private();
    match value {
        Value::None => quote!(#private::Option::None),
        Value::Some(inner) => {
            let inner = literal(context, inner);
            quote!(#private::Option::Some(#inner))
        }
        Value::String(text) => quote!(#private::String::from(#text)),
        Value::I32(number) => TokenLiteral::i32_suffixed(*number).into_token_stream(),
        Value::I64(number) => TokenLiteral::i64_suffixed(*number).into_token_stream(),
        Value::U32(number) => TokenLiteral::u32_suffixed(*number).into_token_stream(),
        Value::U64(number) => TokenLiteral::u64_suffixed(*number).into_token_stream(),
        Value::F64(number) => TokenLiteral::f64_suffixed(*number).into_token_stream(),
        Value::Bool(true) => quote!(true),
        Value::Bool(false) => quote!(false),
        Value::EmptyList => quote!(#private::Vec::new()),
        Value::EmptyMap => quote!(#private::Map::new()),
        Value::Variant { enum_index, variant } => {
            let def = &context.schema.enums[*enum_index];
            let (enum_name, variant) = (def.rust.ident(), def.variants[*variant].rust.ident());
            quote!(#enum_name::#variant)
        }
    }
}
