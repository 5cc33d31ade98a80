//! Appends: one transaction per append or batch, each stream's row in `streams` locked and moved on, its expected
//! version checked against it, and every event inserted in one statement. An append to one stream (what a command
//! writes) is a single statement: one round trip to the server instead of four.

use super::rows::stored_position;
use super::{Conn, PostgresStore, TooManyEvents, MAX_EVENTS_PER_TRANSACTION, OFFSET_BITS};
use crate::store::StreamAppend;
use crate::{AppendOutcome, ConflictError, DuplicateEventId, ExpectedVersion, Metadata, StoreError, Timestamp};

/// The events of a transaction, column by column, as the insert statement takes them.
#[derive(Default)]
struct Columns<'a> {
    positions: Vec<i64>,
    stream_ids: Vec<&'a str>,
    stream_versions: Vec<i64>,
    event_names: Vec<&'a str>,
    aggregate_types: Vec<Option<&'a str>>,
    event_versions: Vec<i64>,
    event_ids: Vec<uuid::Uuid>,
    recorded_at: Vec<Option<Timestamp>>,
    metadata: Vec<Option<Vec<u8>>>,
    payloads: Vec<&'a [u8]>,
}

/// Empty metadata is stored as NULL, everything else as JSON.
fn encode_metadata(metadata: &Metadata) -> Result<Option<Vec<u8>>, serde_json::Error> {
    if *metadata == Metadata::default() {
        Ok(None)
    } else {
        serde_json::to_vec(metadata).map(Some)
    }
}

