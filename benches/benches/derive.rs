//! How long `#[factum::domain]` takes to expand, against the least any attribute macro on the same module does:
//! parsing its tokens with syn. Both start from the same token stream, as rustc hands it over.
//!
//! - `derive/parse_orders`, `derive/expand_orders`: the order domain declared with derives (the tests crate's
//!   `tests/derive/orders.rs`: 2 aggregates, 6 commands, 9 events, a 3-version event).
//! - `derive/parse_domain200`, `derive/expand_domain200`: the synthetic domain of `schemas::derive_domain`, 200 events
//!   over 20 aggregates with 2 projections (the same domain `generate.rs` compiles from a schema).
//!
//! The expansion lowers the items, checks them, emits both halves, reassembles the module and exports its model and
//! lock; nothing is written to disk. The compile time of a crate using derives against the same domain through
//! build.rs is measured once by `benches/compile_time.sh`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use factum_benches::{
    report::{self, Comparison, Target},
    schemas,
};
use factum_codegen::derive::{expand_domain, DomainArgs};
use proc_macro2::TokenStream;

/// The order domain declared with derives.
const ORDERS: &str = include_str!("../../tests/tests/derive/orders.rs");

/// The tokens of the `mod` item in `source`, as the attribute macro receives them.
fn module_tokens(source: &str) -> TokenStream {
    let file: syn::File = syn::parse_str(source).expect("the domain parses");
    let module = file.items.into_iter().find_map(|item| match item {
        syn::Item::Mod(module) => Some(module),
        _ => None,
    });
    let mut module = module.expect("the source declares a module");
    // The attribute macro gets the module without its own attribute.
    module.attrs.retain(|attribute| !attribute.path().segments.iter().any(|segment| segment.ident == "domain"));
    quote::quote!(#module)
}

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();

    let domains = [("orders", module_tokens(ORDERS)), ("domain200", module_tokens(&schemas::derive_domain(200, 20)))];
    // Before timing anything: each domain expands without errors, and the synthetic one locks as its schema does.
    for (name, tokens) in &domains {
        let expanded = expand_domain(&DomainArgs::default(), syn::parse2(tokens.clone()).unwrap()).to_string();
        assert!(!expanded.contains("compile_error"), "{name} expands without errors");
    }
    let module: syn::ItemMod = syn::parse2(domains[1].1.clone()).unwrap();
    let (derived, _) = factum_codegen::derive::compile_domain("domain", &module.content.unwrap().1).unwrap();
    let (written, _) = factum_codegen::compile_source("domain", &schemas::domain(200, 20)).unwrap();
    assert_eq!(
        factum_codegen::evolution::lock_text(&derived),
        factum_codegen::evolution::lock_text(&written),
        "the derive domain declares what the schema does"
    );

    let mut group = criterion.benchmark_group("derive");
    for (name, tokens) in &domains {
        group.bench_function(format!("parse_{name}"), |bencher| {
            bencher.iter(|| syn::parse2::<syn::ItemMod>(black_box(tokens.clone())).is_ok())
        });
        group.bench_function(format!("expand_{name}"), |bencher| {
            bencher.iter(|| {
                let module = syn::parse2::<syn::ItemMod>(black_box(tokens.clone())).unwrap();
                expand_domain(&DomainArgs::default(), module).is_empty()
            })
        });
    }
    group.finish();

    criterion.final_summary();
    println!("\n{}", report::render("#[factum::domain] vs parsing its tokens", &output, started, &comparisons()));
}

/// The lines of the final table: each expansion against parsing the same module.
fn comparisons() -> Vec<Comparison> {
    let expansion = |label: &str, name: &str| Comparison {
        label: label.to_owned(),
        factum: format!("derive/expand_{name}"),
        raw: format!("derive/parse_{name}"),
        rows: 1,
        // A reported ratio: the expansion checks and generates what parsing only reads, so it is many times slower;
        // the absolute times (well under rustc's own work on the module) are what matter to users.
        target: Target::TimeAtMost(100.0),
    };
    vec![
        expansion("expand the order domain vs parse it", "orders"),
        expansion("expand a 200-event domain vs parse it", "domain200"),
    ]
}
