//! The commands both sides must accept and reject alike, and the run that checks it on any pair of stores: the
//! tests of this crate run it in memory, those of `benches/cqrs-es-postgres/` on PostgreSQL.

use cqrs_es::{AggregateError, CqrsFramework};
use factum::{CommandError, CommandService, EventStore};

use crate::cqrs_side;
use crate::factum_side::schema::{BankAccount, BankAccountCommand, DepositMoney, OpenAccount, WithdrawMoney};
use crate::factum_side::AccountError;

/// A command, as both sides spell it.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Open the account for this owner.
    Open(&'static str),
    /// Deposit this many cents.
    Deposit(u64),
    /// Withdraw this many cents.
    Withdraw(u64),
}

impl Step {
    /// The command on each side.
    fn commands(self) -> (BankAccountCommand, cqrs_side::BankAccountCommand) {
        match self {
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
        }
    }
}

/// A run of steps on one fresh account, each step's outcome (`None`: accepted), and where the account ends.
#[derive(Debug, Clone)]
pub struct Case {
    /// The commands, in order.
    pub steps: &'static [Step],
    /// What each one comes to: `None` when accepted, else the rule it broke.
    pub expected: Vec<Option<AccountError>>,
    /// The balance the account ends at.
    pub balance: u64,
    /// How many events the account's stream ends with.
    pub events: u64,
}

/// The cases both sides are held to: every rule met, and every rule broken once.
pub fn cases() -> Vec<Case> {
    use Step::*;
    vec![
        Case {
            steps: &[Open("ada"), Deposit(100), Withdraw(30)],
            expected: vec![None, None, None],
            balance: 70,
            events: 3,
        },
        Case {
            steps: &[Deposit(5), Open("ada"), Open("bob"), Withdraw(1), Deposit(u64::MAX), Deposit(1), Withdraw(2)],
            expected: vec![
                Some(AccountError::NotOpen),
                None,
                Some(AccountError::AlreadyOpen),
                Some(AccountError::InsufficientFunds { balance: 0, requested: 1 }),
                None,
                Some(AccountError::Overflow),
                None,
            ],
            balance: u64::MAX - 2,
            events: 3,
        },
    ]
}

/// Handles each of `steps` on the account `id` on both sides, checking that they accept or reject it alike;
/// returns the outcomes. A failure other than a rejection fails the test, naming the side (`cqrs_name`).
pub async fn run_both<S, R>(
    service: &CommandService<BankAccount, S>,
    cqrs: &CqrsFramework<cqrs_side::BankAccount, R>,
    cqrs_name: &str,
    id: &factum::types::Uuid,
    steps: &[Step],
) -> Vec<Option<AccountError>>
where
    S: EventStore,
    R: cqrs_es::EventStore<cqrs_side::BankAccount>,
{
    let cqrs_id = id.to_string();
    let mut outcomes = Vec::new();
    for &step in steps {
        let (factum_command, cqrs_command) = step.commands();
        let factum_outcome = match service.handle(id, factum_command).await {
            Ok(_) => None,
            Err(CommandError::Rejected(error)) => Some(error),
            Err(error) => panic!("{step:?} failed on Factum: {error}"),
        };
        let cqrs_outcome = match cqrs.execute(&cqrs_id, cqrs_command).await {
            Ok(()) => None,
            Err(AggregateError::UserError(error)) => Some(error),
            Err(error) => panic!("{step:?} failed on {cqrs_name}: {error}"),
        };
        assert_eq!(factum_outcome, cqrs_outcome, "{step:?}");
        outcomes.push(factum_outcome);
    }
    outcomes
}
