//! All of codegen's file-system access: reading schemas and writing generated files only when they change.
//!
//! Keeping I/O here keeps every other module a pure function of its inputs, and so testable without files.

use std::{
    io,
    path::{Path, PathBuf},
};

/// Why a file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} `{path}`: {source}")]
pub struct FsError {
    /// What was being done: `read` or `write`.
    pub action: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What the OS said.
    #[source]
    pub source: io::Error,
}

/// Reads a schema file as text.
pub fn read_schema(path: &Path) -> Result<String, FsError> {
    std::fs::read_to_string(path).map_err(|source| FsError { action: "read", path: path.to_owned(), source })
}

/// Reads a lock file as text.
pub fn read_lock(path: &Path) -> Result<String, FsError> {
    std::fs::read_to_string(path).map_err(|source| FsError { action: "read", path: path.to_owned(), source })
}

/// Whether a file exists at `path` (a schema's lock file is optional).
pub fn file_exists(path: &Path) -> bool {
    path.is_file()
}

/// Writes `contents` to `path` unless it already holds exactly that, creating parent folders; returns whether it
/// wrote. Not rewriting an unchanged file keeps its modification time, so cargo does not rebuild what includes it.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<bool, FsError> {
    if std::fs::read(path).is_ok_and(|existing| existing == contents.as_bytes()) {
        return Ok(false);
    }
    let write_error = |source| FsError { action: "write", path: path.to_owned(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(write_error)?;
    }
    std::fs::write(path, contents).map_err(write_error)?;
    Ok(true)
}

/// What [`write_fixtures`] did with one fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixtureWrite {
    /// The file did not exist and was written.
    Created(PathBuf),
    /// The file exists and was kept: it stands for events already stored.
    Kept(PathBuf),
    /// The file existed with other contents and was overwritten (only when asked to).
    Overwritten(PathBuf),
    /// The file already held exactly this payload.
    Unchanged(PathBuf),
}

/// The folder a schema's fixtures live in: `fixtures/<schema stem>/` beside the schema.
pub fn fixtures_dir(schema: &Path) -> PathBuf {
    let stem = schema.file_stem().map_or_else(|| "schema".into(), |stem| stem.to_string_lossy());
    schema.parent().unwrap_or(Path::new("")).join("fixtures").join(stem.as_ref())
}

/// Writes each fixture into `dir`; an existing file with other contents is kept unless `overwrite` is set.
pub fn write_fixtures(
    dir: &Path,
    fixtures: &[crate::fixtures::Fixture],
    overwrite: bool,
) -> Result<Vec<FixtureWrite>, FsError> {
    fixtures
        .iter()
        .map(|fixture| {
            let path = dir.join(fixture.file_name());
            match std::fs::read(&path) {
                Ok(existing) if existing == fixture.payload.as_bytes() => Ok(FixtureWrite::Unchanged(path)),
                Ok(_) if !overwrite => Ok(FixtureWrite::Kept(path)),
                Ok(_) => write_if_changed(&path, &fixture.payload).map(|_| FixtureWrite::Overwritten(path)),
                Err(_) => write_if_changed(&path, &fixture.payload).map(|_| FixtureWrite::Created(path)),
            }
        })
        .collect()
}
