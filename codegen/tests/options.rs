//! The emitter's options: the generated code in two halves, and extra attributes on generated types and fields.
//!
//! To update the snapshots after an intended change: `INSTA_UPDATE=always cargo test -p factum-codegen --test
//! options`, then review the diff of `tests/snapshots/` in git before committing.

use std::path::Path;

use factum_codegen::{AttributeError, Items, Options};

/// Compiles `source` and generates `items` of it with `options`.
fn generate(name: &str, source: &str, options: &Options, items: Items) -> proc_macro2::TokenStream {
    let (schema, _warnings) = factum_codegen::compile_source(name, source)
        .unwrap_or_else(|errors| panic!("{name} does not compile:\n{}", errors.to_plain_string()));
    let mut options = options.clone();
    options.items = items;
    factum_codegen::generate(&schema, &options)
}

/// What kind of item each item of `tokens` is, with its name: `struct Foo`, `impl`, `trait FooDecide`, ...
fn item_kinds(tokens: proc_macro2::TokenStream) -> Vec<String> {
    let file: syn::File = syn::parse2(tokens).expect("generated code parses");
    file.items
        .iter()
        .map(|item| match item {
            syn::Item::Struct(item) => format!("struct {}", item.ident),
            syn::Item::Enum(item) => format!("enum {}", item.ident),
            syn::Item::Type(item) => format!("type {}", item.ident),
            syn::Item::Trait(item) => format!("trait {}", item.ident),
            syn::Item::Impl(_) => "impl".to_owned(),
            // The runtime's macros that write impls: an event's `Event` and `Versioned`, an event set's `EventSet`,
            // and a sum enum's `From`s.
            syn::Item::Macro(item)
                if ["event", "event_set", "from_variants"]
                    .iter()
                    .any(|name| item.mac.path.segments.last().is_some_and(|last| last.ident == name)) =>
            {
                "impl".to_owned()
            }
            other => panic!("unexpected item {}", quote::quote!(#other)),
        })
        .collect()
}

/// Checks that the types half and the impls half of `source`, one after the other, are the full output; that the
/// types half holds type definitions alone; and that the impls half defines no type but projection runners.
fn check_halves(name: &str, source: &str) {
    let options = Options::default();
    let all = generate(name, source, &options, Items::All);
    let types = generate(name, source, &options, Items::Types);
    let impls = generate(name, source, &options, Items::Impls);
    let mut joined = types.clone();
    joined.extend(impls.clone());
    assert_eq!(joined.to_string(), all.to_string(), "{name}: types then impls differ from the full output");

    let (schema, _) = factum_codegen::compile_source(name, source).unwrap();
    let runners: Vec<String> =
        schema.projections.iter().map(|projection| format!("struct {}", projection.rust.runner.as_str())).collect();
    for kind in item_kinds(types) {
        let is_type = kind.starts_with("struct ") || kind.starts_with("enum ") || kind.starts_with("type ");
        assert!(is_type, "{name}: the types half holds `{kind}`");
    }
    for kind in item_kinds(impls) {
        let is_impl = kind == "impl" || kind.starts_with("trait ") || runners.contains(&kind);
        assert!(is_impl, "{name}: the impls half holds `{kind}`");
    }
}

#[test]
fn the_halves_of_every_schema_make_up_the_whole() {
    let mut seen = 0;
    for folder in ["../schemas", "../tests/schemas"] {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "factum") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                check_halves(&name, &std::fs::read_to_string(&path).unwrap());
                seen += 1;
            }
        }
    }
    assert!(seen >= 5, "only {seen} schemas found");
}

/// A schema with one of every type that takes attributes.
const SHAPES: &str = "enum Size { Small, Large }\n\
                      type Parcel { size: Size, weight: u32 }\n\
                      event Posted v1 { to: String }\n\
                      upcast Posted v1 -> v2 { parcel = none }\n\
                      event Posted v2 { to: String, parcel: Parcel? }\n\
                      event Lost v1 {}\n\
                      aggregate Counter {\n id: String\n state { count: u32 }\n\
                      command Post { to: String } emits Posted | Lost\n}\n\
                      projection Mail { on Posted }\n";

/// Generates `SHAPES` with the attributes `configure` adds, formatted.
fn with_attributes(configure: impl FnOnce(&mut Options) -> Result<(), AttributeError>) -> String {
    let mut options = Options::default();
    configure(&mut options).unwrap();
    factum_codegen::format(generate("shapes.factum", SHAPES, &options, Items::Types), "shapes.factum")
}

