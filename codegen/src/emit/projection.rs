//! A projection: the enum of its subscribed events, the typed handler trait the user implements, and the runner type
//! that makes any handler a `factum::Projection`.

use quote::quote;

use super::{event_set, rust, Context, Halves};
use crate::ir::{Event, Projection};

/// The event enum is of the types half; the handler trait, the runner and its impl are of the impls half.
pub(super) fn emit(context: &Context<'_>, projection: &Projection) -> Halves {
    let runtime = context.runtime;
    let private = context.private();
    let projection_name = &projection.name.name;
    let runner = projection.rust.runner.ident();
    let event_enum = projection.rust.event.ident();
    let handler_trait = projection.rust.handler.ident();

    let event_enum_doc = format!("Every event the `{projection_name}` projection subscribes to.");
    let mut halves = event_set::emit(context, &projection.rust.event, &event_enum_doc, &projection.events);
    let events: Vec<&Event> = projection.events.iter().map(|id| context.schema.event(*id)).collect();

    let runner_docs = rust::docs(&projection.docs, || format!("The `{projection_name}` projection."));
    let runner_doc_tail = format!(
        " Wraps a [`{handler_trait}`] to run it as a `factum::Projection`, e.g. with `factum::run_projection`."
    );
    let handler_doc = format!(
        " The handlers of the `{projection_name}` projection: one method per subscribed event, each given the event \
         and its envelope."
    );
    let handler_methods = events.iter().map(|event| {
        let method = event.method.ident();
        let ty = event.rust.ident();
        let doc = format!(" Handles a `{}`.", event.name.name);
        quote! {
            #[doc = #doc]
            fn #method(&mut self, event: &#ty, envelope: &#runtime::Envelope) -> #private::Result<(), Self::Error>;
        }
    });
    let apply_arms = events.iter().map(|event| {
        let method = event.method.ident();
        let variant = event.rust.ident();
        quote!(#event_enum::#variant(event) => <H as #handler_trait>::#method(&mut self.0, event, envelope),)
    });

    halves.impls.extend(quote! {
        #[doc = #handler_doc]
        pub trait #handler_trait {
            /// Why a handler failed.
            type Error: ::std::error::Error + ::core::marker::Send + ::core::marker::Sync + 'static;
            #(#handler_methods)*
        }

        #runner_docs
        #[doc = ""]
        #[doc = #runner_doc_tail]
        #[derive(#private::Debug, #private::Clone, #private::Default)]
        pub struct #runner<H>(pub H);

        #[automatically_derived]
        impl<H: #handler_trait + ::core::marker::Send> #runtime::Projection for #runner<H> {
            type Event = #event_enum;
            type Error = <H as #handler_trait>::Error;

            fn apply(
                &mut self,
                event: &#event_enum,
                envelope: &#runtime::Envelope,
            ) -> #private::Result<(), Self::Error> {
                match event {
                    #(#apply_arms)*
                }
            }
        }
    });
    halves
}
