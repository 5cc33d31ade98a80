//! Event enums (an aggregate's events, or a projection's subscription) and their `EventSet` impl: stored names,
//! encoding, and decoding dispatched on name and version.

use quote::quote;

use super::{rust, Context, Halves};
use crate::{
    ir::{Event, EventId},
    names::RustName,
};

/// An enum named `enum_name` with one variant per event in `events`, `From` each event, and its `EventSet` impl,
/// written by the runtime's `event_set!` macro from every name each event was stored under.
pub(super) fn emit(context: &Context<'_>, enum_name: &RustName, doc: &str, events: &[EventId]) -> Halves {
    let private = context.private();
    let events: Vec<&Event> = events.iter().map(|id| context.schema.event(*id)).collect();
    let name = enum_name.ident();
    let variants = events.iter().map(|event| {
        let variant = event.rust.ident();
        let stored_names = event.stored_names();
        quote!(#variant = #(#stored_names)|*,)
    });
    let variant_docs: Vec<(&RustName, String)> =
        events.iter().map(|event| (&event.rust, format!("A `{}` event.", event.name.name))).collect();
    let mut halves = rust::sum_enum(context, enum_name, doc, &variant_docs);

    halves.impls.extend(quote! {
        #private::event_set! {
            #name {
                #(#variants)*
            }
        }
    });
    halves
}
