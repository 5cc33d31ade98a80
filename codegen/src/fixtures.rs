//! Sample payloads, one per event version, exactly as the store holds them: the fixtures that snapshot tests decode
//! through the upcaster chain, so that a change in how old events read shows up as a snapshot diff.
//!
//! Samples are deterministic: the same schema always gives the same bytes. Once written, a fixture stands for
//! events already stored, so [`crate::fs::write_fixtures`] keeps existing files unless told to overwrite them.

use serde_json::{json, Map, Value};

use crate::{
    ir::{Field, Schema, Type},
    model::Builtin,
};

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

/// One sample payload for every version of every event of a checked schema: events in order of first declaration,
/// each event's versions in increasing order.
pub fn fixtures(schema: &Schema) -> Vec<Fixture> {
    schema
        .events
        .iter()
        .flat_map(|event| {
            event.versions.iter().map(|version| Fixture {
                event: event.name.name.clone(),
                version: version.version,
                payload: payload(schema, &version.fields),
            })
        })
        .collect()
}

/// A payload with these fields, as pretty-printed JSON with a final newline.
fn payload(schema: &Schema, fields: &[Field]) -> String {
    let payload = object(schema, fields, 0);
    // Serializing a `Value` cannot fail: its map keys are strings.
    let mut text = serde_json::to_string_pretty(&payload).unwrap_or_default();
    text.push('\n');
    text
}

/// How deep samples of recursive types go before an option or a list is left empty.
const MAX_DEPTH: usize = 8;

fn object(schema: &Schema, fields: &[Field], depth: usize) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|field| (field.name.name.clone(), sample(schema, &field.name.name, &field.ty, depth)))
            .collect(),
    )
}

/// A sample value of `ty` for a field called `field`, in the JSON form serde gives the generated Rust type.
fn sample(schema: &Schema, field: &str, ty: &Type, depth: usize) -> Value {
    match ty {
        Type::Builtin(builtin) => builtin_sample(*builtin, field),
        Type::Option(inner) if depth < MAX_DEPTH => sample(schema, field, inner, depth + 1),
        Type::Option(_) => Value::Null,
        Type::List(item) if depth < MAX_DEPTH => json!([sample(schema, field, item, depth + 1)]),
        Type::List(_) => json!([]),
        Type::Map(key, value) => {
            let mut map = Map::new();
            if depth < MAX_DEPTH {
                map.insert(key_sample(schema, key), sample(schema, field, value, depth + 1));
            }
            Value::Object(map)
        }
        Type::Enum(id) => {
            schema.enumeration(*id).variants.first().map_or(Value::Null, |variant| json!(variant.name.name))
        }
        Type::Record(id) => object(schema, &schema.record(*id).fields, depth + 1),
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
fn key_sample(schema: &Schema, key: &Type) -> String {
    match key {
        Type::Builtin(Builtin::String) => "key".to_owned(),
        Type::Builtin(Builtin::Uuid) => "00000000-0000-4000-8000-000000000002".to_owned(),
        Type::Builtin(Builtin::Date) => "2026-01-02".to_owned(),
        Type::Builtin(_) => "1".to_owned(),
        Type::Enum(id) => schema
            .enumeration(*id)
            .variants
            .first()
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
