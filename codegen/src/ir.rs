//! The checked model: what [`crate::check::check`] produces from a schema without errors, and the only input of the
//! emitters, the evolution checker and the fixtures.
//!
//! Everything a later stage would otherwise look up or re-derive is settled here once: references are resolved to
//! indices ([`RecordId`], [`EnumId`], [`EventId`]), an event's versions are grouped under its name in increasing order
//! with the upcast from each to the next attached, each declarative step says where every field of the newer version
//! comes from, aggregates carry their event sets and outcome enums, and every Rust name is computed by
//! [`crate::names`]. Spans are kept, so that later findings can still point into the source.
//!
//! **Invariant:** a value of [`Schema`] only comes out of the checks, so everything in it is consistent: ids are in
//! range, versions follow each other, and every version but the latest has exactly one upcast.

mod lower;

pub(crate) use lower::lower;

use std::collections::HashMap;

use crate::{
    model::{Builtin, Docs, Ident, Span},
    names::{AggregateNames, ProjectionNames, RustName},
    types::{FieldShape, TypeShape, Value, Widening},
};

/// A record type, by its index in [`Schema::records`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordId(pub usize);

/// An enum, by its index in [`Schema::enums`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnumId(pub usize);

/// An aggregate, by its index in [`Schema::aggregates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AggregateId(pub usize);

/// An event (all its versions), by its index in [`Schema::events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventId(pub usize);

/// A checked schema.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Record types, in declaration order.
    pub records: Vec<Record>,
    /// Enums, in declaration order.
    pub enums: Vec<Enum>,
    /// Events, each with all its versions, in order of first declaration.
    pub events: Vec<Event>,
    /// Aggregates, in declaration order.
    pub aggregates: Vec<Aggregate>,
    /// Projections, in declaration order.
    pub projections: Vec<Projection>,
    /// Old stored names of renamed events, in declaration order.
    pub aliases: Vec<Alias>,
    /// Events, records and enums by name.
    by_name: HashMap<String, Named>,
}

/// What a top-level name of the schema is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// A record type.
    Record(RecordId),
    /// An enum.
    Enum(EnumId),
    /// An event.
    Event(EventId),
}

/// A field's type, with names resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// A built-in scalar.
    Builtin(Builtin),
    /// A declared record type.
    Record(RecordId),
    /// A declared enum.
    Enum(EnumId),
    /// `[T]`.
    List(Box<Type>),
    /// `T?`.
    Option(Box<Type>),
    /// `Map<K, V>`.
    Map(Box<Type>, Box<Type>),
}

/// A field of a record, an event version, a command or a state.
#[derive(Debug, Clone)]
pub struct Field {
    /// Doc lines.
    pub docs: Docs,
    /// The name as written, which is also its name in stored payloads.
    pub name: Ident,
    /// The Rust field (`r#type` for a field called `type`).
    pub rust: RustName,
    /// Its type.
    pub ty: Type,
    /// Where the type was written.
    pub ty_span: Span,
}

/// A record type.
#[derive(Debug, Clone)]
pub struct Record {
    /// Doc lines.
    pub docs: Docs,
    /// The name as written.
    pub name: Ident,
    /// The Rust struct.
    pub rust: RustName,
    /// Its fields, in order.
    pub fields: Vec<Field>,
    /// Whether a value has a default, so that the struct derives `Default`.
    pub has_default: bool,
}

/// An enum.
#[derive(Debug, Clone)]
pub struct Enum {
    /// Doc lines.
    pub docs: Docs,
    /// The name as written.
    pub name: Ident,
    /// The Rust enum.
    pub rust: RustName,
    /// Its variants, in order.
    pub variants: Vec<Variant>,
}

/// A variant of an enum.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Doc lines.
    pub docs: Docs,
    /// The name as written, which is also how it is stored.
    pub name: Ident,
    /// The Rust variant.
    pub rust: RustName,
}

