//! The values of literals in upcast steps: strings with their escapes resolved, integers and floats. The grammar
//! accepts any backslash escape and any number of digits; what cannot be represented is reported here as
//! `factum::invalid-literal`, never a panic.

use crate::{diagnostics::Diagnostic, model::LiteralKind, model::Span};

/// The escapes a string may contain, as the help of a bad escape lists them.
const ESCAPES: &str = "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}`; a backslash itself is `\\\\`";

/// The most hex digits of a `\u{...}` escape, as in Rust.
const MAX_UNICODE_DIGITS: usize = 6;

/// The value of the text between a string's quotes, which starts at byte `start` of the source. Each escape that
/// cannot be resolved is reported and left out.
pub(super) fn string_value(raw: &str, start: Span, diagnostics: &mut Vec<Diagnostic>) -> String {
    let mut value = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(backslash) = rest.find('\\') {
        value.push_str(&rest[..backslash]);
        let escape_start = start.start + (raw.len() - rest.len()) + backslash;
        let after = &rest[backslash + 1..];
        let Some(kind) = after.chars().next() else {
            // The grammar always pairs a backslash with the character after it; a lone one at the end adds nothing.
            rest = after;
            break;
        };
        let mut length = kind.len_utf8();
        match kind {
            '"' => value.push('"'),
            '\\' => value.push('\\'),
            'n' => value.push('\n'),
            't' => value.push('\t'),
            'u' => match unicode_escape(&after[1..]) {
                Ok((character, braced_length)) => {
                    value.push(character);
                    length += braced_length;
                }
                Err(braced_length) => {
                    length += braced_length;
                    let text = &after[..length];
                    let span = Span { start: escape_start, end: escape_start + 1 + length, ..start };
                    diagnostics.push(
                        Diagnostic::error(
                            "factum::invalid-literal",
                            format!("invalid unicode escape `\\{text}`"),
                            span,
                            "not a unicode character",
                        )
                        .with_help(
                            "write a unicode character as `\\u{` and 1 to 6 hex digits, then `}`: `\\u{e9}` is `é`",
                        ),
                    );
                }
            },
            other => {
                let span = Span { start: escape_start, end: escape_start + 1 + length, ..start };
                diagnostics.push(
                    Diagnostic::error(
                        "factum::invalid-literal",
                        format!("unknown escape `\\{}` in a string", other.escape_debug()),
                        span,
                        "unknown escape",
                    )
                    .with_help(ESCAPES),
                );
            }
        }
        rest = &after[length..];
    }
    value.push_str(rest);
    value
}

/// The character of a `\u` escape from what follows the `u`, with how many bytes of it the escape takes (`{e9}`
/// is 4); or, when it is not a character, how many bytes to point at.
fn unicode_escape(after_u: &str) -> Result<(char, usize), usize> {
    let Some(braced) = after_u.strip_prefix('{') else { return Err(0) };
    // Point at the whole escape when it is closed, and up to its last hex digit when it is not.
    let digit_count = braced.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(braced.len());
    if !braced[digit_count..].starts_with('}') {
        return Err(1 + digit_count);
    }
    let digits = &braced[..digit_count];
    let length = digit_count + 2;
    if digits.is_empty() || digits.len() > MAX_UNICODE_DIGITS {
        return Err(length);
    }
    let character = u32::from_str_radix(digits, 16).ok().and_then(char::from_u32).ok_or(length)?;
    Ok((character, length))
}

