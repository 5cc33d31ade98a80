//! Reads of the global log: only below the visibility watermark, after the transactions that began writing before
//! the log's last committed event have ended (see the module documentation of `postgres`).

use std::time::Instant;

use super::rows::{micros_bound, scan, stored_position};
use super::{sql_integer, Conn, PostgresStore, SETTLE_MAX};
use crate::store::live::{backoff, POLL_START};
use crate::store::LogQuery;
use crate::{LogEventRef, StoreError};

/// Lends `visit` the events of the log `query` selects, in position order, and returns the position to continue
/// from: past every visited event, and never past the watermark the read was bounded by.
pub(super) async fn fold_log<E: From<StoreError>>(
    store: &PostgresStore,
    query: &LogQuery,
    visit: impl FnMut(LogEventRef<'_>) -> Result<(), E>,
) -> Result<u64, E> {
    let from = query.from_position.max(1);
    if query.is_empty() {
        return Ok(from);
    }
    let client = store.client().await?;
    let lost = client.lost.clone();
    let bound = settled_bound(store, &client).await?;
    let statement = client.prepare_cached(&store.shared.sql.read_log).await.map_err(|error| lost.fail(error))?;
    let names = query.event_names.as_ref();
    let recorded_before = query.recorded_before.map(micros_bound);
    let limit = sql_integer(query.limit as u64);
    let parameters: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
        &sql_integer(from),
        &sql_integer(query.to_position),
        &bound,
        &names,
        &query.aggregate_type,
        &recorded_before,
        &limit,
    ];
    let (visited, last) = scan(&client, &statement, &parameters, visit).await?;
    Ok(match last {
        Some(last) if visited == query.limit => last + 1,
        // The scan stopped short of its limit: it saw every selected event below the bound, which nothing can still
        // commit under, up to the end of its range.
        _ => query.to_position.min(stored_position(Some(bound)).saturating_sub(1)).max(from - 1) + 1,
    })
}

/// The bound below which the log is final: the watermark, once it is past the log's last committed event or
/// [`SETTLE_MAX`] has passed.
///
/// Waiting for the watermark to pass the last committed event is what lets a read see an append that committed
/// before it began, while transactions that took their ids earlier were still running (other appends, a few
/// milliseconds long); it polls with the backoff of followers, from [`POLL_START`].
pub(super) async fn settled_bound(store: &PostgresStore, client: &Conn) -> Result<i64, StoreError> {
    let lost = &client.lost;
    let statement =
        client.prepare_cached(&store.shared.sql.watermark_and_head).await.map_err(|error| lost.fail(error))?;
    let started = Instant::now();
    let mut pause = POLL_START;
    loop {
        let row = client.query_one(&statement, &[]).await.map_err(|error| lost.fail(error))?;
        let (watermark, head): (i64, Option<i64>) = (row.get(0), row.get(1));
        let settled = head.is_none_or(|head| head < watermark);
        if settled || started.elapsed() >= SETTLE_MAX {
            return Ok(watermark);
        }
        tokio::time::sleep(pause).await;
        pause = backoff(pause);
    }
}

/// The last position below the watermark (0: none), the end of the log that every reader may read.
pub(super) async fn readable_head(store: &PostgresStore) -> Result<u64, StoreError> {
    let client = store.client().await?;
    let lost = client.lost.clone();
    let statement = client.prepare_cached(&store.shared.sql.readable_head).await.map_err(|error| lost.fail(error))?;
    let row = client.query_one(&statement, &[]).await.map_err(|error| lost.fail(error))?;
    Ok(stored_position(row.get(0)))
}
