//! What the example's commands do with a store: bring the `CustomerDirectory` projection up to date, and read the
//! registry now (from the projection) or as of an instant (by time travel over the log).

use std::convert::Infallible;

use factum::store::sqlite::TransactionalRunner;
use factum::store::AnyStore;
use factum::{project_as_of, LogAsOf, ProjectionError, ProjectionRunner, StoreError, Timestamp};

use crate::directory::{CategoryCount, CustomerRow, Directory, DirectoryTables, TablesError};
use crate::directory_postgres::{PostgresDirectoryTables, PostgresTablesError};
use crate::schema::CustomerDirectory;

/// Why the registry could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The projection's tables in the store's file stopped at an event, or could not be read.
    #[error(transparent)]
    Tables(#[from] ProjectionError<TablesError>),
    /// The projection's tables in the store's PostgreSQL schema stopped at an event.
    #[error(transparent)]
    PostgresTables(#[from] ProjectionError<PostgresTablesError>),
    /// The projection's tables in the store's PostgreSQL schema could not be read.
    #[error(transparent)]
    PostgresRead(#[from] PostgresTablesError),
    /// The projection in memory stopped at an event (one that cannot be decoded, or in a stream of no customer).
    #[error(transparent)]
    Memory(#[from] ProjectionError<Infallible>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The registry at one point: the current customers and the number of customers per category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    /// The customers who are registered and not deleted, by id.
    pub customers: Vec<CustomerRow>,
    /// The categories that have customers, by name.
    pub categories: Vec<CategoryCount>,
}

impl From<Directory> for Registry {
    fn from(directory: Directory) -> Self {
        Registry { customers: directory.customers(), categories: directory.categories() }
    }
}

/// Brings the `CustomerDirectory` projection up to date and returns its checkpoint (the position it continues from).
///
/// On an SQLite store the projection is the `directory_*` tables in the store's file, on a PostgreSQL store in its
/// schema, kept exactly once; on a store in memory it is folded in memory, from the start.
pub async fn project(store: &AnyStore) -> Result<u64, RegistryError> {
    match store {
        AnyStore::Sqlite(store) => {
            let mut runner = TransactionalRunner::new(store.clone(), CustomerDirectory(DirectoryTables));
            Ok(runner.catch_up().await?)
        }
        AnyStore::Postgres(store) => {
            let tables = CustomerDirectory(PostgresDirectoryTables);
            let mut runner = factum::store::postgres::TransactionalRunner::new(store.clone(), tables);
            Ok(runner.catch_up().await?)
        }
        // Any other store (in memory, or a backend added later): the directory is folded in memory, from the start.
        _ => {
            let mut runner = ProjectionRunner::held(store, CustomerDirectory(Directory::default()));
            Ok(runner.catch_up().await?)
        }
    }
}

/// The registry now: the projection brought up to date, then read (on SQLite, in one read transaction).
pub async fn now(store: &AnyStore) -> Result<Registry, RegistryError> {
    match store {
        AnyStore::Sqlite(sqlite) => {
            project(store).await?;
            let read = sqlite
                .read_tables(|db| {
                    Ok(Registry {
                        customers: DirectoryTables::customers(db)?,
                        categories: DirectoryTables::categories(db)?,
                    })
                })
                .await?;
            Ok(read)
        }
        AnyStore::Postgres(postgres) => {
            project(store).await?;
            let (customers, categories) = PostgresDirectoryTables::read(postgres).await?;
            Ok(Registry { customers, categories })
        }
        // Any other store (in memory, or a backend added later): the directory is folded in memory, from the start.
        _ => {
            let mut runner = ProjectionRunner::held(store, CustomerDirectory(Directory::default()));
            runner.catch_up().await?;
            Ok(runner.into_projection().0.into())
        }
    }
}

/// The registry as it stood before `instant`: a fresh directory folded over the events recorded strictly before it,
/// wherever they sit in the log. The projection's tables are not touched.
pub async fn as_of(store: &AnyStore, instant: Timestamp) -> Result<Registry, RegistryError> {
    let directory = project_as_of(store, CustomerDirectory(Directory::default()), LogAsOf::Time(instant)).await?;
    Ok(directory.0.into())
}

/// The registry now, or as of `instant` when one is given.
pub async fn read(store: &AnyStore, instant: Option<Timestamp>) -> Result<Registry, RegistryError> {
    match instant {
        Some(instant) => as_of(store, instant).await,
        None => now(store).await,
    }
}
