//! Projections in the store's own file: checkpoints in a table, and transactional projections whose read model
//! tables and checkpoint commit together.

use std::convert::Infallible;
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use tracing::Instrument;

use super::{scan_log, sql_integer, SqliteStore, HEAD};
use crate::projection::batch::{next_checkpoint, stop_at_failing_event, Batch};
use crate::projection::{apply_lent, trace, Stopped};
use crate::store::{CheckpointStore, LogQuery};
use crate::{EventSet, LiveWait, Progress, Projection, ProjectionError, StoreError, PROJECTION_BATCH};

const CHECKPOINT_READ: &str = "SELECT next_position FROM projection_checkpoints WHERE projection = ?1";
const CHECKPOINT_WRITE: &str = "INSERT INTO projection_checkpoints (projection, next_position, updated_at) \
                                VALUES (?1, ?2, ?3) ON CONFLICT (projection) DO UPDATE \
                                SET next_position = excluded.next_position, updated_at = excluded.updated_at";
const CHECKPOINT_DELETE: &str = "DELETE FROM projection_checkpoints WHERE projection = ?1";

fn read_checkpoint(connection: &Connection, projection: &str) -> Result<u64, StoreError> {
    let stored: Option<i64> = connection
        .prepare_cached(CHECKPOINT_READ)
        .and_then(|mut statement| statement.query_row([projection], |row| row.get(0)).optional())
        .map_err(super::sqlite_error)?;
    Ok(stored.map_or(1, |next| next.max(1) as u64))
}

fn write_checkpoint(connection: &Connection, projection: &str, next_position: u64) -> Result<(), StoreError> {
    let now = chrono::Utc::now().timestamp_micros();
    connection
        .prepare_cached(CHECKPOINT_WRITE)
        .and_then(|mut statement| statement.execute(rusqlite::params![projection, sql_integer(next_position), now]))
        .map_err(super::sqlite_error)?;
    Ok(())
}

fn delete_checkpoint(connection: &Connection, projection: &str) -> Result<(), StoreError> {
    connection.execute(CHECKPOINT_DELETE, [projection]).map_err(super::sqlite_error)?;
    Ok(())
}

impl CheckpointStore for SqliteStore {
    async fn checkpoint(&self, projection: &str) -> Result<u64, StoreError> {
        let projection = projection.to_owned();
        self.read(move |connection| read_checkpoint(connection, &projection)).await
    }

    async fn save_checkpoint(&self, projection: &str, next_position: u64) -> Result<(), StoreError> {
        let projection = projection.to_owned();
        self.run(move |connection| write_checkpoint(connection, &projection, next_position.max(1))).await
    }

    async fn reset_checkpoint(&self, projection: &str) -> Result<(), StoreError> {
        let projection = projection.to_owned();
        self.run(move |connection| delete_checkpoint(connection, &projection)).await
    }
}

impl SqliteStore {
    /// Runs `read` inside a read transaction, so that it sees one consistent state of the file: how an application
    /// reads the tables of a transactional projection. For a store in a file the connection is one of the store's
    /// read-only connections, which does not wait for the writer (and refuses writes).
    pub async fn read_tables<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        self.read_here(|connection| {
            let transaction = connection.transaction().map_err(super::sqlite_error)?;
            let result = read(&transaction).map_err(super::sqlite_error)?;
            transaction.commit().map_err(super::sqlite_error)?;
            Ok(result)
        })
    }
}

/// Runs a projection whose read model is tables in the store's own SQLite file, **exactly once**: each batch of
/// events is applied and the checkpoint moved in one transaction, so a crash at any point leaves the read model and
/// the checkpoint agreeing, and a restart applies each event exactly once.
///
/// The projection implements [`Projection<Connection>`](Projection) (a generated runner does, for a handler that
/// implements the generated handler trait for [`Connection`]): each handler is handed the connection inside the
/// batch's transaction ([`crate::EventContext::db`]) and writes its tables through it; it must not commit or roll
/// back. [`Projection::setup`] creates the tables (in its own transaction, before the first batch of a runner), and
/// [`Projection::reset`] clears them for [`TransactionalRunner::rebuild`].
///
/// Each batch is one short `IMMEDIATE` transaction, so appends (in this process or others) interleave with a long
/// catch-up or rebuild instead of waiting for it, and two runners of the same projection (in two processes) take turns
/// rather than apply a batch twice. A failing handler or an event that cannot be decoded rolls its batch back; the
/// events before it are applied again in a transaction that moves the checkpoint up to it, and the run stops with an
/// error naming the event: a restart starts with that event, applies nothing twice, and nothing past the failure was
/// applied.
/// [`TransactionalRunner::follow`] catches up, then follows the log live, exactly once as well.
#[derive(Debug)]
pub struct TransactionalRunner<P> {
    store: SqliteStore,
    projection: P,
    batch: usize,
    set_up: bool,
}

