//! Following the global log: read what is there, then wait for the next commit and read again, never skipping an
//! event and never reading one twice.

use std::time::Duration;

use crate::store::live::{backoff, POLL_START};
use crate::store::LogQuery;
use crate::{EventStore, LogEventRef, StoreError};

/// How many events a [`LogFollower`] reads at most per read, unless its query sets a limit.
pub const FOLLOW_BATCH: usize = 256;

/// Follows the events of the global log that a [`LogQuery`] selects, from a position on: catch-up, then live.
///
/// Each read lends the selected events to a visitor, in position order, and moves the follower past them, so that
/// the next read continues where this one ended ([`crate::LogFold::next_position`]): no event is skipped, even one
/// that commits late, and none is read twice. When the log has nothing more, [`LogFollower::fold_next`] waits for the
/// next commit with [`EventStore::wait_for_events`], which wakes at commit in-process and polls for other processes'
/// commits (see there for the latency). This is the mechanism under [`crate::Subscription`]; a reader that keeps its
/// own position (a projection with a checkpoint) can use it directly.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use factum::store::{memory::MemoryStore, LogQuery};
/// use factum::{EventStore, ExpectedVersion, LogFollower, NewEvent};
///
/// let store = MemoryStore::new();
/// let mut follower = LogFollower::new(store.clone(), LogQuery::from_position(1).events(["Opened"]));
/// let writer = store.clone();
/// tokio::spawn(async move {
///     let events = vec![NewEvent::new("Opened", 1, "{}"), NewEvent::new("Closed", 1, "{}")];
///     writer.append("Account-1", ExpectedVersion::NoStream, events).await
/// });
/// // Waits for the writer's commit, then lends the one selected event.
/// let mut names = Vec::new();
/// follower.fold_next(|event| Ok::<_, factum::StoreError>(names.push(event.event_name.to_owned()))).await?;
/// assert_eq!((names, follower.next_position()), (vec!["Opened".to_owned()], 3));
/// # Ok::<(), factum::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct LogFollower<S> {
    store: S,
    /// What is read: `from_position` is where the next read starts, `limit` the batch.
    query: LogQuery,
}

impl<S: EventStore> LogFollower<S> {
    /// A follower of what `query` selects (event names, aggregate type) from its `from_position` on, reading at most
    /// its `limit` events at a time ([`FOLLOW_BATCH`] when it has none). A follower has no end: the query's
    /// `to_position` is not used.
    pub fn new(store: S, query: LogQuery) -> Self {
        let limit = if query.limit == usize::MAX { FOLLOW_BATCH } else { query.limit.max(1) };
        let query = LogQuery { limit, to_position: u64::MAX, from_position: query.from_position.max(1), ..query };
        LogFollower { store, query }
    }

    /// The store followed.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store followed, given back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// What the follower selects.
    pub fn query(&self) -> &LogQuery {
        &self.query
    }

    /// Where the next read starts: past every event visited, and never past a selected event not yet visited.
    pub fn next_position(&self) -> u64 {
        self.query.from_position
    }

    /// Moves the follower past every event committed now, so that it follows only what is appended from then on
    /// (`factum events tail` without `--from`); returns where it stands then.
    pub async fn skip_to_end(&mut self) -> Result<u64, StoreError> {
        // A read that selects nothing ends where the store knows the log ends: one step for the stores here. The
        // contract lets such a read end anywhere it started or after, so reads that visit nothing finish the way.
        let nothing = LogQuery { event_names: Some(Vec::new()), ..self.query.clone() };
        let skipped = self.store.fold_all(&nothing, (), |(), _| Ok::<_, StoreError>(())).await?;
        self.query.from_position = skipped.next_position.max(self.query.from_position);
        let everything = LogQuery { event_names: None, aggregate_type: None, ..self.query.clone() };
        let mut skipping = LogFollower { store: &self.store, query: everything };
        while skipping.fold_available(|_| Ok::<_, StoreError>(())).await? > 0 {}
        self.query.from_position = skipping.next_position();
        Ok(self.query.from_position)
    }

    /// Lends `visit` the next selected events the log holds now (at most a batch), in position order, and moves
    /// past them; returns how many were visited, 0 when the follower has caught up with the log. Never waits for
    /// new events.
    ///
    /// The first error `visit` returns stops the read and is returned; the follower then stands just past the last
    /// event visited without error, so that the next read starts with the event that failed.
    pub async fn fold_available<E, F>(&mut self, mut visit: F) -> Result<usize, E>
    where
        E: From<StoreError> + Send,
        F: FnMut(LogEventRef<'_>) -> Result<(), E> + Send,
    {
        let mut last_visited = None;
        let folded = self
            .store
            .fold_all(&self.query, 0usize, |visited, event| {
                visit(event)?;
                *visited += 1;
                last_visited = Some(event.position);
                Ok(())
            })
            .await;
        match folded {
            Ok(folded) => {
                self.query.from_position = folded.next_position;
                Ok(folded.accumulator)
            }
            Err(error) => {
                if let Some(last) = last_visited {
                    self.query.from_position = last + 1;
                }
                Err(error)
            }
        }
    }

    /// Like [`LogFollower::fold_available`], but when the follower has caught up, waits for the next commit and
    /// reads again, until at least one selected event was visited; returns how many were.
    ///
    /// Cancel-safe: dropping the future while it waits loses nothing.
    pub async fn fold_next<E, F>(&mut self, mut visit: F) -> Result<usize, E>
    where
        E: From<StoreError> + Send,
        F: FnMut(LogEventRef<'_>) -> Result<(), E> + Send,
    {
        // A wait woken for a position the read then cannot move past (a store with gaps holding it back while an
        // earlier position still commits) pauses before waiting again, rather than spin: see `LiveWait`.
        let mut live = LiveWait::new();
        loop {
            let visited = self.fold_available(&mut visit).await?;
            if visited > 0 {
                return Ok(visited);
            }
            live.wait(&self.store, self.next_position()).await.map_err(E::from)?;
        }
    }
}

/// The waiting half of a catch-up-then-live loop for a reader that catches up by itself (a projection runner): after
/// each catch-up, [`LiveWait::wait`] waits for the next commit past where the catch-up ended.
///
/// A store whose positions may have gaps can wake a reader for a position it cannot yet read past (an earlier
/// position is still committing, and the store holds reads back before it); a store that filters by name only in
/// `read_all` leaves a reader before the events it does not select. Waiting again from the same position would
/// return at once and spin, so a wait from the position the last one woke for pauses first, as briefly as polling
/// would, doubling up to [`crate::store::live::POLL_MAX`]. Stores that advance every read to the log's end never
/// pause.
#[derive(Debug, Clone)]
pub(crate) struct LiveWait {
    /// The position the last wait waited from, once it returned.
    woken_from: Option<u64>,
    /// The pause before the next wait from `woken_from`.
    stalled: Duration,
}

impl LiveWait {
    /// A loop that has not waited yet.
    pub(crate) fn new() -> Self {
        LiveWait { woken_from: None, stalled: POLL_START }
    }

    /// Waits until the log holds an event at `next_position` or past it, the position the last catch-up ended at.
    /// Cancel-safe: it holds nothing but its pacing.
    pub(crate) async fn wait<S: EventStore>(&mut self, store: &S, next_position: u64) -> Result<(), StoreError> {
        if self.woken_from == Some(next_position) {
            tokio::time::sleep(self.stalled).await;
            self.stalled = backoff(self.stalled);
        } else {
            self.stalled = POLL_START;
        }
        store.wait_for_events(next_position).await?;
        self.woken_from = Some(next_position);
        Ok(())
    }
}
