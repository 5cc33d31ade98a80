//! The pest parser derived from `grammar.pest`, and the `Rule` enum it generates.

// pest_derive generates a `pub enum Rule`; it stays inside this private module, so `pub` here means `pub(crate)`.
#![allow(unreachable_pub)]

/// The parser for `.factum` sources; its entry rule is [`Rule::schema`].
#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub struct SchemaParser;
