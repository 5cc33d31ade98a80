//! Snapshots in the store's own file: the `snapshots` table's statements and the store's [`SnapshotStore`].

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};

use super::{sql_integer, sqlite_error, SqliteStore};
use crate::store::{Snapshot, SnapshotStore};
use crate::{StoreError, Timestamp};

/// The stream's snapshot, unless it is past the stream's last event (the subquery is one seek on `events_stream`, and
/// NULL for a stream with no events, which then reads as having no snapshot).
const SNAPSHOT_READ: &str = "SELECT stream_version, fingerprint, state, taken_at FROM snapshots \
                             WHERE stream_id = ?1 AND stream_version <= (SELECT stream_version FROM events \
                             WHERE stream_id = ?1 ORDER BY stream_version DESC LIMIT 1)";
/// Keeps a snapshot by the rules of [`SnapshotStore`]: one of the same fingerprint and an older version than the
/// stored one changes nothing.
const SNAPSHOT_WRITE: &str = "INSERT INTO snapshots (stream_id, stream_version, fingerprint, state, taken_at) \
                              VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (stream_id) DO UPDATE \
                              SET stream_version = excluded.stream_version, fingerprint = excluded.fingerprint, \
                              state = excluded.state, taken_at = excluded.taken_at \
                              WHERE excluded.fingerprint <> snapshots.fingerprint \
                              OR excluded.stream_version >= snapshots.stream_version";

fn read_snapshot(connection: &Connection, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
    let mut statement = connection.prepare_cached(SNAPSHOT_READ).map_err(sqlite_error)?;
    let read = statement.query_row([stream_id], |row| Ok(snapshot_of(stream_id, row))).optional();
    read.map_err(sqlite_error)?.transpose()
}

/// Reads a row of [`SNAPSHOT_READ`]; a value of the wrong kind is [`StoreError::Corrupt`], naming the stream.
fn snapshot_of(stream_id: &str, row: &rusqlite::Row<'_>) -> Result<Snapshot, StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        stream_id: stream_id.to_owned(),
        stream_version: 0,
        message: format!("snapshot: {message}"),
    };
    let column = |index: usize| row.get_ref(index).map_err(sqlite_error);
    let stream_version = match column(0)? {
        ValueRef::Integer(version) if version >= 1 => version as u64,
        _ => return Err(corrupt("stream version: not a positive integer")),
    };
    let fingerprint = match column(1)? {
        ValueRef::Text(text) => std::str::from_utf8(text).map_err(|_| corrupt("fingerprint: not UTF-8"))?.to_owned(),
        _ => return Err(corrupt("fingerprint: not text")),
    };
    let state = match column(2)? {
        ValueRef::Blob(bytes) => bytes.to_vec(),
        _ => return Err(corrupt("state: not a blob")),
    };
    let taken_at = column(3)?.as_i64().ok().and_then(Timestamp::from_timestamp_micros);
    let taken_at = taken_at.ok_or_else(|| corrupt("taken at: not a time in microseconds since the epoch"))?;
    Ok(Snapshot { stream_version, fingerprint, state, taken_at })
}

fn write_snapshot(connection: &Connection, stream_id: &str, snapshot: &Snapshot) -> Result<(), StoreError> {
    let mut statement = connection.prepare_cached(SNAPSHOT_WRITE).map_err(sqlite_error)?;
    statement
        .execute(rusqlite::params![
            stream_id,
            sql_integer(snapshot.stream_version),
            snapshot.fingerprint,
            snapshot.state,
            snapshot.taken_at.timestamp_micros(),
        ])
        .map_err(sqlite_error)?;
    Ok(())
}

impl SnapshotStore for SqliteStore {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        // A read of one row, where the caller is, as a fold would be: no hop to the blocking pool for it.
        self.read_here(|connection| read_snapshot(connection, stream_id))
    }

    async fn save_snapshot(&self, stream_id: &str, snapshot: Snapshot) -> Result<(), StoreError> {
        let stream_id = stream_id.to_owned();
        self.run(move |connection| write_snapshot(connection, &stream_id, &snapshot)).await
    }
}
