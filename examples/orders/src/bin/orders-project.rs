//! Brings the `OrderSummary` tables of an order store up to date, exactly once, and prints the checkpoint.
//!
//! `orders-project STORE [BATCH] [--rebuild]`: catches up (or, with `--rebuild`, rebuilds) the `OrderSummary` tables,
//! `BATCH` events per transaction (512 unless given), and prints the checkpoint it reached. `STORE` is the path of
//! an SQLite file (`orders_example::OrderTables`, in that file) or a `postgres://USER@HOST/DATABASE?schema=NAME` URL
//! (`orders_example::PostgresOrderTables`, in that schema). The crash test kills it at random points and checks that
//! the tables come out as a clean rebuild makes them.

use factum::store::postgres::PostgresStore;
use factum::store::{postgres, sqlite};
use factum::PROJECTION_BATCH;
use orders_example::{schema::OrderSummary, OrderTables, PostgresOrderTables};

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
    let store = positional.next().ok_or("usage: orders-project STORE [BATCH] [--rebuild]")?;
    let batch = match positional.next() {
        Some(batch) => batch.parse().map_err(|_| format!("`{batch}` is not a batch size"))?,
        None => PROJECTION_BATCH,
    };
    if let Some(extra) = positional.next() {
        return Err(format!("unexpected argument `{extra}`; usage: orders-project STORE [BATCH] [--rebuild]").into());
    }
    let next = if store.starts_with("postgres://") || store.starts_with("postgresql://") {
        let store = PostgresStore::connect(store).await?;
        let mut runner = postgres::TransactionalRunner::new(store, OrderSummary(PostgresOrderTables)).batch_size(batch);
        if rebuild {
            runner.rebuild(|_| {}).await?
        } else {
            runner.catch_up().await?
        }
    } else {
        let mut runner = sqlite::TransactionalRunner::new(sqlite::SqliteStore::open(store)?, OrderSummary(OrderTables))
            .batch_size(batch);
        if rebuild {
            runner.rebuild(|_| {}).await?
        } else {
            runner.catch_up().await?
        }
    };
    Ok(next)
}
