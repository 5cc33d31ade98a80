// The rules of the order domain and the scenarios they pass, written once against the generated names: included in a
// module that declares the domain with `#[factum::domain]` and in one that expands `schemas/orders.factum`, so both
// routes must give these names the same meaning.

/// Why a command is rejected.
// Public, as the decide traits' error type must be; the test crate exports nothing, so it is unreachable.
#[allow(unreachable_pub)]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// The order or line already exists, or was already decided.
    #[error("already done")]
    AlreadyDone,
    /// There is no such order.
    #[error("there is no such order")]
    NotFound,
    /// The order is not in a state that allows the command.
    #[error("not now")]
    NotNow,
}

impl OrderCreatedUpcasts for OrderCreated {
    fn v2_to_v3(event: OrderCreatedV2) -> OrderCreatedV3 {
        let namespace = factum::types::Uuid::from_u128(0x6f1c_2d3e_4b5a_4c6d_8e7f_8091_a2b3_c4d5);
        OrderCreatedV3 {
            customer_id: factum::types::Uuid::new_v5(&namespace, event.customer.as_bytes()),
            customer_name: event.customer,
            items: event.items,
            currency: event.currency,
        }
    }
}

fn total(items: &[LineItem]) -> u64 {
    items.iter().map(|item| u64::from(item.quantity).saturating_mul(item.unit_price)).fold(0, u64::saturating_add)
}

impl OrderDecide for Order {
    type Error = Rejected;

    fn create_order(&self, state: &OrderState, command: CreateOrder) -> Result<OrderCreated, Rejected> {
        if state.status.is_some() {
            return Err(Rejected::AlreadyDone);
        }
        let CreateOrder { customer_id, customer_name, items, currency } = command;
        Ok(OrderCreated { customer_id, customer_name, items, currency })
    }

    fn pay_order(&self, state: &OrderState, command: PayOrder) -> Result<PayOrderOutcome, Rejected> {
        match state.status {
            None => Err(Rejected::NotFound),
            Some(OrderStatus::Placed) if command.amount == state.total - state.paid => {
                Ok(PaymentReceived { amount: command.amount }.into())
            }
            Some(OrderStatus::Placed) => {
                Ok(PaymentRejected { amount: command.amount, reason: "not the amount due".into() }.into())
            }
            Some(_) => Err(Rejected::NotNow),
        }
    }

    fn ship_order(&self, state: &OrderState, command: ShipOrder) -> Result<OrderShipped, Rejected> {
        match state.status {
            Some(OrderStatus::Paid) => Ok(OrderShipped { carrier: command.carrier }),
            None => Err(Rejected::NotFound),
            Some(_) => Err(Rejected::NotNow),
        }
    }

    fn cancel_order(&self, state: &OrderState, command: CancelOrder) -> Result<OrderCancelled, Rejected> {
        match state.status {
            Some(OrderStatus::Placed | OrderStatus::Paid) => Ok(OrderCancelled { reason: command.reason }),
            None => Err(Rejected::NotFound),
            Some(_) => Err(Rejected::NotNow),
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
        self.paid += event.amount;
        self.status = Some(OrderStatus::Paid);
    }

    fn payment_rejected(&mut self, _: &PaymentRejected) {}

    fn order_shipped(&mut self, _: &OrderShipped) {
        self.status = Some(OrderStatus::Shipped);
    }

    fn order_cancelled(&mut self, _: &OrderCancelled) {
        self.status = Some(OrderStatus::Cancelled);
    }
}

impl InventoryDecide for Inventory {
    type Error = Rejected;

    fn add_stock(&self, _: &InventoryState, command: AddStock) -> Result<StockAdded, Rejected> {
        Ok(StockAdded { sku: command.sku, quantity: command.quantity })
    }

    fn reserve_stock(&self, state: &InventoryState, command: ReserveStock) -> Result<ReserveStockOutcome, Rejected> {
        if state.decided_orders.contains(&command.order_id) {
            return Err(Rejected::AlreadyDone);
        }
        for line in &command.lines {
            let available = state.available.get(&line.sku).copied().unwrap_or(0);
            if available < u64::from(line.quantity) {
                let (order_id, sku, requested) = (command.order_id, line.sku.clone(), u64::from(line.quantity));
                return Ok(StockShort { order_id, sku, requested, available }.into());
            }
        }
        Ok(StockReserved { order_id: command.order_id, lines: command.lines }.into())
    }
}

impl InventoryEvolve for InventoryState {
    fn stock_added(&mut self, event: &StockAdded) {
        *self.available.entry(event.sku.clone()).or_default() += u64::from(event.quantity);
    }

    fn stock_reserved(&mut self, event: &StockReserved) {
        for line in &event.lines {
            *self.available.entry(line.sku.clone()).or_default() -= u64::from(line.quantity);
        }
        self.decided_orders.push(event.order_id);
    }

