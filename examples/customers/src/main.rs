//! The customer registry on Factum: a demo, and the commands that read the registry now or as of any instant.
//!
//! - `customers-example` (no command): the demo, on a fresh SQLite file in the temporary folder (or the empty store
//!   `--store` names): imports a history recorded in February 2021, runs commands, brings the `CustomerDirectory`
//!   projection up to date and reads the registry now and as of past instants.
//! - `customers-example [--store URL] project`: brings the projection up to date and prints its checkpoint.
//! - `customers-example [--store URL] list [--as-of INSTANT]`: one JSON object per current customer, by id.
//! - `customers-example [--store URL] categories [--as-of INSTANT]`: one JSON object per category, by name.
//!
//! The store is a URL (`sqlite:PATH`, `memory:`); it defaults to the demo's file.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use customers_example::registry::{self, Registry};
use customers_example::schema::{
    ChangeCustomer, Customer, CustomerChanged, CustomerDeleted, CustomerDirectory, CustomerEvent, CustomerRegistered,
    DeleteCustomer, RegisterCustomer,
};
use customers_example::{CustomerError, Directory, DirectoryTables};
use factum::store::sqlite::TransactionalRunner;
use factum::store::{AnyStore, LogQuery, StreamAppend};
use factum::{
    Aggregate, AsOf, CommandError, CommandService, EventStore, ExpectedVersion, Metadata, NewEvent, Progress,
    Projection, Timestamp,
};

#[derive(Debug, Parser)]
#[command(name = "customers-example", about = "The customer registry on Factum")]
struct Cli {
    /// The store: `sqlite:PATH`, `postgres://USER@HOST/DATABASE?schema=NAME` or `memory:`. Without it: the SQLite file the demo writes in the temporary folder.
    #[arg(long, value_name = "URL", global = true)]
    store: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Brings the `CustomerDirectory` projection up to date and prints its checkpoint:
    /// `{"projection": "CustomerDirectory", "checkpoint": N}` (N: the log position it continues from).
    Project,
    /// Prints one JSON object per current (not deleted) customer, sorted by id:
    /// `{"id": ..., "name": ..., "points": ..., "categories": [...]}`.
    List {
        /// Answer as of this instant (RFC 3339 with an offset, e.g. `2021-02-02T00:00:00+07:00`), by time travel over
        /// the events recorded strictly before it, instead of from the projection.
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        as_of: Option<Timestamp>,
    },
    /// Prints one JSON object per category that has customers, sorted by category:
    /// `{"category": ..., "customers": N}`, each customer counted once per category.
    Categories {
        /// As for `list`.
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        as_of: Option<Timestamp>,
    },
}

/// What `project` prints: the fields in this order.
#[derive(serde::Serialize)]
struct Checkpoint {
    projection: &'static str,
    checkpoint: u64,
}

/// An RFC 3339 instant with an offset, as UTC.
fn parse_instant(text: &str) -> Result<Timestamp, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&chrono::Utc))
        .map_err(|error| format!("not an RFC 3339 instant with an offset, such as 2021-02-02T00:00:00+07:00 ({error})"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The SQLite file of the demo, which the other commands read unless told otherwise.
fn demo_file() -> std::path::PathBuf {
    std::env::temp_dir().join("factum-customers-example.sqlite")
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let Some(command) = cli.command else {
        let url = match cli.store {
            Some(url) => url,
            None => {
                let path = demo_file();
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    // A missing file is what we want; any other problem shows up when the store opens it.
                    let _ = std::fs::remove_file(file);
                }
                format!("sqlite:{}", path.display())
            }
        };
        return demo(&url).await;
    };
    let url = cli.store.unwrap_or_else(|| format!("sqlite:{}", demo_file().display()));
    let store = AnyStore::connect(&url).await?;
    let mut out = std::io::stdout().lock();
    match command {
        Command::Project => {
            let checkpoint = registry::project(&store).await?;
            let line = Checkpoint { projection: <CustomerDirectory<Directory> as Projection>::NAME, checkpoint };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        }
        Command::List { as_of } => {
            for customer in registry::read(&store, as_of).await?.customers {
                writeln!(out, "{}", serde_json::to_string(&customer)?)?;
            }
        }
        Command::Categories { as_of } => {
            for category in registry::read(&store, as_of).await?.categories {
                writeln!(out, "{}", serde_json::to_string(&category)?)?;
            }
        }
    }
    Ok(())
}

/// `2021-02-DD THH:MM:00Z`.
fn february(day: u32, hour: u32, minute: u32) -> Timestamp {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2021, 2, day, hour, minute, 0).single().expect("a valid time in February 2021")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&item| item.to_owned()).collect()
}

