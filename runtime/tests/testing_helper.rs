//! Tests of the given/when/then harness: what it accepts, and that every wrong expectation fails with the scenario in
//! its message.

mod common;

use std::panic::{catch_unwind, UnwindSafe};

use common::*;
use factum::testing::AggregateTest;
use factum::{Aggregate, Decide, DecodeErrorKind, EventSet};

/// Runs `test`, which must panic, and returns its panic message.
fn panic_message(test: impl FnOnce() + UnwindSafe) -> String {
    let payload = catch_unwind(test).expect_err("the expectation should have failed");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast::<&str>().map(|message| message.to_string()).unwrap_or_default(),
    }
}

/// Asserts that `message` contains every one of `parts`.
#[track_caller]
fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "the message does not mention {part:?}:\n{message}");
    }
}

#[test]
fn accepted_commands_decide_the_expected_events() {
    let cases: Vec<(Vec<AccountEvent>, AccountCommand, Vec<AccountEvent>)> = vec![
        (vec![], AccountCommand::Open { owner: "ada".into() }, vec![opened("ada")]),
        (vec![opened("ada")], AccountCommand::Deposit { amount: 5 }, vec![deposited(5)]),
        (vec![opened("ada")], AccountCommand::Deposit { amount: 0 }, vec![]),
        (vec![opened("ada"), deposited(5)], AccountCommand::Withdraw { amount: 5 }, vec![withdrawn(5)]),
        (vec![opened("ada"), deposited(7)], AccountCommand::Close, vec![withdrawn(7), closed()]),
        (vec![opened("ada")], AccountCommand::Close, vec![closed()]),
    ];
    for (given, command, expected) in cases {
        AggregateTest::<Account>::given(given).when(command).then(expected);
    }
}

#[test]
fn rejected_commands_give_the_expected_error() {
    let cases: Vec<(Vec<AccountEvent>, AccountCommand, AccountError)> = vec![
        (vec![], AccountCommand::Deposit { amount: 5 }, AccountError::NotOpen),
        (vec![opened("ada")], AccountCommand::Open { owner: "bob".into() }, AccountError::AlreadyOpen),
        (
            vec![opened("ada"), deposited(3)],
            AccountCommand::Withdraw { amount: 5 },
            AccountError::InsufficientFunds { balance: 3, requested: 5 },
        ),
        (vec![opened("ada"), closed()], AccountCommand::Deposit { amount: 5 }, AccountError::Closed),
    ];
    for (given, command, expected) in cases {
        AggregateTest::<Account>::given(given).when(command).then_error(expected);
    }
}

#[test]
fn the_state_after_the_command_is_the_fold_of_given_and_decided_events() {
    let given = [opened("ada"), deposited(10)];
    assert_eq!(AggregateTest::<Account>::given(given.clone()).state().balance, 10);
    assert_eq!(AggregateTest::<Account>::given_no_events().state(), &AccountState::default());

    let outcome = AggregateTest::<Account>::given(given.clone())
        .when(AccountCommand::Withdraw { amount: 4 })
        .then(vec![withdrawn(4)])
        .then_state(|state| assert_eq!(state.balance, 6));
    assert_eq!(outcome.state(), &AccountState { owner: Some("ada".into()), balance: 6, closed: false });
    assert_eq!(outcome.result(), Ok(&[withdrawn(4)][..]));

    // A rejected command leaves the given state.
    let rejected = AggregateTest::<Account>::given(given)
        .when(AccountCommand::Withdraw { amount: 40 })
        .then_error_matches(|error| matches!(error, AccountError::InsufficientFunds { .. }));
    assert_eq!(rejected.state().balance, 10);
    assert_eq!(rejected.result(), Err(&AccountError::InsufficientFunds { balance: 10, requested: 40 }));
}

