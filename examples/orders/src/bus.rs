//! The order domain over NATS JetStream: the outbox relay that publishes the store's events, and the inventory
//! process that consumes `OrderCreated` and reserves stock with its own commands.

use std::convert::Infallible;

use factum::bus::nats::{
    async_nats, BusConfig, BusConfigError, BusConsumer, ConsumerConfig, ConsumerError, OutboxRelay, RelayConfig,
    RelayError,
};
use factum::{CheckpointStore, EventStore, Versioned};

use crate::reservations::{ReservationError, StockReservations, MANAGER};
use crate::schema::{Order, OrderCreated, OrderEvent};

/// Where the example's events go on the bus: the server, the stream and the subject prefix.
#[derive(Debug, Clone)]
pub struct BusOptions {
    /// The server, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The JetStream stream, `ORDERS` unless set.
    pub stream: String,
    /// The subject prefix, `orders` unless set: `OrderCreated` is published under `orders.Order.OrderCreated`.
    pub prefix: String,
}

impl BusOptions {
    /// The server at `url`, with the default stream and prefix.
    pub fn new(url: impl Into<String>) -> Self {
        BusOptions { url: url.into(), stream: "ORDERS".into(), prefix: "orders".into() }
    }

    /// The stream and its subjects.
    pub fn config(&self) -> Result<BusConfig, BusConfigError> {
        BusConfig::new(&self.stream, &self.prefix)
    }

    /// Connects to the server.
    pub async fn connect(&self) -> Result<async_nats::Client, async_nats::ConnectError> {
        async_nats::connect(&self.url).await
    }
}

/// Why a bus process of the example stopped.
#[derive(Debug, thiserror::Error)]
pub enum BusProcessError {
    /// The options do not name a usable stream or subject prefix.
    #[error(transparent)]
    Config(#[from] BusConfigError),
    /// The NATS server could not be reached.
    #[error("cannot connect to NATS: {0}")]
    Connect(#[from] async_nats::ConnectError),
    /// The relay stopped.
    #[error(transparent)]
    Relay(#[from] RelayError),
    /// The inventory's consumer stopped (boxed: it names the event it stopped at).
    #[error(transparent)]
    Inventory(#[from] Box<ConsumerError<ReservationError>>),
    /// The inventory's consumer could not be set up.
    #[error(transparent)]
    Consumer(#[from] Box<ConsumerError>),
}

/// Publishes every event of `store` to the bus, committed and to come; returns only on an error that retrying
/// cannot cure (NATS being down is retried).
pub async fn run_relay<S>(store: S, options: &BusOptions) -> Result<Infallible, BusProcessError>
where
    S: EventStore + CheckpointStore,
{
    let client = options.connect().await?;
    let mut relay = OutboxRelay::start(store, client, RelayConfig::new(options.config()?)).await?;
    Ok(relay.run().await?)
}

/// The orders' `OrderCreated` events on the bus (under every name they were stored under), for the durable
/// consumer `durable`.
pub fn placed_orders(options: &BusOptions, durable: &str) -> Result<ConsumerConfig, BusConfigError> {
    let config = ConsumerConfig::new(options.config()?, durable)?;
    Ok(config.aggregate::<Order>().events(<OrderCreated as Versioned>::STORED_NAMES.iter().copied()))
}

/// The inventory process: consumes `OrderCreated` from the bus and has the inventory of `warehouse` in `store`
/// reserve each order's lines, idempotently by event id; runs until an error.
pub async fn run_inventory<S>(store: S, options: &BusOptions, warehouse: &str) -> Result<Infallible, BusProcessError>
where
    S: EventStore,
{
    let client = options.connect().await?;
    let mut consumer =
        BusConsumer::<OrderEvent>::bind(client, placed_orders(options, MANAGER)?).await.map_err(Box::new)?;
    let mut reservations = StockReservations::new(store, warehouse);
    Ok(consumer.run(&mut reservations).await.map_err(Box::new)?)
}