impl<P: Projection<Connection>> TransactionalRunner<P> {
    /// A runner of `projection` on `store`, with its checkpoint in the store's `projection_checkpoints` table under
    /// [`Projection::NAME`].
    pub fn new(store: SqliteStore, projection: P) -> Self {
        TransactionalRunner { store, projection, batch: PROJECTION_BATCH, set_up: false }
    }

    /// Applies `batch` events per transaction (at least 1; [`PROJECTION_BATCH`] by default). Larger batches commit
    /// less often; smaller ones keep appenders waiting less.
    pub fn batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The projection.
    pub fn projection(&self) -> &P {
        &self.projection
    }

    /// The projection, to change it between runs.
    pub fn projection_mut(&mut self) -> &mut P {
        &mut self.projection
    }

    /// The projection, giving the runner up.
    pub fn into_projection(self) -> P {
        self.projection
    }

    /// The store the runner reads and writes.
    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    /// The position the projection continues from.
    pub async fn checkpoint(&self) -> Result<u64, ProjectionError<P::Error>> {
        self.store.checkpoint(P::NAME).await.map_err(|source| ProjectionError::store(P::NAME, source))
    }

    /// Applies every subscribed event after the checkpoint, batch by batch, and returns the new checkpoint. The tables
    /// are set up ([`Projection::setup`]) before the first batch of this runner.
    pub async fn catch_up(&mut self) -> Result<u64, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "catch_up");
        self.catch_up_reporting(0, |_| {}).instrument(span).await
    }

    /// Catches up, then follows the log live: waits for the next commit past the checkpoint
    /// ([`crate::EventStore::wait_for_events`]) and catches up again, for as long as it runs. It returns only on an error (a
    /// handler, the decoding of an event, the store), which stops it as it stops [`TransactionalRunner::catch_up`],
    /// with the failing batch rolled back; stop it otherwise by dropping the future (`tokio::select!`, aborting its
    /// task).
    ///
    /// It never busy-loops. An event is applied within microseconds of its commit through the same store (or a
    /// clone of it), and at most [`crate::store::live::POLL_MAX`] (100 ms) plus one batch after a commit by another
    /// process (polled from 1 ms after each wait began, at doubling pauses).
    ///
    /// Cancel-safe, and still exactly once: a batch is applied and checkpointed inside one synchronous step with no
    /// await in it, so the future can only be dropped between batches or while it waits. A runner that follows
    /// beside others of the same projection (other processes) takes turns with them batch by batch.
    pub async fn follow(&mut self) -> Result<Infallible, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "follow");
        async {
            let mut live = LiveWait::new();
            loop {
                let next = self.catch_up().await?;
                live.wait(&self.store, next).await.map_err(|source| ProjectionError::store(P::NAME, source))?;
            }
        }
        .instrument(span)
        .await
    }

    /// Clears the read model and the checkpoint in one transaction ([`Projection::reset`], then
    /// [`Projection::setup`]), then replays the log from the start, batch by batch, calling `progress` after each;
    /// returns the new checkpoint. A crash during the replay leaves a consistent, partly rebuilt read model that the
    /// next `catch_up` completes.
    pub async fn rebuild(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "rebuild");
        async {
            let projection = &mut self.projection;
            let total = self.store.run_here(|connection| reset(connection, projection))?;
            self.set_up = true;
            self.catch_up_reporting(total, progress).await
        }
        .instrument(span)
        .await
    }

    /// Catches up, calling `progress` after every batch with `total` as the events ahead.
    async fn catch_up_reporting(
        &mut self,
        total: u64,
        mut progress: impl FnMut(&Progress),
    ) -> Result<u64, ProjectionError<P::Error>> {
        let projection = &mut self.projection;
        if !self.set_up {
            self.store.run_here(|connection| set_up(connection, projection))?;
            self.set_up = true;
        }
        let started = Instant::now();
        let mut done = 0;
        loop {
            let Batch { applied, next, head } =
                self.store.run_here(|connection| apply_batch(connection, projection, self.batch))?;
            trace::batch_applied(applied, next, head);
            done += applied as u64;
            progress(&Progress { projection: P::NAME, done, total, next_position: next, elapsed: started.elapsed() });
            if applied < self.batch {
                return Ok(next);
            }
        }
    }
}

