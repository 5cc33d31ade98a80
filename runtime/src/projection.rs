//! Projections: read models folded over the global log, one subscribed event at a time.

use crate::store::LogQuery;
use crate::{DecodeError, Envelope, EventSet, EventStore, StoreError};

/// A read model built from the events it subscribes to, in global order.
///
/// Generated code implements this for the wrapper type of every projection in a schema, dispatching to the typed
/// per-event handler methods that the user writes.
pub trait Projection: Send {
    /// The events the projection subscribes to.
    type Event: EventSet;
    /// Why a handler failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Applies one subscribed event.
    fn apply(&mut self, event: &Self::Event, envelope: &Envelope) -> Result<(), Self::Error>;
}

/// Why running a projection stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError<E: std::error::Error + 'static> {
    /// Reading the log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A subscribed event could not be read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A handler failed at the given position; events before it were applied.
    #[error("projection handler failed at global position {position}: {source}")]
    Handler {
        /// The position of the event whose handler failed.
        position: u64,
        /// The handler's error.
        #[source]
        source: E,
    },
}

/// Why a fold of the log for a projection stopped early; kept small while the fold runs, and turned into a
/// [`ProjectionError`] after it.
enum Stopped<E> {
    Store(StoreError),
    Handler(u64, E),
}

impl<E> From<StoreError> for Stopped<E> {
    fn from(error: StoreError) -> Self {
        Stopped::Store(error)
    }
}

/// How many events [`run_projection`] reads per batch.
pub const PROJECTION_BATCH: usize = 512;

/// Feeds `projection` every subscribed event of the global log from `from_position` on, and returns the position to
/// continue from next time.
///
/// The store reads only the subscribed events ([`EventStore::fold_all`] with the projection's names) and lends them:
/// the others are neither copied nor decoded. A subscribed event that cannot be decoded stops the run with a
/// [`DecodeError`] naming its place, before anything after it is applied.
pub async fn run_projection<S, P>(
    store: &S,
    projection: &mut P,
    from_position: u64,
) -> Result<u64, ProjectionError<P::Error>>
where
    S: EventStore + ?Sized,
    P: Projection,
{
    let mut next = from_position.max(1);
    loop {
        let query = LogQuery::from_position(next).limit(PROJECTION_BATCH).events(P::Event::NAMES.iter().copied());
        let folded = store
            .fold_all(&query, 0usize, |applied, recorded| {
                let event = recorded.decode::<P::Event>()?;
                let envelope = recorded.envelope()?;
                projection.apply(&event, &envelope).map_err(|source| Stopped::Handler(recorded.position, source))?;
                *applied += 1;
                Ok(())
            })
            .await
            .map_err(|stopped| match stopped {
                Stopped::Store(StoreError::Decode(error)) => ProjectionError::Decode(*error),
                Stopped::Store(error) => ProjectionError::Store(error),
                Stopped::Handler(position, source) => ProjectionError::Handler { position, source },
            })?;
        next = folded.next_position;
        if folded.accumulator < PROJECTION_BATCH {
            return Ok(next);
        }
    }
}
