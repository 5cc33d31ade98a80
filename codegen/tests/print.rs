//! `print` writes a model back as `.factum` text: over every schema of the repository, the text checks to the same
//! lock and the same generated code, and printing what it parses to gives the same text again.

use std::path::Path;

use factum_codegen::{evolution, generate, parse, print::print, Options};

/// Prints `file`'s model and holds the text to the original: same lock, same generated code, a fixed point.
fn check(file: &Path) {
    let name = file.display().to_string();
    let source = std::fs::read_to_string(file).unwrap();
    let (original, _) = factum_codegen::compile_source(&name, &source).unwrap_or_else(|errors| {
        panic!("{}", errors.to_plain_string());
    });
    let printed = print(&parse(&source).unwrap());
    let (reread, _) = factum_codegen::compile_source(&name, &printed).unwrap_or_else(|errors| {
        panic!("the print of {name} does not check:\n{}\n{printed}", errors.to_plain_string())
    });
    assert_eq!(evolution::lock_text(&reread), evolution::lock_text(&original), "{name}");
    let code = |schema| generate(schema, &Options::default()).to_string();
    assert_eq!(code(&reread), code(&original), "{name}");
    assert_eq!(print(&parse(&printed).unwrap()), printed, "{name}: printing is a fixed point");
}

#[test]
fn every_schema_prints_to_text_that_checks_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = 0;
    for folder in ["schemas", "tests/schemas", "tests/schemas/generated"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|extension| extension == "factum") {
                check(&path);
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} schemas found");
}

#[test]
fn literals_print_as_the_parser_reads_them() {
    let source = "event E v1 { a: String }\nevent E v2 { a: String, b: String, c: f64, d: i64, e: [u32], f: \
                  Map<String, u32>, g: u32? }\nupcast E v1 -> v2 { b = \"quote \\\" back \\\\ line \\n tab \\t \
                  é\", c = 1.0, d = -7, e = [], f = {}, g = none }\n";
    let printed = print(&parse(source).unwrap());
    assert_eq!(print(&parse(&printed).unwrap()), printed);
    assert!(printed.contains(r#"b = "quote \" back \\ line \n tab \t é""#), "{printed}");
    assert!(printed.contains("c = 1.0") && printed.contains("d = -7") && printed.contains("g = none"), "{printed}");
}
