// The order domain of `schemas/orders.factum`, declared in Rust with `#[factum::domain]`: the same events, versions,
// upcasts, types, aggregates, commands and projection, in the same order, with the same docs.

/// The order domain, declared with derives.
#[factum::domain]
pub mod orders {
    use factum::types::Uuid;

    /// A line on an order: so many units of one product.
    #[data]
    pub struct LineItem {
        /// The product's stock-keeping unit.
        pub sku: String,
        /// How many units were ordered.
        pub quantity: u32,
        /// The price of one unit, in cents.
        pub unit_price: u64,
    }

    /// Where an order is in its life.
    #[data]
    pub enum OrderStatus {
        /// Placed, waiting for payment.
        Placed,
        /// Paid in full, waiting to be shipped.
        Paid,
        /// Handed to a carrier.
        Shipped,
        /// Cancelled before it was shipped.
        Cancelled,
    }

    /// An order was placed (the first release: the customer by name only).
    #[event(name = "OrderCreated", version = 1, upcast(currency = "IDR"))]
    pub struct OrderCreatedV1 {
        /// Who placed the order.
        pub customer: String,
        /// What was ordered.
        pub items: Vec<LineItem>,
    }

    /// An order was placed (the second release: prices got a currency).
    #[event(name = "OrderCreated", version = 2, upcast(custom))]
    pub struct OrderCreatedV2 {
        /// Who placed the order.
        pub customer: String,
        /// What was ordered.
        pub items: Vec<LineItem>,
        /// The ISO 4217 code of the prices' currency.
        pub currency: String,
    }

    /// An order was placed.
    #[event(version = 3)]
    pub struct OrderCreated {
        /// The customer's id in the customer registry.
        pub customer_id: Uuid,
        /// The customer's name when the order was placed.
        pub customer_name: String,
        /// What was ordered.
        pub items: Vec<LineItem>,
        /// The ISO 4217 code of the prices' currency.
        pub currency: String,
    }

    /// A payment was accepted towards an order.
    #[event]
    pub struct PaymentReceived {
        /// The amount paid, in cents.
        pub amount: u64,
    }

    /// A payment was refused.
    #[event]
    pub struct PaymentRejected {
        /// The amount that was offered, in cents.
        pub amount: u64,
        /// Why the payment was refused.
        pub reason: String,
    }

    /// An order was handed to a carrier.
    #[event]
    pub struct OrderShipped {
        /// The carrier, when one was chosen.
        pub carrier: Option<String>,
    }

    /// An order was cancelled.
    #[event]
    pub struct OrderCancelled {
        /// Why the order was cancelled.
        pub reason: String,
    }

    /// An order: placed once, then paid, shipped or cancelled.
    #[aggregate(id = Uuid)]
    pub struct Order;

    /// What is known about one `Order`: the fold of its events.
    pub struct OrderState {
        /// Where the order is; `None` until it is placed.
        pub status: Option<OrderStatus>,
        /// Who placed the order.
        pub customer_id: Option<Uuid>,
        /// The customer's name when the order was placed.
        pub customer_name: String,
        /// The currency of the order's prices.
        pub currency: String,
        /// The order's total, in cents.
        pub total: u64,
        /// How much has been paid so far, in cents.
        pub paid: u64,
    }

    /// Places a new order.
    #[command(aggregate = Order, emits(OrderCreated))]
    pub struct CreateOrder {
        /// The customer's id in the customer registry.
        pub customer_id: Uuid,
        /// The customer's name.
        pub customer_name: String,
        /// What is ordered.
        pub items: Vec<LineItem>,
        /// The ISO 4217 code of the prices' currency.
        pub currency: String,
    }

    /// Pays towards an order: accepted or rejected.
    #[command(aggregate = Order, emits(PaymentReceived | PaymentRejected))]
    pub struct PayOrder {
        /// The amount paid, in cents.
        pub amount: u64,
    }

    /// Ships a paid order.
    #[command(aggregate = Order, emits(OrderShipped))]
    pub struct ShipOrder {
        /// The carrier to hand it to, if already chosen.
        pub carrier: Option<String>,
    }

    /// Cancels an order that has not shipped.
    #[command(aggregate = Order, emits(OrderCancelled))]
    pub struct CancelOrder {
        /// Why the order is cancelled.
        pub reason: String,
    }

    /// A one-line summary of every order, for listings.
    #[projection(on(OrderCreated, PaymentReceived, OrderShipped, OrderCancelled))]
    pub struct OrderSummary;

    /// A line of a stock reservation: so many units of one product.
    #[data]
    pub struct StockLine {
        /// The product's stock-keeping unit.
        pub sku: String,
        /// How many units.
        pub quantity: u32,
    }

    /// Units of a product arrived in the warehouse.
    #[event]
    pub struct StockAdded {
        /// The product's stock-keeping unit.
        pub sku: String,
        /// How many units arrived.
        pub quantity: u32,
    }

    /// Stock was set aside for an order.
    #[event]
    pub struct StockReserved {
        /// The order the stock is set aside for.
        pub order_id: Uuid,
        /// What was set aside.
        pub lines: Vec<StockLine>,
    }

    /// An order could not be reserved: a product is short, and nothing was set aside.
    #[event]
    pub struct StockShort {
        /// The order that could not be reserved.
        pub order_id: Uuid,
        /// The first product that is short.
        pub sku: String,
        /// How many units the order asks for.
        pub requested: u64,
        /// How many units are available.
        pub available: u64,
    }

    /// A warehouse's stock: units arrive, and orders reserve them, all of an order or none of it.
    #[aggregate(id = String)]
    pub struct Inventory;

    /// What is known about one `Inventory`: the fold of its events.
    pub struct InventoryState {
        /// The units of each product that are neither reserved nor shipped.
        pub available: factum::types::Map<String, u64>,
        /// The orders stock was reserved for, or found short for: each is decided once.
        pub decided_orders: Vec<Uuid>,
    }

    /// Adds units of a product.
    #[command(aggregate = Inventory, emits(StockAdded))]
    pub struct AddStock {
        /// The product's stock-keeping unit.
        pub sku: String,
        /// How many units arrived.
        pub quantity: u32,
    }

    /// Reserves an order's lines, all of them or none.
    #[command(aggregate = Inventory, emits(StockReserved | StockShort))]
    pub struct ReserveStock {
        /// The order to reserve for.
        pub order_id: Uuid,
        /// What the order asks for.
        pub lines: Vec<StockLine>,
    }
}
