//! Transactional projections on PostgreSQL: each batch's read-model updates and the checkpoint commit in one
//! transaction, so every event takes effect exactly once across crashes and concurrent runners.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use tracing::Instrument;

use super::rows::{lend_row, stored_position};
use super::{log, sql_integer, Conn, PostgresStore};
use crate::projection::batch::{next_checkpoint, stop_at_failing_event, Batch};
use crate::projection::{apply_lent, trace};
use crate::store::CheckpointStore;
use crate::{EventSet, LiveWait, Progress, Projection, ProjectionError, StoreError, PROJECTION_BATCH};

/// The transaction a transactional projection's handlers are handed ([`crate::EventContext::db`]): the batch's
/// PostgreSQL transaction, whose `search_path` is the store's schema, so that the read model's tables (named
/// without a schema) live beside the events.
///
/// Handlers are synchronous, so its calls block: the runner applies a batch on tokio's blocking thread pool, where
/// blocking is what threads are for. A handler must not commit or roll back. Statements are prepared once per
/// connection and cached.
pub struct ProjectionTransaction {
    connection: Conn,
    runtime: tokio::runtime::Handle,
    /// Whether a transaction is open on the connection: one still open when this is dropped (a handler panicked)
    /// must not go back to the pool, where the next user would commit what it holds.
    open: AtomicBool,
}

impl Drop for ProjectionTransaction {
    fn drop(&mut self) {
        if self.open.load(Ordering::Relaxed) {
            self.connection.lost.mark();
        }
    }
}

impl std::fmt::Debug for ProjectionTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectionTransaction").finish_non_exhaustive()
    }
}

impl ProjectionTransaction {
    /// Runs a statement, returning how many rows it changed.
    pub fn execute(&self, sql: &str, parameters: &[&(dyn ToSql + Sync)]) -> Result<u64, tokio_postgres::Error> {
        self.runtime.block_on(async {
            let statement = self.connection.prepare_cached(sql).await?;
            self.connection.execute(&statement, parameters).await
        })
    }

    /// Runs a query, returning its rows.
    pub fn query(&self, sql: &str, parameters: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.runtime.block_on(async {
            let statement = self.connection.prepare_cached(sql).await?;
            self.connection.query(&statement, parameters).await
        })
    }

    /// Runs a query that returns at most one row.
    pub fn query_opt(
        &self,
        sql: &str,
        parameters: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        self.runtime.block_on(async {
            let statement = self.connection.prepare_cached(sql).await?;
            self.connection.query_opt(&statement, parameters).await
        })
    }

    /// Runs statements separated by `;`, without parameters (creating tables, say).
    pub fn batch_execute(&self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.runtime.block_on(self.connection.batch_execute(sql))
    }

    /// Runs `work` in a transaction: committed when it succeeds, rolled back when it fails.
    fn within<T, E>(
        &self,
        schema: &str,
        store_failed: impl Fn(StoreError) -> E,
        work: impl FnOnce(&Self) -> Result<T, E>,
    ) -> Result<T, E> {
        let begin = format!("BEGIN; SET LOCAL search_path TO {schema}");
        self.open.store(true, Ordering::Relaxed);
        self.batch_execute(&begin).map_err(|error| store_failed(self.connection.lost.fail(error)))?;
        match work(self) {
            Ok(value) => {
                self.batch_execute("COMMIT").map_err(|error| store_failed(self.connection.lost.fail(error)))?;
                self.open.store(false, Ordering::Relaxed);
                Ok(value)
            }
            Err(error) => {
                // A connection that cannot roll back is lost, and leaves the pool rather than go back mid-transaction.
                match self.batch_execute("ROLLBACK") {
                    Ok(()) => self.open.store(false, Ordering::Relaxed),
                    Err(rollback) => drop(self.connection.lost.fail(rollback)),
                }
                Err(error)
            }
        }
    }

    /// Takes the transaction-scoped lock of projection `name` in the store's schema: runners of one projection (in
    /// any process) take turns setting it up, resetting it and applying batches.
    fn lock_projection(&self, store: &PostgresStore, name: &str) -> Result<u64, tokio_postgres::Error> {
        let lock = "SELECT pg_advisory_xact_lock(hashtext('factum projection ' || $1 || ' ' || $2))";
        self.execute(lock, &[&store.schema(), &name])
    }

    fn store_error(&self, error: tokio_postgres::Error) -> StoreError {
        self.connection.lost.fail(error)
    }
}

