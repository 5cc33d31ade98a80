//! Lowers pest's parse tree into the [`model`](crate::model), reporting what the grammar cannot express: an
//! aggregate without an `id` or with two, two `state` blocks, docs where nothing takes them, a `v0` or a version too
//! large to store, and literals that cannot be represented (see [`literal`](super::literal)).
//!
//! The grammar guarantees the shape of the tree, but nothing here relies on it to avoid a panic: every part is
//! matched by rule, and a part that is somehow missing leaves a default behind instead of unwrapping.
//!
//! A declaration with a problem is reported and kept, never dropped, so that the checks still see it and report
//! everything else at once: an aggregate without an `id` gets a placeholder id, and an event or upcast whose version
//! cannot be read gets version 0, which no readable version has and which the checks on versions pass over.

use pest::iterators::{Pair, Pairs};

use super::{grammar::Rule, literal};
use crate::{
    diagnostics::Diagnostic,
    model::{
        AggregateDef, AliasDef, Builtin, CommandDef, Docs, EmitSlot, Emits, EnumDef, EventDef, Field, Ident, Literal,
        LiteralKind, ProjectionDef, Schema, SourceId, Span, TypeDef, TypeKind, TypeRef, UpcastBody, UpcastDef,
        UpcastStep, Variant,
    },
};

