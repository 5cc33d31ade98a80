//! The two sides are the same account on PostgreSQL too: the same commands are accepted or rejected alike and leave
//! the same state, on Factum's `CommandService` over its `PostgresStore` and on cqrs-es's `CqrsFramework` over
//! postgres-es. Against the real server (`FACTUM_TEST_POSTGRES`, default 127.0.0.1:5432): they fail without it.

use cqrs_es::{AggregateError, CqrsFramework, EventStore};
use factum::{CommandError, CommandService};
use factum_cqrs_es::cqrs_side;
use factum_cqrs_es::factum_side::schema::{BankAccount, DepositMoney, OpenAccount, WithdrawMoney};
use factum_cqrs_es::factum_side::{self, AccountError};
use factum_cqrs_es_postgres::{factum_store, postgres_es_pool, postgres_es_store, seed_postgres_es, Schemas};

/// A command, as both sides spell it.
#[derive(Debug, Clone, Copy)]
enum Step {
    Open(&'static str),
    Deposit(u64),
    Withdraw(u64),
}

/// Runs `steps` on one account on each side; checks each step's outcome against `expected` (`None`: accepted) and
/// that both sides end at `balance` after `events` events, as stored (loaded again through fresh stores).
async fn check(steps: &[Step], expected: &[Option<AccountError>], balance: u64, events: u64) {
    let schemas = Schemas::new("agree");
    let store = factum_store(&schemas).await.unwrap();
    let service = CommandService::<BankAccount, _>::new(store.clone());
    let pool = postgres_es_pool(&schemas).await.unwrap();
    let cqrs = CqrsFramework::new(postgres_es_store(&pool), Vec::new(), ());
    let id = factum::types::Uuid::new_v4();
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
            Err(error) => panic!("{step:?} failed on postgres-es: {error}"),
        };
        assert_eq!(factum_outcome, cqrs_outcome, "{step:?}");
        outcomes.push(factum_outcome);
    }
    assert_eq!(outcomes, expected);
    let loaded = CommandService::<BankAccount, _>::new(store).load(&id).await.unwrap();
    let context = postgres_es_store(&pool).load_aggregate(&cqrs_id).await.unwrap();
    assert_eq!((loaded.state.balance, loaded.version), (balance, events));
    assert_eq!((context.aggregate.balance, context.current_sequence as u64), (balance, events));
    assert_eq!((context.aggregate.opened, context.aggregate.owner.as_str()), (true, loaded.state.owner.as_str()));
}

#[tokio::test]
async fn both_sides_accept_and_reject_alike() {
    use Step::*;
    check(&[Open("ada"), Deposit(100), Withdraw(30)], &[None, None, None], 70, 3).await;
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
    )
    .await;
}

#[tokio::test]
async fn the_seeded_histories_are_the_same_account() {
    let schemas = Schemas::new("agree");
    let store = factum_store(&schemas).await.unwrap();
    let service = CommandService::<BankAccount, _>::new(store.clone());
    let pool = postgres_es_pool(&schemas).await.unwrap();
    let cqrs_store = postgres_es_store(&pool);
    for deposits in [0, 1, 99] {
        let id = factum::types::Uuid::new_v4();
        factum_side::seed(&store, &id, deposits).await.unwrap();
        let loaded = service.load(&id).await.unwrap();
        seed_postgres_es(&cqrs_store, &id.to_string(), deposits).await.unwrap();
        let context = cqrs_store.load_aggregate(&id.to_string()).await.unwrap();
        let balance = factum_cqrs_es::balance_after(deposits);
        assert_eq!((loaded.state.balance, loaded.version), (balance, deposits as u64 + 1));
        assert_eq!((context.aggregate.balance, context.current_sequence), (balance, deposits + 1));
    }
}

/// postgres-es's sessions work in their own schema, not in `public`, and the schemas are gone once dropped.
#[tokio::test]
async fn each_side_keeps_to_its_schema() {
    let schemas = Schemas::new("agree");
    let pool = postgres_es_pool(&schemas).await.unwrap();
    let (schema,): (String,) = sqlx::query_as("SELECT current_schema()").fetch_one(&pool).await.unwrap();
    assert!(schema.starts_with("agree_postgres_es_"), "{schema}");
    let store = factum_store(&schemas).await.unwrap();
    drop((pool, store));
    drop(schemas);
    let admin = factum_cqrs_es_postgres::admin().await.unwrap();
    let left = admin.query_one("SELECT count(*) FROM pg_namespace WHERE nspname = $1", &[&schema]).await.unwrap();
    assert_eq!(left.get::<_, i64>(0), 0);
}
