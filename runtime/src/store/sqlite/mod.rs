//! The embedded event store: one SQLite file (or an in-memory database), with nothing to install or run beside it.

mod batch;
mod group;
mod options;
mod projection;
mod readers;
mod schema;
mod snapshot;
mod stream_query;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::{Value, ValueRef};
use rusqlite::{OptionalExtension, Row};

pub use options::{Durability, SqliteOptions};
pub use projection::TransactionalRunner;
/// The SQLite bindings the store is built on, so that a transactional projection's handlers write their tables
/// without a `rusqlite` dependency of their own.
pub use rusqlite;
/// The connection a transactional projection's handlers are handed, inside the batch's transaction.
pub use rusqlite::Connection;
pub use schema::{OpenError, UnsupportedSchemaVersion, SCHEMA_VERSION};

use crate::event_ref::MetadataRef;
use crate::store::live::Head;
use crate::store::{LogFold, LogQuery, StreamAppend, StreamQuery};
use crate::{
    AppendOutcome, ConflictError, DuplicateEventId, EventStore, ExpectedVersion, LogEventRef, Metadata, NewEvent,
    RecordedEvent, RecordedEventRef, StoreError, Timestamp,
};

const STREAM_VERSION: &str =
    "SELECT stream_version FROM events WHERE stream_id = ?1 ORDER BY stream_version DESC LIMIT 1";
const HEAD: &str = "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1";
const INSERT: &str = "INSERT INTO events (position, stream_id, stream_version, event_name, aggregate_type, \
                      event_version, event_id, recorded_at, metadata, payload) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
/// Every column of an event, in the order of [`Columns`]; the stream read and the log reads select these.
const SELECTED: &str =
    "stream_version, position, event_name, event_version, payload, metadata, recorded_at, event_id, aggregate_type";
// What folding a stream needs, and no more: SQLite computes every selected column of every row, and each column read
// through rusqlite costs a few calls. The position, needed only to report an event that cannot be decoded, is looked
// up then with `POSITION`.
const FOLD_STREAM: &str = "SELECT stream_version, event_name, event_version, payload \
                           FROM events WHERE stream_id = ?1 AND stream_version >= ?2 ORDER BY stream_version";
const POSITION: &str = "SELECT position FROM events WHERE stream_id = ?1 AND stream_version = ?2";

/// The column indexes of a row of [`SELECTED`] columns; a log read adds the stream id last.
struct Columns;

impl Columns {
    const STREAM_VERSION: usize = 0;
    const POSITION: usize = 1;
    const EVENT_NAME: usize = 2;
    const EVENT_VERSION: usize = 3;
    const PAYLOAD: usize = 4;
    const METADATA: usize = 5;
    const RECORDED_AT: usize = 6;
    const EVENT_ID: usize = 7;
    const AGGREGATE_TYPE: usize = 8;
    const STREAM_ID: usize = 9;
}

/// The column indexes of a row read by [`FOLD_STREAM`].
struct FoldColumns;

impl FoldColumns {
    const STREAM_VERSION: usize = 0;
    const EVENT_NAME: usize = 1;
    const EVENT_VERSION: usize = 2;
    const PAYLOAD: usize = 3;
}

