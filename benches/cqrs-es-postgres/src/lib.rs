//! Factum's PostgreSQL store side by side with `postgres-es` (cqrs-es on PostgreSQL): the bank account of
//! `factum-cqrs-es`, on the same server, each side in a schema of its own.
//!
//! - [`factum_store`]: Factum's `PostgresStore` in a fresh schema (it creates its own tables).
//! - [`postgres_es_store`]: a `postgres-es` `PostgresEventRepository` behind cqrs-es's `PersistedEventStore`, in a
//!   fresh schema where the tables of postgres-es's `db/init.sql` are created, reached through `search_path`.
//! - [`Schemas`]: the schemas a run created, dropped when it is dropped (a failing test included).
//!
//! Both sides' sessions run with the same durability: `synchronous_commit` as [`SYNCHRONOUS_COMMIT`] says, set in
//! each connection's options, so that the server's setting (or its default) cannot differ between them.

use std::sync::Mutex;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{AggregateError, EventStore};
use factum::store::postgres::PostgresStore;
use factum::StoreError;
use factum_cqrs_es::cqrs_side::{self, BankAccount};
use factum_cqrs_es::factum_side::AccountError;
use postgres_es::PostgresEventRepository;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The server when `FACTUM_TEST_POSTGRES` does not name one.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The `synchronous_commit` of every session of both sides: commits return without waiting for the WAL's flush, so
/// that the ratios measure the stores rather than the disk's flush time. Both sides stay crash-consistent (a crash
/// loses the last commits, never half of one).
pub const SYNCHRONOUS_COMMIT: &str = "off";

/// The most connections each side's pool opens.
pub const POOL_SIZE: u32 = 4;

/// cqrs-es's store over postgres-es's repository, without snapshots (`PersistedEventStore::new_event_store`).
pub type PostgresEsStore = PersistedEventStore<PostgresEventRepository, BankAccount>;

