//! The model printed back as `.factum` text: how a domain declared in Rust (the derive front end) is exported as a
//! schema, so that the lock file, `factum check --against` and the fixtures work on it as on a written schema.
//!
//! The text parses into a model with the same declarations (spans aside): events, types and aggregates keep their
//! order, docs and names, and every upcast and alias is written after the events. `codegen/tests/print.rs` holds
//! it to that over the repository's schemas.

use std::fmt::Write as _;

use crate::{
    check::type_text,
    model::{
        AggregateDef, AliasDef, Docs, EmitSlot, EnumDef, EventDef, Field, LiteralKind, ProjectionDef, Schema, TypeDef,
        UpcastBody, UpcastDef, UpcastStep,
    },
};

/// `schema` as `.factum` text: types, enums, events with their upcasts and aliases, aggregates, projections.
pub fn print(schema: &Schema) -> String {
    let mut out = String::new();
    let mut blocks: Vec<String> = Vec::new();
    blocks.extend(schema.types.iter().map(type_def));
    blocks.extend(schema.enums.iter().map(enum_def));
    blocks.extend(schema.events.iter().map(event_def));
    blocks.extend(schema.upcasts.iter().map(upcast_def));
    blocks.extend(schema.aliases.iter().map(alias_def));
    blocks.extend(schema.aggregates.iter().map(aggregate_def));
    blocks.extend(schema.projections.iter().map(projection_def));
    for (index, block) in blocks.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(block);
    }
    out
}

/// `/// line` per doc line, at `indent`.
fn docs(out: &mut String, docs: &Docs, indent: &str) {
    for line in docs {
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}

/// `{ fields }` on lines of their own at `indent`, or `{}`.
fn fields(out: &mut String, fields: &[Field], indent: &str) {
    if fields.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    let inner = format!("{indent}    ");
    for field in fields {
        docs(out, &field.docs, &inner);
        let _ = writeln!(out, "{inner}{}: {}", field.name.name, type_text(&field.ty));
    }
    let _ = write!(out, "{indent}}}");
}

fn type_def(def: &TypeDef) -> String {
    let mut out = String::new();
    docs(&mut out, &def.docs, "");
    let _ = write!(out, "type {} ", def.name.name);
    fields(&mut out, &def.fields, "");
    out.push('\n');
    out
}

fn enum_def(def: &EnumDef) -> String {
    let mut out = String::new();
    docs(&mut out, &def.docs, "");
    let _ = writeln!(out, "enum {} {{", def.name.name);
    for variant in &def.variants {
        docs(&mut out, &variant.docs, "    ");
        let _ = writeln!(out, "    {},", variant.name.name);
    }
    out.push_str("}\n");
    out
}

fn event_def(def: &EventDef) -> String {
    let mut out = String::new();
    docs(&mut out, &def.docs, "");
    let _ = write!(out, "event {} v{} ", def.name.name, def.version);
    fields(&mut out, &def.fields, "");
    out.push('\n');
    out
}

fn upcast_def(def: &UpcastDef) -> String {
    let mut out = String::new();
    docs(&mut out, &def.docs, "");
    let _ = write!(out, "upcast {} v{} -> v{}", def.event.name, def.from, def.to);
    match &def.body {
        UpcastBody::Custom(_) => out.push_str(" custom\n"),
        UpcastBody::Steps(steps) if steps.is_empty() => out.push_str(" {}\n"),
        UpcastBody::Steps(steps) => {
            out.push_str(" {\n");
            for step in steps {
                let _ = match step {
                    UpcastStep::Default { field, value } => {
                        writeln!(out, "    {} = {}", field.name, literal(&value.kind))
                    }
                    UpcastStep::Rename { from, to } => writeln!(out, "    rename {} -> {}", from.name, to.name),
                    UpcastStep::Drop { field } => writeln!(out, "    drop {}", field.name),
                };
            }
            out.push_str("}\n");
        }
    }
    out
}

/// A literal as the schema language writes it.
fn literal(kind: &LiteralKind) -> String {
    match kind {
        LiteralKind::String(text) => {
            let mut escaped = String::with_capacity(text.len() + 2);
            escaped.push('"');
            for c in text.chars() {
                match c {
                    '"' => escaped.push_str("\\\""),
                    '\\' => escaped.push_str("\\\\"),
                    '\n' => escaped.push_str("\\n"),
                    '\t' => escaped.push_str("\\t"),
                    // Every other control character, `\r` among them, as a unicode escape: a string literal holds no
                    // line break.
                    c if c.is_control() => {
                        let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
                    }
                    c => escaped.push(c),
                }
            }
            escaped.push('"');
            escaped
        }
        LiteralKind::Integer(number) => number.to_string(),
        // `{:?}` keeps a fraction (`1.0`), which tells the parser it is a float.
        LiteralKind::Float(number) => format!("{number:?}"),
        LiteralKind::Bool(value) => value.to_string(),
        LiteralKind::None => "none".to_owned(),
        LiteralKind::EmptyList => "[]".to_owned(),
        LiteralKind::EmptyMap => "{}".to_owned(),
        LiteralKind::Variant(name) => name.clone(),
    }
}

fn alias_def(def: &AliasDef) -> String {
    let mut out = String::new();
    docs(&mut out, &def.docs, "");
    let _ = writeln!(out, "alias {} -> {}", def.old.name, def.new.name);
    out
}

fn aggregate_def(def: &AggregateDef) -> String {
    let mut out = String::new();
    docs(&mut out, &def.docs, "");
    let _ = writeln!(out, "aggregate {} {{", def.name.name);
    let _ = writeln!(out, "    id: {}", type_text(&def.id));
    out.push_str("    state ");
    fields(&mut out, &def.state, "    ");
    out.push('\n');
    for command in &def.commands {
        docs(&mut out, &command.docs, "    ");
        let _ = write!(out, "    command {} ", command.name.name);
        fields(&mut out, &command.fields, "    ");
        let slots: Vec<String> = command
            .emits
            .slots
            .iter()
            .map(|slot| match slot {
                EmitSlot::One(event) => event.name.clone(),
                EmitSlot::Optional(event) => format!("{}?", event.name),
                EmitSlot::OneOf(events) => {
                    events.iter().map(|event| event.name.as_str()).collect::<Vec<_>>().join(" | ")
                }
            })
            .collect();
        let _ = writeln!(out, " emits {}", slots.join(", "));
    }
    out.push_str("}\n");
    out
}

fn projection_def(def: &ProjectionDef) -> String {
    let mut out = String::new();
    docs(&mut out, &def.docs, "");
    let _ = writeln!(out, "projection {} {{", def.name.name);
    let events: Vec<&str> = def.events.iter().map(|event| event.name.as_str()).collect();
    if !events.is_empty() {
        let _ = writeln!(out, "    on {}", events.join(", "));
    }
    out.push_str("}\n");
    out
}
