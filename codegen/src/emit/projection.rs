//! A projection: the enum of its subscribed events, the typed handler trait the user implements, and the runner type
//! that makes any handler a `factum::Projection`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{event_set, rust, Context};
use crate::model::{Ident, ProjectionDef};

pub(super) fn emit(context: &Context<'_>, projection: &ProjectionDef) -> TokenStream {
    let runtime = context.runtime;
    let private = context.private();
    let projection_name = &projection.name.name;
    let runner = rust::ident(projection_name);
    let event_enum_name = format!("{projection_name}Event");
    let event_enum = rust::ident(&event_enum_name);
    let handler_trait = format_ident!("{}Handler", projection_name);

    let events: Vec<&Ident> = projection.events.iter().collect();
    let event_enum_doc = format!("Every event the `{projection_name}` projection subscribes to.");
    let event_set = event_set::emit(context, &event_enum_name, &event_enum_doc, &events);

    let runner_docs = rust::docs(&projection.docs, || format!("The `{projection_name}` projection."));
    let runner_doc_tail = format!(
        " Wraps a [`{handler_trait}`] to run it as a `factum::Projection`, e.g. with `factum::run_projection`."
    );
    let handler_doc = format!(
        " The handlers of the `{projection_name}` projection: one method per subscribed event, each given the event \
         and its envelope."
    );
    let handler_methods = events.iter().map(|event| {
        let method = rust::method(&event.name);
        let ty = rust::ident(&event.name);
        let doc = format!(" Handles a `{}`.", event.name);
        quote! {
            #[doc = #doc]
            fn #method(&mut self, event: &#ty, envelope: &#runtime::Envelope) -> #private::Result<(), Self::Error>;
        }
    });
    let apply_arms = events.iter().map(|event| {
        let method = rust::method(&event.name);
        let variant = rust::ident(&event.name);
        quote!(#event_enum::#variant(event) => <H as #handler_trait>::#method(&mut self.0, event, envelope),)
    });

    quote! {
        #event_set

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
    }
}
