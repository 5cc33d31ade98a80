//! The `CustomerDirectory` projection: the current customers, and how many customers each category has.
//!
//! It is written three times against the same generated handler trait: [`DirectoryTables`], tables in the store's
//! own SQLite file kept exactly once by `factum::store::sqlite::TransactionalRunner` (and their PostgreSQL twin in
//! `directory_postgres.rs`), and [`Directory`], held in memory, for time travel (a fresh read model folded over the
//! log as it stood at an instant) and for stores without tables.
//!
//! Every event carries a customer's full state, so each handler replaces what it knew of the customer. The count per
//! category is kept incrementally: each event takes the customer out of the categories it was in and adds it to those
//! it is in now. Applying an event twice, or skipping one, would show in the counts, which is what the exactly-once
//! runner is there to prevent. A customer counts once per category, even if an imported event lists a category twice.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;

use factum::store::sqlite::{rusqlite, Connection};
use factum::EventContext;

use crate::schema::{CustomerChanged, CustomerDeleted, CustomerDirectoryHandler, CustomerRegistered};

/// One current customer, as `list` prints it: the fields in this order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CustomerRow {
    /// The customer code.
    pub id: String,
    /// The customer's name.
    pub name: String,
    /// The customer's loyalty points.
    pub points: i64,
    /// The customer's categories, each once, sorted.
    pub categories: Vec<String>,
}

/// How many current customers a category has, as `categories` prints it: the fields in this order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CategoryCount {
    /// The category.
    pub category: String,
    /// How many current customers are in it.
    pub customers: u64,
}

/// A customer's categories as the directory keeps them: each once, sorted.
pub(crate) fn category_set(categories: &[String]) -> Vec<String> {
    categories.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}

/// The directory held in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    customers: BTreeMap<String, CustomerRow>,
    categories: BTreeMap<String, u64>,
}

impl Directory {
    /// The current customers, by id.
    pub fn customers(&self) -> Vec<CustomerRow> {
        self.customers.values().cloned().collect()
    }

    /// The categories that have customers, by name.
    pub fn categories(&self) -> Vec<CategoryCount> {
        self.categories
            .iter()
            .map(|(category, &customers)| CategoryCount { category: category.clone(), customers })
            .collect()
    }

    fn remove(&mut self, id: &str) {
        let Some(old) = self.customers.remove(id) else { return };
        for category in old.categories {
            if let Some(count) = self.categories.get_mut(&category) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.categories.remove(&category);
                }
            }
        }
    }

    fn put(&mut self, id: &str, name: &str, points: i64, categories: &[String]) {
        self.remove(id);
        let categories = category_set(categories);
        for category in &categories {
            *self.categories.entry(category.clone()).or_default() += 1;
        }
        let row = CustomerRow { id: id.to_owned(), name: name.to_owned(), points, categories };
        self.customers.insert(id.to_owned(), row);
    }
}

impl CustomerDirectoryHandler for Directory {
    type Error = Infallible;

    fn reset(&mut self, _: &()) -> Result<(), Infallible> {
        *self = Directory::default();
        Ok(())
    }

    fn customer_registered(
        &mut self,
        event: &CustomerRegistered,
        context: &EventContext<'_, String>,
    ) -> Result<(), Infallible> {
        self.put(context.id, &event.name, event.points, &event.categories);
        Ok(())
    }

    fn customer_changed(
        &mut self,
        event: &CustomerChanged,
        context: &EventContext<'_, String>,
    ) -> Result<(), Infallible> {
        self.put(context.id, &event.name, event.points, &event.categories);
        Ok(())
    }

    fn customer_deleted(&mut self, _: &CustomerDeleted, context: &EventContext<'_, String>) -> Result<(), Infallible> {
        self.remove(context.id);
        Ok(())
    }
}

