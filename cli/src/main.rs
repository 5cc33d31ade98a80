//! The `factum` command: check schemas, generate the Rust a build would produce from them, and follow a store's
//! events.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
};

mod event_line;
mod events;
mod evolution;
mod tail;

use clap::{Parser, Subcommand};
use factum_codegen::{fs, ir::Schema, Options, SchemaErrors, Severity};

/// Factum's schema compiler.
#[derive(Debug, Parser)]
#[command(
    name = "factum",
    version,
    about = "Check Factum schemas, generate typed Rust from them, follow a store's events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks schemas: every diagnostic, then a summary with the counts of errors and warnings; exit 1 on errors.
    ///
    /// A schema is also checked against an older version of itself, `--against OLD` (a `.lock` or a `.factum`), or
    /// else its lock file (`SCHEMA.lock`) when it has one: every change that breaks the reading of stored events is
    /// an error; changes to commands and state are notes.
    Check {
        /// The `.factum` files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// An older version of the schema, as a lock file or a `.factum`, to check one schema against.
        #[arg(long, value_name = "OLD")]
        against: Option<PathBuf>,
    },
    /// Writes the schema's lock file, `SCHEMA.lock`: the shapes of its released events, which `factum check`
    /// compares later versions of the schema against.
    ///
    /// A lock is only ever replaced by one the schema is compatible with: when the schema has breaking changes
    /// against the existing lock (or that lock cannot be read), nothing is written and the exit code is 1.
    Lock {
        /// The `.factum` file.
        file: PathBuf,
        /// Write the lock even though the schema breaks the reading of events the existing lock says were released,
        /// listing each change accepted (or replace a lock that cannot be read).
        #[arg(long)]
        accept_breaking: bool,
    },
    /// Prints the Rust a build would generate for a schema, or writes it to `<DIR>/<stem>.rs`.
    Generate {
        /// The `.factum` file.
        file: PathBuf,
        /// Write `<stem>.rs` into this folder instead of printing.
        #[arg(short, long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Writes one sample payload per event version into `fixtures/<stem>/` beside the schema.
    ///
    /// Existing fixtures are kept: they stand for events already stored.
    Fixtures {
        /// The `.factum` file.
        file: PathBuf,
        /// Rewrite fixtures whose contents differ from today's samples.
        #[arg(long)]
        overwrite: bool,
    },
    /// Moves events out of and into a store: `export` prints them as lines of JSON, `import` appends such lines.
    Events {
        #[command(subcommand)]
        command: events::EventsCommand,
    },
}

fn main() -> ExitCode {
    // Decide the rendering here rather than leave it to miette's detection, which depends on the features it was
    // built with: colours only on a terminal without `NO_COLOR`, unicode unless the terminal is known not to have it.
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let unicode = !matches!(std::env::var("TERM").as_deref(), Ok("dumb" | "linux"));
    miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new().terminal_links(false).width(100).color(color).unicode(unicode).build(),
        )
    }))
    .ok();
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, against } => check(&files, against.as_deref()),
        Command::Lock { file, accept_breaking } => evolution::lock(&file, accept_breaking),
        Command::Generate { file, out_dir } => generate(&file, out_dir.as_deref()),
        Command::Fixtures { file, overwrite } => fixtures(&file, overwrite),
        Command::Events { command } => events::run(command),
    }
}

/// Checks every file (against `against`, or its lock file), reporting all diagnostics of all files before deciding
/// the exit code, and ending with their counts: on stdout when there is no error, else on stderr.
fn check(files: &[PathBuf], against: Option<&Path>) -> ExitCode {
    if against.is_some() && files.len() > 1 {
        eprintln!("{:?}", miette::Report::msg("`--against` compares one schema with an older version of it"));
        return ExitCode::from(2);
    }
    let mut total = Tally::default();
    for file in files {
        total += evolution::check_file(file, against);
    }
    let summary = format!("checked {}: {total}", plural(files.len(), "schema"));
    if total.errors > 0 {
        eprintln!("{summary}");
        ExitCode::FAILURE
    } else {
        println!("{summary}");
        ExitCode::SUCCESS
    }
}

/// How many diagnostics of each severity were reported (a breaking change counts as an error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    errors: usize,
    warnings: usize,
    notes: usize,
}

