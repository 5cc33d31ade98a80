//! The order domain on Factum: the types generated from `schemas/orders.factum`, the business rules written
//! against them, and the one upcasting step written by hand.
//!
//! The rules: an order is created once, with at least one line; a payment must match the amount due, or it is
//! recorded as rejected; a cancelled order takes no payment; only a paid order ships, once; a shipped order cannot be
//! cancelled. A warehouse's inventory reserves each new order's lines, all or none, and is told to by a process
//! manager following the orders' events ([`reservations`]).

/// The code generated from `schemas/orders.factum` by `build.rs`.
pub mod schema {
    factum::include_schema!("orders");
}

pub mod bus;
mod inventory;
pub mod reservations;
mod rules;
mod summary;
mod table;
mod table_postgres;
pub mod upcasts;

pub use inventory::InventoryError;
pub use rules::{checked_total, total, OrderError};
pub use summary::Summary;
pub use table::{OrderTables, Tables};
pub use table_postgres::{PostgresOrderTables, PostgresTablesError};
