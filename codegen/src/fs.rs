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
