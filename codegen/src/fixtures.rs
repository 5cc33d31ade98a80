//! Sample payloads, one per event version, exactly as the store holds them: the fixtures that snapshot tests decode
//! through the upcaster chain, so that a change in how old events read shows up as a snapshot diff.
//!
//! Samples are deterministic: the same schema always gives the same bytes. Once written, a fixture stands for
//! events already stored, so [`crate::fs::write_fixtures`] keeps existing files unless told to overwrite them.

use serde_json::{json, Map, Value};

use crate::model::{Builtin, EventDef, Schema, TypeKind, TypeRef};

/// One event version's sample payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixture {
    /// The event's stored name.
    pub event: String,
    /// The version.
    pub version: u32,
    /// The payload as the store holds it: JSON, pretty-printed, with a final newline.
    pub payload: String,
}

impl Fixture {
    /// The fixture's file name: `OrderCreated.v1.json`.
    pub fn file_name(&self) -> String {
        format!("{}.v{}.json", self.event, self.version)
    }

    /// Reads an event name and version back from a fixture file name.
    pub fn parse_file_name(file_name: &str) -> Option<(&str, u32)> {
        let stem = file_name.strip_suffix(".json")?;
        let (event, version) = stem.rsplit_once(".v")?;
        Some((event, version.parse().ok()?))
    }
}

/// One sample payload for every declared version of every event, in declaration order.
pub fn fixtures(schema: &Schema) -> Vec<Fixture> {
    schema.events.iter().map(|def| fixture(schema, def)).collect()
}

fn fixture(schema: &Schema, def: &EventDef) -> Fixture {
    let payload = Value::Object(
        def.fields
            .iter()
            .map(|field| (field.name.name.clone(), sample(schema, &field.name.name, &field.ty, 0)))
            .collect(),
    );
    let mut text = serde_json::to_string_pretty(&payload).expect("a JSON value always serializes");
    text.push('\n');
    Fixture { event: def.name.name.clone(), version: def.version, payload: text }
}

/// How deep samples of recursive types go before an option or a list is left empty.
const MAX_DEPTH: usize = 8;

/// A sample value of `ty` for a field called `field`, in the JSON form serde gives the generated Rust type.
fn sample(schema: &Schema, field: &str, ty: &TypeRef, depth: usize) -> Value {
    match &ty.kind {
        TypeKind::Builtin(builtin) => builtin_sample(*builtin, field),
        TypeKind::Option(inner) if depth < MAX_DEPTH => sample(schema, field, inner, depth + 1),
        TypeKind::Option(_) => Value::Null,
        TypeKind::List(item) if depth < MAX_DEPTH => json!([sample(schema, field, item, depth + 1)]),
        TypeKind::List(_) => json!([]),
        TypeKind::Map(key, value) => {
            let mut map = Map::new();
            if depth < MAX_DEPTH {
                map.insert(key_sample(schema, key), sample(schema, field, value, depth + 1));
            }
            Value::Object(map)
        }
        TypeKind::Named(name) => {
            if let Some(def) = schema.enum_def(name) {
                return def.variants.first().map_or(Value::Null, |variant| json!(variant.name.name));
            }
            let Some(def) = schema.type_def(name) else { return Value::Null };
            Value::Object(
                def.fields
                    .iter()
                    .map(|field| (field.name.name.clone(), sample(schema, &field.name.name, &field.ty, depth + 1)))
                    .collect(),
            )
        }
    }
}

fn builtin_sample(builtin: Builtin, field: &str) -> Value {
    match builtin {
        Builtin::Bool => json!(true),
        Builtin::I32 => json!(-32),
        Builtin::I64 => json!(-64),
        Builtin::U32 => json!(32),
        Builtin::U64 => json!(64),
        Builtin::F64 => json!(0.5),
        Builtin::String => json!(format!("sample {field}")),
        // `factum` in base64, as the runtime's `Bytes` serializes it.
        Builtin::Bytes => json!("ZmFjdHVt"),
        Builtin::Uuid => json!("00000000-0000-4000-8000-000000000001"),
        Builtin::Timestamp => json!("2026-01-01T00:00:00Z"),
        Builtin::Date => json!("2026-01-01"),
    }
}

/// A map key: JSON object keys are strings, so integers, ids and dates are spelled as serde spells them as keys.
fn key_sample(schema: &Schema, key: &TypeRef) -> String {
    match &key.kind {
        TypeKind::Builtin(Builtin::String) => "key".to_owned(),
        TypeKind::Builtin(Builtin::Uuid) => "00000000-0000-4000-8000-000000000002".to_owned(),
        TypeKind::Builtin(Builtin::Date) => "2026-01-02".to_owned(),
        TypeKind::Builtin(_) => "1".to_owned(),
        TypeKind::Named(name) => schema
            .enum_def(name)
            .and_then(|def| def.variants.first())
            .map_or_else(|| "key".to_owned(), |variant| variant.name.name.clone()),
        _ => "key".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::Fixture;

    #[test]
    fn file_names_round_trip() {
        let fixture = Fixture { event: "OrderCreated".into(), version: 12, payload: String::new() };
        assert_eq!(fixture.file_name(), "OrderCreated.v12.json");
        assert_eq!(Fixture::parse_file_name("OrderCreated.v12.json"), Some(("OrderCreated", 12)));
        assert_eq!(Fixture::parse_file_name("OrderCreated.json"), None);
        assert_eq!(Fixture::parse_file_name("OrderCreated.vx.json"), None);
    }
}
