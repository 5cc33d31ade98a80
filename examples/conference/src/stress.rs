//! The stress run: one conference, many concurrent reservations through one command service, and a report of what
//! the store holds afterwards.
//!
//! Every request reserves seats under a fresh reservation id, so each is accepted while seats are left and rejected
//! on the record after: with no request given up, the conference ends with exactly `min(capacity, requests * seats)`
//! seats reserved (when `seats` divides the capacity; otherwise the largest multiple of `seats` below it), and its
//! stream holds the creation and one event per request.

use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use factum::store::{LogQuery, Snapshot, SnapshotStore, StreamAppend, StreamQuery};
use factum::types::Uuid;
use factum::{
    AppendOutcome, CommandError, CommandService, EventStore, ExpectedVersion, LogEventRef, LogFold, NewEvent,
    RecordedEvent, RecordedEventRef, RetryPolicy, SnapshotPolicy, StoreError,
};

use crate::schema::{Conference, ConferenceEvent, CreateConference, ReserveSeats};
use crate::ConferenceError;

/// What a stress run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stress {
    /// The conference reserved against: created with `capacity` seats if it does not exist yet, joined otherwise (so
    /// that several processes can stress one conference).
    pub conference: Uuid,
    /// How many tasks fire requests at once.
    pub tasks: usize,
    /// The seats of the conference, when the run creates it.
    pub capacity: u32,
    /// How many reservation requests are fired in all.
    pub requests: u32,
    /// How many seats each request reserves.
    pub seats: u32,
}

/// What a stress run saw, printed as one JSON object with the fields in this order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StressReport {
    /// The conference's capacity at the end.
    pub capacity: u32,
    /// The seats the requests asked for, `requests * seats`.
    pub requested_seats: u64,
    /// The seats the conference's reservations hold at the end.
    pub reserved_seats: u32,
    /// The requests this run made that recorded `SeatsReserved`.
    pub accepted: u64,
    /// The requests this run made that recorded `ReservationRejected`.
    pub rejected: u64,
    /// The requests this run's command service gave up on (its retry policy ran out).
    pub gave_up: u64,
    /// The appends of this run that lost their stream to another writer, and were retried or given up.
    pub conflicts: u64,
    /// The events of the conference's stream at the end.
    pub events: u64,
    /// The conference stream's version at the end.
    pub stream_version: u64,
    /// How long the requests took, in milliseconds.
    pub elapsed_ms: u64,
}

