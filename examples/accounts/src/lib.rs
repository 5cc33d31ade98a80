//! Bank accounts, declared in Rust: the events, the account aggregate with its commands and the balance projection
//! are the items of the module [`bank`], marked with `#[factum::domain]`'s attributes; no schema file. The rules
//! (decide and evolve) and the projection's handler are written against what the macro generates, exactly as they
//! would be against a schema's generated code.
//!
//! One event has two versions: `Deposited` v1 (an amount) was stored by the first release, v2 adds a reference;
//! a declarative step (`reference = none`) reads every stored v1 as v2.

use std::collections::BTreeMap;

use factum::{types::Uuid, EventContext};

use bank::{
    Account, AccountClosed, AccountDecide, AccountEvolve, AccountOpened, AccountState, BalancesHandler, CloseAccount,
    Deposit, Deposited, OpenAccount, Withdraw, WithdrawOutcome, WithdrawalRefused, Withdrawn,
};

/// The bank domain.
#[factum::domain]
pub mod bank {
    /// An account was opened.
    #[event]
    pub struct AccountOpened {
        /// Whose account it is.
        pub owner: String,
        /// How far below zero the balance may go, in cents.
        pub overdraft_limit: u64,
    }

    /// Money was paid in (the first release: the amount alone).
    #[event(name = "Deposited", version = 1, upcast(reference = none))]
    pub struct DepositedV1 {
        /// The amount, in cents.
        pub amount: u64,
    }

    /// Money was paid in.
    #[event(version = 2)]
    pub struct Deposited {
        /// The amount, in cents.
        pub amount: u64,
        /// What the payer wrote on the transfer, if anything.
        pub reference: Option<String>,
    }

    /// Money was paid out.
    #[event]
    pub struct Withdrawn {
        /// The amount, in cents.
        pub amount: u64,
    }

    /// A withdrawal was refused: it would have taken the balance below the overdraft limit.
    #[event]
    pub struct WithdrawalRefused {
        /// The amount asked for, in cents.
        pub amount: u64,
        /// What could have been withdrawn, in cents.
        pub available: u64,
    }

    /// The account was closed.
    #[event]
    pub struct AccountClosed {}

    /// A bank account.
    #[aggregate(id = Uuid)]
    pub struct Account;

    /// What is known about one account: the fold of its events.
    pub struct AccountState {
        /// Whether it was opened.
        pub opened: bool,
        /// Whether it was closed.
        pub closed: bool,
        /// The balance, in cents; below zero within the overdraft.
        pub balance: i64,
        /// How far below zero the balance may go, in cents.
        pub overdraft_limit: u64,
    }

    /// Opens an account.
    #[command(emits(AccountOpened))]
    pub struct OpenAccount {
        /// Whose account it is.
        pub owner: String,
        /// How far below zero the balance may go, in cents.
        pub overdraft_limit: u64,
    }

    /// Pays money in.
    #[command(emits(Deposited))]
    pub struct Deposit {
        /// The amount, in cents.
        pub amount: u64,
        /// What the payer wrote on the transfer, if anything.
        pub reference: Option<String>,
    }

    /// Pays money out, within the overdraft limit; beyond it the withdrawal is refused (and that is on record).
    #[command(emits(Withdrawn | WithdrawalRefused))]
    pub struct Withdraw {
        /// The amount, in cents.
        pub amount: u64,
    }

    /// Closes an account whose balance is zero.
    #[command(emits(AccountClosed))]
    pub struct CloseAccount {}

    /// Every account's balance.
    #[projection(on(AccountOpened, Deposited, Withdrawn, AccountClosed))]
    pub struct Balances;
}

/// Why the account aggregate rejects a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// `OpenAccount` on an account that exists.
    #[error("the account is already open")]
    AlreadyOpen,
    /// Any other command on an account that was never opened.
    #[error("there is no such account")]
    NotFound,
    /// Any command on a closed account.
    #[error("the account is closed")]
    Closed,
    /// A deposit or withdrawal of nothing.
    #[error("the amount must be above zero")]
    NothingToMove,
    /// `CloseAccount` while money is in the account or owed.
    #[error("the balance is {0} cents: only an account at zero can be closed")]
    NotAtZero(i64),
}

/// An amount as a signed number of cents, saturating: folds must not panic on what is stored.
fn signed(amount: u64) -> i64 {
    i64::try_from(amount).unwrap_or(i64::MAX)
}

