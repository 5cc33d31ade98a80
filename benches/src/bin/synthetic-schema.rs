//! Prints a synthetic schema, for timing the compiler by hand:
//! `cargo run -p factum-benches --bin synthetic-schema -- domain 1000 50 > big.factum`, then
//! `factum check big.factum`. `chain N` prints a chain of `N` record types instead; `derive EVENTS AGGREGATES` the
//! same domain declared in Rust (a `#[factum::domain]` module), and `rules EVENTS AGGREGATES` the evolve impls a
//! crate compiling it needs (`benches/compile_time.sh` builds both routes).

use std::process::ExitCode;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize| arguments.get(at).and_then(|text| text.parse::<usize>().ok());
    let schema = match (arguments.first().map(String::as_str), number(1), number(2)) {
        (Some("domain"), Some(events), Some(aggregates)) => factum_benches::schemas::domain(events, aggregates),
        (Some("chain"), Some(length), None) => factum_benches::schemas::type_chain(length),
        (Some("derive"), Some(events), Some(aggregates)) => factum_benches::schemas::derive_domain(events, aggregates),
        (Some("rules"), Some(events), Some(aggregates)) => factum_benches::schemas::domain_rules(events, aggregates),
        _ => {
            eprintln!("usage: synthetic-schema domain|derive|rules EVENTS AGGREGATES | synthetic-schema chain LENGTH");
            return ExitCode::from(2);
        }
    };
    print!("{schema}");
    ExitCode::SUCCESS
}