const SETUP: &str = "
    CREATE TABLE IF NOT EXISTS directory_customers (
        id         TEXT    PRIMARY KEY,
        name       TEXT    NOT NULL,
        points     INTEGER NOT NULL,
        categories TEXT    NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS directory_categories (
        category  TEXT    PRIMARY KEY,
        customers INTEGER NOT NULL
    ) STRICT;
";
const RESET: &str = "DROP TABLE IF EXISTS directory_customers; DROP TABLE IF EXISTS directory_categories;";
const CATEGORIES_OF: &str = "SELECT categories FROM directory_customers WHERE id = ?1";
const DELETE_CUSTOMER: &str = "DELETE FROM directory_customers WHERE id = ?1";
const INSERT_CUSTOMER: &str = "INSERT INTO directory_customers (id, name, points, categories) VALUES (?1, ?2, ?3, ?4)";
const COUNT_IN: &str = "INSERT INTO directory_categories (category, customers) VALUES (?1, 1) \
                        ON CONFLICT (category) DO UPDATE SET customers = customers + 1";
const COUNT_OUT: &str = "UPDATE directory_categories SET customers = customers - 1 WHERE category = ?1";
const DROP_EMPTY: &str = "DELETE FROM directory_categories WHERE customers <= 0";

/// Why the directory's tables could not be updated or read.
#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    /// SQLite failed.
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    /// A customer's stored categories are not the JSON list the directory writes.
    #[error("the categories stored for customer `{id}` are unreadable: {source}")]
    Categories {
        /// The customer.
        id: String,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
}

/// The directory as tables in the store's SQLite file: `directory_customers` (one row per current customer) and
/// `directory_categories` (the running count per category).
#[derive(Debug, Clone, Copy, Default)]
pub struct DirectoryTables;

impl DirectoryTables {
    /// The current customers, by id.
    pub fn customers(db: &Connection) -> rusqlite::Result<Vec<CustomerRow>> {
        let mut statement = db.prepare("SELECT id, name, points, categories FROM directory_customers ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            let categories: String = row.get(3)?;
            let categories = serde_json::from_str(&categories).map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, error.into())
            })?;
            Ok(CustomerRow { id: row.get(0)?, name: row.get(1)?, points: row.get(2)?, categories })
        })?;
        rows.collect()
    }

    /// The categories that have customers, by name.
    pub fn categories(db: &Connection) -> rusqlite::Result<Vec<CategoryCount>> {
        let mut statement =
            db.prepare("SELECT category, customers FROM directory_categories WHERE customers > 0 ORDER BY category")?;
        let rows = statement.query_map([], |row| {
            let customers: i64 = row.get(1)?;
            Ok(CategoryCount { category: row.get(0)?, customers: customers.max(0) as u64 })
        })?;
        rows.collect()
    }

    /// Takes the customer out of the directory: its row, and one from the count of each category it was in.
    fn remove(db: &Connection, id: &str) -> Result<(), TablesError> {
        let stored: Option<String> = db
            .prepare_cached(CATEGORIES_OF)?
            .query_row([id], |row| row.get(0))
            .map(Some)
            .or_else(|error| if error == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(error) })?;
        let Some(stored) = stored else { return Ok(()) };
        let categories: Vec<String> =
            serde_json::from_str(&stored).map_err(|source| TablesError::Categories { id: id.to_owned(), source })?;
        let mut count_out = db.prepare_cached(COUNT_OUT)?;
        for category in &categories {
            count_out.execute([category])?;
        }
        db.prepare_cached(DROP_EMPTY)?.execute([])?;
        db.prepare_cached(DELETE_CUSTOMER)?.execute([id])?;
        Ok(())
    }

    /// Puts the customer's full state in the directory, replacing what it held.
    fn put(db: &Connection, id: &str, name: &str, points: i64, categories: &[String]) -> Result<(), TablesError> {
        Self::remove(db, id)?;
        let categories = category_set(categories);
        let stored = serde_json::to_string(&categories)
            .map_err(|source| TablesError::Categories { id: id.to_owned(), source })?;
        db.prepare_cached(INSERT_CUSTOMER)?.execute(rusqlite::params![id, name, points, stored])?;
        let mut count_in = db.prepare_cached(COUNT_IN)?;
        for category in &categories {
            count_in.execute([category])?;
        }
        Ok(())
    }
}

impl CustomerDirectoryHandler<Connection> for DirectoryTables {
    type Error = TablesError;

    fn setup(&mut self, db: &Connection) -> Result<(), TablesError> {
        Ok(db.execute_batch(SETUP)?)
    }

    fn reset(&mut self, db: &Connection) -> Result<(), TablesError> {
        Ok(db.execute_batch(RESET)?)
    }

    fn customer_registered(
        &mut self,
        event: &CustomerRegistered,
        context: &EventContext<'_, String, Connection>,
    ) -> Result<(), TablesError> {
        Self::put(context.db, context.id, &event.name, event.points, &event.categories)
    }

    fn customer_changed(
        &mut self,
        event: &CustomerChanged,
        context: &EventContext<'_, String, Connection>,
    ) -> Result<(), TablesError> {
        Self::put(context.db, context.id, &event.name, event.points, &event.categories)
    }

    fn customer_deleted(
        &mut self,
        _: &CustomerDeleted,
        context: &EventContext<'_, String, Connection>,
    ) -> Result<(), TablesError> {
        Self::remove(context.db, context.id)
    }
}