/// Why setting up a side, or seeding an account, failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The administrative connection, or one of its statements, failed.
    #[error("PostgreSQL at `{url}`: {source}")]
    Admin {
        /// The server's URL.
        url: String,
        /// What the server or the client said.
        source: tokio_postgres::Error,
    },
    /// postgres-es's pool, or the creation of its tables, failed.
    #[error("postgres-es's pool: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Factum's store failed.
    #[error("Factum's PostgreSQL store: {0}")]
    Factum(#[from] StoreError),
    /// cqrs-es failed to load or commit.
    #[error("postgres-es: {0}")]
    Cqrs(#[from] AggregateError<AccountError>),
}

/// The server's URL: `FACTUM_TEST_POSTGRES`, or [`DEFAULT_URL`].
pub fn server_url() -> String {
    std::env::var("FACTUM_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// The server's URL with both sides' session settings in its options.
fn session_url() -> String {
    let server = server_url();
    let separator = if server.contains('?') { '&' } else { '?' };
    format!("{server}{separator}options=-c%20synchronous_commit%3D{SYNCHRONOUS_COMMIT}")
}

/// Connects to the server for administration (creating and dropping schemas, reading settings).
pub async fn admin() -> Result<tokio_postgres::Client, SetupError> {
    let url = server_url();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .map_err(|source| SetupError::Admin { url: url.clone(), source })?;
    tokio::spawn(connection);
    Ok(client)
}

/// The durability settings both sides run with, as the server reports them to a session of theirs.
pub async fn durability() -> Result<String, SetupError> {
    let url = session_url();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .map_err(|source| SetupError::Admin { url: url.clone(), source })?;
    tokio::spawn(connection);
    let sql = "SELECT current_setting('synchronous_commit'), \
               (SELECT boot_val FROM pg_settings WHERE name = 'synchronous_commit'), current_setting('fsync')";
    let row = client.query_one(sql, &[]).await.map_err(|source| SetupError::Admin { url, source })?;
    let (session, server, fsync): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    Ok(format!("sessions of both sides: synchronous_commit={session}; server: synchronous_commit={server} by default, fsync={fsync}"))
}

/// The schemas a run created on the server; all are dropped (with what they hold) when this is dropped, even while a
/// failing test unwinds.
#[derive(Debug)]
pub struct Schemas {
    prefix: String,
    created: Mutex<Vec<String>>,
}

impl Schemas {
    /// Schemas whose names start with `prefix` (lowercase letters, digits and underscores; at most 16 characters, for
    /// the names to stay within Factum's limit), then a random suffix, so that parallel tests and runs never share
    /// one.
    pub fn new(prefix: &str) -> Self {
        Schemas { prefix: prefix.to_owned(), created: Mutex::new(Vec::new()) }
    }

    /// A fresh schema name, remembered for the drop; `side` tells the sides apart in the server's catalog.
    fn fresh(&self, side: &str) -> String {
        // 64 random bits: enough for runs never to meet, short enough for `prefix` and `side` to fit.
        let name = format!("{}_{side}_{:016x}", self.prefix, uuid::Uuid::new_v4().as_u64_pair().0);
        self.created.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(name.clone());
        name
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        let created = std::mem::take(self.created.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()));
        if created.is_empty() {
            return;
        }
        // A thread of its own, with a runtime of its own: this may run inside the caller's runtime, which cannot be
        // blocked on.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime
                .block_on(async {
                    let client = admin().await?;
                    let statements: String =
                        created.iter().map(|name| format!("DROP SCHEMA IF EXISTS {name} CASCADE;")).collect();
                    client
                        .batch_execute(&statements)
                        .await
                        .map_err(|source| SetupError::Admin { url: server_url(), source })
                })
                .map_err(std::io::Error::other)
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("the run's schemas were not dropped: {error}"),
            Err(_) => eprintln!("the run's schemas were not dropped: the dropping thread panicked"),
        }
    }
}

/// Factum's `PostgresStore` in a fresh schema of `schemas`.
pub async fn factum_store(schemas: &Schemas) -> Result<PostgresStore, SetupError> {
    let schema = schemas.fresh("factum");
    Ok(PostgresStore::connect(&format!("{}&schema={schema}&pool_size={POOL_SIZE}", session_url())).await?)
}

/// postgres-es's tables, as its `db/init.sql` creates them (the events, and the snapshots its snapshot store uses).
const POSTGRES_ES_TABLES: &str = "
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);";

/// A sqlx pool whose sessions work in a fresh schema of `schemas` (through `search_path`), where postgres-es's tables
/// have been created: what postgres-es's users set up, on its default table names.
pub async fn postgres_es_pool(schemas: &Schemas) -> Result<PgPool, SetupError> {
    let schema = schemas.fresh("postgres_es");
    let client = admin().await?;
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .map_err(|source| SetupError::Admin { url: server_url(), source })?;
    let options = server_url()
        .parse::<PgConnectOptions>()?
        .options([("search_path", schema.as_str()), ("synchronous_commit", SYNCHRONOUS_COMMIT)]);
    let pool = PgPoolOptions::new().max_connections(POOL_SIZE).connect_with(options).await?;
    sqlx::raw_sql(POSTGRES_ES_TABLES).execute(&pool).await?;
    Ok(pool)
}

/// cqrs-es's event store over postgres-es's repository on `pool`, without snapshots.
pub fn postgres_es_store(pool: &PgPool) -> PostgresEsStore {
    PersistedEventStore::new_event_store(PostgresEventRepository::new(pool.clone()))
}

/// Commits the account `id`'s history of `deposits` deposits to `store` in one commit, as the setup of a benchmark:
/// what handling each command would have committed.
pub async fn seed_postgres_es(store: &PostgresEsStore, id: &str, deposits: usize) -> Result<(), SetupError> {
    let context = store.load_aggregate(id).await?;
    store.commit(cqrs_side::history(deposits), context, Default::default()).await?;
    Ok(())
}
