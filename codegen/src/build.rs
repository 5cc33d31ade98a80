//! The `build.rs` API: compile schemas into `OUT_DIR`, for `factum::include_schema!` to include.

use std::path::{Path, PathBuf};

use crate::{diagnostics::SchemaErrors, emit, evolution, fs, ir::Schema};

/// Compiles each schema into `$OUT_DIR/factum/<stem>.rs`, with the default [`Config`].
///
/// Meant for `build.rs`; on error it prints every diagnostic (rendered by miette) and returns an error, so
/// `compile_schemas(&[...]).unwrap()` (or `?` in `main`) fails the build with the full report above the panic.
pub fn compile_schemas(schemas: &[impl AsRef<Path>]) -> Result<(), BuildError> {
    Config::new().compile(schemas)
}

/// Why compiling schemas in a build script failed.
///
/// Its `Debug` form is its message, so that `fn main() -> Result<(), BuildError>` in `build.rs` ends with one
/// readable line under the diagnostics it printed.
#[derive(thiserror::Error)]
pub enum BuildError {
    /// A schema could not be read, or the output written.
    #[error(transparent)]
    Fs(#[from] fs::FsError),
    /// A schema has errors; they were printed above.
    #[error("{0}")]
    Schema(SchemaErrors),
    /// A schema has breaking changes against its lock file; they were printed above.
    #[error("`{}` has breaking changes against `{lock}`", .errors.name)]
    Breaking {
        /// The lock file.
        lock: String,
        /// The breaking changes, as diagnostics of the schema.
        errors: SchemaErrors,
    },
    /// A lock file could not be read.
    #[error(transparent)]
    Lock(evolution::EvolutionError),
    /// `OUT_DIR` is not set and no output folder was configured.
    #[error("`OUT_DIR` is not set: call `compile_schemas` from a build script, or set `Config::out_dir`")]
    NoOutDir,
}

impl std::fmt::Debug for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Options for compiling schemas in `build.rs`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    out_dir: Option<PathBuf>,
    options: emit::Options,
    emit_rerun_if_changed: bool,
    check_against_lock: bool,
}

impl Config {
    /// The defaults: output to `$OUT_DIR/factum`, runtime at `::factum`, `cargo:rerun-if-changed` for each schema.
    pub fn new() -> Self {
        Config {
            out_dir: None,
            options: emit::Options::default(),
            emit_rerun_if_changed: true,
            check_against_lock: false,
        }
    }

    /// Writes the generated files to `dir` instead of `$OUT_DIR/factum`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Sets the path generated code reaches the runtime by, for crates that re-export `factum`
    /// (e.g. `"::my_platform::factum"`).
    pub fn runtime_path(mut self, path: &str) -> Result<Self, syn::Error> {
        self.options.runtime_path = syn::parse_str(path)?;
        Ok(self)
    }

    /// Whether to print `cargo:rerun-if-changed` for every schema (on by default; off outside build scripts).
    pub fn emit_rerun_if_changed(mut self, emit: bool) -> Self {
        self.emit_rerun_if_changed = emit;
        self
    }

    /// Whether to check each schema against its lock file (`<schema>.lock`, written by `factum lock`) when it has
    /// one, failing the build when a change breaks the reading of stored events (off by default). Notes about
    /// source-level changes do not fail the build.
    pub fn check_against_lock(mut self, check: bool) -> Self {
        self.check_against_lock = check;
        self
    }

    /// Compiles each schema to `<out dir>/<file stem>.rs`, rewriting only files whose contents changed.
    pub fn compile(&self, schemas: &[impl AsRef<Path>]) -> Result<(), BuildError> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?).join("factum"),
        };
        for schema in schemas {
            let schema = schema.as_ref();
            if self.emit_rerun_if_changed {
                println!("cargo:rerun-if-changed={}", schema.display());
            }
            let source = fs::read_schema(schema)?;
            let name = schema.display().to_string();
            let (model, _warnings) = crate::compile_source(&name, &source).map_err(|errors| {
                for report in errors.reports() {
                    eprintln!("{report:?}");
                }
                BuildError::Schema(errors)
            })?;
            if self.check_against_lock {
                self.check_lock(schema, &name, &source, &model)?;
            }
            let code = crate::format(crate::generate(&model, &self.options), &name);
            let stem = schema.file_stem().map_or_else(|| "schema".into(), |stem| stem.to_string_lossy());
            fs::write_if_changed(&out_dir.join(format!("{stem}.rs")), &code)?;
        }
        Ok(())
    }

    /// Checks a compiled schema against its lock file, if it has one: the breaking changes are printed and returned
    /// as an error.
    fn check_lock(&self, path: &Path, name: &str, source: &str, schema: &Schema) -> Result<(), BuildError> {
        let lock = evolution::lock_path(path);
        if !fs::file_exists(&lock) {
            return Ok(());
        }
        if self.emit_rerun_if_changed {
            println!("cargo:rerun-if-changed={}", lock.display());
        }
        let old = evolution::load_snapshot(&lock).map_err(BuildError::Lock)?;
        let breaking: Vec<evolution::Finding> =
            evolution::check_against(&old, schema).into_iter().filter(evolution::Finding::is_breaking).collect();
        if breaking.is_empty() {
            return Ok(());
        }
        let errors = evolution::findings_report(name, source, &breaking);
        for report in errors.reports() {
            eprintln!("{report:?}");
        }
        Err(BuildError::Breaking { lock: lock.display().to_string(), errors })
    }
}
