//! Subscriptions: typed events of the global log, from a position, catch-up then live, in commit order; and a runner
//! that hands each to a handler, such as a process manager that sends commands in reaction to events.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;

use crate::follower::LogFollower;
use crate::store::LogQuery;
use crate::{Aggregate, DecodeError, Envelope, EventSet, EventStore, LogEventRef, RecordedEvent, StoreError};

/// The typed events of the global log that belong to the set `E`, from a position on: first those already stored,
/// then each new one as it commits, in position order, each once.
///
/// - [`Subscription::new`]: every event of the set (an aggregate's event enum, a projection's event set, or a set
///   of the application's own).
/// - [`Subscription::to_aggregate`]: the events of one aggregate type.
/// - [`Subscription::only`] narrows either to chosen events of the set.
///
/// The store selects the events (by name, and aggregate type), so the others are never copied or decoded. A
/// selected event that cannot be decoded as `E` stops the subscription with a [`StoreError::Decode`] naming it,
/// after every event before it was handed out; the subscription stays at that event. [`Subscription::next`] waits
/// with [`EventStore::wait_for_events`]: an append through the same store wakes it at commit, another process's
/// is seen within [`crate::store::live::POLL_MAX`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// # use factum::{Event, EventSet};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
/// # pub struct Opened { pub owner: String }
/// # impl Event for Opened { const NAME: &'static str = "Opened"; const VERSION: u32 = 1; }
/// # #[derive(Debug, Clone, PartialEq)]
/// # pub enum AccountEvent { Opened(Opened) }
/// # impl EventSet for AccountEvent {
/// #     const NAMES: &'static [&'static str] = &["Opened"];
/// #     fn name(&self) -> &'static str { "Opened" }
/// #     fn version(&self) -> u32 { 1 }
/// #     fn encode(&self) -> Result<Vec<u8>, serde_json::Error> { match self { Self::Opened(e) => factum::encode_payload(e) } }
/// #     fn decode(name: &str, version: u32, payload: &[u8]) -> Result<Self, factum::DecodeErrorKind> {
/// #         match (name, version) {
/// #             ("Opened", 1) => factum::decode_payload(payload).map(Self::Opened),
/// #             _ => Err(factum::DecodeErrorKind::UnknownEvent { name: name.into() }),
/// #         }
/// #     }
/// # }
/// use factum::{store::memory::MemoryStore, EventStore, ExpectedVersion, Metadata, NewEvent, Subscription};
///
/// let store = MemoryStore::new();
/// let mut opened = Subscription::<_, AccountEvent>::new(store.clone(), 1);
/// let event = AccountEvent::Opened(Opened { owner: "ada".into() });
/// store.append("Account-1", ExpectedVersion::NoStream, vec![NewEvent::encode(&event, Metadata::default())?]).await?;
/// let (received, envelope) = opened.next().await?;
/// assert_eq!((received, envelope.stream_id.as_str(), opened.next_position()), (event, "Account-1", 2));
/// # Ok::<(), factum::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Subscription<S, E> {
    reader: Buffered<S, (E, Envelope)>,
}

impl<S: EventStore, E: EventSet> Subscription<S, E> {
    /// Every event of the set `E` from `from_position` on (0 and 1 both start at the beginning of the log).
    pub fn new(store: S, from_position: u64) -> Self {
        let query = LogQuery::from_position(from_position).events(E::NAMES.iter().copied());
        Subscription { reader: Buffered::new(store, query) }
    }

    /// The events of the aggregate `A` (appended with its name as their aggregate type, as the command service
    /// appends them) from `from_position` on.
    pub fn to_aggregate<A: Aggregate<Event = E>>(store: S, from_position: u64) -> Self {
        let query = LogQuery::from_position(from_position).events(E::NAMES.iter().copied()).aggregate_type(A::NAME);
        Subscription { reader: Buffered::new(store, query) }
    }

    /// Narrows the subscription to the events of the set stored under these names, e.g.
    /// `OrderCreated::STORED_NAMES` ([`crate::Versioned::STORED_NAMES`]); a name that is not in the set selects
    /// nothing. Call it before the first read.
    pub fn only<I>(self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let chosen: Vec<String> = names
            .into_iter()
            .filter(|name| E::NAMES.contains(&name.as_ref()))
            .map(|name| name.as_ref().to_owned())
            .collect();
        Subscription { reader: self.reader.narrow(chosen) }
    }

