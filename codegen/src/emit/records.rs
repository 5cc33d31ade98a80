//! Named types, enums and event structs: the plain data a schema declares.

use proc_macro2::TokenStream;
use quote::quote;

use super::{rust, Context, Halves};
use crate::ir::{Enum, Event, EventVersion, Record};

/// Every named type, enum and event of the schema: all of them types (the events' impls are `upcast`'s).
pub(super) fn emit(context: &Context<'_>) -> Halves {
    let types = context.schema.records.iter().map(|def| record(context, def));
    let enums = context.schema.enums.iter().map(|def| enumeration(context, def));
    let events = context.schema.events.iter().map(|event| event_types(context, event));
    Halves {
        types: quote! {
            #(#types)*
            #(#enums)*
            #(#events)*
        },
        impls: TokenStream::new(),
    }
}

fn record(context: &Context<'_>, def: &Record) -> TokenStream {
    let name = def.rust.ident();
    let docs = rust::docs(&def.docs, || format!("The `{}` type.", def.name.name));
    let derives = rust::record_derives(context, def.has_default);
    let owners = [def.rust.as_str()];
    let attributes = context.type_attributes(&owners);
    let fields = rust::fields(context, &def.fields, &owners, &format!("a `{}`", def.name.name));
    quote! {
        #docs
        #derives
        #attributes
        pub struct #name {
            #fields
        }
    }
}

fn enumeration(context: &Context<'_>, def: &Enum) -> TokenStream {
    let private = context.private();
    let name = def.rust.ident();
    let docs = rust::docs(&def.docs, || format!("The `{}` enumeration.", def.name.name));
    let derives = rust::enum_derives_at(&private, &context.serde_path);
    let variants = def.variants.iter().map(|variant| {
        let docs = rust::docs(&variant.docs, || format!("`{}::{}`.", def.name.name, variant.name.name));
        let name = variant.rust.ident();
        quote!(#docs #name,)
    });
    let attributes = context.type_attributes(&[def.rust.as_str()]);
    quote! {
        #docs
        #derives
        #attributes
        pub enum #name {
            #(#variants)*
        }
    }
}

/// Every version's struct, and the alias naming the latest: code written against `OrderCreatedV2` keeps compiling
/// when `v3` is added, and code written against `OrderCreated` moves on to the latest version.
fn event_types(context: &Context<'_>, event: &Event) -> TokenStream {
    let versions = event.versions.iter().map(|version| event_version(context, event, version));
    let alias = event.rust.ident();
    let latest = event.latest();
    let latest_type = latest.rust.ident();
    let doc = format!(
        " The latest version of the `{}` event, version {}: what commands record and every stored version reads as.",
        event.name.name, latest.version
    );
    quote! {
        #(#versions)*

        #[doc = #doc]
        pub type #alias = #latest_type;
    }
}

/// A version's struct.
fn event_version(context: &Context<'_>, event: &Event, def: &EventVersion) -> TokenStream {
    let stored_name = &event.name.name;
    let version = def.version;
    let name = def.rust.ident();
    let docs = rust::docs(&def.docs, || format!("The `{stored_name}` event."));
    let version_doc = if def.upcast.is_none() {
        format!(" Stored as `{stored_name}` version {version}, the latest.")
    } else {
        format!(
            " Stored as `{stored_name}` version {version}, written by older builds; reading it upcasts it to the latest \
             version."
        )
    };
    let derives = rust::record_derives(context, false);
    let owners = [def.rust.as_str(), event.rust.as_str()];
    let attributes = context.type_attributes(&owners);
    let fields = rust::fields(context, &def.fields, &owners, &format!("`{stored_name}`"));
    quote! {
        #docs
        #[doc = ""]
        #[doc = #version_doc]
        #derives
        #attributes
        pub struct #name {
            #fields
        }
    }
}