/// An event with all its versions.
#[derive(Debug, Clone)]
pub struct Event {
    /// The name at its first declaration: the name it is stored under.
    pub name: Ident,
    /// The old names it was stored under before a rename (`alias Old -> Name`), in declaration order.
    pub aliases: Vec<Ident>,
    /// Its versions, in increasing order, each but the latest with its upcast to the next.
    pub versions: Vec<EventVersion>,
    /// The type alias naming the latest version (`pub type OrderCreated = OrderCreatedV3;`), also the variant of
    /// every event enum holding it.
    pub rust: RustName,
    /// Its method in evolve and handler traits (`order_created`).
    pub method: RustName,
    /// The trait of its `custom` upcasts, when it has any.
    pub upcast_trait: Option<RustName>,
}

impl Event {
    /// The latest version.
    pub fn latest(&self) -> &EventVersion {
        // The checks never produce an event without versions.
        &self.versions[self.versions.len() - 1]
    }

    /// The version numbered `version`.
    pub fn version(&self, version: u32) -> Option<&EventVersion> {
        let first = self.versions.first()?.version;
        self.versions.get(usize::try_from(version.checked_sub(first)?).ok()?)
    }

    /// Every name the event is stored under: its own, then its old names.
    pub fn stored_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.name.as_str()).chain(self.aliases.iter().map(|alias| alias.name.as_str()))
    }
}

/// One version of an event.
#[derive(Debug, Clone)]
pub struct EventVersion {
    /// Doc lines.
    pub docs: Docs,
    /// Where the event's name was written in this declaration.
    pub name_span: Span,
    /// The version number.
    pub version: u32,
    /// Where the version tag was written.
    pub version_span: Span,
    /// The payload's fields, in order.
    pub fields: Vec<Field>,
    /// Its own Rust struct (`OrderCreatedV2`), stable whatever versions follow.
    pub rust: RustName,
    /// The step to the next version (`None` for the latest).
    pub upcast: Option<Upcast>,
}

/// The step from one version of an event to the next.
#[derive(Debug, Clone)]
pub struct Upcast {
    /// Doc lines.
    pub docs: Docs,
    /// The whole declaration.
    pub span: Span,
    /// What the step does.
    pub kind: UpcastKind,
}

/// How a step turns one version into the next.
#[derive(Debug, Clone)]
pub enum UpcastKind {
    /// Written by the user in Rust: this method of the event's upcast trait.
    Custom {
        /// `v2_to_v3`.
        method: RustName,
    },
    /// Declared: where each field of the newer version comes from, in the newer version's field order.
    Declarative(Vec<FieldSource>),
}

/// Where a field of the newer version of a declarative step gets its value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// From a field of the older version (the same name, or renamed), moved or safely widened.
    Carried {
        /// The field's index among the older version's fields.
        from: usize,
        /// The conversion, when the type widened.
        widening: Option<Widening>,
    },
    /// From the literal the step gives it.
    Default(Value),
}

/// An aggregate.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Doc lines.
    pub docs: Docs,
    /// The name as written, also its name in the store.
    pub name: Ident,
    /// The type of its id.
    pub id: Type,
    /// The fields of its state.
    pub state: Vec<Field>,
    /// The fingerprint of its state's canonical shape (the fields sorted by name, named types expanded), computed as
    /// lock files fingerprint event versions: a snapshot of the state records it, so that a snapshot taken of another
    /// shape is never read as this one.
    pub state_fingerprint: String,
    /// Its commands, in order.
    pub commands: Vec<Command>,
    /// Its events: the union of what its commands emit, in order of first mention.
    pub events: Vec<EventId>,
    /// The Rust names of its items.
    pub rust: AggregateNames,
}

/// A command of an aggregate.
#[derive(Debug, Clone)]
pub struct Command {
    /// Doc lines.
    pub docs: Docs,
    /// The name as written.
    pub name: Ident,
    /// The Rust struct, also its variant in the aggregate's command enum.
    pub rust: RustName,
    /// Its method in the decide trait (`pay_order`, `r#return`).
    pub method: RustName,
    /// Its fields, in order.
    pub fields: Vec<Field>,
    /// What deciding it records, slot by slot.
    pub slots: Vec<Slot>,
}

/// One slot of a command's `emits` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Exactly this event.
    One(EventId),
    /// This event, or nothing.
    Optional(EventId),
    /// Exactly one of these events, as the outcome enum `outcome`.
    OneOf {
        /// The events, at least two.
        events: Vec<EventId>,
        /// The enum generated for the slot (`PayOrderOutcome`).
        outcome: RustName,
    },
}

