//! An aggregate: its marker type, state, commands, event enum, the typed decide and evolve traits the user
//! implements, and the glue that makes it a `factum::Aggregate`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{event_set, rust, Context, Halves};
use crate::{
    ir::{Aggregate, Command, Event, EventId, Slot},
    names::RustName,
};

/// The marker, state, commands and the command, event and outcome enums are of the types half; the traits the user
/// implements and the glue are of the impls half.
pub(super) fn emit(context: &Context<'_>, aggregate: &Aggregate) -> Halves {
    let runtime = context.runtime;
    let private = context.private();
    let aggregate_name = &aggregate.name.name;
    let names = &aggregate.rust;
    let marker = names.marker.ident();
    let state = names.state.ident();
    let command_enum = names.command.ident();
    let event_enum = names.event.ident();
    let decide_trait = names.decide.ident();
    let evolve_trait = names.evolve.ident();
    let id_type = rust::rust_type(context, &aggregate.id);
    let state_fingerprint = &aggregate.state_fingerprint;

    let marker_docs = rust::docs(&aggregate.docs, || format!("The `{aggregate_name}` aggregate."));
    let marker_doc_tail = format!(
        " Implement [`{decide_trait}`] for this type and [`{evolve_trait}`] for [`{state}`]; the generated glue makes \
         it a `factum::Aggregate`."
    );
    let state_doc = format!(" What is known about one `{aggregate_name}`: the fold of its events.");
    let state_derives = rust::record_derives(context, true);
    let state_owners = [names.state.as_str()];
    let state_attributes = context.type_attributes(&state_owners);
    let state_fields = rust::fields(context, &aggregate.state, &state_owners, &format!("the `{aggregate_name}` state"));
    let marker_attributes = context.type_attributes(&[names.marker.as_str()]);
    let marker_derives = rust::marker_derives_at(&private);

    let event_enum_doc = format!("Every event the `{aggregate_name}` aggregate records.");
    let Halves { types: event_enum_type, impls: event_enum_impls } =
        event_set::emit(context, &names.event, &event_enum_doc, &aggregate.events);

    let command_structs = aggregate.commands.iter().map(|command| command_struct(context, aggregate, command));
    let command_variants: Vec<(&RustName, String)> = aggregate
        .commands
        .iter()
        .map(|command| (&command.rust, format!("A `{}` command.", command.name.name)))
        .collect();
    let command_enum_doc = format!("Every command the `{aggregate_name}` aggregate accepts.");
    let Halves { types: command_enum_type, impls: command_enum_impls } =
        rust::sum_enum(context, &names.command, &command_enum_doc, &command_variants);
    let command_names = command_names(context, aggregate);
    let mut outcomes = Halves::default();
    for command in &aggregate.commands {
        outcomes.extend(outcome_enums(context, command));
    }
    let Halves { types: outcome_types, impls: outcome_impls } = outcomes;

    let decide_doc = format!(
        " The decisions of the `{aggregate_name}` aggregate: one method per command, returning exactly the events the \
         schema lets that command record."
    );
    let decide_doc_tail = format!(
        " Implement it for [`{marker}`] when decisions need only the state and the command. A decision that needs a \
         clock, an id generator or a lookup implements it for a type of the application's own that holds them, and \
         hands a value of it to `CommandService::with_decider`: every method gets it as `self`."
    );
    let decide_methods = aggregate.commands.iter().map(|command| decide_method(context, aggregate, command));
    let decide_arms = aggregate.commands.iter().map(|command| decide_arm(context, aggregate, command));

    let evolve_doc = format!(
        " How each event of the `{aggregate_name}` aggregate changes its state: one method per event, so a new event \
         fails to compile until it is handled."
    );
    let events: Vec<&Event> = aggregate.events.iter().map(|id| context.schema.event(*id)).collect();
    let evolve_methods = events.iter().map(|event| {
        let method = event.method.ident();
        let ty = event.rust.ident();
        let doc = format!(" Applies a recorded `{}`.", event.name.name);
        quote!(#[doc = #doc] fn #method(&mut self, event: &#ty);)
    });
    let evolve_arms = events.iter().map(|event| {
        let method = event.method.ident();
        let variant = event.rust.ident();
        quote!(#variant => #method,)
    });

    let types = quote! {
        #marker_docs
        #[doc = ""]
        #[doc = #marker_doc_tail]
        #marker_derives
        #marker_attributes
        pub struct #marker;

        #[doc = #state_doc]
        #state_derives
        #state_attributes
        pub struct #state {
            #state_fields
        }

        #(#command_structs)*

        #command_enum_type

        #outcome_types

        #event_enum_type
    };
    let impls = quote! {
        #command_enum_impls

        #command_names

        #outcome_impls

        #event_enum_impls

        #[doc = #decide_doc]
        #[doc = ""]
        #[doc = #decide_doc_tail]
        pub trait #decide_trait {
            /// Why a command is rejected.
            type Error: ::std::error::Error + ::core::marker::Send + ::core::marker::Sync + 'static;
            #(#decide_methods)*
        }

        #[doc = #evolve_doc]
        pub trait #evolve_trait {
            #(#evolve_methods)*
        }

        #[automatically_derived]
        impl #runtime::Aggregate for #marker {
            const NAME: &'static str = #aggregate_name;
            const STATE_FINGERPRINT: &'static str = #state_fingerprint;
            type Id = #id_type;
            type State = #state;
            type Command = #command_enum;
            type Event = #event_enum;

            fn evolve(state: &mut #state, event: &#event_enum) {
                #private::evolve!(state, event; #event_enum => #state as #evolve_trait { #(#evolve_arms)* })
            }
        }

        // The decider's type parameter starts with underscores, which no declared name can (they are UpperCamelCase),
        // so it never shadows one.
        #[automatically_derived]
        impl<__Decider: #decide_trait + ?::core::marker::Sized> #runtime::Decide<__Decider> for #marker {
            type Error = <__Decider as #decide_trait>::Error;

            fn decide(
                decider: &__Decider,
                state: &#state,
                command: #command_enum,
            ) -> #private::Result<#private::Vec<#event_enum>, Self::Error> {
                match command {
                    #(#decide_arms)*
                }
            }
        }
    };
    Halves { types, impls }
}

