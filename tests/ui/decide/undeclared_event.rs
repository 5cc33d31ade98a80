// `ShipOrder` may only record `OrderShipped`: returning any other event must not compile.
factum::schema!("$FACTUM_UI_CASES/common/orders.factum");

#[derive(Debug, thiserror::Error)]
#[error("rejected")]
pub struct Rejected;

impl OrderDecide for Order {
    type Error = Rejected;

    fn create_order(&self, _: &OrderState, command: CreateOrder) -> Result<OrderCreated, Rejected> {
        Ok(OrderCreated { customer: command.customer, items: command.items })
    }

    fn pay_order(&self, _: &OrderState, command: PayOrder) -> Result<PayOrderOutcome, Rejected> {
        Ok(PaymentReceived { amount: command.amount }.into())
    }

    fn ship_order(&self, _: &OrderState, _: ShipOrder) -> Result<OrderShipped, Rejected> {
        Ok(OrderCancelled { reason: "shipping is closed".into() })
    }

    fn cancel_order(&self, _: &OrderState, command: CancelOrder) -> Result<OrderCancelled, Rejected> {
        Ok(OrderCancelled { reason: command.reason })
    }
}

include!("../common/evolve.rs");

fn main() {}
