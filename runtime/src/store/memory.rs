//! An event store that lives in memory: for tests, examples and prototypes, gone when the process ends.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

use crate::event_ref::DecodedSlot;
use crate::store::live::Head;
use crate::store::{CheckpointStore, LogFold, LogQuery, Snapshot, SnapshotStore, StreamAppend, StreamQuery};
use crate::{
    AppendOutcome, ConflictError, DuplicateEventId, Envelope, EventStore, ExpectedVersion, LogEventRef, NewEvent,
    RecordedEvent, RecordedEventRef, StoreError, Timestamp,
};

/// An event store held in memory.
///
/// Clones are cheap and share the same log, so a clone can be handed to every task that needs the store. Appends
/// take a write lock for their whole check-and-write, which is what makes them atomic and gives positions in commit
/// order; reads take a read lock and copy the events out. Followers of the log are woken at each commit
/// ([`EventStore::wait_for_events`]).
///
/// Events are stored encoded, exactly as the SQLite store stores them: an event that cannot be encoded fails before
/// it reaches the store, and a reader gets the same bytes back. Beside each payload the store keeps the event as the
/// first fold that decoded it read it ([`RecordedEventRef::decoded`]), so that every later load of a long-lived
/// aggregate lends the decoded events instead of decoding their JSON again: loads cost what folding typed events
/// costs, at the price of holding each event twice in memory.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    log: Arc<RwLock<Log>>,
    head: Head,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore { log: Arc::default(), head: Head::new(0) }
    }
}

/// The shared state: the global log, and where each stream's events sit in it.
#[derive(Debug, Default)]
struct Log {
    /// Every event in position order: the event at position `p` is at index `p - 1`.
    events: Vec<Stored>,
    /// For each stream, the indexes into `events` of its events in stream order: version `v` is at index `v - 1`.
    streams: HashMap<String, Vec<usize>>,
    /// The id of every event, each once.
    ids: HashSet<uuid::Uuid>,
    /// Each projection's checkpoint, by name.
    checkpoints: HashMap<String, u64>,
    /// Each stream's snapshot, by stream id.
    snapshots: HashMap<String, Snapshot>,
}

/// An event as the store keeps it: as recorded, and decoded once a fold has read it.
#[derive(Debug)]
struct Stored {
    recorded: RecordedEvent,
    decoded: DecodedSlot,
}

impl Stored {
    fn envelope(&self) -> &Envelope {
        &self.recorded.envelope
    }

    /// The event lent to a fold, with the slot its decoding is kept in.
    fn lend(&self) -> RecordedEventRef<'_> {
        RecordedEventRef::from(&self.recorded).with_decoded_slot(&self.decoded)
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

impl Log {
    fn stream_version(&self, stream_id: &str) -> u64 {
        self.streams.get(stream_id).map_or(0, |indexes| indexes.len() as u64)
    }

    fn append(
        &mut self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let actual = self.stream_version(stream_id);
        if !expected.admits(actual) {
            return Err(ConflictError { stream_id: stream_id.to_owned(), expected, actual }.into());
        }
        if events.is_empty() {
            return Ok(AppendOutcome { stream_version: actual, position: self.events.len() as u64 });
        }
        // Every id is checked before anything is pushed, so a refused append leaves the log as it was.
        let mut fresh = HashSet::with_capacity(events.len());
        if let Some(taken) =
            events.iter().find(|event| self.ids.contains(&event.event_id) || !fresh.insert(event.event_id))
        {
            return Err(DuplicateEventId { stream_id: stream_id.to_owned(), event_id: taken.event_id }.into());
        }
        self.ids.extend(fresh);
        // The wall clock can step backwards; stamped times must not, so that they follow positions.
        let last_recorded = self.events.last().map(|last| last.envelope().recorded_at);
        let stamped: Timestamp = last_recorded.map_or_else(chrono::Utc::now, |last| last.max(chrono::Utc::now()));
        let indexes = self.streams.entry(stream_id.to_owned()).or_default();
        for event in events {
            let index = self.events.len();
            indexes.push(index);
            let recorded = RecordedEvent {
                envelope: Envelope {
                    event_id: event.event_id,
                    stream_id: stream_id.to_owned(),
                    stream_version: indexes.len() as u64,
                    position: index as u64 + 1,
                    aggregate_type: event.aggregate_type,
                    recorded_at: event.recorded_at.unwrap_or(stamped),
                    event_name: event.event_name,
                    event_version: event.event_version,
                    metadata: event.metadata,
                },
                payload: event.payload,
            };
            self.events.push(Stored { recorded, decoded: DecodedSlot::default() });
        }
        Ok(AppendOutcome { stream_version: indexes.len() as u64, position: self.events.len() as u64 })
    }