/// The value of a number written `text` at `span`: an integer without a fraction or exponent, a float with either.
/// A number out of range is reported, and stands for zero.
pub(super) fn number_value(text: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> LiteralKind {
    let negative = text.starts_with('-');
    let direction = if negative { "small" } else { "large" };
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(integer) = text.parse::<i128>() {
            return LiteralKind::Integer(integer);
        }
        let bound = if negative {
            format!("the smallest is `{}`", i128::MIN)
        } else {
            format!("the largest is `{}`", i128::MAX)
        };
        diagnostics.push(Diagnostic::error(
            "factum::invalid-literal",
            format!("integer `{text}` is too {direction}"),
            span,
            format!("out of range: {bound}"),
        ));
        return LiteralKind::Integer(0);
    }
    match text.parse::<f64>() {
        Ok(float) if float.is_finite() => LiteralKind::Float(float),
        _ => {
            diagnostics.push(Diagnostic::error(
                "factum::invalid-literal",
                format!("float `{text}` is too {direction}"),
                span,
                "out of the range of `f64`",
            ));
            LiteralKind::Float(0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceId;

    /// The value of `raw` and the messages of its diagnostics.
    fn unescape(raw: &str) -> (String, Vec<String>) {
        let mut diagnostics = Vec::new();
        let value = string_value(raw, Span::default(), &mut diagnostics);
        (value, diagnostics.into_iter().map(|diagnostic| diagnostic.message).collect())
    }

    #[test]
    fn resolves_escapes() {
        let check = |raw: &str, expected: &str| assert_eq!(unescape(raw), (expected.to_owned(), Vec::new()), "{raw:?}");
        check("plain", "plain");
        check(r#"say \"hi\""#, "say \"hi\"");
        check(r"back\\slash", "back\\slash");
        check(r"a\nb\tc", "a\nb\tc");
        check(r"caf\u{e9} \u{1F600}", "café 😀");
        check(r"\u{0}", "\0");
        check("é\\n", "é\n");
    }

    #[test]
    fn reports_bad_escapes() {
        let check = |raw: &str, expected: &[&str]| {
            let (_, messages) = unescape(raw);
            assert_eq!(messages, expected, "{raw:?}");
        };
        check(r"\q", &["unknown escape `\\q` in a string"]);
        check(r"\é", &["unknown escape `\\é` in a string"]);
        check(r"\u{D800}", &["invalid unicode escape `\\u{D800}`"]);
        check(r"\u{110000}", &["invalid unicode escape `\\u{110000}`"]);
        check(r"\u{1234567}", &["invalid unicode escape `\\u{1234567}`"]);
        check(r"\u{}", &["invalid unicode escape `\\u{}`"]);
        check(r"\u{zz}", &["invalid unicode escape `\\u{`"]);
        check(r"\u41", &["invalid unicode escape `\\u`"]);
        check(r"\u{41", &["invalid unicode escape `\\u{41`"]);
        check(r"\a\b", &["unknown escape `\\a` in a string", "unknown escape `\\b` in a string"]);
    }

    #[test]
    fn bad_escapes_point_at_themselves() {
        let mut diagnostics = Vec::new();
        string_value(r"ab\u{d800}cd", Span::new(SourceId::FIRST, 10, 10), &mut diagnostics);
        assert_eq!(diagnostics[0].span(), Span::new(SourceId::FIRST, 12, 20));
    }

    #[test]
    fn numbers() {
        let check = |text: &str, expected: LiteralKind| {
            let mut diagnostics = Vec::new();
            assert_eq!(number_value(text, Span::default(), &mut diagnostics), expected, "{text:?}");
            assert_eq!(diagnostics, Vec::new(), "{text:?}");
        };
        check("0", LiteralKind::Integer(0));
        check("-7", LiteralKind::Integer(-7));
        check("170141183460469231731687303715884105727", LiteralKind::Integer(i128::MAX));
        check("-170141183460469231731687303715884105728", LiteralKind::Integer(i128::MIN));
        check("1.5", LiteralKind::Float(1.5));
        check("-0.25", LiteralKind::Float(-0.25));
        check("1e3", LiteralKind::Float(1000.0));
        check("2.5E-3", LiteralKind::Float(0.0025));
    }

    #[test]
    fn numbers_out_of_range_are_diagnostics() {
        let check = |text: &str, expected: &str| {
            let mut diagnostics = Vec::new();
            number_value(text, Span::default(), &mut diagnostics);
            let messages: Vec<String> = diagnostics.into_iter().map(|diagnostic| diagnostic.message).collect();
            assert_eq!(messages, [expected], "{text:?}");
        };
        check(
            "170141183460469231731687303715884105728",
            "integer `170141183460469231731687303715884105728` is too large",
        );
        check(
            "-170141183460469231731687303715884105729",
            "integer `-170141183460469231731687303715884105729` is too small",
        );
        check("1e999", "float `1e999` is too large");
        check("-1e999", "float `-1e999` is too small");
    }
}
