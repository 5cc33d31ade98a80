//! The customer registry on Factum: the types generated from `schemas/customers.factum` and the rules written
//! against them.
//!
//! The registry is an insert-only log in which every event carries a customer's full state. The rules: a customer
//! code is registered once and never reused, even after the customer is deleted; a deleted customer takes no more
//! commands; a name is not blank; categories are trimmed, non-blank, and kept once each in sorted order, so every
//! customer counts once per category.

/// The code generated from `schemas/customers.factum` by `build.rs`.
pub mod schema {
    factum::include_schema!("customers");
}

mod directory;
mod directory_postgres;
pub mod registry;
mod rules;

pub use directory::{CategoryCount, CustomerRow, Directory, DirectoryTables, TablesError};
pub use directory_postgres::{PostgresDirectoryTables, PostgresTablesError};
pub use rules::{normalized_categories, CustomerError};
