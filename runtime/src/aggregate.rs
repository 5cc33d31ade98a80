//! The aggregate contract: a state, the commands it accepts, the events it records, how events change the state
//! ([`Aggregate`]) and how commands are decided ([`Decide`]).

use crate::EventSet;

/// A stream id that is not the stream of an instance of the aggregate it was read for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream `{stream_id}` is not a stream of aggregate `{aggregate}`: {problem}")]
pub struct StreamIdError {
    /// The stream id.
    pub stream_id: String,
    /// The aggregate's name ([`Aggregate::NAME`]).
    pub aggregate: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

/// Every command an aggregate accepts, as one type ([`Aggregate::Command`]): what the runtime asks of it beyond the
/// value itself.
///
/// Generated code implements this for every aggregate's command enum, which also has `name` as a method of its own.
pub trait CommandSet: Clone + std::fmt::Debug + Send + Sync {
    /// The command's name as the schema declares it (`PayOrder`): what the command service writes to its `tracing`
    /// spans, which never hold a command's contents.
    fn name(&self) -> &'static str;
}

/// A consistency boundary: commands are decided against its state, and its state is the fold of its events.
///
/// Generated code implements this for the marker type of every aggregate in a schema, dispatching to the typed
/// per-event `evolve` methods that the user writes; deciding commands is [`Decide`].
pub trait Aggregate: Send + Sync + 'static {
    /// The aggregate's name, the prefix of its stream ids.
    const NAME: &'static str;
    /// The fingerprint of the state's shape: its fields and their types, with every named type expanded.
    ///
    /// A snapshot of the state records it (see [`crate::SnapshotPolicy`]), and a snapshot recorded under another
    /// fingerprint is never read: when the state's shape changes, old snapshots are ignored and replaced. Generated
    /// code computes it from the schema's `state` block, as lock files fingerprint event versions; a hand-written
    /// aggregate changes it whenever its state's serialized form changes.
    const STATE_FINGERPRINT: &'static str;
    /// The id that tells one instance from another; written into stream ids with `Display` and read back from them
    /// with `FromStr` ([`Aggregate::parse_stream_id`]).
    type Id: std::fmt::Display + std::str::FromStr + Clone + Send + Sync;
    /// What is known about one instance: the fold of its events, starting from `Default`.
    type State: Default + Clone + std::fmt::Debug + Send + Sync;
    /// Every command the aggregate accepts.
    type Command: CommandSet;
    /// Every event the aggregate records.
    type Event: EventSet;

    /// Applies one recorded event to the state.
    fn evolve(state: &mut Self::State, event: &Self::Event);

    /// The stream that holds the events of the instance `id`.
    fn stream_id(id: &Self::Id) -> String {
        format!("{}-{}", Self::NAME, id)
    }

    /// The id of the instance whose events `stream_id` holds: the inverse of [`Aggregate::stream_id`].
    ///
    /// A stream id without the aggregate's `NAME-` prefix, or whose rest does not read as an id, is a
    /// [`StreamIdError`] naming both.
    fn parse_stream_id(stream_id: &str) -> Result<Self::Id, StreamIdError> {
        let refused = |problem: &str| StreamIdError {
            stream_id: stream_id.to_owned(),
            aggregate: Self::NAME,
            problem: problem.to_owned(),
        };
        let rest = stream_id
            .strip_prefix(Self::NAME)
            .and_then(|rest| rest.strip_prefix('-'))
            .ok_or_else(|| refused(&format!("it does not start with `{}-`", Self::NAME)))?;
        rest.parse().map_err(|_| refused(&format!("`{rest}` is not a `{}`", std::any::type_name::<Self::Id>())))
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

/// How the aggregate decides commands when the decisions are made by `D`, the *decider*.
///
/// A decider is the value a command service hands every decision to. For pure decisions it is the aggregate's own
/// marker type, a unit struct that costs nothing ([`Decide<Self>`](Decide), the default). A decision that needs a
/// clock, an id generator or a lookup gets it from a decider of the application's own type that holds them, given to
/// [`crate::CommandService::with_decider`]; the command itself carries only what the caller asked for.
///
/// Generated code implements this for every aggregate's marker type and every type that implements the aggregate's
/// generated decide trait (`OrderDecide`), dispatching each command to its typed method.
pub trait Decide<D: ?Sized = Self>: Aggregate {
    /// Why a command is rejected.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Decides which events `command` records, given the current state, or rejects it.
    fn decide(decider: &D, state: &Self::State, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;
}
