//! The expansion of `#[factum::domain]`: the user's items, their inert attributes removed and the derives the
//! runtime needs added; the types the user did not write (event enums, command enums, outcome enums, aliases
//! naming versions); the shared emitters' impls half; and the model export. With errors: the user's items, every
//! error on its culprit, and stubs of the generated names, so that nothing else cascades.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span as TokenSpan, TokenStream};
use quote::quote;
use syn::{
    ext::IdentExt as _,
    parse::{Parse, Parser as _},
    punctuated::Punctuated,
    Token,
};

use super::{
    attrs,
    lower::{Lowered, STATE_KIND},
};
use crate::{
    diagnostics::{culprit::ResolveSpan as _, SchemaErrors},
    emit::{self, generate, Items, Options},
    evolution, ir,
    macro_support::{stubs, warning_lint},
    model::SourceId,
    print,
};

/// The arguments of `#[factum::domain]`: nothing, or `crate = path` for a crate that reaches the runtime through a
/// re-export.
#[derive(Debug, Default)]
pub struct DomainArgs {
    /// The path of the runtime crate, `::factum` unless given.
    pub runtime_path: Option<syn::Path>,
}

impl Parse for DomainArgs {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(DomainArgs::default());
        }
        input.parse::<Token![crate]>()?;
        input.parse::<Token![=]>()?;
        let runtime_path = Some(input.parse()?);
        input.parse::<Option<Token![,]>>()?;
        Ok(DomainArgs { runtime_path })
    }
}

/// The expansion of `#[factum::domain]` on `module`.
pub fn expand_domain(args: &DomainArgs, module: syn::ItemMod) -> TokenStream {
    let Some((_, items)) = &module.content else {
        let message = "`#[factum::domain]` needs the module's items here: `mod bank { ... }`, not `mod bank;`";
        return syn::Error::new(module.ident.span(), message).to_compile_error();
    };
    let module_name = module.ident.unraw().to_string();
    let lowered = super::lower_items(&module_name, items);
    let mut options = Options::default();
    if let Some(path) = &args.runtime_path {
        options.runtime_path = path.clone();
    }
    let generated = match crate::check::check_after(&lowered.schema, lowered.diagnostics.clone()) {
        Ok((schema, warnings)) => {
            let warnings = SchemaErrors::new(&module_name, lowered.sources.clone(), warnings);
            // A warning on its culprit needs no place in its text; one that resolves to nothing sits on the module's
            // name, saying which item it is about.
            let lints = warnings.diagnostics.iter().map(|diagnostic| match lowered.spans.resolve(diagnostic.span()) {
                Some(at) => warning_lint(&diagnostic.summary(), at),
                None => warning_lint(&warnings.plain_line(diagnostic), module.ident.span()),
            });
            let lints: TokenStream = lints.collect();
            let Expansion { items, generated } = success(&lowered, &schema, &options, items);
            return with_items(&module, items, quote!(#lints #generated));
        }
        Err(diagnostics) => diagnostics,
    };
    let failed: HashSet<SourceId> = generated
        .iter()
        .filter(|diagnostic| diagnostic.is_error())
        .map(|diagnostic| diagnostic.span().source)
        .collect();
    let errors = SchemaErrors::new(&module_name, lowered.sources.clone(), generated);
    let errors = errors.to_syn_error(&lowered.spans, module.ident.span()).map(|error| error.to_compile_error());
    let (types, values) = user_names(items, &lowered.projections);
    let mut stubs = stubs::with_stubs_beside(&lowered.schema, errors.unwrap_or_default(), &types, &values);
    // The model export too, so that code reading it adds no error; the build stops at the errors above anyway.
    stubs.extend(quote! {
        #[allow(missing_docs)]
        pub fn factum_model() -> &'static str {
            ""
        }
        #[allow(missing_docs)]
        pub fn factum_lock() -> &'static str {
            ""
        }
    });
    let derives = fallback_derives(&lowered, &options, &failed);
    let items = items.iter().filter_map(|item| user_item(item, &lowered.projections, &derives)).collect();
    with_items(&module, items, stubs)
}

