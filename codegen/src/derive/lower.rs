//! A domain module's items lowered into the model: each item marked with one of the inert attributes becomes a
//! declaration, with a source of its own (`bank::Deposited`) whose spans lead back to the item's tokens.
//!
//! Lowering never stops at a problem: what it cannot read becomes a diagnostic and a placeholder, so that the checks
//! still run over everything else and every mistake is reported at once.

use std::collections::{HashMap, HashSet};

use proc_macro2::Span as TokenSpan;
use syn::{ext::IdentExt as _, meta::ParseNestedMeta, spanned::Spanned as _, Token};

use super::{attrs, recorder::Recorder};
use crate::{
    check::did_you_mean,
    diagnostics::{culprit::SpanTable, Diagnostic},
    model::{
        AggregateDef, AliasDef, Builtin, CommandDef, Docs, EmitSlot, Emits, EnumDef, EventDef, Field, Ident, Literal,
        LiteralKind, ProjectionDef, Schema, SourceId, Span, TypeDef, TypeKind, TypeRef, UpcastBody, UpcastDef,
        UpcastStep, Variant,
    },
    names,
    parser::MAX_NESTING,
    sources::SourceMap,
};

/// A domain module lowered: the model, its sources and span table, what lowering found wrong, and which of the
/// user's items stand for which generated names.
pub struct Lowered {
    /// The declarations.
    pub schema: Schema,
    /// One source per item.
    pub sources: SourceMap,
    /// The tokens each span of the sources was made from.
    pub spans: SpanTable,
    /// The problems lowering found (the checks add theirs).
    pub diagnostics: Vec<Diagnostic>,
    /// For each name the generator would define as a type (`OrderCreatedV2`, `OrderCreated`, `OrderState`, ...), the
    /// user's item that stands for it.
    pub written: HashMap<String, syn::Ident>,
    /// The projections' unit structs, which the expansion replaces with the runners.
    pub projections: HashSet<String>,
    /// What each of the user's marked structs and enums (and each aggregate's state struct) declares, by name: the
    /// attribute's name, or `state`; and the source it was lowered into.
    pub kinds: HashMap<String, (&'static str, SourceId)>,
}

/// The kind [`Lowered::kinds`] gives an aggregate's state struct.
pub(super) const STATE_KIND: &str = "state";

/// The attribute an item carries, and the item.
struct Marked<'a> {
    attribute: &'a syn::Attribute,
    kind: &'static str,
    item: &'a syn::Item,
}

/// Lowers the items of a module named `module`.
pub fn lower_items(module: &str, items: &[syn::Item]) -> Lowered {
    let mut lowering = Lowering {
        module,
        recorder: Recorder::default(),
        schema: Schema::default(),
        diagnostics: Vec::new(),
        written: HashMap::new(),
        projections: HashSet::new(),
        explicit_upcasts: HashSet::new(),
        commands: Vec::new(),
        kinds: HashMap::new(),
    };
    let structs: HashMap<String, &syn::ItemStruct> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => Some((item.ident.unraw().to_string(), item)),
            _ => None,
        })
        .collect();
    // Items are lowered in the module's order, so that their sources, and the errors in them, come in that order;
    // commands are given to their aggregates once every aggregate is known.
    for item in items {
        if let Some(found) = lowering.marked(item) {
            lowering.item(&found, &structs);
        }
    }
    lowering.attach_commands();
    lowering.implicit_upcasts();
    lowering.recorder.end();
    let Lowering { recorder, schema, diagnostics, written, projections, kinds, .. } = lowering;
    Lowered { schema, sources: recorder.sources, spans: recorder.spans, diagnostics, written, projections, kinds }
}

struct Lowering<'m> {
    module: &'m str,
    recorder: Recorder,
    schema: Schema,
    diagnostics: Vec<Diagnostic>,
    written: HashMap<String, syn::Ident>,
    projections: HashSet<String>,
    /// The event versions (name, version) whose upcast the user declared.
    explicit_upcasts: HashSet<(String, u32)>,
    /// Every command, with the aggregate it names (if any) and where its attribute is.
    commands: Vec<(CommandDef, Option<Ident>, Span)>,
    kinds: HashMap<String, (&'static str, SourceId)>,
}

/// The attribute's own span, for errors about the attribute as a whole.
fn attribute_span(attribute: &syn::Attribute) -> TokenSpan {
    attribute.path().span()
}

