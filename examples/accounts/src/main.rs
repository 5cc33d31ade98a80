//! Runs the bank domain on an embedded SQLite file: opens accounts, pays in and out within the overdraft, shows the
//! rules refusing and rejecting what they must, stores a deposit as the first release wrote it (`Deposited` v1) and
//! reads it back as v2, then prints the event log, each account's state and the `Balances` projection.
//!
//! `cargo run -p accounts-example [-- FILE]`: the store is the SQLite file `FILE`, or a fresh one in the temporary
//! folder.

use factum::{
    store::{sqlite::SqliteStore, LogQuery},
    types::Uuid,
    Aggregate, CommandError, CommandService, EventStore, ExpectedVersion, NewEvent, ProjectionRunner,
};

use accounts_example::{
    bank::{Account, AccountCommand, Balances, CloseAccount, Deposit, OpenAccount, Withdraw},
    AccountError, BalanceSheet,
};

type Service = CommandService<Account, SqliteStore>;

/// `Deposited` as the first release stored it: an amount, no reference.
const DEPOSITED_V1: &str = r#"{"amount":25000}"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run_example().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run_example() -> Result<(), Box<dyn std::error::Error>> {
    let path = match std::env::args().nth(1) {
        Some(path) => path.into(),
        None => {
            let path = std::env::temp_dir().join("factum-accounts-example.sqlite");
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                // A missing file is what we want; any other problem shows up when the store opens it.
                let _ = std::fs::remove_file(file);
            }
            path
        }
    };
    println!("event store: {}\n", path.display());
    let service = Service::new(SqliteStore::open(&path)?);

    let (ada, alan) = (Uuid::new_v4(), Uuid::new_v4());
    println!("== commands");
    run(&service, ada, OpenAccount { owner: "ada".into(), overdraft_limit: 10_000 }.into()).await?;
    run(&service, ada, Deposit { amount: 50_000, reference: Some("salary".into()) }.into()).await?;
    run(&service, ada, Withdraw { amount: 55_000 }.into()).await?;
    run(&service, ada, Withdraw { amount: 10_000 }.into()).await?;
    run(&service, ada, CloseAccount {}.into()).await?;
    run(&service, ada, Deposit { amount: 5_000, reference: None }.into()).await?;
    run(&service, ada, CloseAccount {}.into()).await?;
    run(&service, ada, Deposit { amount: 1, reference: None }.into()).await?;
    run(&service, alan, Withdraw { amount: 100 }.into()).await?;

    println!("\n== a deposit written by the first release");
    run(&service, alan, OpenAccount { owner: "alan".into(), overdraft_limit: 0 }.into()).await?;
    let stored = NewEvent::new("Deposited", 1, DEPOSITED_V1.as_bytes()).with_aggregate_type(Account::NAME);
    let at = service.load(&alan).await?.version;
    service.store().append(&Account::stream_id(&alan), ExpectedVersion::Exact(at), vec![stored]).await?;
    println!("stored Deposited v1 {DEPOSITED_V1}, read as v2: {:?}", service.load(&alan).await?.state);
    run(&service, alan, Withdraw { amount: 20_000 }.into()).await?;

    println!("\n== event log");
    for recorded in service.store().read_all(&LogQuery::all()).await? {
        let envelope = &recorded.envelope;
        let payload = String::from_utf8_lossy(&recorded.payload);
        println!(
            "#{:<3} @{} {} v{} {payload}",
            envelope.position, envelope.stream_version, envelope.event_name, envelope.event_version
        );
    }

    println!("\n== states");
    for (label, id) in [("ada", ada), ("alan", alan)] {
        let loaded = service.load(&id).await?;
        println!("{label:<5} version {} {:?}", loaded.version, loaded.state);
    }

    println!("\n== Balances projection, in memory");
    let mut runner = ProjectionRunner::held(service.store(), Balances(BalanceSheet::default()));
    runner.catch_up().await?;
    for line in runner.into_projection().0.accounts.values() {
        let closed = if line.closed { " (closed)" } else { "" };
        println!("{:<5} {:>8}{closed}", line.owner, line.balance);
    }
    Ok(())
}

/// Handles one command and says what happened: the events it recorded, or why it was rejected.
async fn run(service: &Service, id: Uuid, command: AccountCommand) -> Result<(), CommandError<AccountError>> {
    let shown = format!("{command:?}");
    match service.handle(&id, command).await {
        Ok(handled) => {
            let names: Vec<String> = handled.events.iter().map(|event| format!("{event:?}")).collect();
            println!("{shown:<70} -> {}", names.join(", "));
            Ok(())
        }
        Err(CommandError::Rejected(reason)) => {
            println!("{shown:<70} -> rejected: {reason}");
            Ok(())
        }
        Err(other) => Err(other),
    }
}
