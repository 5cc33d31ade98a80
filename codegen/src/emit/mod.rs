//! The Rust emitter: the checked model ([`crate::ir::Schema`]) in, tokens out (built with `quote!`, formatted with
//! prettyplease).
//!
//! Generated code is hygienic: every path into the runtime is absolute (`::factum::__private::...` by default, or
//! under [`Options::runtime_path`] when the runtime is re-exported), trait impls are `#[automatically_derived]`, and
//! the only names it adds are derived from the schema's own names (`OrderState`, `OrderDecide`, ...), which the checks
//! keep free of clashes. The emitter looks nothing up and names nothing itself: the checked model holds every
//! resolved reference and every Rust name.
//!
//! Every emitter returns its code in two [`Halves`]: the type definitions and the impls, so that a caller whose
//! types were written by hand asks for the impls alone ([`Items`]).

mod aggregate;
mod attributes;
mod event_set;
mod projection;
mod records;
mod rust;
mod upcast;

use proc_macro2::TokenStream;
use quote::quote;

use attributes::Attribute;
pub use attributes::AttributeError;

use crate::ir::Schema;

/// Which half of the generated code to emit.
///
/// **Types** are the data a user could have written by hand: records, enums, every event version's struct and the
/// alias naming the latest, each aggregate's marker, state, command structs, command and event enums and outcome
/// enums, and each projection's event enum, each with its derives and serde attributes.
///
/// **Impls** are what a derive front end adds to such hand-written types, and everything that exists only to serve
/// them: the `Event`, `Versioned` and `EventSet` impls, the `From` impls of the sum enums and of declarative upcasting
/// steps, the `Aggregate` and `Decide` glue, the `Projection` runner and its impl, and the traits the user implements
/// (decide, evolve, custom upcasts, projection handlers). The impls name the types only by their Rust names, so they
/// compile against hand-written types of the same names and shapes, which must meet the runtime's bounds themselves
/// (serde's traits on what is stored, `Default` on a state, ...).
///
/// The line falls where a derive front end would draw it: a user writes the marker struct to put a derive on, so it
/// is a type; a derive on an enum adds the `From` impls of its variants, so they are impls.
///
/// [`Items::All`] is the types followed by the impls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Items {
    /// The types, then the impls: everything a schema needs.
    #[default]
    All,
    /// The type definitions alone.
    Types,
    /// The impls alone, for types defined elsewhere under the same names.
    Impls,
}

/// Options of the emitter.
#[derive(Debug, Clone)]
pub struct Options {
    /// The path generated code reaches the runtime crate by, `::factum` unless it is re-exported elsewhere.
    pub runtime_path: syn::Path,
    /// Which half of the code to emit, both by default.
    pub items: Items,
    /// Extra attributes on generated types, added by [`Options::type_attribute`].
    type_attributes: Vec<Attribute>,
    /// Extra attributes on fields of generated structs, added by [`Options::field_attribute`].
    field_attributes: Vec<Attribute>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runtime_path: syn::parse_quote!(::factum),
            items: Items::All,
            type_attributes: Vec::new(),
            field_attributes: Vec::new(),
        }
    }
}

impl Options {
    /// Adds `attributes` (one or more outer attributes, e.g. `#[derive(Hash)]`) to the generated types `selector`
    /// names: a type by its Rust name (`Priority`, `OrderState`, `OrderCommand`, `OrderCreatedV1`), an event by its
    /// name for every version's struct (`OrderCreated`), or `.` for every type of the types half.
    ///
    /// The text is parsed here, so a malformed attribute is an error now rather than broken generated code. A
    /// selector that names no generated type is reported by [`Options::unmatched_selectors`].
    pub fn type_attribute(&mut self, selector: &str, attributes: &str) -> Result<&mut Self, AttributeError> {
        self.type_attributes.push(Attribute::parse_type(selector, attributes)?);
        Ok(self)
    }

    /// Adds `attributes` to the fields `selector` names: `Type.field`, the type as for [`Options::type_attribute`]
    /// (a record, command, aggregate state, event or event version) and the field by its name in the schema.
    pub fn field_attribute(&mut self, selector: &str, attributes: &str) -> Result<&mut Self, AttributeError> {
        self.field_attributes.push(Attribute::parse_field(selector, attributes)?);
        Ok(self)
    }

    /// The selectors of [`Options::type_attribute`] and [`Options::field_attribute`] that name no type or field of
    /// any of `schemas`, in the order they were added: each one is most likely a typo.
    pub fn unmatched_selectors<'a>(&self, schemas: impl IntoIterator<Item = &'a Schema> + Clone) -> Vec<String> {
        attributes::unmatched(&self.type_attributes, &self.field_attributes, schemas)
    }
}

