//! The embedded event store: one SQLite file (or an in-memory database), with nothing to install or run beside it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior};

use crate::{
    AppendOutcome, ConflictError, Envelope, EventStore, ExpectedVersion, Metadata, NewEvent, RecordedEvent,
    RecordedEventRef, StoreError, Timestamp,
};

/// The version of the database layout this build reads and writes, kept in SQLite's `PRAGMA user_version`.
///
/// A fresh database (`user_version` 0) is given this layout on open; a later layout change will raise the number and
/// migrate older files, and a file with a higher number than this one is refused rather than misread.
pub const SCHEMA_VERSION: i64 = 1;

/// How long a writer waits for another process's write lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The layout of [`SCHEMA_VERSION`] 1.
///
/// The table is clustered on `(stream_id, stream_version)` (`WITHOUT ROWID`), so loading an aggregate, the hot path,
/// is one range scan over adjacent rows, and the current version of a stream is one seek to its last row. (Clustering
/// pays while rows stay small enough to sit in their b-tree page, up to about 1 KB with 4 KiB pages, which event
/// payloads usually are; larger ones spill to overflow pages as they would in a rowid table.) The global
/// log is reached through the unique index on `position`, which also makes `max(position)` a single seek. `STRICT`
/// makes SQLite refuse values of the wrong type, so a bug cannot quietly store text where a number belongs.
/// `metadata` is NULL when the metadata is empty (most events), which costs neither space nor a JSON parse on read.
/// `recorded_at` is microseconds since the Unix epoch: an integer sorts, compares and stores smaller than text.
const SCHEMA: &str = "
    CREATE TABLE events (
        stream_id      TEXT    NOT NULL,
        stream_version INTEGER NOT NULL,
        position       INTEGER NOT NULL,
        event_name     TEXT    NOT NULL,
        event_version  INTEGER NOT NULL,
        payload        BLOB    NOT NULL,
        metadata       BLOB,
        recorded_at    INTEGER NOT NULL,
        PRIMARY KEY (stream_id, stream_version)
    ) STRICT, WITHOUT ROWID;
    CREATE UNIQUE INDEX events_position ON events (position);
";

const STREAM_VERSION: &str =
    "SELECT stream_version FROM events WHERE stream_id = ?1 ORDER BY stream_version DESC LIMIT 1";
const HEAD: &str = "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1";
const INSERT: &str = "INSERT INTO events (stream_id, stream_version, position, event_name, event_version, payload, \
                      metadata, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
// Both reads select the same columns in the same order (see `Columns`); the log read adds the stream id last.
const READ_STREAM: &str = "SELECT stream_version, position, event_name, event_version, payload, metadata, recorded_at \
                           FROM events WHERE stream_id = ?1 AND stream_version >= ?2 ORDER BY stream_version";
// What folding needs, and no more: SQLite computes every selected column of every row, and each column read through
// rusqlite costs a few calls. The position, needed only to report an event that cannot be decoded, is looked up then
// with `POSITION`.
const FOLD_STREAM: &str = "SELECT stream_version, event_name, event_version, payload \
                           FROM events WHERE stream_id = ?1 AND stream_version >= ?2 ORDER BY stream_version";
const POSITION: &str = "SELECT position FROM events WHERE stream_id = ?1 AND stream_version = ?2";
const READ_ALL: &str = "SELECT stream_version, position, event_name, event_version, payload, metadata, recorded_at, \
                        stream_id FROM events WHERE position >= ?1 ORDER BY position LIMIT ?2";

/// The column indexes of a row read by [`READ_STREAM`] or [`READ_ALL`].
struct Columns;

impl Columns {
    const STREAM_VERSION: usize = 0;
    const POSITION: usize = 1;
    const EVENT_NAME: usize = 2;
    const EVENT_VERSION: usize = 3;
    const PAYLOAD: usize = 4;
    const METADATA: usize = 5;
    const RECORDED_AT: usize = 6;
    const STREAM_ID: usize = 7;
}

