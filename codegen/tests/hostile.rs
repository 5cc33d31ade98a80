//! Hostile input: crafted schemas come back as diagnostics or as code, never as a panic, a stack overflow or an
//! endless run.
//!
//! Every case runs the whole compiler (`compile_source`, then `generate_source` when it compiles) on a thread with
//! a small stack, so that a recursion the nesting limit no longer bounds fails here as a stack overflow (which aborts
//! this test binary) instead of passing on the main thread's large stack. Scaling with input size is measured by the
//! `compile` benchmark in `benches/`; the large inputs here only assert that they complete.

use factum_codegen::{compile_source, fs::read_schema, generate_source, Options};

/// The stack each case runs on. Parsing and checking the deepest types the limit allows take between 128 and 256 KiB
/// in a debug build (`the_deepest_types_the_limit_allows_compile_in_a_small_stack`); formatting runs on a stack of
/// its own.
const STACK: usize = 256 * 1024;

/// The codes of the errors `source` gets, in order; empty when it compiles, in which case its generated Rust must
/// parse as a file.
fn diagnose(source: &str) -> Vec<&'static str> {
    let source = source.to_owned();
    let thread =
        std::thread::Builder::new().stack_size(STACK).spawn(move || match compile_source("hostile", &source) {
            Ok(_) => {
                let code =
                    generate_source("hostile", &source, &Options::default()).map_err(|errors| errors.diagnostics);
                let code = code.unwrap_or_else(|diagnostics| panic!("compiled, then failed: {diagnostics:?}"));
                // syn needs more stack than the compiler itself; give it what `format` gives it.
                if let Err(error) = stacker::grow(16 << 20, || syn::parse_file(&code)) {
                    panic!("the generated Rust does not parse: {error}");
                }
                Vec::new()
            }
            Err(errors) => {
                for diagnostic in &errors.diagnostics {
                    for label in &diagnostic.labels {
                        let span = label.span;
                        assert!(span.start <= span.end && span.end <= source.len(), "{diagnostic:?} points outside");
                        assert!(source.is_char_boundary(span.start) && source.is_char_boundary(span.end));
                    }
                }
                errors
                    .diagnostics
                    .iter()
                    .filter(|diagnostic| diagnostic.is_error())
                    .map(|diagnostic| diagnostic.code)
                    .collect()
            }
        });
    match thread.map(std::thread::JoinHandle::join) {
        Ok(Ok(codes)) => codes,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(error) => panic!("cannot start a thread: {error}"),
    }
}

/// Asserts the codes of the errors `source` gets (empty: it compiles and its Rust parses).
fn check(source: &str, expected: &[&str]) {
    let shown: String = source.chars().take(120).collect();
    assert_eq!(diagnose(source), expected, "{shown:?}");
}

/// A schema whose one field has type `ty`.
fn field_of_type(ty: &str) -> String {
    format!("type A {{ a: {ty} }}\n")
}

#[test]
fn deep_nesting_is_one_diagnostic() {
    let deep = 100_000;
    check(&field_of_type(&format!("u32{}", "?".repeat(20_000))), &["factum::too-deep"]);
    check(&field_of_type(&format!("{}u32{}", "[".repeat(deep), "]".repeat(deep))), &["factum::too-deep"]);
    check(&field_of_type(&"[".repeat(deep)), &["factum::too-deep"]);
    check(&field_of_type(&format!("{}u32{}", "Map<String, ".repeat(deep), ">".repeat(deep))), &["factum::too-deep"]);
    check(&field_of_type(&"Map<".repeat(deep)), &["factum::too-deep"]);
    check(&field_of_type(&format!("{}u32", "[Map<u32?, ".repeat(deep))), &["factum::too-deep"]);
    // In an aggregate's id, its state and a command.
    let nested = format!("{}u32{}", "[".repeat(deep), "]".repeat(deep));
    check(&format!("aggregate G {{ id: {nested} }}"), &["factum::too-deep"]);
    check(&format!("aggregate G {{ id: Uuid state {{ s: {nested} }} }}"), &["factum::too-deep"]);
}

#[test]
fn nesting_cannot_hide_behind_comments_strings_or_line_endings() {
    let deep = 10_000;
    let nested = format!("{}u32{}", "[".repeat(deep), "]".repeat(deep));
    // A comment ends at a bare `\r`, as the grammar reads it.
    check(&format!("type A {{ // comment\r a: {nested} }}"), &["factum::too-deep"]);
    check(&format!("type A {{ /// doc\r a: {nested} }}"), &["factum::too-deep"]);
    // `//` inside a string is not a comment.
    let upcast = "event E v1 {}\nevent E v2 { s: String }\n";
    check(&format!("{upcast}upcast E v1 -> v2 {{ s = \"//\" }} type A {{ a: {nested} }}"), &["factum::too-deep"]);
    check(&format!("{upcast}upcast E v1 -> v2 {{ s = \"\\\"//\" }} type A {{ a: {nested} }}"), &["factum::too-deep"]);
    // What the grammar does not take as a line break or a comment does not end or start one.
    for separator in ["\u{2028}", "\u{2029}", "\u{85}", "\u{b}", "\u{c}"] {
        let codes = diagnose(&format!("type A {{ // comment{separator} a: {nested} }}"));
        assert!(!codes.contains(&"factum::too-deep"), "{separator:?}: the rest of the line is a comment");
        check(&format!("type A {{ a: u32{separator} b: {nested} }}"), &["factum::syntax"]);
    }
    check(&format!("type A {{ a: /* {nested} */ u32 }}"), &["factum::syntax"]);
    check(&format!("type A {{ a: {nested} // ]]]] \n }}"), &["factum::too-deep"]);
}

