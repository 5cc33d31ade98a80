//! Following the global log: read what is there, then wait for the next commit and read again, never skipping an
//! event and never reading one twice.

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
        let mut woken = false;
        let mut stalled = POLL_START;
        loop {
            let before = self.next_position();
            let visited = self.fold_available(&mut visit).await?;
            if visited > 0 {
                return Ok(visited);
            }
            // Woken for an event at or past `before`, yet the read could not move past `before`: a store whose
            // positions may have gaps holds the read back while an earlier position is still committing. Waiting
            // again would return at once, so pause instead, as briefly as polling would. Stores without gaps never
            // come here.
            if woken && self.next_position() == before {
                tokio::time::sleep(stalled).await;
                stalled = backoff(stalled);
                continue;
            }
            self.store.wait_for_events(self.next_position()).await?;
            woken = true;
        }
    }
}
