//! The canonical shape of stored payloads: every field with its type, named types and enums expanded recursively,
//! so that a type changed in place changes the shape of every event version that holds it.
//!
//! Payloads are JSON objects and enums are stored by variant name, so the order of fields and variants is not part
//! of a shape: the canonical text lists both sorted by name. Doc comments are not part of it either. The canonical
//! text of a field type reads like the schema language with definitions inlined:
//! `[LineItem{quantity:u32,sku:String,unit_price:u64}]`, `OrderStatus(Paid|Placed)?`, `Map<String,u64>`; the shape
//! of an event version is its fields in braces, `{customer:String,items:[LineItem{...}]}`. [`TypeShape::parse`]
//! reads that text back, which is how a lock file's entries become shapes again.

use std::{collections::BTreeMap, fmt};

use sha2::{Digest, Sha256};

use crate::model::Builtin;

/// A field's type with every named type expanded: what values of it look like in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeShape {
    /// A built-in scalar.
    Builtin(Builtin),
    /// `[T]`.
    List(Box<TypeShape>),
    /// `T?`.
    Option(Box<TypeShape>),
    /// `Map<K, V>`.
    Map(Box<TypeShape>, Box<TypeShape>),
    /// A declared `type`, with its fields sorted by name.
    Record {
        /// The type's name.
        name: String,
        /// Its fields, sorted by name.
        fields: Vec<FieldShape>,
    },
    /// A declared `enum`, with its variants sorted.
    Enum {
        /// The enum's name.
        name: String,
        /// Its variants, sorted.
        variants: Vec<String>,
    },
    /// A record met again inside its own expansion (`type Node { children: [Node] }`): the back-reference of a type
    /// that holds itself through a list or a map.
    Recursive(String),
}

/// A field of an event version, a record, a command or a state, with its expanded type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldShape {
    /// The field's name.
    pub name: String,
    /// Its type.
    pub ty: TypeShape,
}

impl TypeShape {
    /// The type as the schema language spells it, without inlining definitions: `[LineItem]`, `String?`.
    pub fn shallow(&self) -> String {
        match self {
            TypeShape::Builtin(builtin) => builtin.keyword().to_owned(),
            TypeShape::List(inner) => format!("[{}]", inner.shallow()),
            TypeShape::Option(inner) => format!("{}?", inner.shallow()),
            TypeShape::Map(key, value) => format!("Map<{}, {}>", key.shallow(), value.shallow()),
            TypeShape::Record { name, .. } | TypeShape::Enum { name, .. } | TypeShape::Recursive(name) => name.clone(),
        }
    }

    /// Adds every record and enum inside this type (itself included) to `named`, by name.
    pub fn collect_named<'a>(&'a self, named: &mut BTreeMap<&'a str, &'a TypeShape>) {
        match self {
            TypeShape::Builtin(_) | TypeShape::Recursive(_) => {}
            TypeShape::List(inner) | TypeShape::Option(inner) => inner.collect_named(named),
            TypeShape::Map(key, value) => {
                key.collect_named(named);
                value.collect_named(named);
            }
            TypeShape::Record { name, fields } => {
                named.entry(name).or_insert(self);
                fields.iter().for_each(|field| field.ty.collect_named(named));
            }
            TypeShape::Enum { name, .. } => {
                named.entry(name).or_insert(self);
            }
        }
    }

    /// Whether the record or enum `name` occurs inside this type.
    pub fn contains_named(&self, name: &str) -> bool {
        let mut named = BTreeMap::new();
        self.collect_named(&mut named);
        named.contains_key(name)
    }

    /// Reads a type back from its canonical text (see the module docs).
    pub fn parse(text: &str) -> Result<TypeShape, ShapeParseError> {
        let mut reader = Reader { text, at: 0, open: Vec::new() };
        let shape = reader.ty(0)?;
        if reader.at != text.len() {
            return Err(reader.error("unexpected text after the type"));
        }
        Ok(shape)
    }
}

impl fmt::Display for TypeShape {
    /// The canonical text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeShape::Builtin(builtin) => f.write_str(builtin.keyword()),
            TypeShape::List(inner) => write!(f, "[{inner}]"),
            TypeShape::Option(inner) => write!(f, "{inner}?"),
            TypeShape::Map(key, value) => write!(f, "Map<{key},{value}>"),
            TypeShape::Record { name, fields } => write!(f, "{name}{}", FieldsText(fields)),
            TypeShape::Enum { name, variants } => write!(f, "{name}({})", variants.join("|")),
            TypeShape::Recursive(name) => f.write_str(name),
        }
    }
}

/// Fields as canonical text: `{a:String,b:u32}`.
struct FieldsText<'a>(&'a [FieldShape]);

impl fmt::Display for FieldsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (index, field) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{}", field.name, field.ty)?;
        }
        f.write_str("}")
    }
}

/// The canonical text of a payload with these fields (sorted by name): `{customer:String,items:[...]}`.
pub fn shape_text(fields: &[FieldShape]) -> String {
    FieldsText(fields).to_string()
}

