// Every event a projection subscribes to needs its handler method: forgetting `order_cancelled` must not compile.
factum::schema!("$FACTUM_UI_CASES/common/orders.factum");

/// How many orders were placed.
#[derive(Default)]
pub struct Placed(u64);

impl OrderSummaryHandler for Placed {
    type Error = std::convert::Infallible;

    fn reset(&mut self, _: &()) -> Result<(), Self::Error> {
        self.0 = 0;
        Ok(())
    }

    fn order_created(&mut self, _: &OrderCreated, _: &factum::EventContext<'_, factum::types::Uuid>) -> Result<(), Self::Error> {
        self.0 += 1;
        Ok(())
    }

    fn payment_received(&mut self, _: &PaymentReceived, _: &factum::EventContext<'_, factum::types::Uuid>) -> Result<(), Self::Error> {
        Ok(())
    }

    fn order_shipped(&mut self, _: &OrderShipped, _: &factum::EventContext<'_, factum::types::Uuid>) -> Result<(), Self::Error> {
        Ok(())
    }
}

include!("../common/evolve.rs");

fn main() {}