impl Lowering<'_> {
    /// The span of `text`, made from `tokens`, in the open item.
    fn span(&mut self, text: &str, tokens: TokenSpan) -> Span {
        self.recorder.span(text, tokens)
    }

    fn error(&mut self, code: &'static str, message: String, tokens: TokenSpan, label: &str, help: Option<String>) {
        let span = self.span("", tokens);
        let mut diagnostic = Diagnostic::error(code, message, span, label);
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        self.diagnostics.push(diagnostic);
    }

    /// The item's inert attribute, if it has one; a second one, or one on an item of the wrong kind, is reported.
    fn marked<'a>(&mut self, item: &'a syn::Item) -> Option<Marked<'a>> {
        let attributes = match item {
            syn::Item::Struct(item) => &item.attrs,
            syn::Item::Enum(item) => &item.attrs,
            syn::Item::Fn(item) => &item.attrs,
            syn::Item::Impl(item) => &item.attrs,
            syn::Item::Trait(item) => &item.attrs,
            syn::Item::Type(item) => &item.attrs,
            syn::Item::Const(item) => &item.attrs,
            syn::Item::Static(item) => &item.attrs,
            syn::Item::Mod(item) => &item.attrs,
            syn::Item::Union(item) => &item.attrs,
            syn::Item::Use(item) => &item.attrs,
            _ => return None,
        };
        let mut found: Option<Marked<'a>> = None;
        let ours = |attribute: &syn::Attribute| attrs::ALL.into_iter().find(|kind| attribute.path().is_ident(kind));
        let first = attributes.iter().find(|attribute| ours(attribute).is_some())?;
        let tokens = item_ident(item).map_or_else(|| attribute_span(first), syn::Ident::span);
        self.recorder.begin(format!("{}::{}", self.module, item_name(item)), tokens);
        for attribute in attributes {
            let Some(kind) = ours(attribute) else { continue };
            if let Some(first) = &found {
                let message = format!("`#[{kind}]` on an item that is already `#[{}]`", first.kind);
                let help = "an item declares one thing: remove one of the attributes".to_owned();
                self.error("factum::duplicate-attribute", message, attribute_span(attribute), "second", Some(help));
                continue;
            }
            let fits = match (kind, item) {
                (attrs::DATA, syn::Item::Enum(_)) => true,
                (attrs::AGGREGATE | attrs::PROJECTION, syn::Item::Struct(item)) => {
                    matches!(item.fields, syn::Fields::Unit)
                }
                (_, syn::Item::Struct(item)) => !matches!(item.fields, syn::Fields::Unnamed(_)),
                _ => false,
            };
            if !fits {
                let message = format!("`#[{kind}]` goes on {}, not on {}", attrs::goes_on(kind), item_kind(item));
                self.error("factum::misplaced-attribute", message, attribute_span(attribute), "here", None);
                continue;
            }
            if let syn::Item::Struct(syn::ItemStruct { generics, .. })
            | syn::Item::Enum(syn::ItemEnum { generics, .. }) = item
            {
                if !generics.params.is_empty() {
                    let message = format!("`#[{kind}]` goes on an item without generic parameters");
                    let help = "stored payloads have one shape: write the types out".to_owned();
                    self.error("factum::misplaced-attribute", message, generics.span(), "here", Some(help));
                    continue;
                }
            }
            found = Some(Marked { attribute, kind, item });
        }
        found
    }

    fn item(&mut self, marked: &Marked<'_>, structs: &HashMap<String, &syn::ItemStruct>) {
        if let Some(source) = self.recorder.current() {
            self.kinds.insert(item_name(marked.item), (marked.kind, source));
        }
        match (marked.kind, marked.item) {
            (attrs::DATA, syn::Item::Struct(item)) => self.record(marked.attribute, item),
            (attrs::DATA, syn::Item::Enum(item)) => self.enumeration(marked.attribute, item),
            (attrs::EVENT, syn::Item::Struct(item)) => self.event(marked.attribute, item),
            (attrs::AGGREGATE, syn::Item::Struct(item)) => self.aggregate(marked.attribute, item, structs),
            (attrs::COMMAND, syn::Item::Struct(item)) => self.command(marked.attribute, item),
            (attrs::PROJECTION, syn::Item::Struct(item)) => self.projection(marked.attribute, item),
            _ => {}
        }
    }

    /// An item's name as a model name, recorded at its identifier.
    fn ident(&mut self, ident: &syn::Ident) -> Ident {
        let name = ident.unraw().to_string();
        let span = self.span(&name, ident.span());
        Ident::new(name, span)
    }

    /// Reads the keys of `attribute` (none for a bare `#[event]`), calling `read` with each known key; an unknown
    /// key, or a malformed one, is reported and skipped.
    fn keys(
        &mut self,
        attribute: &syn::Attribute,
        kind: &'static str,
        mut read: impl FnMut(&mut Self, &'static str, &ParseNestedMeta<'_>) -> syn::Result<()>,
    ) {
        if matches!(attribute.meta, syn::Meta::Path(_)) {
            return;
        }
        let known = attrs::keys(kind);
        let parsed = attribute.parse_nested_meta(|meta| {
            let written = meta.path.get_ident().map(|ident| ident.unraw().to_string()).unwrap_or_default();
            match known.iter().find(|key| **key == written) {
                Some(key) => read(self, key, &meta),
                None => {
                    let shown = if written.is_empty() { quote::quote!(#(meta.path)).to_string() } else { written };
                    let help = match did_you_mean(&shown, known.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None if known.is_empty() => format!("`#[{kind}]` takes no keys"),
                        None => format!(
                            "the keys of `#[{kind}]` are {}",
                            known.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ")
                        ),
                    };
                    let message = format!("unknown key `{shown}` in `#[{kind}]`");
                    self.error("factum::unknown-attribute-key", message, meta.path.span(), "unknown", Some(help));
                    skip_value(&meta)
                }
            }
        });
        if let Err(error) = parsed {
            let message = format!("cannot read `#[{kind}]`: {error}");
            self.error("factum::attribute-syntax", message, error.span(), "here", None);
        }
    }

    fn docs(&self, attributes: &[syn::Attribute]) -> Docs {
        docs(attributes)
    }

    /// The fields of a struct: named ones, or none for a unit struct.
    fn fields(&mut self, fields: &syn::Fields) -> Vec<Field> {
        let syn::Fields::Named(named) = fields else { return Vec::new() };
        named
            .named
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let name = self.ident(ident);
                let ty = self.type_ref(&field.ty, 0);
                Some(Field { docs: docs(&field.attrs), name, ty })
            })
            .collect()
    }

    /// A field's Rust type as a schema type: scalars and the runtime's types by their last path segment, `Vec`,
    /// `Option` and `Map` (or `BTreeMap`) around them, and any other single name as a declared type.
    fn type_ref(&mut self, ty: &syn::Type, depth: usize) -> TypeRef {
        let placeholder = |span| TypeRef { kind: TypeKind::Builtin(Builtin::String), span };
        match ty {
            syn::Type::Paren(inner) => return self.type_ref(&inner.elem, depth),
            syn::Type::Group(inner) => return self.type_ref(&inner.elem, depth),
            syn::Type::Path(path) if path.qself.is_none() => {
                if let Some(segment) = path.path.segments.last() {
                    let name = segment.ident.unraw().to_string();
                    let span = self.span(&name, segment.ident.span());
                    let arguments: Vec<&syn::Type> = match &segment.arguments {
                        syn::PathArguments::None => Vec::new(),
                        syn::PathArguments::AngleBracketed(arguments) => arguments
                            .args
                            .iter()
                            .map_while(|argument| match argument {
                                syn::GenericArgument::Type(ty) => Some(ty),
                                _ => None,
                            })
                            .collect(),
                        syn::PathArguments::Parenthesized(_) => vec![ty, ty, ty],
                    };
                    let complete = match &segment.arguments {
                        syn::PathArguments::AngleBracketed(written) => written.args.len() == arguments.len(),
                        _ => true,
                    };
                    let nests =
                        matches!((name.as_str(), arguments.len()), ("Vec" | "Option", 1) | ("Map" | "BTreeMap", 2));
                    if nests && depth >= MAX_NESTING {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "factum::too-deep",
                                format!("type nested more than {MAX_NESTING} levels deep"),
                                span,
                                "one level too deep",
                            )
                            .with_help(
                                "each `Vec`, `Map` and `Option` is a level; declare an inner part as a type of its own",
                            ),
                        );
                        return placeholder(span);
                    }
                    let kind = match (name.as_str(), arguments.as_slice()) {
                        (_, []) => match Builtin::from_keyword(&name) {
                            Some(builtin) => TypeKind::Builtin(builtin),
                            None => TypeKind::Named(name.clone()),
                        },
                        ("Vec", [item]) if complete => TypeKind::List(Box::new(self.type_ref(item, depth + 1))),
                        ("Option", [inner]) if complete => TypeKind::Option(Box::new(self.type_ref(inner, depth + 1))),
                        ("Map" | "BTreeMap", [key, value]) if complete => {
                            let key = self.type_ref(key, depth + 1);
                            TypeKind::Map(Box::new(key), Box::new(self.type_ref(value, depth + 1)))
                        }
                        _ => return self.unsupported(ty, span),
                    };
                    return TypeRef { kind, span };
                }
            }
            _ => {}
        }
        let span = self.span(&quote::quote!(#ty).to_string(), ty.span());
        self.unsupported(ty, span)
    }

    fn unsupported(&mut self, ty: &syn::Type, span: Span) -> TypeRef {
        let written = quote::quote!(#ty).to_string();
        self.diagnostics.push(
            Diagnostic::error(
                "factum::unsupported-type",
                format!("the type `{written}` has no counterpart in a schema"),
                span,
                "not a schema type",
            )
            .with_help(
                "use `bool`, `i32`, `i64`, `u32`, `u64`, `f64`, `String`, `Bytes`, `Uuid`, `Timestamp`, `Date`, a \
                 `#[data]` type of the module, or `Vec<T>`, `Option<T>` and `Map<K, V>` of them",
            ),
        );
        TypeRef { kind: TypeKind::Builtin(Builtin::String), span }
    }

    fn record(&mut self, attribute: &syn::Attribute, item: &syn::ItemStruct) {
        self.keys(attribute, attrs::DATA, |_, _, _| Ok(()));
        let name = self.ident(&item.ident);
        self.written.insert(name.name.clone(), item.ident.clone());
        let fields = self.fields(&item.fields);
        self.schema.types.push(TypeDef { docs: self.docs(&item.attrs), name, fields });
    }

    fn enumeration(&mut self, attribute: &syn::Attribute, item: &syn::ItemEnum) {
        self.keys(attribute, attrs::DATA, |_, _, _| Ok(()));
        let name = self.ident(&item.ident);
        self.written.insert(name.name.clone(), item.ident.clone());
        let mut variants = Vec::new();
        for variant in &item.variants {
            let variant_name = self.ident(&variant.ident);
            if !matches!(variant.fields, syn::Fields::Unit) {
                let message =
                    format!("variant `{}` holds data: a `#[data]` enum has unit variants only", variant_name.name);
                let help = "hold the data in an event or a `#[data]` struct, and name the case with a unit variant";
                self.diagnostics.push(
                    Diagnostic::error("factum::misplaced-attribute", message, variant_name.span, "holds data")
                        .with_help(help),
                );
            }
            if let Some((_, discriminant)) = &variant.discriminant {
                let span = self.span("=", discriminant.span());
                self.diagnostics.push(Diagnostic::error(
                    "factum::misplaced-attribute",
                    format!("variant `{}` has a discriminant: variants are stored by name", variant_name.name),
                    span,
                    "here",
                ));
            }
            variants.push(Variant { docs: docs(&variant.attrs), name: variant_name });
        }
        self.schema.enums.push(EnumDef { docs: self.docs(&item.attrs), name, variants });
    }

    fn event(&mut self, attribute: &syn::Attribute, item: &syn::ItemStruct) {
        let struct_name = self.ident(&item.ident);
        let mut name = struct_name.clone();
        let attribute_span = self.span(attrs::EVENT, attribute_span(attribute));
        let (mut version, mut version_span) = (1, attribute_span);
        let mut upcast: Option<(UpcastBody, Span)> = None;
        let mut aliases = Vec::new();
        self.keys(attribute, attrs::EVENT, |this, key, meta| {
            match key {
                attrs::NAME => {
                    let value: syn::LitStr = meta.value()?.parse()?;
                    let span = this.span(&value.value(), value.span());
                    name = Ident::new(value.value(), span);
                }
                attrs::VERSION => {
                    let value: syn::LitInt = meta.value()?.parse()?;
                    version_span = this.span(value.base10_digits(), value.span());
                    version = match value.base10_parse::<u32>() {
                        Ok(number) if number > 0 => number,
                        _ => {
                            this.diagnostics.push(
                                Diagnostic::error(
                                    "factum::invalid-version",
                                    format!("invalid version `{}`", value.base10_digits()),
                                    version_span,
                                    "not a version",
                                )
                                .with_help(format!("versions are numbered from 1 to {}", u32::MAX)),
                            );
                            0
                        }
                    };
                }
                attrs::UPCAST => {
                    let span = this.span(attrs::UPCAST, meta.path.span());
                    let content;
                    syn::parenthesized!(content in meta.input);
                    upcast = Some((this.upcast_body(&content)?, span));
                }
                attrs::ALIAS => {
                    let value: syn::LitStr = meta.value()?.parse()?;
                    let span = this.span(&value.value(), value.span());
                    aliases.push(Ident::new(value.value(), span));
                }
                _ => {}
            }
            Ok(())
        });
        let fields = self.fields(&item.fields);
        self.check_struct_name(&item.ident, &struct_name, &name.name, version);
        self.written.insert(names::event_version_type(&name.name, version).as_str().to_owned(), item.ident.clone());
        for old in aliases {
            self.schema.aliases.push(AliasDef { docs: Vec::new(), old, new: name.clone() });
        }
        if let Some((body, span)) = upcast {
            self.explicit_upcasts.insert((name.name.clone(), version));
            let to = version.checked_add(1).unwrap_or(0);
            self.schema.upcasts.push(UpcastDef {
                docs: Vec::new(),
                event: name.clone(),
                from: version,
                from_span: version_span,
                to,
                to_span: span,
                body,
                span,
            });
        }
        self.schema.events.push(EventDef { docs: self.docs(&item.attrs), name, version, version_span, fields });
    }

    /// A struct named like a generated name of an event stands for that name: `OrderCreated` for the latest
    /// version (checked once every version is known), `OrderCreatedV2` for version 2.
    fn check_struct_name(&mut self, ident: &syn::Ident, struct_name: &Ident, event: &str, version: u32) {
        let Some(number) = struct_name.name.strip_prefix(event).and_then(|rest| rest.strip_prefix('V')) else {
            return;
        };
        let Ok(number) = number.parse::<u32>() else { return };
        if number != version && version != 0 {
            let message = format!(
                "struct `{ident}` is version {version} of `{event}`, but its name is the one the generated code gives \
                 version {number}"
            );
            let help = format!("name it `{}`, or make it version {number}", names::event_version_type(event, version));
            self.diagnostics.push(
                Diagnostic::error("factum::event-struct-name", message, struct_name.span, "misleading name")
                    .with_help(help),
            );
        }
    }

    /// `custom`, or declarative steps: `field = literal`, `rename(old -> new)`, `drop(field)`.
    fn upcast_body(&mut self, input: syn::parse::ParseStream<'_>) -> syn::Result<UpcastBody> {
        if input.peek(syn::Ident) && input.fork().parse::<syn::Ident>().is_ok_and(|ident| ident == attrs::CUSTOM) {
            let ident: syn::Ident = input.parse()?;
            if input.is_empty() {
                return Ok(UpcastBody::Custom(self.span(attrs::CUSTOM, ident.span())));
            }
            return Err(syn::Error::new(ident.span(), "`custom` is the whole step: nothing follows it"));
        }
        let mut steps = Vec::new();
        while !input.is_empty() {
            let key = syn::Ident::parse_any(input)?;
            let key_name = key.unraw().to_string();
            if input.peek(syn::token::Paren) && (key_name == attrs::RENAME || key_name == attrs::DROP) {
                let content;
                syn::parenthesized!(content in input);
                let field = self.ident(&syn::Ident::parse_any(&content)?);
                if key_name == attrs::RENAME {
                    content.parse::<Token![->]>()?;
                    let to = self.ident(&syn::Ident::parse_any(&content)?);
                    steps.push(UpcastStep::Rename { from: field, to });
                } else {
                    steps.push(UpcastStep::Drop { field });
                }
                if !content.is_empty() {
                    return Err(content.error("unexpected tokens"));
                }
            } else {
                input.parse::<Token![=]>()?;
                let field = self.ident(&key);
                let value = self.literal(input)?;
                steps.push(UpcastStep::Default { field, value });
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(UpcastBody::Steps(steps))
    }

    /// A default's value, as the schema language writes it: a string, a number, `true`, `false`, `none`, `[]`, `{}`
    /// or a variant's name.
    fn literal(&mut self, input: syn::parse::ParseStream<'_>) -> syn::Result<Literal> {
        let negative = input.parse::<Option<Token![-]>>()?.is_some();
        let (kind, text, span) = if input.peek(syn::token::Bracket) {
            let content;
            let bracket = syn::bracketed!(content in input);
            if !content.is_empty() {
                return Err(content.error("a default list is empty: `[]`"));
            }
            (LiteralKind::EmptyList, "[]".to_owned(), bracket.span.join())
        } else if input.peek(syn::token::Brace) {
            let content;
            let brace = syn::braced!(content in input);
            if !content.is_empty() {
                return Err(content.error("a default map is empty: `{}`"));
            }
            (LiteralKind::EmptyMap, "{}".to_owned(), brace.span.join())
        } else if input.peek(syn::Lit) {
            let literal: syn::Lit = input.parse()?;
            let kind = match &literal {
                syn::Lit::Str(text) => LiteralKind::String(text.value()),
                syn::Lit::Int(number) => {
                    let value = number.base10_parse::<i128>()?;
                    LiteralKind::Integer(if negative { -value } else { value })
                }
                syn::Lit::Float(number) => {
                    let value = number.base10_parse::<f64>()?;
                    LiteralKind::Float(if negative { -value } else { value })
                }
                syn::Lit::Bool(value) => LiteralKind::Bool(value.value),
                _ => return Err(syn::Error::new(literal.span(), "not a value a schema default can take")),
            };
            (kind, quote::quote!(#literal).to_string(), literal.span())
        } else {
            let ident = syn::Ident::parse_any(input)?;
            let name = ident.unraw().to_string();
            let kind = if name == "none" { LiteralKind::None } else { LiteralKind::Variant(name.clone()) };
            (kind, name, ident.span())
        };
        if negative && !matches!(kind, LiteralKind::Integer(_) | LiteralKind::Float(_)) {
            return Err(syn::Error::new(span, "only a number can be negative"));
        }
        let span = self.span(&text, span);
        Ok(Literal { kind, span })
    }

    fn aggregate(
        &mut self,
        attribute: &syn::Attribute,
        item: &syn::ItemStruct,
        structs: &HashMap<String, &syn::ItemStruct>,
    ) {
        let name = self.ident(&item.ident);
        self.written.insert(name.name.clone(), item.ident.clone());
        let mut id = None;
        let mut state_ident: Option<syn::Ident> = None;
        self.keys(attribute, attrs::AGGREGATE, |this, key, meta| {
            match key {
                attrs::ID => {
                    let ty: syn::Type = meta.value()?.parse()?;
                    id = Some(this.type_ref(&ty, 0));
                }
                attrs::STATE => state_ident = Some(meta.value()?.parse()?),
                _ => {}
            }
            Ok(())
        });
        let id = id.unwrap_or_else(|| {
            let span = self.span("", attribute_span(attribute));
            self.diagnostics.push(
                Diagnostic::error(
                    "factum::missing-id",
                    format!("aggregate `{}` has no id type", name.name),
                    span,
                    "no `id`",
                )
                .with_help("say what tells instances apart: `#[aggregate(id = Uuid)]`"),
            );
            TypeRef { kind: TypeKind::Builtin(Builtin::String), span }
        });
        let state_name = state_ident
            .as_ref()
            .map(|ident| ident.unraw().to_string())
            .unwrap_or_else(|| names::AggregateNames::new(&name.name).state.as_str().to_owned());
        let docs = self.docs(&item.attrs);
        let state = match structs.get(&state_name) {
            Some(state) => {
                self.written
                    .insert(names::AggregateNames::new(&name.name).state.as_str().to_owned(), state.ident.clone());
                self.recorder.begin(format!("{}::{state_name}", self.module), state.ident.span());
                if let Some(source) = self.recorder.current() {
                    self.kinds.insert(state_name.clone(), (STATE_KIND, source));
                }
                self.fields(&state.fields)
            }
            None => {
                let tokens = state_ident.as_ref().map_or(item.ident.span(), syn::Ident::span);
                let span = self.span(&state_name, tokens);
                let help = format!(
                    "declare `pub struct {state_name} {{ ... }}` in the module (fields with defaults), or name another \
                     struct with `#[aggregate(state = ...)]`"
                );
                self.diagnostics.push(
                    Diagnostic::error(
                        "factum::missing-state",
                        format!("aggregate `{}` has no state struct `{state_name}` in the module", name.name),
                        span,
                        "no such struct",
                    )
                    .with_help(help),
                );
                Vec::new()
            }
        };
        self.schema.aggregates.push(AggregateDef { docs, name, id, state, commands: Vec::new() });
    }

    fn command(&mut self, attribute: &syn::Attribute, item: &syn::ItemStruct) {
        let name = self.ident(&item.ident);
        self.written.insert(name.name.clone(), item.ident.clone());
        let mut emits = None;
        let mut aggregate: Option<Ident> = None;
        self.keys(attribute, attrs::COMMAND, |this, key, meta| {
            match key {
                attrs::EMITS => {
                    let span = this.span(attrs::EMITS, meta.path.span());
                    let content;
                    syn::parenthesized!(content in meta.input);
                    emits = Some(Emits { slots: this.emit_slots(&content)?, span });
                }
                attrs::AGGREGATE_KEY => {
                    let ident: syn::Ident = meta.value()?.parse()?;
                    aggregate = Some(this.ident(&ident));
                }
                _ => {}
            }
            Ok(())
        });
        let fields = self.fields(&item.fields);
        let emits = emits.unwrap_or_else(|| {
            let span = self.span("", attribute_span(attribute));
            self.diagnostics.push(
                Diagnostic::error(
                    "factum::missing-emits",
                    format!("command `{}` does not say what it records", name.name),
                    span,
                    "no `emits`",
                )
                .with_help("name the events deciding it may record: `#[command(emits(OrderCreated))]`"),
            );
            Emits { slots: Vec::new(), span }
        });
        let command = CommandDef { docs: self.docs(&item.attrs), name, fields, emits };
        let at = self.span("", attribute_span(attribute));
        self.commands.push((command, aggregate, at));
    }

    /// Gives each command to its aggregate: the one it names, or the module's only one.
    fn attach_commands(&mut self) {
        for (command, aggregate, at) in std::mem::take(&mut self.commands) {
            if let Some(index) = self.aggregate_of(&command, aggregate.as_ref(), at) {
                self.schema.aggregates[index].commands.push(command);
            }
        }
    }

    fn aggregate_of(&mut self, command: &CommandDef, aggregate: Option<&Ident>, at: Span) -> Option<usize> {
        let aggregates: Vec<&str> = self.schema.aggregates.iter().map(|def| def.name.name.as_str()).collect();
        match (aggregate, aggregates.as_slice()) {
            (Some(wanted), _) => match aggregates.iter().position(|name| *name == wanted.name) {
                Some(index) => Some(index),
                None => {
                    let help = match did_you_mean(&wanted.name, aggregates.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "declare it with `#[aggregate(id = ...)]` on a unit struct of the module".to_owned(),
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            "factum::unknown-aggregate",
                            format!("unknown aggregate `{}`", wanted.name),
                            wanted.span,
                            "no such aggregate",
                        )
                        .with_help(help),
                    );
                    None
                }
            },
            (None, [_]) => Some(0),
            (None, others) => {
                let (message, help) = if others.is_empty() {
                    (
                        format!("command `{}` has no aggregate", command.name.name),
                        "declare one with `#[aggregate(id = ...)]` on a unit struct of the module".to_owned(),
                    )
                } else {
                    (
                        format!("command `{}` could belong to any of the module's aggregates", command.name.name),
                        format!("say which: `#[command(aggregate = {}, ...)]`", others[0]),
                    )
                };
                self.diagnostics.push(
                    Diagnostic::error("factum::unknown-aggregate", message, at, "which aggregate?").with_help(help),
                );
                None
            }
        }
    }

    /// `A`, `A?`, `A | B`, separated by commas.
    fn emit_slots(&mut self, input: syn::parse::ParseStream<'_>) -> syn::Result<Vec<EmitSlot>> {
        let mut slots = Vec::new();
        while !input.is_empty() {
            let first = self.ident(&syn::Ident::parse_any(input)?);
            if input.parse::<Option<Token![?]>>()?.is_some() {
                slots.push(EmitSlot::Optional(first));
            } else if input.peek(Token![|]) {
                let mut events = vec![first];
                while input.parse::<Option<Token![|]>>()?.is_some() {
                    events.push(self.ident(&syn::Ident::parse_any(input)?));
                }
                slots.push(EmitSlot::OneOf(events));
            } else {
                slots.push(EmitSlot::One(first));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(slots)
    }

    fn projection(&mut self, attribute: &syn::Attribute, item: &syn::ItemStruct) {
        let name = self.ident(&item.ident);
        self.projections.insert(name.name.clone());
        let mut events = Vec::new();
        self.keys(attribute, attrs::PROJECTION, |this, key, meta| {
            if key == attrs::ON {
                let content;
                syn::parenthesized!(content in meta.input);
                let written = content.parse_terminated(syn::Ident::parse_any, Token![,])?;
                events.extend(written.iter().map(|ident| this.ident(ident)));
            }
            Ok(())
        });
        self.schema.projections.push(ProjectionDef { docs: self.docs(&item.attrs), name, events });
    }

    /// Every version of an event but the latest that declares no upcast carries its fields over to the next
    /// unchanged: an empty declarative step, which the checks hold to the two versions' fields like any other.
    fn implicit_upcasts(&mut self) {
        let versions: HashSet<(&str, u32)> =
            self.schema.events.iter().map(|def| (def.name.name.as_str(), def.version)).collect();
        let mut latest: HashMap<String, u32> = HashMap::new();
        for def in &self.schema.events {
            let entry = latest.entry(def.name.name.clone()).or_default();
            *entry = (*entry).max(def.version);
        }
        let mut added = Vec::new();
        for def in &self.schema.events {
            let next = def.version.saturating_add(1);
            let explicit = self.explicit_upcasts.contains(&(def.name.name.clone(), def.version));
            if def.version == 0 || explicit || !versions.contains(&(def.name.name.as_str(), next)) {
                continue;
            }
            added.push(UpcastDef {
                docs: Vec::new(),
                event: def.name.clone(),
                from: def.version,
                from_span: def.version_span,
                to: next,
                to_span: def.version_span,
                body: UpcastBody::Steps(Vec::new()),
                span: def.name.span,
            });
        }
        // The latest version's struct also stands for the alias naming the latest.
        let mut aliases = Vec::new();
        for def in &self.schema.events {
            if latest.get(def.name.name.as_str()) == Some(&def.version) {
                let version_type = names::event_version_type(&def.name.name, def.version);
                if let Some(ident) = self.written.get(version_type.as_str()) {
                    aliases.push((names::event_type(&def.name.name).as_str().to_owned(), ident.clone()));
                }
            }
        }
        self.schema.upcasts.extend(added);
        for (alias, ident) in aliases {
            self.written.entry(alias).or_insert(ident);
        }
        self.check_latest_names(&latest);
    }

    /// A struct named exactly like its event stands for the latest version, so it must be the latest.
    fn check_latest_names(&mut self, latest: &HashMap<String, u32>) {
        let mut found = Vec::new();
        for def in &self.schema.events {
            let version_type = names::event_version_type(&def.name.name, def.version);
            let Some(ident) = self.written.get(version_type.as_str()) else { continue };
            let latest = latest.get(def.name.name.as_str()).copied().unwrap_or_default();
            if ident.unraw() == def.name.name && def.version != latest && def.version != 0 {
                let message = format!(
                    "struct `{ident}` is named like its event, which names the latest version (v{latest}), but it is \
                     v{}",
                    def.version
                );
                let help = format!("name it `{version_type}`: older versions are structs of their own");
                found.push(
                    Diagnostic::error("factum::event-struct-name", message, def.version_span, "not the latest")
                        .with_help(help),
                );
            }
        }
        self.diagnostics.extend(found);
    }
}

/// Skips the value of an unknown key: `= tokens` up to the next comma, or a parenthesized group.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.parse::<Option<Token![=]>>()?.is_some() {
        while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
            meta.input.parse::<proc_macro2::TokenTree>()?;
        }
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// The `///` lines of an item, without the space after the slashes.
pub(super) fn docs(attributes: &[syn::Attribute]) -> Docs {
    let mut lines = Vec::new();
    for attribute in attributes.iter().filter(|attribute| attribute.path().is_ident("doc")) {
        let syn::Meta::NameValue(doc) = &attribute.meta else { continue };
        let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &doc.value else { continue };
        for line in text.value().lines() {
            lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
        }
    }
    lines
}

/// The identifier of an item that has one.
fn item_ident(item: &syn::Item) -> Option<&syn::Ident> {
    match item {
        syn::Item::Struct(item) => Some(&item.ident),
        syn::Item::Enum(item) => Some(&item.ident),
        syn::Item::Fn(item) => Some(&item.sig.ident),
        syn::Item::Trait(item) => Some(&item.ident),
        syn::Item::Type(item) => Some(&item.ident),
        syn::Item::Const(item) => Some(&item.ident),
        syn::Item::Static(item) => Some(&item.ident),
        syn::Item::Mod(item) => Some(&item.ident),
        syn::Item::Union(item) => Some(&item.ident),
        _ => None,
    }
}

/// An item's name, as its source is named after it.
fn item_name(item: &syn::Item) -> String {
    item_ident(item).map_or_else(|| item_kind(item).to_owned(), |ident| ident.unraw().to_string())
}

/// What an item is, for messages: "an enum".
fn item_kind(item: &syn::Item) -> &'static str {
    match item {
        syn::Item::Struct(item) => match item.fields {
            syn::Fields::Named(_) => "a struct with named fields",
            syn::Fields::Unnamed(_) => "a tuple struct",
            syn::Fields::Unit => "a unit struct",
        },
        syn::Item::Enum(_) => "an enum",
        syn::Item::Fn(_) => "a function",
        syn::Item::Impl(_) => "an impl block",
        syn::Item::Trait(_) => "a trait",
        syn::Item::Type(_) => "a type alias",
        syn::Item::Const(_) => "a constant",
        syn::Item::Static(_) => "a static",
        syn::Item::Mod(_) => "a module",
        syn::Item::Union(_) => "a union",
        syn::Item::Use(_) => "a use declaration",
        _ => "this item",
    }
}