/// Why a stress run stopped.
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// A command failed other than by giving up on contention.
    #[error(transparent)]
    Command(#[from] CommandError<ConferenceError>),
    /// The store failed while the result was read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A reservation recorded something else than `SeatsReserved` or `ReservationRejected`.
    #[error("a reservation recorded {0}")]
    Unexpected(String),
    /// A task panicked.
    #[error("a stress task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The counts of one task.
#[derive(Debug, Default)]
struct Tally {
    accepted: u64,
    rejected: u64,
    gave_up: u64,
}

/// Runs `stress` on `store`, the command service retrying by `retry`.
///
/// The tasks are spawned on the current tokio runtime; on a multi-threaded one they run in parallel. The service
/// takes a snapshot of the conference every 100 events, as the demo's does, so that loads fold at most 99 events
/// however many reservations the conference has.
pub async fn run<S>(store: S, stress: &Stress, retry: RetryPolicy) -> Result<StressReport, StressError>
where
    S: EventStore + SnapshotStore + 'static,
{
    let store = Counted { inner: store, conflicts: Arc::new(AtomicU64::new(0)) };
    let conflicts = Arc::clone(&store.conflicts);
    let service = CommandService::<Conference, _>::new(store).with_retry_policy(retry);
    let service = Arc::new(service.with_snapshots(SnapshotPolicy::Every(100)));
    let create = CreateConference { name: "stress".into(), capacity: stress.capacity };
    match service.handle(&stress.conference, create.into()).await {
        Ok(_) | Err(CommandError::Rejected(ConferenceError::AlreadyCreated)) => {}
        Err(error) => return Err(error.into()),
    }

    let started = Instant::now();
    let next = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..stress.tasks.max(1))
        .map(|_| {
            let (service, next, stress) = (Arc::clone(&service), Arc::clone(&next), stress.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while next.fetch_add(1, Ordering::Relaxed) < stress.requests {
                    let reserve = ReserveSeats { reservation_id: Uuid::new_v4(), seats: stress.seats };
                    match service.handle(&stress.conference, reserve.into()).await {
                        Ok(handled) => match handled.events.as_slice() {
                            [ConferenceEvent::SeatsReserved(_)] => tally.accepted += 1,
                            [ConferenceEvent::ReservationRejected(_)] => tally.rejected += 1,
                            other => return Err(StressError::Unexpected(format!("{other:?}"))),
                        },
                        Err(CommandError::GaveUp { .. }) => tally.gave_up += 1,
                        Err(error) => return Err(error.into()),
                    }
                }
                Ok(tally)
            })
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await??;
        total.accepted += tally.accepted;
        total.rejected += tally.rejected;
        total.gave_up += tally.gave_up;
    }
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

    let loaded = service.load(&stress.conference).await?;
    let stream_id = <Conference as factum::Aggregate>::stream_id(&stress.conference);
    let events = service
        .store()
        .fold_stream(&stream_id, 1, 0u64, |count, _| {
            *count += 1;
            Ok(())
        })
        .await?;
    Ok(StressReport {
        capacity: loaded.state.capacity,
        requested_seats: u64::from(stress.requests) * u64::from(stress.seats),
        reserved_seats: loaded.state.reserved,
        accepted: total.accepted,
        rejected: total.rejected,
        gave_up: total.gave_up,
        conflicts: conflicts.load(Ordering::Relaxed),
        events,
        stream_version: loaded.version,
        elapsed_ms,
    })
}

/// A store that counts the appends that conflict, and otherwise is the store it wraps.
struct Counted<S> {
    inner: S,
    conflicts: Arc<AtomicU64>,
}

impl<S: EventStore> EventStore for Counted<S> {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let appended = self.inner.append(stream_id, expected, events).await;
        if let Err(StoreError::Conflict(_)) = appended {
            self.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        appended
    }

    fn append_batch(
        &self,
        appends: Vec<StreamAppend>,
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, StoreError>> + Send {
        self.inner.append_batch(appends)
    }

    fn wait_for_events(&self, from_position: u64) -> impl Future<Output = Result<u64, StoreError>> + Send {
        self.inner.wait_for_events(from_position)
    }

    fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        visit: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        self.inner.fold_stream_query(stream_id, query, init, visit)
    }

    fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
        self.inner.read_stream(stream_id, from_version)
    }

    fn read_all(&self, query: &LogQuery) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
        self.inner.read_all(query)
    }

    fn stream_version(&self, stream_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
        self.inner.stream_version(stream_id)
    }

    fn fold_stream<T, F>(
        &self,
        stream_id: &str,
        from_version: u64,
        init: T,
        visit: F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        self.inner.fold_stream(stream_id, from_version, init, visit)
    }

    fn fold_all<T, E, F>(
        &self,
        query: &LogQuery,
        init: T,
        visit: F,
    ) -> impl Future<Output = Result<LogFold<T>, E>> + Send
    where
        T: Send,
        E: From<StoreError> + Send,
        F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
    {
        self.inner.fold_all(query, init, visit)
    }
}

impl<S: SnapshotStore> SnapshotStore for Counted<S> {
    fn load_snapshot(&self, stream_id: &str) -> impl Future<Output = Result<Option<Snapshot>, StoreError>> + Send {
        self.inner.load_snapshot(stream_id)
    }

    fn save_snapshot(
        &self,
        stream_id: &str,
        snapshot: Snapshot,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.save_snapshot(stream_id, snapshot)
    }
}
