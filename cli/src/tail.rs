//! `factum events tail`: follows a store's global log live, printing one JSON line per event as it commits.

use std::io::Write;
use std::process::ExitCode;

use factum::store::{AnyStore, LogQuery, StoreUrlError};
use factum::{LogEventRef, LogFollower, LogSubscription, StoreError};

use crate::event_line::{self, WriteError};

/// What `factum events tail` is asked.
#[derive(Debug, clap::Args)]
pub(crate) struct TailArgs {
    /// The store to follow: `sqlite:PATH` or `postgres://USER@HOST/DATABASE?schema=NAME`.
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
    #[error(transparent)]
    Line(#[from] WriteError),
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
        Err(TailError::Output(error) | TailError::Line(WriteError::Io(error)))
            if error.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => failed(error),
    }
}

fn failed(error: TailError) -> ExitCode {
    eprintln!("{:?}", miette::Report::msg(error.to_string()));
    ExitCode::FAILURE
}

async fn follow(args: &TailArgs) -> Result<(), TailError> {
    let store = AnyStore::connect(&args.store).await?;
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
        event_line::write_line(&mut output, &LogEventRef::from(&event))?;
        output.flush()?;
    }
}
