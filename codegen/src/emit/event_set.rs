//! Event enums (an aggregate's events, or a projection's subscription) and their `EventSet` impl: stored names,
//! encoding, and decoding dispatched on name and version.

use proc_macro2::TokenStream;
use quote::quote;

use super::{rust, Context, Halves};
use crate::{
    ir::{Event, EventId},
    names::RustName,
};

/// An enum named `enum_name` with one variant per event in `events`, `From` each event, and its `EventSet` impl.
pub(super) fn emit(context: &Context<'_>, enum_name: &RustName, doc: &str, events: &[EventId]) -> Halves {
    let runtime = context.runtime;
    let private = context.private();
    let events: Vec<&Event> = events.iter().map(|id| context.schema.event(*id)).collect();
    let name = enum_name.ident();
    let variants: Vec<_> = events.iter().map(|event| event.rust.ident()).collect();
    let stored_names = events.iter().flat_map(|event| event.stored_names());
    let decode_arms = events.iter().map(|event| decode_arm(context, enum_name, event));
    let variant_docs: Vec<(&RustName, String)> =
        events.iter().map(|event| (&event.rust, format!("A `{}` event.", event.name.name))).collect();
    let mut halves = rust::sum_enum(context, enum_name, doc, &variant_docs);

    halves.impls.extend(quote! {
        #[automatically_derived]
        impl #runtime::EventSet for #name {
            const NAMES: &'static [&'static str] = &[#(#stored_names),*];

            fn name(&self) -> &'static str {
                match self {
                    #(#name::#variants(_) => <#variants as #runtime::Event>::NAME,)*
                }
            }

            fn version(&self) -> u32 {
                match self {
                    #(#name::#variants(_) => <#variants as #runtime::Event>::VERSION,)*
                }
            }

            fn encode(&self) -> #private::Result<#private::Vec<u8>, #private::serde_json::Error> {
                match self {
                    #(#name::#variants(event) => #runtime::encode_payload(event),)*
                }
            }

            fn decode(
                name: &str,
                version: u32,
                payload: &[u8],
            ) -> #private::Result<Self, #runtime::DecodeErrorKind> {
                match name {
                    #(#decode_arms)*
                    _ => #private::Result::Err(#runtime::DecodeErrorKind::UnknownEvent {
                        name: #private::String::from(name),
                    }),
                }
            }
        }
    });
    halves
}

/// The arm of `decode` for one event: every name it was stored under, read through its `Versioned` impl.
fn decode_arm(context: &Context<'_>, enum_name: &RustName, event: &Event) -> TokenStream {
    let runtime = context.runtime;
    let enum_name = enum_name.ident();
    let variant = event.rust.ident();
    let stored_names = event.stored_names();
    quote! {
        #(#stored_names)|* => <#variant as #runtime::Versioned>::decode_stored(name, version, payload)
            .map(#enum_name::#variant),
    }
}
