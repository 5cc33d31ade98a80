//! The order rules: the typed decide methods for each command and the evolve methods for each event.

use crate::schema::{
    CancelOrder, CreateOrder, LineItem, Order, OrderCancelled, OrderCreated, OrderDecide, OrderEvolve, OrderShipped,
    OrderState, OrderStatus, PayOrder, PayOrderOutcome, PaymentReceived, PaymentRejected, ShipOrder,
};

/// Why the order aggregate rejects a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// `CreateOrder` on an order that exists.
    #[error("the order already exists")]
    AlreadyCreated,
    /// `CreateOrder` without lines.
    #[error("an order needs at least one line")]
    NoItems,
    /// `CreateOrder` whose total does not fit in a `u64`.
    #[error("the order's total is too large")]
    TotalTooLarge,
    /// Any other command on an order that was never created.
    #[error("there is no such order")]
    NotFound,
    /// `PayOrder` on an order that is already paid.
    #[error("the order is already paid")]
    AlreadyPaid,
    /// `PayOrder` or `ShipOrder` on a cancelled order.
    #[error("the order is cancelled")]
    Cancelled,
    /// `ShipOrder` on an order that is not paid.
    #[error("the order is not paid yet")]
    NotPaid,
    /// `ShipOrder` on an order that has shipped.
    #[error("the order has already shipped")]
    AlreadyShipped,
    /// `CancelOrder` on an order that has shipped.
    #[error("a shipped order cannot be cancelled")]
    CannotCancelShipped,
}

/// The sum of an order's lines, or `None` when it does not fit in a `u64`.
pub fn checked_total(items: &[LineItem]) -> Option<u64> {
    items.iter().try_fold(0u64, |total, item| total.checked_add(u64::from(item.quantity).checked_mul(item.unit_price)?))
}

/// The sum of an order's lines, saturating: folds must not panic on what is stored, whatever wrote it.
pub fn total(items: &[LineItem]) -> u64 {
    items
        .iter()
        .fold(0u64, |total, item| total.saturating_add(u64::from(item.quantity).saturating_mul(item.unit_price)))
}

impl OrderDecide for Order {
    type Error = OrderError;

    fn create_order(&self, state: &OrderState, command: CreateOrder) -> Result<OrderCreated, OrderError> {
        if state.status.is_some() {
            return Err(OrderError::AlreadyCreated);
        }
        if command.items.is_empty() {
            return Err(OrderError::NoItems);
        }
        if checked_total(&command.items).is_none() {
            return Err(OrderError::TotalTooLarge);
        }
        Ok(OrderCreated {
            customer_id: command.customer_id,
            customer_name: command.customer_name,
            items: command.items,
            currency: command.currency,
        })
    }

    fn pay_order(&self, state: &OrderState, command: PayOrder) -> Result<PayOrderOutcome, OrderError> {
        match state.status {
            None => Err(OrderError::NotFound),
            Some(OrderStatus::Cancelled) => Err(OrderError::Cancelled),
            Some(OrderStatus::Paid | OrderStatus::Shipped) => Err(OrderError::AlreadyPaid),
            Some(OrderStatus::Placed) => {
                let due = state.total.saturating_sub(state.paid);
                if command.amount == due {
                    Ok(PaymentReceived { amount: command.amount }.into())
                } else {
                    let reason = format!("the amount due is {due}, not {}", command.amount);
                    Ok(PaymentRejected { amount: command.amount, reason }.into())
                }
            }
        }
    }

    fn ship_order(&self, state: &OrderState, command: ShipOrder) -> Result<OrderShipped, OrderError> {
        match state.status {
            None => Err(OrderError::NotFound),
            Some(OrderStatus::Placed) => Err(OrderError::NotPaid),
            Some(OrderStatus::Cancelled) => Err(OrderError::Cancelled),
            Some(OrderStatus::Shipped) => Err(OrderError::AlreadyShipped),
            Some(OrderStatus::Paid) => Ok(OrderShipped { carrier: command.carrier }),
        }
    }

    fn cancel_order(&self, state: &OrderState, command: CancelOrder) -> Result<OrderCancelled, OrderError> {
        match state.status {
            None => Err(OrderError::NotFound),
            Some(OrderStatus::Shipped) => Err(OrderError::CannotCancelShipped),
            Some(OrderStatus::Cancelled) => Err(OrderError::Cancelled),
            Some(OrderStatus::Placed | OrderStatus::Paid) => Ok(OrderCancelled { reason: command.reason }),
        }
    }
}

impl OrderEvolve for OrderState {
    fn order_created(&mut self, event: &OrderCreated) {
        self.status = Some(OrderStatus::Placed);
        self.customer_id = Some(event.customer_id);
        self.customer_name.clone_from(&event.customer_name);
        self.currency.clone_from(&event.currency);
        self.total = total(&event.items);
    }

    fn payment_received(&mut self, event: &PaymentReceived) {
        self.paid = self.paid.saturating_add(event.amount);
        self.status = Some(OrderStatus::Paid);
    }

    fn payment_rejected(&mut self, _event: &PaymentRejected) {
        // A rejected payment is on record, but changes nothing about what is owed.
    }

    fn order_shipped(&mut self, _event: &OrderShipped) {
        self.status = Some(OrderStatus::Shipped);
    }

    fn order_cancelled(&mut self, _event: &OrderCancelled) {
        self.status = Some(OrderStatus::Cancelled);
    }
}