    /// Applies the appends of a batch in order; on the first error, takes back what the batch wrote and returns it.
    fn append_batch(&mut self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        let logged = self.events.len();
        let mut streams_before: HashMap<String, Option<usize>> = HashMap::new();
        let mut outcomes = Vec::with_capacity(appends.len());
        for StreamAppend { stream_id, expected, events } in appends {
            let length = self.streams.get(&stream_id).map(Vec::len);
            streams_before.entry(stream_id.clone()).or_insert(length);
            match self.append(&stream_id, expected, events) {
                Ok(outcome) => outcomes.push(outcome),
                Err(error) => {
                    self.take_back(logged, streams_before);
                    return Err(error);
                }
            }
        }
        Ok(outcomes)
    }

    /// Restores the log to `logged` events and each stream to the length it had (or to no stream), forgetting the
    /// ids of the events taken back.
    fn take_back(&mut self, logged: usize, streams_before: HashMap<String, Option<usize>>) {
        for taken in self.events.drain(logged..) {
            self.ids.remove(&taken.envelope().event_id);
        }
        for (stream_id, length) in streams_before {
            match (length, self.streams.get_mut(&stream_id)) {
                (Some(length), Some(indexes)) => indexes.truncate(length),
                _ => {
                    self.streams.remove(&stream_id);
                }
            }
        }
    }

    /// The events of `stream_id` from `from_version` on.
    fn stream(&self, stream_id: &str, from_version: u64) -> impl Iterator<Item = &Stored> {
        let indexes = self.streams.get(stream_id).map_or(&[][..], Vec::as_slice);
        let first = usize::try_from(from_version.saturating_sub(1)).unwrap_or(usize::MAX);
        indexes.get(first..).unwrap_or_default().iter().map(|&index| &self.events[index])
    }

    /// The events `query` selects, in position order.
    fn select<'a>(&'a self, query: &'a LogQuery) -> impl Iterator<Item = &'a Stored> + 'a {
        let first = usize::try_from(query.from_position.saturating_sub(1)).unwrap_or(usize::MAX);
        let last = usize::try_from(query.to_position).unwrap_or(usize::MAX).min(self.events.len());
        let range = self.events.get(first..last.max(first)).unwrap_or_default();
        let limit = if query.is_empty() { 0 } else { query.limit };
        range
            .iter()
            .filter(|stored| {
                let envelope = stored.envelope();
                query.selects(&envelope.event_name, envelope.aggregate_type.as_deref())
                    && query.selects_recorded_at(envelope.recorded_at)
            })
            .take(limit)
    }
}

