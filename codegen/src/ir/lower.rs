//! Lowers a schema the checks accepted into the checked model: names resolved to ids, versions grouped and ordered,
//! upcast steps resolved field by field, and every Rust name taken from [`crate::names`].
//!
//! The checks guarantee that every lookup here succeeds. Should one fail all the same, the lowering reports an
//! internal error instead of panicking or emitting code with a hole in it.

use std::collections::{HashMap, HashSet};

use super::{
    Aggregate, AggregateId, Alias, Command, Enum, Event, EventId, EventVersion, Field, FieldSource, Named, Projection,
    Record, RecordId, Schema, Slot, Type, Upcast, UpcastKind, Variant,
};
use crate::{
    diagnostics::Diagnostic,
    index::Index,
    ir::EnumId,
    model::{self, EmitSlot, Span, TypeKind, TypeRef, UpcastBody, UpcastDef, UpcastStep},
    names::{self, AggregateNames, ProjectionNames, RustName},
    types::{compare_shapes, fingerprint, shape_text, value::value_of, Compat},
};

/// The checked model of an indexed schema without errors, or an internal error for what the checks should have
/// excluded.
pub(crate) fn lower(index: &Index<'_>) -> Result<Schema, Vec<Diagnostic>> {
    let mut lowerer = Lowerer { index, errors: Vec::new(), event_ids: HashMap::new() };
    for (position, group) in index.events().iter().enumerate() {
        lowerer.event_ids.insert(group.name, EventId(position));
    }
    let mut schema = lowerer.schema();
    let fingerprints: Vec<String> = schema
        .aggregates
        .iter()
        .map(|aggregate| fingerprint(&shape_text(&schema.field_shapes(&aggregate.state))))
        .collect();
    for (aggregate, state_fingerprint) in schema.aggregates.iter_mut().zip(fingerprints) {
        aggregate.state_fingerprint = state_fingerprint;
    }
    if lowerer.errors.is_empty() {
        Ok(schema)
    } else {
        Err(lowerer.errors)
    }
}

struct Lowerer<'i, 'a> {
    index: &'i Index<'a>,
    errors: Vec<Diagnostic>,
    event_ids: HashMap<&'a str, EventId>,
}

