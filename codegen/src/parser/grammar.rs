//! The pest parser derived from `grammar.pest`, the `Rule` enum it generates, and the one number the parser needs
//! from the grammar: the nesting limit.

// pest_derive generates a `pub enum Rule`; it stays inside this private module, so `pub` here means `pub(crate)`.
#![allow(unreachable_pub)]

/// The parser for `.factum` sources; its entry rule is [`Rule::schema`].
#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub struct SchemaParser;

/// The grammar's text (the same file the parser is derived from).
const GRAMMAR: &str = include_str!("../grammar.pest");

/// How many levels of `[`, `<` and `?` may enclose a type. The grammar enforces it (`within_nesting_limit` fails
/// when this many levels enclose the point where another would start); the number is read from there when the crate
/// is compiled, so that it is written in one place.
pub const MAX_NESTING: usize = nesting_limit(GRAMMAR.as_bytes());

/// The `N` of the grammar's `within_nesting_limit = { !PEEK[N..] }`. A const fn, so that a grammar without that
/// rule fails to compile rather than parse without a limit.
const fn nesting_limit(grammar: &[u8]) -> usize {
    const RULE: &[u8] = b"within_nesting_limit = { !PEEK[";
    let mut start = 0;
    while start + RULE.len() <= grammar.len() {
        let mut matched = 0;
        while matched < RULE.len() && grammar[start + matched] == RULE[matched] {
            matched += 1;
        }
        if matched == RULE.len() {
            let mut at = start + RULE.len();
            let mut limit = 0;
            while at < grammar.len() && grammar[at].is_ascii_digit() {
                limit = limit * 10 + (grammar[at] - b'0') as usize;
                at += 1;
            }
            assert!(limit > 0, "`within_nesting_limit` in grammar.pest must allow at least one level");
            return limit;
        }
        start += 1;
    }
    panic!("grammar.pest must define `within_nesting_limit = {{ !PEEK[N..] }}`")
}
