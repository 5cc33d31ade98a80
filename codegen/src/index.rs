//! An index of a parsed schema, built once: every lookup the checks and the lowering into the checked model make
//! (a name to its declaration, an event to its versions, a version to its upcast, which events are emitted) is a hash
//! lookup here, so that no pass over the schema is quadratic.
//!
//! The index resolves nothing that could fail: a lookup of an undeclared name answers `None`, and it is the checks'
//! business to report it.

use std::collections::{HashMap, HashSet};

use crate::{
    model::{Builtin, EventDef, Ident, Schema, TypeDef, TypeKind, TypeRef, UpcastDef},
    types::{FieldShape, TypeShape},
};

/// The kinds of top-level names: the generator makes each a Rust item, so they share one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeclKind {
    Type,
    Enum,
    Event,
    Aggregate,
    Command,
    Projection,
}

impl DeclKind {
    /// `type`, `enum`, ...
    pub(crate) fn word(self) -> &'static str {
        match self {
            DeclKind::Type => "type",
            DeclKind::Enum => "enum",
            DeclKind::Event => "event",
            DeclKind::Aggregate => "aggregate",
            DeclKind::Command => "command",
            DeclKind::Projection => "projection",
        }
    }

    /// `a type`, `an enum`, ...
    pub(crate) fn with_article(self) -> String {
        let article = match self {
            DeclKind::Enum | DeclKind::Event | DeclKind::Aggregate => "an",
            DeclKind::Type | DeclKind::Command | DeclKind::Projection => "a",
        };
        format!("{article} {}", self.word())
    }
}

/// A top-level name and what declared it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Declared<'a> {
    pub(crate) kind: DeclKind,
    pub(crate) ident: &'a Ident,
}

/// The declarations of one event name.
#[derive(Debug, Clone)]
pub(crate) struct EventGroup<'a> {
    /// The name.
    pub(crate) name: &'a str,
    /// Every declaration of the name, in source order, including versions the parser could not read.
    pub(crate) defs: Vec<&'a EventDef>,
    /// The distinct readable versions (the parser keeps an unreadable one as version 0), increasing.
    pub(crate) versions: Vec<u32>,
}

/// Why a value of a type has no default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoDefault {
    /// The record has a default.
    No,
    /// The record has none, because of its field at this index.
    Field(usize),
}

