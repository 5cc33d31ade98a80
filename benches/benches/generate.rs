//! How fast the compiler turns a large schema into Rust, and how much Rust it writes: a synthetic domain of 1,000
//! events over 50 aggregates (`factum_benches::schemas::domain`), each stage against a baseline run in the same
//! process.
//!
//! - `check/parse` (baseline) and `check/compile`: `factum_codegen::parse` alone, then
//!   `factum_codegen::compile_source` (parsing and every check, into the checked model). The ratio is what the checks
//!   add to parsing; the absolute median is held to the 50 ms goal.
//! - `generate/format_only` (baseline): `syn::parse_file` and `prettyplease::unparse` of the generated text, i.e.
//!   formatting by itself. Against it: `generate/tokens` (`factum_codegen::generate` of the checked model) and
//!   `generate/formatted` (`generate`, then `factum_codegen::format`), so the ratios show how the time splits between
//!   building tokens and formatting them.
//! - `generate/build_route`: what a build script runs, `factum_codegen::Config::compile` of the schema in a file,
//!   writing the formatted code to a directory (after the first run the file is unchanged, so it is compared and
//!   left alone, as when a build script runs again); against the same baseline, and its absolute median held to the
//!   0.5 s goal. Build scripts run this unoptimised (cargo builds them in the `dev` profile unless told otherwise),
//!   while `cargo bench` measures the optimised build: the unoptimised time is printed when the bench runs once in
//!   test mode.
//! - Size: lines and bytes of generated code per event version, printed after the tables (not timed).
//!
//! Run once by `cargo test -p factum-benches --benches` (no `--bench` argument), it uses a small schema of 50 events
//! over 5 aggregates, checks that the outputs agree (the schema compiles, and the build route wrote exactly the text
//! of `factum_codegen::generate_source`) and finishes in seconds.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use factum_benches::report::{self, Comparison, Statistic, Target};
use factum_benches::schemas;
use factum_codegen::{Config, Options};

/// Events and aggregates of the schema when timed (`cargo bench`): the size the goals are stated for.
const TIMED: (usize, usize) = (1_000, 50);

/// Events and aggregates when each benchmark only runs once to check it (`cargo test --benches`, as CI does):
/// unoptimised, the timed size takes tens of seconds per stage and proves nothing more.
const CHECKED: (usize, usize) = (50, 5);

/// The goal for `compile_source` of the timed schema, in nanoseconds: 50 ms.
const CHECK_GOAL_NANOS: f64 = 50e6;

/// The goal for the build route on the timed schema, in nanoseconds: 0.5 s.
const BUILD_ROUTE_GOAL_NANOS: f64 = 500e6;

/// The schema's file name; the build route names it by its whole path, in diagnostics and in the generated file's
/// header, and so does every other stage here.
const FILE: &str = "domain.factum";

fn main() {
    let started = SystemTime::now();
    let output = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let timed = report::timed();
    let (events, aggregates) = if timed { TIMED } else { CHECKED };
    let source = schemas::domain(events, aggregates);

    let directory = tempfile::tempdir().expect("a temporary directory for the schema and the generated code");
    let schema_path = directory.path().join(FILE);
    let name = schema_path.display().to_string();
    let name = name.as_str();
    std::fs::write(&schema_path, &source).expect("the schema is written to the temporary directory");
    let out_dir = directory.path().join("out");
    let generated_path = out_dir.join("domain.rs");
    let config = Config::new().out_dir(&out_dir).emit_rerun_if_changed(false);

    // The outputs agree before anything is timed: the schema compiles, and the build route writes exactly what
    // `generate_source` returns.
    let (model, warnings) = match factum_codegen::compile_source(name, &source) {
        Ok(compiled) => compiled,
        Err(errors) => panic!("the benchmark schema is valid, but: {errors:?}"),
    };
    assert!(warnings.is_empty(), "the benchmark schema compiles without warnings: {warnings:?}");
    let options = Options::default();
    let expected = factum_codegen::generate_source(name, &source, &options).expect("the benchmark schema is valid");
    let build_started = Instant::now();
    config.compile(&[&schema_path]).expect("the build route compiles the benchmark schema");
    let build_once = build_started.elapsed();
    let written = std::fs::read_to_string(&generated_path).expect("the build route wrote the generated file");
    assert!(written == expected, "the build route wrote the text `generate_source` returns");
    let formatted = factum_codegen::format(factum_codegen::generate(&model, &options), name);
    assert!(formatted == expected, "`generate` then `format` give the text `generate_source` returns");
    // The baseline formats the generated code without its header comment, which `prettyplease` would drop anyway.
    let body = expected.split_once("\n\n").map_or(expected.as_str(), |(_, body)| body);
    assert!(syn::parse_file(body).is_ok(), "the generated code parses");
    if !timed {
        let profile = if cfg!(debug_assertions) { "unoptimised, as in a build script" } else { "optimised" };
        println!("build route, one run ({profile}, {events} events over {aggregates} aggregates): {build_once:.2?}");
    }

    let mut group = criterion.benchmark_group("check");
    group.bench_function("parse", |bencher| bencher.iter(|| factum_codegen::parse(black_box(&source)).is_ok()));
    group.bench_function("compile", |bencher| {
        bencher.iter(|| factum_codegen::compile_source(name, black_box(&source)).is_ok())
    });
    group.finish();

    let mut group = criterion.benchmark_group("generate");
    group.bench_function("format_only", |bencher| {
        bencher.iter(|| prettyplease::unparse(&syn::parse_file(black_box(body)).expect("the generated code parses")))
    });
    group.bench_function("tokens", |bencher| bencher.iter(|| factum_codegen::generate(black_box(&model), &options)));
    group.bench_function("formatted", |bencher| {
        bencher.iter(|| factum_codegen::format(factum_codegen::generate(black_box(&model), &options), name))
    });
    group.bench_function("build_route", |bencher| {
        bencher.iter(|| config.compile(black_box(&[&schema_path])).expect("the build route compiles the schema"))
    });
    group.finish();

    criterion.final_summary();
    let title = format!("Generating Rust from {events} events over {aggregates} aggregates");
    println!("\n{}", report::render(&title, &output, started, &comparisons()));
    println!("{}", goals(&output, started));
    println!("{}", size(&model, &expected));
}

