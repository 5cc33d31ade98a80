//! How the schema compiler scales: a schema of many small declarations, and four times as many, parsed and then
//! parsed and checked. Linear time gives a ratio of 4; the target leaves room for noise and allocation, not for a
//! quadratic step (which would give 16).
//!
//! - `parse/valid_n`, `parse/valid_4n`: `factum_codegen::parse` of `n` (then `4n`) valid declarations, about 2.5 MB
//!   (then 10 MB).
//! - `parse/broken_n`, `parse/broken_4n`: the same with every declaration broken, so that the parser reports each
//!   and resumes after it.
//! - `compile/valid_n`, `compile/valid_4n`: `factum_codegen::compile_source`, parsing and every check.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use factum_benches::report::{self, Comparison, Target};

/// Declarations in the smaller schema when timed (`cargo bench`).
const N: usize = 25_000;

/// Declarations in the smaller schema when each benchmark only runs once to check it (`cargo test --benches`, as CI
/// does): unoptimised, the timed size would take minutes to build and parse, and proves nothing more.
const N_CHECKED: usize = 250;

/// `count` small declarations: enums, records and event versions with upcasts, about 100 bytes each.
fn schema(count: usize) -> String {
    let mut source = String::new();
    for index in 0..count {
        let declaration = match index % 4 {
            0 => format!("/// Kind {index}.\nenum Kind{index} {{ Low, High }}\n"),
            1 => format!("type Rec{index} {{ a: u32, b: [String], c: Map<String, u64>? }}\n"),
            2 => format!("event Happened{index} v1 {{ a: u32 }}\n"),
            _ => format!(
                "event Happened{} v2 {{ a: u32, b: String }}\nupcast Happened{} v1 -> v2 {{ b = \"x\" }}\n",
                index - 1,
                index - 1
            ),
        };
        source.push_str(&declaration);
    }
    source
}

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let n = if report::timed() { N } else { N_CHECKED };
    let valid = [("n", schema(n)), ("4n", schema(4 * n))];
    let broken: Vec<(&str, String)> =
        valid.iter().map(|(size, source)| (*size, source.replace("b: [String]", "b: [String"))).collect();
    for (_, source) in &valid {
        assert!(factum_codegen::compile_source("bench", source).is_ok(), "the benchmark schema is valid");
    }

    let mut group = criterion.benchmark_group("parse");
    for (size, source) in &valid {
        group.bench_function(format!("valid_{size}"), |bencher| {
            bencher.iter(|| factum_codegen::parse(black_box(source)).is_ok())
        });
    }
    for (size, source) in &broken {
        group.bench_function(format!("broken_{size}"), |bencher| {
            bencher.iter(|| factum_codegen::parse(black_box(source)).is_err())
        });
    }
    group.finish();

    let mut group = criterion.benchmark_group("compile");
    for (size, source) in &valid {
        group.bench_function(format!("valid_{size}"), |bencher| {
            bencher.iter(|| factum_codegen::compile_source("bench", black_box(source)).is_ok())
        });
    }
    group.finish();

    criterion.final_summary();
    println!("\n{}", report::render("The compiler on 4n declarations vs n", &output, started, &comparisons()));
}

/// The lines of the final table: each the larger schema against the smaller.
fn comparisons() -> Vec<Comparison> {
    let scaling = |label: &str, group: &str, kind: &str| Comparison {
        label: label.to_owned(),
        factum: format!("{group}/{kind}_4n"),
        raw: format!("{group}/{kind}_n"),
        rows: 1,
        // Linear is 4; quadratic would be 16.
        target: Target::TimeAtMost(5.0),
    };
    vec![
        scaling("parse: 4n vs n valid declarations", "parse", "valid"),
        scaling("parse: 4n vs n broken declarations", "parse", "broken"),
        scaling("compile: 4n vs n valid declarations", "compile", "valid"),
    ]
}
