//! A given/when/then harness for testing aggregates without a store.
//!
//! ```
//! # use factum::{Aggregate, EventSet, Event};
//! # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
//! # pub struct Opened { pub owner: String }
//! # impl Event for Opened { const NAME: &'static str = "Opened"; const VERSION: u32 = 1; }
//! # #[derive(Debug, Clone, PartialEq)]
//! # pub enum AccountEvent { Opened(Opened) }
//! # impl EventSet for AccountEvent {
//! #     const NAMES: &'static [&'static str] = &["Opened"];
//! #     fn name(&self) -> &'static str { "Opened" }
//! #     fn version(&self) -> u32 { 1 }
//! #     fn encode(&self) -> Result<Vec<u8>, serde_json::Error> { match self { Self::Opened(e) => factum::encode_payload(e) } }
//! #     fn decode(name: &str, version: u32, payload: &[u8]) -> Result<Self, factum::DecodeErrorKind> {
//! #         match (name, version) {
//! #             ("Opened", 1) => factum::decode_payload(payload).map(Self::Opened),
//! #             _ => Err(factum::DecodeErrorKind::UnknownEvent { name: name.into() }),
//! #         }
//! #     }
//! # }
//! # #[derive(Debug, Clone, Default)]
//! # pub struct AccountState { pub owner: Option<String> }
//! # #[derive(Debug, Clone)]
//! # pub enum AccountCommand { Open { owner: String } }
//! # impl factum::CommandSet for AccountCommand { fn name(&self) -> &'static str { "Open" } }
//! # #[derive(Debug, PartialEq, thiserror::Error)]
//! # #[error("already open")]
//! # pub struct AlreadyOpen;
//! # #[derive(Default)]
//! # pub struct Account;
//! # impl Aggregate for Account {
//! #     const NAME: &'static str = "Account"; const STATE_FINGERPRINT: &'static str = "account-v1";
//! #     type Id = u32; type State = AccountState; type Command = AccountCommand;
//! #     type Event = AccountEvent;
//! #     fn evolve(state: &mut AccountState, event: &AccountEvent) {
//! #         let AccountEvent::Opened(opened) = event;
//! #         state.owner = Some(opened.owner.clone());
//! #     }
//! # }
//! # impl factum::Decide for Account {
//! #     type Error = AlreadyOpen;
//! #     fn decide(_: &Account, state: &AccountState, command: AccountCommand) -> Result<Vec<AccountEvent>, AlreadyOpen> {
//! #         let AccountCommand::Open { owner } = command;
//! #         if state.owner.is_some() { return Err(AlreadyOpen) }
//! #         Ok(vec![AccountEvent::Opened(Opened { owner })])
//! #     }
//! # }
//! use factum::testing::AggregateTest;
//!
//! let opened = AccountEvent::Opened(Opened { owner: "ada".into() });
//! AggregateTest::<Account>::given_no_events()
//!     .when(AccountCommand::Open { owner: "ada".into() })
//!     .then(vec![opened.clone()])
//!     .then_state(|state| assert_eq!(state.owner.as_deref(), Some("ada")));
//! AggregateTest::<Account>::given([opened])
//!     .when(AccountCommand::Open { owner: "bob".into() })
//!     .then_error(AlreadyOpen);
//! ```
//!
//! Every event that passes through the harness, given or decided, is also encoded and decoded again through
//! [`EventSet`], so a schema whose events do not survive the store fails its tests before it reaches one. A failed
//! expectation panics with the given events, the command and what actually happened: this is a test helper, and
//! panicking is how a test fails.

use std::fmt::Write as _;

use crate::{Aggregate, Decide, EventSet};

/// The given part of an aggregate test: the events that happened before the command, and the decider the command
/// will be handed to (the aggregate's marker type unless [`AggregateTest::decided_by`] says otherwise).
#[derive(Debug)]
pub struct AggregateTest<A: Aggregate, D = A> {
    given: Vec<A::Event>,
    state: A::State,
    decider: D,
}

impl<A: Aggregate + Default> AggregateTest<A>
where
    A::Event: PartialEq,
{
    /// Starts from the state that `events` fold into.
    ///
    /// Panics when one of the events does not survive encoding and decoding.
    #[track_caller]
    pub fn given(events: impl IntoIterator<Item = A::Event>) -> Self {
        let given: Vec<A::Event> = events.into_iter().collect();
        for event in &given {
            if let Err(problem) = check_round_trip(event) {
                panic!("aggregate test of `{}` failed: a given event {problem}", A::NAME);
            }
        }
        let state = A::fold(&given);
        AggregateTest { given, state, decider: A::default() }
    }

    /// Starts from the default state of a new instance.
    pub fn given_no_events() -> Self {
        AggregateTest { given: Vec::new(), state: A::State::default(), decider: A::default() }
    }
}