/// An event store in an SQLite database.
///
/// Clones are cheap and share one write connection: appends, checkpoints, snapshots and transactional projections
/// take turns on it. Reads of a store in a file (loads, folds, log reads, stream versions, checkpoints and snapshots
/// read back) take one of a few read-only connections of their own, so that a load never waits for the writer: in WAL
/// mode readers work beside the writer, and each read sees the file as of the last commit before it began, never part
/// of a commit. A store in memory reads on its one connection, which another connection could not see. Appends and
/// copying reads run on tokio's blocking thread pool, so async callers are never blocked by disk I/O. Folds run their visitor where
/// they read, so that rows are lent rather than copied, and the visitor need not be `'static`: on a multi-threaded
/// runtime the task's worker thread is handed to the blocking pool for the fold (`block_in_place`), elsewhere the fold
/// runs in place. Appends run in a `BEGIN IMMEDIATE` transaction, which also orders them against other processes
/// writing the same file.
///
/// **Group commit.** Appends made at the same time through one store or its clones (many tasks handling commands)
/// are committed together: one transaction, and so one sync to disk, for the whole group. Each append keeps its own
/// atomicity and its own expected-version check inside the group (a savepoint each): one that conflicts, or whose
/// event id is taken, fails alone, and the others commit. An append alone is committed at once; appends arriving while
/// a group commits form the next group. [`EventStore::append_batch`] stays one all-or-nothing transaction of its own.
///
/// **Durability** is set when the file is opened ([`SqliteStore::open_with`], [`Durability`]): by default every
/// acknowledged append survives a power loss.
///
/// Positions are given in commit order and have no gaps: each append takes the positions after the last one, inside
/// its write transaction.
///
/// Followers of the log ([`EventStore::wait_for_events`]) are woken when an append through this store or a clone of
/// it commits; on a file, commits by other processes are found by polling the end of the log with backoff (see the
/// trait). A store in memory has no other writer, and never polls.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The write connection (and, in memory, the only one).
    connection: Arc<Mutex<Connection>>,
    /// The read connections of a store in a file; `None` in memory.
    readers: Option<Arc<readers::Readers>>,
    /// The options the store was opened with.
    options: SqliteOptions,
    /// Appends waiting to be committed together by the next writer (see [`group`]).
    queue: group::Queue,
    head: Head,
    /// Whether other connections may write the database (a file), so that waiting for events must also poll.
    shared: bool,
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it and its tables if needed, and migrating an older layout, with
    /// the default [`SqliteOptions`]: every acknowledged append survives a power loss ([`Durability::Full`]).
    ///
    /// The file is put in WAL mode. Several processes may open a new file at once. A file written by a newer factum
    /// is refused with [`UnsupportedSchemaVersion`] (inside [`StoreError::Backend`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database file at `path` as [`SqliteStore::open`] does, with `options` (e.g. a relaxed
    /// [`Durability`]).
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let opened = || -> rusqlite::Result<Connection> {
            let connection = Connection::open(path)?;
            schema::prepare_file(&connection, options.durability)?;
            Ok(connection)
        };
        let connection = opened().map_err(|source| StoreError::backend(OpenError { path: path.to_owned(), source }))?;
        Self::with_connection(connection, path, options, true)
    }

    /// Opens a fresh database that lives in memory, gone when the last clone of the store is dropped.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(sqlite_error)?;
        Self::with_connection(connection, Path::new(":memory:"), SqliteOptions::default(), false)
    }

    /// The options the store was opened with ([`SqliteOptions::default`] for a store in memory, which has nothing to
    /// sync).
    pub fn options(&self) -> &SqliteOptions {
        &self.options
    }

    /// Makes a store of an open connection, prepared with `options`; `shared` says whether other processes may write
    /// the database (a file).
    fn with_connection(
        mut connection: Connection,
        path: &Path,
        options: SqliteOptions,
        shared: bool,
    ) -> Result<Self, StoreError> {
        let migrated = schema::migrate(&mut connection).and_then(|()| Ok(head(&connection)?));
        match migrated {
            Ok(position) => {
                let connection = Arc::new(Mutex::new(connection));
                let queue = group::Queue::default();
                let readers = shared.then(|| Arc::new(readers::Readers::new(path, options.readers)));
                Ok(SqliteStore { connection, readers, options, queue, head: Head::new(position), shared })
            }
            Err(schema::Refusal::Sqlite(source)) => {
                Err(StoreError::backend(OpenError { path: path.to_owned(), source }))
            }
            Err(schema::Refusal::Newer(found)) => Err(StoreError::backend(UnsupportedSchemaVersion {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            })),
        }
    }

    /// Runs `work` on the connection, on the blocking thread pool.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        blocking(move || {
            // A panic while the lock was held rolled its transaction back as it unwound, so the connection is fine.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await
    }

    /// Runs the read `work` on a read connection (in memory, on the one connection), on the blocking thread pool.
    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.readers {
            Some(readers) => {
                let readers = Arc::clone(readers);
                blocking(move || readers.with(work)).await
            }
            None => self.run(work).await,
        }
    }

    /// Runs the read `work` on a read connection (in memory, on the one connection) here, on the calling thread, as
    /// [`SqliteStore::run_here`] runs its work.
    fn read_here<T, E: From<StoreError>>(&self, work: impl FnOnce(&mut Connection) -> Result<T, E>) -> Result<T, E> {
        match &self.readers {
            Some(readers) => in_place(|| readers.with_connection(work))?,
            None => self.run_here(work),
        }
    }

    /// Runs `work` on the connection here, on the calling thread: a fold whose visitor borrows from the caller.
    ///
    /// On a multi-threaded tokio runtime the worker thread is first handed over to the blocking pool, so that the
    /// runtime's other tasks move to other workers while this one waits for the disk; on any other runtime (or none)
    /// the work simply runs, as a synchronous read would.
    fn run_here<T>(&self, work: impl FnOnce(&mut Connection) -> T) -> T {
        in_place(|| {
            // A panic while the lock was held rolled its transaction back as it unwound, so the connection is fine.
            let mut connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
    }
}

/// Runs `work` on tokio's blocking thread pool and waits for it.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        // A panic on the blocking thread stays a panic, as it would have without the hop.
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(StoreError::backend(error)),
    }
}

