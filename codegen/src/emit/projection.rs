//! A projection: the enum of its subscribed events, the typed handler traits the user implements (one whose methods
//! write a read model in a database, one whose methods await), and the runner type that makes any handler a
//! `factum::Projection` or a `factum::AsyncProjection`.

use proc_macro2::TokenStream;
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
        let id_type = id_type(context, *owner);
        let doc = format!(" Handles a `{}`.", event.name.name);
        let id_doc = id_doc(*owner);
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
        let id = id_value(context, *owner);
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
    halves.impls.extend(emit_async(context, projection, &handled));
    halves
}

/// The async handler trait, whose methods return futures (an implementation may write `async fn`s), and the runner's
/// `factum::AsyncProjection` impl for any handler of it.
fn emit_async(context: &Context<'_>, projection: &Projection, handled: &[(&Event, Option<&Aggregate>)]) -> TokenStream {
    let runtime = context.runtime;
    let private = context.private();
    let projection_name = &projection.name.name;
    let runner = projection.rust.runner.ident();
    let event_enum = projection.rust.event.ident();
    let handler_trait = projection.rust.async_handler.ident();
    let doc = format!(
        " The handlers of the `{projection_name}` projection for a read model written by code that awaits (a message \
         bus, an HTTP API): one method per subscribed event, returning a future; an implementation may write them as \
         `async fn`s. `{runner}` runs it with `factum::AsyncProjectionRunner`, at least once."
    );
    let future = |output: TokenStream| quote!(impl ::core::future::Future<Output = #private::Result<(), #output>> + ::core::marker::Send);
    let handler_result = future(quote!(Self::Error));
    let methods = handled.iter().map(|(event, owner)| {
        let method = event.method.ident();
        let ty = event.rust.ident();
        let id_type = id_type(context, *owner);
        let doc = format!(" Handles a `{}`.", event.name.name);
        let id_doc = id_doc(*owner);
        quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = #id_doc]
            fn #method(&mut self, event: &#ty, context: &#runtime::EventContext<'_, #id_type>) -> #handler_result;
        }
    });
    let arms = handled.iter().map(|(event, owner)| {
        let method = event.method.ident();
        let variant = event.rust.ident();
        let id = id_value(context, *owner);
        quote! {
            #event_enum::#variant(event) => {
                let context = #runtime::EventContext { db: &(), id: #id, envelope };
                <H as #handler_trait>::#method(&mut self.0, event, &context).await.map_err(#runtime::ApplyError::Handler)
            }
        }
    });
    quote! {
        #[doc = #doc]
        pub trait #handler_trait {
            /// Why a handler failed.
            type Error: ::std::error::Error + ::core::marker::Send + ::core::marker::Sync + 'static;

            /// Creates what the read model needs before the first event of a run; it must be harmless when it exists.
            /// Nothing by default.
            fn setup(&mut self) -> #handler_result {
                async { #private::Result::Ok(()) }
            }

            /// Empties the read model before a rebuild replays the log from the start (`setup` runs after it).
            fn reset(&mut self) -> #handler_result;

            #(#methods)*
        }

        #[automatically_derived]
        impl<H: #handler_trait + ::core::marker::Send> #runtime::AsyncProjection for #runner<H> {
            const NAME: &'static str = #projection_name;
            type Event = #event_enum;
            type Error = <H as #handler_trait>::Error;

            fn setup(&mut self) -> #handler_result {
                <H as #handler_trait>::setup(&mut self.0)
            }

            fn reset(&mut self) -> #handler_result {
                <H as #handler_trait>::reset(&mut self.0)
            }

            // An `async fn` meets the trait's `Send` future: the compiler checks that this one is.
            async fn apply(
                &mut self,
                event: &#event_enum,
                envelope: &#runtime::Envelope,
            ) -> #private::Result<(), #runtime::ApplyError<Self::Error>> {
                match event {
                    #(#arms)*
                }
            }
        }
    }
}

/// The type of a handler's `context.id`: the id of the one aggregate that records the event, or the stream id.
fn id_type(context: &Context<'_>, owner: Option<&Aggregate>) -> TokenStream {
    let runtime = context.runtime;
    match owner {
        Some(owner) => {
            let marker = owner.rust.marker.ident();
            quote!(<#marker as #runtime::Aggregate>::Id)
        }
        None => quote!(str),
    }
}

/// What a handler's `context.id` is, for its doc.
fn id_doc(owner: Option<&Aggregate>) -> String {
    match owner {
        Some(owner) => format!(" `context.id` is the id of the `{}` whose stream holds it.", owner.name.name),
        None => " `context.id` is its stream id (several aggregates record it).".to_owned(),
    }
}

/// The expression of a handler's `context.id`, from `envelope`: the parsed aggregate id (a stream that names none
/// is an error, returned with `?`), or the stream id.
fn id_value(context: &Context<'_>, owner: Option<&Aggregate>) -> TokenStream {
    let runtime = context.runtime;
    match owner {
        Some(owner) => {
            let marker = owner.rust.marker.ident();
            quote!(&<#marker as #runtime::Aggregate>::parse_stream_id(&envelope.stream_id)?)
        }
        None => quote!(envelope.stream_id.as_str()),
    }
}
