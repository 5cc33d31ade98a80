//! Loading for an idempotent command: the fold of the stream, or the first outcome of the same command id.

use super::{Handled, Loaded};
use crate::{Aggregate, EventStore, LogEventRef, StoreError};

/// Loads an aggregate for a command carrying `command_id`: the fold of the stream, or, when events of the stream
/// were recorded under that command id, what handling the command did the first time (`Err`).
///
/// Finding the id needs each event's metadata, which the lending fold does not read, so this reads the stream's
/// events whole.
pub(super) async fn load_for_command<A: Aggregate, S: EventStore + ?Sized>(
    store: &S,
    stream_id: &str,
    command_id: uuid::Uuid,
) -> Result<Result<Loaded<A>, Handled<A>>, StoreError> {
    let recorded = store.read_stream(stream_id, 1).await?;
    let mut loaded = Loaded::<A> { state: A::State::default(), version: 0 };
    let mut first: Option<Handled<A>> = None;
    for stored in &recorded {
        let event = LogEventRef::from(stored).decode::<A::Event>()?;
        A::evolve(&mut loaded.state, &event);
        loaded.version = stored.envelope.stream_version;
        if stored.envelope.metadata.command_id == Some(command_id) {
            // A command's events are appended together, so they are consecutive and the state after the last is
            // the state the command left.
            let first = first.get_or_insert_with(|| Handled {
                events: Vec::new(),
                state: A::State::default(),
                stream_version: 0,
            });
            first.events.push(event);
            first.state = loaded.state.clone();
            first.stream_version = loaded.version;
        }
    }
    Ok(first.map_or(Ok(loaded), Err))
}
