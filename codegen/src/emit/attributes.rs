//! Extra attributes on generated types and fields (prost-build's `type_attribute` and `field_attribute`): parsed and
//! validated when configured, selected by name when emitting, and the selectors that matched nothing found.

use proc_macro2::TokenStream;

use crate::ir::{Field, Schema};

/// The selector of [`super::Options::type_attribute`] that names every generated type.
const EVERY_TYPE: &str = ".";

/// Why an extra attribute was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeError {
    /// The attribute text is not one or more outer attributes.
    #[error("`{text}` is not an outer attribute such as `#[derive(Hash)]`: {reason}")]
    Attribute {
        /// The text given.
        text: String,
        /// What the parser said.
        reason: String,
    },
    /// The selector is not of the form the option takes.
    #[error("`{selector}` is not a selector of {expected}")]
    Selector {
        /// The selector given.
        selector: String,
        /// What was expected instead.
        expected: &'static str,
    },
}

/// One extra attribute: the selector it was configured with, and the attributes, already parsed.
#[derive(Debug, Clone)]
pub(super) struct Attribute {
    selector: String,
    tokens: TokenStream,
}

impl Attribute {
    /// An attribute for the types `selector` names: `.` or a type's name.
    pub(super) fn parse_type(selector: &str, text: &str) -> Result<Self, AttributeError> {
        if selector != EVERY_TYPE && !is_identifier(selector) {
            return Err(AttributeError::Selector {
                selector: selector.to_owned(),
                expected: "a type (a type's name, e.g. `OrderCreated`, or `.` for every type)",
            });
        }
        Ok(Attribute { selector: selector.to_owned(), tokens: parse(text)? })
    }

    /// An attribute for the fields `selector` names: `Type.field`.
    pub(super) fn parse_field(selector: &str, text: &str) -> Result<Self, AttributeError> {
        let valid = selector.split_once('.').is_some_and(|(ty, field)| is_identifier(ty) && is_identifier(field));
        if !valid {
            return Err(AttributeError::Selector {
                selector: selector.to_owned(),
                expected: "a field (`Type.field`, e.g. `OrderCreated.customer`)",
            });
        }
        Ok(Attribute { selector: selector.to_owned(), tokens: parse(text)? })
    }
}

/// Whether `text` is a plain identifier, as schema names are.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|rest| rest.is_ascii_alphanumeric() || rest == '_')
}

/// Parses `text` as one or more outer attributes.
fn parse(text: &str) -> Result<TokenStream, AttributeError> {
    let error = |reason: String| AttributeError::Attribute { text: text.to_owned(), reason };
    // Lexed first, so that unbalanced brackets get a message of their own rather than syn's "cannot parse string".
    let tokens: TokenStream = text
        .parse()
        .map_err(|_| error("its brackets do not balance, or it holds a character Rust has no token for".to_owned()))?;
    let attributes = syn::parse::Parser::parse2(syn::Attribute::parse_outer, tokens)
        .map_err(|error_text| error(error_text.to_string()))?;
    if attributes.is_empty() {
        return Err(error("no attribute was given".to_owned()));
    }
    Ok(attributes.iter().map(quote::ToTokens::to_token_stream).collect())
}

/// The attributes whose selector names a type called any of `names` (or every type).
pub(super) fn for_type(attributes: &[Attribute], names: &[&str]) -> TokenStream {
    attributes
        .iter()
        .filter(|attribute| attribute.selector == EVERY_TYPE || names.contains(&attribute.selector.as_str()))
        .map(|attribute| attribute.tokens.clone())
        .collect()
}

/// The attributes whose selector names field `field` of a type called any of `owners`.
pub(super) fn for_field(attributes: &[Attribute], owners: &[&str], field: &str) -> TokenStream {
    attributes
        .iter()
        .filter(|attribute| {
            attribute.selector.split_once('.').is_some_and(|(ty, name)| name == field && owners.contains(&ty))
        })
        .map(|attribute| attribute.tokens.clone())
        .collect()
}

/// Every generated type of the types half that takes attributes, each with the names that select it and its
/// fields (none for enums).
fn selectable(schema: &Schema) -> Vec<(Vec<&str>, &[Field])> {
    let mut types: Vec<(Vec<&str>, &[Field])> = Vec::new();
    types.extend(schema.records.iter().map(|def| (vec![def.rust.as_str()], def.fields.as_slice())));
    types.extend(schema.enums.iter().map(|def| (vec![def.rust.as_str()], &[][..])));
    for event in &schema.events {
        for version in &event.versions {
            types.push((vec![version.rust.as_str(), event.rust.as_str()], version.fields.as_slice()));
        }
    }
    for aggregate in &schema.aggregates {
        let names = &aggregate.rust;
        types.push((vec![names.state.as_str()], aggregate.state.as_slice()));
        for name in [&names.marker, &names.command, &names.event] {
            types.push((vec![name.as_str()], &[][..]));
        }
        for command in &aggregate.commands {
            types.push((vec![command.rust.as_str()], command.fields.as_slice()));
            for slot in &command.slots {
                if let crate::ir::Slot::OneOf { outcome, .. } = slot {
                    types.push((vec![outcome.as_str()], &[][..]));
                }
            }
        }
    }
    types.extend(schema.projections.iter().map(|projection| (vec![projection.rust.event.as_str()], &[][..])));
    types
}

/// The selectors of `type_attributes` and `field_attributes` that select nothing in any of `schemas`.
pub(super) fn unmatched<'a>(
    type_attributes: &[Attribute],
    field_attributes: &[Attribute],
    schemas: impl IntoIterator<Item = &'a Schema> + Clone,
) -> Vec<String> {
    let matches_type = |selector: &str| {
        selector == EVERY_TYPE
            || schemas
                .clone()
                .into_iter()
                .any(|schema| selectable(schema).iter().any(|(names, _)| names.contains(&selector)))
    };
    let matches_field = |selector: &str| {
        let Some((ty, field)) = selector.split_once('.') else { return false };
        schemas.clone().into_iter().any(|schema| {
            selectable(schema).iter().any(|(names, fields)| {
                names.contains(&ty) && fields.iter().any(|candidate| candidate.name.name == field)
            })
        })
    };
    let mut unmatched = Vec::new();
    for attribute in type_attributes {
        if !matches_type(&attribute.selector) && !unmatched.contains(&attribute.selector) {
            unmatched.push(attribute.selector.clone());
        }
    }
    for attribute in field_attributes {
        if !matches_field(&attribute.selector) && !unmatched.contains(&attribute.selector) {
            unmatched.push(attribute.selector.clone());
        }
    }
    unmatched
}