/// Runs blocking `work` here: on a multi-threaded tokio runtime the worker thread is first handed over to the blocking
/// pool (`block_in_place`), elsewhere the work simply runs.
fn in_place<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Converts a version, position or count to SQLite's integer, saturating: no real log reaches `i64::MAX`, and a bound
/// past it (a reader asking for `u64::MAX`) means the same as `i64::MAX`.
fn sql_integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The stored time (microseconds) that an event recorded strictly before `instant` stays under: times are stored to
/// the microsecond, so an instant between two microseconds admits the one below it.
fn micros_bound(instant: Timestamp) -> i64 {
    let micros = instant.timestamp_micros();
    if instant.timestamp_subsec_nanos() % 1_000 == 0 {
        micros
    } else {
        micros.saturating_add(1)
    }
}

/// The position of the log's last event, 0 when it is empty: one step to the end of the table.
fn head(connection: &Connection) -> rusqlite::Result<u64> {
    let head: Option<i64> = connection.prepare_cached(HEAD)?.query_row([], |row| row.get(0)).optional()?;
    Ok(head.unwrap_or(0).max(0) as u64)
}

/// Checks `expected` and inserts `events` inside the transaction (or savepoint) open on `transaction`, which the
/// caller commits; on an error the caller rolls back what was inserted, by dropping the transaction or savepoint.
fn write_append(
    transaction: &Connection,
    stream_id: &str,
    expected: ExpectedVersion,
    events: &[NewEvent],
) -> Result<AppendOutcome, StoreError> {
    let actual: i64 = transaction
        .prepare_cached(STREAM_VERSION)
        .and_then(|mut statement| statement.query_row([stream_id], |row| row.get(0)).optional())
        .map_err(sqlite_error)?
        .unwrap_or(0);
    // Versions were written by this store from counts, so they are never negative.
    let actual = actual.max(0) as u64;
    if !expected.admits(actual) {
        return Err(ConflictError { stream_id: stream_id.to_owned(), expected, actual }.into());
    }
    let (last_position, last_recorded_at): (i64, i64) = transaction
        .prepare_cached(HEAD)
        .and_then(|mut statement| statement.query_row([], |row| Ok((row.get(0)?, row.get(1)?))).optional())
        .map_err(sqlite_error)?
        .unwrap_or((0, i64::MIN));
    let last_position = last_position.max(0) as u64;
    if events.is_empty() {
        return Ok(AppendOutcome { stream_version: actual, position: last_position });
    }
    // The wall clock can step backwards; stamped times must not, so that they follow positions.
    let stamped = chrono::Utc::now().timestamp_micros().max(last_recorded_at);
    {
        let mut insert = transaction.prepare_cached(INSERT).map_err(sqlite_error)?;
        for (offset, event) in (1u64..).zip(events) {
            let metadata = encode_metadata(&event.metadata).map_err(|source| StoreError::Encode {
                event_name: event.event_name.clone(),
                message: source.to_string(),
            })?;
            let recorded_at = event.recorded_at.map_or(stamped, |given| given.timestamp_micros());
            insert
                .execute(rusqlite::params![
                    sql_integer(last_position + offset),
                    stream_id,
                    sql_integer(actual + offset),
                    event.event_name,
                    event.aggregate_type,
                    i64::from(event.event_version),
                    event.event_id.as_bytes().as_slice(),
                    recorded_at,
                    metadata,
                    event.payload,
                ])
                .map_err(|error| match is_taken_event_id(&error) {
                    // Dropping the transaction rolls back what this append inserted before.
                    true => DuplicateEventId { stream_id: stream_id.to_owned(), event_id: event.event_id }.into(),
                    false => sqlite_error(error),
                })?;
        }
    }
    let appended = events.len() as u64;
    Ok(AppendOutcome { stream_version: actual + appended, position: last_position + appended })
}

