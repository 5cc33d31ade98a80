//! The PostgreSQL event store: a log shared by every process that reaches the server, with appends that take no
//! global lock.
//!
//! # Positions and the visibility watermark
//!
//! Appends run concurrently (each locks only its streams' rows in `streams`), so transactions commit in any order.
//! A position taken from a sequence when a row is inserted would not follow commit order: a transaction could take
//! position 10, a second take 11 and commit first, and a reader that read 11 and went on from 12 would never see 10.
//! The store avoids that without serializing writers:
//!
//! - **A position is the writing transaction's id and the event's offset in it**: `xid << 20 | offset`, with the
//!   64-bit transaction id of `pg_current_xact_id()` (it never wraps around). So positions order events by the
//!   transaction that wrote them, strictly increase, and are unique without a sequence; they have large gaps.
//!   One transaction appends at most 2^20 (1,048,576) events.
//! - **Readers of the log read only below the visibility watermark**: the oldest transaction still running,
//!   `pg_snapshot_xmin(pg_current_snapshot())`, shifted the same way. Every transaction with a lower id has ended
//!   (committed or rolled back), and every transaction yet to write gets a higher id, so the events below the
//!   watermark are final: nothing can later commit among them. A follower that continues from the end of what it
//!   read (`fold_all`'s `next_position` is at most the watermark) therefore never skips an event that commits late.
//!   `tests/postgres_watermark.rs` holds it to that with many writers keeping their transactions open while a
//!   follower reads.
//! - **A read waits for the transactions that began writing before the log's last committed event**, at most
//!   [`SETTLE_MAX`]: so a read after an append sees that append (read-your-writes), although a transaction that took
//!   its id earlier and is still running holds the watermark back. Those are other appends, a few milliseconds long.
//!
//! Readers see one order, the order of positions, and an event appears to them only once everything before it has
//! settled: that is the commit order the store's contract speaks of, as any reader can observe it. The watermark is
//! the server's (transaction ids are shared by every database of a server): a transaction that holds an id for long
//! anywhere on the server (idle in transaction, a long batch job) delays what followers see until it ends; nothing
//! is lost, and nothing is seen out of order. Reads of one stream (loads, stream versions) do not wait: a stream's
//! appends are serialized by its row lock, so its versions are always contiguous.
//!
//! # Appends
//!
//! An append to one stream, what a command writes, is a single statement in a transaction of its own, one round trip
//! to the server: it moves the stream's row on only when its version is one the append expects (locking the row,
//! so appends to one stream take turns), and inserts the events after it; when the version is not, it writes
//! nothing and the append is a conflict. A batch over several streams is one transaction of a statement per stream
//! and one insert of every event. Either way an append is whole or absent.
//!
//! Times: an event appended without a time gets the server's clock, never earlier than the log's last committed
//! event; appends running at the same time may stamp times a few microseconds out of position order.
//!
//! # Live followers
//!
//! A statement trigger on `events` notifies the channel `factum_events_<schema>` at each commit of an append. The
//! store listens on a connection of its own, opened at the first [`EventStore::wait_for_events`] and shared by its
//! clones; each notification moves the store's head to the readable end of the log, waking waiters. While the
//! listener is down (the server restarted, the connection was killed), waiters poll with the backoff of
//! [`super::live`] and the listener reconnects; while it is up they also look every [`super::live::POLL_MAX`], for
//! a watermark held back by a transaction that notifies nothing.

mod append;
mod listen;
mod log;
mod options;
mod projection;
mod rows;
mod schema;
mod sql;
mod tables;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
/// The store's pool of connections ([`PostgresStore::pool`]) and what getting a connection from it can fail with.
pub use deadpool_postgres::{Pool, PoolError};

pub use options::{PostgresConfigError, PostgresOptions, DEFAULT_SCHEMA, MAX_SCHEMA_LEN};
pub use projection::{ProjectionTransaction, TransactionalRunner};
pub use schema::{UnsupportedSchemaVersion, SCHEMA_VERSION};
/// The PostgreSQL client the store is built on, so that applications reach their own tables without a dependency of
/// their own.
pub use tokio_postgres;

use crate::store::live::Head;
use crate::store::{LogFold, LogQuery, StreamAppend, StreamQuery};
use crate::{
    AppendOutcome, EventStore, ExpectedVersion, LogEventRef, NewEvent, RecordedEvent, RecordedEventRef, StoreError,
};

/// How many bits of a position hold the event's offset within its transaction; the rest is the transaction's id.
pub const OFFSET_BITS: u32 = 20;

/// The most events one transaction (an append, or a whole batch) may write.
pub const MAX_EVENTS_PER_TRANSACTION: usize = 1 << OFFSET_BITS;

/// The longest a read of the log waits for transactions that began writing before the log's last event (see the
/// module documentation); past it, the read returns what is final and a later read finds the rest.
pub const SETTLE_MAX: Duration = Duration::from_secs(1);

/// A pooled connection.
type Client = deadpool_postgres::Client;

