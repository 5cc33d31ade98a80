//! The baseline: what `SqliteStore` does for an append, for loading an order and for the `OrderSummary` projection's
//! read of the log, written by hand against rusqlite, with no async runtime and no generic event set in between.
//!
//! **The baseline works on the store's own file and does the store's work, nothing less:** the database is created
//! by `SqliteStore::open`, so the table, its key and its index are the store's; the connection gets the same
//! pragmas; an append runs the same statements, cached, in one `BEGIN IMMEDIATE` transaction, including the
//! expected-version check and the clock that never steps back. What it leaves out is exactly what Factum adds.

use std::path::Path;
use std::time::{Duration, SystemTime};

use factum::store::sqlite::SCHEMA_VERSION;
use factum::types::Uuid;
use factum::{Aggregate, Envelope, EventContext, Metadata, NewEvent, Timestamp};
use orders_example::schema::{
    Order, OrderCancelled, OrderCreated, OrderEvolve, OrderShipped, OrderState, OrderSummaryHandler, PaymentReceived,
    PaymentRejected,
};
use orders_example::Summary;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

// The store's statements, verbatim.
const STREAM_VERSION: &str =
    "SELECT stream_version FROM events WHERE stream_id = ?1 ORDER BY stream_version DESC LIMIT 1";
const HEAD: &str = "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1";
const INSERT: &str = "INSERT INTO events (position, stream_id, stream_version, event_name, aggregate_type, \
                      event_version, event_id, recorded_at, metadata, payload) \
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
// What a hand-written load selects: only what the fold needs.
const LOAD: &str = "SELECT event_name, event_version, payload FROM events WHERE stream_id = ?1 ORDER BY stream_version";
// The store's read of the log for the `OrderSummary` projection: its subscribed events, in position order, every
// column an envelope holds.
const PROJECT: &str = "SELECT stream_version, position, event_name, event_version, payload, metadata, recorded_at, \
                       event_id, aggregate_type, stream_id FROM events WHERE position >= ?1 AND position <= ?2 \
                       AND event_name IN (?4, ?5, ?6, ?7) ORDER BY position LIMIT ?3";

/// Why the baseline failed; any of these aborts the benchmark.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A stream id that is not an order's.
    #[error("stream `{stream_id}`: {message}")]
    StreamId {
        /// The stream id.
        stream_id: String,
        /// What is wrong with it.
        message: String,
    },
    /// A column does not hold the type the store writes there.
    #[error(transparent)]
    Column(#[from] rusqlite::types::FromSqlError),
    /// The file was not created by this build's `SqliteStore`.
    #[error("the database has schema version {found}, expected {SCHEMA_VERSION}")]
    Schema {
        /// The `user_version` found.
        found: i64,
    },
    /// The stream was not at the expected version; nothing was written.
    #[error("stream `{stream_id}` is at version {actual}, expected {expected}")]
    Conflict {
        /// The stream appended to.
        stream_id: String,
        /// The version the append expected.
        expected: u64,
        /// The version the stream is at.
        actual: u64,
    },
    /// A stored payload is not the event its name says.
    #[error("`{event_name}` payload: {source}")]
    Decode {
        /// The stored event name.
        event_name: String,
        /// What serde_json reported.
        source: serde_json::Error,
    },
    /// A stored name and version that the order rules do not know.
    #[error("unknown event `{event_name}` v{event_version}")]
    UnknownEvent {
        /// The stored event name.
        event_name: String,
        /// The stored event version.
        event_version: i64,
    },
}

/// A hand-written event store over one SQLite connection.
#[derive(Debug)]
pub struct RawStore {
    connection: Connection,
}