/// The history the demo imports: what the registry recorded in February 2021, each event at its own time.
fn history() -> Vec<(Timestamp, &'static str, CustomerEvent)> {
    let registered = |name: &str, points, categories: &[&str]| {
        CustomerEvent::from(CustomerRegistered { name: name.into(), points, categories: strings(categories) })
    };
    let changed = |name: &str, points, categories: &[&str]| {
        CustomerEvent::from(CustomerChanged { name: name.into(), points, categories: strings(categories) })
    };
    vec![
        (february(1, 1, 0), "C1", registered("Ada", 10, &["player"])),
        (february(1, 2, 30), "C2", registered("Bob", 0, &["player", "vip"])),
        (february(1, 9, 0), "C3", registered("Cleo", 5, &["staff"])),
        (february(2, 8, 0), "C1", changed("Ada", 25, &["player", "vip"])),
        (february(3, 10, 0), "C3", CustomerDeleted {}.into()),
        (february(5, 12, 0), "C2", changed("Bob", 3, &["vip"])),
    ]
}

async fn demo(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    println!("event store: {url}\n");
    let store = AnyStore::connect(url).await?;
    if !store.read_all(&LogQuery::all().limit(1)).await?.is_empty() {
        let hint = "give it an empty store (on PostgreSQL, a schema of its own: `?schema=NAME`)";
        return Err(format!("the demo writes its own history, and `{url}` is not empty: {hint}").into());
    }

    println!("== history of February 2021, imported with the times it was recorded at");
    let mut versions = std::collections::HashMap::new();
    let mut appends = Vec::new();
    for (recorded_at, code, event) in history() {
        let version: &mut u64 = versions.entry(code).or_default();
        let stored = NewEvent::encode(&event, Metadata::default())?.with_aggregate_type(Customer::NAME);
        appends.push(StreamAppend::new(
            Customer::stream_id(&code.to_owned()),
            ExpectedVersion::Exact(*version),
            vec![stored.recorded_at(recorded_at)],
        ));
        *version += 1;
        println!("{} {code} {}", recorded_at.to_rfc3339(), factum::EventSet::name(&event));
    }
    store.append_batch(appends).await?;

    println!("\n== commands, now");
    let service = CommandService::<Customer, _>::new(store.clone());
    let commands: Vec<(&str, customers_example::schema::CustomerCommand)> = vec![
        ("C4", RegisterCustomer { name: "Dora".into(), points: 0, categories: strings(&["player"]) }.into()),
        ("C1", ChangeCustomer { name: "Ada".into(), points: 25, categories: strings(&["vip", "player"]) }.into()),
        ("C2", DeleteCustomer {}.into()),
        ("C3", ChangeCustomer { name: "Cleo".into(), points: 7, categories: strings(&["staff"]) }.into()),
        ("C1", RegisterCustomer { name: "Ada again".into(), points: 0, categories: vec![] }.into()),
    ];
    for (code, command) in commands {
        let shown = format!("{code} {command:?}");
        match service.handle(&code.to_owned(), command).await {
            Ok(handled) if handled.events.is_empty() => println!("ok       {shown} -> nothing to record"),
            Ok(handled) => {
                let names: Vec<_> = handled.events.iter().map(factum::EventSet::name).collect();
                println!("ok       {shown} -> {}", names.join(", "));
            }
            Err(CommandError::Rejected(reason @ (CustomerError::Deleted | CustomerError::AlreadyRegistered))) => {
                println!("rejected {shown} -> {reason}");
            }
            Err(error) => return Err(error.into()),
        }
    }

    if let AnyStore::Sqlite(sqlite) = &store {
        println!("\n== CustomerDirectory projection, rebuilt as tables in the store's file (exactly once)");
        let mut runner = TransactionalRunner::new(sqlite.clone(), CustomerDirectory(DirectoryTables)).batch_size(2);
        let bar = indicatif::ProgressBar::new(0).with_style(indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} events, {per_sec}, eta {eta}",
        )?);
        let checkpoint = runner
            .rebuild(|progress: &Progress| {
                bar.set_message(progress.projection);
                bar.set_length(progress.total.max(progress.done));
                bar.set_position(progress.done);
            })
            .await?;
        bar.finish();
        println!("checkpoint {checkpoint}");
    }

    show("the registry now", &registry::now(&store).await?);
    for instant in ["2021-02-02T00:00:00+07:00", "2021-02-04T00:00:00Z"] {
        let registry = registry::as_of(&store, parse_instant(instant)?).await?;
        show(&format!("the registry as of {instant}"), &registry);
    }

    println!("\n== customer C1, loaded as of instants");
    for instant in ["2021-02-01T12:00:00Z", "2021-02-03T00:00:00Z"] {
        let loaded = service.load_as_of(&"C1".to_owned(), AsOf::Time(parse_instant(instant)?)).await?;
        let state = &loaded.state;
        println!(
            "{instant}: version {}, {} with {} points in {:?}",
            loaded.version, state.name, state.points, state.categories
        );
    }
    Ok(())
}

fn show(title: &str, registry: &Registry) {
    println!("\n== {title}");
    for customer in &registry.customers {
        println!("{}", serde_json::to_string(customer).unwrap_or_default());
    }
    for category in &registry.categories {
        println!("{}", serde_json::to_string(category).unwrap_or_default());
    }
}