// A panic while the lock is held cannot leave the log half-written (an append checks everything before it pushes,
// and pushing does not panic short of running out of memory), so a poisoned lock is still safe to use.
impl EventStore for MemoryStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let outcome = self.log.write().unwrap_or_else(PoisonError::into_inner).append(stream_id, expected, events)?;
        // After the lock is released, so that the woken followers can read what was committed at once.
        self.head.advance(outcome.position);
        Ok(outcome)
    }

    async fn append_batch(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        let outcomes = self.log.write().unwrap_or_else(PoisonError::into_inner).append_batch(appends)?;
        // As after a single append: the followers are woken once the lock is released.
        if let Some(last) = outcomes.iter().map(|outcome| outcome.position).max() {
            self.head.advance(last);
        }
        Ok(outcomes)
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        Ok(log.stream(stream_id, from_version).map(|stored| stored.recorded.clone()).collect())
    }

    async fn read_all(&self, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        Ok(log.select(query).map(|stored| stored.recorded.clone()).collect())
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        Ok(self.log.read().unwrap_or_else(PoisonError::into_inner).stream_version(stream_id))
    }

    // Only appends through this store's clones can add events, and each advances the head: no polling.
    async fn wait_for_events(&self, from_position: u64) -> Result<u64, StoreError> {
        Ok(self.head.wait(from_position).await)
    }

    // Folding under the read lock lends `visit` the stored events instead of copying them. `visit` is synchronous,
    // so the lock is held only for the fold itself, never across an await.
    async fn fold_stream<T, F>(
        &self,
        stream_id: &str,
        from_version: u64,
        init: T,
        mut visit: F,
    ) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        let mut accumulator = init;
        for stored in log.stream(stream_id, from_version) {
            visit(&mut accumulator, stored.lend())?;
        }
        Ok(accumulator)
    }

    async fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        mut visit: F,
    ) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        let mut accumulator = init;
        let selected = log
            .stream(stream_id, query.from_version)
            .take_while(|stored| stored.envelope().stream_version <= query.to_version)
            .filter(|stored| query.selects(stored.envelope().stream_version, stored.envelope().recorded_at));
        for stored in selected {
            visit(&mut accumulator, stored.lend())?;
        }
        Ok(accumulator)
    }

    async fn fold_all<T, E, F>(&self, query: &LogQuery, init: T, mut visit: F) -> Result<LogFold<T>, E>
    where
        T: Send,
        E: From<StoreError> + Send,
        F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
    {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        let mut accumulator = init;
        let mut visited = 0;
        let mut last_visited = None;
        for stored in log.select(query) {
            visit(&mut accumulator, LogEventRef::from(&stored.recorded))?;
            visited += 1;
            last_visited = Some(stored.envelope().position);
        }
        // Positions are dense and appends take the write lock, so a read that stopped short of its limit has seen
        // everything up to the end of its range or of the log: nothing can commit behind it.
        let next_position = match last_visited {
            Some(last) if visited == query.limit => last + 1,
            _ if query.limit == 0 => query.from_position.max(1),
            _ => query.to_position.min(log.events.len() as u64).max(query.from_position.max(1) - 1) + 1,
        };
        Ok(LogFold { accumulator, next_position })
    }
}

// Checkpoints live beside the log, under the same lock, so they share its life: gone with the last clone.
impl CheckpointStore for MemoryStore {
    async fn checkpoint(&self, projection: &str) -> Result<u64, StoreError> {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        Ok(log.checkpoints.get(projection).copied().unwrap_or(1))
    }

    async fn save_checkpoint(&self, projection: &str, next_position: u64) -> Result<(), StoreError> {
        let mut log = self.log.write().unwrap_or_else(PoisonError::into_inner);
        log.checkpoints.insert(projection.to_owned(), next_position.max(1));
        Ok(())
    }

    async fn reset_checkpoint(&self, projection: &str) -> Result<(), StoreError> {
        self.log.write().unwrap_or_else(PoisonError::into_inner).checkpoints.remove(projection);
        Ok(())
    }
}

// Snapshots live beside the log, under the same lock, like checkpoints.
impl SnapshotStore for MemoryStore {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        let stored = log.snapshots.get(stream_id);
        Ok(stored.filter(|snapshot| snapshot.stream_version <= log.stream_version(stream_id)).cloned())
    }

    async fn save_snapshot(&self, stream_id: &str, snapshot: Snapshot) -> Result<(), StoreError> {
        let mut log = self.log.write().unwrap_or_else(PoisonError::into_inner);
        match log.snapshots.get_mut(stream_id) {
            Some(stored) if snapshot.replaces(stored) => *stored = snapshot,
            Some(_) => {}
            None => {
                log.snapshots.insert(stream_id.to_owned(), snapshot);
            }
        }
        Ok(())
    }
}