impl RawStore {
    /// Opens a database file that `SqliteStore::open` created, with the pragmas the store sets.
    pub fn open(path: &Path) -> Result<Self, RawError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if found != SCHEMA_VERSION {
            return Err(RawError::Schema { found });
        }
        Ok(RawStore { connection })
    }

    /// Appends `events` (their metadata is taken to be empty, stored as NULL) to `stream_id`, which must be at
    /// `expected` (0: no stream); returns the stream's new version.
    pub fn append(&mut self, stream_id: &str, expected: u64, events: &[NewEvent]) -> Result<u64, RawError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let actual: i64 = transaction
            .prepare_cached(STREAM_VERSION)?
            .query_row([stream_id], |row| row.get(0))
            .optional()?
            .unwrap_or(0);
        let actual = actual.max(0) as u64;
        if actual != expected {
            return Err(RawError::Conflict { stream_id: stream_id.to_owned(), expected, actual });
        }
        let (last_position, last_recorded_at): (i64, i64) = transaction
            .prepare_cached(HEAD)?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
            .unwrap_or((0, i64::MIN));
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        let recorded_at = i64::try_from(now.as_micros()).unwrap_or(i64::MAX).max(last_recorded_at);
        {
            let mut insert = transaction.prepare_cached(INSERT)?;
            for (offset, event) in (1i64..).zip(events) {
                insert.execute(rusqlite::params![
                    last_position + offset,
                    stream_id,
                    actual as i64 + offset,
                    event.event_name,
                    event.aggregate_type,
                    i64::from(event.event_version),
                    event.event_id.as_bytes().as_slice(),
                    recorded_at,
                    None::<Vec<u8>>,
                    event.payload,
                ])?;
            }
        }
        transaction.commit()?;
        Ok(actual + events.len() as u64)
    }

    /// Loads an order: reads its stream in one prepared statement, decodes each payload straight from the row into
    /// the event struct its name says, and applies it with the order's own `OrderEvolve` methods. Returns the state
    /// and the stream's version.
    pub fn load_order(&self, stream_id: &str) -> Result<(OrderState, u64), RawError> {
        let mut statement = self.connection.prepare_cached(LOAD)?;
        let mut rows = statement.query([stream_id])?;
        let mut state = OrderState::default();
        let mut version = 0;
        while let Some(row) = rows.next()? {
            let event_name = row.get_ref(0)?.as_str()?;
            let event_version: i64 = row.get(1)?;
            let payload = row.get_ref(2)?.as_blob()?;
            match (event_name, event_version) {
                ("OrderCreated", 3) => state.order_created(&decode::<OrderCreated>(event_name, payload)?),
                ("PaymentReceived", 1) => state.payment_received(&decode::<PaymentReceived>(event_name, payload)?),
                ("PaymentRejected", 1) => state.payment_rejected(&decode::<PaymentRejected>(event_name, payload)?),
                ("OrderShipped", 1) => state.order_shipped(&decode::<OrderShipped>(event_name, payload)?),
                ("OrderCancelled", 1) => state.order_cancelled(&decode::<OrderCancelled>(event_name, payload)?),
                _ => return Err(RawError::UnknownEvent { event_name: event_name.to_owned(), event_version }),
            }
            version += 1;
        }
        Ok((state, version))
    }
}

impl RawStore {
    /// Runs the `OrderSummary` projection over the whole log: the store's SQL, one statement, each subscribed row
    /// decoded straight from SQLite's buffer and handed with its envelope to the same handler methods.
    pub fn project_summary(&self) -> Result<Summary, RawError> {
        let mut statement = self.connection.prepare_cached(PROJECT)?;
        let names = ["OrderCreated", "PaymentReceived", "OrderShipped", "OrderCancelled"];
        let parameters = rusqlite::params![1, i64::MAX, i64::MAX, names[0], names[1], names[2], names[3]];
        let mut rows = statement.query(parameters)?;
        let mut summary = Summary::default();
        while let Some(row) = rows.next()? {
            let event_name = row.get_ref(2)?.as_str()?;
            let event_version: i64 = row.get(3)?;
            let payload = row.get_ref(4)?.as_blob()?;
            let metadata = match row.get_ref(5)? {
                rusqlite::types::ValueRef::Null => Metadata::default(),
                other => serde_json::from_slice(other.as_blob()?)
                    .map_err(|source| RawError::Decode { event_name: event_name.to_owned(), source })?,
            };
            let envelope = Envelope {
                event_id: Uuid::from_slice(row.get_ref(7)?.as_blob()?).unwrap_or_default(),
                stream_id: row.get_ref(9)?.as_str()?.to_owned(),
                stream_version: row.get(0)?,
                position: row.get(1)?,
                aggregate_type: row.get(8)?,
                recorded_at: Timestamp::from_timestamp_micros(row.get(6)?).unwrap_or_default(),
                event_name: event_name.to_owned(),
                event_version: event_version as u32,
                metadata,
            };
            // The handlers are given the order's id, read from the stream id as the generated code does.
            let id = Order::parse_stream_id(&envelope.stream_id).map_err(|source| RawError::StreamId {
                stream_id: envelope.stream_id.clone(),
                message: source.to_string(),
            })?;
            let context = EventContext { db: &(), id: &id, envelope: &envelope };
            let handled = match (event_name, event_version) {
                ("OrderCreated", 3) => summary.order_created(&decode(event_name, payload)?, &context),
                ("PaymentReceived", 1) => summary.payment_received(&decode(event_name, payload)?, &context),
                ("OrderShipped", 1) => summary.order_shipped(&decode(event_name, payload)?, &context),
                ("OrderCancelled", 1) => summary.order_cancelled(&decode(event_name, payload)?, &context),
                _ => return Err(RawError::UnknownEvent { event_name: event_name.to_owned(), event_version }),
            };
            match handled {
                Ok(()) => {}
                Err(never) => match never {},
            }
        }
        Ok(summary)
    }
}

fn decode<E: factum::Event>(event_name: &str, payload: &[u8]) -> Result<E, RawError> {
    serde_json::from_slice(payload).map_err(|source| RawError::Decode { event_name: event_name.to_owned(), source })
}
