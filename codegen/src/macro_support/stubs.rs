//! What `schema!` emits beside its errors: a stub for every name the user's code may reference, so that rustc
//! reports the schema's errors and not a cascade of "cannot find type `Order`" in the code around it.
//!
//! Every stub type is an alias of one type that holds the errors: `PhantomData<[(); { compile_error!{..} 0 }]>`.
//! rustc reports each `compile_error!` once, and the array's length then is an error constant, which rustc treats as
//! already reported: a field, a method, a struct literal, a variant or a trait bound on that type raises nothing
//! more. Traits are stubbed with their methods, whose signatures use that type too, so an `impl` of the real shape
//! is accepted without a word; the marker and the projection runner, which code also uses as values, get a constant
//! and a function of the same name. None of it can compile into a program: the errors stop the build.
//!
//! The stubs come from the parsed model, before any check, so the names are those the generator would add if the
//! schema were fixed (asked of [`crate::names`], like the checked model does); a name declared twice is stubbed once.
//! After a syntax error, every declaration that parses on its own is stubbed, so only the broken one's names are
//! missing.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::{
    model::{EmitSlot, Schema, SourceId, UpcastBody},
    names::{self, AggregateNames, ProjectionNames, RustName},
    parser,
};

/// The one name the stubs add that no schema declares: the alias of the type holding the errors.
const ERRORS_TYPE: &str = "__FactumSchemaErrors";

/// What can be read of a schema with errors: the model, when the grammar accepts the text (what lowering could not
/// read is kept as a placeholder), or else every declaration that parses on its own.
pub(super) fn readable(source: &str) -> Schema {
    let (schema, _) = parser::parse_lowered(SourceId::FIRST, source);
    schema.unwrap_or_else(|| parser::parse_each_declaration(SourceId::FIRST, source))
}

/// `errors` (`compile_error!` items), held by the type every stub aliases, and a stub for each name of `schema`.
pub(super) fn with_stubs(schema: &Schema, errors: TokenStream) -> TokenStream {
    with_stubs_beside(schema, errors, &HashSet::new(), &HashSet::new())
}

