//! The `build.rs` API: compile schemas into `OUT_DIR`, for `factum::include_schema!` to include.

use std::path::{Path, PathBuf};

use crate::{diagnostics::SchemaErrors, emit, evolution, fs, ir::Schema};

/// Compiles each schema into `$OUT_DIR/factum/<stem>.rs`, with the default [`Config`].
///
/// Meant for `build.rs`; on error it prints every diagnostic (rendered by miette) and returns an error, so
/// `compile_schemas(&[...]).unwrap()` (or `?` in `main`) fails the build with the full report above the panic.
/// Warnings do not fail the build: cargo shows each as a `warning:` line naming its place (`file:line:col`).
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
    /// Selectors of [`Config::type_attribute`] or [`Config::field_attribute`] name no type or field of any schema
    /// compiled.
    #[error("no generated type or field matches {}", list(.0))]
    UnmatchedSelectors(Vec<String>),
    /// `OUT_DIR` is not set and no output folder was configured.
    #[error("`OUT_DIR` is not set: call `compile_schemas` from a build script, or set `Config::out_dir`")]
    NoOutDir,
}

/// "`A`, `B`": selectors as messages list them.
fn list(selectors: &[String]) -> String {
    selectors.iter().map(|selector| format!("`{selector}`")).collect::<Vec<_>>().join(", ")
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

    /// Which half of the code to generate: both by default, or the types or the impls alone (see [`emit::Items`]
    /// for where the line falls).
    pub fn items(mut self, items: emit::Items) -> Self {
        self.options.items = items;
        self
    }

    /// Adds attributes (e.g. `"#[derive(Hash)]"`) to the generated types `selector` names: a type's Rust name
    /// (`Priority`, `OrderState`, `OrderCreatedV1`), an event's name for every version's struct, or `"."` for
    /// every type. A malformed attribute or selector is an error here; a selector that matches no type of any
    /// schema compiled fails [`Config::compile`].
    pub fn type_attribute(mut self, selector: &str, attributes: &str) -> Result<Self, emit::AttributeError> {
        self.options.type_attribute(selector, attributes)?;
        Ok(self)
    }

    /// Adds attributes (e.g. `"#[serde(alias = \"client\")]"`) to the fields `selector` names, as `Type.field`:
    /// the type as for [`Config::type_attribute`], the field by its name in the schema.
    pub fn field_attribute(mut self, selector: &str, attributes: &str) -> Result<Self, emit::AttributeError> {
        self.options.field_attribute(selector, attributes)?;
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

    /// Compiles each schema to `<out dir>/<file stem>.rs`, rewriting only files whose contents changed. Nothing is
    /// written unless every schema compiles and every attribute selector matches.
    ///
    /// Prints cargo's instructions: `cargo:rerun-if-changed` for each schema (and lock file), and one
    /// `cargo:warning` per warning of a schema, or note against its lock file.
    pub fn compile(&self, schemas: &[impl AsRef<Path>]) -> Result<(), BuildError> {
        self.compile_with(schemas, &mut |instruction| println!("{instruction}"))
    }

    /// [`Config::compile`], handing each instruction for cargo to `cargo` instead of printing it.
    fn compile_with(&self, schemas: &[impl AsRef<Path>], cargo: &mut dyn FnMut(String)) -> Result<(), BuildError> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?).join("factum"),
        };
        let mut compiled = Vec::with_capacity(schemas.len());
        for schema in schemas {
            let schema = schema.as_ref();
            if self.emit_rerun_if_changed {
                cargo(format!("cargo:rerun-if-changed={}", schema.display()));
            }
            let source = fs::read_schema(schema)?;
            let name = schema.display().to_string();
            let (model, warnings) = crate::compile_source(&name, &source).map_err(|errors| {
                for report in errors.reports() {
                    eprintln!("{report:?}");
                }
                BuildError::Schema(errors)
            })?;
            let warnings = SchemaErrors::single(&name, source.as_str(), warnings);
            warn(cargo, &warnings);
            if self.check_against_lock {
                self.check_lock(schema, &name, &source, &model, cargo)?;
            }
            compiled.push((schema, name, model));
        }
        let unmatched = self.options.unmatched_selectors(compiled.iter().map(|(_, _, model)| model));
        if !unmatched.is_empty() {
            return Err(BuildError::UnmatchedSelectors(unmatched));
        }
        for (schema, name, model) in &compiled {
            let code = crate::format(crate::generate(model, &self.options), name);
            let stem = schema.file_stem().map_or_else(|| "schema".into(), |stem| stem.to_string_lossy());
            fs::write_if_changed(&out_dir.join(format!("{stem}.rs")), &code)?;
        }
        Ok(())
    }

    /// Checks a compiled schema against its lock file, if it has one: the breaking changes are printed and returned
    /// as an error.
    /// Notes (source-level changes) are handed to cargo as warnings.
    fn check_lock(
        &self,
        path: &Path,
        name: &str,
        source: &str,
        schema: &Schema,
        cargo: &mut dyn FnMut(String),
    ) -> Result<(), BuildError> {
        let lock = evolution::lock_path(path);
        if !fs::file_exists(&lock) {
            return Ok(());
        }
        if self.emit_rerun_if_changed {
            cargo(format!("cargo:rerun-if-changed={}", lock.display()));
        }
        let old = evolution::load_snapshot(&lock).map_err(BuildError::Lock)?;
        let (breaking, notes): (Vec<evolution::Finding>, Vec<evolution::Finding>) =
            evolution::check_against(&old, schema).into_iter().partition(evolution::Finding::is_breaking);
        if !notes.is_empty() {
            warn(cargo, &evolution::findings_report(name, source, &notes));
        }
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

/// Hands each diagnostic to cargo as a warning, on one line: cargo shows it as `warning: <crate>: <line>`.
fn warn(cargo: &mut dyn FnMut(String), diagnostics: &SchemaErrors) {
    for line in diagnostics.plain_lines() {
        // One instruction is one line: a line break would end it early.
        cargo(format!("cargo:warning={}", line.replace(['\r', '\n'], " ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schema with no warnings: its one event is emitted.
    const QUIET: &str = "enum Priority { Low, High }\nevent Flagged v1 { priority: Priority }\n\
                         aggregate Order {\n    id: String\n    command Flag { priority: Priority } emits Flagged\n}\n";

    /// Compiles `schema` (written as `flags.factum` in a temporary folder, with a lock file of `locked` beside it
    /// when given) and compares the instructions for cargo, the folder's path written as `DIR`.
    fn check(schema: &str, locked: Option<&str>, expected: Result<&[&str], &str>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flags.factum");
        std::fs::write(&path, schema).unwrap();
        if let Some(locked) = locked {
            let (old, _) = crate::compile_source("old.factum", locked).unwrap();
            std::fs::write(evolution::lock_path(&path), evolution::lock_text(&old)).unwrap();
        }
        let config = Config::new().out_dir(dir.path().join("out")).check_against_lock(true);
        let mut instructions = Vec::new();
        let result = config.compile_with(&[&path], &mut |instruction| instructions.push(instruction));
        let dir = dir.path().to_str().unwrap();
        let instructions: Vec<String> = instructions.iter().map(|line| line.replace(dir, "DIR")).collect();
        let result = result.map(|()| instructions).map_err(|error| error.to_string().replace(dir, "DIR"));
        let expected = expected.map(|lines| lines.iter().map(|line| (*line).to_owned()).collect::<Vec<_>>());
        assert_eq!(result, expected.map_err(str::to_owned), "{schema}");
    }

    #[test]
    fn a_quiet_schema_only_asks_to_be_watched() {
        check(QUIET, None, Ok(&["cargo:rerun-if-changed=DIR/flags.factum"]));
    }

    #[test]
    fn warnings_are_cargo_warnings_with_their_place() {
        check(
            &format!("{QUIET}event Unflagged v1 {{ at: u64 }}\n"),
            None,
            Ok(&[
                "cargo:rerun-if-changed=DIR/flags.factum",
                "cargo:warning=DIR/flags.factum:7:7: warning[factum::unused-event]: event `Unflagged` is never \
                 emitted nor handled (help: emit it from a command (`emits Unflagged`), handle it in a projection \
                 (`on Unflagged`), or remove it)",
            ]),
        );
    }

    #[test]
    fn notes_against_the_lock_are_cargo_warnings_and_breaking_changes_fail() {
        let grown = QUIET.replace("Low, High", "Low, High, Urgent");
        check(
            &grown,
            Some(QUIET),
            Ok(&[
                "cargo:rerun-if-changed=DIR/flags.factum",
                "cargo:rerun-if-changed=DIR/flags.factum.lock",
                "cargo:warning=DIR/flags.factum:1:6: note[factum::enum-variant-added]: enum `Priority` gained \
                 variant `Urgent`, held by released `Flagged v1` (help: deploy readers before writers; run `factum \
                 lock` to accept the new shape (old: DIR/flags.factum.lock, enum `Priority`))",
                "cargo:warning=DIR/flags.factum:5:13: note[factum::command-changed]: command `Flag` changed: field \
                 `priority` changed (its type `Priority` changed) (help: update the callers that build the command \
                 (old: DIR/flags.factum.lock, command `Flag` of aggregate `Order`))",
            ]),
        );
        let shrunk = QUIET.replace("Low, High", "Low");
        check(&shrunk, Some(QUIET), Err("`DIR/flags.factum` has breaking changes against `DIR/flags.factum.lock`"));
    }

    /// Compiles `QUIET` with `config` and returns the error, if any, and whether the output was written.
    fn compile_quiet(config: Config) -> (Result<(), String>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flags.factum");
        std::fs::write(&path, QUIET).unwrap();
        let out = dir.path().join("out");
        let result = config.out_dir(&out).compile_with(&[&path], &mut |_| {}).map_err(|error| error.to_string());
        (result, out.join("flags.rs").exists())
    }

    #[test]
    fn selectors_that_match_nothing_fail_the_build_before_anything_is_written() {
        let config = Config::new()
            .type_attribute("Flagged", "#[derive(Eq)]")
            .and_then(|config| config.type_attribute("Flaged", "#[derive(Eq)]"))
            .and_then(|config| config.field_attribute("Flagged.level", "#[serde(default)]"))
            .unwrap();
        assert_eq!(
            compile_quiet(config),
            (Err("no generated type or field matches `Flaged`, `Flagged.level`".into()), false)
        );
        let config = Config::new().field_attribute("Flagged.priority", "#[serde(default)]").unwrap();
        assert_eq!(compile_quiet(config), (Ok(()), true));
    }

    #[test]
    fn the_impls_alone_can_be_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flags.factum");
        std::fs::write(&path, QUIET).unwrap();
        let out = dir.path().join("out");
        Config::new().items(emit::Items::Impls).out_dir(&out).compile_with(&[&path], &mut |_| {}).unwrap();
        let code = std::fs::read_to_string(out.join("flags.rs")).unwrap();
        assert!(code.contains("impl ::factum::Aggregate for Order"), "{code}");
        assert!(!code.contains("pub struct Flag "), "{code}");
    }
}
