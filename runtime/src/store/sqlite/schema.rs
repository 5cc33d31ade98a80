//! The SQLite store's layout, the migrations from older layouts, and opening a file that other processes may be
//! opening at the same moment.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use super::Durability;

/// The version of the database layout this build reads and writes, kept in SQLite's `PRAGMA user_version`.
///
/// A fresh database (`user_version` 0) is given this layout on open; a file of an older layout is migrated on open,
/// in one transaction; a file with a higher number than this one is refused rather than misread.
///
/// - 1: a `WITHOUT ROWID` table clustered on `(stream_id, stream_version)`, the global log through an index on
///   `position`.
/// - 2: the table keyed by `position` (its statements are in `schema.rs`), event ids and aggregate types.
/// - 3: layout 2 and the projections' checkpoints (table `projection_checkpoints`, its statement in `schema.rs`).
/// - 4: layout 3 and the aggregates' snapshots (table `snapshots`, its statement in `schema.rs`).
pub const SCHEMA_VERSION: i64 = 4;

/// How long opening, and a writer, wait for another process's lock before they fail.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The layout of [`SCHEMA_VERSION`] 2.
///
/// The table is keyed by `position` (a rowid table: `position` is the rowid), so the global log, which projections
/// read from end to end, is the table itself read in order: one sequential pass, no index lookups. Streams are
/// reached through the unique index on `(stream_id, stream_version)`, which also makes a stream's current version one
/// seek; loading a stream looks up each of its rows by position, and a stream's events, appended in batches, sit
/// close together in the log. Columns a filtered read of the log tests (`event_name`, `aggregate_type`) come before
/// the large ones, so passing over an event the read does not select never decodes its payload. `STRICT` makes
/// SQLite refuse values of the wrong type. `event_id` is the UUID's 16 bytes, unique (`events_id`: one id is one event; v7 ids grow with time, so the index grows
/// at its end). `metadata` is NULL when the metadata is
/// empty (most events). `recorded_at` is microseconds since the Unix epoch.
pub(super) const LAYOUT: &str = "
    CREATE TABLE events (
        position       INTEGER PRIMARY KEY,
        stream_id      TEXT    NOT NULL,
        stream_version INTEGER NOT NULL,
        event_name     TEXT    NOT NULL,
        aggregate_type TEXT,
        event_version  INTEGER NOT NULL,
        event_id       BLOB    NOT NULL,
        recorded_at    INTEGER NOT NULL,
        metadata       BLOB,
        payload        BLOB    NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX events_stream ON events (stream_id, stream_version);
    CREATE UNIQUE INDEX events_id ON events (event_id);
";

/// The projections' checkpoints (layout 3): the position each projection continues from, by its name, so that a
/// read model kept in the same file commits its updates and its checkpoint in one transaction. `updated_at` is
/// microseconds since the Unix epoch, for people looking at the file.
pub(super) const CHECKPOINTS: &str = "
    CREATE TABLE projection_checkpoints (
        projection    TEXT    PRIMARY KEY,
        next_position INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
";

/// The aggregates' snapshots (layout 4): the newest snapshot of each stream, its state as JSON, with the stream
/// version it was taken at and the fingerprint of the state's shape. A rowid table (with an index on `stream_id`)
/// rather than `WITHOUT ROWID`, since states can be far larger than a clustered row should be. `taken_at` is
/// microseconds since the Unix epoch.
pub(super) const SNAPSHOTS: &str = "
    CREATE TABLE snapshots (
        stream_id      TEXT    NOT NULL UNIQUE,
        stream_version INTEGER NOT NULL,
        fingerprint    TEXT    NOT NULL,
        state          BLOB    NOT NULL,
        taken_at       INTEGER NOT NULL
    ) STRICT;
";

/// Layout 1 to 2: the v1 table is renamed aside (its index goes with it), the v2 table created, every row copied in
/// position order, and the v1 table dropped. Events of v1 had no ids: each is given a UUID v7 of its recorded time,
/// so that ids still sort by time. They had no aggregate type either, and keep none.
const MIGRATE_1_TO_2_BEFORE: &str = "ALTER TABLE events RENAME TO events_v1;";
const MIGRATE_1_TO_2_ROWS: &str = "SELECT position, recorded_at FROM events_v1 ORDER BY position";
const MIGRATE_1_TO_2_COPY: &str =
    "INSERT INTO events (position, stream_id, stream_version, event_name, event_version, \
                                   event_id, recorded_at, metadata, payload) \
                                   SELECT position, stream_id, stream_version, event_name, event_version, ?2, \
                                   recorded_at, metadata, payload FROM events_v1 WHERE position = ?1";
const MIGRATE_1_TO_2_AFTER: &str = "DROP TABLE events_v1;";

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

/// Why a file could not be made ready.
pub(super) enum Refusal {
    Sqlite(rusqlite::Error),
    Newer(i64),
}

impl From<rusqlite::Error> for Refusal {
    fn from(error: rusqlite::Error) -> Self {
        Refusal::Sqlite(error)
    }
}

/// Puts a freshly opened file connection in WAL mode, with the `synchronous` setting `durability` asks for.
///
/// Processes opening a brand-new file at once race to switch it to WAL, and SQLite answers the losers `SQLITE_BUSY`
/// at once, without waiting for the busy timeout (the switch needs an exclusive lock, and waiting for it could
/// deadlock); so the switch is retried until [`BUSY_TIMEOUT`] has passed.
pub(super) fn prepare_file(connection: &Connection, durability: Durability) -> rusqlite::Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // Setting the journal mode answers with the mode in force, which `pragma_update` would reject as a result.
    retry_while_busy(|| {
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
    })?;
    retry_while_busy(|| connection.pragma_update(None, "synchronous", durability.synchronous()))
}

/// Brings the database to [`SCHEMA_VERSION`], in one `IMMEDIATE` transaction, so that processes opening a file at
/// once neither both create the tables nor both migrate; retried like [`prepare_file`] when SQLite answers busy.
pub(super) fn migrate(connection: &mut Connection) -> Result<(), Refusal> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match migrate_once(connection) {
            Err(Refusal::Sqlite(error)) if is_busy(&error) && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

fn migrate_once(connection: &mut Connection) -> Result<(), Refusal> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = transaction.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match found {
        0 => {
            transaction.execute_batch(LAYOUT)?;
            transaction.execute_batch(CHECKPOINTS)?;
            transaction.execute_batch(SNAPSHOTS)?;
        }
        // Each step brings one layout to the next; an older file takes every step after its own.
        1 => {
            migrate_1_to_2(&transaction)?;
            transaction.execute_batch(CHECKPOINTS)?;
            transaction.execute_batch(SNAPSHOTS)?;
        }
        2 => {
            transaction.execute_batch(CHECKPOINTS)?;
            transaction.execute_batch(SNAPSHOTS)?;
        }
        3 => transaction.execute_batch(SNAPSHOTS)?,
        SCHEMA_VERSION => return Ok(()),
        newer => return Err(Refusal::Newer(newer)),
    }
    transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    transaction.commit()?;
    Ok(())
}

fn migrate_1_to_2(transaction: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    transaction.execute_batch(MIGRATE_1_TO_2_BEFORE)?;
    transaction.execute_batch(LAYOUT)?;
    let rows: Vec<(i64, Option<i64>)> = transaction
        .prepare(MIGRATE_1_TO_2_ROWS)?
        .query_map([], |row| Ok((row.get(0)?, row.get::<_, Option<i64>>(1).ok().flatten())))?
        .collect::<rusqlite::Result<_>>()?;
    let mut copy = transaction.prepare(MIGRATE_1_TO_2_COPY)?;
    for (position, recorded_at) in rows {
        let micros = recorded_at.unwrap_or(0);
        let seconds = u64::try_from(micros.div_euclid(1_000_000)).unwrap_or(0);
        let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1_000).unwrap_or(0);
        let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, seconds, nanos));
        copy.execute(rusqlite::params![position, id.as_bytes().as_slice()])?;
    }
    drop(copy);
    transaction.execute_batch(MIGRATE_1_TO_2_AFTER)
}

/// Runs `attempt` again while SQLite answers that the database is busy or locked, until [`BUSY_TIMEOUT`] has passed.
fn retry_while_busy<T>(mut attempt: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match attempt() {
            Err(error) if is_busy(&error) && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}
