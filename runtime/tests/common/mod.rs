//! A small hand-written aggregate (a bank account) that the runtime's tests share, written the way generated code
//! would implement the runtime's traits.
// Each test crate uses a different part of this module.
#![allow(dead_code)]

pub(crate) mod recorder;

use factum::{decode_payload, encode_payload, Aggregate, Decide, DecodeErrorKind, Event, EventSet};
use serde::{Deserialize, Serialize};

/// The account was opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Opened {
    pub(crate) owner: String,
}

/// Money was paid in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Deposited {
    pub(crate) amount: i64,
}

/// Money was taken out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Withdrawn {
    pub(crate) amount: i64,
}

/// The account was closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Closed {}

impl Event for Opened {
    const NAME: &'static str = "Opened";
    const VERSION: u32 = 1;
}

impl Event for Deposited {
    const NAME: &'static str = "Deposited";
    const VERSION: u32 = 1;
}

impl Event for Withdrawn {
    const NAME: &'static str = "Withdrawn";
    const VERSION: u32 = 1;
}

impl Event for Closed {
    const NAME: &'static str = "Closed";
    const VERSION: u32 = 1;
}

/// Decodes `payload` as `E` when `version` is the one this build knows.
fn decode_v1<E: Event>(name: &str, version: u32, payload: &[u8]) -> Result<E, DecodeErrorKind> {
    if version != E::VERSION {
        return Err(DecodeErrorKind::UnknownVersion { name: name.into(), version, known: "v1".into() });
    }
    decode_payload(payload)
}

/// Every event of an account.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AccountEvent {
    Opened(Opened),
    Deposited(Deposited),
    Withdrawn(Withdrawn),
    Closed(Closed),
}

impl EventSet for AccountEvent {
    const NAMES: &'static [&'static str] = &["Opened", "Deposited", "Withdrawn", "Closed"];

    fn name(&self) -> &'static str {
        match self {
            AccountEvent::Opened(_) => Opened::NAME,
            AccountEvent::Deposited(_) => Deposited::NAME,
            AccountEvent::Withdrawn(_) => Withdrawn::NAME,
            AccountEvent::Closed(_) => Closed::NAME,
        }
    }

    fn version(&self) -> u32 {
        1
    }

    fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            AccountEvent::Opened(event) => encode_payload(event),
            AccountEvent::Deposited(event) => encode_payload(event),
            AccountEvent::Withdrawn(event) => encode_payload(event),
            AccountEvent::Closed(event) => encode_payload(event),
        }
    }

    fn decode(name: &str, version: u32, payload: &[u8]) -> Result<Self, DecodeErrorKind> {
        match name {
            "Opened" => decode_v1(name, version, payload).map(AccountEvent::Opened),
            "Deposited" => decode_v1(name, version, payload).map(AccountEvent::Deposited),
            "Withdrawn" => decode_v1(name, version, payload).map(AccountEvent::Withdrawn),
            "Closed" => decode_v1(name, version, payload).map(AccountEvent::Closed),
            _ => Err(DecodeErrorKind::UnknownEvent { name: name.into() }),
        }
    }
}

/// What is known about an account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AccountState {
    pub(crate) owner: Option<String>,
    pub(crate) balance: i64,
    pub(crate) closed: bool,
}

/// What can be asked of an account.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AccountCommand {
    Open { owner: String },
    Deposit { amount: i64 },
    Withdraw { amount: i64 },
    Close,
}

impl factum::CommandSet for AccountCommand {
    fn name(&self) -> &'static str {
        match self {
            AccountCommand::Open { .. } => "Open",
            AccountCommand::Deposit { .. } => "Deposit",
            AccountCommand::Withdraw { .. } => "Withdraw",
            AccountCommand::Close => "Close",
        }
    }
}

/// Why an account refused a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum AccountError {
    #[error("the account is already open")]
    AlreadyOpen,
    #[error("the account is not open")]
    NotOpen,
    #[error("the account is closed")]
    Closed,
    #[error("cannot withdraw {requested} from a balance of {balance}")]
    InsufficientFunds { balance: i64, requested: i64 },
}

/// A bank account.
#[derive(Default)]
pub(crate) struct Account;

impl Aggregate for Account {
    const NAME: &'static str = "Account";
    const STATE_FINGERPRINT: &'static str = "account-v1";
    type Id = u32;
    type State = AccountState;
    type Command = AccountCommand;
    type Event = AccountEvent;

    fn evolve(state: &mut AccountState, event: &AccountEvent) {
        match event {
            AccountEvent::Opened(opened) => state.owner = Some(opened.owner.clone()),
            AccountEvent::Deposited(deposited) => state.balance += deposited.amount,
            AccountEvent::Withdrawn(withdrawn) => state.balance -= withdrawn.amount,
            AccountEvent::Closed(_) => state.closed = true,
        }
    }
}

impl Decide for Account {
    type Error = AccountError;

    fn decide(_: &Account, state: &AccountState, command: AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        if state.closed {
            return Err(AccountError::Closed);
        }
        match command {
            AccountCommand::Open { owner } => match state.owner {
                Some(_) => Err(AccountError::AlreadyOpen),
                None => Ok(vec![AccountEvent::Opened(Opened { owner })]),
            },
            _ if state.owner.is_none() => Err(AccountError::NotOpen),
            // Depositing nothing is accepted and changes nothing.
            AccountCommand::Deposit { amount: 0 } => Ok(Vec::new()),
            AccountCommand::Deposit { amount } => Ok(vec![AccountEvent::Deposited(Deposited { amount })]),
            AccountCommand::Withdraw { amount } if amount > state.balance => {
                Err(AccountError::InsufficientFunds { balance: state.balance, requested: amount })
            }
            AccountCommand::Withdraw { amount } => Ok(vec![AccountEvent::Withdrawn(Withdrawn { amount })]),
            // Closing pays out what is left, then closes.
            AccountCommand::Close if state.balance > 0 => {
                Ok(vec![AccountEvent::Withdrawn(Withdrawn { amount: state.balance }), AccountEvent::Closed(Closed {})])
            }
            AccountCommand::Close => Ok(vec![AccountEvent::Closed(Closed {})]),
        }
    }
}

pub(crate) fn opened(owner: &str) -> AccountEvent {
    AccountEvent::Opened(Opened { owner: owner.into() })
}

pub(crate) fn deposited(amount: i64) -> AccountEvent {
    AccountEvent::Deposited(Deposited { amount })
}

pub(crate) fn withdrawn(amount: i64) -> AccountEvent {
    AccountEvent::Withdrawn(Withdrawn { amount })
}

pub(crate) fn closed() -> AccountEvent {
    AccountEvent::Closed(Closed {})
}
