// `PayOrder` records exactly one of `PaymentReceived | PaymentRejected`: its outcome has no room for another event.
factum::schema!("$FACTUM_UI_CASES/common/orders.factum");

#[derive(Debug, thiserror::Error)]
#[error("rejected")]
pub struct Rejected;

impl OrderDecide for Order {
    type Error = Rejected;

    fn create_order(&self, _: &OrderState, command: CreateOrder) -> Result<OrderCreated, Rejected> {
        Ok(OrderCreated { customer: command.customer, items: command.items })
    }

    fn pay_order(&self, _: &OrderState, _: PayOrder) -> Result<PayOrderOutcome, Rejected> {
        Ok(OrderShipped { carrier: None }.into())
    }

    fn ship_order(&self, _: &OrderState, command: ShipOrder) -> Result<OrderShipped, Rejected> {
        Ok(OrderShipped { carrier: command.carrier })
    }

    fn cancel_order(&self, _: &OrderState, command: CancelOrder) -> Result<OrderCancelled, Rejected> {
        Ok(OrderCancelled { reason: command.reason })
    }
}

include!("../common/evolve.rs");

fn main() {}
