//! Brings the `OrderSummary` tables of an order store up to date, exactly once, and prints the checkpoint.
//!
//! `orders-project PATH [BATCH] [--rebuild]`: catches up (or, with `--rebuild`, rebuilds) the tables of
//! `orders_example::OrderTables` in the SQLite file at `PATH`, `BATCH` events per transaction (512 unless given), and
//! prints the checkpoint it reached. The crash test kills it at random points and checks that the tables come out as
//! a clean rebuild makes them.

use factum::store::sqlite::{SqliteStore, TransactionalRunner};
use factum::PROJECTION_BATCH;
use orders_example::{schema::OrderSummary, OrderTables};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(next) => {
            println!("{next}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<u64, Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let rebuild = arguments.iter().any(|argument| argument == "--rebuild");
    let mut positional = arguments.iter().filter(|argument| !argument.starts_with("--"));
    let path = positional.next().ok_or("usage: orders-project PATH [BATCH] [--rebuild]")?;
    let batch = match positional.next() {
        Some(batch) => batch.parse().map_err(|_| format!("`{batch}` is not a batch size"))?,
        None => PROJECTION_BATCH,
    };
    let mut runner = TransactionalRunner::new(SqliteStore::open(path)?, OrderSummary(OrderTables)).batch_size(batch);
    let next = if rebuild { runner.rebuild(|_| {}).await? } else { runner.catch_up().await? };
    Ok(next)
}
