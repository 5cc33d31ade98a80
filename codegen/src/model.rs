//! The front-end-agnostic model of a schema: what the `.factum` parser and the derive macros both lower into, what
//! the checks inspect, and what the emitters read.
//!
//! The model keeps declarations in source order and names as written; nothing here is resolved or validated. Every
//! name carries the [`Span`] it came from, so that a check can point at it. A front end keeps what it could not read
//! as a placeholder rather than dropping it, so that the checks report everything at once. [`crate::check()`] turns a
//! model without errors into the checked model, [`crate::ir::Schema`], which is all the later stages read.

use serde::Serialize;

/// Which source of a schema a span points into: an index into the [`SourceMap`](crate::sources::SourceMap) the
/// schema was made from. A schema of one source has only [`SourceId::FIRST`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceId(usize);

impl SourceId {
    /// The first source of a map, and the only one of a schema compiled from one text.
    pub const FIRST: SourceId = SourceId(0);

    /// The source at `index` of its map (sources are numbered from 0 in the order they were added).
    pub fn from_index(index: usize) -> Self {
        SourceId(index)
    }

    /// Whether this is [`SourceId::FIRST`].
    pub fn is_first(&self) -> bool {
        *self == SourceId::FIRST
    }

    /// Where the source is in its map.
    pub fn index(self) -> usize {
        self.0
    }
}

/// A byte range (`start..end`) in one source of a schema: a `.factum` file, or the text a derive front end made of
/// one Rust item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// The source the bytes are in. Serialized only when it is not the first, so that the model of a schema of one
    /// source reads as byte ranges alone.
    #[serde(skip_serializing_if = "SourceId::is_first")]
    pub source: SourceId,
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end` of `source`.
    pub fn new(source: SourceId, start: usize, end: usize) -> Self {
        Span { source, start, end }
    }

    /// The span from the start of this one to the end of `last`, which is later in the same source.
    pub fn to(self, last: Span) -> Span {
        Span { end: last.end.max(self.start), ..self }
    }
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

impl Ident {
    /// A name at a span.
    pub fn new(name: impl Into<String>, span: Span) -> Self {
        Ident { name: name.into(), span }
    }
}

/// A whole schema: every declaration of its sources (`.factum` files, or the items of a set of derive declarations),
/// source by source, in source order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    /// Named record types (`type LineItem { ... }`).
    pub types: Vec<TypeDef>,
    /// Enumerations (`enum OrderStatus { ... }`).
    pub enums: Vec<EnumDef>,
    /// Event versions (`event OrderCreated v1 { ... }`), one entry per declared version.
    pub events: Vec<EventDef>,
    /// Aggregates.
    pub aggregates: Vec<AggregateDef>,
    /// Projections.
    pub projections: Vec<ProjectionDef>,
    /// Upcasting steps between consecutive versions of events (`upcast OrderCreated v1 -> v2 { ... }`).
    pub upcasts: Vec<UpcastDef>,
    /// Old stored names of renamed events (`alias OrderPlaced -> OrderCreated`: `OrderPlaced` is the old name).
    pub aliases: Vec<AliasDef>,
}

impl Schema {
    /// Adds every declaration of `other` after this schema's own: how a schema made of several sources is put
    /// together, one source after another.
    pub fn append(&mut self, mut other: Schema) {
        self.types.append(&mut other.types);
        self.enums.append(&mut other.enums);
        self.events.append(&mut other.events);
        self.aggregates.append(&mut other.aggregates);
        self.projections.append(&mut other.projections);
        self.upcasts.append(&mut other.upcasts);
        self.aliases.append(&mut other.aliases);
    }
}

/// `///` doc lines, without the slashes, one entry per line.
pub type Docs = Vec<String>;

/// A named record type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeDef {
    /// Doc lines.
    pub docs: Docs,
    /// The type's name.
    pub name: Ident,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// An enumeration of unit variants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnumDef {
    /// Doc lines.
    pub docs: Docs,
    /// The enum's name.
    pub name: Ident,
    /// Its variants, in order.
    pub variants: Vec<Variant>,
}