/// Types an SQLite error: "database is busy" and "database is locked" (another connection held the lock past the
/// busy timeout, or a lock conflict SQLite does not wait for) are [`StoreError::Transient`], since the same operation
/// may succeed when tried again, and a transaction that fails with them is rolled back; anything else is
/// [`StoreError::Backend`].
fn sqlite_error(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => StoreError::transient(error),
        _ => StoreError::backend(error),
    }
}

/// Whether an insert failed because its event id is already stored (the unique index `events_id`).
fn is_taken_event_id(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, Some(message))
            if failure.code == rusqlite::ErrorCode::ConstraintViolation && message.contains("events.event_id")
    )
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
        (Err(error), ..) | (_, Err(error), _) | (.., Err(error)) => return sqlite_error(error),
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

/// Lends a whole row of [`SELECTED`] columns; the stream id is `stream_id`, or read from the row (after the others)
/// when `None`.
fn lend_row<'row>(row: &'row Row<'_>, stream_id: Option<&'row str>) -> Result<LogEventRef<'row>, StoreError> {
    let column = |index: usize| row.get_ref(index).map_err(sqlite_error);
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
        ValueRef::Null => MetadataRef::Json(None),
        ValueRef::Blob(bytes) => MetadataRef::Json(Some(bytes)),
        _ => return Err(failed("metadata", &"not a blob")),
    };
    let recorded_at = column(Columns::RECORDED_AT)?.as_i64().ok().and_then(Timestamp::from_timestamp_micros);
    let recorded_at =
        recorded_at.ok_or_else(|| failed("recorded at", &"not a time in microseconds since the epoch"))?;
    let event_id = match column(Columns::EVENT_ID)? {
        ValueRef::Blob(bytes) => uuid::Uuid::from_slice(bytes).map_err(|source| failed("event id", &source))?,
        _ => return Err(failed("event id", &"not a blob")),
    };
    let aggregate_type = match column(Columns::AGGREGATE_TYPE)? {
        ValueRef::Null => None,
        ValueRef::Text(text) => Some(std::str::from_utf8(text).map_err(|source| failed("aggregate type", &source))?),
        _ => return Err(failed("aggregate type", &"not text")),
    };
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
        metadata,
    })
}

fn corrupt(stream_id: &str, stream_version: u64, message: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { stream_id: stream_id.to_owned(), stream_version, message: message.to_string() }
}

fn read_stream(connection: &Connection, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql =
        format!("SELECT {SELECTED} FROM events WHERE stream_id = ?1 AND stream_version >= ?2 ORDER BY stream_version");
    let mut statement = connection.prepare_cached(&sql).map_err(sqlite_error)?;
    let mut rows = statement.query(rusqlite::params![stream_id, sql_integer(from_version)]).map_err(sqlite_error)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        events.push(lend_row(row, Some(stream_id))?.to_recorded()?);
    }
    Ok(events)
}

fn fold_stream<T>(
    connection: &Connection,
    stream_id: &str,
    from_version: u64,
    accumulator: T,
    visit: impl FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError>,
) -> Result<T, StoreError> {
    let parameters = rusqlite::params![stream_id, sql_integer(from_version)];
    fold_stream_rows(connection, stream_id, FOLD_STREAM, parameters, accumulator, visit)
}

