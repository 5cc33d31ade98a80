//! What both runners do with one lent event, and how they count what a rebuild has ahead of it.

use super::{ApplyError, EventPlace, Projection, ProjectionError};
use crate::store::LogQuery;
use crate::{EventSet, EventStore, LogEventRef, StoreError};

/// Why a fold of the log for a projection stopped early: the store failed (a `fold_all` error must come from
/// [`StoreError`]), or the projection stopped at an event.
pub(crate) enum Stopped<E: std::error::Error + 'static> {
    Store(StoreError),
    Projection(ProjectionError<E>),
}

impl<E: std::error::Error + 'static> From<StoreError> for Stopped<E> {
    fn from(error: StoreError) -> Self {
        Stopped::Store(error)
    }
}

impl<E: std::error::Error + 'static> Stopped<E> {
    /// The error of the projection `projection`.
    pub(crate) fn into_error(self, projection: &'static str) -> ProjectionError<E> {
        match self {
            Stopped::Store(source) => ProjectionError::store(projection, source),
            Stopped::Projection(error) => error,
        }
    }
}

impl<E: std::error::Error + 'static> From<ProjectionError<E>> for Stopped<E> {
    fn from(error: ProjectionError<E>) -> Self {
        Stopped::Projection(error)
    }
}

/// Decodes a lent event as one of `P`'s and applies it to the read model in `db`; an event that cannot be decoded, a
/// stream that names no instance of the event's aggregate and a failing handler are errors naming the event.
pub(crate) fn apply_lent<Db: ?Sized, P: Projection<Db>>(
    projection: &mut P,
    db: &Db,
    event: LogEventRef<'_>,
) -> Result<(), ProjectionError<P::Error>> {
    let decoded = P::Event::decode(event.event_name, event.event_version, event.payload)
        .map_err(|kind| ProjectionError::Decode { projection: P::NAME, event: EventPlace::of(&event), kind })?;
    let envelope = event.envelope().map_err(|source| ProjectionError::store(P::NAME, source))?;
    projection.apply(db, &decoded, &envelope).map_err(|error| match error {
        ApplyError::Handler(source) => {
            ProjectionError::Handler { projection: P::NAME, event: EventPlace::of(&event), source }
        }
        ApplyError::StreamId(source) => {
            ProjectionError::StreamId { projection: P::NAME, event: EventPlace::of(&event), source }
        }
    })
}

/// How many events of the log, from `from_position` on, are stored under `names`: what a rebuild has ahead of it.
///
/// The store lends the events and they are not decoded, so this costs a pass over the selected rows and no more.
pub(crate) async fn count_subscribed<S: EventStore + ?Sized>(
    store: &S,
    names: &[&str],
    from_position: u64,
) -> Result<u64, StoreError> {
    let query = LogQuery::from_position(from_position).events(names.iter().copied());
    let counted = store
        .fold_all(&query, 0u64, |count, _| {
            *count += 1;
            Ok::<_, StoreError>(())
        })
        .await?;
    Ok(counted.accumulator)
}
