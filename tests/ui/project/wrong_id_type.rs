// A handler is given the typed id of the event's aggregate: taking an order's id as a number must not compile.
factum::schema!("$FACTUM_UI_CASES/common/orders.factum");

/// The last order placed.
#[derive(Default)]
pub struct Last(u64);

impl OrderSummaryHandler for Last {
    type Error = std::convert::Infallible;

    fn reset(&mut self, _: &()) -> Result<(), Self::Error> {
        Ok(())
    }

    fn order_created(&mut self, _: &OrderCreated, context: &factum::EventContext<'_, u64>) -> Result<(), Self::Error> {
        self.0 = *context.id;
        Ok(())
    }

    fn payment_received(&mut self, _: &PaymentReceived, _: &factum::EventContext<'_, factum::types::Uuid>) -> Result<(), Self::Error> {
        Ok(())
    }

    fn order_shipped(&mut self, _: &OrderShipped, _: &factum::EventContext<'_, factum::types::Uuid>) -> Result<(), Self::Error> {
        Ok(())
    }

    fn order_cancelled(&mut self, _: &OrderCancelled, _: &factum::EventContext<'_, factum::types::Uuid>) -> Result<(), Self::Error> {
        Ok(())
    }
}

include!("../common/evolve.rs");

fn main() {}
