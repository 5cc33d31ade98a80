//! Runs the conference domain: with no arguments, a short demo on an SQLite file in the temporary folder; with
//! `stress`, many concurrent reservations against one conference, printing one JSON object of what happened; with
//! `availability`, the `SeatAvailability` projection brought up to date, one JSON object per conference.
//!
//! `cargo run -p conference-example -- [--store URL] [stress --tasks N --capacity C --requests R [--seats K] |
//! availability]`

use clap::{Parser, Subcommand};
use conference_example::{
    availability::availability,
    available,
    schema::{
        AddSeats, CancelReservation, Conference, ConferenceCommand, ConferenceEvent, CreateConference, ReserveSeats,
    },
    stress::{self, Stress},
    AvailabilityError, ConferenceError,
};
use factum::{store::AnyStore, types::Uuid, CommandError, CommandService, EventStore, RetryPolicy, SnapshotPolicy};

/// Seat reservations on Factum.
#[derive(Debug, Parser)]
#[command(name = "conference-example")]
struct Cli {
    /// The event store's URL (`sqlite:PATH`, `postgres://USER@HOST/DATABASE?schema=NAME`, `memory:`); by default a
    /// fresh SQLite file in the temporary folder.
    #[arg(long, global = true, value_name = "URL")]
    store: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates one conference and fires reservation requests at it from concurrent tasks through the command
    /// service, then prints one JSON object: capacity, requested_seats, reserved_seats, accepted, rejected,
    /// gave_up, conflicts, events, stream_version, elapsed_ms.
    Stress {
        /// How many tasks fire requests at once.
        #[arg(long, value_name = "N")]
        tasks: usize,
        /// The conference's seats.
        #[arg(long, value_name = "C")]
        capacity: u32,
        /// How many reservation requests to fire in all.
        #[arg(long, value_name = "R")]
        requests: u32,
        /// How many seats each request reserves.
        #[arg(long, value_name = "K", default_value_t = 1)]
        seats: u32,
        /// Reserve against this conference, created if it does not exist yet (so that several processes can stress
        /// one conference); by default a new one.
        #[arg(long, value_name = "UUID")]
        conference: Option<Uuid>,
    },
    /// Brings the `SeatAvailability` projection up to date (a table in the store's database, so an `sqlite:` or a
    /// `postgres://` store), then prints one JSON object per conference, sorted by id: conference, capacity,
    /// reserved, available.
    Availability,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => demo(cli.store).await,
        Some(Command::Stress { tasks, capacity, requests, seats, conference }) => {
            let conference = conference.unwrap_or_else(Uuid::new_v4);
            let stress = Stress { conference, tasks, capacity, requests, seats };
            run_stress(cli.store, &stress).await
        }
        Some(Command::Availability) => print_availability(cli.store).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // Factum's errors spell out their causes in their messages.
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Opens the store at `url`, or a fresh SQLite file named `file` in the temporary folder.
async fn open_store(url: Option<String>, file: &str) -> Result<(String, AnyStore), Box<dyn std::error::Error>> {
    let url = match url {
        Some(url) => url,
        None => {
            let path = std::env::temp_dir().join(file);
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                // A missing file is what we want; any other problem shows up when the store opens it.
                let _ = std::fs::remove_file(file);
            }
            format!("sqlite:{}", path.display())
        }
    };
    let store = AnyStore::connect(&url).await?;
    Ok((url, store))
}