/// One variant of an enum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    /// Doc lines.
    pub docs: Docs,
    /// The variant's name.
    pub name: Ident,
}

/// One version of an event. Several versions of the same event are several `EventDef`s sharing a name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDef {
    /// Doc lines.
    pub docs: Docs,
    /// The event's name, which is also its stored name.
    pub name: Ident,
    /// The version tag (`v3` is 3); 0 when the front end could not read it (and reported why).
    pub version: u32,
    /// Where the version tag was written.
    pub version_span: Span,
    /// The payload's fields, in order.
    pub fields: Vec<Field>,
}

/// A field of a type, event, command or state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Doc lines.
    pub docs: Docs,
    /// The field's name.
    pub name: Ident,
    /// The field's type.
    pub ty: TypeRef,
}

/// A type as written in a field, with where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeRef {
    /// What the type is.
    pub kind: TypeKind,
    /// Where it was written.
    pub span: Span,
}

/// The shapes a field's type can take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TypeKind {
    /// A built-in scalar.
    Builtin(Builtin),
    /// A reference by name to a `type` or an `enum` (resolved by the checks).
    Named(String),
    /// `[T]`.
    List(Box<TypeRef>),
    /// `T?`.
    Option(Box<TypeRef>),
    /// `Map<K, V>`.
    Map(Box<TypeRef>, Box<TypeRef>),
}

/// The built-in scalar types of the schema language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Builtin {
    /// `bool`
    Bool,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `f64`
    F64,
    /// `String`
    String,
    /// `Bytes`
    Bytes,
    /// `Uuid`
    Uuid,
    /// `Timestamp`
    Timestamp,
    /// `Date`
    Date,
}

impl Builtin {
    /// Every built-in, in the order the docs list them.
    pub const ALL: [Builtin; 11] = [
        Builtin::Bool,
        Builtin::I32,
        Builtin::I64,
        Builtin::U32,
        Builtin::U64,
        Builtin::F64,
        Builtin::String,
        Builtin::Bytes,
        Builtin::Uuid,
        Builtin::Timestamp,
        Builtin::Date,
    ];

    /// The name the schema language spells the type with.
    pub fn keyword(self) -> &'static str {
        match self {
            Builtin::Bool => "bool",
            Builtin::I32 => "i32",
            Builtin::I64 => "i64",
            Builtin::U32 => "u32",
            Builtin::U64 => "u64",
            Builtin::F64 => "f64",
            Builtin::String => "String",
            Builtin::Bytes => "Bytes",
            Builtin::Uuid => "Uuid",
            Builtin::Timestamp => "Timestamp",
            Builtin::Date => "Date",
        }
    }

    /// The built-in spelled `keyword`, if any.
    pub fn from_keyword(keyword: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|builtin| builtin.keyword() == keyword)
    }
}

/// An aggregate: a stream id type, a state, and the commands it decides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggregateDef {
    /// Doc lines.
    pub docs: Docs,
    /// The aggregate's name.
    pub name: Ident,
    /// The type of the id that tells instances apart (`id: Uuid`).
    pub id: TypeRef,
    /// The fields of the state folded from its events.
    pub state: Vec<Field>,
    /// Its commands, in order.
    pub commands: Vec<CommandDef>,
}

impl AggregateDef {
    /// The aggregate's events: the union of what its commands emit, in order of first mention.
    pub fn events(&self) -> Vec<&Ident> {
        let mut seen = std::collections::HashSet::new();
        let emitted = self.commands.iter().flat_map(|command| command.emits.events());
        emitted.filter(|event| seen.insert(event.name.as_str())).collect()
    }
}

/// A command of an aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandDef {
    /// Doc lines.
    pub docs: Docs,
    /// The command's name.
    pub name: Ident,
    /// Its fields, in order.
    pub fields: Vec<Field>,
    /// What deciding it may record.
    pub emits: Emits,
}