/// [`with_stubs`] beside the items a derive front end's user wrote: no stub for a name `types` (the type namespace)
/// or `values` (the value namespace) already holds.
pub(crate) fn with_stubs_beside(
    schema: &Schema,
    errors: TokenStream,
    types: &HashSet<String>,
    values: &HashSet<String>,
) -> TokenStream {
    let mut stubs = Stubs { taken: types.clone(), taken_values: values.clone(), ..Stubs::default() };
    stubs.collect(schema);
    let errors_type = format_ident!("{ERRORS_TYPE}");
    let types = stubs.types.iter().map(|name| {
        let name = name.ident();
        quote!(pub type #name = #errors_type;)
    });
    let values = stubs.values.iter().map(|name| {
        let name = name.ident();
        quote! {
            #[allow(non_upper_case_globals)]
            pub const #name: #errors_type = ::core::marker::PhantomData;
        }
    });
    let generic_types = stubs.generic_types.iter().map(|name| {
        let name = name.ident();
        quote!(pub type #name<H> = (#errors_type, H);)
    });
    let constructors = stubs.constructors.iter().map(|name| {
        let name = name.ident();
        quote! {
            #[allow(non_snake_case)]
            pub fn #name<H>(_: H) -> #errors_type {
                ::core::marker::PhantomData
            }
        }
    });
    let traits = stubs.traits.iter().map(|stub| stub.tokens(&errors_type));
    quote! {
        #[doc(hidden)]
        pub type #errors_type = ::core::marker::PhantomData<[(); { #errors 0 }]>;
        #(#types)*
        #(#values)*
        #(#generic_types)*
        #(#constructors)*
        #(#traits)*
    }
}

/// The names to stub, by what they are, each once.
#[derive(Default)]
struct Stubs {
    /// Every name taken in the type namespace, so that nothing is stubbed twice.
    taken: HashSet<String>,
    /// Names taken in the value namespace.
    taken_values: HashSet<String>,
    types: Vec<RustName>,
    /// Unit structs, which code names as values too.
    values: Vec<RustName>,
    /// Tuple structs generic over `H`, constructed as `Name(handler)`.
    generic_types: Vec<RustName>,
    constructors: Vec<RustName>,
    traits: Vec<TraitStub>,
}

/// A trait and its methods' shapes.
struct TraitStub {
    name: RustName,
    /// Whether it has `type Error;`.
    has_error: bool,
    methods: Vec<(RustName, Receiver)>,
}

/// How a stubbed method is called: the shape of its parameters, as the generated trait has them.
#[derive(Clone, Copy)]
enum Receiver {
    /// `fn decide(&self, state, command)`.
    Decide,
    /// `fn evolve(&mut self, event)`.
    Evolve,
    /// `fn handle(&mut self, event, envelope)`.
    Handle,
    /// `fn v1_to_v2(event)`.
    Upcast,
}

impl TraitStub {
    fn tokens(&self, errors_type: &proc_macro2::Ident) -> TokenStream {
        let name = self.name.ident();
        let error = self.has_error.then(|| {
            quote!(
                type Error;
            )
        });
        let mut seen = HashSet::new();
        let methods = self.methods.iter().filter(|(method, _)| seen.insert(method.as_str().to_owned())).map(
            |(method, receiver)| {
                let method = method.ident();
                let signature = match receiver {
                    Receiver::Decide => quote!((&self, _: &#errors_type, _: #errors_type)),
                    Receiver::Evolve => quote!((&mut self, _: &#errors_type)),
                    Receiver::Handle => quote!((&mut self, _: &#errors_type, _: &#errors_type)),
                    Receiver::Upcast => quote!((_: #errors_type)),
                };
                quote! {
                    fn #method #signature -> #errors_type {
                        ::core::marker::PhantomData
                    }
                }
            },
        );
        quote! {
            pub trait #name {
                #error
                #(#methods)*
            }
        }
    }
}

impl Stubs {
    fn collect(&mut self, schema: &Schema) {
        for def in &schema.types {
            self.ty(RustName::new(&def.name.name));
        }
        for def in &schema.enums {
            self.ty(RustName::new(&def.name.name));
        }
        for def in &schema.events {
            self.ty(names::event_version_type(&def.name.name, def.version));
            self.ty(names::event_type(&def.name.name));
        }
        for event in schema.events.iter().map(|def| &def.name.name) {
            let custom = schema
                .upcasts
                .iter()
                .filter(|upcast| upcast.event.name == *event && matches!(upcast.body, UpcastBody::Custom(_)));
            let methods: Vec<_> =
                custom.map(|upcast| (names::upcast_method(upcast.from, upcast.to), Receiver::Upcast)).collect();
            if !methods.is_empty() {
                self.trait_stub(TraitStub { name: names::upcast_trait(event), has_error: false, methods });
            }
        }
        for aggregate in &schema.aggregates {
            let names = AggregateNames::new(&aggregate.name.name);
            if self.ty(names.marker.clone()) && self.value_free(&names.marker) {
                self.values.push(names.marker.clone());
            }
            for name in [&names.state, &names.command, &names.event] {
                self.ty(name.clone());
            }
            for command in &aggregate.commands {
                self.ty(RustName::new(&command.name.name));
                let one_of_count = command.emits.slots.iter().filter(|slot| matches!(slot, EmitSlot::OneOf(_))).count();
                for index in 0..one_of_count {
                    self.ty(names::outcome_name(&command.name.name, index, one_of_count));
                }
            }
            let decide = aggregate.commands.iter().map(|command| (names::method(&command.name.name), Receiver::Decide));
            self.trait_stub(TraitStub { name: names.decide, has_error: true, methods: decide.collect() });
            let evolve = aggregate.events().into_iter().map(|event| (names::method(&event.name), Receiver::Evolve));
            self.trait_stub(TraitStub { name: names.evolve, has_error: false, methods: evolve.collect() });
        }
        for projection in &schema.projections {
            let names = ProjectionNames::new(&projection.name.name);
            if self.claim(&names.runner) {
                self.generic_types.push(names.runner.clone());
                if self.value_free(&names.runner) {
                    self.constructors.push(names.runner.clone());
                }
            }
            self.ty(names.event);
            let handle = projection.events.iter().map(|event| (names::method(&event.name), Receiver::Handle));
            self.trait_stub(TraitStub { name: names.handler, has_error: true, methods: handle.collect() });
        }
    }

    /// Stubs `name` as a type, unless it is taken or cannot be an identifier; whether it did.
    fn ty(&mut self, name: RustName) -> bool {
        let claimed = self.claim(&name);
        if claimed {
            self.types.push(name);
        }
        claimed
    }

    fn trait_stub(&mut self, stub: TraitStub) {
        if self.claim(&stub.name) {
            let methods = stub.methods.into_iter().filter(|(method, _)| is_identifier(method)).collect();
            self.traits.push(TraitStub { methods, ..stub });
        }
    }

    /// Takes `name` in the type namespace, if it is an identifier and free.
    fn claim(&mut self, name: &RustName) -> bool {
        is_identifier(name) && self.taken.insert(name.as_str().to_owned())
    }

    /// Takes `name` in the value namespace, if it is free.
    fn value_free(&mut self, name: &RustName) -> bool {
        self.taken_values.insert(name.as_str().to_owned())
    }
}

/// Whether `name` can be an identifier in Rust, raw or not: the checks have not run, so a name may be empty (a
/// placeholder the parser kept) or one Rust refuses.
fn is_identifier(name: &RustName) -> bool {
    let text = name.as_str();
    let mut chars = text.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !names::is_unusable(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stubs of `source`, one line per item: `type X`, `const X`, `fn X`, `trait X { a b }`.
    fn check(source: &str, expected: &[&str]) {
        let tokens = with_stubs(&readable(source), quote!(::core::compile_error! { "broken" }));
        let file: syn::File = syn::parse2(tokens).expect("the stubs parse as items");
        let items: Vec<String> = file
            .items
            .iter()
            .skip(1)
            .map(|item| match item {
                syn::Item::Type(item) => format!("type {}", item.ident),
                syn::Item::Const(item) => format!("const {}", item.ident),
                syn::Item::Fn(item) => format!("fn {}", item.sig.ident),
                syn::Item::Trait(item) => {
                    let members: Vec<String> = item
                        .items
                        .iter()
                        .map(|member| match member {
                            syn::TraitItem::Fn(method) => method.sig.ident.to_string(),
                            syn::TraitItem::Type(ty) => format!("type {}", ty.ident),
                            _ => "?".to_owned(),
                        })
                        .collect();
                    format!("trait {} {{ {} }}", item.ident, members.join(", "))
                }
                _ => "?".to_owned(),
            })
            .collect();
        assert_eq!(items, expected, "{source}");
    }

    #[test]
    fn every_name_the_generator_would_add_is_stubbed_once() {
        check(
            "type LineItem { sku: Strin }\nenum Status { Open }\nevent Placed v1 {}\nevent Placed v2 { at: u64 }\n\
             upcast Placed v1 -> v2 custom\nevent Paid v1 {}\n\
             aggregate Order {\n    id: String\n    command Place {} emits Placed\n    command Pay {} emits Paid | Placed\n}\n\
             projection Summary { on Placed, Paid }\n",
            &[
                "type LineItem",
                "type Status",
                "type PlacedV1",
                "type Placed",
                "type PlacedV2",
                "type PaidV1",
                "type Paid",
                "type Order",
                "type OrderState",
                "type OrderCommand",
                "type OrderEvent",
                "type Place",
                "type Pay",
                "type PayOutcome",
                "type SummaryEvent",
                "const Order",
                "type Summary",
                "fn Summary",
                "trait PlacedUpcasts { v1_to_v2 }",
                "trait OrderDecide { type Error, place, pay }",
                "trait OrderEvolve { placed, paid }",
                "trait SummaryHandler { type Error, placed, paid }",
            ],
        );
        // A name declared twice is stubbed once; a name Rust refuses is not stubbed, and keywords are raw.
        check(
            "type A {}\nevent A v1 {}\naggregate self {\n    id: String\n    command Return {} emits A\n}\n",
            &[
                "type A",
                "type AV1",
                "type selfState",
                "type selfCommand",
                "type selfEvent",
                "type Return",
                "trait selfDecide { type Error, r#return }",
                "trait selfEvolve { a }",
            ],
        );
        // After a syntax error, the declarations around the broken one are still stubbed.
        check(
            "/// Docs.\nevent A v1 {}\n\nevent B v1 { at: [u64 }\n// A comment.\naggregate C {\n    id: String\n    \
             command Go {} emits A\n}\ntype D { event: String }\n",
            &[
                "type D",
                "type AV1",
                "type A",
                "type C",
                "type CState",
                "type CCommand",
                "type CEvent",
                "type Go",
                "const C",
                "trait CDecide { type Error, go }",
                "trait CEvolve { a }",
            ],
        );
    }
}