async fn run_stress(url: Option<String>, stress: &Stress) -> Result<(), Box<dyn std::error::Error>> {
    let (_, store) = open_store(url, "factum-conference-stress.sqlite").await?;
    let report = stress::run(store, stress, RetryPolicy::default()).await?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

async fn print_availability(url: Option<String>) -> Result<(), Box<dyn std::error::Error>> {
    // Without a URL there is no store to read: a fresh file would only ever print nothing.
    let url = url.ok_or("`availability` reads a store: give it with `--store sqlite:PATH`")?;
    let store = AnyStore::connect(&url).await?;
    for conference in availability(&store).await? {
        println!("{}", serde_json::to_string(&conference)?);
    }
    Ok(())
}

type Service = CommandService<Conference, AnyStore>;

async fn demo(url: Option<String>) -> Result<(), Box<dyn std::error::Error>> {
    let (url, store) = open_store(url, "factum-conference-example.sqlite").await?;
    println!("event store: {url}\n");
    // A conference collects thousands of reservations: with a snapshot every 100 events, a command folds at most 99.
    let service = Service::new(store).with_snapshots(SnapshotPolicy::Every(100));
    let conference = Uuid::new_v4();
    let (ada, bob, cleo) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());

    println!("== commands");
    run(&service, conference, CreateConference { name: "EventConf".into(), capacity: 5 }.into()).await?;
    run(&service, conference, ReserveSeats { reservation_id: ada, seats: 3 }.into()).await?;
    run(&service, conference, ReserveSeats { reservation_id: bob, seats: 3 }.into()).await?;
    run(&service, conference, AddSeats { seats: 2 }.into()).await?;
    run(&service, conference, ReserveSeats { reservation_id: cleo, seats: 3 }.into()).await?;
    run(&service, conference, ReserveSeats { reservation_id: cleo, seats: 1 }.into()).await?;
    run(&service, conference, CancelReservation { reservation_id: ada }.into()).await?;
    run(&service, conference, CancelReservation { reservation_id: ada }.into()).await?;

    // A request sent twice (a client retrying after a timeout) is recorded once: the second answer is the first.
    println!("\n== the same request twice, idempotently");
    let request = Uuid::new_v4();
    for _ in 0..2 {
        let reserve = ReserveSeats { reservation_id: bob, seats: 2 };
        let handled = service.handle_idempotent(&conference, request, reserve.into()).await?;
        let recorded: Vec<String> = handled.events.iter().map(describe).collect();
        println!("request {request}\n  -> {} (stream version {})", recorded.join(", "), handled.stream_version);
    }

    println!("\n== the stream");
    let stream = service.store().read_stream(&format!("Conference-{conference}"), 1).await?;
    for event in &stream {
        let envelope = &event.envelope;
        let payload = String::from_utf8_lossy(&event.payload);
        println!("{:>2} {} {payload}", envelope.stream_version, envelope.event_name);
    }

    let state = service.load(&conference).await?.state;
    println!("\n== the conference");
    println!(
        "{}: capacity {}, reserved {}, available {}, {} reservations",
        state.name,
        state.capacity,
        state.reserved,
        available(&state),
        state.reservations.len()
    );

    println!("\n== the SeatAvailability projection (a table beside the events: in the store's file or schema)");
    match availability(service.store()).await {
        Ok(conferences) => {
            for row in conferences {
                println!(
                    "{}: capacity {}, reserved {}, available {}",
                    row.conference, row.capacity, row.reserved, row.available
                );
            }
        }
        Err(AvailabilityError::NotSqlite) => println!("(not shown: {})", AvailabilityError::NotSqlite),
        Err(error) => return Err(error.into()),
    }
    Ok(())
}

/// Handles one command, printing what it recorded or why it was rejected; other failures end the demo.
async fn run(
    service: &Service,
    conference: Uuid,
    command: ConferenceCommand,
) -> Result<(), CommandError<ConferenceError>> {
    let shown = format!("{command:?}");
    match service.handle(&conference, command).await {
        Ok(handled) => {
            let recorded: Vec<String> = handled.events.iter().map(describe).collect();
            println!("{shown}\n  -> {}", recorded.join(", "));
            Ok(())
        }
        Err(CommandError::Rejected(error)) => {
            println!("{shown}\n  -> rejected: {error}");
            Ok(())
        }
        Err(error) => Err(error),
    }
}

fn describe(event: &ConferenceEvent) -> String {
    match event {
        ConferenceEvent::ConferenceCreated(created) => format!("created with {} seats", created.capacity),
        ConferenceEvent::SeatsAdded(added) => format!("{} seats added", added.seats),
        ConferenceEvent::SeatsReserved(reserved) => format!("{} seats reserved", reserved.seats),
        ConferenceEvent::ReservationRejected(rejected) => {
            format!("rejected: {} seats asked, {} left", rejected.seats, rejected.available)
        }
        ConferenceEvent::SeatsReleased(released) => format!("{} seats released", released.seats),
    }
}
