//! A snapshot of what a schema stores: per event (with its old names) per version, the payload's fields and shape;
//! per aggregate, its commands' and state's fields. The checker compares an old snapshot with a new one.
//!
//! A snapshot comes from a schema ([`Snapshot::from_schema`]) or from a lock file ([`Snapshot::from_lock`], in
//! `lock.rs`); both give the same snapshot for the same schema. One built from a schema remembers where each entry
//! was declared, so that findings can point into the old file.

use std::{collections::BTreeMap, fmt};

use serde::Serialize;

use crate::{
    diagnostics::LineColumn,
    ir::Schema,
    model::Span,
    sources::SourceMap,
    types::{fingerprint, shape_text, FieldShape, TypeShape},
};

/// What a schema stores, and where each part was declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The file it was taken from, as shown to users (empty when unknown).
    pub file: String,
    /// The events, sorted by name.
    pub events: Vec<EventShape>,
    /// The aggregates, sorted by name.
    pub aggregates: Vec<AggregateShape>,
    /// The schema's sources, when the snapshot was taken from a schema: `places` point into them.
    pub(super) sources: Option<SourceMap>,
    /// Where each entry was declared, when the snapshot was taken from a schema.
    pub(super) places: BTreeMap<Place, Span>,
}

/// An event: its stored name, its old stored names, and its versions.
#[derive(Debug, Clone, PartialEq)]
pub struct EventShape {
    /// The stored name.
    pub name: String,
    /// Old stored names that read as this event (`alias Old -> Name`), sorted.
    pub aliases: Vec<String>,
    /// Its versions, by number.
    pub versions: Vec<VersionShape>,
}

/// One version of an event: the fields of its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionShape {
    /// The version number.
    pub version: u32,
    /// The payload's fields, sorted by name.
    pub fields: Vec<FieldShape>,
}

impl VersionShape {
    /// The canonical shape text of the payload.
    pub fn shape(&self) -> String {
        shape_text(&self.fields)
    }

    /// The payload shape's fingerprint.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.shape())
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldShape> {
        self.fields.iter().find(|field| field.name == name)
    }
}

/// An aggregate's source-level surface: not stored, but what callers and snapshots of its state depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateShape {
    /// The aggregate's name.
    pub name: String,
    /// The type of its id.
    pub id: TypeShape,
    /// The fields of its state, sorted by name.
    pub state: Vec<FieldShape>,
    /// Its commands, sorted by name.
    pub commands: Vec<CommandShape>,
}

/// A command's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandShape {
    /// The command's name.
    pub name: String,
    /// Its fields, sorted by name.
    pub fields: Vec<FieldShape>,
}

/// An entry of a snapshot that a finding can point at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// An event (its first declared version).
    Event(String),
    /// An alias, by its old name.
    Alias(String),
    /// One version of an event.
    Version(String, u32),
    /// A field of one version of an event.
    Field(String, u32, String),
    /// A record type.
    Type(String),
    /// A field of a record type.
    TypeField(String, String),
    /// An enum.
    Enum(String),
    /// An aggregate.
    Aggregate(String),
    /// A command of an aggregate.
    Command(String, String),
}

impl fmt::Display for Place {
    /// The entry as a lock file names it: `event `OrderCreated` v1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Event(name) => write!(f, "event `{name}`"),
            Place::Alias(name) => write!(f, "alias `{name}`"),
            Place::Version(name, version) => write!(f, "event `{name}` v{version}"),
            Place::Field(name, version, field) => write!(f, "field `{field}` of event `{name}` v{version}"),
            Place::Type(name) => write!(f, "type `{name}`"),
            Place::TypeField(name, field) => write!(f, "field `{field}` of type `{name}`"),
            Place::Enum(name) => write!(f, "enum `{name}`"),
            Place::Aggregate(name) => write!(f, "aggregate `{name}`"),
            Place::Command(aggregate, command) => write!(f, "command `{command}` of aggregate `{aggregate}`"),
        }
    }
}

/// Where an entry of an old snapshot is: a line and column of the old schema, or an entry of the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The old schema or lock file.
    pub file: String,
    /// The line and column, when the snapshot was taken from a schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<LineColumn>,
    /// The entry, as a lock file names it.
    pub entry: String,
}

impl fmt::Display for Location {
    /// `old.factum:3:7`, or `orders.factum.lock, event `OrderCreated` v1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(at) => write!(f, "{}:{}:{}", self.file, at.line, at.column),
            None => write!(f, "{}, {}", self.file, self.entry),
        }
    }
}

