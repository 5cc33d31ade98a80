//! Literal values of upcast defaults: which literal is a value of which type, decided once for the checks (which
//! reject a literal that is not) and the checked model (which keeps the value, ready to emit).

use crate::model::{Builtin, LiteralKind, TypeKind, TypeRef};

/// A literal resolved against the type of the field it sets.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `none`, for an option.
    None,
    /// A value of an option's inner type.
    Some(Box<Value>),
    /// A string.
    String(String),
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// A `u32`.
    U32(u32),
    /// A `u64`.
    U64(u64),
    /// An `f64` (written as a float or an integer).
    F64(f64),
    /// A `bool`.
    Bool(bool),
    /// `[]`.
    EmptyList,
    /// `{}`.
    EmptyMap,
    /// A variant of an enum, by the enum's index among the schema's enums and the variant's index in it.
    Variant {
        /// The enum.
        enum_index: usize,
        /// The variant.
        variant: usize,
    },
}

/// Finds a variant by enum name and variant name: `(enum index, variant index)`.
pub type VariantLookup<'a> = &'a dyn Fn(&str, &str) -> Option<(usize, usize)>;

/// The value `literal` stands for in a field of type `ty`, or `None` when it is not a value of that type: a string
/// for `String`, an integer in range for an integer type, a number for `f64`, `true` or `false` for `bool`, `none`
/// (or a value of the inner type) for an option, `[]` for a list, `{}` for a map, a variant for an enum. No literal
/// stands for `Uuid`, `Timestamp`, `Date`, `Bytes` or a record type.
pub fn value_of(ty: &TypeRef, literal: &LiteralKind, variant: VariantLookup<'_>) -> Option<Value> {
    match (&ty.kind, literal) {
        (TypeKind::Option(_), LiteralKind::None) => Some(Value::None),
        (TypeKind::Option(inner), _) => value_of(inner, literal, variant).map(|value| Value::Some(Box::new(value))),
        (TypeKind::List(_), LiteralKind::EmptyList) => Some(Value::EmptyList),
        (TypeKind::Map(..), LiteralKind::EmptyMap) => Some(Value::EmptyMap),
        (TypeKind::Builtin(builtin), kind) => builtin_value(*builtin, kind),
        (TypeKind::Named(name), LiteralKind::Variant(word)) => {
            variant(name, word).map(|(enum_index, variant)| Value::Variant { enum_index, variant })
        }
        _ => None,
    }
}

fn builtin_value(builtin: Builtin, literal: &LiteralKind) -> Option<Value> {
    match (builtin, literal) {
        (Builtin::String, LiteralKind::String(text)) => Some(Value::String(text.clone())),
        (Builtin::Bool, LiteralKind::Bool(value)) => Some(Value::Bool(*value)),
        (Builtin::F64, LiteralKind::Float(value)) => Some(Value::F64(*value)),
        // Integers beyond 2^53 round to the nearest `f64`, as they would in Rust source.
        (Builtin::F64, LiteralKind::Integer(value)) => Some(Value::F64(*value as f64)),
        (Builtin::I32, LiteralKind::Integer(value)) => i32::try_from(*value).ok().map(Value::I32),
        (Builtin::I64, LiteralKind::Integer(value)) => i64::try_from(*value).ok().map(Value::I64),
        (Builtin::U32, LiteralKind::Integer(value)) => u32::try_from(*value).ok().map(Value::U32),
        (Builtin::U64, LiteralKind::Integer(value)) => u64::try_from(*value).ok().map(Value::U64),
        _ => None,
    }
}

/// The values an integer type holds.
pub(crate) fn integer_range(builtin: Builtin) -> Option<std::ops::RangeInclusive<i128>> {
    match builtin {
        Builtin::I32 => Some(i32::MIN.into()..=i32::MAX.into()),
        Builtin::I64 => Some(i64::MIN.into()..=i64::MAX.into()),
        Builtin::U32 => Some(0..=u32::MAX.into()),
        Builtin::U64 => Some(0..=u64::MAX.into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Span;

    fn ty(kind: TypeKind) -> TypeRef {
        TypeRef { kind, span: Span::default() }
    }

    fn check(field: TypeKind, literal: LiteralKind, expected: Option<Value>) {
        let lookup = |name: &str, word: &str| (name == "Status" && word == "Open").then_some((3, 0));
        assert_eq!(value_of(&ty(field.clone()), &literal, &lookup), expected, "{literal:?} in {field:?}");
    }

    #[test]
    fn literals_resolve_against_their_field_type() {
        let builtin = |builtin| TypeKind::Builtin(builtin);
        let option = |inner| TypeKind::Option(Box::new(ty(inner)));
        check(builtin(Builtin::String), LiteralKind::String("IDR".into()), Some(Value::String("IDR".into())));
        check(builtin(Builtin::U32), LiteralKind::Integer(7), Some(Value::U32(7)));
        check(builtin(Builtin::U32), LiteralKind::Integer(-1), None);
        check(builtin(Builtin::I32), LiteralKind::Integer(1 << 40), None);
        check(builtin(Builtin::F64), LiteralKind::Integer(2), Some(Value::F64(2.0)));
        check(builtin(Builtin::Uuid), LiteralKind::String("x".into()), None);
        check(option(builtin(Builtin::U64)), LiteralKind::None, Some(Value::None));
        check(option(builtin(Builtin::U64)), LiteralKind::Integer(1), Some(Value::Some(Box::new(Value::U64(1)))));
        check(
            TypeKind::Named("Status".into()),
            LiteralKind::Variant("Open".into()),
            Some(Value::Variant { enum_index: 3, variant: 0 }),
        );
        check(TypeKind::Named("Status".into()), LiteralKind::Variant("Shut".into()), None);
        check(TypeKind::List(Box::new(ty(builtin(Builtin::U32)))), LiteralKind::EmptyList, Some(Value::EmptyList));
        check(TypeKind::List(Box::new(ty(builtin(Builtin::U32)))), LiteralKind::EmptyMap, None);
    }
}
