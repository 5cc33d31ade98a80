//! The evolution commands: `factum lock`, which records a schema's released event shapes beside it, and
//! `factum check` against a lock file or an older schema, which lists every change that breaks the reading of stored
//! events.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use factum_codegen::{
    evolution::{self, EvolutionError, Finding, Snapshot},
    fs,
    ir::Schema,
};

use crate::{plural, Tally};

/// `factum lock SCHEMA`: writes (or updates) `SCHEMA.lock`, saying what it wrote.
///
/// A lock guards the events it records, so it is not replaced by one that drops that guard: when the schema breaks
/// the existing lock (or the lock cannot be read to tell), nothing is written unless `accept_breaking`, and then
/// every change accepted is listed.
pub(crate) fn lock(file: &Path, accept_breaking: bool) -> ExitCode {
    let Ok((schema, source, warnings)) = crate::compile_with_source(file) else { return ExitCode::FAILURE };
    crate::report(&warnings);
    let lock = evolution::lock_path(file);
    let name = file.display().to_string();
    let mut accepted = Vec::new();
    if fs::file_exists(&lock) {
        let breaking: Vec<Finding> = match load_baseline(&lock, file) {
            Ok(previous) => {
                evolution::check_against(&previous, &schema).into_iter().filter(Finding::is_breaking).collect()
            }
            Err(_) if accept_breaking => {
                println!("replacing {}, which cannot be read (--accept-breaking)", lock.display());
                Vec::new()
            }
            Err(_) => {
                eprintln!(
                    "{name}: not locked: `{}` cannot be read to compare with; `--accept-breaking` replaces it",
                    lock.display()
                );
                return ExitCode::FAILURE;
            }
        };
        if !breaking.is_empty() && !accept_breaking {
            crate::report(&Some(evolution::findings_report(&name, &source, &breaking)));
            eprintln!(
                "{name}: not locked: {} against {} would be accepted; fix them, or `--accept-breaking` writes the \
                 lock anyway",
                plural(breaking.len(), "breaking change"),
                lock.display()
            );
            return ExitCode::FAILURE;
        }
        accepted = breaking;
    }
    let contents = lock_summary(&schema);
    match fs::write_if_changed(&lock, &evolution::lock_text(&schema)) {
        Ok(true) => println!("wrote {} ({contents})", lock.display()),
        Ok(false) => println!("{} is up to date ({contents})", lock.display()),
        Err(error) => {
            eprintln!("{:?}", miette::Report::msg(error.to_string()));
            return ExitCode::FAILURE;
        }
    }
    if !accepted.is_empty() {
        println!("accepted {} against the previous lock:", plural(accepted.len(), "breaking change"));
        for finding in &accepted {
            println!("  {}: {}", finding.rule.code, finding.message);
        }
    }
    ExitCode::SUCCESS
}

/// Reads the snapshot `file` is compared with (a lock file or an older schema), printing why when it cannot.
fn load_baseline(baseline: &Path, file: &Path) -> Result<Snapshot, Tally> {
    match evolution::load_snapshot(baseline) {
        Ok(snapshot) => Ok(snapshot),
        Err(EvolutionError::Schema(errors)) => {
            crate::report(&Some(errors.clone()));
            eprintln!("{errors}: cannot check `{}` against it", file.display());
            Err(Tally::of(&errors.diagnostics))
        }
        Err(error) => {
            eprintln!("{:?}", miette::Report::msg(error.to_string()));
            Err(Tally::ONE_ERROR)
        }
    }
}

/// Checks one schema: its diagnostics, then the findings against `against`, or against its lock file when it has
/// one. Prints a line for the schema and returns the counts of what it reported; it passed if there is no error
/// (breaking changes are errors, notes do not fail it).
pub(crate) fn check_file(file: &Path, against: Option<&Path>) -> Tally {
    let (schema, source, warnings) = match crate::compile_with_source(file) {
        Ok(compiled) => compiled,
        Err(tally) => return tally,
    };
    crate::report(&warnings);
    let mut tally = warnings.as_ref().map_or_else(Tally::default, |warnings| Tally::of(&warnings.diagnostics));
    let baseline: Option<PathBuf> = match against {
        Some(against) => Some(against.to_owned()),
        None => Some(evolution::lock_path(file)).filter(|lock| fs::file_exists(lock)),
    };
    let summary = crate::summary(&schema);
    let Some(baseline) = baseline else {
        println!("{}: ok ({summary})", file.display());
        return tally;
    };
    let old = match load_baseline(&baseline, file) {
        Ok(old) => old,
        Err(failed) => {
            tally += failed;
            return tally;
        }
    };
    let findings = evolution::check_against(&old, &schema);
    let name = file.display().to_string();
    let report = evolution::findings_report(&name, &source, &findings);
    tally += Tally::of(&report.diagnostics);
    crate::report(&Some(report).filter(|_| !findings.is_empty()));
    if tally.errors > 0 {
        eprintln!("{name}: {} against {}", plural(tally.errors, "breaking change"), baseline.display());
        return tally;
    }
    let notes = if tally.notes > 0 { format!(", {}", plural(tally.notes, "note")) } else { String::new() };
    println!("{name}: ok ({summary}); compatible with {}{notes}", baseline.display());
    tally
}

/// `5 events, 7 versions`.
fn lock_summary(schema: &Schema) -> String {
    format!("{}, {}", plural(schema.events.len(), "event"), plural(schema.version_count(), "version"))
}