/// Lends `visit` every row `sql` reads of `stream_id`: a statement selecting the columns of [`FOLD_STREAM`], in
/// stream order.
fn fold_stream_rows<T>(
    connection: &Connection,
    stream_id: &str,
    sql: &str,
    parameters: impl rusqlite::Params,
    mut accumulator: T,
    mut visit: impl FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError>,
) -> Result<T, StoreError> {
    // The lookup runs while the fold's statement is still stepping, so it reads the same snapshot of the database.
    let look_up_position = |stream_version: u64| {
        let mut statement = connection.prepare_cached(POSITION).map_err(sqlite_error)?;
        let stored = statement.query_row(rusqlite::params![stream_id, sql_integer(stream_version)], |row| {
            Ok(position(stream_id, stream_version, row.get_ref(0)?))
        });
        stored.map_err(sqlite_error)?
    };
    let mut statement = connection.prepare_cached(sql).map_err(sqlite_error)?;
    let mut rows = statement.query(parameters).map_err(sqlite_error)?;
    let columns =
        [FoldColumns::STREAM_VERSION, FoldColumns::EVENT_NAME, FoldColumns::EVENT_VERSION, FoldColumns::PAYLOAD];
    while let Some(row) = rows.next().map_err(sqlite_error)? {
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

/// The statement of a log read, and its parameters: the range and the limit, then the names, the aggregate type and
/// the time bound the query selects, tested in SQL so that a row the query does not select costs a look at its name
/// and no more.
fn log_statement(query: &LogQuery) -> (String, Vec<Value>) {
    let mut sql = format!("SELECT {SELECTED}, stream_id FROM events WHERE position >= ?1 AND position <= ?2");
    let limit = if query.is_empty() { 0 } else { query.limit };
    let mut parameters = vec![
        Value::Integer(sql_integer(query.from_position)),
        Value::Integer(sql_integer(query.to_position)),
        Value::Integer(sql_integer(limit as u64)),
    ];
    if let Some(names) = query.event_names.as_ref().filter(|names| !names.is_empty()) {
        let placeholders: Vec<String> =
            (0..names.len()).map(|index| format!("?{}", parameters.len() + 1 + index)).collect();
        sql.push_str(&format!(" AND event_name IN ({})", placeholders.join(", ")));
        parameters.extend(names.iter().map(|name| Value::Text(name.clone())));
    }
    if let Some(aggregate_type) = &query.aggregate_type {
        sql.push_str(&format!(" AND aggregate_type = ?{}", parameters.len() + 1));
        parameters.push(Value::Text(aggregate_type.clone()));
    }
    if let Some(instant) = query.recorded_before {
        sql.push_str(&format!(" AND recorded_at < ?{}", parameters.len() + 1));
        parameters.push(Value::Integer(micros_bound(instant)));
    }
    sql.push_str(" ORDER BY position LIMIT ?3");
    (sql, parameters)
}

/// Reads the log as `query` asks, lending each row to `visit`; returns how many rows were visited and the position
/// of the last.
fn scan_log<E: From<StoreError>>(
    connection: &Connection,
    query: &LogQuery,
    mut visit: impl FnMut(LogEventRef<'_>) -> Result<(), E>,
) -> Result<(usize, Option<u64>), E> {
    let (sql, parameters) = log_statement(query);
    let mut statement = connection.prepare_cached(&sql).map_err(sqlite_error)?;
    let mut rows = statement.query(rusqlite::params_from_iter(parameters)).map_err(sqlite_error)?;
    let (mut visited, mut last) = (0, None);
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let event = lend_row(row, None)?;
        last = Some(event.position);
        visited += 1;
        visit(event)?;
    }
    Ok((visited, last))
}

fn read_all(connection: &Connection, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut events = Vec::new();
    scan_log(connection, query, |event| {
        events.push(event.to_recorded()?);
        Ok::<_, StoreError>(())
    })?;
    Ok(events)
}

fn fold_all<T, E: From<StoreError>>(
    connection: &mut Connection,
    query: &LogQuery,
    mut accumulator: T,
    mut visit: impl FnMut(&mut T, LogEventRef<'_>) -> Result<(), E>,
) -> Result<LogFold<T>, E> {
    // One read transaction, so that the end of the log read below is the end of the snapshot the scan saw.
    let transaction = connection.transaction().map_err(sqlite_error)?;
    let (visited, last) = scan_log(&transaction, query, |event| visit(&mut accumulator, event))?;
    let next_position = match last {
        Some(last) if visited == query.limit => last + 1,
        _ if query.limit == 0 => query.from_position.max(1),
        // The scan stopped short of its limit, so it saw every selected event up to the end of its range or of the
        // log. Appends write in commit order, one at a time, with positions after the last: nothing can still commit
        // behind the end of this snapshot.
        _ => {
            let head = head(&transaction).map_err(sqlite_error)?;
            query.to_position.min(head).max(query.from_position.max(1) - 1) + 1
        }
    };
    transaction.commit().map_err(sqlite_error)?;
    Ok(LogFold { accumulator, next_position })
}

impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let outcome = group::append(self, stream_id, expected, events).await?;
        self.head.advance(outcome.position);
        Ok(outcome)
    }

    async fn append_batch(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        let outcomes = self.run(move |connection| batch::append_batch(connection, &appends)).await?;
        if let Some(last) = outcomes.iter().map(|outcome| outcome.position).max() {
            self.head.advance(last);
        }
        Ok(outcomes)
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream_id = stream_id.to_owned();
        self.read(move |connection| read_stream(connection, &stream_id, from_version)).await
    }

    async fn read_all(&self, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = query.clone();
        self.read(move |connection| read_all(connection, &query)).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let stream_id = stream_id.to_owned();
        self.read(move |connection| {
            let version: Option<i64> = connection
                .prepare_cached(STREAM_VERSION)
                .and_then(|mut statement| statement.query_row([&stream_id], |row| row.get(0)).optional())
                .map_err(sqlite_error)?;
            Ok(version.unwrap_or(0).max(0) as u64)
        })
        .await
    }

    async fn wait_for_events(&self, from_position: u64) -> Result<u64, StoreError> {
        if !self.shared {
            return Ok(self.head.wait(from_position).await);
        }
        let poll = || self.read(|connection| head(connection).map_err(sqlite_error));
        self.head.wait_or_poll(from_position, poll).await
    }

    async fn fold_stream<T, F>(&self, stream_id: &str, from_version: u64, init: T, visit: F) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        self.read_here(|connection| fold_stream(connection, stream_id, from_version, init, visit))
    }

    async fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        visit: F,
    ) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        self.read_here(|connection| stream_query::fold_stream_query(connection, stream_id, query, init, visit))
    }

    async fn fold_all<T, E, F>(&self, query: &LogQuery, init: T, visit: F) -> Result<LogFold<T>, E>
    where
        T: Send,
        E: From<StoreError> + Send,
        F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
    {
        self.read_here(|connection| fold_all(connection, query, init, visit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks how an SQLite failure with `code` is typed: transient (`true`) or a backend failure.
    fn check(code: std::ffi::c_int, transient: bool) {
        let error = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        let typed = sqlite_error(error);
        assert_eq!(matches!(typed, StoreError::Transient(_)), transient, "{code}: {typed:?}");
        assert_eq!(matches!(typed, StoreError::Backend(_)), !transient, "{code}: {typed:?}");
        assert_eq!(typed.is_retryable(), transient);
    }

    #[test]
    fn busy_and_locked_are_transient() {
        check(rusqlite::ffi::SQLITE_BUSY, true);
        check(rusqlite::ffi::SQLITE_LOCKED, true);
        check(rusqlite::ffi::SQLITE_BUSY_SNAPSHOT, true);
        check(rusqlite::ffi::SQLITE_IOERR, false);
        check(rusqlite::ffi::SQLITE_CORRUPT, false);
        check(rusqlite::ffi::SQLITE_FULL, false);
    }
}

#[cfg(test)]
mod durability_tests {
    use super::*;

    /// Opens a file with `durability` (or with [`SqliteStore::open`] for `None`) and checks the connection's
    /// `synchronous` pragma (SQLite answers 1 for NORMAL, 2 for FULL) and that the file is in WAL mode.
    fn check(durability: Option<Durability>, synchronous: i64) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("events.db");
        let store = match durability {
            Some(durability) => SqliteStore::open_with(&path, SqliteOptions::default().durability(durability)),
            None => SqliteStore::open(&path),
        }
        .unwrap();
        let connection = store.connection.lock().unwrap();
        let found: i64 = connection.pragma_query_value(None, "synchronous", |row| row.get(0)).unwrap();
        let journal: String = connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        assert_eq!((found, journal.as_str()), (synchronous, "wal"), "{durability:?}");
        assert_eq!(store.options().durability, durability.unwrap_or_default());
    }

    #[test]
    fn the_synchronous_pragma_is_what_the_durability_says() {
        check(None, 2);
        check(Some(Durability::Full), 2);
        check(Some(Durability::Relaxed), 1);
    }
}
