//! The ratio table printed at the end of a run, from the estimates criterion saved during that same run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Whether this run times the benchmarks (`cargo bench` passes `--bench`) rather than runs each once to check it
/// (`cargo test --benches`, as CI does), in which case a benchmark may use a smaller input.
pub fn timed() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// What a comparison's ratio means, and the bound it is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Throughput ratio, Factum's rows per second over the baseline's; met when at least the bound.
    ThroughputAtLeast(f64),
    /// Throughput ratio, reported without a target.
    ThroughputReported,
    /// Time ratio, Factum's time over the baseline's; met when at most the bound.
    TimeAtMost(f64),
}

/// One line of the table: a Factum benchmark and its baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// What was measured, e.g. `append 100 events`.
    pub label: String,
    /// The criterion id of Factum's benchmark, e.g. `append/factum/100`.
    pub factum: String,
    /// The criterion id of the baseline's benchmark.
    pub raw: String,
    /// Rows written or read per iteration.
    pub rows: u64,
    /// What the ratio means and the bound it is held to.
    pub target: Target,
}

/// A statistic of the time per iteration that criterion estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// The median: what the targets are judged on, as it shrugs off the odd sample slowed down by other work on the
    /// machine.
    Median,
    /// The mean, shown beside it.
    Mean,
}

impl Statistic {
    fn key(self) -> &'static str {
        match self {
            Statistic::Median => "median",
            Statistic::Mean => "mean",
        }
    }
}

/// Criterion's estimate of `statistic`, in nanoseconds per iteration, for benchmark `id` under `output`, if it was
/// measured at or after `since` (an estimate of an earlier run, or of a benchmark this run filtered out, is not
/// reported).
pub fn estimate_nanos(output: &Path, id: &str, statistic: Statistic, since: SystemTime) -> Option<f64> {
    let path: PathBuf = output.join(id).join("new").join("estimates.json");
    let modified = std::fs::metadata(&path).and_then(|metadata| metadata.modified()).ok()?;
    if modified < since {
        return None;
    }
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    estimates[statistic.key()]["point_estimate"].as_f64()
}

/// The ratio of a comparison from Factum's and the baseline's times: a throughput ratio (Factum's rows per second
/// over the baseline's) or a time ratio (Factum's time over the baseline's).
fn ratio(target: Target, factum: f64, raw: f64) -> f64 {
    match target {
        Target::ThroughputAtLeast(_) | Target::ThroughputReported => raw / factum,
        Target::TimeAtMost(_) => factum / raw,
    }
}

/// Renders the table of `comparisons` from the estimates under `output` measured at or after `since`, under `title`
/// (what is compared with what).
pub fn render(title: &str, output: &Path, since: SystemTime, comparisons: &[Comparison]) -> String {
    let mut table = String::new();
    let _ = writeln!(table, "{title}: criterion medians of this run (mean ratio for reference)");
    let _ = writeln!(
        table,
        "{:<40} {:>10} {:>12} {:>10} {:>12}  {:<26} {:>6} {:>7} {:>5}",
        "benchmark", "factum", "factum/s", "baseline", "baseline/s", "ratio (median)", "mean", "target", "met"
    );
    for comparison in comparisons {
        let estimate = |id: &str, statistic| estimate_nanos(output, id, statistic, since);
        let medians = (estimate(&comparison.factum, Statistic::Median), estimate(&comparison.raw, Statistic::Median));
        let means = (estimate(&comparison.factum, Statistic::Mean), estimate(&comparison.raw, Statistic::Mean));
        let ((Some(factum), Some(raw)), (Some(factum_mean), Some(raw_mean))) = (medians, means) else {
            let _ = writeln!(table, "{:<40} not measured in this run", comparison.label);
            continue;
        };
        let median_ratio = ratio(comparison.target, factum, raw);
        let mean_ratio = ratio(comparison.target, factum_mean, raw_mean);
        let (meaning, target, met) = match comparison.target {
            Target::ThroughputAtLeast(bound) => {
                ("rows/s factum ÷ baseline", format!(">= {bound:.2}"), median_ratio >= bound)
            }
            Target::ThroughputReported => ("rows/s factum ÷ baseline", "-".to_owned(), true),
            Target::TimeAtMost(bound) => ("time factum ÷ baseline", format!("<= {bound:.2}"), median_ratio <= bound),
        };
        let met = match comparison.target {
            Target::ThroughputReported => "-",
            _ if met => "yes",
            _ => "NO",
        };
        let _ = writeln!(
            table,
            "{:<40} {:>10} {:>12} {:>10} {:>12}  {:<26} {:>6.3} {:>7} {:>5}",
            comparison.label,
            duration(factum),
            rows_per_second(factum, comparison.rows),
            duration(raw),
            rows_per_second(raw, comparison.rows),
            format!("{median_ratio:.3} {meaning}"),
            mean_ratio,
            target,
            met
        );
    }
    table
}

/// Rows per second at `nanos` per iteration of `rows` rows.
fn rows_per_second(nanos: f64, rows: u64) -> String {
    format!("{:.0}", rows as f64 / (nanos / 1e9))
}

fn duration(nanos: f64) -> String {
    if nanos >= 1e6 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.1} µs", nanos / 1e3)
    }
}
