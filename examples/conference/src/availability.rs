//! The `SeatAvailability` projection as a table in the store's own database (its SQLite file, or its PostgreSQL
//! schema), updated exactly once per event: one row per conference with its capacity, the seats its reservations
//! hold, and the seats still free.
//!
//! The counts are kept incrementally (each reservation adds its seats, each release takes them off) rather than
//! recomputed from the aggregate, so applying an event twice, or losing one, would show in them: the exactly-once
//! guarantee of the stores' `TransactionalRunner`s is what keeps them equal to the aggregate's.

use factum::store::postgres::{self, tokio_postgres, PostgresStore, ProjectionTransaction};
use factum::store::sqlite::{rusqlite, Connection, SqliteStore, TransactionalRunner};
use factum::store::AnyStore;
use factum::{types::Uuid, EventContext, ProjectionError, StoreError};

use crate::schema::{
    ConferenceCreated, SeatAvailability, SeatAvailabilityHandler, SeatsAdded, SeatsReleased, SeatsReserved,
};

// `available` is computed by SQLite from the two counts, so that it can never disagree with them.
const SETUP: &str = "
    CREATE TABLE IF NOT EXISTS seat_availability (
        conference_id TEXT    PRIMARY KEY,
        capacity      INTEGER NOT NULL,
        reserved      INTEGER NOT NULL,
        available     INTEGER NOT NULL GENERATED ALWAYS AS (max(capacity - reserved, 0)) VIRTUAL
    ) STRICT;
";
const RESET: &str = "DROP TABLE IF EXISTS seat_availability;";
const CREATE: &str = "INSERT INTO seat_availability (conference_id, capacity, reserved) VALUES (?1, ?2, 0)";
const ADD_SEATS: &str = "UPDATE seat_availability SET capacity = capacity + ?2 WHERE conference_id = ?1";
const RESERVE: &str = "UPDATE seat_availability SET reserved = reserved + ?2 WHERE conference_id = ?1";
const RELEASE: &str = "UPDATE seat_availability SET reserved = reserved - ?2 WHERE conference_id = ?1";
const READ: &str = "SELECT conference_id, capacity, reserved, available FROM seat_availability ORDER BY conference_id";

/// The same table in PostgreSQL, in the store's schema (the runner's `search_path`).
const PG_SETUP: &str = "
    CREATE TABLE IF NOT EXISTS seat_availability (
        conference_id text   PRIMARY KEY,
        capacity      bigint NOT NULL,
        reserved      bigint NOT NULL,
        available     bigint NOT NULL GENERATED ALWAYS AS (greatest(capacity - reserved, 0)) STORED
    );
";
const PG_CREATE: &str = "INSERT INTO seat_availability (conference_id, capacity, reserved) VALUES ($1, $2, 0)";
const PG_ADD_SEATS: &str = "UPDATE seat_availability SET capacity = capacity + $2 WHERE conference_id = $1";
const PG_RESERVE: &str = "UPDATE seat_availability SET reserved = reserved + $2 WHERE conference_id = $1";
const PG_RELEASE: &str = "UPDATE seat_availability SET reserved = reserved - $2 WHERE conference_id = $1";

/// One conference's seats, as the projection's table holds them; printed by `conference-example availability` as one
/// JSON object with the fields in this order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Availability {
    /// The conference's id.
    pub conference: Uuid,
    /// Its seats.
    pub capacity: u32,
    /// The seats its reservations hold.
    pub reserved: u32,
    /// The seats still free: `capacity - reserved`.
    pub available: u32,
}

/// Why the projection could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum SeatTableError {
    /// The table could not be read or written.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL table could not be read or written.
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    /// A connection could not be had from the store's pool.
    #[error("no connection to the store: {0}")]
    Pool(String),
    /// A conference id in the table is not a UUID.
    #[error("the seat table holds `{id}`, which is not a conference id")]
    NotAnId {
        /// What it holds.
        id: String,
    },
    /// A count in the table does not fit a seat count.
    #[error("the seat table holds {value}, which is not a seat count")]
    NotACount {
        /// What it holds.
        value: i64,
    },
    /// An event of a conference whose creation the table has not seen: the log and the table disagree.
    #[error("`{event}` for the conference {conference}, which the seat table has no row for")]
    NoConference {
        /// The conference the event belongs to.
        conference: Uuid,
        /// The event's name.
        event: &'static str,
    },
}