#[test]
fn wrong_expectations_fail_with_the_scenario() {
    let open = || AggregateTest::<Account>::given([opened("ada"), deposited(3)]);
    // (what goes wrong, the test, what its message must mention)
    type Case = (&'static str, Box<dyn FnOnce() + UnwindSafe>, &'static [&'static str]);
    let cases: Vec<Case> = vec![
        (
            "other events",
            Box::new(move || drop(open().when(AccountCommand::Deposit { amount: 2 }).then(vec![deposited(20)]))),
            &[
                "expected the events",
                "amount: 20",
                "given:",
                "owner: \"ada\"",
                "when:",
                "Deposit",
                "actual: the events",
                "amount: 2,",
            ],
        ),
        (
            "events when rejected",
            Box::new(move || drop(open().when(AccountCommand::Withdraw { amount: 9 }).then(vec![withdrawn(9)]))),
            &["expected the events", "Withdraw", "actual: the rejection", "cannot withdraw 9 from a balance of 3"],
        ),
        (
            "an error when accepted",
            Box::new(move || {
                drop(open().when(AccountCommand::Withdraw { amount: 1 }).then_error(AccountError::Closed))
            }),
            &["expected the rejection Closed", "the account is closed", "actual: the events", "Withdrawn"],
        ),
        (
            "another error",
            Box::new(move || {
                drop(open().when(AccountCommand::Open { owner: "bob".into() }).then_error(AccountError::NotOpen))
            }),
            &["expected the rejection NotOpen", "actual: the rejection AlreadyOpen", "bob"],
        ),
        (
            "an error that does not match",
            Box::new(move || {
                drop(
                    open()
                        .when(AccountCommand::Withdraw { amount: 9 })
                        .then_error_matches(|error| *error == AccountError::Closed),
                )
            }),
            &["expected a rejection that matches the predicate", "InsufficientFunds"],
        ),
        (
            "an error when accepted, by predicate",
            Box::new(move || drop(open().when(AccountCommand::Deposit { amount: 1 }).then_error_matches(|_| true))),
            &["expected a rejection", "actual: the events"],
        ),
        (
            "a wrong state",
            Box::new(move || {
                drop(
                    open().when(AccountCommand::Deposit { amount: 1 }).then_state(|state| assert_eq!(state.balance, 5)),
                )
            }),
            &["left: 4", "right: 5"],
        ),
    ];
    for (what, test, mentions) in cases {
        let message = panic_message(test);
        assert!(
            message.starts_with("aggregate test of `Account` failed") || what == "a wrong state",
            "{what}: {message}"
        );
        assert_mentions(&message, mentions);
    }
}

/// An aggregate whose events are broken in the ways a hand-edited or buggy schema could break them.
mod broken {
    use super::*;

    /// `Lossy` drops a field on encoding; `Misnamed` is stored under a name its set does not decode; `Unlisted` is
    /// missing from the set's names.
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) enum BrokenEvent {
        Lossy { kept: u32, lost: u32 },
        Misnamed,
        Unlisted,
    }

    impl EventSet for BrokenEvent {
        const NAMES: &'static [&'static str] = &["Lossy", "Misnamed"];

        fn name(&self) -> &'static str {
            match self {
                BrokenEvent::Lossy { .. } => "Lossy",
                BrokenEvent::Misnamed => "Misnamed",
                BrokenEvent::Unlisted => "Unlisted",
            }
        }

        fn version(&self) -> u32 {
            1
        }

        fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
            match self {
                BrokenEvent::Lossy { kept, .. } => serde_json::to_vec(kept),
                BrokenEvent::Misnamed | BrokenEvent::Unlisted => Ok(b"null".to_vec()),
            }
        }

        fn decode(name: &str, _version: u32, payload: &[u8]) -> Result<Self, DecodeErrorKind> {
            match name {
                "Lossy" => serde_json::from_slice(payload)
                    .map(|kept| BrokenEvent::Lossy { kept, lost: 0 })
                    .map_err(|error| DecodeErrorKind::MalformedPayload { message: error.to_string() }),
                "Unlisted" => Ok(BrokenEvent::Unlisted),
                _ => Err(DecodeErrorKind::UnknownEvent { name: name.into() }),
            }
        }
    }

    // The broken aggregate's commands are the events it is told to record, named as they are.
    impl factum::CommandSet for BrokenEvent {
        fn name(&self) -> &'static str {
            <Self as EventSet>::name(self)
        }
    }

    /// Decides whatever event it is told to.
    #[derive(Default)]
    pub(crate) struct Broken;

    impl Aggregate for Broken {
        const NAME: &'static str = "Broken";
        const STATE_FINGERPRINT: &'static str = "broken-v1";
        type Id = u32;
        type State = ();
        type Command = BrokenEvent;
        type Event = BrokenEvent;

        fn evolve(_state: &mut (), _event: &BrokenEvent) {}
    }

    impl Decide for Broken {
        type Error = AccountError;

        fn decide(_: &Broken, _state: &(), command: BrokenEvent) -> Result<Vec<BrokenEvent>, AccountError> {
            Ok(vec![command])
        }
    }
}

#[test]
fn events_that_do_not_round_trip_fail_the_test() {
    use broken::{Broken, BrokenEvent};
    let cases: Vec<(BrokenEvent, &[&str])> = vec![
        (BrokenEvent::Lossy { kept: 1, lost: 2 }, &["changes through encoding and decoding", "lost: 2", "lost: 0"]),
        (BrokenEvent::Lossy { kept: 1, lost: 0 }, &[]),
        (BrokenEvent::Misnamed, &["`Misnamed` v1 cannot be decoded from its own encoding", "unknown event name"]),
        (BrokenEvent::Unlisted, &["named `Unlisted`, which is not among the names of its set"]),
    ];
    for (event, mentions) in cases {
        let decided = event.clone();
        let when = move || drop(AggregateTest::<Broken>::given_no_events().when(decided.clone()).then(vec![decided]));
        let given = move || drop(AggregateTest::<Broken>::given([event]));
        if mentions.is_empty() {
            when();
            given();
            continue;
        }
        let message = panic_message(when);
        assert_mentions(&message, &["aggregate test of `Broken` failed: a decided event"]);
        assert_mentions(&message, mentions);
        let message = panic_message(given);
        assert_mentions(&message, &["aggregate test of `Broken` failed: a given event"]);
        assert_mentions(&message, mentions);
    }
}
