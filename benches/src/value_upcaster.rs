//! The baseline of the upcasting benchmark: an upcaster of the kind cqrs-es uses, which rewrites the payload as a
//! `serde_json::Value` step by step and deserializes the result, doing the same work as the order schema's chain.

use orders_example::{schema::OrderCreated, upcasts::legacy_customer_id};
use serde_json::Value;

/// Why the baseline could not read a payload.
#[derive(Debug, thiserror::Error)]
pub enum ValueUpcastError {
    /// Not JSON, or not the shape of the latest version after rewriting.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A field the rewrite needs is missing or of the wrong type.
    #[error("payload has no string field `{0}`")]
    MissingField(&'static str),
    /// Not a version the baseline knows.
    #[error("unknown version {0}")]
    UnknownVersion(u32),
}

/// Reads an `OrderCreated` payload stored as `version` by rewriting it up to v3 as a JSON value.
pub fn decode_order_created(version: u32, payload: &[u8]) -> Result<OrderCreated, ValueUpcastError> {
    let mut value: Value = serde_json::from_slice(payload)?;
    if version > 3 {
        return Err(ValueUpcastError::UnknownVersion(version));
    }
    if version < 2 {
        // v1 -> v2: a new field with a default.
        value["currency"] = Value::from("IDR");
    }
    if version < 3 {
        // v2 -> v3: the customer known by name gets an id derived from the name.
        let object = value.as_object_mut().ok_or(ValueUpcastError::MissingField("customer"))?;
        let Some(Value::String(customer)) = object.remove("customer") else {
            return Err(ValueUpcastError::MissingField("customer"));
        };
        object.insert("customer_id".to_owned(), Value::from(legacy_customer_id(&customer).to_string()));
        object.insert("customer_name".to_owned(), Value::from(customer));
    }
    Ok(serde_json::from_value(value)?)
}
