//! Random valid schemas compile, and the Rust generated for them parses.
//!
//! A renderer builds a schema from a tape of random numbers, one choice per number: enums, record types, events with
//! several versions joined by declarative upcasts (renames, drops, defaults of every literal kind) or `custom` ones,
//! aliases, aggregates whose commands use every `emits` form, and projections, with docs and separators of every
//! kind. Everything it writes is meant to pass the checks, so a failure is either a renderer bug or a compiler bug;
//! proptest prints the schema. No snapshots here.

use factum_codegen::{compile_source, generate_source, Diagnostic, Options};
use proptest::prelude::*;

/// The choices a schema is rendered from.
struct Tape {
    numbers: Vec<u32>,
    next: usize,
}

impl Tape {
    /// A number below `bound` (at least 1), taken from the tape (zero once it is used up).
    fn below(&mut self, bound: usize) -> usize {
        let number = self.numbers.get(self.next).copied().unwrap_or_default();
        self.next += 1;
        number as usize % bound.max(1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A field type, as the schema writes it, and whether a literal can stand for a value of it.
#[derive(Clone)]
struct Ty {
    text: String,
    literal: Option<Literal>,
    /// Whether it is an option already (`T??` is not a type).
    optional: bool,
}

/// Which literals are values of a type.
#[derive(Clone)]
enum Literal {
    String,
    Bool,
    Integer(i128, i128),
    Float,
    None,
    EmptyList,
    EmptyMap,
    Variant(Vec<String>),
}

/// What has been declared so far, for later declarations to use.
#[derive(Default)]
struct Declared {
    enums: Vec<(String, Vec<String>)>,
    records: Vec<String>,
    /// Each event's name and its latest fields.
    events: Vec<String>,
    fields: usize,
}

const BUILTINS: &[(&str, Option<(i128, i128)>)] = &[
    ("bool", None),
    ("i32", Some((i32::MIN as i128, i32::MAX as i128))),
    ("i64", Some((i64::MIN as i128, i64::MAX as i128))),
    ("u32", Some((0, u32::MAX as i128))),
    ("u64", Some((0, u64::MAX as i128))),
    ("f64", None),
    ("String", None),
    ("Bytes", None),
    ("Uuid", None),
    ("Timestamp", None),
    ("Date", None),
];

const MAP_KEYS: &[&str] = &["String", "i32", "i64", "u32", "u64", "Uuid", "Date"];

/// Text for docs and strings: quotes, backslashes, comment markers, non-ASCII.
const TEXT: &[&str] = &["a", "Z", " ", "\"", "\\", "*/", "/*", "//", "#", "{", "}", "é", "😀", "'", "\t", "r#", "`"];

fn random_text(tape: &mut Tape) -> String {
    (0..tape.below(8)).map(|_| *tape.pick(TEXT)).collect()
}

fn docs(tape: &mut Tape, indent: &str) -> String {
    (0..tape.below(3)).map(|_| format!("{indent}/// {}\n", random_text(tape).replace('\t', " "))).collect()
}

fn ty(tape: &mut Tape, declared: &Declared, depth: usize) -> Ty {
    let kinds = if depth >= 3 { 3 } else { 6 };
    let base = match tape.below(kinds) {
        0 | 1 => {
            let (name, range) = *tape.pick(BUILTINS);
            let literal = match (name, range) {
                ("bool", _) => Some(Literal::Bool),
                ("f64", _) => Some(Literal::Float),
                ("String", _) => Some(Literal::String),
                (_, Some((low, high))) => Some(Literal::Integer(low, high)),
                _ => None,
            };
            Ty { text: name.to_owned(), literal, optional: false }
        }
        2 if !declared.enums.is_empty() => {
            let (name, variants) = tape.pick(&declared.enums).clone();
            Ty { text: name, literal: Some(Literal::Variant(variants)), optional: false }
        }
        2 if !declared.records.is_empty() => {
            Ty { text: tape.pick(&declared.records).clone(), literal: None, optional: false }
        }
        2 => Ty { text: "String".to_owned(), literal: Some(Literal::String), optional: false },
        3 => {
            let inner = ty(tape, declared, depth + 1);
            Ty { text: format!("[{}]", inner.text), literal: Some(Literal::EmptyList), optional: false }
        }
        4 => {
            let key = if !declared.enums.is_empty() && tape.chance(20) {
                tape.pick(&declared.enums).0.clone()
            } else {
                (*tape.pick(MAP_KEYS)).to_owned()
            };
            let value = ty(tape, declared, depth + 1);
            Ty { text: format!("Map<{key}, {}>", value.text), literal: Some(Literal::EmptyMap), optional: false }
        }
        _ => ty(tape, declared, depth + 1),
    };
    if !base.optional && tape.chance(25) {
        return Ty { text: format!("{}?", base.text), literal: Some(Literal::None), optional: true };
    }
    base
}

/// A type some literal is a value of, for a field added with a default.
fn defaultable_ty(tape: &mut Tape, declared: &Declared) -> Ty {
    loop {
        let candidate = ty(tape, declared, 0);
        if candidate.literal.is_some() {
            return candidate;
        }
        if tape.next > tape.numbers.len() {
            return Ty { text: "String?".to_owned(), literal: Some(Literal::None), optional: true };
        }
    }
}

fn literal(tape: &mut Tape, literal: &Literal) -> String {
    match literal {
        Literal::String => {
            let text: String = random_text(tape)
                .chars()
                .map(|c| match c {
                    '"' => "\\\"".to_owned(),
                    '\\' => "\\\\".to_owned(),
                    '\t' => "\\t".to_owned(),
                    'é' => "\\u{e9}".to_owned(),
                    other => other.to_string(),
                })
                .collect();
            format!("\"{text}\"")
        }
        Literal::Bool => tape.pick(&["true", "false"]).to_string(),
        Literal::Integer(low, high) => tape.pick(&[*low, *high, 0, 7]).to_string(),
        Literal::Float => tape.pick(&["0.0", "-1.5", "2.5e3", "1E-3", "42", "-0.0", "1e-400"]).to_string(),
        Literal::None => "none".to_owned(),
        Literal::EmptyList => "[]".to_owned(),
        Literal::EmptyMap => "{}".to_owned(),
        Literal::Variant(variants) => tape.pick(variants).clone(),
    }
}

fn separator(tape: &mut Tape) -> &'static str {
    const SEPARATORS: [&str; 3] = [", ", "\n    ", ",\n    "];
    SEPARATORS[tape.below(SEPARATORS.len())]
}

fn field_list(fields: &[(String, Ty)], tape: &mut Tape) -> String {
    let mut text = String::new();
    for (index, (name, ty)) in fields.iter().enumerate() {
        if index > 0 {
            text.push_str(separator(tape));
        }
        text.push_str(&format!("{name}: {}", ty.text));
    }
    text
}

fn new_field(declared: &mut Declared) -> String {
    declared.fields += 1;
    format!("f{}", declared.fields)
}

/// Which declarations a schema may hold.
#[derive(Clone, Copy)]
struct Forms {
    /// Aggregates, projections and `custom` upcasts: what the user completes with trait impls.
    user_code: bool,
}

/// A schema rendered from `numbers`.
fn render(numbers: Vec<u32>, forms: Forms) -> String {
    let mut tape = Tape { numbers, next: 0 };
    let mut declared = Declared::default();
    let mut schema = String::new();

    for index in 0..1 + tape.below(3) {
        let name = format!("Kind{index}");
        let variants: Vec<String> = (0..1 + tape.below(4)).map(|variant| format!("V{variant}")).collect();
        schema.push_str(&docs(&mut tape, ""));
        schema.push_str(&format!("enum {name} {{ {} }}\n", variants.join(separator(&mut tape))));
        declared.enums.push((name, variants));
    }

    for index in 0..tape.below(4) {
        let fields: Vec<(String, Ty)> =
            (0..tape.below(4)).map(|_| (new_field(&mut declared), ty(&mut tape, &declared, 0))).collect();
        schema.push_str(&docs(&mut tape, ""));
        schema.push_str(&format!("type Rec{index} {{ {} }}\n", field_list(&fields, &mut tape)));
        declared.records.push(format!("Rec{index}"));
    }

    for index in 0..1 + tape.below(4) {
        let name = format!("Happened{index}");
        let mut fields: Vec<(String, Ty)> =
            (0..tape.below(4)).map(|_| (new_field(&mut declared), ty(&mut tape, &declared, 0))).collect();
        schema.push_str(&docs(&mut tape, ""));
        schema.push_str(&format!("event {name} v1 {{ {} }}\n", field_list(&fields, &mut tape)));
        for version in 2..2 + tape.below(3) {
            let mut steps = Vec::new();
            // Steps name the older version's fields: drop one, then rename another.
            if !fields.is_empty() && tape.chance(30) {
                let (dropped, _) = fields.remove(tape.below(fields.len()));
                steps.push(format!("drop {dropped}"));
            }
            if !fields.is_empty() && tape.chance(40) {
                let at = tape.below(fields.len());
                let renamed = new_field(&mut declared);
                steps.push(format!("rename {} -> {renamed}", fields[at].0));
                fields[at].0 = renamed;
            }
            for _ in 0..tape.below(3) {
                let added = (new_field(&mut declared), defaultable_ty(&mut tape, &declared));
                let value = literal(&mut tape, added.1.literal.as_ref().unwrap_or(&Literal::None));
                steps.push(format!("{} = {value}", added.0));
                fields.push(added);
            }
            // A custom step may change anything; here it adds a field no literal stands for.
            let custom = tape.chance(20) && forms.user_code;
            if custom {
                steps.clear();
                fields.push((new_field(&mut declared), Ty { text: "Uuid".to_owned(), literal: None, optional: false }));
            }
            schema.push_str(&format!("event {name} v{version} {{ {} }}\n", field_list(&fields, &mut tape)));
            schema.push_str(&docs(&mut tape, ""));
            let body = if custom {
                "custom".to_owned()
            } else {
                let steps = steps.join(separator(&mut tape));
                format!("{{ {steps} }}")
            };
            schema.push_str(&format!("upcast {name} v{} -> v{version} {body}\n", version - 1));
        }
        if tape.chance(20) {
            schema.push_str(&format!("alias Legacy{index} -> {name}\n"));
        }
        declared.events.push(name);
    }

    let (aggregates, projections) = if forms.user_code { (tape.below(3), tape.below(3)) } else { (0, 0) };
    for aggregate in 0..aggregates {
        let id = tape.pick(&["Uuid", "String", "u64", "i32"]);
        let mut members = vec![format!("id: {id}")];
        if tape.chance(70) {
            // State fields need a default: no bare enum or record.
            let fields: Vec<(String, Ty)> = (0..tape.below(4))
                .map(|_| {
                    let mut field_ty = ty(&mut tape, &declared, 0);
                    if !(field_ty.text.ends_with(['?', ']', '>']) || BUILTINS.iter().any(|(b, _)| *b == field_ty.text))
                    {
                        field_ty = Ty { text: format!("{}?", field_ty.text), literal: None, optional: true };
                    }
                    (new_field(&mut declared), field_ty)
                })
                .collect();
            members.push(format!("state {{ {} }}", field_list(&fields, &mut tape)));
        }
        for command in 0..1 + tape.below(3) {
            let fields: Vec<(String, Ty)> =
                (0..tape.below(3)).map(|_| (new_field(&mut declared), ty(&mut tape, &declared, 0))).collect();
            let mut events = declared.events.clone();
            let mut take = |tape: &mut Tape| events.remove(tape.below(events.len()));
            let first = take(&mut tape);
            let emits = match (tape.below(5), declared.events.len()) {
                (1, _) => format!("{first}?"),
                (2, 2..) => format!("{first} | {}", take(&mut tape)),
                (3, 2..) => format!("{first}, {}", take(&mut tape)),
                (4, 3..) => format!("{first} | {}, {}?", take(&mut tape), take(&mut tape)),
                _ => first,
            };
            let docs = docs(&mut tape, "    ");
            members.push(format!(
                "{docs}command Cmd{aggregate}x{command} {{ {} }} emits {emits}",
                field_list(&fields, &mut tape)
            ));
        }
        schema.push_str(&docs(&mut tape, ""));
        schema.push_str(&format!("aggregate Agg{aggregate} {{\n    {}\n}}\n", members.join("\n    ")));
    }

    for projection in 0..projections {
        let mut events = declared.events.clone();
        let count = 1 + tape.below(events.len());
        let on: Vec<String> = (0..count).map(|_| events.remove(tape.below(events.len()))).collect();
        schema.push_str(&format!("projection View{projection} {{ on {} }}\n", on.join(", ")));
    }
    if !forms.user_code && !declared.events.is_empty() {
        // A projection on every event, which needs no user code to compile, keeps the samples free of
        // `unused-event` warnings, which a build script shows on every build.
        schema.push_str(&format!("projection Everything {{ on {} }}\n", declared.events.join(", ")));
    }
    schema
}

fn schema() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u32>(), 50..400).prop_map(|numbers| render(numbers, Forms { user_code: true }))
}

