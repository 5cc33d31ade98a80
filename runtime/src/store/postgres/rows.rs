//! Rows of the `events` table lent as events, streamed from the server one at a time; and the reads of one stream.

use futures_util::TryStreamExt;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::sql::Columns;
use super::{sql_integer, Conn, PostgresStore};
use crate::event_ref::MetadataRef;
use crate::store::StreamQuery;
use crate::{LogEventRef, StoreError, Timestamp};

/// A stored version, position or count: never negative, since the store writes them from unsigned numbers.
pub(super) fn stored_position(value: Option<i64>) -> u64 {
    value.unwrap_or(0).max(0) as u64
}

/// The stored time an event recorded strictly before `instant` stays under: times are stored to the microsecond, so
/// an instant between two microseconds admits the one below it.
pub(super) fn micros_bound(instant: Timestamp) -> Timestamp {
    let micros = instant.timestamp_micros();
    let bound = match instant.timestamp_subsec_nanos() % 1_000 {
        0 => micros,
        _ => micros.saturating_add(1),
    };
    Timestamp::from_timestamp_micros(bound).unwrap_or(instant)
}

fn corrupt(stream_id: &str, stream_version: u64, message: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { stream_id: stream_id.to_owned(), stream_version, message: message.to_string() }
}

/// Lends a row of the `SELECTED` columns as a log event; a value of the wrong kind is [`StoreError::Corrupt`],
/// naming the event.
pub(super) fn lend_row(row: &Row) -> Result<LogEventRef<'_>, StoreError> {
    let stream_id: &str = row.try_get(Columns::STREAM_ID).map_err(|error| corrupt("", 0, error))?;
    let stream_version: i64 = row.try_get(Columns::STREAM_VERSION).map_err(|error| corrupt(stream_id, 0, error))?;
    let stream_version = u64::try_from(stream_version)
        .map_err(|_| corrupt(stream_id, 0, format_args!("stream version {stream_version} is negative")))?;
    let failed = |what: &str, message: &dyn std::fmt::Display| {
        corrupt(stream_id, stream_version, format_args!("{what}: {message}"))
    };
    let position: i64 = row.try_get(Columns::POSITION).map_err(|error| failed("position", &error))?;
    let position = u64::try_from(position).map_err(|_| failed("position", &"negative"))?;
    let event_name: &str = row.try_get(Columns::EVENT_NAME).map_err(|error| failed("event name", &error))?;
    let event_version: i64 = row.try_get(Columns::EVENT_VERSION).map_err(|error| failed("event version", &error))?;
    let event_version = u32::try_from(event_version)
        .map_err(|_| failed("event version", &format_args!("{event_version} is not a 32-bit unsigned integer")))?;
    let payload: &[u8] = row.try_get(Columns::PAYLOAD).map_err(|error| failed("payload", &error))?;
    let metadata: Option<&[u8]> = row.try_get(Columns::METADATA).map_err(|error| failed("metadata", &error))?;
    let recorded_at: Timestamp = row.try_get(Columns::RECORDED_AT).map_err(|error| failed("recorded at", &error))?;
    let event_id: uuid::Uuid = row.try_get(Columns::EVENT_ID).map_err(|error| failed("event id", &error))?;
    let aggregate_type: Option<&str> =
        row.try_get(Columns::AGGREGATE_TYPE).map_err(|error| failed("aggregate type", &error))?;
    Ok(LogEventRef {
        event_id,
        stream_id,
        stream_version,
        position,
        aggregate_type,
        event_name,
        event_version,
        recorded_at,
        payload,
        metadata: MetadataRef::Json(metadata),
    })
}

/// Runs `statement` with `parameters` and lends each row to `visit` as it arrives, so that a long read is never held
/// in memory whole; returns how many rows were visited and the position of the last.
pub(super) async fn scan<E: From<StoreError>>(
    client: &Conn,
    statement: &tokio_postgres::Statement,
    parameters: &[&(dyn ToSql + Sync)],
    mut visit: impl FnMut(LogEventRef<'_>) -> Result<(), E>,
) -> Result<(usize, Option<u64>), E> {
    let lost = &client.lost;
    let rows = client.query_raw(statement, parameters.iter().copied()).await.map_err(|error| lost.fail(error))?;
    let mut rows = std::pin::pin!(rows);
    let (mut visited, mut last) = (0, None);
    while let Some(row) = rows.try_next().await.map_err(|error| lost.fail(error))? {
        let event = lend_row(&row)?;
        last = Some(event.position);
        visited += 1;
        visit(event)?;
    }
    Ok((visited, last))
}

/// Lends `visit` the events of `stream_id` that `query` selects, in stream order.
pub(super) async fn scan_stream(
    store: &PostgresStore,
    stream_id: &str,
    query: &StreamQuery,
    visit: impl FnMut(LogEventRef<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let client = store.client().await?;
    let lost = client.lost.clone();
    let from_version = sql_integer(query.from_version);
    let recorded_before = query.recorded_before.map(micros_bound);
    if query.to_version == u64::MAX && recorded_before.is_none() {
        let statement = client.prepare_cached(&store.shared.sql.read_stream).await.map_err(|error| lost.fail(error))?;
        scan(&client, &statement, &[&stream_id, &from_version], visit).await?;
    } else {
        let statement =
            client.prepare_cached(&store.shared.sql.read_stream_query).await.map_err(|error| lost.fail(error))?;
        let to_version = sql_integer(query.to_version);
        scan(&client, &statement, &[&stream_id, &from_version, &to_version, &recorded_before], visit).await?;
    }
    Ok(())
}