/// The column indexes of a row read by [`FOLD_STREAM`].
struct FoldColumns;

impl FoldColumns {
    const STREAM_VERSION: usize = 0;
    const EVENT_NAME: usize = 1;
    const EVENT_VERSION: usize = 2;
    const PAYLOAD: usize = 3;
}

/// A database file whose layout is newer than this build knows; opening it was refused so that it is not misread.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{}` has event store schema version {found}, but this build of factum only knows versions up to {supported}: \
     open it with a newer factum",
    path.display()
)]
pub struct UnsupportedSchemaVersion {
    /// The database file.
    pub path: PathBuf,
    /// The `user_version` found in the file.
    pub found: i64,
    /// The newest version this build knows ([`SCHEMA_VERSION`]).
    pub supported: i64,
}

/// A database file that could not be opened as an event store (missing folder, not a database, no permission, ...).
#[derive(Debug, thiserror::Error)]
#[error("cannot open the SQLite event store `{}`: {source}", path.display())]
pub struct OpenError {
    /// The database file.
    pub path: PathBuf,
    /// What SQLite said.
    #[source]
    pub source: rusqlite::Error,
}

/// An event store in an SQLite database.
///
/// Clones are cheap and share one connection. Every operation runs on tokio's blocking thread pool, so async callers
/// are never blocked by disk I/O; operations of one store take turns on its connection. Appends run in a
/// `BEGIN IMMEDIATE` transaction, which also orders them against other processes writing the same file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it and its tables if needed.
    ///
    /// The file is put in WAL mode with `synchronous=NORMAL`: a commit survives a crash of the process, and at worst
    /// the last commits before a power loss are lost, never the file's consistency. A file written by a newer factum
    /// is refused with [`UnsupportedSchemaVersion`] (inside [`StoreError::Backend`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let opened = || -> rusqlite::Result<Connection> {
            let connection = Connection::open(path)?;
            connection.busy_timeout(BUSY_TIMEOUT)?;
            // Setting the journal mode answers with the mode in force, which `pragma_update` would reject as a result.
            connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
            connection.pragma_update(None, "synchronous", "NORMAL")?;
            Ok(connection)
        };
        let connection = opened().map_err(|source| StoreError::backend(OpenError { path: path.to_owned(), source }))?;
        Self::with_connection(connection, path)
    }

    /// Opens a fresh database that lives in memory, gone when the last clone of the store is dropped.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(StoreError::backend)?;
        Self::with_connection(connection, Path::new(":memory:"))
    }

    fn with_connection(mut connection: Connection, path: &Path) -> Result<Self, StoreError> {
        migrate(&mut connection, path)?;
        Ok(SqliteStore { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Runs `work` on the connection, on the blocking thread pool.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        let work = tokio::task::spawn_blocking(move || {
            // A panic while the lock was held rolled its transaction back as it unwound, so the connection is fine.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        });
        match work.await {
            Ok(result) => result,
            // A panic in the caller's code (a fold's visitor) stays a panic, as it would have without the hop.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(StoreError::backend(error)),
        }
    }
}

/// Brings the database to [`SCHEMA_VERSION`], in one transaction so that two processes opening a fresh file at once
/// do not both create the tables.
fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let transaction =
        connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::backend)?;
    let found: i64 =
        transaction.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(StoreError::backend)?;
    match found {
        0 => {
            transaction.execute_batch(SCHEMA).map_err(StoreError::backend)?;
            transaction.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(StoreError::backend)?;
        }
        SCHEMA_VERSION => {}
        _ => {
            return Err(StoreError::backend(UnsupportedSchemaVersion {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            }))
        }
    }
    transaction.commit().map_err(StoreError::backend)
}

/// Converts a version, position or count to SQLite's integer, saturating: no real log reaches `i64::MAX`, and a bound
/// past it (a reader asking for `u64::MAX`) means the same as `i64::MAX`.
fn sql_integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn append(
    connection: &mut Connection,
    stream_id: &str,
    expected: ExpectedVersion,
    events: &[NewEvent],
) -> Result<AppendOutcome, StoreError> {
    let transaction =
        connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::backend)?;
    let actual: i64 = transaction
        .prepare_cached(STREAM_VERSION)
        .and_then(|mut statement| statement.query_row([stream_id], |row| row.get(0)).optional())
        .map_err(StoreError::backend)?
        .unwrap_or(0);
    // Versions were written by this store from counts, so they are never negative.
    let actual = actual.max(0) as u64;
    if !expected.admits(actual) {
        return Err(ConflictError { stream_id: stream_id.to_owned(), expected, actual }.into());
    }
    let (last_position, last_recorded_at): (i64, i64) = transaction
        .prepare_cached(HEAD)
        .and_then(|mut statement| statement.query_row([], |row| Ok((row.get(0)?, row.get(1)?))).optional())
        .map_err(StoreError::backend)?
        .unwrap_or((0, i64::MIN));
    let last_position = last_position.max(0) as u64;
    if events.is_empty() {
        return Ok(AppendOutcome { stream_version: actual, position: last_position });
    }
    // The wall clock can step backwards; recorded times must not, so that they follow positions.
    let recorded_at = chrono::Utc::now().timestamp_micros().max(last_recorded_at);
    {
        let mut insert = transaction.prepare_cached(INSERT).map_err(StoreError::backend)?;
        for (offset, event) in (1u64..).zip(events) {
            let metadata = encode_metadata(&event.metadata).map_err(|source| StoreError::Encode {
                event_name: event.event_name.clone(),
                message: source.to_string(),
            })?;
            insert
                .execute(rusqlite::params![
                    stream_id,
                    sql_integer(actual + offset),
                    sql_integer(last_position + offset),
                    event.event_name,
                    i64::from(event.event_version),
                    event.payload,
                    metadata,
                    recorded_at,
                ])
                .map_err(StoreError::backend)?;
        }
    }
    transaction.commit().map_err(StoreError::backend)?;
    let appended = events.len() as u64;
    Ok(AppendOutcome { stream_version: actual + appended, position: last_position + appended })
}