/// A command's `emits` clause: a sequence of slots, each filled by the decide method, recorded in order.
///
/// `emits A` is one slot holding exactly `A`; `emits A | B` one slot holding exactly one of them; `emits A?` one slot
/// holding `A` or nothing; `emits A, B` two slots, recorded in that order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Emits {
    /// The slots, in order.
    pub slots: Vec<EmitSlot>,
    /// Where the clause was written.
    pub span: Span,
}

impl Emits {
    /// Every event named in the clause, in order, with repeats.
    pub fn events(&self) -> impl Iterator<Item = &Ident> {
        self.slots.iter().flat_map(|slot| slot.events())
    }
}

/// One slot of an `emits` clause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum EmitSlot {
    /// Exactly this event.
    One(Ident),
    /// This event, or nothing.
    Optional(Ident),
    /// Exactly one of these events (at least two).
    OneOf(Vec<Ident>),
}

impl EmitSlot {
    /// The events the slot names.
    pub fn events(&self) -> &[Ident] {
        match self {
            EmitSlot::One(event) | EmitSlot::Optional(event) => std::slice::from_ref(event),
            EmitSlot::OneOf(events) => events,
        }
    }
}

/// A projection: a read model over the global log, subscribed to some events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionDef {
    /// Doc lines.
    pub docs: Docs,
    /// The projection's name.
    pub name: Ident,
    /// The events it handles, in order.
    pub events: Vec<Ident>,
}

/// One step of an event's upcaster chain: how a payload of version `from` becomes one of version `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpcastDef {
    /// Doc lines.
    pub docs: Docs,
    /// The event whose versions the step connects.
    pub event: Ident,
    /// The older version (0 when the front end could not read it).
    pub from: u32,
    /// Where the older version was written.
    pub from_span: Span,
    /// The newer version (the checks require `from + 1`; 0 when the front end could not read it).
    pub to: u32,
    /// Where the newer version was written.
    pub to_span: Span,
    /// What the step does.
    pub body: UpcastBody,
    /// The whole declaration.
    pub span: Span,
}

/// What an upcasting step does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum UpcastBody {
    /// `custom`: the user writes the step in Rust (a method of the generated upcast trait).
    Custom(Span),
    /// Declarative changes; every field not mentioned carries over unchanged (or safely widened).
    Steps(Vec<UpcastStep>),
}

/// One declarative change of an upcasting step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum UpcastStep {
    /// `field = literal`: a field new in the newer version takes this value.
    Default {
        /// The new field.
        field: Ident,
        /// Its value for old payloads.
        value: Literal,
    },
    /// `rename old -> new`: a field of the older version is called `new` in the newer one.
    Rename {
        /// The field's name in the older version.
        from: Ident,
        /// The field's name in the newer version.
        to: Ident,
    },
    /// `drop field`: a field of the older version is gone from the newer one.
    Drop {
        /// The dropped field.
        field: Ident,
    },
}

/// A literal value in an upcasting step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Literal {
    /// The value.
    pub kind: LiteralKind,
    /// Where it was written.
    pub span: Span,
}

/// The values a literal can take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LiteralKind {
    /// `"text"` (escapes resolved).
    String(String),
    /// `42`, `-7`.
    Integer(i128),
    /// `1.5`.
    Float(f64),
    /// `true`, `false`.
    Bool(bool),
    /// `none`: an option without a value.
    None,
    /// `[]`: an empty list.
    EmptyList,
    /// `{}`: an empty map.
    EmptyMap,
    /// A bare name: a variant of the field's enum type.
    Variant(String),
}

/// `alias Old -> New`: events stored under the name `Old` are read as the event `New` (same versions, same upcasters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AliasDef {
    /// Doc lines.
    pub docs: Docs,
    /// The old stored name.
    pub old: Ident,
    /// The declared event it now reads as.
    pub new: Ident,
}
