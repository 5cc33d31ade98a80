//! The stock reservation process manager: it follows `OrderCreated` events and asks the warehouse's `Inventory` to
//! reserve each new order's lines, carrying the order's correlation over and naming the event as the cause.

use factum::types::Uuid;
use factum::{
    Aggregate, CommandError, CommandService, Envelope, EventStore, Metadata, Subscription, SubscriptionHandler,
    Versioned,
};

use crate::inventory::InventoryError;
use crate::schema::{Inventory, Order, OrderCreated, OrderEvent, ReserveStock, StockLine};

/// The manager's name: the durable consumer's on the bus, and the namespace of its command ids.
pub const MANAGER: &str = "stock-reservations";

/// Reserves stock for every new order, in the warehouse `warehouse`.
///
/// Run it on [`placed_orders`] with [`Subscription::run`], or on [`crate::bus::placed_orders`] over NATS
/// JetStream with `BusConsumer::run`. It is handed each `OrderCreated` at least once: the reservation's command id is
/// derived from the event id ([`factum::bus::nats::command_id`]), so a second delivery is answered from the
/// inventory's stream with the first outcome; and the inventory decides each order once, rejecting a reservation
/// of an order already decided with [`InventoryError::AlreadyDecided`], which the manager takes as done.
#[derive(Debug, Clone)]
pub struct StockReservations<S> {
    inventory: CommandService<Inventory, S>,
    warehouse: String,
}

/// Why the process manager could not react to an event.
#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    /// The event's stream is not an order's (`Order-<uuid>`), so there is no order to reserve for.
    #[error("`{stream_id}` is not an order's stream")]
    NotAnOrder {
        /// The stream of the event.
        stream_id: String,
    },
    /// The inventory could not handle the reservation.
    #[error(transparent)]
    Inventory(#[from] CommandError<InventoryError>),
}

impl<S: EventStore> StockReservations<S> {
    /// A manager that reserves in `warehouse`, through `store`.
    pub fn new(store: S, warehouse: impl Into<String>) -> Self {
        StockReservations { inventory: CommandService::new(store), warehouse: warehouse.into() }
    }
}

/// What the manager follows: the orders' `OrderCreated` events (under every name they were stored under), from
/// `from_position` on.
pub fn placed_orders<S: EventStore>(store: S, from_position: u64) -> Subscription<S, OrderEvent> {
    Subscription::to_aggregate::<Order>(store, from_position).only(<OrderCreated as Versioned>::STORED_NAMES)
}

/// The order id in an order's stream id, `Order-<uuid>`.
fn order_id(stream_id: &str) -> Option<Uuid> {
    stream_id.strip_prefix(Order::NAME)?.strip_prefix('-')?.parse().ok()
}

impl<S: EventStore> SubscriptionHandler<OrderEvent> for StockReservations<S> {
    type Error = ReservationError;

    async fn handle(&mut self, event: &OrderEvent, envelope: &Envelope) -> Result<(), ReservationError> {
        let OrderEvent::OrderCreated(created) = event else { return Ok(()) };
        let order_id = order_id(&envelope.stream_id)
            .ok_or_else(|| ReservationError::NotAnOrder { stream_id: envelope.stream_id.clone() })?;
        let lines = created.items.iter().map(|item| StockLine { sku: item.sku.clone(), quantity: item.quantity });
        let command = ReserveStock { order_id, lines: lines.collect() };
        // The reservation is caused by this event, and belongs to the same request as the order.
        // The same event always sends the same command id, so a redelivered event is recognised in the stream.
        let metadata = Metadata::following(envelope)
            .with_command_id(factum::bus::nats::command_id(MANAGER, envelope))
            .with_header("process", MANAGER);
        match self.inventory.handle_with(&self.warehouse, command.into(), metadata).await {
            Ok(_) | Err(CommandError::Rejected(InventoryError::AlreadyDecided { .. })) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}