/// The index of one schema.
pub(crate) struct Index<'a> {
    pub(crate) schema: &'a Schema,
    types: HashMap<&'a str, usize>,
    enums: HashMap<&'a str, usize>,
    events: Vec<EventGroup<'a>>,
    event_by_name: HashMap<&'a str, usize>,
    event_versions: HashMap<(&'a str, u32), &'a EventDef>,
    upcasts_from: HashMap<(&'a str, u32), &'a UpcastDef>,
    aliases_of: HashMap<&'a str, Vec<&'a Ident>>,
    alias_by_old: HashMap<&'a str, &'a Ident>,
    declarations: Vec<Declared<'a>>,
    kind_by_name: HashMap<&'a str, DeclKind>,
    emitted: HashSet<&'a str>,
    handled: HashSet<&'a str>,
    /// Per record type (by index), whether it has a default and if not, the field that prevents it.
    defaults: Vec<NoDefault>,
}

impl<'a> Index<'a> {
    /// Indexes `schema`.
    pub(crate) fn new(schema: &'a Schema) -> Self {
        let mut types = HashMap::new();
        for (index, def) in schema.types.iter().enumerate() {
            types.entry(def.name.name.as_str()).or_insert(index);
        }
        let mut enums = HashMap::new();
        for (index, def) in schema.enums.iter().enumerate() {
            enums.entry(def.name.name.as_str()).or_insert(index);
        }
        let mut events: Vec<EventGroup<'a>> = Vec::new();
        let mut event_by_name = HashMap::new();
        let mut event_versions = HashMap::new();
        for def in &schema.events {
            let name = def.name.name.as_str();
            let group = *event_by_name.entry(name).or_insert_with(|| {
                events.push(EventGroup { name, defs: Vec::new(), versions: Vec::new() });
                events.len() - 1
            });
            events[group].defs.push(def);
            if def.version != 0 {
                events[group].versions.push(def.version);
                event_versions.entry((name, def.version)).or_insert(def);
            }
        }
        for group in &mut events {
            group.versions.sort_unstable();
            group.versions.dedup();
        }
        let mut upcasts_from = HashMap::new();
        for upcast in &schema.upcasts {
            upcasts_from.entry((upcast.event.name.as_str(), upcast.from)).or_insert(upcast);
        }
        let mut aliases_of: HashMap<&str, Vec<&Ident>> = HashMap::new();
        let mut alias_by_old = HashMap::new();
        for alias in &schema.aliases {
            aliases_of.entry(alias.new.name.as_str()).or_default().push(&alias.old);
            alias_by_old.entry(alias.old.name.as_str()).or_insert(&alias.new);
        }
        let declarations = declarations(schema, &events);
        let mut kind_by_name = HashMap::new();
        for declared in &declarations {
            kind_by_name.entry(declared.ident.name.as_str()).or_insert(declared.kind);
        }
        let commands = schema.aggregates.iter().flat_map(|aggregate| &aggregate.commands);
        let emitted = commands.flat_map(|command| command.emits.events()).map(|event| event.name.as_str()).collect();
        let handled = schema
            .projections
            .iter()
            .flat_map(|projection| &projection.events)
            .map(|event| event.name.as_str())
            .collect();
        let mut index = Index {
            schema,
            types,
            enums,
            events,
            event_by_name,
            event_versions,
            upcasts_from,
            aliases_of,
            alias_by_old,
            declarations,
            kind_by_name,
            emitted,
            handled,
            defaults: Vec::new(),
        };
        index.defaults = index.compute_defaults();
        index
    }

    /// The record type declared as `name` (the first, if several).
    pub(crate) fn type_def(&self, name: &str) -> Option<&'a TypeDef> {
        self.type_index(name).map(|index| &self.schema.types[index])
    }

    /// The index among the schema's types of the record type `name`.
    pub(crate) fn type_index(&self, name: &str) -> Option<usize> {
        self.types.get(name).copied()
    }

    /// The index among the schema's enums of the enum `name`.
    pub(crate) fn enum_index(&self, name: &str) -> Option<usize> {
        self.enums.get(name).copied()
    }

    /// The enum declared as `name` (the first, if several).
    pub(crate) fn enum_def(&self, name: &str) -> Option<&'a crate::model::EnumDef> {
        self.enum_index(name).map(|index| &self.schema.enums[index])
    }

    /// `(enum index, variant index)` of the variant `variant` of the enum `name`.
    pub(crate) fn variant(&self, name: &str, variant: &str) -> Option<(usize, usize)> {
        let index = self.enum_index(name)?;
        let position = self.schema.enums[index].variants.iter().position(|declared| declared.name.name == variant)?;
        Some((index, position))
    }

    /// Whether a declared `type` or `enum` is called `name`.
    pub(crate) fn is_named_type(&self, name: &str) -> bool {
        self.types.contains_key(name) || self.enums.contains_key(name)
    }

    /// The event names, each with its declarations, in order of first declaration.
    pub(crate) fn events(&self) -> &[EventGroup<'a>] {
        &self.events
    }

    /// The declarations of the event `name`, if it is declared.
    pub(crate) fn event(&self, name: &str) -> Option<&EventGroup<'a>> {
        self.event_by_name.get(name).map(|index| &self.events[*index])
    }

    /// Whether an event called `name` is declared.
    pub(crate) fn is_event(&self, name: &str) -> bool {
        self.event_by_name.contains_key(name)
    }

    /// Version `version` of the event `name` (its first declaration).
    pub(crate) fn event_version(&self, name: &str, version: u32) -> Option<&'a EventDef> {
        self.event_versions.get(&(name, version)).copied()
    }

    /// The latest readable version of the event `name`.
    pub(crate) fn latest_event(&self, name: &str) -> Option<&'a EventDef> {
        let latest = *self.event(name)?.versions.last()?;
        self.event_version(name, latest)
    }

    /// The first upcast declared from `version` of the event `name`.
    pub(crate) fn upcast_from(&self, name: &str, version: u32) -> Option<&'a UpcastDef> {
        self.upcasts_from.get(&(name, version)).copied()
    }

    /// The old stored names that read as the event `name`, in declaration order.
    pub(crate) fn aliases_of(&self, name: &str) -> &[&'a Ident] {
        self.aliases_of.get(name).map_or(&[], Vec::as_slice)
    }

    /// The event an alias with the old name `old` reads as.
    pub(crate) fn alias_target(&self, old: &str) -> Option<&'a Ident> {
        self.alias_by_old.get(old).copied()
    }

    /// Every top-level name in source order; an event with several versions counts once, at its first declaration.
    pub(crate) fn declarations(&self) -> &[Declared<'a>] {
        &self.declarations
    }

    /// What the top-level name `name` is, when something declares it.
    pub(crate) fn kind_of(&self, name: &str) -> Option<DeclKind> {
        self.kind_by_name.get(name).copied()
    }

    /// Whether some command emits the event `name`.
    pub(crate) fn is_emitted(&self, name: &str) -> bool {
        self.emitted.contains(name)
    }

    /// Whether any command emits an event: a schema with no commands describes events written elsewhere.
    pub(crate) fn emits_any(&self) -> bool {
        !self.emitted.is_empty()
    }

    /// Whether some projection handles the event `name`.
    pub(crate) fn is_handled(&self, name: &str) -> bool {
        self.handled.contains(name)
    }

    /// Whether the record type at `record` (its index among the schema's types) has a default: with
    /// [`Index::no_default_path`], the one place that decides which state fields are allowed and which record types
    /// the generated code derives `Default` for.
    pub(crate) fn record_has_default(&self, record: usize) -> bool {
        self.defaults.get(record).is_some_and(|result| *result == NoDefault::No)
    }

    /// Why `ty` has no default, as the chain of (type, field) steps leading to an enum (empty when `ty` is one), or
    /// `None` when it has a default. Only a record held directly (not in an option, list or map) passes its lack of a
    /// default on; unknown names are reported elsewhere and count as having one.
    pub(crate) fn no_default_path(&self, ty: &TypeRef) -> Option<Vec<(&'a str, &'a str)>> {
        let TypeKind::Named(name) = &ty.kind else { return None };
        if self.enum_index(name).is_some() {
            return Some(Vec::new());
        }
        let mut record = self.type_index(name)?;
        let mut path = Vec::new();
        // Each step follows the field recorded as the reason, which was settled before its record: no step repeats.
        while let NoDefault::Field(field_index) = self.defaults[record] {
            let def = &self.schema.types[record];
            let field = &def.fields[field_index];
            path.push((def.name.name.as_str(), field.name.name.as_str()));
            let TypeKind::Named(next) = &field.ty.kind else { break };
            if self.enum_index(next).is_some() {
                return Some(path);
            }
            let Some(next) = self.type_index(next) else { break };
            record = next;
        }
        None
    }

    /// Settles, for every record type, whether it has a default: a depth-first walk with memory, linear in the size
    /// of the schema. A record met again while it is being settled (a recursive type, reported elsewhere) counts as
    /// having one.
    fn compute_defaults(&self) -> Vec<NoDefault> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Unvisited,
            Open,
            Done(NoDefault),
        }
        fn visit(index: &Index<'_>, record: usize, states: &mut [State]) -> NoDefault {
            match states[record] {
                State::Done(result) => return result,
                State::Open => return NoDefault::No,
                State::Unvisited => {}
            }
            states[record] = State::Open;
            let mut result = NoDefault::No;
            for (field_index, field) in index.schema.types[record].fields.iter().enumerate() {
                let TypeKind::Named(name) = &field.ty.kind else { continue };
                let lacks = if index.enum_index(name).is_some() {
                    true
                } else {
                    match index.type_index(name) {
                        Some(next) => visit(index, next, states) != NoDefault::No,
                        None => false,
                    }
                };
                if lacks {
                    result = NoDefault::Field(field_index);
                    break;
                }
            }
            states[record] = State::Done(result);
            result
        }
        let mut states = vec![State::Unvisited; self.schema.types.len()];
        (0..self.schema.types.len()).map(|record| visit(self, record, &mut states)).collect()
    }

    /// The canonical shape of `ty`, or `None` when a name in it is not declared.
    pub(crate) fn shape(&self, ty: &TypeRef) -> Option<TypeShape> {
        self.expand(ty, &mut Vec::new())
    }

    fn expand(&self, ty: &TypeRef, open: &mut Vec<&'a str>) -> Option<TypeShape> {
        Some(match &ty.kind {
            TypeKind::Builtin(builtin) => TypeShape::Builtin(*builtin),
            TypeKind::List(inner) => TypeShape::List(Box::new(self.expand(inner, open)?)),
            TypeKind::Option(inner) => TypeShape::Option(Box::new(self.expand(inner, open)?)),
            TypeKind::Map(key, value) => {
                TypeShape::Map(Box::new(self.expand(key, open)?), Box::new(self.expand(value, open)?))
            }
            TypeKind::Named(name) => {
                if let Some(def) = self.enum_def(name) {
                    let mut variants: Vec<String> =
                        def.variants.iter().map(|variant| variant.name.name.clone()).collect();
                    variants.sort();
                    return Some(TypeShape::Enum { name: name.clone(), variants });
                }
                let def = self.type_def(name)?;
                if open.contains(&def.name.name.as_str()) {
                    return Some(TypeShape::Recursive(name.clone()));
                }
                open.push(&def.name.name);
                let fields: Option<Vec<FieldShape>> = def
                    .fields
                    .iter()
                    .map(|field| Some(FieldShape { name: field.name.name.clone(), ty: self.expand(&field.ty, open)? }))
                    .collect();
                open.pop();
                let mut fields = fields?;
                fields.sort_by(|a, b| a.name.cmp(&b.name));
                TypeShape::Record { name: name.clone(), fields }
            }
        })
    }
}

/// Every top-level name in source order; an event with several versions counts once, at its first declaration.
fn declarations<'a>(schema: &'a Schema, events: &[EventGroup<'a>]) -> Vec<Declared<'a>> {
    let mut declared = Vec::new();
    let mut push = |kind, ident| declared.push(Declared { kind, ident });
    schema.types.iter().for_each(|def| push(DeclKind::Type, &def.name));
    schema.enums.iter().for_each(|def| push(DeclKind::Enum, &def.name));
    for group in events {
        if let Some(first) = group.defs.first() {
            push(DeclKind::Event, &first.name);
        }
    }
    for aggregate in &schema.aggregates {
        push(DeclKind::Aggregate, &aggregate.name);
        aggregate.commands.iter().for_each(|command| push(DeclKind::Command, &command.name));
    }
    schema.projections.iter().for_each(|def| push(DeclKind::Projection, &def.name));
    declared.sort_by_key(|declared| (declared.ident.span.source, declared.ident.span.start));
    declared
}

/// Whether a built-in is spelled `name`.
pub(crate) fn is_builtin(name: &str) -> bool {
    Builtin::from_keyword(name).is_some()
}
