//! Runs the order domain on an embedded SQLite file: creates, pays, ships and cancels orders, shows the rules
//! rejecting what they must, reads orders that older builds wrote (`OrderCreated` v1 and v2) as the current v3, then
//! prints the event log, each order's state and the `OrderSummary` projection (in memory, and on SQLite or PostgreSQL
//! as tables beside the events, kept exactly once). Meanwhile a process manager follows the log live and has the
//! warehouse reserve stock for each new order; the example prints what it decided, with the correlation and
//! causation ids that tie each reservation to its order.
//!
//! `cargo run -p orders-example [-- STORE] [--bus nats://127.0.0.1:4222]`: the store is the URL `STORE`
//! (`sqlite:orders.db`, `memory:`,
//! `postgres://USER@HOST/DATABASE?schema=NAME`), or a fresh SQLite file in the temporary folder. With `--bus`, the orders reach
//! the stock reservations over NATS JetStream instead: an outbox relay in this process publishes the store's events,
//! and an inventory process (this binary's `inventory` command, started as a child) consumes `OrderCreated` and
//! sends its own `Inventory` commands to the store.
//!
//! The two bus processes run on their own too, each until stopped:
//!
//! - `orders-example relay STORE --bus URL`: publishes the store's events, from the relay's checkpoint on;
//! - `orders-example inventory STORE --bus URL`: reserves stock for each order published.
//!
//! Both take `--stream NAME` (`ORDERS`) and `--prefix PREFIX` (`orders`).

use std::time::Duration;

use factum::{
    store::{postgres, sqlite, AnyStore, LogQuery},
    types::Uuid,
    Aggregate, CommandError, CommandService, EventStore, ExpectedVersion, Metadata, NewEvent, Progress,
    ProjectionRunner, Subscription,
};
use orders_example::{
    bus::{run_inventory, run_relay, BusOptions},
    reservations::{placed_orders, StockReservations},
    schema::{
        AddStock, CancelOrder, CreateOrder, Inventory, InventoryEvent, LineItem, Order, OrderCommand, OrderStatus,
        OrderSummary, PayOrder, ShipOrder,
    },
    OrderError, OrderTables, PostgresOrderTables, Summary,
};

type Service = CommandService<Order, AnyStore>;

/// The warehouse the example's stock is in.
const WAREHOUSE: &str = "main";

/// `OrderCreated` as the first release stored it (the schema's fixture).
const ORDER_CREATED_V1: &str = include_str!("../../../schemas/fixtures/orders/OrderCreated.v1.json");
/// `OrderCreated` as the second release stored it (the schema's fixture).
const ORDER_CREATED_V2: &str = include_str!("../../../schemas/fixtures/orders/OrderCreated.v2.json");

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run_example().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // Factum's errors spell out their causes in their messages.
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What the command line asks for.
enum Mode {
    /// The demo, with the process manager in this process or, with a bus, in a child.
    Demo { store: Option<String>, bus: Option<BusOptions> },
    /// The outbox relay alone.
    Relay { store: String, bus: BusOptions },
    /// The inventory process alone.
    Inventory { store: String, bus: BusOptions },
}

const USAGE: &str =
    "usage: orders-example [relay|inventory] [STORE | --store STORE] [--bus URL] [--stream NAME] [--prefix PREFIX]";

