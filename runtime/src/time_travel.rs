//! Time travel: an aggregate loaded as it was after a version or before an instant, and a projection run over the
//! log as it stood at a position or an instant, into a fresh read model.
//!
//! Both read the store with an upper bound ([`StreamQuery`], [`LogQuery::to_position`],
//! [`LogQuery::recorded_before`]) that the store applies in its own query, and both equal a replay of the events cut
//! at that point. An instant selects the events recorded *strictly before* it: as of `2021-02-01T00:00:00Z` is the
//! state at the end of January, without the events recorded at midnight.

use crate::projection::{apply_lent, Stopped};
use crate::store::{LogQuery, StreamQuery};
use crate::{EventSet, EventStore, Projection, ProjectionError, Timestamp};

/// Where an aggregate is loaded as of ([`crate::CommandService::load_as_of`], [`crate::load_as_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// After the event at this stream version: the stream's events up to and including it (0: before the first).
    Version(u64),
    /// The stream's events recorded strictly before this instant.
    Time(Timestamp),
}

impl AsOf {
    /// The bounded read of a stream this stands for.
    pub fn stream_query(self) -> StreamQuery {
        match self {
            AsOf::Version(version) => StreamQuery::all().to_version(version),
            AsOf::Time(instant) => StreamQuery::all().recorded_before(instant),
        }
    }
}

/// Where the log is read up to for a projection run as of a point ([`project_as_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogAsOf {
    /// After the event at this global position: the log's events up to and including it (0: before the first).
    Position(u64),
    /// The log's events recorded strictly before this instant, wherever they sit in the log (events imported with
    /// past times after newer ones included).
    Time(Timestamp),
}

impl LogAsOf {
    /// The read of the whole log this stands for; add names or an aggregate type to it as needed.
    pub fn log_query(self) -> LogQuery {
        match self {
            LogAsOf::Position(position) => LogQuery::all().to_position(position),
            LogAsOf::Time(instant) => LogQuery::all().recorded_before(instant),
        }
    }
}

/// Runs `projection` (a fresh read model, held in memory) over the events of the log it subscribes to as of `as_of`,
/// and returns it.
///
/// The store selects the events (the projection's names and the bound) and lends them, in one read: on SQLite one
/// read transaction, so the result is one consistent snapshot of the log even while others append. Nothing is
/// checkpointed; the read model is the caller's to query and drop. A subscribed event that cannot be decoded, or a
/// handler that fails, stops the run with the error naming its place.
pub async fn project_as_of<S, P>(store: &S, mut projection: P, as_of: LogAsOf) -> Result<P, ProjectionError<P::Error>>
where
    S: EventStore + ?Sized,
    P: Projection,
{
    let query = as_of.log_query().events(P::Event::NAMES.iter().copied());
    projection.setup(&()).map_err(|source| ProjectionError::ReadModel {
        projection: P::NAME,
        step: "set up",
        source,
    })?;
    store
        .fold_all(&query, (), |(), recorded| apply_lent(&mut projection, &(), recorded).map_err(Stopped::from))
        .await
        .map_err(|stopped: Stopped<P::Error>| stopped.into_error(P::NAME))?;
    Ok(projection)
}