/// Runs a projection whose read model is tables in the store's PostgreSQL schema, **exactly once**: each batch of
/// events is applied and the checkpoint moved in one transaction, so a crash at any point leaves the read model and
/// the checkpoint agreeing, and a restart applies each event exactly once.
///
/// The projection implements [`Projection<ProjectionTransaction>`](Projection) (a generated runner does, for a
/// handler that implements the generated handler trait for [`ProjectionTransaction`]): each handler is handed the
/// batch's transaction and writes its tables through it. [`Projection::setup`] creates the tables (in a transaction
/// of its own, before the first batch of a runner), and [`Projection::reset`] clears them for
/// [`TransactionalRunner::rebuild`].
///
/// A batch takes a transaction-scoped advisory lock on the projection's name first, so runners of the same
/// projection (in any process) take turns batch by batch rather than apply one twice; appends are not held up. A
/// batch reads only below the visibility watermark (see the module documentation), so no event is skipped. A failing
/// handler or an event that cannot be decoded rolls its batch back; the events before it are applied again in a
/// transaction that moves the checkpoint up to it, and the run stops with an error naming the event.
///
/// A batch runs on tokio's blocking pool, so dropping a `catch_up` or `follow` future lets the batch under way finish
/// (commit or roll back) on its own; the projection is shared with it, and the next run waits for it.
#[derive(Debug)]
pub struct TransactionalRunner<P> {
    store: PostgresStore,
    projection: Arc<Mutex<P>>,
    batch: usize,
    set_up: bool,
}

impl<P: Projection<ProjectionTransaction> + 'static> TransactionalRunner<P> {
    /// A runner of `projection` on `store`, with its checkpoint in the store's `projection_checkpoints` table under
    /// [`Projection::NAME`].
    pub fn new(store: PostgresStore, projection: P) -> Self {
        TransactionalRunner {
            store,
            projection: Arc::new(Mutex::new(projection)),
            batch: PROJECTION_BATCH,
            set_up: false,
        }
    }

    /// Applies `batch` events per transaction (at least 1; [`PROJECTION_BATCH`] by default).
    pub fn batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The projection (locked while a batch applies).
    pub fn projection(&self) -> MutexGuard<'_, P> {
        self.projection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store the runner reads and writes.
    pub fn store(&self) -> &PostgresStore {
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

    /// Catches up, then follows the log live (see [`crate::EventStore::wait_for_events`]), exactly once, until an
    /// error; stop it otherwise by dropping the future.
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
    /// returns the new checkpoint.
    pub async fn rebuild(&mut self, progress: impl FnMut(&Progress)) -> Result<u64, ProjectionError<P::Error>> {
        let span = trace::run_span(P::NAME, "rebuild");
        async {
            let total =
                self.in_batch(move |transaction, projection, store| reset(transaction, projection, store)).await?;
            self.set_up = true;
            self.catch_up_reporting(total, progress).await
        }
        .instrument(span)
        .await
    }

    async fn catch_up_reporting(
        &mut self,
        total: u64,
        mut progress: impl FnMut(&Progress),
    ) -> Result<u64, ProjectionError<P::Error>> {
        if !self.set_up {
            self.in_batch(|transaction, projection, store| {
                let store_failed = |source| ProjectionError::store(P::NAME, source);
                transaction.within(store.schema(), store_failed, |transaction| {
                    // Concurrent `CREATE TABLE IF NOT EXISTS` can fail in PostgreSQL: runners set up one at a time.
                    let locked = transaction.lock_projection(store, P::NAME);
                    locked.map_err(|error| store_failed(transaction.store_error(error)))?;
                    projection.setup(transaction).map_err(|source| ProjectionError::ReadModel {
                        projection: P::NAME,
                        step: "set up",
                        source,
                    })
                })
            })
            .await?;
            self.set_up = true;
        }
        let started = Instant::now();
        let mut done = 0;
        let batch = self.batch;
        loop {
            let Batch { applied, next, head } = self
                .in_batch(move |transaction, projection, store| apply_batch(transaction, projection, store, batch))
                .await?;
            trace::batch_applied(applied, next, head);
            done += applied as u64;
            progress(&Progress { projection: P::NAME, done, total, next_position: next, elapsed: started.elapsed() });
            if applied < batch {
                return Ok(next);
            }
        }
    }

    /// Runs `work` on the blocking pool with a connection of the store's and the projection.
    async fn in_batch<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ProjectionTransaction, &mut P, &PostgresStore) -> Result<T, ProjectionError<P::Error>>
            + Send
            + 'static,
    ) -> Result<T, ProjectionError<P::Error>> {
        let connection = self.store.client().await.map_err(|source| ProjectionError::store(P::NAME, source))?;
        let runtime = tokio::runtime::Handle::current();
        let transaction = ProjectionTransaction { connection, runtime, open: AtomicBool::new(false) };
        let (projection, store) = (Arc::clone(&self.projection), self.store.clone());
        let ran = tokio::task::spawn_blocking(move || {
            let mut projection = projection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&transaction, &mut projection, &store)
        })
        .await;
        match ran {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(ProjectionError::store(P::NAME, StoreError::backend(error))),
        }
    }
}