impl Snapshot {
    /// The snapshot of a checked schema, remembering where each entry was declared in it.
    pub fn from_schema(schema: &Schema) -> Snapshot {
        let mut places = BTreeMap::new();
        let mut events = Vec::new();
        for event in &schema.events {
            let name = &event.name.name;
            places.insert(Place::Event(name.clone()), event.name.span);
            let versions: Vec<VersionShape> = event
                .versions
                .iter()
                .map(|def| {
                    places.insert(Place::Version(name.clone(), def.version), def.name_span.to(def.version_span));
                    for field in &def.fields {
                        let place = Place::Field(name.clone(), def.version, field.name.name.clone());
                        places.insert(place, field.name.span.to(field.ty_span));
                    }
                    VersionShape { version: def.version, fields: schema.field_shapes(&def.fields) }
                })
                .collect();
            let mut aliases: Vec<String> = event.aliases.iter().map(|alias| alias.name.clone()).collect();
            aliases.sort();
            aliases.dedup();
            events.push(EventShape { name: name.clone(), aliases, versions });
        }
        events.sort_by(|a, b| a.name.cmp(&b.name));
        for alias in &schema.aliases {
            places.entry(Place::Alias(alias.old.name.clone())).or_insert(alias.old.span);
        }
        for def in &schema.records {
            places.entry(Place::Type(def.name.name.clone())).or_insert(def.name.span);
            for field in &def.fields {
                let place = Place::TypeField(def.name.name.clone(), field.name.name.clone());
                places.entry(place).or_insert(field.name.span.to(field.ty_span));
            }
        }
        for def in &schema.enums {
            places.entry(Place::Enum(def.name.name.clone())).or_insert(def.name.span);
        }
        let mut aggregates: Vec<AggregateShape> = schema
            .aggregates
            .iter()
            .map(|aggregate| {
                let name = aggregate.name.name.clone();
                places.entry(Place::Aggregate(name.clone())).or_insert(aggregate.name.span);
                let mut commands: Vec<CommandShape> = aggregate
                    .commands
                    .iter()
                    .map(|command| {
                        let place = Place::Command(name.clone(), command.name.name.clone());
                        places.entry(place).or_insert(command.name.span);
                        CommandShape { name: command.name.name.clone(), fields: schema.field_shapes(&command.fields) }
                    })
                    .collect();
                commands.sort_by(|a, b| a.name.cmp(&b.name));
                AggregateShape {
                    name,
                    id: schema.shape(&aggregate.id),
                    state: schema.field_shapes(&aggregate.state),
                    commands,
                }
            })
            .collect();
        aggregates.sort_by(|a, b| a.name.cmp(&b.name));
        Snapshot { file: String::new(), events, aggregates, sources: None, places }
    }

    /// This snapshot, taken from the schema file `file` whose text is `source`: findings then point at lines and
    /// columns of it.
    pub fn with_source(self, file: impl Into<String>, source: &str) -> Snapshot {
        let file = file.into();
        let sources = SourceMap::single(file.as_str(), source);
        self.with_sources(file, sources)
    }

    /// This snapshot, taken from the schema `name` made of `sources`: findings then point at lines and columns of
    /// whichever source declared each entry.
    pub fn with_sources(mut self, name: impl Into<String>, sources: SourceMap) -> Snapshot {
        self.file = name.into();
        self.sources = Some(sources);
        self
    }

    /// The event stored as `name`.
    pub fn event(&self, name: &str) -> Option<&EventShape> {
        self.events.iter().find(|event| event.name == name)
    }

    /// The event that payloads stored as `stored` read as: the event of that name, or the one an alias maps it to.
    pub fn reader_of(&self, stored: &str) -> Option<&EventShape> {
        self.event(stored)
            .or_else(|| self.events.iter().find(|event| event.aliases.iter().any(|alias| alias == stored)))
    }

    /// The aggregate called `name`.
    pub fn aggregate(&self, name: &str) -> Option<&AggregateShape> {
        self.aggregates.iter().find(|aggregate| aggregate.name == name)
    }

    /// Every record and enum that the versions of events hold, by name.
    pub fn named_types(&self) -> BTreeMap<&str, &TypeShape> {
        let mut named = BTreeMap::new();
        for event in &self.events {
            for version in &event.versions {
                version.fields.iter().for_each(|field| field.ty.collect_named(&mut named));
            }
        }
        for aggregate in &self.aggregates {
            aggregate.id.collect_named(&mut named);
            aggregate.state.iter().for_each(|field| field.ty.collect_named(&mut named));
            for command in &aggregate.commands {
                command.fields.iter().for_each(|field| field.ty.collect_named(&mut named));
            }
        }
        named
    }

    /// Where `place` was declared, when this snapshot was taken from a schema.
    pub fn span(&self, place: &Place) -> Option<Span> {
        self.places.get(place).copied()
    }

    /// Where `place` is, for a user: a line and column of the schema, or the entry of the lock file.
    pub fn locate(&self, place: &Place) -> Location {
        let found = self.sources.as_ref().zip(self.span(place));
        let file = found.map_or(self.file.as_str(), |(sources, span)| sources.name(span.source));
        let at = found.map(|(sources, span)| sources.line_column(span));
        Location { file: file.to_owned(), at, entry: place.to_string() }
    }
}

impl EventShape {
    /// Version `version`.
    pub fn version(&self, version: u32) -> Option<&VersionShape> {
        self.versions.iter().find(|shape| shape.version == version)
    }

    /// The latest version's number.
    pub fn latest(&self) -> u32 {
        self.versions.last().map_or(0, |version| version.version)
    }
}
