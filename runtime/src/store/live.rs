//! The live log: waiting for the next commit without a busy loop, woken at commit in-process and polling with
//! backoff for commits a store cannot see happen (another process writing the same file).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{EventStore, LogQuery};
use crate::StoreError;

/// How long a wait that must poll first waits before it looks: a commit by another process is seen this soon when
/// the wait has just begun.
pub const POLL_START: Duration = Duration::from_millis(1);

/// The longest pause between two polls: a wait that must poll looks at least this often, so a commit by another
/// process is seen at most this long after it happened (plus the time of one read).
pub const POLL_MAX: Duration = Duration::from_millis(100);

/// The pause after `pause`: doubled, up to [`POLL_MAX`].
pub(crate) fn backoff(pause: Duration) -> Duration {
    (pause * 2).min(POLL_MAX)
}

/// The position of a store's last committed event as this process knows it, shared by the store's clones: appends
/// advance it after they commit, and waiters wake when it moves.
///
/// It only ever grows. In a store other processes write to, it can lag behind the log; a poll that finds a higher
/// position advances it, which wakes every waiter of this process at once.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    sender: Arc<watch::Sender<u64>>,
}

impl Head {
    /// A head at `position` (0: an empty log).
    pub(crate) fn new(position: u64) -> Self {
        Head { sender: Arc::new(watch::Sender::new(position)) }
    }

    /// Moves the head to `position` if that is past it, waking the waiters; a lower position changes nothing.
    pub(crate) fn advance(&self, position: u64) {
        self.sender.send_if_modified(|head| {
            let moved = position > *head;
            if moved {
                *head = position;
            }
            moved
        });
    }

    /// A receiver of the head's moves, for a store that waits in its own way.
    #[cfg(feature = "postgres")]
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.sender.subscribe()
    }

    /// Waits until the head is at `from_position` or past it (0 counts as 1), and returns it; woken only by
    /// [`Head::advance`], for stores that nothing outside this process writes to.
    pub(crate) async fn wait(&self, from_position: u64) -> u64 {
        let from_position = from_position.max(1);
        let mut receiver = self.sender.subscribe();
        loop {
            let head = *receiver.borrow_and_update();
            if head >= from_position {
                return head;
            }
            // The sender lives in the store that `self` belongs to, so it outlives this wait: `changed` cannot fail.
            if receiver.changed().await.is_err() {
                return *receiver.borrow();
            }
        }
    }

    /// Waits like [`Head::wait`], and also runs `poll` (which reads the store's real head) after [`POLL_START`],
    /// then at doubling pauses up to [`POLL_MAX`], for commits this process does not see happen. Only the SQLite
    /// store waits this way (the PostgreSQL store is woken by its listener).
    #[cfg(feature = "sqlite")]
    pub(crate) async fn wait_or_poll<F, P>(&self, from_position: u64, mut poll: P) -> Result<u64, StoreError>
    where
        P: FnMut() -> F,
        F: std::future::Future<Output = Result<u64, StoreError>>,
    {
        let from_position = from_position.max(1);
        let mut receiver = self.sender.subscribe();
        let mut pause = POLL_START;
        loop {
            let head = *receiver.borrow_and_update();
            if head >= from_position {
                return Ok(head);
            }
            match tokio::time::timeout(pause, receiver.changed()).await {
                Ok(Ok(())) => continue,
                // The sender outlives this wait (see `wait`); were it gone, polling alone still finds commits.
                Ok(Err(_)) | Err(_) => {
                    self.advance(poll().await?);
                    pause = backoff(pause);
                }
            }
        }
    }
}

/// The default [`EventStore::wait_for_events`]: reads the first event at or past `from_position`, after
/// [`POLL_START`] and then at doubling pauses up to [`POLL_MAX`], until there is one, and returns its position.
pub(crate) async fn poll_for_events<S: EventStore + ?Sized>(store: &S, from_position: u64) -> Result<u64, StoreError> {
    let query = LogQuery::from_position(from_position.max(1)).limit(1);
    let mut pause = POLL_START;
    loop {
        if let Some(first) = store.read_all(&query).await?.first() {
            return Ok(first.envelope.position);
        }
        tokio::time::sleep(pause).await;
        pause = backoff(pause);
    }
}
