//! `factum events tail`: follows a store's global log live, printing one JSON line per event as it commits.

use std::io::Write;
use std::process::ExitCode;

use factum::store::{AnyStore, LogQuery, StoreUrlError};
use factum::types::Uuid;
use factum::{LogFollower, LogSubscription, Metadata, RecordedEvent, StoreError, Timestamp};

/// What `factum events tail` is asked.
#[derive(Debug, clap::Args)]
pub(crate) struct TailArgs {
    /// The store to follow: `sqlite:PATH`.
    #[arg(long, value_name = "URL")]
    store: String,
    /// The first position to print (1: the whole log, then what follows); without it, only events appended from
    /// now on.
    #[arg(long, value_name = "POS")]
    from: Option<u64>,
}

/// Why tailing stopped.
#[derive(Debug, thiserror::Error)]
enum TailError {
    #[error(transparent)]
    Url(#[from] StoreUrlError),
    #[error("`{url}` is a store in memory, empty and private to this command: nothing could append to it (tail an `sqlite:PATH` store)")]
    InMemory { url: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the payload of `{event}` at global position {position} is not JSON: {source}")]
    Payload { event: String, position: u64, source: serde_json::Error },
    #[error("cannot write to standard output: {0}")]
    Output(#[from] std::io::Error),
}

/// Runs `factum events tail`: prints events until killed, or until an error (exit 1).
pub(crate) fn tail(args: &TailArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return failed(TailError::Output(error)),
    };
    match runtime.block_on(follow(args)) {
        Ok(()) => ExitCode::SUCCESS,
        // Whoever reads the lines has stopped reading (`factum events tail ... | head`): that ends the tail.
        Err(TailError::Output(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => failed(error),
    }
}

fn failed(error: TailError) -> ExitCode {
    eprintln!("{:?}", miette::Report::msg(error.to_string()));
    ExitCode::FAILURE
}

async fn follow(args: &TailArgs) -> Result<(), TailError> {
    let store = AnyStore::open(&args.store)?;
    if matches!(store, AnyStore::Memory(_)) || args.store.ends_with(":memory:") {
        return Err(TailError::InMemory { url: args.store.clone() });
    }
    let from = match args.from {
        Some(from) => from.max(1),
        None => LogFollower::new(&store, LogQuery::all()).skip_to_end().await?,
    };
    eprintln!("following `{}` from position {from}", args.store);
    let mut subscription = LogSubscription::new(store, LogQuery::from_position(from));
    let mut output = std::io::stdout().lock();
    loop {
        let event = subscription.next().await?;
        output.write_all(&line(&event)?)?;
        output.flush()?;
    }
}

/// One event as a line of the export format (`factum events export` writes the same lines), with its newline.
fn line(recorded: &RecordedEvent) -> Result<Vec<u8>, TailError> {
    let envelope = &recorded.envelope;
    let payload = serde_json::from_slice(&recorded.payload).map_err(|source| TailError::Payload {
        event: envelope.event_name.clone(),
        position: envelope.position,
        source,
    })?;
    let line = Line {
        stream: &envelope.stream_id,
        event: &envelope.event_name,
        event_version: envelope.event_version,
        recorded_at: envelope.recorded_at,
        payload,
        position: envelope.position,
        id: envelope.event_id,
        version: envelope.stream_version,
        metadata: (envelope.metadata != Metadata::default()).then_some(&envelope.metadata),
    };
    let mut bytes = serde_json::to_vec(&line).map_err(std::io::Error::from)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The export line format: the event, then where it is stored, then its metadata when it has any.
#[derive(serde::Serialize)]
struct Line<'a> {
    stream: &'a str,
    event: &'a str,
    event_version: u32,
    recorded_at: Timestamp,
    payload: serde_json::Value,
    position: u64,
    id: Uuid,
    version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
}