/// Asserts that `source` compiles without errors and that the generated Rust parses as a file.
fn assert_compiles(source: &str) {
    if let Err(errors) = compile_source("random", source) {
        let errors: Vec<&Diagnostic> = errors.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).collect();
        panic!("the checks reject a valid schema:\n{source}\n{errors:#?}");
    }
    let code = generate_source("random", source, &Options::default())
        .unwrap_or_else(|errors| panic!("{}", errors.to_plain_string()));
    if let Err(error) = syn::parse_file(&code) {
        panic!("the generated Rust does not parse: {error}\n{source}\n{code}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn valid_schemas_compile_to_rust_that_parses(source in schema()) {
        assert_compiles(&source);
    }
}

/// How many samples `tests/schemas/generated/` holds.
const SAMPLES: u64 = 4;

/// The sample schemas `tests/build.rs` compiles against the runtime, so that code generated for random schemas is
/// not only parsed but built. They leave out what needs user code (aggregates, projections with handlers, `custom`
/// upcasts, whose generated code `tests/schemas/every_form.factum` covers), and are rendered from fixed seeds: this test fails when
/// a file differs from what the renderer makes now. To update: `UPDATE_SAMPLES=1 cargo test -p factum-codegen --test
/// valid_schemas`, then review the diff.
#[test]
fn generated_samples_are_up_to_date() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/schemas/generated");
    for seed in 0..SAMPLES {
        // A fixed-seed xorshift: the samples must not change with proptest's choices.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ (seed + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
        let numbers = (0..400)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u32
            })
            .collect();
        let source = render(numbers, Forms { user_code: false });
        assert_compiles(&source);
        let path = folder.join(format!("sample_{seed}.factum"));
        let header = "// @generated by `codegen/tests/valid_schemas.rs` from a fixed seed. Do not edit.\n";
        let expected = format!("{header}{source}");
        if std::env::var_os("UPDATE_SAMPLES").is_some() {
            std::fs::create_dir_all(&folder).unwrap_or_else(|error| panic!("{error}"));
            std::fs::write(&path, &expected).unwrap_or_else(|error| panic!("{error}"));
        }
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(found == expected, "{} is stale: run with UPDATE_SAMPLES=1 and review the diff", path.display());
    }
}

/// Blank doc lines alone are no docs: the item gets the generated doc instead of an empty one (which clippy's
/// `empty_docs` rejects in the user's crate). Found by the samples above.
#[test]
fn blank_docs_are_no_docs() {
    let check = |source: &str| {
        let code = generate_source("blank", source, &Options::default())
            .unwrap_or_else(|errors| panic!("{}", errors.to_plain_string()));
        let empty = code.lines().find(|line| line.trim() == "///");
        assert_eq!(empty, None, "{source:?} generates an empty doc:\n{code}");
    };
    check("/// \ntype A { a: u32 }\n");
    check("///\n///\nenum B { X }\n");
    check("type C {\n  ///\n  c: u32\n}\n");
}
