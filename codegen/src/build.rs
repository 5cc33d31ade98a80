//! The `build.rs` API: compile schemas into `OUT_DIR`, for `factum::include_schema!` to include.

use std::path::{Path, PathBuf};

use crate::{diagnostics::SchemaErrors, emit, fs};

/// Compiles each schema into `$OUT_DIR/factum/<stem>.rs`, with the default [`Config`].
///
/// Meant for `build.rs`; on error it prints every diagnostic (rendered by miette) and returns an error, so
/// `compile_schemas(&[...]).unwrap()` (or `?` in `main`) fails the build with the full report above the panic.
pub fn compile_schemas(schemas: &[impl AsRef<Path>]) -> Result<(), BuildError> {
    Config::new().compile(schemas)
}

/// Why compiling schemas in a build script failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A schema could not be read, or the output written.
    #[error(transparent)]
    Fs(#[from] fs::FsError),
    /// A schema has errors; they were printed above.
    #[error("{0}")]
    Schema(SchemaErrors),
    /// `OUT_DIR` is not set and no output folder was configured.
    #[error("`OUT_DIR` is not set: call `compile_schemas` from a build script, or set `Config::out_dir`")]
    NoOutDir,
}

/// Options for compiling schemas in `build.rs`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    out_dir: Option<PathBuf>,
    options: emit::Options,
    emit_rerun_if_changed: bool,
}

impl Config {
    /// The defaults: output to `$OUT_DIR/factum`, runtime at `::factum`, `cargo:rerun-if-changed` for each schema.
    pub fn new() -> Self {
        Config { out_dir: None, options: emit::Options::default(), emit_rerun_if_changed: true }
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
            let code = crate::generate_source(&name, &source, &self.options).map_err(|errors| {
                for report in errors.reports() {
                    eprintln!("{report:?}");
                }
                BuildError::Schema(errors)
            })?;
            let stem = schema.file_stem().map_or_else(|| "schema".into(), |stem| stem.to_string_lossy());
            fs::write_if_changed(&out_dir.join(format!("{stem}.rs")), &code)?;
        }
        Ok(())
    }
}