/// The derives each marked type gets while the domain has errors: those of its kind in the types half, so that the
/// code using the types (cloning an event, comparing a command) adds no errors to the domain's own. A type with an
/// error of its own (in its source, `failed`) gets none, since deriving over a field of an unknown type would only
/// add errors.
fn fallback_derives(
    lowered: &Lowered,
    options: &Options,
    failed: &HashSet<SourceId>,
) -> HashMap<String, Vec<syn::Attribute>> {
    let derives = emit::derives(options);
    let mut by_name = HashMap::new();
    for (name, (kind, source)) in &lowered.kinds {
        if failed.contains(source) {
            continue;
        }
        let tokens = match *kind {
            attrs::AGGREGATE => &derives.marker,
            STATE_KIND => &derives.state,
            attrs::DATA if lowered.schema.enums.iter().any(|def| def.name.name == *name) => &derives.enumeration,
            attrs::DATA | attrs::EVENT | attrs::COMMAND => &derives.record,
            _ => continue,
        };
        if let Ok(attributes) = syn::Attribute::parse_outer.parse2(tokens.clone()) {
            by_name.insert(name.clone(), attributes);
        }
    }
    by_name
}

/// The module again, holding `items` then `generated`.
fn with_items(module: &syn::ItemMod, items: Vec<syn::Item>, generated: TokenStream) -> TokenStream {
    let syn::ItemMod { attrs, vis, unsafety, mod_token, ident, .. } = module;
    quote! {
        #(#attrs)*
        #vis #unsafety #mod_token #ident {
            #(#items)*
            #generated
        }
    }
}

struct Expansion {
    items: Vec<syn::Item>,
    generated: TokenStream,
}

