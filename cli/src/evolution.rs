//! The evolution commands: `factum lock`, which records a schema's released event shapes beside it, and
//! `factum check` against a lock file or an older schema, which lists every change that breaks the reading of stored
//! events.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use factum_codegen::{
    evolution::{self, EvolutionError, Finding},
    fs,
    ir::Schema,
};

/// `factum lock SCHEMA`: writes (or updates) `SCHEMA.lock`, saying what it wrote.
pub(crate) fn lock(file: &Path) -> ExitCode {
    let Ok((schema, _source, warnings)) = crate::compile_with_source(file) else { return ExitCode::FAILURE };
    crate::report(&warnings);
    let lock = evolution::lock_path(file);
    // Re-locking accepts every breaking change against the previous lock: say so, since that is what a lock guards.
    let accepted = fs::file_exists(&lock)
        .then(|| evolution::load_snapshot(&lock).ok())
        .flatten()
        .map_or(0, |previous| breaking(&evolution::check_against(&previous, &schema)));
    let contents = lock_summary(&schema);
    match fs::write_if_changed(&lock, &evolution::lock_text(&schema)) {
        Ok(true) => println!("wrote {} ({contents})", lock.display()),
        Ok(false) => println!("{} is up to date ({contents})", lock.display()),
        Err(error) => {
            eprintln!("{:?}", miette::Report::msg(error.to_string()));
            return ExitCode::FAILURE;
        }
    }
    if accepted > 0 {
        println!("the new lock accepts {} against the previous one", plural(accepted, "breaking change"));
    }
    ExitCode::SUCCESS
}

/// Checks one schema: its diagnostics, then the findings against `against`, or against its lock file when it has
/// one. Prints a summary line and returns whether the schema passed (notes do not fail it).
pub(crate) fn check_file(file: &Path, against: Option<&Path>) -> bool {
    let Ok((schema, source, warnings)) = crate::compile_with_source(file) else { return false };
    crate::report(&warnings);
    let baseline: Option<PathBuf> = match against {
        Some(against) => Some(against.to_owned()),
        None => Some(evolution::lock_path(file)).filter(|lock| fs::file_exists(lock)),
    };
    let summary = crate::summary(&schema);
    let Some(baseline) = baseline else {
        println!("{}: ok ({summary})", file.display());
        return true;
    };
    let old = match evolution::load_snapshot(&baseline) {
        Ok(old) => old,
        Err(EvolutionError::Schema(errors)) => {
            crate::report(&Some(errors.clone()));
            eprintln!("{errors}: cannot check `{}` against it", file.display());
            return false;
        }
        Err(error) => {
            eprintln!("{:?}", miette::Report::msg(error.to_string()));
            return false;
        }
    };
    let findings = evolution::check_against(&old, &schema);
    let name = file.display().to_string();
    crate::report(&Some(evolution::findings_report(&name, &source, &findings)).filter(|_| !findings.is_empty()));
    let breaking = breaking(&findings);
    let notes = findings.len() - breaking;
    if breaking > 0 {
        eprintln!("{name}: {} against {}", plural(breaking, "breaking change"), baseline.display());
        return false;
    }
    let notes = if notes > 0 { format!(", {}", plural(notes, "note")) } else { String::new() };
    println!("{name}: ok ({summary}); compatible with {}{notes}", baseline.display());
    true
}

fn breaking(findings: &[Finding]) -> usize {
    findings.iter().filter(|finding| finding.is_breaking()).count()
}

/// `5 events, 7 versions`.
fn lock_summary(schema: &Schema) -> String {
    format!("{}, {}", plural(schema.events.len(), "event"), plural(schema.version_count(), "version"))
}

fn plural(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}
