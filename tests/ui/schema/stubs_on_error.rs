// A schema with one error reports that error and nothing else: the code using the types, traits and values the
// schema declares compiles against stubs of them, so there is no cascade of "cannot find type `Order`", even from
// another module, where rustc does not hold back such errors by itself.
mod orders {
    factum::schema!("$FACTUM_UI_CASES/schema/one_error.factum");
}

use orders::*;

#[derive(Debug, thiserror::Error)]
#[error("rejected")]
pub struct Rejected;

impl OrderDecide for Order {
    type Error = Rejected;

    fn create_order(&self, state: &OrderState, command: CreateOrder) -> Result<OrderCreated, Rejected> {
        if state.status.is_some() {
            return Err(Rejected);
        }
        Ok(OrderCreated { customer: command.customer, items: command.items })
    }

    fn pay_order(&self, state: &OrderState, command: PayOrder) -> Result<PayOrderOutcome, Rejected> {
        if state.paid + command.amount > state.total {
            let reason = "more than the total".to_owned();
            return Ok(PaymentRejected { amount: command.amount, reason }.into());
        }
        Ok(PaymentReceived { amount: command.amount }.into())
    }

    fn ship_order(&self, _: &OrderState, command: ShipOrder) -> Result<OrderShipped, Rejected> {
        Ok(OrderShipped { carrier: command.carrier })
    }

    fn cancel_order(&self, _: &OrderState, command: CancelOrder) -> Result<OrderCancelled, Rejected> {
        Ok(OrderCancelled { reason: command.reason })
    }
}

include!("../common/evolve.rs");

/// One line per order.
struct Listing(Vec<String>);

impl OrderSummaryHandler for Listing {
    type Error = Rejected;

    fn order_created(&mut self, event: &OrderCreated, _: &factum::Envelope) -> Result<(), Rejected> {
        let total: u64 = event.items.iter().map(|item| item.unit_price * u64::from(item.quantity)).sum();
        self.0.push(format!("{}: {total}", event.customer));
        Ok(())
    }

    fn payment_received(&mut self, event: &PaymentReceived, _: &factum::Envelope) -> Result<(), Rejected> {
        self.0.push(format!("paid {}", event.amount));
        Ok(())
    }

    fn order_shipped(&mut self, event: &OrderShipped, _: &factum::Envelope) -> Result<(), Rejected> {
        self.0.push(format!("shipped by {:?}", event.carrier));
        Ok(())
    }

    fn order_cancelled(&mut self, event: &OrderCancelled, _: &factum::Envelope) -> Result<(), Rejected> {
        self.0.push(format!("cancelled: {}", event.reason));
        Ok(())
    }
}

fn is_aggregate<A: factum::Aggregate>(_: A) {}

fn is_projection<P: factum::Projection>(_: P) {}

fn main() {
    let item = LineItem { sku: "A-1".to_owned(), quantity: 2, unit_price: 350 };
    let command = OrderCommand::CreateOrder(CreateOrder { customer: "Ada".to_owned(), items: vec![item] });
    let _ = (command, OrderStatus::Paid);
    is_aggregate(Order);
    is_projection(OrderSummary(Listing(Vec::new())));
}