/// A pooled connection that leaves the pool when dropped, instead of going back to it, once an error on it said the
/// connection is lost: the pool's own check (is the connection closed?) can run before the connection has noticed.
pub(super) struct Conn {
    client: Option<Client>,
    /// Set by [`Lost::fail`].
    pub(super) lost: Lost,
}

/// Whether a connection was lost; clones share the answer.
#[derive(Debug, Clone, Default)]
pub(super) struct Lost(Arc<AtomicBool>);

impl Lost {
    /// Types `error` as [`pg_error`] does, and marks the connection lost if the error says so.
    pub(super) fn fail(&self, error: tokio_postgres::Error) -> StoreError {
        if connection_lost(&error) {
            self.0.store(true, Ordering::Relaxed);
        }
        pg_error(error)
    }

    /// Marks the connection lost whatever the error was (one that cannot be rolled back).
    pub(super) fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl std::ops::Deref for Conn {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client.as_ref().expect("a connection is there until dropped")
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("a connection is there until dropped")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if self.lost.0.load(Ordering::Relaxed) {
                // Taken out of the pool, the connection is closed here and the pool opens another when it needs one.
                drop(deadpool_postgres::Object::take(client));
            }
        }
    }
}

/// An event store in a PostgreSQL schema.
///
/// Clones are cheap and share one pool of connections, one head and one listener. See the module documentation for
/// how positions are given and read; [`PostgresStore::connect`] for how to reach a server.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pool: Pool,
    options: PostgresOptions,
    sql: sql::Statements,
    head: Head,
    listener: listen::Listener,
}

/// An append of more events in one transaction than positions can number ([`MAX_EVENTS_PER_TRANSACTION`]).
#[derive(Debug, thiserror::Error)]
#[error("an append of {count} events in one transaction: the PostgreSQL store writes at most {MAX_EVENTS_PER_TRANSACTION} (split the batch)")]
pub struct TooManyEvents {
    /// How many events the append held.
    pub count: usize,
}

/// The first connection of [`PostgresStore::connect`] failed: the message names the server. A server that could
/// not be reached (or was starting, or had no connection left) is [`StoreError::Transient`], since it may be reached
/// later; one that refused the connection (no such database, authentication) is [`StoreError::Backend`].
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to the PostgreSQL server at {server}: {source}")]
pub struct ServerUnreachable {
    /// The hosts and ports the options name, as `host:port`.
    pub server: String,
    /// What the connection attempt said.
    #[source]
    pub source: PoolError,
}

