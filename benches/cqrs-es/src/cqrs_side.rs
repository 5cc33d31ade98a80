//! The bank account on cqrs-es: the same events, commands and rules as [`crate::factum_side`], as a cqrs-es
//! `Aggregate`.

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::mem_store::{MemStore, MemStoreAggregateContext};
use cqrs_es::{Aggregate, AggregateError, DomainEvent, EventStore};
use serde::{Deserialize, Serialize};

/// A bank account, as cqrs-es keeps it: the aggregate is its own state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    /// Whether the account was opened.
    pub opened: bool,
    /// Who owns it.
    pub owner: String,
    /// What is in it, in cents.
    pub balance: u64,
}

/// What can be asked of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankAccountCommand {
    /// Opens the account.
    OpenAccount {
        /// Who owns it.
        owner: String,
    },
    /// Pays money in.
    DepositMoney {
        /// How much, in cents.
        amount: u64,
    },
    /// Takes money out, if there is enough.
    WithdrawMoney {
        /// How much, in cents.
        amount: u64,
    },
}

/// What happened to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BankAccountEvent {
    /// An account was opened for its owner.
    AccountOpened {
        /// Who owns the account.
        owner: String,
    },
    /// Money was paid into an account.
    MoneyDeposited {
        /// How much, in cents.
        amount: u64,
    },
    /// Money was taken out of an account.
    MoneyWithdrawn {
        /// How much, in cents.
        amount: u64,
    },
}

impl DomainEvent for BankAccountEvent {
    fn event_type(&self) -> String {
        match self {
            BankAccountEvent::AccountOpened { .. } => "AccountOpened",
            BankAccountEvent::MoneyDeposited { .. } => "MoneyDeposited",
            BankAccountEvent::MoneyWithdrawn { .. } => "MoneyWithdrawn",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why the account rejects a command: the same reasons as [`crate::factum_side::AccountError`].
pub type AccountError = crate::factum_side::AccountError;

impl Aggregate for BankAccount {
    const TYPE: &'static str = "BankAccount";
    type Command = BankAccountCommand;
    type Event = BankAccountEvent;
    type Error = AccountError;
    type Services = ();

    async fn handle(
        &mut self,
        command: BankAccountCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AccountError> {
        let event = match command {
            BankAccountCommand::OpenAccount { .. } if self.opened => return Err(AccountError::AlreadyOpen),
            BankAccountCommand::OpenAccount { owner } => BankAccountEvent::AccountOpened { owner },
            _ if !self.opened => return Err(AccountError::NotOpen),
            BankAccountCommand::DepositMoney { amount } => {
                self.balance.checked_add(amount).ok_or(AccountError::Overflow)?;
                BankAccountEvent::MoneyDeposited { amount }
            }
            BankAccountCommand::WithdrawMoney { amount } if amount > self.balance => {
                return Err(AccountError::InsufficientFunds { balance: self.balance, requested: amount });
            }
            BankAccountCommand::WithdrawMoney { amount } => BankAccountEvent::MoneyWithdrawn { amount },
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: BankAccountEvent) {
        match event {
            BankAccountEvent::AccountOpened { owner } => {
                self.opened = true;
                self.owner = owner;
            }
            BankAccountEvent::MoneyDeposited { amount } => self.balance = self.balance.saturating_add(amount),
            BankAccountEvent::MoneyWithdrawn { amount } => self.balance = self.balance.saturating_sub(amount),
        }
    }
}

/// The events of an account opened for [`crate::OWNER`] and paid `deposits` deposits ([`crate::deposit`]).
pub fn history(deposits: usize) -> Vec<BankAccountEvent> {
    let opened = BankAccountEvent::AccountOpened { owner: crate::OWNER.to_owned() };
    let paid = (0..deposits).map(|index| BankAccountEvent::MoneyDeposited { amount: crate::deposit(index) });
    std::iter::once(opened).chain(paid).collect()
}

/// Commits the account `id`'s history of `deposits` deposits to `store` in one commit, as the setup of a benchmark:
/// what handling each command would have committed.
pub async fn seed(
    store: &MemStore<BankAccount>,
    id: &str,
    deposits: usize,
) -> Result<(), AggregateError<AccountError>> {
    let context = MemStoreAggregateContext {
        aggregate_id: id.to_owned(),
        aggregate: BankAccount::default(),
        current_sequence: 0,
    };
    store.commit(history(deposits), context, HashMap::new()).await?;
    Ok(())
}
