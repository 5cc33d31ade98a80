//! Tests of what the command service tells a `tracing` subscriber: the span of each command with its aggregate,
//! command name and stream, and the events of its outcome.

mod common;

use common::recorder::Recorder;
use common::*;
use factum::store::memory::MemoryStore;
use factum::CommandService;
use uuid::Uuid;

/// Handles `command` on account 7 (opened by ada, 100 deposited; idempotently when `command_id` is given) and checks
/// the lines the subscriber was told.
fn check(command_id: Option<Uuid>, command: AccountCommand, expected: &[&str]) {
    let recorder = Recorder::default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let service = CommandService::<Account, _>::new(MemoryStore::new());
    runtime.block_on(async {
        service.handle(&7, AccountCommand::Open { owner: "ada".into() }).await.unwrap();
        service.handle_idempotent(&7, Uuid::from_u128(1), AccountCommand::Deposit { amount: 100 }).await.unwrap();
    });
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            // The outcome itself is tested elsewhere; only what was told matters here.
            let _ = match command_id {
                Some(command_id) => service.handle_idempotent(&7, command_id, command).await,
                None => service.handle(&7, command).await,
            };
        })
    });
    assert_eq!(*recorder.lines.lock().unwrap(), expected);
}

#[test]
fn each_command_is_a_span_with_its_outcome() {
    check(
        None,
        AccountCommand::Withdraw { amount: 30 },
        &[
            "span command aggregate=\"Account\" command=Withdraw stream=Account-7",
            "DEBUG command handled attempts=1 events=1 stream_version=3",
        ],
    );
    check(
        None,
        AccountCommand::Close,
        &[
            "span command aggregate=\"Account\" command=Close stream=Account-7",
            "DEBUG command handled attempts=1 events=2 stream_version=4",
        ],
    );
    check(
        None,
        AccountCommand::Withdraw { amount: 500 },
        &[
            "span command aggregate=\"Account\" command=Withdraw stream=Account-7",
            "DEBUG command rejected attempts=1 error=cannot withdraw 500 from a balance of 100",
        ],
    );
}

#[test]
fn idempotent_commands_name_their_id() {
    check(
        Some(Uuid::from_u128(1)),
        AccountCommand::Deposit { amount: 100 },
        &[
            "span command aggregate=\"Account\" command=Deposit stream=Account-7",
            "record command_id=00000000-0000-0000-0000-000000000001",
            "DEBUG command already handled stream_version=2",
            "DEBUG command handled attempts=1 events=1 stream_version=2",
        ],
    );
}
