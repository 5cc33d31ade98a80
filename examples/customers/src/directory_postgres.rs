//! The `CustomerDirectory` projection as tables in a PostgreSQL store's schema, kept exactly once by
//! `factum::store::postgres::TransactionalRunner`: the same handler trait, and the same incremental counts, as the
//! SQLite tables of `directory.rs`.

use factum::store::postgres::{tokio_postgres, PoolError, PostgresStore, ProjectionTransaction};
use factum::EventContext;

use crate::directory::{category_set, CategoryCount, CustomerRow};
use crate::schema::{CustomerChanged, CustomerDeleted, CustomerDirectoryHandler, CustomerRegistered};

const SETUP: &str = "
    CREATE TABLE IF NOT EXISTS directory_customers (
        id         text   PRIMARY KEY,
        name       text   NOT NULL,
        points     bigint NOT NULL,
        categories text[] NOT NULL
    );
    CREATE TABLE IF NOT EXISTS directory_categories (
        category  text   PRIMARY KEY,
        customers bigint NOT NULL
    );
";
const RESET: &str = "DROP TABLE IF EXISTS directory_customers; DROP TABLE IF EXISTS directory_categories;";
const CATEGORIES_OF: &str = "SELECT categories FROM directory_customers WHERE id = $1";
const DELETE_CUSTOMER: &str = "DELETE FROM directory_customers WHERE id = $1";
const INSERT_CUSTOMER: &str = "INSERT INTO directory_customers (id, name, points, categories) VALUES ($1, $2, $3, $4)";
const COUNT_IN: &str = "INSERT INTO directory_categories (category, customers) VALUES ($1, 1) \
                        ON CONFLICT (category) DO UPDATE SET customers = directory_categories.customers + 1";
const COUNT_OUT: &str = "UPDATE directory_categories SET customers = customers - 1 WHERE category = $1";
const DROP_EMPTY: &str = "DELETE FROM directory_categories WHERE customers <= 0";

/// Why the directory's PostgreSQL tables could not be updated or read.
#[derive(Debug, thiserror::Error)]
pub enum PostgresTablesError {
    /// PostgreSQL failed.
    #[error(transparent)]
    Sql(#[from] tokio_postgres::Error),
    /// No connection could be had from the store's pool.
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// The directory as tables in a PostgreSQL store's schema: `directory_customers` (one row per current customer) and
/// `directory_categories` (the running count per category).
#[derive(Debug, Clone, Copy, Default)]
pub struct PostgresDirectoryTables;

impl PostgresDirectoryTables {
    /// The current customers and the categories that have customers, read from `store`'s schema, by id and by name,
    /// in one read-only transaction, so that both are of the same commit.
    pub async fn read(store: &PostgresStore) -> Result<(Vec<CustomerRow>, Vec<CategoryCount>), PostgresTablesError> {
        let mut client = store.pool().get().await?;
        let client = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let schema = store.schema();
        let customers = format!("SELECT id, name, points, categories FROM {schema}.directory_customers ORDER BY id");
        let customers = client.query(&customers, &[]).await?;
        let customers = customers
            .iter()
            .map(|row| CustomerRow { id: row.get(0), name: row.get(1), points: row.get(2), categories: row.get(3) })
            .collect();
        let categories = format!(
            "SELECT category, customers FROM {schema}.directory_categories WHERE customers > 0 ORDER BY category"
        );
        let categories = client.query(&categories, &[]).await?;
        let categories = categories
            .iter()
            .map(|row| CategoryCount { category: row.get(0), customers: row.get::<_, i64>(1).max(0) as u64 })
            .collect();
        client.commit().await?;
        Ok((customers, categories))
    }

    /// Takes the customer out of the directory: its row, and one from the count of each category it was in.
    fn remove(db: &ProjectionTransaction, id: &str) -> Result<(), PostgresTablesError> {
        let Some(row) = db.query_opt(CATEGORIES_OF, &[&id])? else { return Ok(()) };
        let categories: Vec<String> = row.try_get(0)?;
        for category in &categories {
            db.execute(COUNT_OUT, &[category])?;
        }
        db.execute(DROP_EMPTY, &[])?;
        db.execute(DELETE_CUSTOMER, &[&id])?;
        Ok(())
    }

    /// Puts the customer's full state in the directory, replacing what it held.
    fn put(
        db: &ProjectionTransaction,
        id: &str,
        name: &str,
        points: i64,
        categories: &[String],
    ) -> Result<(), PostgresTablesError> {
        Self::remove(db, id)?;
        let categories = category_set(categories);
        db.execute(INSERT_CUSTOMER, &[&id, &name, &points, &categories])?;
        for category in &categories {
            db.execute(COUNT_IN, &[category])?;
        }
        Ok(())
    }
}

impl CustomerDirectoryHandler<ProjectionTransaction> for PostgresDirectoryTables {
    type Error = PostgresTablesError;

    fn setup(&mut self, db: &ProjectionTransaction) -> Result<(), PostgresTablesError> {
        Ok(db.batch_execute(SETUP)?)
    }

    fn reset(&mut self, db: &ProjectionTransaction) -> Result<(), PostgresTablesError> {
        Ok(db.batch_execute(RESET)?)
    }

    fn customer_registered(
        &mut self,
        event: &CustomerRegistered,
        context: &EventContext<'_, String, ProjectionTransaction>,
    ) -> Result<(), PostgresTablesError> {
        Self::put(context.db, context.id, &event.name, event.points, &event.categories)
    }

    fn customer_changed(
        &mut self,
        event: &CustomerChanged,
        context: &EventContext<'_, String, ProjectionTransaction>,
    ) -> Result<(), PostgresTablesError> {
        Self::put(context.db, context.id, &event.name, event.points, &event.categories)
    }

    fn customer_deleted(
        &mut self,
        _: &CustomerDeleted,
        context: &EventContext<'_, String, ProjectionTransaction>,
    ) -> Result<(), PostgresTablesError> {
        Self::remove(context.db, context.id)
    }
}