/// The read model's setup, in a transaction of its own.
fn set_up<P: Projection<Connection>>(
    connection: &mut Connection,
    projection: &mut P,
) -> Result<(), ProjectionError<P::Error>> {
    let store_failed = |source| ProjectionError::store(P::NAME, super::sqlite_error(source));
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(store_failed)?;
    projection.setup(&transaction).map_err(|source| ProjectionError::ReadModel {
        projection: P::NAME,
        step: "set up",
        source,
    })?;
    transaction.commit().map_err(store_failed)
}

/// Clears the read model and forgets the checkpoint, in one transaction, and sets the read model up again; returns
/// how many subscribed events the log holds, the rebuild's total.
fn reset<P: Projection<Connection>>(
    connection: &mut Connection,
    projection: &mut P,
) -> Result<u64, ProjectionError<P::Error>> {
    let store_failed = |source| ProjectionError::store(P::NAME, super::sqlite_error(source));
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(store_failed)?;
    projection.reset(&transaction).map_err(|source| ProjectionError::ReadModel {
        projection: P::NAME,
        step: "reset",
        source,
    })?;
    projection.setup(&transaction).map_err(|source| ProjectionError::ReadModel {
        projection: P::NAME,
        step: "set up",
        source,
    })?;
    delete_checkpoint(&transaction, P::NAME).map_err(|source| ProjectionError::store(P::NAME, source))?;
    let total = count_subscribed(&transaction, P::Event::NAMES).map_err(store_failed)?;
    transaction.commit().map_err(store_failed)?;
    Ok(total)
}

/// How many events of the log are stored under `names`. Counted in SQL, which looks at each row's name and no
/// further, rather than by lending every selected row.
fn count_subscribed(connection: &Connection, names: &[&str]) -> rusqlite::Result<u64> {
    let placeholders: Vec<String> = (1..=names.len()).map(|index| format!("?{index}")).collect();
    let sql = format!("SELECT count(*) FROM events WHERE event_name IN ({})", placeholders.join(", "));
    let count: i64 = connection.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(names), |row| row.get(0))?;
    Ok(count.max(0) as u64)
}

/// Applies the next batch after the checkpoint and moves the checkpoint past it, in one `IMMEDIATE` transaction;
/// an event that stops it stops the projection at that event, everything before it applied exactly once
/// ([`stop_at_failing_event`]).
fn apply_batch<P: Projection<Connection>>(
    connection: &mut Connection,
    projection: &mut P,
    batch: usize,
) -> Result<Batch, ProjectionError<P::Error>> {
    stop_at_failing_event(|before| apply_range(connection, projection, batch, before))
}

/// Applies the next batch after the checkpoint (only the events before position `before`, when given, moving the
/// checkpoint up to `before`) and moves the checkpoint, in one `IMMEDIATE` transaction; on any error the
/// transaction is rolled back.
fn apply_range<P: Projection<Connection>>(
    connection: &mut Connection,
    projection: &mut P,
    batch: usize,
    before: Option<u64>,
) -> Result<Batch, ProjectionError<P::Error>> {
    let store_failed = |source| ProjectionError::store(P::NAME, source);
    // The write lock is taken first, so that the checkpoint read here is the one this transaction replaces: a runner
    // of the same projection in another process waits for it rather than apply the same batch.
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|source| store_failed(super::sqlite_error(source)))?;
    let from = read_checkpoint(&transaction, P::NAME).map_err(store_failed)?;
    let mut query = LogQuery::from_position(from).limit(batch).events(P::Event::NAMES.iter().copied());
    if let Some(before) = before {
        query = query.to_position(before.saturating_sub(1));
    }
    let (applied, last) = scan_log(&transaction, &query, |event| {
        apply_lent(projection, &transaction, event).map_err(Stopped::Projection)
    })
    .map_err(|stopped| stopped.into_error(P::NAME))?;
    // One seek to the end of the table. No append can commit while this transaction holds the write lock.
    let head: Option<i64> = transaction
        .prepare_cached(HEAD)
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)).optional())
        .map_err(|source| store_failed(super::sqlite_error(source)))?;
    let head = head.unwrap_or(0).max(0) as u64;
    let next = next_checkpoint(from, before, last, applied, batch, head);
    if next != from {
        write_checkpoint(&transaction, P::NAME, next).map_err(store_failed)?;
    }
    transaction.commit().map_err(|source| store_failed(super::sqlite_error(source)))?;
    Ok(Batch { applied, next, head })
}
