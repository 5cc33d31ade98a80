//! The `OrderSummary` projection as tables in the store's own SQLite file, updated exactly once per event: one row
//! per order, and running totals that each event adds to.
//!
//! The totals are kept incrementally (each event adds to them) rather than recomputed, so applying an event twice, or
//! losing one, would show in them: the exactly-once guarantee of `factum::store::sqlite::TransactionalRunner` is what
//! keeps them right across crashes.

use factum::store::sqlite::{rusqlite, Connection};
use factum::{types::Uuid, EventContext};

use crate::schema::{OrderCancelled, OrderCreated, OrderShipped, OrderStatus, OrderSummaryHandler, PaymentReceived};

const SETUP: &str = "
    CREATE TABLE IF NOT EXISTS order_summary (
        order_id TEXT PRIMARY KEY,
        status   TEXT NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS order_totals (
        total TEXT    PRIMARY KEY,
        value INTEGER NOT NULL
    ) STRICT;
";
const RESET: &str = "DROP TABLE IF EXISTS order_summary; DROP TABLE IF EXISTS order_totals;";
const SET_STATUS: &str = "INSERT INTO order_summary (order_id, status) VALUES (?1, ?2) \
                          ON CONFLICT (order_id) DO UPDATE SET status = excluded.status";
const ADD_TO_TOTAL: &str = "INSERT INTO order_totals (total, value) VALUES (?1, ?2) \
                            ON CONFLICT (total) DO UPDATE SET value = value + excluded.value";

/// The handlers that keep the `order_summary` and `order_totals` tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderTables;

/// What the tables hold, read back: each order's status by id, the sum of all orders' totals and of all payments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    /// Each order's status, by order id, in id order.
    pub orders: Vec<(Uuid, String)>,
    /// The sum of all orders' totals.
    pub ordered: i64,
    /// The sum of all payments received.
    pub received: i64,
    /// How many events the totals were updated by.
    pub events: i64,
}

impl OrderTables {
    /// Reads the tables back.
    pub fn read(connection: &Connection) -> rusqlite::Result<Tables> {
        let orders = connection
            .prepare("SELECT order_id, status FROM order_summary ORDER BY order_id")?
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?
            .map(|row| row.map(|(id, status)| (Uuid::parse_str(&id).unwrap_or_default(), status)))
            .collect::<rusqlite::Result<_>>()?;
        let total = |name: &str| -> rusqlite::Result<i64> {
            connection.query_row("SELECT value FROM order_totals WHERE total = ?1", [name], |row| row.get(0)).or_else(
                |error| match error {
                    rusqlite::Error::QueryReturnedNoRows => Ok(0),
                    other => Err(other),
                },
            )
        };
        Ok(Tables { orders, ordered: total("ordered")?, received: total("received")?, events: total("events")? })
    }

    fn record(db: &Connection, id: &Uuid, status: OrderStatus, totals: &[(&str, u64)]) -> rusqlite::Result<()> {
        db.prepare_cached(SET_STATUS)?.execute(rusqlite::params![id.to_string(), format!("{status:?}")])?;
        let mut add = db.prepare_cached(ADD_TO_TOTAL)?;
        add.execute(rusqlite::params!["events", 1])?;
        for (total, amount) in totals {
            add.execute(rusqlite::params![total, i64::try_from(*amount).unwrap_or(i64::MAX)])?;
        }
        Ok(())
    }
}

impl OrderSummaryHandler<Connection> for OrderTables {
    type Error = rusqlite::Error;

    fn setup(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch(SETUP)
    }

    fn reset(&mut self, db: &Connection) -> rusqlite::Result<()> {
        db.execute_batch(RESET)
    }

    fn order_created(
        &mut self,
        event: &OrderCreated,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> rusqlite::Result<()> {
        Self::record(context.db, context.id, OrderStatus::Placed, &[("ordered", crate::total(&event.items))])
    }

    fn payment_received(
        &mut self,
        event: &PaymentReceived,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> rusqlite::Result<()> {
        Self::record(context.db, context.id, OrderStatus::Paid, &[("received", event.amount)])
    }

    fn order_shipped(
        &mut self,
        _event: &OrderShipped,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> rusqlite::Result<()> {
        Self::record(context.db, context.id, OrderStatus::Shipped, &[])
    }

    fn order_cancelled(
        &mut self,
        _event: &OrderCancelled,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> rusqlite::Result<()> {
        Self::record(context.db, context.id, OrderStatus::Cancelled, &[])
    }
}
