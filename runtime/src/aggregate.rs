//! The aggregate contract: a state, the commands it accepts, the events it records, and the two pure functions
//! between them.

use crate::EventSet;

/// A consistency boundary: commands are decided against its state, and its state is the fold of its events.
///
/// Generated code implements this for the marker type of every aggregate in a schema, dispatching to the typed
/// per-command `decide` methods and per-event `evolve` methods that the user writes.
pub trait Aggregate: Send + Sync + 'static {
    /// The aggregate's name, the prefix of its stream ids.
    const NAME: &'static str;
    /// The id that tells one instance from another.
    type Id: std::fmt::Display + Clone + Send + Sync;
    /// What is known about one instance: the fold of its events, starting from `Default`.
    type State: Default + Clone + std::fmt::Debug + Send + Sync;
    /// Every command the aggregate accepts.
    type Command: Clone + std::fmt::Debug + Send + Sync;
    /// Every event the aggregate records.
    type Event: EventSet;
    /// Why a command is rejected.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Decides which events a command records, given the current state, or rejects it.
    fn decide(state: &Self::State, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Applies one recorded event to the state.
    fn evolve(state: &mut Self::State, event: &Self::Event);

    /// The stream that holds the events of the instance `id`.
    fn stream_id(id: &Self::Id) -> String {
        format!("{}-{}", Self::NAME, id)
    }

    /// Folds events into a state, starting from the default.
    fn fold<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self::State {
        let mut state = Self::State::default();
        for event in events {
            Self::evolve(&mut state, event);
        }
        state
    }
}
