//! The baseline of a transactional projection's rebuild: what `TransactionalRunner::rebuild` does for the
//! `OrderSummary` tables (`orders_example::OrderTables`), written by hand against rusqlite.
//!
//! **The same work, nothing less:** the tables are dropped and created by the same handler's `reset` and `setup`,
//! with the checkpoint deleted, in one transaction; then, batch after batch, one `BEGIN IMMEDIATE` transaction reads
//! the checkpoint, selects the next batch of subscribed events with the store's SQL, decodes each payload where it
//! lies, hands it with its envelope and its order id to the same handler methods (so the SQL updates are the same),
//! writes the checkpoint with the store's statement and commits. What it leaves out is what Factum adds: the generic
//! event set and dispatch, the count of events ahead for progress reports, and the async API.

use std::path::Path;
use std::time::Duration;

use factum::store::sqlite::SCHEMA_VERSION;
use factum::types::Uuid;
use factum::{Aggregate, Envelope, EventContext, Metadata, Timestamp};
use orders_example::schema::{Order, OrderSummaryHandler};
use orders_example::OrderTables;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::raw::RawError;

// The store's statements, verbatim.
const LOG: &str = "SELECT stream_version, position, event_name, event_version, payload, metadata, recorded_at, \
                   event_id, aggregate_type, stream_id FROM events WHERE position >= ?1 AND position <= ?2 \
                   AND event_name IN (?4, ?5, ?6, ?7) ORDER BY position LIMIT ?3";
const HEAD: &str = "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1";
const CHECKPOINT_READ: &str = "SELECT next_position FROM projection_checkpoints WHERE projection = ?1";
const CHECKPOINT_WRITE: &str = "INSERT INTO projection_checkpoints (projection, next_position, updated_at) \
                                VALUES (?1, ?2, ?3) ON CONFLICT (projection) DO UPDATE \
                                SET next_position = excluded.next_position, updated_at = excluded.updated_at";
const CHECKPOINT_DELETE: &str = "DELETE FROM projection_checkpoints WHERE projection = ?1";
/// The checkpoint's name: the projection's, so that both sides keep it in the same row.
const NAME: &str = "OrderSummary";

/// A hand-written transactional projection over one SQLite connection.
#[derive(Debug)]
pub struct RawTables {
    connection: Connection,
}

impl RawTables {
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
        Ok(RawTables { connection })
    }

    /// The connection, to read the tables back.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Rebuilds the tables from the whole log, `batch` events per transaction; returns the checkpoint reached.
    pub fn rebuild(&mut self, batch: usize) -> Result<u64, RawError> {
        let mut tables = OrderTables;
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tables.reset(&transaction)?;
        tables.setup(&transaction)?;
        transaction.execute(CHECKPOINT_DELETE, [NAME])?;
        transaction.commit()?;
        loop {
            let (applied, next) = self.apply_batch(&mut tables, batch)?;
            if applied < batch {
                return Ok(next);
            }
        }
    }

    fn apply_batch(&mut self, tables: &mut OrderTables, batch: usize) -> Result<(usize, u64), RawError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let from: i64 =
            transaction.prepare_cached(CHECKPOINT_READ)?.query_row([NAME], |row| row.get(0)).optional()?.unwrap_or(1);
        let names = ["OrderCreated", "PaymentReceived", "OrderShipped", "OrderCancelled"];
        let (mut applied, mut last) = (0usize, None);
        {
            let mut statement = transaction.prepare_cached(LOG)?;
            let parameters = rusqlite::params![from, i64::MAX, batch as i64, names[0], names[1], names[2], names[3]];
            let mut rows = statement.query(parameters)?;
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
                let id = Order::parse_stream_id(&envelope.stream_id).map_err(|source| RawError::StreamId {
                    stream_id: envelope.stream_id.clone(),
                    message: source.to_string(),
                })?;
                let context = EventContext { db: &*transaction, id: &id, envelope: &envelope };
                match (event_name, event_version) {
                    ("OrderCreated", 3) => tables.order_created(&decode(event_name, payload)?, &context)?,
                    ("PaymentReceived", 1) => tables.payment_received(&decode(event_name, payload)?, &context)?,
                    ("OrderShipped", 1) => tables.order_shipped(&decode(event_name, payload)?, &context)?,
                    ("OrderCancelled", 1) => tables.order_cancelled(&decode(event_name, payload)?, &context)?,
                    _ => return Err(RawError::UnknownEvent { event_name: event_name.to_owned(), event_version }),
                }
                applied += 1;
                last = Some(envelope.position);
            }
        }
        let next = match last {
            Some(last) if applied == batch => last + 1,
            _ => {
                let head: Option<i64> = transaction.prepare_cached(HEAD)?.query_row([], |row| row.get(0)).optional()?;
                (head.unwrap_or(0) as u64 + 1).max(from as u64)
            }
        };
        transaction.prepare_cached(CHECKPOINT_WRITE)?.execute(rusqlite::params![NAME, next as i64, now_micros()])?;
        transaction.commit()?;
        Ok((applied, next))
    }
}

/// The time the checkpoint is stamped with, as the store stamps it.
fn now_micros() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_micros()).unwrap_or(i64::MAX)
}

fn decode<E: factum::Event>(event_name: &str, payload: &[u8]) -> Result<E, RawError> {
    serde_json::from_slice(payload).map_err(|source| RawError::Decode { event_name: event_name.to_owned(), source })
}