    /// Where the subscription stands: past every event [`Subscription::next`] has returned, and not past one it has
    /// not. A later subscription from here continues without a gap or a repeat.
    pub fn next_position(&self) -> u64 {
        self.reader.next_position()
    }

    /// The next event and its envelope, waiting for one to be committed when every stored one was handed out.
    ///
    /// Cancel-safe: dropping the future loses no event.
    pub async fn next(&mut self) -> Result<(E, Envelope), StoreError> {
        self.reader.next_waiting().await
    }

    /// Hands every event stored now to `handler`, in order, without waiting for new ones; returns where the
    /// subscription stands then (catch-up alone).
    pub async fn handle_available<H>(&mut self, handler: &mut H) -> Result<u64, SubscriptionError<H::Error>>
    where
        H: SubscriptionHandler<E>,
    {
        while self.reader.fill(false).await? {
            self.handle_buffered(handler).await?;
        }
        Ok(self.next_position())
    }

    /// Hands every event to `handler`, first those stored, then each new one as it commits, until the handler, the
    /// store or the decoding of an event fails; it never returns otherwise (stop it by dropping the future, e.g. in
    /// `tokio::select!` or by aborting its task).
    ///
    /// An event is handed over until its handler succeeds: after a failure (or when the future is dropped while a
    /// handler runs) the subscription still stands at that event, so that running it again hands the event over
    /// again. Handlers are thus called at least once per event, and should be idempotent (a process manager can tell
    /// by the event's id, or let its command be rejected the second time).
    pub async fn run<H>(&mut self, handler: &mut H) -> Result<Infallible, SubscriptionError<H::Error>>
    where
        H: SubscriptionHandler<E>,
    {
        loop {
            self.reader.fill(true).await?;
            self.handle_buffered(handler).await?;
        }
    }

    /// Hands the buffered events to `handler`, each removed only once its handler succeeded; then the error that
    /// ended the read that buffered them, if one did.
    async fn handle_buffered<H>(&mut self, handler: &mut H) -> Result<(), SubscriptionError<H::Error>>
    where
        H: SubscriptionHandler<E>,
    {
        while let Some((event, envelope)) = self.reader.buffered.front() {
            handler.handle(event, envelope).await.map_err(|source| SubscriptionError::Handler {
                event_name: envelope.event_name.clone(),
                stream_id: envelope.stream_id.clone(),
                position: envelope.position,
                source,
            })?;
            self.reader.buffered.pop_front();
        }
        match self.reader.failed.take() {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }
}

/// Every event of the global log (or those a [`LogQuery`] selects), untyped, from a position on: catch-up, then live,
/// in position order, each once. For tools that show or copy events whatever their type, such as `factum events
/// tail`; applications subscribe with the typed [`Subscription`].
#[derive(Debug)]
pub struct LogSubscription<S> {
    reader: Buffered<S, RecordedEvent>,
}

impl<S: EventStore> LogSubscription<S> {
    /// The events `query` selects, from its `from_position` on (its `to_position` is not used; see [`LogFollower`]).
    pub fn new(store: S, query: LogQuery) -> Self {
        LogSubscription { reader: Buffered::new(store, query) }
    }

    /// Where the subscription stands: past every event returned, and not past one that was not.
    pub fn next_position(&self) -> u64 {
        self.reader.next_position()
    }

    /// The next event, waiting for one to be committed when every stored one was handed out. Cancel-safe.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        self.reader.next_waiting().await
    }
}