/// The command enum's `name`, inherent (callable without importing a trait) and as `factum::CommandSet`'s, which the
/// command service writes to its tracing spans: the name the schema declares, never the command's contents.
fn command_names(context: &Context<'_>, aggregate: &Aggregate) -> TokenStream {
    let runtime = context.runtime;
    let command_enum = aggregate.rust.command.ident();
    let variants = aggregate.commands.iter().map(|command| command.rust.ident());
    let names = aggregate.commands.iter().map(|command| &command.name.name);
    let doc = format!(
        " The command's name as the `{}` aggregate declares it, e.g. for logs: never its contents.",
        aggregate.name.name
    );
    quote! {
        impl #command_enum {
            #[doc = #doc]
            pub fn name(&self) -> &'static str {
                // Through `*self`, so that an aggregate without commands (an empty enum) matches nothing.
                match *self {
                    #(#command_enum::#variants(_) => #names,)*
                }
            }
        }

        #[automatically_derived]
        impl #runtime::CommandSet for #command_enum {
            fn name(&self) -> &'static str {
                #command_enum::name(self)
            }
        }
    }
}

fn command_struct(context: &Context<'_>, aggregate: &Aggregate, command: &Command) -> TokenStream {
    let name = command.rust.ident();
    let docs = rust::docs(&command.docs, || {
        format!("The `{}` command of the `{}` aggregate.", command.name.name, aggregate.name.name)
    });
    let derives = rust::record_derives(context, false);
    let owners = [command.rust.as_str()];
    let attributes = context.type_attributes(&owners);
    let fields = rust::fields(context, &command.fields, &owners, &format!("`{}`", command.name.name));
    quote! {
        #docs
        #derives
        #attributes
        pub struct #name {
            #fields
        }
    }
}

/// "`A`, `B`": events as docs list them.
fn listed(context: &Context<'_>, events: &[EventId]) -> Vec<String> {
    events.iter().map(|id| format!("`{}`", context.schema.event(*id).name.name)).collect()
}

/// The enums of a command's `A | B` slots: exactly one of the events, and nothing else.
fn outcome_enums(context: &Context<'_>, command: &Command) -> Halves {
    let mut halves = Halves::default();
    for slot in &command.slots {
        let Slot::OneOf { events, outcome } = slot else { continue };
        let doc =
            format!("What `{}` records: exactly one of {}.", command.name.name, listed(context, events).join(", "));
        let variants: Vec<(&RustName, String)> = events
            .iter()
            .map(|id| {
                let event = context.schema.event(*id);
                (&event.rust, format!("Record a `{}`.", event.name.name))
            })
            .collect();
        halves.extend(rust::sum_enum(context, outcome, &doc, &variants));
    }
    halves
}