/// Why `availability` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum AvailabilityError {
    /// The store has no database for the projection's table.
    #[error(
        "the `SeatAvailability` projection keeps its table in the store's database: give an `sqlite:PATH` or a \
         `postgres://` store (a `memory:` store has no tables, and starts empty in every process)"
    )]
    NotSqlite,
    /// The projection stopped at an event.
    #[error(transparent)]
    Projection(#[from] ProjectionError<SeatTableError>),
    /// The PostgreSQL table could not be read.
    #[error(transparent)]
    Table(#[from] SeatTableError),
    /// The table could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The handlers that keep the `seat_availability` table.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeatTable;

impl SeatTable {
    /// A runner of the projection on `store`, exactly once.
    pub fn runner(store: SqliteStore) -> TransactionalRunner<SeatAvailability<SeatTable>> {
        TransactionalRunner::new(store, SeatAvailability(SeatTable))
    }

    /// A runner of the projection on a PostgreSQL store, exactly once.
    pub fn postgres_runner(store: PostgresStore) -> postgres::TransactionalRunner<SeatAvailability<SeatTable>> {
        postgres::TransactionalRunner::new(store, SeatAvailability(SeatTable))
    }

    /// Reads every conference's row back from a PostgreSQL store's schema, sorted by conference id.
    pub async fn read_postgres(store: &PostgresStore) -> Result<Vec<Availability>, SeatTableError> {
        let client = store.pool().get().await.map_err(|error| match error {
            factum::store::postgres::PoolError::Backend(error) => SeatTableError::Postgres(error),
            other => SeatTableError::Pool(other.to_string()),
        })?;
        let read = READ.replace("FROM seat_availability", &format!("FROM {}.seat_availability", store.schema()));
        let count = |value: i64| u32::try_from(value).map_err(|_| SeatTableError::NotACount { value });
        let mut rows = Vec::new();
        for row in client.query(&read, &[]).await? {
            let id: String = row.try_get(0)?;
            let conference = Uuid::parse_str(&id).map_err(|_| SeatTableError::NotAnId { id })?;
            let (capacity, reserved, available) = (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
            rows.push(Availability {
                conference,
                capacity: count(capacity)?,
                reserved: count(reserved)?,
                available: count(available)?,
            });
        }
        Ok(rows)
    }

    /// Runs the PostgreSQL `statement` (one of the updates) for the event's conference, refusing an event of a
    /// conference the table has no row for.
    fn update_postgres(
        context: &EventContext<'_, Uuid, ProjectionTransaction>,
        statement: &str,
        seats: u32,
        event: &'static str,
    ) -> Result<(), SeatTableError> {
        let changed = context.db.execute(statement, &[&context.id.to_string(), &i64::from(seats)])?;
        if changed == 0 {
            return Err(SeatTableError::NoConference { conference: *context.id, event });
        }
        Ok(())
    }

    /// Reads every conference's row back, sorted by conference id.
    pub fn read(connection: &Connection) -> rusqlite::Result<Vec<Availability>> {
        connection
            .prepare(READ)?
            .query_map([], |row| {
                let id: String = row.get(0)?;
                let conference = Uuid::parse_str(&id).map_err(|error| {
                    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(error))
                })?;
                Ok(Availability { conference, capacity: row.get(1)?, reserved: row.get(2)?, available: row.get(3)? })
            })?
            .collect()
    }

    /// Runs `statement` (one of the updates) for the event's conference, refusing an event of a conference the
    /// table has no row for.
    fn update(
        context: &EventContext<'_, Uuid, Connection>,
        statement: &str,
        seats: u32,
        event: &'static str,
    ) -> Result<(), SeatTableError> {
        let changed =
            context.db.prepare_cached(statement)?.execute(rusqlite::params![context.id.to_string(), seats])?;
        if changed == 0 {
            return Err(SeatTableError::NoConference { conference: *context.id, event });
        }
        Ok(())
    }
}

impl SeatAvailabilityHandler<Connection> for SeatTable {
    type Error = SeatTableError;

    fn setup(&mut self, db: &Connection) -> Result<(), SeatTableError> {
        Ok(db.execute_batch(SETUP)?)
    }

    fn reset(&mut self, db: &Connection) -> Result<(), SeatTableError> {
        Ok(db.execute_batch(RESET)?)
    }

    fn conference_created(
        &mut self,
        event: &ConferenceCreated,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> Result<(), SeatTableError> {
        context.db.prepare_cached(CREATE)?.execute(rusqlite::params![context.id.to_string(), event.capacity])?;
        Ok(())
    }

    fn seats_added(
        &mut self,
        event: &SeatsAdded,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> Result<(), SeatTableError> {
        Self::update(context, ADD_SEATS, event.seats, "SeatsAdded")
    }

    fn seats_reserved(
        &mut self,
        event: &SeatsReserved,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> Result<(), SeatTableError> {
        Self::update(context, RESERVE, event.seats, "SeatsReserved")
    }

    fn seats_released(
        &mut self,
        event: &SeatsReleased,
        context: &EventContext<'_, Uuid, Connection>,
    ) -> Result<(), SeatTableError> {
        Self::update(context, RELEASE, event.seats, "SeatsReleased")
    }
}

impl SeatAvailabilityHandler<ProjectionTransaction> for SeatTable {
    type Error = SeatTableError;

    fn setup(&mut self, db: &ProjectionTransaction) -> Result<(), SeatTableError> {
        Ok(db.batch_execute(PG_SETUP)?)
    }

    fn reset(&mut self, db: &ProjectionTransaction) -> Result<(), SeatTableError> {
        Ok(db.batch_execute(RESET)?)
    }

    fn conference_created(
        &mut self,
        event: &ConferenceCreated,
        context: &EventContext<'_, Uuid, ProjectionTransaction>,
    ) -> Result<(), SeatTableError> {
        context.db.execute(PG_CREATE, &[&context.id.to_string(), &i64::from(event.capacity)])?;
        Ok(())
    }

    fn seats_added(
        &mut self,
        event: &SeatsAdded,
        context: &EventContext<'_, Uuid, ProjectionTransaction>,
    ) -> Result<(), SeatTableError> {
        Self::update_postgres(context, PG_ADD_SEATS, event.seats, "SeatsAdded")
    }

    fn seats_reserved(
        &mut self,
        event: &SeatsReserved,
        context: &EventContext<'_, Uuid, ProjectionTransaction>,
    ) -> Result<(), SeatTableError> {
        Self::update_postgres(context, PG_RESERVE, event.seats, "SeatsReserved")
    }

    fn seats_released(
        &mut self,
        event: &SeatsReleased,
        context: &EventContext<'_, Uuid, ProjectionTransaction>,
    ) -> Result<(), SeatTableError> {
        Self::update_postgres(context, PG_RELEASE, event.seats, "SeatsReleased")
    }
}

/// Brings the projection up to date on `store`, then reads every conference's row, sorted by conference id.
pub async fn availability(store: &AnyStore) -> Result<Vec<Availability>, AvailabilityError> {
    match store {
        AnyStore::Sqlite(store) => {
            SeatTable::runner(store.clone()).catch_up().await?;
            Ok(store.read_tables(SeatTable::read).await?)
        }
        AnyStore::Postgres(store) => {
            SeatTable::postgres_runner(store.clone()).catch_up().await?;
            Ok(SeatTable::read_postgres(store).await?)
        }
        _ => Err(AvailabilityError::NotSqlite),
    }
}
