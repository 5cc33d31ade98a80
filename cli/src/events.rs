//! `factum events`: events out of a store as lines of JSON (`export`), and such lines into a store (`import`).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use factum::store::{AnyStore, LogQuery, StreamAppend};
use factum::{EventStore, ExpectedVersion, LogEventRef, StoreError};

use crate::event_line::{self, LineError, WriteError};
use crate::tail;

/// The `events` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum EventsCommand {
    /// Prints the store's events, one JSON object per line, in log order.
    ///
    /// Each line holds `stream`, `event`, `event_version`, `recorded_at`, `payload`, `position`, `id`, `version`,
    /// then `aggregate_type` and `metadata` when the event has them, in that order.
    Export {
        /// The store: `sqlite:PATH`, `postgres://USER@HOST/DATABASE?schema=NAME` or `memory:`.
        #[arg(long, value_name = "URL")]
        store: String,
        /// Only this stream's events.
        #[arg(long, value_name = "ID")]
        stream: Option<String>,
        /// Only events at this position of the log or later.
        #[arg(long, value_name = "POS", default_value_t = 1)]
        from: u64,
    },
    /// Appends the events of a file of such lines, in one transaction: every line, or nothing.
    ///
    /// A line needs `stream`, `event`, `event_version`, `recorded_at` and `payload`; `id`, `version` (the event's
    /// version in its stream, checked), `aggregate_type` and `metadata` are optional, `position` is ignored. Every
    /// bad line is reported with its number, and then nothing is written.
    Import {
        /// The store: `sqlite:PATH` (created if missing), `postgres://USER@HOST/DATABASE?schema=NAME`, or `memory:` to
        /// check a file without writing it anywhere.
        #[arg(long, value_name = "URL")]
        store: String,
        /// The file of lines (JSON Lines).
        file: PathBuf,
    },
    /// Follows a store's log live: prints each event as one such line as it is appended (by any process), until
    /// killed.
    Tail(tail::TailArgs),
}

/// Runs an `events` subcommand.
pub(crate) fn run(command: EventsCommand) -> ExitCode {
    match command {
        EventsCommand::Export { store, stream, from } => block_on(export(&store, stream.as_deref(), from)),
        EventsCommand::Import { store, file } => block_on(import(&store, &file)),
        EventsCommand::Tail(args) => tail::tail(&args),
    }
}

/// Runs one command's work on a current-thread runtime.
fn block_on(work: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    // I/O and timers: a store on a server talks over the network.
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(work),
        Err(error) => fail(format!("cannot start the async runtime: {error}")),
    }
}

/// Prints `message` as an error and returns the failure exit code.
fn fail(message: impl Into<String>) -> ExitCode {
    eprintln!("{:?}", miette::Report::msg(message.into()));
    ExitCode::FAILURE
}

/// Opens the store a URL names, or says why it cannot.
async fn open(url: &str) -> Result<AnyStore, ExitCode> {
    AnyStore::connect(url).await.map_err(|error| fail(error.to_string()))
}

/// How many events an export reads from the log per read.
const EXPORT_BATCH: usize = 1024;