impl Tally {
    /// The counts of `diagnostics`.
    fn of(diagnostics: &[factum_codegen::Diagnostic]) -> Self {
        let count = |severity| diagnostics.iter().filter(|diagnostic| diagnostic.severity == severity).count();
        Tally { errors: count(Severity::Error), warnings: count(Severity::Warning), notes: count(Severity::Note) }
    }

    /// One error, with no diagnostic to count (a file that cannot be read).
    const ONE_ERROR: Tally = Tally { errors: 1, warnings: 0, notes: 0 };
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.notes += other.notes;
    }
}

/// `2 errors, 1 warning`, then the notes when there are some.
impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {}", plural(self.errors, "error"), plural(self.warnings, "warning"))?;
        if self.notes > 0 {
            write!(f, ", {}", plural(self.notes, "note"))?;
        }
        Ok(())
    }
}

/// `1 schema`, `2 schemas`.
fn plural(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}

fn generate(file: &Path, out_dir: Option<&Path>) -> ExitCode {
    let Ok((schema, warnings)) = compile(file) else { return ExitCode::FAILURE };
    report(&warnings);
    let code =
        factum_codegen::format(factum_codegen::generate(&schema, &Options::default()), &file.display().to_string());
    let Some(out_dir) = out_dir else {
        print!("{code}");
        return ExitCode::SUCCESS;
    };
    let stem = file.file_stem().map_or_else(|| "schema".into(), |stem| stem.to_string_lossy());
    let target = out_dir.join(format!("{stem}.rs"));
    match fs::write_if_changed(&target, &code) {
        Ok(_) => {
            println!("wrote {}", target.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{:?}", miette::Report::msg(error.to_string()));
            ExitCode::FAILURE
        }
    }
}

fn fixtures(file: &Path, overwrite: bool) -> ExitCode {
    let Ok((schema, warnings)) = compile(file) else { return ExitCode::FAILURE };
    report(&warnings);
    let dir = fs::fixtures_dir(file);
    match fs::write_fixtures(&dir, &factum_codegen::fixtures::fixtures(&schema), overwrite) {
        Ok(writes) => {
            for write in writes {
                match write {
                    fs::FixtureWrite::Created(path) => println!("created     {}", path.display()),
                    fs::FixtureWrite::Overwritten(path) => println!("overwritten {}", path.display()),
                    fs::FixtureWrite::Unchanged(path) => println!("unchanged   {}", path.display()),
                    fs::FixtureWrite::Kept(path) => {
                        println!(
                            "kept        {} (differs from today's sample; --overwrite replaces it)",
                            path.display()
                        )
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{:?}", miette::Report::msg(error.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// Reads and compiles one schema, printing its errors (and warnings) when it has errors.
fn compile(file: &Path) -> Result<(Schema, Option<SchemaErrors>), Tally> {
    compile_with_source(file).map(|(schema, _source, warnings)| (schema, warnings))
}

/// [`compile`], also returning the schema's text, which diagnostics found later point into. On failure, the counts
/// of what was printed.
fn compile_with_source(file: &Path) -> Result<(Schema, String, Option<SchemaErrors>), Tally> {
    let source = fs::read_schema(file).map_err(|error| {
        eprintln!("{:?}", miette::Report::msg(error.to_string()));
        Tally::ONE_ERROR
    })?;
    let name = file.display().to_string();
    match factum_codegen::compile_source(&name, &source) {
        Ok((schema, warnings)) => {
            let warnings = (!warnings.is_empty()).then(|| SchemaErrors::single(&name, source.as_str(), warnings));
            Ok((schema, source, warnings))
        }
        Err(errors) => {
            report(&Some(errors.clone()));
            eprintln!("{}", errors);
            Err(Tally::of(&errors.diagnostics))
        }
    }
}

fn report(diagnostics: &Option<SchemaErrors>) {
    for report in diagnostics.iter().flat_map(SchemaErrors::reports) {
        eprintln!("{report:?}");
    }
}

/// `5 events, 1 aggregate, 4 commands, 1 projection`.
fn summary(schema: &Schema) -> String {
    let commands: usize = schema.aggregates.iter().map(|aggregate| aggregate.commands.len()).sum();
    [
        plural(schema.events.len(), "event"),
        plural(schema.aggregates.len(), "aggregate"),
        plural(commands, "command"),
        plural(schema.projections.len(), "projection"),
    ]
    .join(", ")
}
