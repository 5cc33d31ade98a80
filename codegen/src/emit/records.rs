//! Named types, enums and event structs: the plain data a schema declares.

use proc_macro2::TokenStream;
use quote::quote;

use super::{rust, Context};
use crate::model::{EnumDef, EventDef, Span, TypeDef, TypeKind, TypeRef};
use crate::names;

/// Every named type, enum and event of the schema.
pub(super) fn emit(context: &Context<'_>) -> TokenStream {
    let types = context.schema.types.iter().map(|def| type_def(context, def));
    let enums = context.schema.enums.iter().map(|def| enum_def(context, def));
    // Every declared version is its own type; the latest keeps the plain name.
    let events = context.schema.events.iter().map(|def| event_def(context, def));
    quote! {
        #(#types)*
        #(#enums)*
        #(#events)*
    }
}

fn type_def(context: &Context<'_>, def: &TypeDef) -> TokenStream {
    let name = rust::ident(&def.name.name);
    let docs = rust::docs(&def.docs, || format!("The `{}` type.", def.name.name));
    let self_type = TypeRef { kind: TypeKind::Named(def.name.name.clone()), span: Span::default() };
    let derives = rust::record_derives(context, crate::check::has_default(context.schema, &self_type));
    let fields = rust::fields(context, &def.fields, &format!("a `{}`", def.name.name));
    quote! {
        #docs
        #derives
        pub struct #name {
            #fields
        }
    }
}

fn enum_def(context: &Context<'_>, def: &EnumDef) -> TokenStream {
    let private = context.private();
    let name = rust::ident(&def.name.name);
    let docs = rust::docs(&def.docs, || format!("The `{}` enumeration.", def.name.name));
    let serde_path = format!("{}::serde", quote!(#private).to_string().replace(' ', ""));
    let variants = def.variants.iter().map(|variant| {
        let docs = rust::docs(&variant.docs, || format!("`{}::{}`.", def.name.name, variant.name.name));
        let name = rust::ident(&variant.name.name);
        quote!(#docs #name,)
    });
    quote! {
        #docs
        #[derive(#private::Debug, #private::Clone, ::core::marker::Copy, ::core::cmp::PartialEq, ::core::cmp::Eq,
            ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord,
            #private::serde::Serialize, #private::serde::Deserialize)]
        #[serde(crate = #serde_path)]
        pub enum #name {
            #(#variants)*
        }
    }
}

fn event_def(context: &Context<'_>, def: &EventDef) -> TokenStream {
    let runtime = context.runtime;
    let stored_name = &def.name.name;
    let version = def.version;
    let latest = context.schema.latest_event(stored_name).map_or(version, |latest| latest.version);
    let name = rust::ident(&names::event_version_type(stored_name, version, latest));
    let docs = rust::docs(&def.docs, || format!("The `{}` event.", def.name.name));
    let version_doc = if version == latest {
        format!(" Stored as `{stored_name}` version {version}, the latest.")
    } else {
        format!(
            " Stored as `{stored_name}` version {version}, written by older builds; reading it upcasts it to the latest \
             version."
        )
    };
    let derives = rust::record_derives(context, false);
    let fields = rust::fields(context, &def.fields, &format!("`{}`", def.name.name));
    quote! {
        #docs
        #[doc = ""]
        #[doc = #version_doc]
        #derives
        pub struct #name {
            #fields
        }

        #[automatically_derived]
        impl #runtime::Event for #name {
            const NAME: &'static str = #stored_name;
            const VERSION: u32 = #version;
        }
    }
}
