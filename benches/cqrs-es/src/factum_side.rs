//! The bank account on Factum: the types generated from `schemas/account.factum`, and its rules.

use factum::{Aggregate, EventSet, EventStore, ExpectedVersion, Metadata, NewEvent, StoreError};

/// The code generated from `schemas/account.factum` by `build.rs`.
pub mod schema {
    factum::include_schema!("account");
}

use schema::{
    AccountOpened, BankAccount, BankAccountDecide, BankAccountEvent, BankAccountEvolve, BankAccountState, DepositMoney,
    MoneyDeposited, MoneyWithdrawn, OpenAccount, WithdrawMoney,
};

/// Why the account rejects a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// `OpenAccount` on an account that is open.
    #[error("the account is already open")]
    AlreadyOpen,
    /// Any other command on an account that was never opened.
    #[error("the account is not open")]
    NotOpen,
    /// `WithdrawMoney` of more than the balance.
    #[error("cannot withdraw {requested} from a balance of {balance}")]
    InsufficientFunds {
        /// What is in the account.
        balance: u64,
        /// What was asked for.
        requested: u64,
    },
    /// `DepositMoney` past the largest balance an account can hold.
    #[error("the balance would overflow")]
    Overflow,
}

impl BankAccountDecide for BankAccount {
    type Error = AccountError;

    fn open_account(&self, state: &BankAccountState, command: OpenAccount) -> Result<AccountOpened, AccountError> {
        if state.opened {
            return Err(AccountError::AlreadyOpen);
        }
        Ok(AccountOpened { owner: command.owner })
    }

    fn deposit_money(&self, state: &BankAccountState, command: DepositMoney) -> Result<MoneyDeposited, AccountError> {
        if !state.opened {
            return Err(AccountError::NotOpen);
        }
        state.balance.checked_add(command.amount).ok_or(AccountError::Overflow)?;
        Ok(MoneyDeposited { amount: command.amount })
    }

    fn withdraw_money(&self, state: &BankAccountState, command: WithdrawMoney) -> Result<MoneyWithdrawn, AccountError> {
        if !state.opened {
            return Err(AccountError::NotOpen);
        }
        if command.amount > state.balance {
            return Err(AccountError::InsufficientFunds { balance: state.balance, requested: command.amount });
        }
        Ok(MoneyWithdrawn { amount: command.amount })
    }
}

// Folds saturate: they must not panic on what is stored, whatever wrote it.
impl BankAccountEvolve for BankAccountState {
    fn account_opened(&mut self, event: &AccountOpened) {
        self.opened = true;
        self.owner.clone_from(&event.owner);
    }

    fn money_deposited(&mut self, event: &MoneyDeposited) {
        self.balance = self.balance.saturating_add(event.amount);
    }

    fn money_withdrawn(&mut self, event: &MoneyWithdrawn) {
        self.balance = self.balance.saturating_sub(event.amount);
    }
}

/// The events of an account opened for [`crate::OWNER`] and paid `deposits` deposits ([`crate::deposit`]).
pub fn history(deposits: usize) -> Vec<BankAccountEvent> {
    let opened = AccountOpened { owner: crate::OWNER.to_owned() }.into();
    let paid = (0..deposits).map(|index| MoneyDeposited { amount: crate::deposit(index) }.into());
    std::iter::once(opened).chain(paid).collect()
}

/// Appends the account `id`'s history of `deposits` deposits to `store` (any of Factum's stores) in one append,
/// encoded as the command service encodes events, as the setup of a benchmark: what handling each command would have
/// recorded.
pub async fn seed(store: &impl EventStore, id: &factum::types::Uuid, deposits: usize) -> Result<(), StoreError> {
    let events = history(deposits)
        .iter()
        .map(|event| Ok(NewEvent::encode(event, Metadata::default())?.with_aggregate_type(BankAccount::NAME)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    debug_assert!(events.iter().all(|event| BankAccountEvent::contains(&event.event_name)));
    store.append(&BankAccount::stream_id(id), ExpectedVersion::NoStream, events).await?;
    Ok(())
}