/// Writes every append of `appends` in order in one transaction: all of them, or on any error none.
///
/// Each stream's version is moved on with an upsert of its `streams` row, which locks the row until the transaction
/// ends: concurrent appends to one stream take turns there (the second sees the first's version once it commits),
/// appends to other streams do not wait. The upsert also returns the transaction's id, which the events' positions
/// are made of.
pub(super) async fn append_batch(
    store: &PostgresStore,
    appends: &[StreamAppend],
) -> Result<Vec<AppendOutcome>, StoreError> {
    let count: usize = appends.iter().map(|append| append.events.len()).sum();
    if count > MAX_EVENTS_PER_TRANSACTION {
        return Err(StoreError::backend(TooManyEvents { count }));
    }
    let mut columns = Columns::default();
    for append in appends {
        for event in &append.events {
            let metadata = encode_metadata(&event.metadata).map_err(|source| StoreError::Encode {
                event_name: event.event_name.clone(),
                message: source.to_string(),
            })?;
            columns.metadata.push(metadata);
        }
    }
    if let [append] = appends {
        if !append.events.is_empty() {
            return append_stream(store, append, &columns.metadata).await.map(|outcome| vec![outcome]);
        }
    }
    let sql = &store.shared.sql;
    let mut client = store.client().await?;
    let lost = client.lost.clone();
    let advance = client.prepare_cached(&sql.advance_stream).await.map_err(|error| lost.fail(error))?;
    let version = client.prepare_cached(&sql.stream_version).await.map_err(|error| lost.fail(error))?;
    let transaction = client.transaction().await.map_err(|error| lost.fail(error))?;
    let mut outcomes = Vec::with_capacity(appends.len());
    let mut offset = 0i64;
    let mut last_position = None;
    for append in appends {
        let stream_id = append.stream_id.as_str();
        if append.events.is_empty() {
            let row = transaction.query_opt(&version, &[&stream_id]).await.map_err(|error| lost.fail(error))?;
            let actual = row.map_or(0, |row| stored_position(Some(row.get(0))));
            if !append.expected.admits(actual) {
                return Err(ConflictError { stream_id: stream_id.to_owned(), expected: append.expected, actual }.into());
            }
            let position = match last_position {
                Some(position) => position,
                None => {
                    let row = transaction.query_one(&sql.head, &[]).await.map_err(|error| lost.fail(error))?;
                    stored_position(row.get(0))
                }
            };
            outcomes.push(AppendOutcome { stream_version: actual, position });
            continue;
        }
        let appended = append.events.len() as i64;
        let row = transaction.query_one(&advance, &[&stream_id, &appended]).await.map_err(|error| lost.fail(error))?;
        let (new_version, transaction_id): (i64, i64) = (row.get(0), row.get(1));
        let actual = stored_position(Some(new_version - appended));
        if !append.expected.admits(actual) {
            // Dropping the transaction rolls back the versions moved on so far.
            return Err(ConflictError { stream_id: stream_id.to_owned(), expected: append.expected, actual }.into());
        }
        for (stream_version, event) in (actual as i64 + 1..).zip(&append.events) {
            let position = (transaction_id << OFFSET_BITS) | offset;
            offset += 1;
            columns.positions.push(position);
            columns.stream_ids.push(stream_id);
            columns.stream_versions.push(stream_version);
            columns.event_names.push(&event.event_name);
            columns.aggregate_types.push(event.aggregate_type.as_deref());
            columns.event_versions.push(i64::from(event.event_version));
            columns.event_ids.push(event.event_id);
            columns.recorded_at.push(event.recorded_at);
            columns.payloads.push(&event.payload);
        }
        let position = stored_position(columns.positions.last().copied());
        last_position = Some(position);
        outcomes.push(AppendOutcome { stream_version: stored_position(Some(new_version)), position });
    }
    if count > 0 {
        let insert = transaction.prepare_cached(&sql.insert).await.map_err(|error| lost.fail(error))?;
        let metadata: Vec<Option<&[u8]>> = columns.metadata.iter().map(Option::as_deref).collect();
        let inserted = transaction
            .execute(
                &insert,
                &[
                    &columns.positions,
                    &columns.stream_ids,
                    &columns.stream_versions,
                    &columns.event_names,
                    &columns.aggregate_types,
                    &columns.event_versions,
                    &columns.event_ids,
                    &columns.recorded_at,
                    &metadata,
                    &columns.payloads,
                ],
            )
            .await;
        if let Err(error) = inserted {
            let constraint = error.as_db_error().and_then(|db| db.constraint()).map(str::to_owned);
            drop(transaction);
            return Err(match constraint.as_deref() {
                Some("events_event_id") => taken_event_id(store, &client, appends).await?.into(),
                _ => lost.fail(error),
            });
        }
    }
    transaction.commit().await.map_err(|error| lost.fail(error))?;
    if let Some(position) = last_position {
        store.shared.head.advance(position);
    }
    Ok(outcomes)
}

/// The stream versions `expected` admits, as the inclusive bounds `append_stream` takes.
fn admitted(expected: ExpectedVersion) -> (i64, i64) {
    match expected {
        ExpectedVersion::Any => (0, i64::MAX),
        ExpectedVersion::NoStream => (0, 0),
        ExpectedVersion::StreamExists => (1, i64::MAX),
        ExpectedVersion::Exact(version) => {
            let version = i64::try_from(version).unwrap_or(i64::MAX);
            (version, version)
        }
    }
}

