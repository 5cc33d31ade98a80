//! Factum's runtime: event stores, aggregates, command handling and projections for typed event sourcing.
//!
//! Factum turns a schema (a `.factum` file) into typed Rust: command handlers whose return types admit exactly the
//! events the schema allows, exhaustive folds, and projection handlers. This crate is what that generated code runs
//! on, and the only Factum crate an application depends on at run time.
//!
//! # A walkthrough
//!
//! A schema is compiled by `build.rs` (`factum_codegen::compile_schemas(&["schemas/orders.factum"])`) and included
//! with [`include_schema!`], or expanded in place with `factum::schema!("schemas/orders.factum")`. For an aggregate
//! `Order` it generates a marker type `Order`, the state `OrderState`, the command and event enums, and two traits the
//! application implements: `OrderDecide` (one method per command) and `OrderEvolve` (one method per event). The
//! generated glue implements [`Aggregate`] for `Order`, so it plugs into a [`CommandService`]:
//!
//! ```
//! # use factum::{Aggregate, EventSet, Event};
//! # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
//! # pub struct Opened { pub owner: String }
//! # impl Event for Opened { const NAME: &'static str = "Opened"; const VERSION: u32 = 1; }
//! # #[derive(Debug, Clone, PartialEq)]
//! # pub enum AccountEvent { Opened(Opened) }
//! # impl EventSet for AccountEvent {
//! #     const NAMES: &'static [&'static str] = &["Opened"];
//! #     fn name(&self) -> &'static str { "Opened" }
//! #     fn version(&self) -> u32 { 1 }
//! #     fn encode(&self) -> Result<Vec<u8>, serde_json::Error> { match self { Self::Opened(e) => factum::encode_payload(e) } }
//! #     fn decode(name: &str, version: u32, payload: &[u8]) -> Result<Self, factum::DecodeErrorKind> {
//! #         match (name, version) {
//! #             ("Opened", 1) => factum::decode_payload(payload).map(Self::Opened),
//! #             _ => Err(factum::DecodeErrorKind::UnknownEvent { name: name.into() }),
//! #         }
//! #     }
//! # }
//! # #[derive(Debug, Clone, Default)]
//! # pub struct AccountState { pub owner: Option<String> }
//! # #[derive(Debug, Clone)]
//! # pub enum AccountCommand { Open { owner: String } }
//! # impl factum::CommandSet for AccountCommand { fn name(&self) -> &'static str { "Open" } }
//! # #[derive(Debug, thiserror::Error)]
//! # #[error("already open")]
//! # pub struct AlreadyOpen;
//! # #[derive(Default)]
//! # pub struct Account;
//! # impl Aggregate for Account {
//! #     const NAME: &'static str = "Account"; const STATE_FINGERPRINT: &'static str = "account-v1";
//! #     type Id = u32; type State = AccountState; type Command = AccountCommand;
//! #     type Event = AccountEvent;
//! #     fn evolve(state: &mut AccountState, event: &AccountEvent) {
//! #         let AccountEvent::Opened(opened) = event;
//! #         state.owner = Some(opened.owner.clone());
//! #     }
//! # }
//! # impl factum::Decide for Account {
//! #     type Error = AlreadyOpen;
//! #     fn decide(_: &Account, state: &AccountState, command: AccountCommand) -> Result<Vec<AccountEvent>, AlreadyOpen> {
//! #         let AccountCommand::Open { owner } = command;
//! #         if state.owner.is_some() { return Err(AlreadyOpen) }
//! #         Ok(vec![AccountEvent::Opened(Opened { owner })])
//! #     }
//! # }
//! use factum::{CommandService, CommandError, store::memory::MemoryStore};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let service = CommandService::<Account, _>::new(MemoryStore::new());
//! let opened = service.handle(&7, AccountCommand::Open { owner: "ada".into() }).await.unwrap();
//! assert_eq!(opened.stream_version, 1);
//!
//! // The second open is decided against the folded state, and rejected.
//! let again = service.handle(&7, AccountCommand::Open { owner: "bob".into() }).await;
//! assert!(matches!(again, Err(CommandError::Rejected(AlreadyOpen))));
//! # });
//! ```
//!
//! The order example (`examples/orders`) shows the whole flow on a schema, on the embedded SQLite store.

mod aggregate;
#[cfg(feature = "nats")]
pub mod bus;
mod envelope;
mod error;
mod event;
mod event_ref;
mod expand;
mod finite;
mod follower;
mod projection;
mod retry;
mod service;
pub mod store;
mod subscription;
pub mod testing;
mod time_travel;
pub mod types;

pub use aggregate::{Aggregate, CommandSet, Decide, StreamIdError};
pub use envelope::{Envelope, Metadata, NewEvent, RecordedEvent, Timestamp};
pub use error::{ConflictError, DecodeError, DecodeErrorKind, DuplicateEventId, NonFiniteFloat, StoreError};
pub use event::{decode_payload, encode_payload, unknown_version, Event, EventSet, Versioned};
pub use event_ref::{LogEventRef, MetadataRef, RecordedEventRef};
pub use finite::NonFinite;
pub(crate) use follower::LiveWait;
pub use follower::{LogFollower, FOLLOW_BATCH};
pub use projection::{
    ApplyError, AsyncProjection, AsyncProjectionRunner, EventContext, EventPlace, Progress, Projection,
    ProjectionError, ProjectionRunner, PROJECTION_BATCH,
};
pub use retry::RetryPolicy;
pub use service::{
    load, load_as_of, load_from_snapshot, save_snapshot, CommandError, CommandService, Handled, Loaded, SnapshotError,
    SnapshotPolicy,
};
pub use store::{
    AppendOutcome, CheckpointStore, EventStore, ExpectedVersion, LogFold, LogQuery, Snapshot, SnapshotStore,
    StreamAppend, StreamQuery,
};
pub use subscription::{LogSubscription, Subscription, SubscriptionError, SubscriptionHandler};
pub use time_travel::{project_as_of, AsOf, LogAsOf};

#[cfg(feature = "macros")]
pub use factum_macros::{domain, schema};

/// Includes the Rust that `factum_codegen::compile_schemas` generated for a schema in `build.rs`.
///
/// `factum::include_schema!("orders")` includes the code generated for `orders.factum`.
#[macro_export]
macro_rules! include_schema {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/factum/", $name, ".rs"));
    };
}

/// What generated code refers to. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::types::{Bytes, Date, Map, Timestamp, Uuid};
    pub use crate::{
        __factum_event as event, __factum_event_set as event_set, __factum_evolve as evolve,
        __factum_from_variants as from_variants,
    };
    pub use serde;
    pub use serde_json;
    pub use std::{
        clone::Clone, convert::From, default::Default, fmt::Debug, option::Option, result::Result, string::String,
        vec::Vec,
    };
    pub use tokio;
}
