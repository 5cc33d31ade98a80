// A complete `OrderEvolve`, included by the cases that are about something else.
impl OrderEvolve for OrderState {
    fn order_created(&mut self, _: &OrderCreated) {}
    fn payment_received(&mut self, _: &PaymentReceived) {}
    fn payment_rejected(&mut self, _: &PaymentRejected) {}
    fn order_shipped(&mut self, _: &OrderShipped) {}
    fn order_cancelled(&mut self, _: &OrderCancelled) {}
}