/// Writes one append of at least one event in a single statement (its own transaction), `metadata` being its
/// events' encoded metadata.
///
/// When the statement finds the stream's version outside what the append expects it writes nothing; the version is
/// then read again, and the append is a [`ConflictError`] with it unless it has moved on since to a version the
/// append admits, when the statement is run again. A stream's version only grows, so that happens at most once
/// (`Exact` passes its version once; `NoStream` and `StreamExists` never become admitted and then not); the loop is
/// bounded all the same.
async fn append_stream(
    store: &PostgresStore,
    append: &StreamAppend,
    metadata: &[Option<Vec<u8>>],
) -> Result<AppendOutcome, StoreError> {
    let sql = &store.shared.sql;
    let client = store.client().await?;
    let lost = client.lost.clone();
    let stream_id = append.stream_id.as_str();
    let count = append.events.len() as i64;
    let (least, most) = admitted(append.expected);
    let text = if least == 0 { &sql.append_stream } else { &sql.append_existing_stream };
    let statement = client.prepare_cached(text).await.map_err(|error| lost.fail(error))?;
    let events = &append.events;
    let event_names: Vec<&str> = events.iter().map(|event| event.event_name.as_str()).collect();
    let aggregate_types: Vec<Option<&str>> = events.iter().map(|event| event.aggregate_type.as_deref()).collect();
    let event_versions: Vec<i64> = events.iter().map(|event| i64::from(event.event_version)).collect();
    let event_ids: Vec<uuid::Uuid> = events.iter().map(|event| event.event_id).collect();
    let recorded_at: Vec<Option<Timestamp>> = events.iter().map(|event| event.recorded_at).collect();
    let metadata: Vec<Option<&[u8]>> = metadata.iter().map(Option::as_deref).collect();
    let payloads: Vec<&[u8]> = events.iter().map(|event| event.payload.as_slice()).collect();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let row = client
            .query_opt(
                &statement,
                &[
                    &stream_id,
                    &count,
                    &least,
                    &most,
                    &event_names,
                    &aggregate_types,
                    &event_versions,
                    &event_ids,
                    &recorded_at,
                    &metadata,
                    &payloads,
                ],
            )
            .await;
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let constraint = error.as_db_error().and_then(|db| db.constraint()).map(str::to_owned);
                return Err(match constraint.as_deref() {
                    Some("events_event_id") => {
                        taken_event_id(store, &client, std::slice::from_ref(append)).await?.into()
                    }
                    _ => lost.fail(error),
                });
            }
        };
        if let Some(row) = row {
            let (new_version, transaction_id): (i64, i64) = (row.get(0), row.get(1));
            let position = stored_position(Some((transaction_id << OFFSET_BITS) | (count - 1)));
            store.shared.head.advance(position);
            return Ok(AppendOutcome { stream_version: stored_position(Some(new_version)), position });
        }
        let version = client.prepare_cached(&sql.stream_version).await.map_err(|error| lost.fail(error))?;
        let row = client.query_opt(&version, &[&stream_id]).await.map_err(|error| lost.fail(error))?;
        let actual = row.map_or(0, |row| stored_position(Some(row.get(0))));
        if !append.expected.admits(actual) || attempts >= 3 {
            return Err(ConflictError { stream_id: stream_id.to_owned(), expected: append.expected, actual }.into());
        }
    }
}

/// Finds the event id that made an insert fail: the first of the batch that is stored, or else the first that the
/// batch holds twice.
async fn taken_event_id(
    store: &PostgresStore,
    client: &Conn,
    appends: &[StreamAppend],
) -> Result<DuplicateEventId, StoreError> {
    let lost = &client.lost;
    let ids: Vec<uuid::Uuid> = appends.iter().flat_map(|append| &append.events).map(|event| event.event_id).collect();
    let rows = client.query(&store.shared.sql.taken_ids, &[&ids]).await.map_err(|error| lost.fail(error))?;
    let stored: std::collections::HashSet<uuid::Uuid> = rows.iter().map(|row| row.get(0)).collect();
    let mut seen = std::collections::HashSet::new();
    let events = appends.iter().flat_map(|append| append.events.iter().map(move |event| (append, event)));
    let mut repeated = None;
    for (append, event) in events {
        if stored.contains(&event.event_id) {
            return Ok(DuplicateEventId { stream_id: append.stream_id.clone(), event_id: event.event_id });
        }
        if !seen.insert(event.event_id) && repeated.is_none() {
            repeated = Some(DuplicateEventId { stream_id: append.stream_id.clone(), event_id: event.event_id });
        }
    }
    // The constraint named an id of this batch, so one of the two was found; were neither, the error would have
    // been the server's, which is what is said then.
    repeated.ok_or_else(|| StoreError::Corrupt {
        stream_id: String::new(),
        stream_version: 0,
        message: "an insert broke the unique event id, but no id of the append is taken".to_owned(),
    })
}