impl<A: Aggregate, D> AggregateTest<A, D>
where
    A::Event: PartialEq,
{
    /// Hands the command to `decider` instead: a value of the application's own type that holds what decisions
    /// consult (a fixed clock, a scripted id generator), as a [`crate::CommandService`] built
    /// `with_decider` would.
    pub fn decided_by<E>(self, decider: E) -> AggregateTest<A, E> {
        AggregateTest { given: self.given, state: self.state, decider }
    }

    /// The state the given events fold into.
    pub fn state(&self) -> &A::State {
        &self.state
    }

    /// Decides `command` against the given state, and folds the decided events into it.
    ///
    /// Panics when a decided event does not survive encoding and decoding.
    #[track_caller]
    pub fn when(self, command: impl Into<A::Command>) -> AggregateOutcome<A, D>
    where
        A: Decide<D>,
    {
        let command = command.into();
        let result = A::decide(&self.decider, &self.state, command.clone());
        let mut outcome: AggregateOutcome<A, D> =
            AggregateOutcome { given: self.given, command, result, state: self.state };
        if let Ok(events) = &outcome.result {
            let mut state = outcome.state.clone();
            for event in events {
                if let Err(problem) = check_round_trip(event) {
                    outcome.fail(&format!("a decided event {problem}"));
                }
                A::evolve(&mut state, event);
            }
            outcome.state = state;
        }
        outcome
    }
}

/// What a command did in an aggregate test, to be checked with the `then` methods.
///
/// The `then` methods return the outcome again, so checks can be chained.
pub struct AggregateOutcome<A: Decide<D>, D = A> {
    given: Vec<A::Event>,
    command: A::Command,
    result: Result<Vec<A::Event>, <A as Decide<D>>::Error>,
    state: A::State,
}

impl<A: Decide<D>, D> std::fmt::Debug for AggregateOutcome<A, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregateOutcome")
            .field("given", &self.given)
            .field("command", &self.command)
            .field("result", &self.result)
            .field("state", &self.state)
            .finish()
    }
}

impl<A: Decide<D>, D> AggregateOutcome<A, D> {
    /// Asserts that the command was accepted and decided exactly `expected`, in order.
    #[track_caller]
    pub fn then(self, expected: Vec<A::Event>) -> Self
    where
        A::Event: PartialEq,
    {
        match &self.result {
            Ok(events) if *events == expected => {}
            _ => self.fail(&format!("expected the events {expected:#?}")),
        }
        self
    }

    /// Asserts that the command was rejected with exactly `expected`.
    #[track_caller]
    pub fn then_error(self, expected: <A as Decide<D>>::Error) -> Self
    where
        <A as Decide<D>>::Error: PartialEq,
    {
        match &self.result {
            Err(error) if *error == expected => {}
            _ => self.fail(&format!("expected the rejection {expected:?} (\"{expected}\")")),
        }
        self
    }

    /// Asserts that the command was rejected with an error for which `predicate` holds.
    #[track_caller]
    pub fn then_error_matches(self, predicate: impl FnOnce(&<A as Decide<D>>::Error) -> bool) -> Self {
        match &self.result {
            Err(error) if predicate(error) => {}
            Err(_) => self.fail("expected a rejection that matches the predicate"),
            Ok(_) => self.fail("expected a rejection"),
        }
        self
    }

    /// Runs `check` on the state after the decided events (the given state, when the command was rejected).
    pub fn then_state(self, check: impl FnOnce(&A::State)) -> Self {
        check(&self.state);
        self
    }

    /// The state after the decided events (the given state, when the command was rejected).
    pub fn state(&self) -> &A::State {
        &self.state
    }

    /// What the command decided: its events, or why it was rejected.
    pub fn result(&self) -> Result<&[A::Event], &<A as Decide<D>>::Error> {
        self.result.as_deref()
    }

    /// Panics with `expectation` and the whole scenario.
    #[track_caller]
    fn fail(&self, expectation: &str) -> ! {
        let mut message = format!("aggregate test of `{}` failed: {expectation}\n", A::NAME);
        let _ = writeln!(message, "given: {:#?}", self.given);
        let _ = writeln!(message, "when: {:#?}", self.command);
        let _ = match &self.result {
            Ok(events) => write!(message, "actual: the events {events:#?}"),
            Err(error) => write!(message, "actual: the rejection {error:?} (\"{error}\")"),
        };
        panic!("{message}")
    }
}

/// Encodes `event` and decodes it again; says what went wrong when the result is not the same event.
fn check_round_trip<E: EventSet + PartialEq>(event: &E) -> Result<(), String> {
    let (name, version) = (event.name(), event.version());
    if !E::contains(name) {
        return Err(format!("is named `{name}`, which is not among the names of its set {:?}: {event:#?}", E::NAMES));
    }
    let payload = event.encode().map_err(|error| format!("`{name}` v{version} cannot be encoded: {error}"))?;
    let shown = String::from_utf8_lossy(&payload);
    let decoded = E::decode(name, version, &payload)
        .map_err(|kind| format!("`{name}` v{version} cannot be decoded from its own encoding {shown}: {kind}"))?;
    if decoded != *event {
        return Err(format!(
            "`{name}` v{version} changes through encoding and decoding\nbefore: {event:#?}\nencoded: {shown}\nafter: {decoded:#?}"
        ));
    }
    Ok(())
}