/// The Rust type of each slot of a command's `emits` clause, in order.
fn slot_types(context: &Context<'_>, command: &Command) -> Vec<TokenStream> {
    let private = context.private();
    command
        .slots
        .iter()
        .map(|slot| match slot {
            Slot::One(id) => {
                let event = context.schema.event(*id).rust.ident();
                quote!(#event)
            }
            Slot::Optional(id) => {
                let event = context.schema.event(*id).rust.ident();
                quote!(#private::Option<#event>)
            }
            Slot::OneOf { outcome, .. } => {
                let outcome = outcome.ident();
                quote!(#outcome)
            }
        })
        .collect()
}

/// How a command's `emits` clause reads in words, for docs.
fn emits_in_words(context: &Context<'_>, command: &Command) -> String {
    let slots: Vec<String> = command
        .slots
        .iter()
        .map(|slot| match slot {
            Slot::One(id) => format!("exactly one `{}`", context.schema.event(*id).name.name),
            Slot::Optional(id) => format!("at most one `{}`", context.schema.event(*id).name.name),
            Slot::OneOf { events, .. } => format!("exactly one of {}", listed(context, events).join(", ")),
        })
        .collect();
    slots.join(", then ")
}

fn decide_method(context: &Context<'_>, aggregate: &Aggregate, command: &Command) -> TokenStream {
    let private = context.private();
    let method = command.method.ident();
    let command_type = command.rust.ident();
    let state = aggregate.rust.state.ident();
    let slots = slot_types(context, command);
    let output = if slots.len() == 1 { slots[0].clone() } else { quote!((#(#slots),*)) };
    let doc = format!(" Decides `{}`: records {}, or rejects it.", command.name.name, emits_in_words(context, command));
    quote! {
        #[doc = #doc]
        fn #method(&self, state: &#state, command: #command_type) -> #private::Result<#output, Self::Error>;
    }
}

/// The arm of `Aggregate::decide` that calls a command's typed method and flattens its outcome into events.
fn decide_arm(context: &Context<'_>, aggregate: &Aggregate, command: &Command) -> TokenStream {
    let names = &aggregate.rust;
    let decide_trait = names.decide.ident();
    let (command_enum, event_enum) = (names.command.ident(), names.event.ident());
    let command_type = command.rust.ident();
    let method = command.method.ident();
    // Local bindings of the decide arm, one per slot: they live inside the generated `match` only.
    let bindings: Vec<_> = (0..command.slots.len()).map(|index| format_ident!("slot{}", index)).collect();
    // Each slot becomes one event expression; an optional slot's is an `Option` of one.
    let events: Vec<TokenStream> = command
        .slots
        .iter()
        .zip(&bindings)
        .map(|(slot, binding)| match slot {
            Slot::One(id) => {
                let variant = context.schema.event(*id).rust.ident();
                quote!(#event_enum::#variant(#binding))
            }
            Slot::Optional(id) => {
                let variant = context.schema.event(*id).rust.ident();
                quote!(#binding.map(#event_enum::#variant))
            }
            Slot::OneOf { events, outcome } => {
                let outcome = outcome.ident();
                let variants = events.iter().map(|id| context.schema.event(*id).rust.ident());
                quote! {
                    match #binding {
                        #(#outcome::#variants(event) => #event_enum::#variants(event),)*
                    }
                }
            }
        })
        .collect();
    let pattern = if bindings.len() == 1 { quote!(#(#bindings)*) } else { quote!((#(#bindings),*)) };
    let has_optional = command.slots.iter().any(|slot| matches!(slot, Slot::Optional(_)));
    let collected = if has_optional {
        // Optional slots may be empty: gather every slot as an `Option` and keep the ones that are there, in order.
        let slots = command.slots.iter().zip(&events).map(|(slot, event)| match slot {
            Slot::Optional(_) => event.clone(),
            _ => quote!(::core::option::Option::Some(#event)),
        });
        quote!([#(#slots),*].into_iter().flatten().collect())
    } else {
        quote!(::std::vec::Vec::from([#(#events),*]))
    };
    quote! {
        #command_enum::#command_type(command) => {
            let #pattern = <__Decider as #decide_trait>::#method(decider, state, command)?;
            ::core::result::Result::Ok(#collected)
        }
    }
}