/// Empty metadata is stored as NULL, everything else as JSON.
fn encode_metadata(metadata: &Metadata) -> Result<Option<Vec<u8>>, serde_json::Error> {
    if *metadata == Metadata::default() {
        Ok(None)
    } else {
        serde_json::to_vec(metadata).map(Some)
    }
}

/// The parts of a row that folding needs, checked but not copied.
struct Lent<'row> {
    stream_version: u64,
    event_name: &'row str,
    event_version: u32,
    payload: &'row [u8],
}

/// Reads the parts of a row that folding needs, at the given column indexes (stream version, event name, event
/// version, payload).
///
/// This runs once per event of every load, so the common case is a few pattern matches; working out what is wrong
/// with a row that does not match is left to [`diagnose_row`].
#[inline]
fn lend<'row>(row: &'row Row<'_>, stream_id: &str, columns: [usize; 4]) -> Result<Lent<'row>, StoreError> {
    let [stream_version_column, event_name_column, event_version_column, payload_column] = columns;
    let Ok(ValueRef::Integer(stream_version)) = row.get_ref(stream_version_column) else {
        return Err(diagnose_row(row, stream_id, columns));
    };
    let Ok(ValueRef::Text(event_name)) = row.get_ref(event_name_column) else {
        return Err(diagnose_row(row, stream_id, columns));
    };
    let Ok(ValueRef::Integer(event_version)) = row.get_ref(event_version_column) else {
        return Err(diagnose_row(row, stream_id, columns));
    };
    let Ok(ValueRef::Blob(payload)) = row.get_ref(payload_column) else {
        return Err(diagnose_row(row, stream_id, columns));
    };
    let (Ok(stream_version), Ok(event_name), Ok(event_version)) =
        (u64::try_from(stream_version), std::str::from_utf8(event_name), u32::try_from(event_version))
    else {
        return Err(diagnose_row(row, stream_id, columns));
    };
    Ok(Lent { stream_version, event_name, event_version, payload })
}

