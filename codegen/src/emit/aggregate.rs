//! An aggregate: its marker type, state, commands, event enum, the typed decide and evolve traits the user
//! implements, and the glue that makes it a `factum::Aggregate`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{event_set, rust, Context};
use crate::{
    model::{AggregateDef, CommandDef, EmitSlot},
    names,
};

pub(super) fn emit(context: &Context<'_>, aggregate: &AggregateDef) -> TokenStream {
    let runtime = context.runtime;
    let private = context.private();
    let aggregate_name = &aggregate.name.name;
    let marker = rust::ident(aggregate_name);
    let state = format_ident!("{}State", aggregate_name);
    let command_enum = format_ident!("{}Command", aggregate_name);
    let event_enum_name = format!("{aggregate_name}Event");
    let event_enum = rust::ident(&event_enum_name);
    let decide_trait = format_ident!("{}Decide", aggregate_name);
    let evolve_trait = format_ident!("{}Evolve", aggregate_name);
    let id_type = rust::rust_type(context, &aggregate.id);

    let marker_docs = rust::docs(&aggregate.docs, || format!("The `{aggregate_name}` aggregate."));
    let marker_doc_tail = format!(
        " Implement [`{decide_trait}`] for this type and [`{evolve_trait}`] for [`{state}`]; the generated glue makes \
         it a `factum::Aggregate`."
    );
    let state_doc = format!(" What is known about one `{aggregate_name}`: the fold of its events.");
    let state_derives = rust::record_derives(context, true);
    let state_fields = rust::fields(context, &aggregate.state, &format!("the `{aggregate_name}` state"));

    let events = aggregate.events();
    let event_enum_doc = format!("Every event the `{aggregate_name}` aggregate records.");
    let event_set = event_set::emit(context, &event_enum_name, &event_enum_doc, &events);

    let command_structs = aggregate.commands.iter().map(|command| command_struct(context, aggregate, command));
    let command_variants: Vec<(&str, String)> = aggregate
        .commands
        .iter()
        .map(|command| (command.name.name.as_str(), format!("A `{}` command.", command.name.name)))
        .collect();
    let command_enum_doc = format!("Every command the `{aggregate_name}` aggregate accepts.");
    let command_sum_enum =
        rust::sum_enum(context, &format!("{aggregate_name}Command"), &command_enum_doc, &command_variants);
    let outcomes = aggregate.commands.iter().map(|command| outcome_enums(context, command));

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
    let decide_arms = aggregate.commands.iter().map(|command| decide_arm(aggregate, command));

    let evolve_doc = format!(
        " How each event of the `{aggregate_name}` aggregate changes its state: one method per event, so a new event \
         fails to compile until it is handled."
    );
    let evolve_methods = events.iter().map(|event| {
        let method = rust::method(&event.name);
        let ty = rust::ident(&event.name);
        let doc = format!(" Applies a recorded `{}`.", event.name);
        quote!(#[doc = #doc] fn #method(&mut self, event: &#ty);)
    });
    let evolve_arms = events.iter().map(|event| {
        let method = rust::method(&event.name);
        let variant = rust::ident(&event.name);
        quote!(#event_enum::#variant(event) => <#state as #evolve_trait>::#method(state, event),)
    });

    quote! {
        #marker_docs
        #[doc = ""]
        #[doc = #marker_doc_tail]
        #[derive(#private::Debug, #private::Clone, ::core::marker::Copy, #private::Default)]
        pub struct #marker;

        #[doc = #state_doc]
        #state_derives
        pub struct #state {
            #state_fields
        }

        #(#command_structs)*

        #command_sum_enum

        #(#outcomes)*

        #event_set

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
            type Id = #id_type;
            type State = #state;
            type Command = #command_enum;
            type Event = #event_enum;

            fn evolve(state: &mut #state, event: &#event_enum) {
                match event {
                    #(#evolve_arms)*
                }
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
    }
}

fn command_struct(context: &Context<'_>, aggregate: &AggregateDef, command: &CommandDef) -> TokenStream {
    let name = rust::ident(&command.name.name);
    let docs = rust::docs(&command.docs, || {
        format!("The `{}` command of the `{}` aggregate.", command.name.name, aggregate.name.name)
    });
    let derives = rust::record_derives(context, false);
    let fields = rust::fields(context, &command.fields, &format!("`{}`", command.name.name));
    quote! {
        #docs
        #derives
        pub struct #name {
            #fields
        }
    }
}

/// The `A | B` slots of a command, with their enum names.
fn one_of_slots(command: &CommandDef) -> Vec<(String, &[crate::model::Ident])> {
    let slots: Vec<_> = command
        .emits
        .slots
        .iter()
        .filter_map(|slot| match slot {
            EmitSlot::OneOf(events) => Some(events.as_slice()),
            _ => None,
        })
        .collect();
    let count = slots.len();
    slots
        .into_iter()
        .enumerate()
        .map(|(index, events)| (names::outcome_name(&command.name.name, index, count), events))
        .collect()
}

/// The enums of a command's `A | B` slots: exactly one of the events, and nothing else.
fn outcome_enums(context: &Context<'_>, command: &CommandDef) -> TokenStream {
    let enums = one_of_slots(command).into_iter().map(|(enum_name, events)| {
        let listed = events.iter().map(|event| format!("`{}`", event.name)).collect::<Vec<_>>().join(", ");
        let doc = format!("What `{}` records: exactly one of {listed}.", command.name.name);
        let variants: Vec<(&str, String)> =
            events.iter().map(|event| (event.name.as_str(), format!("Record a `{}`.", event.name))).collect();
        rust::sum_enum(context, &enum_name, &doc, &variants)
    });
    quote!(#(#enums)*)
}

/// The Rust type of each slot of a command's `emits` clause, in order.
fn slot_types(context: &Context<'_>, command: &CommandDef) -> Vec<TokenStream> {
    let private = context.private();
    let mut outcomes = one_of_slots(command).into_iter();
    command
        .emits
        .slots
        .iter()
        .map(|slot| match slot {
            EmitSlot::One(event) => {
                let event = rust::ident(&event.name);
                quote!(#event)
            }
            EmitSlot::Optional(event) => {
                let event = rust::ident(&event.name);
                quote!(#private::Option<#event>)
            }
            EmitSlot::OneOf(_) => {
                let (name, _) = outcomes.next().expect("one enum per `A | B` slot");
                let name = rust::ident(&name);
                quote!(#name)
            }
        })
        .collect()
}

/// How a command's `emits` clause reads in words, for docs.
fn emits_in_words(command: &CommandDef) -> String {
    let slots: Vec<String> = command
        .emits
        .slots
        .iter()
        .map(|slot| match slot {
            EmitSlot::One(event) => format!("exactly one `{}`", event.name),
            EmitSlot::Optional(event) => format!("at most one `{}`", event.name),
            EmitSlot::OneOf(events) => {
                let listed = events.iter().map(|event| format!("`{}`", event.name)).collect::<Vec<_>>();
                format!("exactly one of {}", listed.join(", "))
            }
        })
        .collect();
    slots.join(", then ")
}

fn decide_method(context: &Context<'_>, aggregate: &AggregateDef, command: &CommandDef) -> TokenStream {
    let private = context.private();
    let method = rust::method(&command.name.name);
    let command_type = rust::ident(&command.name.name);
    let state = format_ident!("{}State", aggregate.name.name);
    let slots = slot_types(context, command);
    let output = if slots.len() == 1 { slots[0].clone() } else { quote!((#(#slots),*)) };
    let doc = format!(" Decides `{}`: records {}, or rejects it.", command.name.name, emits_in_words(command));
    quote! {
        #[doc = #doc]
        fn #method(&self, state: &#state, command: #command_type) -> #private::Result<#output, Self::Error>;
    }
}

/// The arm of `Aggregate::decide` that calls a command's typed method and flattens its outcome into events.
fn decide_arm(aggregate: &AggregateDef, command: &CommandDef) -> TokenStream {
    let decide_trait = format_ident!("{}Decide", aggregate.name.name);
    let command_enum = format_ident!("{}Command", aggregate.name.name);
    let event_enum = format_ident!("{}Event", aggregate.name.name);
    let command_type = rust::ident(&command.name.name);
    let method = rust::method(&command.name.name);
    let bindings: Vec<_> = (0..command.emits.slots.len()).map(|index| format_ident!("slot{}", index)).collect();
    let mut outcomes = one_of_slots(command).into_iter();
    // Each slot becomes one event expression; an optional slot's is an `Option` of one.
    let events: Vec<TokenStream> = command
        .emits
        .slots
        .iter()
        .zip(&bindings)
        .map(|(slot, binding)| match slot {
            EmitSlot::One(event) => {
                let variant = rust::ident(&event.name);
                quote!(#event_enum::#variant(#binding))
            }
            EmitSlot::Optional(event) => {
                let variant = rust::ident(&event.name);
                quote!(#binding.map(#event_enum::#variant))
            }
            EmitSlot::OneOf(events) => {
                let (outcome, _) = outcomes.next().expect("one enum per `A | B` slot");
                let outcome = rust::ident(&outcome);
                let variants = events.iter().map(|event| rust::ident(&event.name));
                quote! {
                    match #binding {
                        #(#outcome::#variants(event) => #event_enum::#variants(event),)*
                    }
                }
            }
        })
        .collect();
    let pattern = if bindings.len() == 1 { quote!(#(#bindings)*) } else { quote!((#(#bindings),*)) };
    let has_optional = command.emits.slots.iter().any(|slot| matches!(slot, EmitSlot::Optional(_)));
    let collected = if has_optional {
        // Optional slots may be empty: gather every slot as an `Option` and keep the ones that are there, in order.
        let slots = command.emits.slots.iter().zip(&events).map(|(slot, event)| match slot {
            EmitSlot::Optional(_) => event.clone(),
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