impl<'a> Lowerer<'_, 'a> {
    fn schema(&mut self) -> Schema {
        let ast = self.index.schema;
        let records = ast
            .types
            .iter()
            .enumerate()
            .map(|(position, def)| Record {
                docs: def.docs.clone(),
                name: def.name.clone(),
                rust: RustName::new(&def.name.name),
                fields: self.fields(&def.fields),
                has_default: self.index.record_has_default(position),
            })
            .collect();
        let enums = ast
            .enums
            .iter()
            .map(|def| Enum {
                docs: def.docs.clone(),
                name: def.name.clone(),
                rust: RustName::new(&def.name.name),
                variants: def
                    .variants
                    .iter()
                    .map(|variant| Variant {
                        docs: variant.docs.clone(),
                        name: variant.name.clone(),
                        rust: RustName::new(&variant.name.name),
                    })
                    .collect(),
            })
            .collect();
        let events: Vec<Event> = self.index.events().iter().map(|group| self.event(group.name)).collect();
        let aggregates: Vec<Aggregate> = ast.aggregates.iter().map(|aggregate| self.aggregate(aggregate)).collect();
        // An event's owner is the one aggregate that records it; an event several record has none.
        let mut recorders: HashMap<EventId, Vec<AggregateId>> = HashMap::new();
        for (index, aggregate) in aggregates.iter().enumerate() {
            for event in &aggregate.events {
                recorders.entry(*event).or_default().push(AggregateId(index));
            }
        }
        let owner = |event: EventId| match recorders.get(&event).map(Vec::as_slice) {
            Some(&[only]) => Some(only),
            _ => None,
        };
        let projections = ast
            .projections
            .iter()
            .map(|projection| {
                let events: Vec<EventId> = projection.events.iter().map(|event| self.event_id(event)).collect();
                Projection {
                    docs: projection.docs.clone(),
                    name: projection.name.clone(),
                    owners: events.iter().map(|event| owner(*event)).collect(),
                    events,
                    rust: ProjectionNames::new(&projection.name.name),
                }
            })
            .collect();
        let aliases = ast
            .aliases
            .iter()
            .map(|alias| Alias { docs: alias.docs.clone(), old: alias.old.clone(), event: self.event_id(&alias.new) })
            .collect();
        let mut by_name = HashMap::new();
        for (position, def) in ast.types.iter().enumerate() {
            by_name.entry(def.name.name.clone()).or_insert(Named::Record(RecordId(position)));
        }
        for (position, def) in ast.enums.iter().enumerate() {
            by_name.entry(def.name.name.clone()).or_insert(Named::Enum(EnumId(position)));
        }
        for (position, event) in events.iter().enumerate() {
            by_name.entry(event.name.name.clone()).or_insert(Named::Event(EventId(position)));
        }
        Schema { records, enums, events, aggregates, projections, aliases, by_name }
    }

    fn internal(&mut self, span: Span, what: String) {
        self.errors.push(
            Diagnostic::error(
                "factum::internal",
                format!("internal error: {what}"),
                span,
                "the checks accepted this, but it cannot be compiled",
            )
            .with_help("this is a bug in factum-codegen; please report it with the schema"),
        );
    }

    fn fields(&mut self, fields: &[model::Field]) -> Vec<Field> {
        fields
            .iter()
            .map(|field| Field {
                docs: field.docs.clone(),
                name: field.name.clone(),
                rust: RustName::new(&field.name.name),
                ty: self.ty(&field.ty),
                ty_span: field.ty.span,
            })
            .collect()
    }

    fn ty(&mut self, ty: &TypeRef) -> Type {
        match &ty.kind {
            TypeKind::Builtin(builtin) => Type::Builtin(*builtin),
            TypeKind::List(inner) => Type::List(Box::new(self.ty(inner))),
            TypeKind::Option(inner) => Type::Option(Box::new(self.ty(inner))),
            TypeKind::Map(key, value) => Type::Map(Box::new(self.ty(key)), Box::new(self.ty(value))),
            TypeKind::Named(name) => {
                if let Some(position) = self.index.type_index(name) {
                    Type::Record(RecordId(position))
                } else if let Some(position) = self.index.enum_index(name) {
                    Type::Enum(EnumId(position))
                } else {
                    self.internal(ty.span, format!("unresolved type `{name}`"));
                    Type::Builtin(model::Builtin::Bool)
                }
            }
        }
    }

    fn event_id(&mut self, event: &model::Ident) -> EventId {
        match self.event_ids.get(event.name.as_str()) {
            Some(id) => *id,
            None => {
                self.internal(event.span, format!("unresolved event `{}`", event.name));
                EventId(0)
            }
        }
    }

    fn event(&mut self, name: &'a str) -> Event {
        let index = self.index;
        let group = index.event(name);
        let first = group.and_then(|group| group.defs.first());
        let name_ident = first.map_or_else(|| model::Ident::new(name, Span::default()), |def| def.name.clone());
        let versions: Vec<u32> = group.map(|group| group.versions.clone()).unwrap_or_default();
        if versions.is_empty() {
            self.internal(name_ident.span, format!("event `{name}` has no version"));
        }
        let mut has_custom = false;
        let mut lowered = Vec::new();
        for (position, &version) in versions.iter().enumerate() {
            let Some(def) = index.event_version(name, version) else { continue };
            let upcast = match versions.get(position + 1) {
                None => None,
                Some(&next) => match index.upcast_from(name, version).filter(|upcast| upcast.to == next) {
                    Some(upcast) => {
                        has_custom |= matches!(upcast.body, UpcastBody::Custom(_));
                        Some(self.upcast(upcast))
                    }
                    None => {
                        self.internal(def.version_span, format!("no upcast from `{name}` v{version} to v{next}"));
                        None
                    }
                },
            };
            lowered.push(EventVersion {
                docs: def.docs.clone(),
                name_span: def.name.span,
                version,
                version_span: def.version_span,
                fields: self.fields(&def.fields),
                rust: names::event_version_type(name, version),
                upcast,
            });
        }
        Event {
            name: name_ident,
            aliases: index.aliases_of(name).iter().map(|alias| (*alias).clone()).collect(),
            versions: lowered,
            rust: names::event_type(name),
            method: names::method(name),
            upcast_trait: has_custom.then(|| names::upcast_trait(name)),
        }
    }

    fn upcast(&mut self, upcast: &UpcastDef) -> Upcast {
        let kind = match &upcast.body {
            UpcastBody::Custom(_) => UpcastKind::Custom { method: names::upcast_method(upcast.from, upcast.to) },
            UpcastBody::Steps(steps) => UpcastKind::Declarative(self.field_sources(upcast, steps)),
        };
        Upcast { docs: upcast.docs.clone(), span: upcast.span, kind }
    }

    /// Where each field of the newer version of a declarative step comes from: its default, else the field of the
    /// older version it is renamed from or shares its name with.
    fn field_sources(&mut self, upcast: &UpcastDef, steps: &[UpcastStep]) -> Vec<FieldSource> {
        let index = self.index;
        let name = &upcast.event.name;
        let (Some(old), Some(new)) = (index.event_version(name, upcast.from), index.event_version(name, upcast.to))
        else {
            self.internal(upcast.span, format!("an upcast of `{name}` between undeclared versions"));
            return Vec::new();
        };
        let mut sources = Vec::new();
        for field in &new.fields {
            let default = steps.iter().find_map(|step| match step {
                UpcastStep::Default { field: defaulted, value } if defaulted.name == field.name.name => Some(value),
                _ => None,
            });
            if let Some(literal) = default {
                match value_of(&field.ty, &literal.kind, &|name, variant| index.variant(name, variant)) {
                    Some(value) => sources.push(FieldSource::Default(value)),
                    None => self.internal(literal.span, format!("a default that does not fit `{}`", field.name.name)),
                }
                continue;
            }
            let source_name = steps
                .iter()
                .find_map(|step| match step {
                    UpcastStep::Rename { from, to } if to.name == field.name.name => Some(from.name.as_str()),
                    _ => None,
                })
                .unwrap_or(&field.name.name);
            let Some(from) = old.fields.iter().position(|old_field| old_field.name.name == source_name) else {
                self.internal(field.name.span, format!("field `{}` has no source", field.name.name));
                continue;
            };
            let shapes = (index.shape(&old.fields[from].ty), index.shape(&field.ty));
            let widening = match shapes {
                (Some(old_shape), Some(new_shape)) => match compare_shapes(&old_shape, &new_shape) {
                    Compat::Same => None,
                    Compat::Widening(widening) => Some(widening),
                    Compat::Breaking(breaking) => {
                        self.internal(field.ty.span, format!("a carried field changes type: {breaking}"));
                        None
                    }
                },
                _ => {
                    self.internal(field.ty.span, format!("field `{}` has an unresolved type", field.name.name));
                    None
                }
            };
            sources.push(FieldSource::Carried { from, widening });
        }
        sources
    }

    fn aggregate(&mut self, aggregate: &model::AggregateDef) -> Aggregate {
        let commands: Vec<Command> = aggregate.commands.iter().map(|command| self.command(command)).collect();
        let mut seen = HashSet::new();
        let mut events = Vec::new();
        for command in &commands {
            for slot in &command.slots {
                let ids = match slot {
                    Slot::One(id) | Slot::Optional(id) => std::slice::from_ref(id),
                    Slot::OneOf { events, .. } => events.as_slice(),
                };
                events.extend(ids.iter().copied().filter(|id| seen.insert(*id)));
            }
        }
        Aggregate {
            docs: aggregate.docs.clone(),
            name: aggregate.name.clone(),
            id: self.ty(&aggregate.id),
            state: self.fields(&aggregate.state),
            // Shapes expand named types, which are resolved only once the whole schema is lowered; see `lower`.
            state_fingerprint: String::new(),
            commands,
            events,
            rust: AggregateNames::new(&aggregate.name.name),
        }
    }

    fn command(&mut self, command: &model::CommandDef) -> Command {
        let name = &command.name.name;
        let one_of_count = command.emits.slots.iter().filter(|slot| matches!(slot, EmitSlot::OneOf(_))).count();
        let mut one_of_index = 0;
        let slots = command
            .emits
            .slots
            .iter()
            .map(|slot| match slot {
                EmitSlot::One(event) => Slot::One(self.event_id(event)),
                EmitSlot::Optional(event) => Slot::Optional(self.event_id(event)),
                EmitSlot::OneOf(events) => {
                    let outcome = names::outcome_name(name, one_of_index, one_of_count);
                    one_of_index += 1;
                    Slot::OneOf { events: events.iter().map(|event| self.event_id(event)).collect(), outcome }
                }
            })
            .collect();
        Command {
            docs: command.docs.clone(),
            name: command.name.clone(),
            rust: RustName::new(name),
            method: names::method(name),
            fields: self.fields(&command.fields),
            slots,
        }
    }
}
