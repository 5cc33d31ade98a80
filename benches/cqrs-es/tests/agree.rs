//! The two sides of the comparison are the same account: the same commands are accepted or rejected alike and leave
//! the same state, on Factum's `CommandService` and on cqrs-es's `CqrsFramework`.

use cqrs_es::mem_store::MemStore;
use cqrs_es::{AggregateError, CqrsFramework, EventStore};
use factum::store::memory::MemoryStore;
use factum::{CommandError, CommandService};
use factum_cqrs_es::cqrs_side;
use factum_cqrs_es::factum_side::schema::{BankAccount, DepositMoney, OpenAccount, WithdrawMoney};
use factum_cqrs_es::factum_side::AccountError;

/// A command, as both sides spell it.
#[derive(Debug, Clone, Copy)]
enum Step {
    Open(&'static str),
    Deposit(u64),
    Withdraw(u64),
}

/// Runs `steps` on one account on each side; checks each step's outcome against `expected` (`None`: accepted) and
/// that both sides end at `balance` after `events` events.
fn check(steps: &[Step], expected: &[Option<AccountError>], balance: u64, events: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let service = CommandService::<BankAccount, _>::new(MemoryStore::new());
        let store = MemStore::<cqrs_side::BankAccount>::default();
        let cqrs = CqrsFramework::new(store.clone(), Vec::new(), ());
        let id = factum::types::Uuid::from_u128(7);
        let cqrs_id = id.to_string();
        let mut outcomes = Vec::new();
        for &step in steps {
            let (factum_command, cqrs_command) = match step {
                Step::Open(owner) => (
                    OpenAccount { owner: owner.to_owned() }.into(),
                    cqrs_side::BankAccountCommand::OpenAccount { owner: owner.to_owned() },
                ),
                Step::Deposit(amount) => {
                    (DepositMoney { amount }.into(), cqrs_side::BankAccountCommand::DepositMoney { amount })
                }
                Step::Withdraw(amount) => {
                    (WithdrawMoney { amount }.into(), cqrs_side::BankAccountCommand::WithdrawMoney { amount })
                }
            };
            let factum_outcome = match service.handle(&id, factum_command).await {
                Ok(_) => None,
                Err(CommandError::Rejected(error)) => Some(error),
                Err(error) => panic!("{step:?} failed on Factum: {error}"),
            };
            let cqrs_outcome = match cqrs.execute(&cqrs_id, cqrs_command).await {
                Ok(()) => None,
                Err(AggregateError::UserError(error)) => Some(error),
                Err(error) => panic!("{step:?} failed on cqrs-es: {error}"),
            };
            assert_eq!(factum_outcome, cqrs_outcome, "{step:?}");
            outcomes.push(factum_outcome);
        }
        assert_eq!(outcomes, expected);
        let loaded = service.load(&id).await.unwrap();
        let context = store.load_aggregate(&cqrs_id).await.unwrap();
        assert_eq!((loaded.state.balance, loaded.version), (balance, events));
        assert_eq!((context.aggregate.balance, context.current_sequence as u64), (balance, events));
        assert_eq!((context.aggregate.opened, context.aggregate.owner.as_str()), (true, loaded.state.owner.as_str()));
    });
}

#[test]
fn both_sides_accept_and_reject_alike() {
    use Step::*;
    check(&[Open("ada"), Deposit(100), Withdraw(30)], &[None, None, None], 70, 3);
    check(
        &[Deposit(5), Open("ada"), Open("bob"), Withdraw(1), Deposit(u64::MAX), Deposit(1), Withdraw(2)],
        &[
            Some(AccountError::NotOpen),
            None,
            Some(AccountError::AlreadyOpen),
            Some(AccountError::InsufficientFunds { balance: 0, requested: 1 }),
            None,
            Some(AccountError::Overflow),
            None,
        ],
        u64::MAX - 2,
        3,
    );
}

#[test]
fn the_seeded_histories_are_the_same_account() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        for deposits in [0, 1, 99] {
            let store = MemoryStore::new();
            let id = factum::types::Uuid::from_u128(9);
            factum_cqrs_es::factum_side::seed(&store, &id, deposits).await.unwrap();
            let loaded = CommandService::<BankAccount, _>::new(store).load(&id).await.unwrap();
            let mem = MemStore::<cqrs_side::BankAccount>::default();
            cqrs_side::seed(&mem, "9", deposits).await.unwrap();
            let context = mem.load_aggregate("9").await.unwrap();
            let balance = factum_cqrs_es::balance_after(deposits);
            assert_eq!((loaded.state.balance, loaded.version), (balance, deposits as u64 + 1));
            assert_eq!((context.aggregate.balance, context.current_sequence), (balance, deposits + 1));
        }
    });
}