/// Says what is wrong with a row that [`lend`] could not read.
#[cold]
#[inline(never)]
fn diagnose_row(row: &Row<'_>, stream_id: &str, columns: [usize; 4]) -> StoreError {
    let [stream_version_column, event_name_column, event_version_column, payload_column] = columns;
    let stream_version = match row.get_ref(stream_version_column) {
        Ok(ValueRef::Integer(version)) => u64::try_from(version).ok(),
        _ => None,
    };
    let Some(stream_version) = stream_version else {
        return corrupt(stream_id, 0, "stream version: not a non-negative integer");
    };
    let problem = match (row.get_ref(event_name_column), row.get_ref(event_version_column), row.get_ref(payload_column))
    {
        (Err(error), ..) | (_, Err(error), _) | (.., Err(error)) => return StoreError::backend(error),
        (Ok(ValueRef::Text(name)), ..) if std::str::from_utf8(name).is_err() => "event name: not UTF-8".to_owned(),
        (Ok(name), ..) if !matches!(name, ValueRef::Text(_)) => {
            format!("event name: a {} instead of text", name.data_type())
        }
        (_, Ok(ValueRef::Integer(version)), _) if u32::try_from(version).is_err() => {
            format!("event version: {version} is not a 32-bit unsigned integer")
        }
        (_, Ok(version), _) if !matches!(version, ValueRef::Integer(_)) => {
            format!("event version: a {} instead of an integer", version.data_type())
        }
        (.., Ok(payload)) if !matches!(payload, ValueRef::Blob(_)) => {
            format!("payload: a {} instead of a blob", payload.data_type())
        }
        _ => "the row cannot be read".to_owned(),
    };
    corrupt(stream_id, stream_version, problem)
}

/// Reads a stored position.
fn position(stream_id: &str, stream_version: u64, value: ValueRef<'_>) -> Result<u64, StoreError> {
    match value {
        ValueRef::Integer(position) if position >= 0 => Ok(position as u64),
        ValueRef::Integer(_) => Err(corrupt(stream_id, stream_version, "position: negative")),
        other => Err(corrupt(stream_id, stream_version, format_args!("position: a {}", other.data_type()))),
    }
}

/// Reads a whole row of [`READ_STREAM`] or [`READ_ALL`]; the stream id is `stream_id`, or read from the row when
/// `None`.
fn read_row(row: &Row<'_>, stream_id: Option<&str>) -> Result<RecordedEvent, StoreError> {
    let column = |index: usize| row.get_ref(index).map_err(StoreError::backend);
    let stream_id = match stream_id {
        Some(stream_id) => stream_id,
        None => {
            let value = column(Columns::STREAM_ID)?;
            value.as_str().map_err(|source| corrupt("", 0, format_args!("stream id: {source}")))?
        }
    };
    let columns = [Columns::STREAM_VERSION, Columns::EVENT_NAME, Columns::EVENT_VERSION, Columns::PAYLOAD];
    let Lent { stream_version, event_name, event_version, payload } = lend(row, stream_id, columns)?;
    let failed = |what: &str, message: &dyn std::fmt::Display| {
        corrupt(stream_id, stream_version, format_args!("{what}: {message}"))
    };
    let position = position(stream_id, stream_version, column(Columns::POSITION)?)?;
    let metadata = match column(Columns::METADATA)? {
        ValueRef::Null => Metadata::default(),
        ValueRef::Blob(bytes) => serde_json::from_slice(bytes).map_err(|source| failed("metadata", &source))?,
        _ => return Err(failed("metadata", &"not a blob")),
    };
    let recorded_at = column(Columns::RECORDED_AT)?.as_i64().ok().and_then(Timestamp::from_timestamp_micros);
    let recorded_at =
        recorded_at.ok_or_else(|| failed("recorded at", &"not a time in microseconds since the epoch"))?;
    Ok(RecordedEvent {
        envelope: Envelope {
            stream_id: stream_id.to_owned(),
            stream_version,
            position,
            recorded_at,
            event_name: event_name.to_owned(),
            event_version,
            metadata,
        },
        payload: payload.to_vec(),
    })
}