async fn export(url: &str, stream: Option<&str>, from: u64) -> ExitCode {
    let store = match open(url).await {
        Ok(store) => store,
        Err(code) => return code,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let written = match stream {
        Some(stream) => export_stream(&store, stream, from, &mut out).await,
        None => export_log(&store, from, &mut out).await,
    };
    match written.and_then(|()| out.flush().map_err(WriteError::from)) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped reading (`| head`) wanted no more lines: that is not a failure.
        Err(WriteError::Io(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => fail(error.to_string()),
    }
}

/// Writes the log from `from` on, in batches, each event lent by the store straight into a line.
async fn export_log(store: &AnyStore, from: u64, out: &mut (impl Write + Send)) -> Result<(), WriteError> {
    let mut next = from.max(1);
    loop {
        let query = LogQuery::from_position(next).limit(EXPORT_BATCH);
        let folded = store
            .fold_all(&query, 0usize, |written, event| {
                event_line::write_line(out, &event)?;
                *written += 1;
                Ok::<_, WriteError>(())
            })
            .await?;
        if folded.accumulator < EXPORT_BATCH {
            return Ok(());
        }
        next = folded.next_position;
    }
}

/// Writes one stream's events at positions from `from` on.
async fn export_stream(
    store: &AnyStore,
    stream: &str,
    from: u64,
    out: &mut (impl Write + Send),
) -> Result<(), WriteError> {
    for recorded in store.read_stream(stream, 1).await? {
        if recorded.envelope.position >= from {
            event_line::write_line(out, &LogEventRef::from(&recorded))?;
        }
    }
    Ok(())
}

/// How many bad lines an import reports one by one; a file with more (one imported into the wrong store, say) ends
/// with their count.
const REPORTED_LINES: usize = 20;

/// A bad line of an import: its number (from 1) and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {problem}")]
struct BadLine {
    line: usize,
    problem: Problem,
}

/// What is wrong with a line of an import.
#[derive(Debug, thiserror::Error)]
enum Problem {
    /// The line cannot be read.
    #[error(transparent)]
    Line(#[from] LineError),
    /// The line's `version` is not the stream's next one.
    #[error("stream `{stream}` version {given} is out of order: the stream's next version is {next}")]
    OutOfOrder { stream: String, given: u64, next: u64 },
    /// Two lines give one id.
    #[error("id {id} is also the id of line {first}")]
    IdTwice { id: uuid::Uuid, first: usize },
    /// The line's id is already stored.
    #[error("an event with id {id} is already in the store")]
    IdStored { id: uuid::Uuid },
    /// Another writer appended to the stream while the file was being imported.
    #[error("stream `{stream}` changed while the file was imported ({conflict}): run the import again")]
    Changed { stream: String, conflict: String },
}

/// The lines of the file, read and checked: the appends they make, where each starts, and each id's line.
struct Plan {
    appends: Vec<StreamAppend>,
    /// For each append: its stream, what it expects, and the line it starts at; kept to name the line the store
    /// refuses.
    starts: Vec<(String, ExpectedVersion, usize)>,
    ids: HashMap<uuid::Uuid, usize>,
    streams: usize,
    events: usize,
}

async fn import(url: &str, file: &Path) -> ExitCode {
    let store = match open(url).await {
        Ok(store) => store,
        Err(code) => return code,
    };
    let text = match std::fs::File::open(file) {
        Ok(opened) => std::io::BufReader::new(opened),
        Err(error) => return fail(format!("cannot read `{}`: {error}", file.display())),
    };
    let mut plan = match plan(&store, text).await {
        Ok(Ok(plan)) => plan,
        Ok(Err(bad_lines)) => {
            for bad_line in bad_lines.iter().take(REPORTED_LINES) {
                eprintln!("{:?}", miette::Report::msg(bad_line.to_string()));
            }
            if bad_lines.len() > REPORTED_LINES {
                eprintln!("... and {} more bad lines\n", bad_lines.len() - REPORTED_LINES);
            }
            let count = bad_lines.len();
            let lines = if count == 1 { "1 bad line".to_owned() } else { format!("{count} bad lines") };
            return fail(format!("nothing was imported: `{}` has {lines}", file.display()));
        }
        Err(error) => return fail(error),
    };
    let (events, streams) = (plan.events, plan.streams);
    match store.append_batch(std::mem::take(&mut plan.appends)).await {
        Ok(outcomes) => {
            let last = outcomes.last().map_or(0, |outcome| outcome.position);
            println!(
                "imported {} into {} from `{}` (the log now ends at position {last})",
                count_of(events, "event"),
                count_of(streams, "stream"),
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => match refused(&plan, &error) {
            Some(bad_line) => {
                eprintln!("{:?}", miette::Report::msg(bad_line.to_string()));
                fail(format!("nothing was imported: the store refused line {} of `{}`", bad_line.line, file.display()))
            }
            None => fail(format!("nothing was imported: {error}")),
        },
    }
}

/// `1 event`, `2 events`.
fn count_of(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}

/// The line a refused batch failed at, when the store's error says which.
fn refused(plan: &Plan, error: &StoreError) -> Option<BadLine> {
    let line_of_append = |stream: &str, expected: ExpectedVersion| {
        let start =
            plan.starts.iter().find(|(start, start_expected, _)| start == stream && *start_expected == expected);
        start.map(|&(_, _, line)| line)
    };
    match error {
        StoreError::DuplicateEventId(duplicate) => plan
            .ids
            .get(&duplicate.event_id)
            .map(|&line| BadLine { line, problem: Problem::IdStored { id: duplicate.event_id } }),
        StoreError::Conflict(conflict) => line_of_append(&conflict.stream_id, conflict.expected).map(|line| BadLine {
            line,
            problem: Problem::Changed { stream: conflict.stream_id.clone(), conflict: conflict.to_string() },
        }),
        _ => None,
    }
}

/// Reads every line, checks it against the lines before it and the store's streams, and groups consecutive lines of
/// one stream into one append expecting the version the stream will be at. Returns every bad line, or the plan; the
/// outer error is a failure to read the file or the store.
async fn plan(store: &AnyStore, text: impl BufRead) -> Result<Result<Plan, Vec<BadLine>>, String> {
    let mut parsed = Vec::new();
    let mut bad_lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.map_err(|error| format!("cannot read line {line_number}: {error}"))?;
        if line.trim().is_empty() {
            continue;
        }
        match event_line::parse_line(&line) {
            Ok(line) => parsed.push((line_number, line)),
            Err(problem) => bad_lines.push(BadLine { line: line_number, problem: problem.into() }),
        }
    }
    // Each stream's version: the store's when the file first names it, then moved on by each good line.
    let mut versions: HashMap<String, u64> = HashMap::new();
    let mut plan =
        Plan { appends: Vec::new(), starts: Vec::new(), ids: HashMap::new(), streams: 0, events: parsed.len() };
    for (line_number, line) in parsed {
        let current = match versions.entry(line.stream.clone()) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(unknown) => {
                let stored = store.stream_version(&line.stream).await.map_err(|error| error.to_string())?;
                unknown.insert(stored)
            }
        };
        let next = *current + 1;
        // A bad line is left out of the checks of the lines after it, as if it were not in the file.
        if let Some(given) = line.version.filter(|&given| given != next) {
            let problem = Problem::OutOfOrder { stream: line.stream.clone(), given, next };
            bad_lines.push(BadLine { line: line_number, problem });
            continue;
        }
        let id = line.event.event_id;
        if let Some(&first) = plan.ids.get(&id) {
            bad_lines.push(BadLine { line: line_number, problem: Problem::IdTwice { id, first } });
            continue;
        }
        *current = next;
        plan.ids.insert(id, line_number);
        match plan.appends.last_mut() {
            Some(last) if last.stream_id == line.stream => last.events.push(line.event),
            _ => {
                let expected = ExpectedVersion::Exact(next - 1);
                plan.starts.push((line.stream.clone(), expected, line_number));
                plan.appends.push(StreamAppend::new(line.stream, expected, vec![line.event]));
            }
        }
    }
    plan.streams = versions.len();
    if bad_lines.is_empty() {
        Ok(Ok(plan))
    } else {
        bad_lines.sort_by_key(|bad_line| bad_line.line);
        Ok(Err(bad_lines))
    }
}
