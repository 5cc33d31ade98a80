//! Schemas of realistic and hostile sizes compile, and every pass over them stays linear enough to do so quickly: a
//! domain of 1,000 events and 50 aggregates, and a chain of 2,000 record types (which a cubic recursive-type check
//! took minutes over). The schemas come from the benchmarks' generators, which time the same schemas.

// The generators are public in the benchmarks' library; here they are used by this test alone, which leaves the
// generators of the derive route (for the benchmarks of `#[factum::domain]`) unused.
#[allow(unreachable_pub, dead_code)]
#[path = "../../benches/src/schemas.rs"]
mod schemas;

/// Compiles `source` and generates its code, asserting that it has no diagnostic at all.
fn check(name: &str, source: &str) {
    match factum_codegen::compile_source(name, source) {
        Ok((schema, warnings)) => {
            assert_eq!(warnings, Vec::new(), "`{name}` has warnings");
            assert!(!factum_codegen::generate(&schema, &factum_codegen::Options::default()).is_empty());
        }
        Err(errors) => panic!("`{name}` does not compile:\n{}", errors.to_plain_string()),
    }
}

#[test]
fn a_domain_of_a_thousand_events_compiles() {
    check("domain.factum", &schemas::domain(1_000, 50));
}

#[test]
fn a_long_chain_of_types_compiles() {
    check("chain.factum", &schemas::type_chain(2_000));
}

#[test]
fn a_long_cycle_of_types_is_one_recursive_type_error() {
    // Close the chain into a cycle: the last link holds the first.
    let source = schemas::type_chain(2_000).replace("type Link1999 { label: String }", "type Link1999 { next: Link0 }");
    let errors = factum_codegen::compile_source("cycle.factum", &source).err().map(|errors| errors.diagnostics);
    let codes: Vec<&str> = errors.iter().flatten().map(|diagnostic| diagnostic.code).collect();
    assert_eq!(codes, ["factum::recursive-type"]);
}