#[test]
fn the_deepest_types_the_limit_allows_compile_in_a_small_stack() {
    // Find the limit from the diagnostic, then build every kind of type at exactly that depth, everywhere a type
    // may stand, and generate code for it.
    let limit = (1..=1000)
        .find(|levels| diagnose(&field_of_type(&format!("u32{}", "?".repeat(levels + 1)))) == ["factum::too-deep"])
        .unwrap_or_default();
    assert!(limit >= 8, "real schemas nest a few levels; the limit is {limit}");
    let lists = format!("{}u64{}", "[".repeat(limit), "]".repeat(limit));
    let maps = format!("{}u64{}", "Map<String, ".repeat(limit), ">".repeat(limit));
    // `[Map<u32, T?>]` is three levels.
    let mixed = format!("{}u64{}", "[Map<u32, ".repeat(limit / 3), "?>]".repeat(limit / 3));
    let optional_lists = format!("{}u64{}?", "[".repeat(limit - 1), "]".repeat(limit - 1));
    let source = format!(
        "type A {{ lists: {lists}, maps: {maps}, mixed: {mixed} }}\n\
         event E v1 {{ lists: {lists}, maps: {maps}, mixed: {mixed} }}\n\
         event E v2 {{ lists: {lists}, maps: {maps}, mixed: {mixed}, more: {optional_lists} }}\n\
         upcast E v1 -> v2 {{ more = none }}\n\
         aggregate G {{ id: Uuid\n state {{ lists: {lists}, maps: {maps} }}\n\
         command C {{ lists: {lists}, maps: {maps}, mixed: {mixed} }} emits E }}\n\
         projection P {{ on E }}\n"
    );
    check(&source, &[]);
}

#[test]
fn long_names_and_many_declarations_complete() {
    let long = format!("A{}", "a".repeat(1 << 16));
    check(&format!("type {long} {{ a: u32 }}\ntype B {{ b: {long} }}\n"), &[]);
    check(&format!("type {long} {{ a: u32 }}\ntype B {{ b: {long}b }}\n"), &["factum::unknown-type"]);
    check(&format!("type B {{ {} : u32 }}\n", "b".repeat(1 << 16)), &[]);
    check(&format!("enum B {{ {long} }}\n"), &[]);
    check(&format!("type B {{ b: u32 }} /// {long}\n"), &["factum::syntax"]);

    // Many small declarations, valid and then each broken (every error is reported, and recovering from each
    // reads only its own declaration). The `compile` benchmark measures how time grows with the count.
    let count = 500;
    let mut valid = String::new();
    for index in 0..count {
        valid.push_str(&format!("/// Type {index}.\ntype T{index} {{ a: u32, b: [String], c: Map<String, u64>? }}\n"));
    }
    check(&valid, &[]);
    let broken = valid.replace("b: [String]", "b: [String");
    assert_eq!(diagnose(&broken).len(), count);
}

#[test]
fn control_characters_and_nul_bytes_are_diagnostics() {
    check("type A\0 { a: u32 }", &["factum::syntax"]);
    check("type A { a: u32 } // \0 comment\n", &[]);
    check("/// \0 doc\ntype A { a: u32 }\n", &[]);
    check("\0", &["factum::syntax"]);
    check("type A { a: u32\u{7f} }", &["factum::syntax"]);
    let upcast = "event E v1 {}\nevent E v2 { s: String }\nupcast E v1 -> v2 ";
    check(&format!("{upcast}{{ s = \"nul \0 inside\" }}"), &[]);
    check(&format!("{upcast}{{ s = \"\\u{{0}}\" }}"), &[]);
}

#[test]
fn extreme_numbers_are_diagnostics() {
    let huge = "9".repeat(10_000);
    check(&format!("event E v{huge} {{}}"), &["factum::invalid-version"]);
    check("event E v99999999999999999999 {}", &["factum::invalid-version"]);
    check("event E v1 {}\nevent E v2 {}\nupcast E v1 -> v99999999999999999999 {}", &["factum::invalid-version"]);
    let upcast = |ty: &str, value: &str| {
        format!("event E v1 {{}}\nevent E v2 {{ a: {ty} }}\nupcast E v1 -> v2 {{ a = {value} }}\n")
    };
    check(&upcast("u64", &huge), &["factum::invalid-literal"]);
    check(&upcast("i64", &format!("-{huge}")), &["factum::invalid-literal"]);
    check(&upcast("u64", "170141183460469231731687303715884105727"), &["factum::invalid-default"]);
    check(&upcast("u32", "4294967296"), &["factum::invalid-default"]);
    check(&upcast("u64", "18446744073709551615"), &[]);
    check(&upcast("i64", "-9223372036854775808"), &[]);
    check(&upcast("f64", "1e999"), &["factum::invalid-literal"]);
    check(&upcast("f64", &format!("1.{huge}e{huge}")), &["factum::invalid-literal"]);
    check(&upcast("f64", "1e-999"), &[]);
    check(&upcast("f64", "-0.0"), &[]);
    // Not numbers in this language.
    check(&upcast("f64", "NaN"), &["factum::invalid-default"]);
    check(&upcast("f64", "inf"), &["factum::syntax"]);
    check(&upcast("f64", "-inf"), &["factum::syntax"]);
}

#[test]
fn a_file_that_is_not_utf8_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let path = dir.path().join("latin1.factum");
    std::fs::write(&path, b"type Caf\xe9 { a: u32 }").unwrap_or_else(|error| panic!("{error}"));
    let message = read_schema(&path).map(|_| ()).map_err(|error| error.to_string());
    let message = message.err().unwrap_or_default();
    assert!(message.contains("latin1.factum") && message.contains("UTF-8"), "{message}");
}