/// The code of one part of a schema, split into its type definitions and its impls.
#[derive(Default)]
struct Halves {
    types: TokenStream,
    impls: TokenStream,
}

impl Halves {
    /// Appends `other`'s halves to these.
    fn extend(&mut self, other: Halves) {
        self.types.extend(other.types);
        self.impls.extend(other.impls);
    }
}

/// What every emitter needs: the schema and the options, and the paths every item names, built once.
struct Context<'a> {
    schema: &'a Schema,
    runtime: &'a syn::Path,
    options: &'a Options,
    /// `::factum::__private`.
    private: TokenStream,
    /// `"::factum::__private::serde"`, for `#[serde(crate = ...)]`.
    serde_path: String,
}

/// `::factum::__private` and `"::factum::__private::serde"` under the runtime path of `options`.
fn private_paths(options: &Options) -> (TokenStream, String) {
    let runtime = &options.runtime_path;
    let private = quote!(#runtime::__private);
    let serde_path = format!("{}::serde", private.to_string().replace(' ', ""));
    (private, serde_path)
}

/// The derives (and serde attribute) the types half gives each kind of type, for a front end that adds them to
/// types the user wrote while the schema has errors, so that code using the types adds no errors of its own.
#[cfg(feature = "derive")]
pub(crate) struct Derives {
    /// A record, an event version or a command.
    pub(crate) record: TokenStream,
    /// An aggregate's state.
    pub(crate) state: TokenStream,
    /// An enumeration.
    pub(crate) enumeration: TokenStream,
    /// An aggregate's marker.
    pub(crate) marker: TokenStream,
}

/// The [`Derives`] under the runtime path of `options`.
#[cfg(feature = "derive")]
pub(crate) fn derives(options: &Options) -> Derives {
    let (private, serde_path) = private_paths(options);
    Derives {
        record: rust::record_derives_at(&private, &serde_path, false),
        state: rust::record_derives_at(&private, &serde_path, true),
        enumeration: rust::enum_derives_at(&private, &serde_path),
        marker: rust::marker_derives_at(&private),
    }
}

impl<'a> Context<'a> {
    fn new(schema: &'a Schema, options: &'a Options) -> Self {
        let runtime = &options.runtime_path;
        let (private, serde_path) = private_paths(options);
        Context { schema, runtime, options, private, serde_path }
    }

    /// The path of the runtime's hidden re-exports, `::factum::__private`.
    fn private(&self) -> TokenStream {
        self.private.clone()
    }

    /// The extra attributes of the generated type named by any of `names`.
    fn type_attributes(&self, names: &[&str]) -> TokenStream {
        attributes::for_type(&self.options.type_attributes, names)
    }

    /// The extra attributes of field `field` of the generated type named by any of `owners`.
    fn field_attributes(&self, owners: &[&str], field: &str) -> TokenStream {
        attributes::for_field(&self.options.field_attributes, owners, field)
    }
}

/// Generates the Rust for a checked schema: the half [`Options::items`] asks for, or both (types first).
pub fn generate(schema: &Schema, options: &Options) -> TokenStream {
    let context = Context::new(schema, options);
    let mut halves = records::emit(&context);
    halves.extend(upcast::emit(&context));
    for aggregate in &schema.aggregates {
        halves.extend(aggregate::emit(&context, aggregate));
    }
    for projection in &schema.projections {
        halves.extend(projection::emit(&context, projection));
    }
    let Halves { types, impls } = halves;
    match options.items {
        Items::All => quote!(#types #impls),
        Items::Types => types,
        Items::Impls => impls,
    }
}

/// The stack `format` runs syn and prettyplease on. Both recurse once per level of nesting in the code: for types at
/// the schema's nesting limit they take about 2 MiB in a debug build, more than a test thread has (2 MiB) and far
/// more than a small thread would.
#[cfg(feature = "render")]
const FORMAT_STACK: usize = 16 * 1024 * 1024;

/// Formats generated tokens as a Rust file, opening with an `@generated` line naming `source_name`.
///
/// It runs on a stack of its own when the caller's has less than 16 MiB left, so that no thread it is
/// called from can overflow (the stack is reserved, and only the part used is ever touched).
#[cfg(feature = "render")]
pub fn format(tokens: TokenStream, source_name: &str) -> String {
    let body = stacker::maybe_grow(FORMAT_STACK, FORMAT_STACK, || match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // The emitter only builds valid items; should that ever fail, the unformatted tokens still compile and
        // show rustc where the problem is.
        Err(_) => tokens.to_string(),
    });
    format!("// @generated by factum-codegen from `{source_name}`. Do not edit: change the schema instead.\n\n{body}")
}