/// The lines of the ratio table: each stage against its baseline. The targets bound what the stage may add to the
/// baseline's own work, not the absolute goals, which [`goals`] reports.
fn comparisons() -> Vec<Comparison> {
    let line = |label: &str, factum: &str, raw: &str, target| Comparison {
        label: label.to_owned(),
        factum: factum.to_owned(),
        raw: raw.to_owned(),
        rows: 1,
        target,
    };
    vec![
        // Checking walks the parsed model a few times; it should not cost more than parsing several times over.
        line("check: compile_source vs parse", "check/compile", "check/parse", Target::TimeAtMost(3.0)),
        // Building tokens should cost less than formatting them.
        line(
            "generate: tokens vs formatting alone",
            "generate/tokens",
            "generate/format_only",
            Target::TimeAtMost(1.0),
        ),
        // Formatted output is tokens, plus formatting: the overhead beyond formatting is the token building.
        line(
            "generate: formatted vs formatting alone",
            "generate/formatted",
            "generate/format_only",
            Target::TimeAtMost(2.0),
        ),
        line(
            "build route vs formatting alone",
            "generate/build_route",
            "generate/format_only",
            Target::TimeAtMost(2.5),
        ),
    ]
}

/// The absolute goals of the timed schema: the medians of `check/compile` and `generate/build_route` against 50 ms
/// and 0.5 s. In test mode the schema is smaller and the code unoptimised, so the lines are reported, not judged.
fn goals(output: &Path, since: SystemTime) -> String {
    let judged = report::timed();
    let mut table = String::from("Absolute goals: criterion medians of this run\n");
    table.push_str(&format!("{:<40} {:>12} {:>10} {:>5}\n", "benchmark", "median", "goal", "met"));
    for (label, id, goal) in [
        ("check: compile_source", "check/compile", CHECK_GOAL_NANOS),
        ("build route: Config::compile", "generate/build_route", BUILD_ROUTE_GOAL_NANOS),
    ] {
        let Some(median) = report::estimate_nanos(output, id, Statistic::Median, since) else {
            table.push_str(&format!("{label:<40} not measured in this run\n"));
            continue;
        };
        let met = match (judged, median <= goal) {
            (false, _) => "-",
            (true, true) => "yes",
            (true, false) => "NO",
        };
        table.push_str(&format!("{label:<40} {:>9.2} ms {:>7.0} ms {met:>5}\n", median / 1e6, goal / 1e6));
    }
    table
}

/// Lines and bytes of the generated code, in all and per event version.
fn size(model: &factum_codegen::ir::Schema, generated: &str) -> String {
    let versions: usize = model.events.iter().map(|event| event.versions.len()).sum();
    let lines = generated.lines().count();
    let bytes = generated.len();
    let per_version = |total: usize| total as f64 / versions.max(1) as f64;
    format!(
        "Generated code: {lines} lines, {bytes} bytes for {} events, {versions} event versions: {:.1} lines and {:.0} \
         bytes per event version\n",
        model.events.len(),
        per_version(lines),
        per_version(bytes)
    )
}
