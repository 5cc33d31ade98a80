//! Schema evolution: the shapes of stored payloads, type compatibility, the validation of upcast steps, lock files,
//! and the checker that tells whether a new schema still reads every event an old one wrote.
//!
//! - [`shape`] and [`compat`] (re-exported from [`crate::types`], the layer the checks share): the canonical,
//!   expanded shape of each event version and its fingerprint, and [`compare_shapes`]: the same type, a safe
//!   widening, or a breaking change with its reason;
//! - `snapshot.rs` and `lock.rs`: what a checked schema stores, taken from it or read from its lock file;
//! - `rules.rs`, `check.rs`, `finding.rs`: the rules as data, the checker, and its findings as diagnostics.
//!
//! File access goes through [`crate::fs`], as everywhere in codegen: [`check_files`] and [`load_snapshot`] are the
//! only functions here that touch files.

mod check;
mod finding;
mod lock;
pub mod rules;
mod snapshot;

use std::path::{Path, PathBuf};

pub use crate::types::{compare_shapes, compat, shape, Breaking, Compat, Widening};
pub use crate::types::{FieldShape, TypeShape};
pub use check::check_against;
pub use finding::{findings_report, findings_report_in, render_plain, render_plain_in, Finding};
pub use lock::{LockError, LOCK_FORMAT};
pub use rules::{Rule, RULES};
pub use snapshot::{AggregateShape, CommandShape, EventShape, Location, Place, Snapshot, VersionShape};

use crate::{diagnostics::SchemaErrors, fs, ir::Schema};

/// Why two schemas (or a schema and a lock file) could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum EvolutionError {
    /// A file could not be read.
    #[error(transparent)]
    Fs(#[from] fs::FsError),
    /// The schema, or the old schema it is compared with, has errors.
    #[error("{0}")]
    Schema(SchemaErrors),
    /// The lock file could not be read.
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// The lock file of a schema: beside it, with `.lock` appended (`schemas/orders.factum.lock`).
pub fn lock_path(schema: &Path) -> PathBuf {
    let mut path = schema.as_os_str().to_owned();
    path.push(".lock");
    PathBuf::from(path)
}

/// Whether `path` names a lock file (it ends in `.lock`) rather than a schema.
pub fn is_lock_file(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "lock")
}

/// The snapshot of an old schema: read from a lock file, or compiled from a `.factum` (whose lines and columns the
/// findings then point at).
pub fn load_snapshot(path: &Path) -> Result<Snapshot, EvolutionError> {
    let name = path.display().to_string();
    if is_lock_file(path) {
        let text = fs::read_lock(path)?;
        return Ok(Snapshot::from_lock(&name, &text)?);
    }
    let source = fs::read_schema(path)?;
    let (schema, _warnings) = crate::compile_source(&name, &source).map_err(EvolutionError::Schema)?;
    Ok(Snapshot::from_schema(&schema).with_source(name, &source))
}

/// Compiles the schema at `schema` and checks it against `against` (a `.lock` or an older `.factum`): every finding,
/// breaking changes and notes.
pub fn check_files(schema: &Path, against: &Path) -> Result<Vec<Finding>, EvolutionError> {
    let name = schema.display().to_string();
    let source = fs::read_schema(schema)?;
    let (new, _warnings) = crate::compile_source(&name, &source).map_err(EvolutionError::Schema)?;
    let old = load_snapshot(against)?;
    Ok(check_against(&old, &new))
}

/// The lock file text of a checked schema.
pub fn lock_text(schema: &Schema) -> String {
    Snapshot::from_schema(schema).to_lock()
}