/// The account's state, checked to be open.
fn open(state: &AccountState) -> Result<&AccountState, AccountError> {
    match (state.opened, state.closed) {
        (false, _) => Err(AccountError::NotFound),
        (true, true) => Err(AccountError::Closed),
        (true, false) => Ok(state),
    }
}

impl AccountDecide for Account {
    type Error = AccountError;

    fn open_account(&self, state: &AccountState, command: OpenAccount) -> Result<AccountOpened, AccountError> {
        if state.opened {
            return Err(AccountError::AlreadyOpen);
        }
        Ok(AccountOpened { owner: command.owner, overdraft_limit: command.overdraft_limit })
    }

    fn deposit(&self, state: &AccountState, command: Deposit) -> Result<Deposited, AccountError> {
        open(state)?;
        if command.amount == 0 {
            return Err(AccountError::NothingToMove);
        }
        Ok(Deposited { amount: command.amount, reference: command.reference })
    }

    fn withdraw(&self, state: &AccountState, command: Withdraw) -> Result<WithdrawOutcome, AccountError> {
        let state = open(state)?;
        if command.amount == 0 {
            return Err(AccountError::NothingToMove);
        }
        // The overdraft rule: the balance may go down to minus the limit, and no further.
        let available = state.balance.saturating_add(signed(state.overdraft_limit)).max(0).unsigned_abs();
        if command.amount > available {
            return Ok(WithdrawalRefused { amount: command.amount, available }.into());
        }
        Ok(Withdrawn { amount: command.amount }.into())
    }

    fn close_account(&self, state: &AccountState, _: CloseAccount) -> Result<AccountClosed, AccountError> {
        let state = open(state)?;
        if state.balance != 0 {
            return Err(AccountError::NotAtZero(state.balance));
        }
        Ok(AccountClosed {})
    }
}

impl AccountEvolve for AccountState {
    fn account_opened(&mut self, event: &AccountOpened) {
        self.opened = true;
        self.overdraft_limit = event.overdraft_limit;
    }

    fn deposited(&mut self, event: &Deposited) {
        self.balance = self.balance.saturating_add(signed(event.amount));
    }

    fn withdrawn(&mut self, event: &Withdrawn) {
        self.balance = self.balance.saturating_sub(signed(event.amount));
    }

    fn withdrawal_refused(&mut self, _: &WithdrawalRefused) {
        // On record, but nothing moved.
    }

    fn account_closed(&mut self, _: &AccountClosed) {
        self.closed = true;
    }
}

/// One line of the balance sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balance {
    /// Whose account it is.
    pub owner: String,
    /// The balance, in cents.
    pub balance: i64,
    /// Whether the account is closed.
    pub closed: bool,
}

/// The `Balances` projection's read model, in memory: every account's balance by id.
#[derive(Debug, Clone, Default)]
pub struct BalanceSheet {
    /// Each account's line.
    pub accounts: BTreeMap<Uuid, Balance>,
}

impl BalanceSheet {
    /// The line of account `id`, created empty if new.
    fn line(&mut self, id: Uuid) -> &mut Balance {
        self.accounts.entry(id).or_default()
    }
}

impl BalancesHandler for BalanceSheet {
    type Error = std::convert::Infallible;

    fn reset(&mut self, _: &()) -> Result<(), Self::Error> {
        self.accounts.clear();
        Ok(())
    }

    fn account_opened(&mut self, event: &AccountOpened, context: &EventContext<'_, Uuid>) -> Result<(), Self::Error> {
        self.line(*context.id).owner.clone_from(&event.owner);
        Ok(())
    }

    fn deposited(&mut self, event: &Deposited, context: &EventContext<'_, Uuid>) -> Result<(), Self::Error> {
        let line = self.line(*context.id);
        line.balance = line.balance.saturating_add(signed(event.amount));
        Ok(())
    }

    fn withdrawn(&mut self, event: &Withdrawn, context: &EventContext<'_, Uuid>) -> Result<(), Self::Error> {
        let line = self.line(*context.id);
        line.balance = line.balance.saturating_sub(signed(event.amount));
        Ok(())
    }

    fn account_closed(&mut self, _: &AccountClosed, context: &EventContext<'_, Uuid>) -> Result<(), Self::Error> {
        self.line(*context.id).closed = true;
        Ok(())
    }
}