/// The fingerprint of a canonical shape text: the first 16 hex digits of its SHA-256, the same on every platform and
/// with every Rust version (unlike std's hashers).
pub fn fingerprint(shape_text: &str) -> String {
    let digest = Sha256::digest(shape_text.as_bytes());
    digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

/// Why canonical type text could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {at} of `{text}`")]
pub struct ShapeParseError {
    /// What was wrong.
    pub message: String,
    /// Where, in bytes from the start.
    pub at: usize,
    /// The whole text.
    pub text: String,
}

/// Deeper nesting than this is not something a lock file written by `factum lock` holds; refusing it keeps the
/// reader from overflowing the stack on hostile input.
const MAX_DEPTH: usize = 64;

/// A recursive-descent reader of canonical type text.
struct Reader<'a> {
    text: &'a str,
    at: usize,
    /// The records whose fields are being read: a bare name among them is a recursive back-reference.
    open: Vec<String>,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> ShapeParseError {
        ShapeParseError { message: message.to_owned(), at: self.at, text: self.text.to_owned() }
    }

    fn eat(&mut self, token: &str) -> bool {
        let found = self.text[self.at..].starts_with(token);
        if found {
            self.at += token.len();
        }
        found
    }

    fn expect(&mut self, token: &str) -> Result<(), ShapeParseError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{token}`")))
        }
    }

    fn name(&mut self) -> Result<&str, ShapeParseError> {
        let rest = &self.text[self.at..];
        let length = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if length == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.error("expected a name"));
        }
        self.at += length;
        Ok(&rest[..length])
    }

    fn ty(&mut self, depth: usize) -> Result<TypeShape, ShapeParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("types nested too deeply"));
        }
        let mut shape = self.primary(depth)?;
        while self.eat("?") {
            shape = TypeShape::Option(Box::new(shape));
        }
        Ok(shape)
    }

    fn primary(&mut self, depth: usize) -> Result<TypeShape, ShapeParseError> {
        if self.eat("[") {
            let inner = self.ty(depth + 1)?;
            self.expect("]")?;
            return Ok(TypeShape::List(Box::new(inner)));
        }
        if self.eat("Map<") {
            let key = self.ty(depth + 1)?;
            self.expect(",")?;
            let value = self.ty(depth + 1)?;
            self.expect(">")?;
            return Ok(TypeShape::Map(Box::new(key), Box::new(value)));
        }
        let start = self.at;
        let name = self.name()?.to_owned();
        if self.eat("{") {
            self.open.push(name.clone());
            let fields = self.fields(depth + 1);
            self.open.pop();
            return Ok(TypeShape::Record { name, fields: fields? });
        }
        if self.eat("(") {
            let mut variants = vec![self.name()?.to_owned()];
            while self.eat("|") {
                variants.push(self.name()?.to_owned());
            }
            self.expect(")")?;
            return Ok(TypeShape::Enum { name, variants });
        }
        match Builtin::from_keyword(&name) {
            Some(builtin) => Ok(TypeShape::Builtin(builtin)),
            None if self.open.contains(&name) => Ok(TypeShape::Recursive(name)),
            None => {
                self.at = start;
                Err(self.error(&format!("`{name}` is neither a built-in type nor followed by its definition")))
            }
        }
    }

    /// Fields after their `{`, through the closing `}`.
    fn fields(&mut self, depth: usize) -> Result<Vec<FieldShape>, ShapeParseError> {
        let mut fields = Vec::new();
        if self.eat("}") {
            return Ok(fields);
        }
        loop {
            let name = self.name()?.to_owned();
            self.expect(":")?;
            let ty = self.ty(depth)?;
            fields.push(FieldShape { name, ty });
            if self.eat("}") {
                return Ok(fields);
            }
            self.expect(",")?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_reads_back() {
        let texts = [
            "String",
            "u64?",
            "[LineItem{quantity:u32,sku:String,unit_price:u64}]",
            "Map<String,[OrderStatus(Paid|Placed)?]>",
            "Empty{}",
            "Outer{inner:Inner{at:Timestamp}?,tags:[String]}",
            "Node{children:[Node],label:String}",
        ];
        for text in texts {
            let shape = TypeShape::parse(text).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(shape.to_string(), text);
        }
    }

    #[test]
    fn malformed_text_is_an_error() {
        for text in ["", "[String", "Map<String>", "LineItem", "u32??x", "Rec{a}", "E()", "{a:u32}", "9x", "A{b:B}"] {
            assert!(TypeShape::parse(text).is_err(), "{text:?} parsed");
        }
        let deep = format!("{}u32{}", "[".repeat(200), "]".repeat(200));
        assert!(TypeShape::parse(&deep).is_err());
    }

    #[test]
    fn fingerprints_are_stable() {
        // A fingerprint frozen in a lock file must never change: this value is part of the format.
        assert_eq!(fingerprint("{customer:String}"), fingerprint("{customer:String}"));
        assert_eq!(fingerprint("{customer:String}").len(), 16);
        assert_eq!(fingerprint(""), "e3b0c44298fc1c14");
    }
}