#[test]
fn type_and_field_attributes_land_on_the_types_they_select() {
    let code = with_attributes(|options| {
        options
            .type_attribute("Parcel", "#[derive(Eq, Hash)]")?
            .type_attribute("Posted", "#[derive(Eq)]")?
            .type_attribute("PostedV1", "#[doc(alias = \"first\")] #[non_exhaustive]")?
            .type_attribute("CounterCommand", "#[non_exhaustive]")?
            .type_attribute("PostOutcome", "#[must_use]")?
            .field_attribute("Parcel.weight", "#[serde(default)]")?
            .field_attribute("Posted.to", "#[serde(alias = \"recipient\")]")?
            .field_attribute("CounterState.count", "#[serde(rename = \"n\")]")?
            .field_attribute("Post.to", "#[doc(alias = \"address\")]")?;
        Ok(())
    });
    insta::assert_snapshot!(code);
}

#[test]
fn the_every_type_selector_reaches_each_type_of_the_types_half() {
    let code = with_attributes(|options| options.type_attribute(".", "#[cfg_attr(test, derive(Default))]").map(drop));
    let marked = code.matches("#[cfg_attr(test, derive(Default))]").count();
    // Size, Parcel, PostedV1, PostedV2, LostV1, Counter, CounterState, Post, CounterCommand, PostOutcome,
    // CounterEvent, MailEvent.
    assert_eq!(marked, 12, "{code}");
}

/// Configures one type (`field` false) or field attribute and compares the error, if any.
fn check_configuration(field: bool, selector: &str, attributes: &str, expected: Result<(), &str>) {
    let mut options = Options::default();
    let result = if field {
        options.field_attribute(selector, attributes).map(drop)
    } else {
        options.type_attribute(selector, attributes).map(drop)
    };
    assert_eq!(result.map_err(|error| error.to_string()), expected.map_err(str::to_owned), "{selector}: {attributes}");
}

#[test]
fn malformed_attributes_and_selectors_are_refused_when_configured() {
    check_configuration(false, "Parcel", "#[derive(Hash)] #[must_use]", Ok(()));
    check_configuration(
        false,
        "Parcel",
        "#[derive(Hash)",
        Err(
            "`#[derive(Hash)` is not an outer attribute such as `#[derive(Hash)]`: its brackets do not balance, or it \
             holds a character Rust has no token for",
        ),
    );
    check_configuration(
        false,
        "Parcel",
        "derive(Hash)",
        Err("`derive(Hash)` is not an outer attribute such as `#[derive(Hash)]`: unexpected token"),
    );
    check_configuration(
        false,
        "Parcel",
        "",
        Err("`` is not an outer attribute such as `#[derive(Hash)]`: no attribute was given"),
    );
    check_configuration(
        false,
        "Parcel",
        "#![allow(dead_code)]",
        Err("`#![allow(dead_code)]` is not an outer attribute such as `#[derive(Hash)]`: expected square brackets"),
    );
    check_configuration(
        false,
        "Parcel.weight",
        "#[derive(Hash)]",
        Err("`Parcel.weight` is not a selector of a type (a type's name, e.g. `OrderCreated`, or `.` for every type)"),
    );
    check_configuration(
        true,
        "weight",
        "#[serde(default)]",
        Err("`weight` is not a selector of a field (`Type.field`, e.g. `OrderCreated.customer`)"),
    );
    check_configuration(
        true,
        "Parcel.",
        "#[serde(default)]",
        Err("`Parcel.` is not a selector of a field (`Type.field`, e.g. `OrderCreated.customer`)"),
    );
}

/// Configures the type and field attributes of `selectors` (a selector with a `.` inside is a field's) and compares
/// the selectors that match nothing in `SHAPES`.
fn check_unmatched(selectors: &[&str], expected: &[&str]) {
    let mut options = Options::default();
    for selector in selectors {
        if selector.len() > 1 && selector.contains('.') {
            options.field_attribute(selector, "#[serde(default)]").unwrap();
        } else {
            options.type_attribute(selector, "#[must_use]").unwrap();
        }
    }
    let (schema, _) = factum_codegen::compile_source("shapes.factum", SHAPES).unwrap();
    assert_eq!(options.unmatched_selectors([&schema]), expected, "{selectors:?}");
}

#[test]
fn selectors_that_match_nothing_are_reported() {
    check_unmatched(&[".", "Parcel", "Posted", "PostedV2", "MailEvent", "Parcel.weight", "PostedV2.parcel"], &[]);
    check_unmatched(
        &["Parcle", "Posted.weight", "PostedV1.parcel", "Mail", "MailHandler"],
        &["Parcle", "Mail", "MailHandler", "Posted.weight", "PostedV1.parcel"],
    );
    // Enums and sum enums have no fields to select.
    check_unmatched(&["Size.Small", "CounterCommand.Post"], &["Size.Small", "CounterCommand.Post"]);
}