/// The expansion of a domain without errors.
fn success(lowered: &Lowered, schema: &ir::Schema, options: &Options, items: &[syn::Item]) -> Expansion {
    let (user_types, _) = user_names(items, &lowered.projections);
    let half = |items| {
        let mut options = options.clone();
        options.items = items;
        generate(schema, &options)
    };
    let types = half(Items::Types);
    // The emitter builds valid items only; should that ever fail, the tokens go out as they are for rustc to show.
    let types: syn::File = match syn::parse2(types.clone()) {
        Ok(file) => file,
        Err(_) => return Expansion { items: items.to_vec(), generated: types },
    };
    let mut derives: HashMap<String, Vec<syn::Attribute>> = HashMap::new();
    let mut added = Vec::new();
    for item in types.items {
        let Some((name, attributes)) = type_item(&item) else { continue };
        match lowered.written.get(&name) {
            Some(user) => {
                let generated: Vec<syn::Attribute> = attributes
                    .iter()
                    .filter(|attribute| attribute.path().is_ident("derive") || attribute.path().is_ident("serde"))
                    .cloned()
                    .collect();
                if !generated.is_empty() {
                    derives.entry(user.unraw().to_string()).or_insert(generated);
                }
                if user.unraw() != name && !user_types.contains(&name) {
                    let alias = syn::Ident::new(&name, TokenSpan::call_site());
                    let doc = format!(" `{name}`: the generated name of [`{user}`].");
                    added.push(quote!(#[doc = #doc] pub type #alias = #user;));
                }
            }
            None if !user_types.contains(&name) => added.push(quote!(#item)),
            None => {}
        }
    }
    let impls = half(Items::Impls);
    let model = print::print(&lowered.schema);
    let lock = evolution::lock_text(schema);
    let items = items.iter().filter_map(|item| user_item(item, &lowered.projections, &derives)).collect();
    let generated = quote! {
        #(#added)*
        #impls

        /// The domain's model as `.factum` text: write it to a file to give `factum check --against`, `factum lock`
        /// and `factum fixtures` the schema this module declares.
        pub fn factum_model() -> &'static str {
            #model
        }

        /// The lock file of the domain (what `factum lock` writes for [`factum_model`]'s text): commit it, and check
        /// later changes against it.
        pub fn factum_lock() -> &'static str {
            #lock
        }
    };
    Expansion { items, generated }
}

/// The name and attributes of a generated item of the types half.
fn type_item(item: &syn::Item) -> Option<(String, &[syn::Attribute])> {
    match item {
        syn::Item::Struct(item) => Some((item.ident.unraw().to_string(), &item.attrs)),
        syn::Item::Enum(item) => Some((item.ident.unraw().to_string(), &item.attrs)),
        syn::Item::Type(item) => Some((item.ident.unraw().to_string(), &item.attrs)),
        _ => None,
    }
}

/// The names the user's items take: in the type namespace, and in the value namespace (unit and tuple structs,
/// functions, constants, statics). A projection's unit struct is not among them: the runner takes its place.
fn user_names(items: &[syn::Item], projections: &HashSet<String>) -> (HashSet<String>, HashSet<String>) {
    let (mut types, mut values) = (HashSet::new(), HashSet::new());
    for item in items {
        let (ident, is_type, is_value) = match item {
            syn::Item::Struct(item) => (&item.ident, true, !matches!(item.fields, syn::Fields::Named(_))),
            syn::Item::Enum(item) => (&item.ident, true, false),
            syn::Item::Type(item) => (&item.ident, true, false),
            syn::Item::Trait(item) => (&item.ident, true, false),
            syn::Item::Union(item) => (&item.ident, true, false),
            syn::Item::Mod(item) => (&item.ident, true, false),
            syn::Item::Fn(item) => (&item.sig.ident, false, true),
            syn::Item::Const(item) => (&item.ident, false, true),
            syn::Item::Static(item) => (&item.ident, false, true),
            _ => continue,
        };
        let name = ident.unraw().to_string();
        if projections.contains(&name) && has_attribute(item, attrs::PROJECTION) {
            continue;
        }
        if is_type {
            types.insert(name.clone());
        }
        if is_value {
            values.insert(name);
        }
    }
    (types, values)
}

fn has_attribute(item: &syn::Item, attribute: &str) -> bool {
    let attributes = match item {
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        _ => return false,
    };
    attributes.iter().any(|found| found.path().is_ident(attribute))
}

/// A user's item as the expansion holds it: without the inert attributes, with the derives its generated twin
/// would have that it lacks; `None` for a projection's unit struct, which the runner replaces.
fn user_item(
    item: &syn::Item,
    projections: &HashSet<String>,
    derives: &HashMap<String, Vec<syn::Attribute>>,
) -> Option<syn::Item> {
    let mut item = item.clone();
    let (ident, attributes) = match &mut item {
        syn::Item::Struct(item) => (item.ident.unraw().to_string(), &mut item.attrs),
        syn::Item::Enum(item) => (item.ident.unraw().to_string(), &mut item.attrs),
        syn::Item::Fn(item) => (item.sig.ident.to_string(), &mut item.attrs),
        syn::Item::Impl(item) => (String::new(), &mut item.attrs),
        syn::Item::Trait(item) => (item.ident.to_string(), &mut item.attrs),
        syn::Item::Type(item) => (item.ident.to_string(), &mut item.attrs),
        syn::Item::Const(item) => (item.ident.to_string(), &mut item.attrs),
        syn::Item::Static(item) => (item.ident.to_string(), &mut item.attrs),
        syn::Item::Mod(item) => (item.ident.to_string(), &mut item.attrs),
        syn::Item::Union(item) => (item.ident.to_string(), &mut item.attrs),
        syn::Item::Use(item) => (String::new(), &mut item.attrs),
        _ => return Some(item),
    };
    let is_projection = attributes.iter().any(|attribute| attribute.path().is_ident(attrs::PROJECTION));
    if is_projection && projections.contains(&ident) {
        return None;
    }
    attributes.retain(|attribute| !attrs::ALL.iter().any(|kind| attribute.path().is_ident(kind)));
    if let Some(generated) = derives.get(&ident) {
        let added = missing_derives(attributes, generated);
        attributes.splice(0..0, added);
    }
    Some(item)
}

/// The derive and serde attributes of `generated` that `written` lacks: each derive the user already wrote (by its
/// last path segment) is left out, and serde's attribute comes only with a serde derive of ours.
fn missing_derives(written: &[syn::Attribute], generated: &[syn::Attribute]) -> Vec<syn::Attribute> {
    let derived: HashSet<String> = written
        .iter()
        .filter(|attribute| attribute.path().is_ident("derive"))
        .filter_map(|attribute| attribute.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated).ok())
        .flat_map(|paths| paths.into_iter().filter_map(|path| last_segment(&path)).collect::<Vec<_>>())
        .collect();
    let mut added = Vec::new();
    let mut serde_derived = false;
    for attribute in generated.iter().filter(|attribute| attribute.path().is_ident("derive")) {
        let Ok(paths) = attribute.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated) else {
            continue;
        };
        let kept: Vec<&syn::Path> =
            paths.iter().filter(|path| last_segment(path).is_some_and(|name| !derived.contains(&name))).collect();
        serde_derived |=
            kept.iter().any(|path| last_segment(path).is_some_and(|name| name == "Serialize" || name == "Deserialize"));
        if !kept.is_empty() {
            added.push(syn::parse_quote!(#[derive(#(#kept),*)]));
        }
    }
    if serde_derived {
        added.extend(generated.iter().filter(|attribute| attribute.path().is_ident("serde")).cloned());
    }
    added
}

fn last_segment(path: &syn::Path) -> Option<String> {
    path.segments.last().map(|segment| segment.ident.to_string())
}