/// Lowers a successful parse of the text of `source` from byte `offset` on, pushing any problems onto `diagnostics`.
pub(super) fn lower(
    pairs: Pairs<'_, Rule>,
    source: SourceId,
    offset: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Schema {
    let mut lowerer = Lowerer { source, offset, diagnostics };
    let mut schema = Schema::default();
    // Each declaration's docs come just before it, as a pair of their own.
    let mut pending_docs = Docs::new();
    for declaration in pairs {
        let docs_above = std::mem::take(&mut pending_docs);
        match declaration.as_rule() {
            Rule::docs => pending_docs = docs(declaration),
            Rule::type_def => schema.types.push(lowerer.type_def(docs_above, declaration)),
            Rule::enum_def => schema.enums.push(lowerer.enum_def(docs_above, declaration)),
            Rule::event_def => schema.events.push(lowerer.event_def(docs_above, declaration)),
            Rule::aggregate_def => schema.aggregates.push(lowerer.aggregate_def(docs_above, declaration)),
            Rule::projection_def => schema.projections.push(lowerer.projection_def(docs_above, declaration)),
            Rule::upcast_def => schema.upcasts.push(lowerer.upcast_def(docs_above, declaration)),
            Rule::alias_def => schema.aliases.push(lowerer.alias_def(docs_above, declaration)),
            _ => {}
        }
    }
    schema
}

/// The lowering context: which source the parsed text is, where it starts in it, and where problems go.
struct Lowerer<'d> {
    source: SourceId,
    offset: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Lowerer<'_> {
    fn type_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> TypeDef {
        let mut def = TypeDef { docs, name: self.placeholder(&pair), fields: Vec::new() };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::type_name => def.name = self.ident(&part),
                Rule::field => def.fields.push(self.field(part)),
                _ => {}
            }
        }
        def
    }

    fn enum_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> EnumDef {
        let mut def = EnumDef { docs, name: self.placeholder(&pair), variants: Vec::new() };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::enum_name => def.name = self.ident(&part),
                Rule::variant => def.variants.push(self.variant(part)),
                _ => {}
            }
        }
        def
    }

    fn variant(&mut self, pair: Pair<'_, Rule>) -> Variant {
        let mut variant = Variant { docs: Docs::new(), name: self.placeholder(&pair) };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::docs => variant.docs = docs(part),
                Rule::variant_name => variant.name = self.ident(&part),
                _ => {}
            }
        }
        variant
    }

    /// An event version; one whose version tag is unusable is reported and kept as version 0.
    fn event_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> EventDef {
        let mut def = EventDef {
            docs,
            name: self.placeholder(&pair),
            version: 1,
            version_span: self.placeholder(&pair).span,
            fields: Vec::new(),
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::event_name => def.name = self.ident(&part),
                Rule::version => {
                    def.version_span = self.span(&part);
                    def.version = self.version(&part).unwrap_or(0);
                }
                Rule::field => def.fields.push(self.field(part)),
                _ => {}
            }
        }
        def
    }

    // An event version is a number from 1 to `u32::MAX`, written `v1`.
    fn version(&mut self, pair: &Pair<'_, Rule>) -> Option<u32> {
        let digits = pair.as_str().trim_start_matches('v');
        let span = self.span(pair);
        match digits.parse::<u32>() {
            Ok(0) => {
                let diagnostic = Diagnostic::error(
                    "factum::invalid-version",
                    "event versions start at `v1`",
                    span,
                    format!("`{}` is not a version", pair.as_str()),
                )
                .with_help("number the first version of an event `v1`");
                self.diagnostics.push(diagnostic);
                None
            }
            Ok(version) => Some(version),
            Err(_) => {
                let message = format!("version `{}` is too large", pair.as_str());
                let label = format!("the largest version is `v{}`", u32::MAX);
                self.diagnostics.push(Diagnostic::error("factum::invalid-version", message, span, label));
                None
            }
        }
    }

    /// An aggregate; one without an `id` is reported and kept with a placeholder id (a `Uuid` at its name), which no
    /// check finds fault with.
    fn aggregate_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> AggregateDef {
        let mut name = self.placeholder(&pair);
        let mut id: Option<(TypeRef, Span)> = None;
        let mut state: Option<(Vec<Field>, Span)> = None;
        let mut commands = Vec::new();
        // Each member's docs come just before it, as a pair of their own.
        let mut pending_docs = None;
        for part in pair.into_inner() {
            let docs_above = pending_docs.take();
            match part.as_rule() {
                Rule::docs => pending_docs = Some(part),
                Rule::aggregate_name => name = self.ident(&part),
                Rule::id_member => {
                    if let Some(docs) = &docs_above {
                        self.reject_docs(docs, "an `id`");
                    }
                    let (keyword, ty) = self.id_member(part);
                    match &id {
                        Some((_, first)) => self.diagnostics.push(
                            Diagnostic::error(
                                "factum::duplicate-member",
                                format!("aggregate `{}` declares `id` twice", name.name),
                                keyword,
                                "second `id`",
                            )
                            .with_label(*first, "first `id` here"),
                        ),
                        None => id = Some((ty, keyword)),
                    }
                }
                Rule::state_member => {
                    if let Some(docs) = &docs_above {
                        self.reject_docs(docs, "a `state` block");
                    }
                    let (keyword, fields) = self.state_member(part);
                    match &state {
                        Some((_, first)) => self.diagnostics.push(
                            Diagnostic::error(
                                "factum::duplicate-member",
                                format!("aggregate `{}` declares `state` twice", name.name),
                                keyword,
                                "second `state`",
                            )
                            .with_label(*first, "first `state` here")
                            .with_help("put every state field in one `state { ... }` block"),
                        ),
                        None => state = Some((fields, keyword)),
                    }
                }
                Rule::command_def => {
                    commands.push(self.command_def(docs_above.map(self::docs).unwrap_or_default(), part))
                }
                _ => {}
            }
        }
        let id = match id {
            Some((id, _)) => id,
            None => {
                let diagnostic = Diagnostic::error(
                    "factum::missing-id",
                    format!("aggregate `{}` has no `id`", name.name),
                    name.span,
                    "no `id` member",
                )
                .with_help("declare the type of the id that tells instances apart, e.g. `id: Uuid`");
                self.diagnostics.push(diagnostic);
                TypeRef { kind: TypeKind::Builtin(Builtin::Uuid), span: name.span }
            }
        };
        let state = state.map(|(fields, _)| fields).unwrap_or_default();
        AggregateDef { docs, name, id, state, commands }
    }

    /// The `id` keyword's span and the id's type.
    fn id_member(&mut self, pair: Pair<'_, Rule>) -> (Span, TypeRef) {
        let mut keyword = self.span(&pair);
        let mut ty = TypeRef { kind: TypeKind::Builtin(Builtin::Uuid), span: keyword };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_id => keyword = self.span(&part),
                Rule::type_ref => ty = self.type_ref(part),
                _ => {}
            }
        }
        (keyword, ty)
    }

    /// The `state` keyword's span and the state's fields.
    fn state_member(&mut self, pair: Pair<'_, Rule>) -> (Span, Vec<Field>) {
        let mut keyword = self.span(&pair);
        let mut fields = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_state => keyword = self.span(&part),
                Rule::field => fields.push(self.field(part)),
                _ => {}
            }
        }
        (keyword, fields)
    }

    // Docs are allowed on everything that becomes a documented item; an aggregate's `id` and `state` do not.
    fn reject_docs(&mut self, docs: &Pair<'_, Rule>, what: &str) {
        if docs.as_str().is_empty() {
            return;
        }
        let diagnostic = Diagnostic::error(
            "factum::misplaced-doc",
            format!("doc comments are not allowed on {what}"),
            self.span(docs),
            "this doc comment documents nothing",
        )
        .with_help("document the aggregate itself, or its state fields, or turn this into a `//` comment");
        self.diagnostics.push(diagnostic);
    }

    fn command_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> CommandDef {
        let mut def = CommandDef {
            docs,
            name: self.placeholder(&pair),
            fields: Vec::new(),
            emits: Emits { slots: Vec::new(), span: self.placeholder(&pair).span },
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::command_name => def.name = self.ident(&part),
                Rule::field => def.fields.push(self.field(part)),
                Rule::emits => def.emits = self.emits(part),
                _ => {}
            }
        }
        def
    }

    fn emits(&mut self, pair: Pair<'_, Rule>) -> Emits {
        let span = self.span_without_trivia(&pair);
        let slots =
            pair.into_inner().filter(|part| part.as_rule() == Rule::emit_slot).map(|slot| self.slot(slot)).collect();
        Emits { slots, span }
    }

    fn slot(&mut self, pair: Pair<'_, Rule>) -> EmitSlot {
        let mut events = Vec::new();
        let mut optional = false;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::event_ref => events.push(self.ident(&part)),
                Rule::question => optional = true,
                _ => {}
            }
        }
        match (events.len(), optional) {
            (1, true) => EmitSlot::Optional(events.remove(0)),
            (1, false) => EmitSlot::One(events.remove(0)),
            _ => EmitSlot::OneOf(events),
        }
    }

    fn projection_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> ProjectionDef {
        let mut def = ProjectionDef { docs, name: self.placeholder(&pair), events: Vec::new() };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::projection_name => def.name = self.ident(&part),
                Rule::event_ref => def.events.push(self.ident(&part)),
                _ => {}
            }
        }
        def
    }

    /// An upcasting step; an unusable version tag is reported and kept as version 0.
    fn upcast_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> UpcastDef {
        let whole = self.span(&pair);
        let mut def = UpcastDef {
            docs,
            event: self.placeholder(&pair),
            from: 1,
            from_span: self.placeholder(&pair).span,
            to: 2,
            to_span: self.placeholder(&pair).span,
            body: UpcastBody::Steps(Vec::new()),
            span: whole,
        };
        let mut steps = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                // The declaration's span leaves its docs out.
                Rule::kw_upcast => def.span = self.span(&part).to(whole),
                Rule::event_ref => def.event = self.ident(&part),
                Rule::from_version => {
                    def.from_span = self.span(&part);
                    def.from = self.version(&part).unwrap_or(0);
                }
                Rule::to_version => {
                    def.to_span = self.span(&part);
                    def.to = self.version(&part).unwrap_or(0);
                }
                Rule::kw_custom => def.body = UpcastBody::Custom(self.span(&part)),
                Rule::rename_step | Rule::drop_step | Rule::default_step => steps.push(self.upcast_step(part)),
                _ => {}
            }
        }
        if let UpcastBody::Steps(body) = &mut def.body {
            *body = steps;
        }
        def
    }

    fn upcast_step(&mut self, pair: Pair<'_, Rule>) -> UpcastStep {
        let rule = pair.as_rule();
        let placeholder = self.placeholder(&pair);
        let mut names = Vec::new();
        let mut value = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::field_name => names.push(self.ident(&part)),
                Rule::literal => value = Some(self.literal(part)),
                _ => {}
            }
        }
        let mut names = names.into_iter();
        let mut name = || names.next().unwrap_or_else(|| placeholder.clone());
        match rule {
            Rule::rename_step => UpcastStep::Rename { from: name(), to: name() },
            Rule::drop_step => UpcastStep::Drop { field: name() },
            _ => {
                let field = name();
                let value = value.unwrap_or(Literal { kind: LiteralKind::None, span: field.span });
                UpcastStep::Default { field, value }
            }
        }
    }

    fn literal(&mut self, pair: Pair<'_, Rule>) -> Literal {
        let span = self.span(&pair);
        let kind = match pair.into_inner().next() {
            Some(value) => match value.as_rule() {
                Rule::string => {
                    let text = value.into_inner().find(|part| part.as_rule() == Rule::string_text);
                    let text = text.map(|text| (text.as_str(), self.span(&text)));
                    let (raw, start) = text.unwrap_or(("", span));
                    LiteralKind::String(literal::string_value(raw, start, self.diagnostics))
                }
                Rule::number => literal::number_value(value.as_str(), span, self.diagnostics),
                Rule::kw_true => LiteralKind::Bool(true),
                Rule::kw_false => LiteralKind::Bool(false),
                Rule::empty_list => LiteralKind::EmptyList,
                Rule::empty_map => LiteralKind::EmptyMap,
                Rule::variant_value => LiteralKind::Variant(value.as_str().to_owned()),
                _ => LiteralKind::None,
            },
            None => LiteralKind::None,
        };
        Literal { kind, span }
    }

    fn alias_def(&mut self, docs: Docs, pair: Pair<'_, Rule>) -> AliasDef {
        let mut def = AliasDef { docs, old: self.placeholder(&pair), new: self.placeholder(&pair) };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::alias_name => def.old = self.ident(&part),
                Rule::event_ref => def.new = self.ident(&part),
                _ => {}
            }
        }
        def
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Field {
        let span = self.span(&pair);
        let mut field = Field {
            docs: Docs::new(),
            name: self.placeholder(&pair),
            ty: TypeRef { kind: TypeKind::Named(String::new()), span },
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::docs => field.docs = docs(part),
                Rule::field_name => field.name = self.ident(&part),
                Rule::type_ref => field.ty = self.type_ref(part),
                _ => {}
            }
        }
        field
    }

    /// A type: its atom, wrapped in an option for each `?` after it. Recursion is bounded by the parser's nesting
    /// limit.
    fn type_ref(&mut self, pair: Pair<'_, Rule>) -> TypeRef {
        let start = pair.as_span().start() + self.offset;
        let mut ty = TypeRef { kind: TypeKind::Named(String::new()), span: self.span_without_trivia(&pair) };
        for part in pair.into_inner() {
            let span = self.span(&part);
            match part.as_rule() {
                Rule::named_type => {
                    let name = part.as_str();
                    let kind = match Builtin::from_keyword(name) {
                        Some(builtin) => TypeKind::Builtin(builtin),
                        None => TypeKind::Named(name.to_owned()),
                    };
                    ty = TypeRef { kind, span };
                }
                Rule::list_type => {
                    let element = part.into_inner().find(|inner| inner.as_rule() == Rule::type_ref);
                    let element = element.map(|inner| self.type_ref(inner)).unwrap_or_else(|| ty.clone());
                    ty = TypeRef { kind: TypeKind::List(Box::new(element)), span };
                }
                Rule::map_type => {
                    let mut types = part.into_inner().filter(|inner| inner.as_rule() == Rule::type_ref);
                    let mut next = |lowerer: &mut Self| match types.next() {
                        Some(inner) => lowerer.type_ref(inner),
                        None => ty.clone(),
                    };
                    let key = next(self);
                    let value = next(self);
                    ty = TypeRef { kind: TypeKind::Map(Box::new(key), Box::new(value)), span };
                }
                Rule::question => {
                    ty =
                        TypeRef { kind: TypeKind::Option(Box::new(ty)), span: Span::new(self.source, start, span.end) };
                }
                _ => {}
            }
        }
        ty
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident::new(pair.as_str(), self.span(pair))
    }

    /// An empty name at the start of `pair`, for a part the grammar guarantees but the tree somehow lacks.
    fn placeholder(&self, pair: &Pair<'_, Rule>) -> Ident {
        let start = pair.as_span().start() + self.offset;
        Ident::new("", Span::new(self.source, start, start))
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(self.source, span.start() + self.offset, span.end() + self.offset)
    }

    /// The span of a rule that ends in a repetition, without the whitespace and comments pest skipped before
    /// finding that the repetition was over (`u64 // total` is `u64`).
    fn span_without_trivia(&self, pair: &Pair<'_, Rule>) -> Span {
        let mut text = pair.as_str();
        loop {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            let last_line = text.rfind(['\n', '\r']).map_or(0, |newline| newline + 1);
            // No token contains `/`, so a `//` on the last line starts a comment. (A byte scan: setting up a
            // substring search for every type costs more than the search.)
            match text.as_bytes()[last_line..].windows(2).position(|pair| pair == b"//") {
                Some(comment) => text = &text[..last_line + comment],
                None => break,
            }
        }
        let start = pair.as_span().start() + self.offset;
        Span::new(self.source, start, start + text.len())
    }
}

/// The text of each `///` line, with one leading space stripped.
fn docs(pair: Pair<'_, Rule>) -> Docs {
    pair.into_inner()
        .flat_map(Pair::into_inner)
        .filter(|part| part.as_rule() == Rule::doc_text)
        .map(|text| {
            let text = text.as_str();
            text.strip_prefix(' ').unwrap_or(text).to_owned()
        })
        .collect()
}