/// A projection.
#[derive(Debug, Clone)]
pub struct Projection {
    /// Doc lines.
    pub docs: Docs,
    /// The name as written.
    pub name: Ident,
    /// The events it handles, in order.
    pub events: Vec<EventId>,
    /// For each of [`Projection::events`], the one aggregate that records it, whose typed id its handler is given;
    /// `None` for an event that several aggregates record, whose handler is given the stream id.
    pub owners: Vec<Option<AggregateId>>,
    /// The Rust names of its items.
    pub rust: ProjectionNames,
}

/// An old stored name of a renamed event.
#[derive(Debug, Clone)]
pub struct Alias {
    /// Doc lines.
    pub docs: Docs,
    /// The old name.
    pub old: Ident,
    /// The event it reads as.
    pub event: EventId,
}

impl Schema {
    /// The record `id`.
    pub fn record(&self, id: RecordId) -> &Record {
        &self.records[id.0]
    }

    /// The enum `id`.
    pub fn enumeration(&self, id: EnumId) -> &Enum {
        &self.enums[id.0]
    }

    /// The event `id`.
    pub fn event(&self, id: EventId) -> &Event {
        &self.events[id.0]
    }

    /// The aggregate `id`.
    pub fn aggregate(&self, id: AggregateId) -> &Aggregate {
        &self.aggregates[id.0]
    }

    /// What the top-level name `name` is, among events, records and enums.
    pub fn lookup(&self, name: &str) -> Option<Named> {
        self.by_name.get(name).copied()
    }

    /// The event called `name`.
    pub fn event_named(&self, name: &str) -> Option<&Event> {
        match self.lookup(name)? {
            Named::Event(id) => Some(self.event(id)),
            Named::Record(_) | Named::Enum(_) => None,
        }
    }

    /// The number of declared event versions, over all events.
    pub fn version_count(&self) -> usize {
        self.events.iter().map(|event| event.versions.len()).sum()
    }

    /// The canonical shape of a type: records and enums expanded, a record inside itself as a back-reference.
    pub fn shape(&self, ty: &Type) -> TypeShape {
        self.expand(ty, &mut Vec::new())
    }

    /// The canonical shape of the record or enum `name`, if one is declared.
    pub fn named_shape(&self, name: &str) -> Option<TypeShape> {
        match self.lookup(name)? {
            Named::Record(id) => Some(self.shape(&Type::Record(id))),
            Named::Enum(id) => Some(self.shape(&Type::Enum(id))),
            Named::Event(_) => None,
        }
    }

    /// The shapes of `fields`, sorted by name.
    pub fn field_shapes(&self, fields: &[Field]) -> Vec<FieldShape> {
        let mut shapes: Vec<FieldShape> = fields
            .iter()
            .map(|field| FieldShape { name: field.name.name.clone(), ty: self.shape(&field.ty) })
            .collect();
        shapes.sort_by(|a, b| a.name.cmp(&b.name));
        shapes
    }

    fn expand(&self, ty: &Type, open: &mut Vec<RecordId>) -> TypeShape {
        match ty {
            Type::Builtin(builtin) => TypeShape::Builtin(*builtin),
            Type::List(inner) => TypeShape::List(Box::new(self.expand(inner, open))),
            Type::Option(inner) => TypeShape::Option(Box::new(self.expand(inner, open))),
            Type::Map(key, value) => {
                TypeShape::Map(Box::new(self.expand(key, open)), Box::new(self.expand(value, open)))
            }
            Type::Enum(id) => {
                let def = self.enumeration(*id);
                let mut variants: Vec<String> = def.variants.iter().map(|variant| variant.name.name.clone()).collect();
                variants.sort();
                TypeShape::Enum { name: def.name.name.clone(), variants }
            }
            Type::Record(id) => {
                let def = self.record(*id);
                if open.contains(id) {
                    return TypeShape::Recursive(def.name.name.clone());
                }
                open.push(*id);
                let mut fields: Vec<FieldShape> = def
                    .fields
                    .iter()
                    .map(|field| FieldShape { name: field.name.name.clone(), ty: self.expand(&field.ty, open) })
                    .collect();
                open.pop();
                fields.sort_by(|a, b| a.name.cmp(&b.name));
                TypeShape::Record { name: def.name.name.clone(), fields }
            }
        }
    }
}