/// What a [`Subscription`] hands its events to: a process manager, a notifier, a feed to another system.
pub trait SubscriptionHandler<E: EventSet>: Send {
    /// Why handling an event failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Handles one event; an error stops [`Subscription::run`] at this event.
    fn handle(&mut self, event: &E, envelope: &Envelope) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Why a subscription's runner stopped.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError<E: std::error::Error + 'static> {
    /// Reading the log, or waiting for it, failed.
    #[error(transparent)]
    Store(StoreError),
    /// A selected event could not be decoded; every event before it was handled.
    #[error(transparent)]
    Decode(DecodeError),
    /// A handler failed; every event before it was handled, and the subscription stands at this one.
    #[error(
        "subscription handler failed on `{event_name}` at stream `{stream_id}` (global position {position}): {source}"
    )]
    Handler {
        /// The name of the event whose handler failed.
        event_name: String,
        /// Its stream.
        stream_id: String,
        /// Its position in the global log.
        position: u64,
        /// The handler's error.
        #[source]
        source: E,
    },
}

impl<E: std::error::Error + 'static> From<StoreError> for SubscriptionError<E> {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Decode(error) => SubscriptionError::Decode(*error),
            error => SubscriptionError::Store(error),
        }
    }
}

/// What a subscription hands out: read from a lent event of the log.
trait Item: Sized + Send {
    fn read(event: LogEventRef<'_>) -> Result<Self, StoreError>;
    fn position(&self) -> u64;
}

impl<E: EventSet> Item for (E, Envelope) {
    fn read(event: LogEventRef<'_>) -> Result<Self, StoreError> {
        Ok((event.decode::<E>()?, event.envelope()?))
    }

    fn position(&self) -> u64 {
        self.1.position
    }
}

impl Item for RecordedEvent {
    fn read(event: LogEventRef<'_>) -> Result<Self, StoreError> {
        event.to_recorded()
    }

    fn position(&self) -> u64 {
        self.envelope.position
    }
}

/// A follower whose events are read into owned items and kept until they are handed out, with the error that ended
/// the last read, returned once the items read before it are.
#[derive(Debug)]
struct Buffered<S, T> {
    follower: LogFollower<S>,
    buffered: VecDeque<T>,
    failed: Option<StoreError>,
}

impl<S: EventStore, T: Item> Buffered<S, T> {
    fn new(store: S, query: LogQuery) -> Self {
        Buffered { follower: LogFollower::new(store, query), buffered: VecDeque::new(), failed: None }
    }

    /// Reads only events stored under `names` from now on.
    fn narrow(self, names: Vec<String>) -> Self {
        let query = LogQuery { event_names: Some(names), ..self.follower.query().clone() };
        Buffered { follower: LogFollower::new(self.follower.into_store(), query), ..self }
    }

    fn next_position(&self) -> u64 {
        // Buffered items were read but not handed out: the subscription stands at the first of them.
        self.buffered.front().map_or_else(|| self.follower.next_position(), Item::position)
    }

    /// Reads the next events into the buffer, unless it still holds some (or an error); returns whether it holds
    /// anything now. With `wait`, waits for a commit when the log has nothing new, so that it always does.
    ///
    /// An error is returned at once when nothing was read before it, else kept for after the items read.
    async fn fill(&mut self, wait: bool) -> Result<bool, StoreError> {
        if !self.buffered.is_empty() || self.failed.is_some() {
            return Ok(true);
        }
        let buffered = &mut self.buffered;
        let mut read = |event: LogEventRef<'_>| {
            buffered.push_back(T::read(event)?);
            Ok::<_, StoreError>(())
        };
        let result = match wait {
            true => self.follower.fold_next(&mut read).await,
            false => self.follower.fold_available(&mut read).await,
        };
        match result {
            Ok(_) => Ok(!self.buffered.is_empty()),
            Err(error) if self.buffered.is_empty() => Err(error),
            Err(error) => {
                self.failed = Some(error);
                Ok(true)
            }
        }
    }

    /// The next item, reading and waiting for one when none is buffered.
    async fn next_waiting(&mut self) -> Result<T, StoreError> {
        loop {
            // A waiting read buffers at least one item or fails, so this returns the first time round.
            if let Some(item) = self.next(true).await? {
                return Ok(item);
            }
        }
    }

    /// The next item, reading (and with `wait`, waiting) when none is buffered; `None` only without `wait`.
    async fn next(&mut self, wait: bool) -> Result<Option<T>, StoreError> {
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Ok(Some(item));
            }
            if let Some(error) = self.failed.take() {
                return Err(error);
            }
            if !self.fill(wait).await? {
                return Ok(None);
            }
        }
    }
}
