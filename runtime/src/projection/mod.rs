//! Projections: read models folded over the global log, one subscribed event at a time, each continuing from a
//! checkpoint kept by name.
//!
//! A projection ([`Projection`]) writes its read model into a *database* `Db` that every handler is handed: `()` for
//! a read model held in memory by the projection itself, the SQLite connection of the store's own file for a
//! transactional projection (`factum::store::sqlite::TransactionalRunner`), or whatever client an external system
//! needs. Two runners feed it the log:
//!
//! - [`ProjectionRunner`] runs any projection over any store, **at least once**: it saves the checkpoint after
//!   handling, so after a crash the events handled since the last save are handled again. Handlers get the event id
//!   and position ([`EventContext::envelope`]) to recognise an event they have seen.
//! - [`AsyncProjectionRunner`] does the same for an [`AsyncProjection`], whose handlers await (a message bus, an
//!   HTTP API); it copies each batch out of the store, since handlers hold events across awaits.
//! - `TransactionalRunner` (SQLite) commits each batch's updates and the checkpoint in one transaction, so each event
//!   takes effect **exactly once**, across crashes.
//!
//! Every runner's `catch_up` applies what the log holds and returns the checkpoint; its `follow` catches up, then
//! follows the log live (woken at commit in-process, polling for other processes' commits), until an error.
//!
//! All stop at the first event that cannot be decoded or whose handler fails, with a [`ProjectionError`] naming the
//! event; nothing after it is applied, and a restart continues from the checkpoint.

mod apply;
mod asynchronous;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) mod batch;
mod error;
mod progress;
mod runner;
pub(crate) mod trace;

pub(crate) use apply::{apply_lent, Stopped};
pub use asynchronous::{AsyncProjection, AsyncProjectionRunner};
pub use error::{EventPlace, ProjectionError};
pub use progress::Progress;
pub use runner::{ProjectionRunner, PROJECTION_BATCH};

use crate::{Envelope, EventSet, StreamIdError};

/// A read model built from the events it subscribes to, in global order, in the database `Db`.
///
/// Generated code implements this for the runner type of every projection in a schema (`OrderSummary<H>`), for every
/// `Db` its handler `H` implements the generated handler trait for, dispatching each event to its typed method.
pub trait Projection<Db: ?Sized = ()>: Send {
    /// The projection's stable name, under which its checkpoint is kept: the schema's projection name.
    const NAME: &'static str;
    /// The events the projection subscribes to.
    type Event: EventSet;
    /// Why a handler failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Creates what the read model needs in `db` (its tables, ...), before the first event of a run; it must be
    /// harmless when they exist (`CREATE TABLE IF NOT EXISTS`).
    fn setup(&mut self, db: &Db) -> Result<(), Self::Error>;

    /// Empties the read model (drops or clears its tables, forgets what it holds), before a rebuild replays the log
    /// from the start; [`Projection::setup`] runs after it.
    fn reset(&mut self, db: &Db) -> Result<(), Self::Error>;

    /// Applies one subscribed event.
    fn apply(&mut self, db: &Db, event: &Self::Event, envelope: &Envelope) -> Result<(), ApplyError<Self::Error>>;
}

/// What a handler is handed beside its event: where the read model lives, the typed id of the event's aggregate, and
/// the event's envelope.
#[derive(Debug)]
pub struct EventContext<'a, Id: ?Sized, Db: ?Sized = ()> {
    /// Where the read model is written: `()` for one held in memory, the connection inside the batch's open
    /// transaction for a transactional SQLite projection (never commit or roll it back: the runner does).
    pub db: &'a Db,
    /// The id of the aggregate instance whose stream holds the event (read from the stream id with
    /// [`crate::Aggregate::parse_stream_id`]), for an event that one aggregate type records; for an event that
    /// several (or none) record, the stream id itself.
    pub id: &'a Id,
    /// Where and when the event was stored: its id and position identify it, for handlers that must recognise an
    /// event they have already handled.
    pub envelope: &'a Envelope,
}

impl<Id: ?Sized, Db: ?Sized> EventContext<'_, Id, Db> {
    /// The event's position in the global log.
    pub fn position(&self) -> u64 {
        self.envelope.position
    }

    /// The event's id.
    pub fn event_id(&self) -> uuid::Uuid {
        self.envelope.event_id
    }
}

/// Why applying one event failed: its handler failed, or its stream is not a stream of the aggregate that records it.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError<E: std::error::Error + 'static> {
    /// The handler returned an error.
    #[error(transparent)]
    Handler(E),
    /// The event's stream id does not name an instance of its aggregate.
    #[error(transparent)]
    StreamId(#[from] StreamIdError),
}
