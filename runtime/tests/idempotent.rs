//! Tests of idempotent commands: a command id is recorded in its events' metadata, and handling it again on the same
//! stream answers with the first outcome instead of recording the events twice.

mod common;

use common::*;
use factum::store::memory::MemoryStore;
use factum::{CommandError, CommandService, EventStore, ExpectedVersion, Metadata, NewEvent};
use uuid::Uuid;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime").block_on(future)
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// One step of a case: the account, the command id (none: a plain command), the command, and what is expected:
/// the events the answer carries, the balance it reports, and the stream version it reports.
type Step = (u32, Option<Uuid>, AccountCommand, Result<(Vec<AccountEvent>, i64, u64), AccountError>);

/// Runs the steps on a fresh store and checks each answer, then the streams' lengths.
fn check(steps: Vec<Step>, expected_versions: &[(u32, u64)]) {
    block_on(async {
        let service = CommandService::<Account, _>::new(MemoryStore::new());
        for (index, (account, command_id, command, expected)) in steps.into_iter().enumerate() {
            let answer = match command_id {
                Some(command_id) => service.handle_idempotent(&account, command_id, command).await,
                None => service.handle(&account, command).await,
            };
            let answer = answer.map(|handled| (handled.events, handled.state.balance, handled.stream_version));
            match (answer, expected) {
                (Ok(answer), Ok(expected)) => assert_eq!(answer, expected, "step {index}"),
                (Err(CommandError::Rejected(error)), Err(expected)) => assert_eq!(error, expected, "step {index}"),
                (answer, expected) => panic!("step {index}: {answer:?}, expected {expected:?}"),
            }
        }
        for &(account, version) in expected_versions {
            let stream = format!("Account-{account}");
            assert_eq!(service.store().stream_version(&stream).await.unwrap(), version, "{stream}");
        }
    });
}

fn open(owner: &str) -> AccountCommand {
    AccountCommand::Open { owner: owner.into() }
}

fn deposit(amount: i64) -> AccountCommand {
    AccountCommand::Deposit { amount }
}

#[test]
fn the_same_command_id_is_recorded_once_and_answered_with_the_first_outcome() {
    check(
        vec![
            (7, Some(id(1)), open("ada"), Ok((vec![opened("ada")], 0, 1))),
            (7, Some(id(2)), deposit(10), Ok((vec![deposited(10)], 10, 2))),
            (7, Some(id(3)), deposit(5), Ok((vec![deposited(5)], 15, 3))),
            // The second deposit again: its first outcome, the state right after it (not the current one).
            (7, Some(id(2)), deposit(10), Ok((vec![deposited(10)], 10, 2))),
            // The command is not decided again, so even a different command under the id answers the same.
            (7, Some(id(2)), deposit(99), Ok((vec![deposited(10)], 10, 2))),
            // Plain commands are recorded each time.
            (7, None, deposit(1), Ok((vec![deposited(1)], 16, 4))),
            (7, None, deposit(1), Ok((vec![deposited(1)], 17, 5))),
        ],
        &[(7, 5)],
    );
}

#[test]
fn a_command_of_several_events_is_answered_with_all_of_them() {
    check(
        vec![
            (7, None, open("ada"), Ok((vec![opened("ada")], 0, 1))),
            (7, None, deposit(30), Ok((vec![deposited(30)], 30, 2))),
            (7, Some(id(9)), AccountCommand::Close, Ok((vec![withdrawn(30), closed()], 0, 4))),
            (7, Some(id(9)), AccountCommand::Close, Ok((vec![withdrawn(30), closed()], 0, 4))),
        ],
        &[(7, 4)],
    );
}

#[test]
fn the_scope_of_a_command_id_is_one_stream() {
    check(
        vec![
            (7, None, open("ada"), Ok((vec![opened("ada")], 0, 1))),
            (8, None, open("bob"), Ok((vec![opened("bob")], 0, 1))),
            (7, Some(id(1)), deposit(10), Ok((vec![deposited(10)], 10, 2))),
            (8, Some(id(1)), deposit(10), Ok((vec![deposited(10)], 10, 2))),
        ],
        &[(7, 2), (8, 2)],
    );
}

#[test]
fn commands_that_recorded_nothing_are_decided_again() {
    check(
        vec![
            // Rejected: nothing recorded, so the id is free.
            (7, Some(id(1)), deposit(10), Err(AccountError::NotOpen)),
            (7, None, open("ada"), Ok((vec![opened("ada")], 0, 1))),
            (7, Some(id(1)), deposit(10), Ok((vec![deposited(10)], 10, 2))),
            // Accepted without events: nothing to find either.
            (7, Some(id(2)), deposit(0), Ok((vec![], 10, 2))),
            (7, Some(id(2)), deposit(5), Ok((vec![deposited(5)], 15, 3))),
        ],
        &[(7, 3)],
    );
}

#[test]
fn the_command_id_is_kept_in_the_metadata_beside_the_callers() {
    block_on(async {
        let service = CommandService::<Account, _>::new(MemoryStore::new());
        service.handle(&7, open("ada")).await.unwrap();
        let metadata = Metadata::correlated(id(50)).with_header("request", "r-1").with_command_id(id(2));
        service.handle_with(&7, deposit(10), metadata.clone()).await.unwrap();
        let again = service.handle_with(&7, deposit(10), metadata.clone()).await.unwrap();
        assert_eq!(again.stream_version, 2);
        let stored = service.store().read_stream("Account-7", 1).await.unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].envelope.metadata, Metadata::default());
        assert_eq!(stored[1].envelope.metadata, metadata);
    });
}

#[test]
fn metadata_without_a_command_id_keeps_its_stored_form() {
    let cases = [
        (Metadata::default(), "{}"),
        (Metadata::correlated(id(1)), r#"{"correlation_id":"00000000-0000-0000-0000-000000000001"}"#),
        (Metadata::default().with_command_id(id(2)), r#"{"command_id":"00000000-0000-0000-0000-000000000002"}"#),
    ];
    for (metadata, json) in cases {
        assert_eq!(serde_json::to_string(&metadata).unwrap(), json);
        assert_eq!(serde_json::from_str::<Metadata>(json).unwrap(), metadata);
    }
}

#[test]
fn a_concurrent_writer_of_the_same_command_id_is_found_on_retry() {
    block_on(async {
        let store = MemoryStore::new();
        let service = CommandService::<Account, _>::new(&store);
        service.handle(&7, open("ada")).await.unwrap();
        // Another process recorded the command already, as the stream shows; this one finds it when it loads.
        let elsewhere = NewEvent::encode(&deposited(10), Metadata::default().with_command_id(id(4))).unwrap();
        store.append("Account-7", ExpectedVersion::Exact(1), vec![elsewhere]).await.unwrap();
        let answer = service.handle_idempotent(&7, id(4), deposit(10)).await.unwrap();
        assert_eq!((answer.events, answer.state.balance, answer.stream_version), (vec![deposited(10)], 10, 2));
        assert_eq!(store.stream_version("Account-7").await.unwrap(), 2);
    });
}
