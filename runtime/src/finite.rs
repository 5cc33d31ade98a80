//! Refuses floats that JSON cannot hold while an event is serialized, naming the field.
//!
//! serde_json writes NaN and the infinities as `null`, which no event type reads back as a float: an event stored that
//! way would make its stream unreadable forever. [`Checked`] wraps any serializer and passes every value through to
//! it unchanged, except a non-finite `f32` or `f64`, which stops the serialization and is reported with its path in
//! the payload (`items[2].price`). There is no intermediate `serde_json::Value`: the check runs as the bytes are
//! written.

use std::cell::Cell;
use std::fmt;

use serde::ser::{self, Serialize, Serializer};

/// Which value a float held that JSON cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonFinite {
    /// Not a number.
    NaN,
    /// Positive infinity.
    Infinity,
    /// Negative infinity.
    NegativeInfinity,
}

impl NonFinite {
    fn of(value: f64) -> Option<NonFinite> {
        if value.is_nan() {
            Some(NonFinite::NaN)
        } else if value == f64::INFINITY {
            Some(NonFinite::Infinity)
        } else if value == f64::NEG_INFINITY {
            Some(NonFinite::NegativeInfinity)
        } else {
            None
        }
    }
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NonFinite::NaN => "NaN",
            NonFinite::Infinity => "+inf",
            NonFinite::NegativeInfinity => "-inf",
        })
    }
}

/// Where in the payload a refused float was, and what it was.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) field: String,
    pub(crate) value: NonFinite,
}

/// A place in a payload, from the value being serialized up to the payload itself. Each level lives on the stack of
/// the call that serializes into it, so tracking the path allocates nothing until a float is refused.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'static str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a dyn Fn() -> String),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
            Path::Key(parent, key) => write!(f, "{parent}[{}]", key()),
        }
    }
}

/// Serializes `value` into `serializer`, refusing non-finite floats: the error is then the serializer's own
/// (`custom`), and `refused` says where and what.
pub(crate) fn serialize_checked<T, S>(
    value: &T,
    serializer: S,
    refused: &Cell<Option<Refused>>,
) -> Result<S::Ok, S::Error>
where
    T: Serialize + ?Sized,
    S: Serializer,
{
    value.serialize(Checked { inner: serializer, path: &Path::Root, refused })
}

/// A serializer that forwards to `inner`, checking floats at `path`.
struct Checked<'a, S> {
    inner: S,
    path: &'a Path<'a>,
    refused: &'a Cell<Option<Refused>>,
}

/// A value to serialize at `path`, through whatever serializer the enclosing compound hands it.
struct At<'a, T: ?Sized> {
    value: &'a T,
    path: &'a Path<'a>,
    refused: &'a Cell<Option<Refused>>,
}

impl<T: Serialize + ?Sized> Serialize for At<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Checked { inner: serializer, path: self.path, refused: self.refused })
    }
}

/// A compound (struct, sequence, map, ...) being serialized at `path`, inside the enum variant `variant` if it is one;
/// `index` counts its elements and `key` holds the last map key written on its own.
struct Compound<'a, C> {
    inner: C,
    path: &'a Path<'a>,
    variant: Option<&'static str>,
    refused: &'a Cell<Option<Refused>>,
    index: usize,
    key: String,
}

impl<'a, S: Serializer> Checked<'a, S> {
    #[cold]
    fn refuse(&self, value: NonFinite) -> S::Error {
        let field = self.path.to_string();
        let error = <S::Error as ser::Error>::custom(format_args!("`{field}` is {value}, which JSON cannot hold"));
        self.refused.set(Some(Refused { field, value }));
        error
    }

    fn at<'v, T: ?Sized>(&self, value: &'v T) -> At<'v, T>
    where
        'a: 'v,
    {
        At { value, path: self.path, refused: self.refused }
    }
}