/// The command line: the store is given as `STORE` or, as the other examples take it, `--store STORE`.
fn parse_arguments(arguments: impl IntoIterator<Item = String>) -> Result<Mode, String> {
    let mut positional = Vec::new();
    let (mut store_flag, mut bus_url, mut stream, mut prefix) = (None, None, None, None);
    let mut arguments = arguments.into_iter();
    while let Some(argument) = arguments.next() {
        let slot = match argument.as_str() {
            "--store" => &mut store_flag,
            "--bus" => &mut bus_url,
            "--stream" => &mut stream,
            "--prefix" => &mut prefix,
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`\n{USAGE}")),
            _ => {
                positional.push(argument);
                continue;
            }
        };
        *slot = Some(arguments.next().ok_or_else(|| format!("`{argument}` takes a value\n{USAGE}"))?);
    }
    let bus = bus_url.map(|url| {
        let mut options = BusOptions::new(url);
        options.stream = stream.unwrap_or(options.stream);
        options.prefix = prefix.unwrap_or(options.prefix);
        options
    });
    let mut positional = positional.into_iter().peekable();
    let command = positional.next_if(|first| first == "relay" || first == "inventory");
    let store = match (store_flag, positional.next()) {
        (Some(_), Some(_)) => return Err(format!("the store is given twice: as `STORE` and as `--store`\n{USAGE}")),
        (flag, argument) => flag.or(argument),
    };
    let mode = match command.as_deref() {
        Some(command) => {
            let store = store.ok_or_else(|| format!("`{command}` takes a store URL\n{USAGE}"))?;
            let bus = bus.ok_or_else(|| format!("`{command}` takes `--bus URL`\n{USAGE}"))?;
            match command {
                "relay" => Mode::Relay { store, bus },
                _ => Mode::Inventory { store, bus },
            }
        }
        None => Mode::Demo { store, bus },
    };
    match positional.next() {
        Some(extra) => Err(format!("unexpected argument `{extra}`\n{USAGE}")),
        None => Ok(mode),
    }
}

async fn run_example() -> Result<(), Box<dyn std::error::Error>> {
    let (url, bus) = match parse_arguments(std::env::args().skip(1))? {
        Mode::Relay { store, bus } => {
            return Err(run_relay(AnyStore::connect(&store).await?, &bus).await.unwrap_err().into())
        }
        Mode::Inventory { store, bus } => {
            return Err(run_inventory(AnyStore::connect(&store).await?, &bus, WAREHOUSE).await.unwrap_err().into())
        }
        Mode::Demo { store, bus } => (store, bus),
    };
    let url = match url {
        Some(url) => url,
        None => {
            let path = std::env::temp_dir().join("factum-orders-example.sqlite");
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                // A missing file is what we want; any other problem shows up when the store opens it.
                let _ = std::fs::remove_file(file);
            }
            format!("sqlite:{}", path.display())
        }
    };
    println!("event store: {url}\n");
    let store = AnyStore::connect(&url).await?;
    let service = Service::new(store.clone());

    println!("== warehouse stock");
    let inventory = CommandService::<Inventory, _>::new(store.clone());
    for (sku, quantity) in [("book-rust", 5), ("book-sqlite", 1), ("chair", 4), ("sample sku", 40)] {
        inventory.handle(&WAREHOUSE.to_owned(), AddStock { sku: sku.into(), quantity }.into()).await?;
        println!("added    {quantity:>2} x {sku}");
    }
    // The process manager follows the orders live, from the start of the log, while the commands below run: in
    // this process on a subscription, or over the bus in the inventory process, fed by the relay in this one.
    let (mut manager, inventory_process) = match &bus {
        None => {
            let mut reservations = StockReservations::new(store.clone(), WAREHOUSE);
            let mut placed = placed_orders(store.clone(), 1);
            let manager = tokio::spawn(async move { placed.run(&mut reservations).await.map_err(|e| e.to_string()) });
            (manager, None)
        }
        Some(bus) => {
            if matches!(store, AnyStore::Memory(_)) {
                return Err("`--bus` needs a store the inventory process can open too, not `memory:`".into());
            }
            println!("event bus: {} (stream {}, subjects {}.>)", bus.url, bus.stream, bus.prefix);
            let child = std::process::Command::new(std::env::current_exe()?)
                .args(["inventory", &url, "--bus", &bus.url, "--stream", &bus.stream, "--prefix", &bus.prefix])
                .spawn()?;
            let (relayed, bus) = (store.clone(), bus.clone());
            let relay = tokio::spawn(async move { run_relay(relayed, &bus).await.map_err(|e| e.to_string()) });
            (relay, Some(ChildGuard(child)))
        }
    };
    println!();

    let books = Uuid::new_v4();
    let lamp = Uuid::new_v4();
    let chairs = Uuid::new_v4();
    let correlation = Uuid::new_v4();

    println!("== commands");
    run(&service, books, create("ada", &[("book-rust", 2, 3_500), ("book-sqlite", 1, 4_200)]), correlation).await?;
    run(&service, books, PayOrder { amount: 10_000 }.into(), correlation).await?;
    run(&service, books, PayOrder { amount: 11_200 }.into(), correlation).await?;
    run(&service, books, ShipOrder { carrier: Some("DHL".into()) }.into(), correlation).await?;
    run(&service, books, CancelOrder { reason: "changed my mind".into() }.into(), correlation).await?;

    run(&service, lamp, create("grace", &[("lamp", 1, 8_900)]), correlation).await?;
    run(&service, lamp, ShipOrder { carrier: None }.into(), correlation).await?;
    run(&service, lamp, CancelOrder { reason: "found a cheaper one".into() }.into(), correlation).await?;
    run(&service, lamp, PayOrder { amount: 8_900 }.into(), correlation).await?;

    run(&service, chairs, create("alan", &[("chair", 4, 12_000)]), correlation).await?;
    run(&service, chairs, PayOrder { amount: 48_000 }.into(), correlation).await?;

    // Orders placed by older builds: their `OrderCreated` is stored as v1 (no currency) and v2 (no customer id).
    // The payloads are the schema's fixtures, byte for byte what those builds wrote.
    println!("\n== orders written by older builds");
    let legacy_v1 = Uuid::new_v4();
    let legacy_v2 = Uuid::new_v4();
    for (id, version, payload) in [(legacy_v1, 1, ORDER_CREATED_V1), (legacy_v2, 2, ORDER_CREATED_V2)] {
        let stored = NewEvent::new("OrderCreated", version, payload.as_bytes()).with_aggregate_type(Order::NAME);
        service.store().append(&Order::stream_id(&id), ExpectedVersion::NoStream, vec![stored]).await?;
        let loaded = service.load(&id).await?;
        println!("stored OrderCreated v{version}, read as v3: {:?}", loaded.state);
    }
    run(&service, legacy_v1, PayOrder { amount: 2_048 }.into(), correlation).await?;
    run(&service, legacy_v2, ShipOrder { carrier: None }.into(), correlation).await?;
    run(&service, legacy_v2, CancelOrder { reason: "placed before the currency switch".into() }.into(), correlation)
        .await?;

    println!("\n== stock reservations (decided by the process manager, live)");
    let orders_placed = service.store().read_all(&LogQuery::all().events(["OrderCreated"])).await?.len();
    let decided = tokio::select! {
        decided = decisions(service.store(), orders_placed) => decided?,
        stopped = &mut manager => return Err(match stopped? {
            Err(error) => format!("the process manager (or the relay) stopped: {error}").into(),
        }),
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            return Err("the process manager did not decide every order within 10 s".into());
        }
    };
    manager.abort();
    drop(inventory_process);
    for line in decided {
        println!("{line}");
    }

    println!("\n== event log");
    for recorded in service.store().read_all(&LogQuery::all()).await? {
        let envelope = &recorded.envelope;
        println!(
            "#{:<3} {:<44} @{:<2} {} v{} {}",
            envelope.position,
            envelope.stream_id,
            envelope.stream_version,
            envelope.event_name,
            envelope.event_version,
            compact(&recorded.payload),
        );
    }

    println!("\n== states");
    for (label, id) in [("books", books), ("lamp", lamp), ("chairs", chairs), ("v1", legacy_v1), ("v2", legacy_v2)] {
        let loaded = service.load(&id).await?;
        println!("{label:<7} version {} {:?}", loaded.version, loaded.state);
    }

    println!("\n== OrderSummary projection, in memory");
    // The summary lives in this process, so the runner holds its checkpoint too.
    let mut runner = ProjectionRunner::held(service.store(), OrderSummary(Summary::default()));
    let next = runner.catch_up().await?;
    let summary = runner.into_projection().0;
    println!("read up to position {}", next - 1);
    for status in [OrderStatus::Placed, OrderStatus::Paid, OrderStatus::Shipped, OrderStatus::Cancelled] {
        println!("{:<10} {}", format!("{status:?}"), summary.count(status));
    }
    println!("ordered    {}", summary.ordered);
    println!("received   {}", summary.received);

    // The same summary as tables beside the events (in the SQLite file, or in the PostgreSQL schema), exactly once.
    let bar = || -> Result<indicatif::ProgressBar, indicatif::style::TemplateError> {
        let style =
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} events, {per_sec}, eta {eta}")?;
        Ok(indicatif::ProgressBar::new(0).with_style(style))
    };
    let (next, read) = match service.store() {
        AnyStore::Sqlite(store) => {
            println!("\n== OrderSummary projection, as tables in the store's file (exactly once)");
            let mut tables = sqlite::TransactionalRunner::new(store.clone(), OrderSummary(OrderTables)).batch_size(4);
            let bar = bar()?;
            let next = tables.rebuild(|progress: &Progress| show(&bar, progress)).await?;
            bar.finish();
            (next, store.read_tables(OrderTables::read).await?)
        }
        AnyStore::Postgres(store) => {
            println!("\n== OrderSummary projection, as tables in the store's schema (exactly once)");
            let tables = OrderSummary(PostgresOrderTables);
            let mut tables = postgres::TransactionalRunner::new(store.clone(), tables).batch_size(4);
            let bar = bar()?;
            let next = tables.rebuild(|progress: &Progress| show(&bar, progress)).await?;
            bar.finish();
            (next, PostgresOrderTables::read(store).await?)
        }
        // In memory (or on a backend added later): the summary above is the projection.
        _ => return Ok(()),
    };
    println!("checkpoint {next}: {} orders, ordered {}, received {}", read.orders.len(), read.ordered, read.received);
    Ok(())
}

/// The inventory process started for `--bus`, stopped when the demo ends (or fails).
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // It may have stopped already (and said why on its stderr); either way it must not outlive the demo.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Follows the inventory's events until `count` orders were decided, and describes each decision with the ids
/// that tie it to its order.
async fn decisions(store: &AnyStore, count: usize) -> Result<Vec<String>, factum::StoreError> {
    let mut inventory = Subscription::to_aggregate::<Inventory>(store, 1);
    let mut lines = Vec::new();
    while lines.len() < count {
        let (event, envelope) = inventory.next().await?;
        let decision = match event {
            InventoryEvent::StockReserved(reserved) => format!("reserved order {}", reserved.order_id),
            InventoryEvent::StockShort(short) => format!(
                "short    order {}: {} x {}, {} available",
                short.order_id, short.requested, short.sku, short.available
            ),
            InventoryEvent::StockAdded(_) => continue,
        };
        let ids = &envelope.metadata;
        let (caused_by, correlation) = (ids.causation_id.unwrap_or_default(), ids.correlation_id.unwrap_or_default());
        lines.push(format!("{decision}\n         caused by event {caused_by}, correlation {correlation}"));
    }
    Ok(lines)
}

/// Shows a rebuild's progress on a progress bar.
fn show(bar: &indicatif::ProgressBar, progress: &Progress) {
    bar.set_message(progress.projection);
    bar.set_length(progress.total.max(progress.done));
    bar.set_position(progress.done);
}

/// A payload on one line (fixtures are stored pretty-printed, as a reviewer reads them).
fn compact(payload: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(payload)
        .map_or_else(|_| String::from_utf8_lossy(payload).into_owned(), |value| value.to_string())
}

/// A short, readable form of a command for the log.
fn describe(command: &OrderCommand) -> String {
    match command {
        OrderCommand::CreateOrder(create) => {
            format!("CreateOrder for {} ({} lines)", create.customer_name, create.items.len())
        }
        OrderCommand::PayOrder(pay) => format!("PayOrder {}", pay.amount),
        OrderCommand::ShipOrder(ship) => format!("ShipOrder via {}", ship.carrier.as_deref().unwrap_or("any carrier")),
        OrderCommand::CancelOrder(cancel) => format!("CancelOrder ({})", cancel.reason),
    }
}

fn create(customer: &str, lines: &[(&str, u32, u64)]) -> OrderCommand {
    let items =
        lines.iter().map(|&(sku, quantity, unit_price)| LineItem { sku: sku.into(), quantity, unit_price }).collect();
    CreateOrder {
        customer_id: Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("customer:{customer}").as_bytes()),
        customer_name: customer.into(),
        items,
        currency: "EUR".into(),
    }
    .into()
}

/// Handles one command and prints what it did; a rejection by the rules is printed, anything else is an error.
async fn run(
    service: &Service,
    id: Uuid,
    command: OrderCommand,
    correlation: Uuid,
) -> Result<(), CommandError<OrderError>> {
    let shown = describe(&command);
    let metadata = Metadata::correlated(correlation).with_header("source", "orders-example");
    match service.handle_with(&id, command, metadata).await {
        Ok(handled) => {
            let names: Vec<_> = handled.events.iter().map(|event| factum::EventSet::name(event)).collect();
            println!("ok       {shown:<40} -> {} (stream at version {})", names.join(", "), handled.stream_version);
            Ok(())
        }
        Err(CommandError::Rejected(reason)) => {
            println!("rejected {shown:<40} -> {reason}");
            Ok(())
        }
        Err(error) => Err(error),
    }
}