fn corrupt(stream_id: &str, stream_version: u64, message: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { stream_id: stream_id.to_owned(), stream_version, message: message.to_string() }
}

fn read_stream(connection: &Connection, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut statement = connection.prepare_cached(READ_STREAM).map_err(StoreError::backend)?;
    let mut rows =
        statement.query(rusqlite::params![stream_id, sql_integer(from_version)]).map_err(StoreError::backend)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::backend)? {
        events.push(read_row(row, Some(stream_id))?);
    }
    Ok(events)
}

fn fold_stream<T>(
    connection: &Connection,
    stream_id: &str,
    from_version: u64,
    mut accumulator: T,
    mut visit: impl FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError>,
) -> Result<T, StoreError> {
    // The lookup runs while the fold's statement is still stepping, so it reads the same snapshot of the database.
    let look_up_position = |stream_version: u64| {
        let mut statement = connection.prepare_cached(POSITION).map_err(StoreError::backend)?;
        let stored = statement.query_row(rusqlite::params![stream_id, sql_integer(stream_version)], |row| {
            Ok(position(stream_id, stream_version, row.get_ref(0)?))
        });
        stored.map_err(StoreError::backend)?
    };
    let mut statement = connection.prepare_cached(FOLD_STREAM).map_err(StoreError::backend)?;
    let mut rows =
        statement.query(rusqlite::params![stream_id, sql_integer(from_version)]).map_err(StoreError::backend)?;
    let columns =
        [FoldColumns::STREAM_VERSION, FoldColumns::EVENT_NAME, FoldColumns::EVENT_VERSION, FoldColumns::PAYLOAD];
    while let Some(row) = rows.next().map_err(StoreError::backend)? {
        let Lent { stream_version, event_name, event_version, payload } = lend(row, stream_id, columns)?;
        let look_up = || look_up_position(stream_version);
        let event = RecordedEventRef::with_position_lookup(
            stream_id,
            stream_version,
            event_name,
            event_version,
            payload,
            &look_up,
        );
        visit(&mut accumulator, event)?;
    }
    Ok(accumulator)
}

fn read_all(connection: &Connection, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut statement = connection.prepare_cached(READ_ALL).map_err(StoreError::backend)?;
    let limit = sql_integer(limit as u64);
    let mut rows = statement.query([sql_integer(from_position), limit]).map_err(StoreError::backend)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::backend)? {
        events.push(read_row(row, None)?);
    }
    Ok(events)
}

impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let stream_id = stream_id.to_owned();
        self.run(move |connection| append(connection, &stream_id, expected, &events)).await
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream_id = stream_id.to_owned();
        self.run(move |connection| read_stream(connection, &stream_id, from_version)).await
    }

    async fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.run(move |connection| read_all(connection, from_position, limit)).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let stream_id = stream_id.to_owned();
        self.run(move |connection| {
            let version: Option<i64> = connection
                .prepare_cached(STREAM_VERSION)
                .and_then(|mut statement| statement.query_row([&stream_id], |row| row.get(0)).optional())
                .map_err(StoreError::backend)?;
            Ok(version.unwrap_or(0).max(0) as u64)
        })
        .await
    }

    async fn fold_stream<T, F>(&self, stream_id: &str, from_version: u64, init: T, visit: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send + 'static,
    {
        let stream_id = stream_id.to_owned();
        self.run(move |connection| fold_stream(connection, &stream_id, from_version, init, visit)).await
    }
}
