//! The Rust types behind the schema language's built-in types that are not plain Rust types.

use base64::Engine as _;

pub use crate::envelope::Timestamp;
pub use uuid::Uuid;

/// A calendar date without a time zone (the schema's `Date`).
pub type Date = chrono::NaiveDate;

/// A string-keyed (or otherwise ordered) map with a deterministic order (the schema's `Map<K, V>`).
pub type Map<K, V> = std::collections::BTreeMap<K, V>;

/// Raw bytes (the schema's `Bytes`), stored as standard base64 in JSON payloads.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub Vec<u8>);

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes(bytes)
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Self {
        Bytes(bytes.to_vec())
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl serde::Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map(Bytes).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::Bytes;

    #[test]
    fn bytes_round_trip_through_base64() {
        let bytes = Bytes(vec![0, 1, 2, 250, 255]);
        let json = serde_json::to_string(&bytes).unwrap();
        assert_eq!(json, "\"AAEC+v8=\"");
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), bytes);
        assert!(serde_json::from_str::<Bytes>("\"not base64!\"").is_err());
    }
}