impl<'a, S: Serializer> Serializer for Checked<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'a, S::SerializeSeq>;
    type SerializeTuple = Compound<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'a, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'a, S::SerializeMap>;
    type SerializeStruct = Compound<'a, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'a, S::SerializeStructVariant>;

    fn serialize_f32(self, value: f32) -> Result<S::Ok, S::Error> {
        if let Some(kind) = NonFinite::of(f64::from(value)) {
            return Err(self.refuse(kind));
        }
        self.inner.serialize_f32(value)
    }

    fn serialize_f64(self, value: f64) -> Result<S::Ok, S::Error> {
        if let Some(kind) = NonFinite::of(value) {
            return Err(self.refuse(kind));
        }
        self.inner.serialize_f64(value)
    }

    fn serialize_bool(self, value: bool) -> Result<S::Ok, S::Error> {
        self.inner.serialize_bool(value)
    }
    fn serialize_i8(self, value: i8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i8(value)
    }
    fn serialize_i16(self, value: i16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i16(value)
    }
    fn serialize_i32(self, value: i32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i32(value)
    }
    fn serialize_i64(self, value: i64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i64(value)
    }
    fn serialize_i128(self, value: i128) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i128(value)
    }
    fn serialize_u8(self, value: u8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u8(value)
    }
    fn serialize_u16(self, value: u16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u16(value)
    }
    fn serialize_u32(self, value: u32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u32(value)
    }
    fn serialize_u64(self, value: u64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u64(value)
    }
    fn serialize_u128(self, value: u128) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u128(value)
    }
    fn serialize_char(self, value: char) -> Result<S::Ok, S::Error> {
        self.inner.serialize_char(value)
    }
    fn serialize_str(self, value: &str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_str(value)
    }
    fn serialize_bytes(self, value: &[u8]) -> Result<S::Ok, S::Error> {
        self.inner.serialize_bytes(value)
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let at = self.at(value);
        self.inner.serialize_some(&at)
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, variant_index, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<S::Ok, S::Error> {
        let at = self.at(value);
        self.inner.serialize_newtype_struct(name, &at)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let path = Path::Field(self.path, variant);
        let at = At { value, path: &path, refused: self.refused };
        self.inner.serialize_newtype_variant(name, variant_index, variant, &at)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let inner = self.inner.serialize_seq(len)?;
        Ok(Compound { inner, path: self.path, variant: None, refused: self.refused, index: 0, key: String::new() })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let inner = self.inner.serialize_tuple(len)?;
        Ok(Compound { inner, path: self.path, variant: None, refused: self.refused, index: 0, key: String::new() })
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, S::Error> {
        let inner = self.inner.serialize_tuple_struct(name, len)?;
        Ok(Compound { inner, path: self.path, variant: None, refused: self.refused, index: 0, key: String::new() })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let inner = self.inner.serialize_tuple_variant(name, variant_index, variant, len)?;
        Ok(Compound {
            inner,
            path: self.path,
            variant: Some(variant),
            refused: self.refused,
            index: 0,
            key: String::new(),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let inner = self.inner.serialize_map(len)?;
        Ok(Compound { inner, path: self.path, variant: None, refused: self.refused, index: 0, key: String::new() })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        let inner = self.inner.serialize_struct(name, len)?;
        Ok(Compound { inner, path: self.path, variant: None, refused: self.refused, index: 0, key: String::new() })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let inner = self.inner.serialize_struct_variant(name, variant_index, variant, len)?;
        Ok(Compound {
            inner,
            path: self.path,
            variant: Some(variant),
            refused: self.refused,
            index: 0,
            key: String::new(),
        })
    }
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<C> Compound<'_, C> {
    /// Serializes the next element of a sequence or tuple, at its index.
    fn element<T, E>(&mut self, value: &T, serialize: impl FnOnce(&mut C, &At<'_, T>) -> Result<(), E>) -> Result<(), E>
    where
        T: Serialize + ?Sized,
    {
        let variant = self.variant.map(|variant| Path::Field(self.path, variant));
        let path = Path::Index(variant.as_ref().unwrap_or(self.path), self.index);
        self.index += 1;
        serialize(&mut self.inner, &At { value, path: &path, refused: self.refused })
    }

    /// Serializes a named field.
    fn field<T, E>(
        &mut self,
        name: &'static str,
        value: &T,
        serialize: impl FnOnce(&mut C, &At<'_, T>) -> Result<(), E>,
    ) -> Result<(), E>
    where
        T: Serialize + ?Sized,
    {
        let variant = self.variant.map(|variant| Path::Field(self.path, variant));
        let path = Path::Field(variant.as_ref().unwrap_or(self.path), name);
        serialize(&mut self.inner, &At { value, path: &path, refused: self.refused })
    }
}

impl<C: ser::SerializeSeq> ser::SerializeSeq for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.element(value, |inner, at| inner.serialize_element(at))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTuple> ser::SerializeTuple for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.element(value, |inner, at| inner.serialize_element(at))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleStruct> ser::SerializeTupleStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.element(value, |inner, at| inner.serialize_field(at))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleVariant> ser::SerializeTupleVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.element(value, |inner, at| inner.serialize_field(at))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStruct> ser::SerializeStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), C::Error> {
        self.field(key, value, |inner, at| inner.serialize_field(key, at))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStructVariant> ser::SerializeStructVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), C::Error> {
        self.field(key, value, |inner, at| inner.serialize_field(key, at))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

/// A map key as the path shows it: its JSON text (`"sku-1"`, `7`).
fn key_text<K: Serialize + ?Sized>(key: &K) -> String {
    serde_json::to_string(key).unwrap_or_else(|_| "?".to_owned())
}

impl<C: ser::SerializeMap> ser::SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    // Keys are checked too: a float key is as unreadable as a float value.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.key = key_text(key);
        let path = Path::Field(self.path, "<key>");
        self.inner.serialize_key(&At { value: key, path: &path, refused: self.refused })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let key = std::mem::take(&mut self.key);
        let text = || key.clone();
        let path = Path::Key(self.path, &text);
        self.inner.serialize_value(&At { value, path: &path, refused: self.refused })
    }

    // Maps serialized whole (every `HashMap` and `BTreeMap`) come here: the key's text is only made when a float
    // under it is refused.
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), C::Error> {
        let text = || key_text(key);
        let key_path = Path::Key(self.path, &text);
        let value_path = Path::Key(self.path, &text);
        self.inner.serialize_entry(
            &At { value: key, path: &key_path, refused: self.refused },
            &At { value, path: &value_path, refused: self.refused },
        )
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}
