//! A projection: the enum of its subscribed events, the typed handler trait the user implements, and the runner type
//! that makes any handler a `factum::Projection`.

use quote::quote;

use super::{event_set, rust, Context, Halves};
use crate::ir::{Aggregate, Event, Projection};

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

    let runner_docs = rust::docs(&projection.docs, || format!("The `{projection_name}` projection."));
    let runner_doc_tail = format!(
        " Wraps a [`{handler_trait}`] to run it as a `factum::Projection` named `{projection_name}`: with \
         `factum::ProjectionRunner` (a read model in memory or elsewhere, at least once), or with \
         `factum::store::sqlite::TransactionalRunner` (tables in the store's SQLite file, exactly once)."
    );
    let handler_doc = format!(
        " The handlers of the `{projection_name}` projection: one method per subscribed event, each given the event \
         and its context (where the read model lives, the typed id of the event's aggregate, the envelope)."
    );
    let handler_doc_tail = " `__Db` is where the read model lives, handed to every method: `()` (the default) for a \
                            read model the handler holds itself, `factum::store::sqlite::Connection` for tables in \
                            the store's SQLite file, written inside the transaction that also moves the checkpoint.";
    let handled: Vec<(&Event, Option<&Aggregate>)> = projection
        .events
        .iter()
        .zip(&projection.owners)
        .map(|(id, owner)| (context.schema.event(*id), owner.map(|owner| context.schema.aggregate(owner))))
        .collect();
    let handler_methods = handled.iter().map(|(event, owner)| {
        let method = event.method.ident();
        let ty = event.rust.ident();
        let (id_type, id_doc) = match owner {
            Some(owner) => {
                let marker = owner.rust.marker.ident();
                (
                    quote!(<#marker as #runtime::Aggregate>::Id),
                    format!(" `context.id` is the id of the `{}` whose stream holds it.", owner.name.name),
                )
            }
            None => (quote!(str), " `context.id` is its stream id (several aggregates record it).".to_owned()),
        };
        let doc = format!(" Handles a `{}`.", event.name.name);
        quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = #id_doc]
            fn #method(
                &mut self,
                event: &#ty,
                context: &#runtime::EventContext<'_, #id_type, __Db>,
            ) -> #private::Result<(), Self::Error>;
        }
    });
    let apply_arms = handled.iter().map(|(event, owner)| {
        let method = event.method.ident();
        let variant = event.rust.ident();
        let id = match owner {
            Some(owner) => {
                let marker = owner.rust.marker.ident();
                quote!(&<#marker as #runtime::Aggregate>::parse_stream_id(&envelope.stream_id)?)
            }
            None => quote!(envelope.stream_id.as_str()),
        };
        quote! {
            #event_enum::#variant(event) => {
                let context = #runtime::EventContext { db, id: #id, envelope };
                <H as #handler_trait<__Db>>::#method(&mut self.0, event, &context).map_err(#runtime::ApplyError::Handler)
            }
        }
    });

    halves.impls.extend(quote! {
        #[doc = #handler_doc]
        #[doc = ""]
        #[doc = #handler_doc_tail]
        pub trait #handler_trait<__Db: ?::core::marker::Sized = ()> {
            /// Why a handler failed.
            type Error: ::std::error::Error + ::core::marker::Send + ::core::marker::Sync + 'static;

            /// Creates what the read model needs in `db` (its tables, ...) before the first event of a run; it must be
            /// harmless when they exist. Nothing by default.
            fn setup(&mut self, db: &__Db) -> #private::Result<(), Self::Error> {
                let _ = db;
                #private::Result::Ok(())
            }

            /// Empties the read model before a rebuild replays the log from the start (`setup` runs after it).
            fn reset(&mut self, db: &__Db) -> #private::Result<(), Self::Error>;

            #(#handler_methods)*
        }

        #runner_docs
        #[doc = ""]
        #[doc = #runner_doc_tail]
        #[derive(#private::Debug, #private::Clone, #private::Default)]
        pub struct #runner<H>(pub H);

        // The database's type parameter starts with underscores, which no declared name can (they are
        // UpperCamelCase), so it never shadows one.
        #[automatically_derived]
        impl<__Db: ?::core::marker::Sized, H: #handler_trait<__Db> + ::core::marker::Send> #runtime::Projection<__Db>
            for #runner<H>
        {
            const NAME: &'static str = #projection_name;
            type Event = #event_enum;
            type Error = <H as #handler_trait<__Db>>::Error;

            fn setup(&mut self, db: &__Db) -> #private::Result<(), Self::Error> {
                <H as #handler_trait<__Db>>::setup(&mut self.0, db)
            }

            fn reset(&mut self, db: &__Db) -> #private::Result<(), Self::Error> {
                <H as #handler_trait<__Db>>::reset(&mut self.0, db)
            }

            fn apply(
                &mut self,
                db: &__Db,
                event: &#event_enum,
                envelope: &#runtime::Envelope,
            ) -> #private::Result<(), #runtime::ApplyError<Self::Error>> {
                match event {
                    #(#apply_arms)*
                }
            }
        }
    });
    halves
}