/// Applies the next batch after the checkpoint, as [`apply_range`] does; an event that stops it stops the projection
/// at that event, everything before it applied exactly once ([`stop_at_failing_event`]).
fn apply_batch<P: Projection<ProjectionTransaction>>(
    transaction: &ProjectionTransaction,
    projection: &mut P,
    store: &PostgresStore,
    batch: usize,
) -> Result<Batch, ProjectionError<P::Error>> {
    stop_at_failing_event(|before| apply_range(transaction, projection, store, batch, before))
}

/// Applies the next batch after the checkpoint (only the events before position `before`, when given, moving the
/// checkpoint up to `before`) and moves the checkpoint, in one transaction.
fn apply_range<P: Projection<ProjectionTransaction>>(
    transaction: &ProjectionTransaction,
    projection: &mut P,
    store: &PostgresStore,
    batch: usize,
    before: Option<u64>,
) -> Result<Batch, ProjectionError<P::Error>> {
    let store_failed = |source| ProjectionError::store(P::NAME, source);
    let sql = &store.shared.sql;
    transaction.within(store.schema(), store_failed, |transaction| {
        let failed = |error| store_failed(transaction.store_error(error));
        // Runners of this projection take turns here, so that the checkpoint read is the one this batch replaces.
        transaction.lock_projection(store, P::NAME).map_err(failed)?;
        let from = transaction.query_opt(&sql.checkpoint_read, &[&P::NAME]).map_err(failed)?;
        let from = from.map_or(1, |row| stored_position(Some(row.get(0))).max(1));
        let bound =
            transaction.runtime.block_on(log::settled_bound(store, &transaction.connection)).map_err(store_failed)?;
        let to = before.map_or(i64::MAX, |before| sql_integer(before.saturating_sub(1)));
        let names: Vec<&str> = P::Event::NAMES.to_vec();
        let (none_text, none_time): (Option<&str>, Option<crate::Timestamp>) = (None, None);
        let limit = sql_integer(batch as u64);
        let parameters: [&(dyn ToSql + Sync); 7] =
            [&sql_integer(from), &to, &bound, &names, &none_text, &none_time, &limit];
        let rows = transaction.query(&sql.read_log, &parameters).map_err(failed)?;
        let mut last = None;
        for row in &rows {
            let event = lend_row(row).map_err(store_failed)?;
            last = Some(event.position);
            apply_lent(projection, transaction, event)?;
        }
        let applied = rows.len();
        let head = stored_position(Some(bound)).saturating_sub(1);
        // The head is the last position below the watermark: a short batch saw every subscribed event up to it.
        let next = next_checkpoint(from, before, last, applied, batch, head);
        if next != from {
            transaction.execute(&sql.checkpoint_write, &[&P::NAME, &sql_integer(next)]).map_err(failed)?;
        }
        Ok(Batch { applied, next, head })
    })
}

/// Clears the read model and forgets the checkpoint, in one transaction, and sets the read model up again; returns
/// how many subscribed events the log holds, the rebuild's total.
fn reset<P: Projection<ProjectionTransaction>>(
    transaction: &ProjectionTransaction,
    projection: &mut P,
    store: &PostgresStore,
) -> Result<u64, ProjectionError<P::Error>> {
    let store_failed = |source| ProjectionError::store(P::NAME, source);
    transaction.within(store.schema(), store_failed, |transaction| {
        let failed = |error| store_failed(transaction.store_error(error));
        let read_model = |step| move |source| ProjectionError::ReadModel { projection: P::NAME, step, source };
        transaction.lock_projection(store, P::NAME).map_err(failed)?;
        projection.reset(transaction).map_err(read_model("reset"))?;
        projection.setup(transaction).map_err(read_model("set up"))?;
        transaction.execute(&store.shared.sql.checkpoint_delete, &[&P::NAME]).map_err(failed)?;
        let names: Vec<&str> = P::Event::NAMES.to_vec();
        let count = format!("SELECT count(*) FROM {}.events WHERE event_name = ANY($1)", store.schema());
        let rows = transaction.query(&count, &[&names]).map_err(failed)?;
        Ok(stored_position(rows.first().map(|row| row.get(0))))
    })
}
