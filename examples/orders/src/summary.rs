//! The `OrderSummary` projection's handlers: counts and sums over every order, folded from the global log.

use std::{collections::BTreeMap, convert::Infallible};

use factum::{types::Uuid, EventContext};

use crate::schema::{OrderCancelled, OrderCreated, OrderShipped, OrderStatus, OrderSummaryHandler, PaymentReceived};

/// What the `OrderSummary` projection knows: every order's status, and totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Each order's status, by order id.
    pub orders: BTreeMap<Uuid, OrderStatus>,
    /// The sum of all orders' totals.
    pub ordered: u64,
    /// The sum of all payments received.
    pub received: u64,
}

impl Summary {
    /// How many orders are in `status`.
    pub fn count(&self, status: OrderStatus) -> usize {
        self.orders.values().filter(|&&current| current == status).count()
    }
}

impl OrderSummaryHandler for Summary {
    type Error = Infallible;

    fn reset(&mut self, _db: &()) -> Result<(), Infallible> {
        *self = Summary::default();
        Ok(())
    }

    fn order_created(&mut self, event: &OrderCreated, context: &EventContext<'_, Uuid>) -> Result<(), Infallible> {
        self.orders.insert(*context.id, OrderStatus::Placed);
        self.ordered = self.ordered.saturating_add(crate::total(&event.items));
        Ok(())
    }

    fn payment_received(
        &mut self,
        event: &PaymentReceived,
        context: &EventContext<'_, Uuid>,
    ) -> Result<(), Infallible> {
        self.orders.insert(*context.id, OrderStatus::Paid);
        self.received = self.received.saturating_add(event.amount);
        Ok(())
    }

    fn order_shipped(&mut self, _event: &OrderShipped, context: &EventContext<'_, Uuid>) -> Result<(), Infallible> {
        self.orders.insert(*context.id, OrderStatus::Shipped);
        Ok(())
    }

    fn order_cancelled(&mut self, _event: &OrderCancelled, context: &EventContext<'_, Uuid>) -> Result<(), Infallible> {
        self.orders.insert(*context.id, OrderStatus::Cancelled);
        Ok(())
    }
}