/// Types a failure to get the first connection: which server it was is the first thing a user needs to know.
fn unreachable(options: &PostgresOptions, error: PoolError) -> StoreError {
    let hosts: Vec<String> = options
        .config
        .get_hosts()
        .iter()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports = options.config.get_ports();
    let server = hosts
        .iter()
        .enumerate()
        .map(|(index, host)| {
            let port = ports.get(index).or(ports.first()).copied().unwrap_or(5432);
            format!("{host}:{port}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let server = if server.is_empty() { "localhost:5432".to_owned() } else { server };
    let transient = match &error {
        PoolError::Backend(cause) => is_transient(cause),
        PoolError::Timeout(_) => true,
        _ => false,
    };
    let error = ServerUnreachable { server, source: error };
    if transient {
        StoreError::transient(error)
    } else {
        StoreError::backend(error)
    }
}

impl PostgresStore {
    /// Connects to the server a URL names (`postgres://user@host:port/database?schema=NAME`, see
    /// [`PostgresOptions::from_url`]), creating the schema and its tables when missing and migrating an older layout.
    ///
    /// A URL that cannot be used is [`StoreError::Backend`] holding a [`PostgresConfigError`]; a server that cannot be
    /// reached is [`StoreError::Transient`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(PostgresOptions::from_url(url).map_err(StoreError::backend)?).await
    }

    /// Connects with `options`, as [`PostgresStore::connect`] does.
    pub async fn connect_with(options: PostgresOptions) -> Result<Self, StoreError> {
        let manager = Manager::from_config(
            options.config.clone(),
            tokio_postgres::NoTls,
            // `Fast` checks that a connection is still open before handing it out again: one the server closed
            // (restarted, or the connection killed) is dropped, and the next caller gets a new one.
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(StoreError::backend)?;
        let mut client = pool.get().await.map_err(|error| unreachable(&options, error))?;
        schema::migrate(&mut client, &options.schema).await?;
        let sql = sql::Statements::new(&options.schema);
        let readable = client.query_one(&sql.readable_head, &[]).await.map_err(pg_error)?;
        let head = Head::new(rows::stored_position(readable.get(0)));
        drop(client);
        let listener = listen::Listener::default();
        Ok(PostgresStore { shared: Arc::new(Shared { pool, options, sql, head, listener }) })
    }

    /// The schema the store's tables are in.
    pub fn schema(&self) -> &str {
        &self.shared.options.schema
    }

    /// The options the store connected with.
    pub fn options(&self) -> &PostgresOptions {
        &self.shared.options
    }

    /// The store's pool of connections, for an application's own tables beside the store's (a read model).
    pub fn pool(&self) -> &Pool {
        &self.shared.pool
    }

    /// A connection from the pool.
    async fn client(&self) -> Result<Conn, StoreError> {
        let client = self.shared.pool.get().await.map_err(pool_error)?;
        Ok(Conn { client: Some(client), lost: Lost::default() })
    }
}

/// Types a PostgreSQL error: what may succeed if tried again (a serialization failure, a deadlock, a lock not
/// available, a connection lost or refused, a server shutting down or out of connections) is
/// [`StoreError::Transient`]; anything else is [`StoreError::Backend`].
///
/// A connection lost during `COMMIT` leaves it unknown whether the transaction committed; it is typed as transient
/// too. Appending the same events again is then safe: their ids are unique, so a second copy is refused with
/// [`crate::DuplicateEventId`].
pub(crate) fn pg_error(error: tokio_postgres::Error) -> StoreError {
    if is_transient(&error) {
        StoreError::transient(error)
    } else {
        StoreError::backend(error)
    }
}

fn is_transient(error: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    let retried = [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::TOO_MANY_CONNECTIONS,
    ];
    connection_lost(error) || error.code().is_some_and(|code| retried.contains(code))
}

/// Whether `error` says the connection it happened on is gone (closed, killed, the server shutting down).
fn connection_lost(error: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    if error.is_closed() {
        return true;
    }
    match error.code() {
        Some(code) => [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::CONNECTION_EXCEPTION,
            SqlState::CONNECTION_FAILURE,
            SqlState::CONNECTION_DOES_NOT_EXIST,
        ]
        .contains(code),
        // No SQL state: the error is the connection's (I/O, a closed socket), not the statement's.
        None => std::error::Error::source(error).is_some_and(|source| source.is::<std::io::Error>()),
    }
}

/// Types a failure to get a connection from the pool: a server that cannot be reached now, or a pool that stayed
/// exhausted, is transient.
fn pool_error(error: deadpool_postgres::PoolError) -> StoreError {
    match error {
        deadpool_postgres::PoolError::Backend(error) => pg_error(error),
        deadpool_postgres::PoolError::Timeout(_) => StoreError::transient(error),
        other => StoreError::backend(other),
    }
}

/// Converts a version, position or count to PostgreSQL's `bigint`, saturating: no real log reaches `i64::MAX`, and
/// a bound past it (a reader asking for `u64::MAX`) means the same as `i64::MAX`.
fn sql_integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl EventStore for PostgresStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let append = StreamAppend { stream_id: stream_id.to_owned(), expected, events };
        let mut outcomes = append::append_batch(self, std::slice::from_ref(&append)).await?;
        Ok(outcomes.remove(0))
    }

    async fn append_batch(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        append::append_batch(self, &appends).await
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = StreamQuery::from_version(from_version);
        let mut events = Vec::new();
        rows::scan_stream(self, stream_id, &query, |event| {
            events.push(event.to_recorded()?);
            Ok(())
        })
        .await?;
        Ok(events)
    }

    async fn read_all(&self, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::new();
        log::fold_log(self, query, |event| {
            events.push(event.to_recorded()?);
            Ok::<_, StoreError>(())
        })
        .await?;
        Ok(events)
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let lost = client.lost.clone();
        let statement =
            client.prepare_cached(&self.shared.sql.stream_version).await.map_err(|error| lost.fail(error))?;
        let row = client.query_opt(&statement, &[&stream_id]).await.map_err(|error| lost.fail(error))?;
        Ok(row.map_or(0, |row| rows::stored_position(Some(row.get(0)))))
    }

    async fn wait_for_events(&self, from_position: u64) -> Result<u64, StoreError> {
        listen::wait_for_events(self, from_position).await
    }

    async fn fold_stream<T, F>(
        &self,
        stream_id: &str,
        from_version: u64,
        init: T,
        mut visit: F,
    ) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        let mut accumulator = init;
        let query = StreamQuery::from_version(from_version);
        rows::scan_stream(self, stream_id, &query, |event| visit(&mut accumulator, stream_ref(&event))).await?;
        Ok(accumulator)
    }

    async fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        mut visit: F,
    ) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        let mut accumulator = init;
        rows::scan_stream(self, stream_id, query, |event| visit(&mut accumulator, stream_ref(&event))).await?;
        Ok(accumulator)
    }

    async fn fold_all<T, E, F>(&self, query: &LogQuery, init: T, mut visit: F) -> Result<LogFold<T>, E>
    where
        T: Send,
        E: From<StoreError> + Send,
        F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
    {
        let mut accumulator = init;
        let next_position = log::fold_log(self, query, |event| visit(&mut accumulator, event)).await?;
        Ok(LogFold { accumulator, next_position })
    }
}

/// The part of a lent log event that a stream fold hands out.
fn stream_ref<'a>(event: &LogEventRef<'a>) -> RecordedEventRef<'a> {
    RecordedEventRef::new(
        event.stream_id,
        event.stream_version,
        event.position,
        event.event_name,
        event.event_version,
        event.payload,
    )
}
