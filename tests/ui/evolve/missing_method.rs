// Every event of an aggregate needs its evolve method: forgetting `order_cancelled` must not compile.
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

    fn ship_order(&self, _: &OrderState, command: ShipOrder) -> Result<OrderShipped, Rejected> {
        Ok(OrderShipped { carrier: command.carrier })
    }

    fn cancel_order(&self, _: &OrderState, command: CancelOrder) -> Result<OrderCancelled, Rejected> {
        Ok(OrderCancelled { reason: command.reason })
    }
}

impl OrderEvolve for OrderState {
    fn order_created(&mut self, _: &OrderCreated) {}
    fn payment_received(&mut self, _: &PaymentReceived) {}
    fn payment_rejected(&mut self, _: &PaymentRejected) {}
    fn order_shipped(&mut self, _: &OrderShipped) {}
}

fn main() {}