    fn stock_short(&mut self, event: &StockShort) {
        self.decided_orders.push(event.order_id);
    }
}

mod scenarios {
    use factum::{testing::AggregateTest, EventSet as _};

    use super::*;

    fn line(sku: &str, quantity: u32, unit_price: u64) -> LineItem {
        LineItem { sku: sku.into(), quantity, unit_price }
    }

    fn created() -> OrderEvent {
        let customer_id = factum::types::Uuid::from_u128(7);
        let items = vec![line("tea", 2, 150), line("cup", 1, 700)];
        OrderCreated { customer_id, customer_name: "ada".into(), items, currency: "EUR".into() }.into()
    }

    #[test]
    fn an_order_is_created_once() {
        let OrderEvent::OrderCreated(event) = created() else { unreachable!("created() is an OrderCreated") };
        let command = CreateOrder {
            customer_id: event.customer_id,
            customer_name: event.customer_name.clone(),
            items: event.items.clone(),
            currency: event.currency.clone(),
        };
        AggregateTest::<Order>::given_no_events()
            .when(command.clone())
            .then(vec![created()])
            .then_state(|state| assert_eq!((state.status, state.total), (Some(OrderStatus::Placed), 1000)));
        AggregateTest::<Order>::given([created()]).when(command).then_error(Rejected::AlreadyDone);
    }

    #[test]
    fn a_payment_of_the_amount_due_is_received_and_any_other_rejected() {
        AggregateTest::<Order>::given([created()])
            .when(PayOrder { amount: 1000 })
            .then(vec![PaymentReceived { amount: 1000 }.into()])
            .then_state(|state| assert_eq!(state.status, Some(OrderStatus::Paid)));
        AggregateTest::<Order>::given([created()])
            .when(PayOrder { amount: 999 })
            .then(vec![PaymentRejected { amount: 999, reason: "not the amount due".into() }.into()]);
        AggregateTest::<Order>::given_no_events().when(PayOrder { amount: 1 }).then_error(Rejected::NotFound);
    }

    #[test]
    fn only_a_paid_order_ships() {
        let paid = [created(), PaymentReceived { amount: 1000 }.into()];
        AggregateTest::<Order>::given(paid)
            .when(ShipOrder { carrier: Some("post".into()) })
            .then(vec![OrderShipped { carrier: Some("post".into()) }.into()]);
        AggregateTest::<Order>::given([created()]).when(ShipOrder { carrier: None }).then_error(Rejected::NotNow);
    }

    #[test]
    fn a_reservation_takes_all_its_lines_or_none() {
        let order_id = factum::types::Uuid::from_u128(9);
        let stocked = [StockAdded { sku: "tea".into(), quantity: 5 }.into()];
        let lines = vec![StockLine { sku: "tea".into(), quantity: 3 }, StockLine { sku: "cup".into(), quantity: 1 }];
        AggregateTest::<Inventory>::given(stocked.clone())
            .when(ReserveStock { order_id, lines: lines.clone() })
            .then(vec![StockShort { order_id, sku: "cup".into(), requested: 1, available: 0 }.into()]);
        AggregateTest::<Inventory>::given(stocked)
            .when(ReserveStock { order_id, lines: lines[..1].to_vec() })
            .then(vec![StockReserved { order_id, lines: lines[..1].to_vec() }.into()])
            .then_state(|state| assert_eq!(state.available.get("tea"), Some(&2)));
    }

    #[test]
    fn every_stored_version_of_an_order_reads_as_the_latest() {
        let v1 = br#"{"customer":"ada","items":[{"sku":"tea","quantity":2,"unit_price":150}]}"#;
        let OrderEvent::OrderCreated(read) = OrderEvent::decode("OrderCreated", 1, v1).unwrap() else {
            panic!("an OrderCreated reads as one")
        };
        assert_eq!((read.customer_name.as_str(), read.currency.as_str()), ("ada", "IDR"));
        let namespace = factum::types::Uuid::from_u128(0x6f1c_2d3e_4b5a_4c6d_8e7f_8091_a2b3_c4d5);
        assert_eq!(read.customer_id, factum::types::Uuid::new_v5(&namespace, b"ada"));
        let v2 = br#"{"customer":"bo","items":[],"currency":"EUR"}"#;
        let OrderEvent::OrderCreated(read) = OrderEvent::decode("OrderCreated", 2, v2).unwrap() else {
            panic!("an OrderCreated reads as one")
        };
        assert_eq!(read.currency, "EUR");
        assert!(OrderEvent::decode("OrderCreated", 4, v2).is_err(), "a version from the future is an error");
    }

    #[test]
    fn the_summary_projection_subscribes_to_the_declared_events() {
        assert_eq!(
            <OrderSummaryEvent as factum::EventSet>::NAMES,
            ["OrderCreated", "PaymentReceived", "OrderShipped", "OrderCancelled"]
        );
    }
}
