//! Projections: read models folded over the global log, one subscribed event at a time.

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

/// How many events [`run_projection`] reads per batch.
pub const PROJECTION_BATCH: usize = 512;

/// Feeds `projection` every subscribed event of the global log from `from_position` on, and returns the position to
/// continue from next time (one past the last event read).
///
/// Events the projection does not subscribe to are passed over; a subscribed event that cannot be decoded stops the
/// run with a [`DecodeError`] naming its place, before anything after it is applied.
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
        let batch = store.read_all(next, PROJECTION_BATCH).await?;
        let Some(last) = batch.last() else { return Ok(next) };
        next = last.envelope.position + 1;
        let full = batch.len() == PROJECTION_BATCH;
        for recorded in batch {
            if !P::Event::contains(&recorded.envelope.event_name) {
                continue;
            }
            let event =
                P::Event::decode(&recorded.envelope.event_name, recorded.envelope.event_version, &recorded.payload)
                    .map_err(|kind| DecodeError::at(&recorded.envelope, kind))?;
            projection
                .apply(&event, &recorded.envelope)
                .map_err(|source| ProjectionError::Handler { position: recorded.envelope.position, source })?;
        }
        if !full {
            return Ok(next);
        }
    }
}
