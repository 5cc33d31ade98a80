//! Live followers of a PostgreSQL store: a connection listening to the store's channel moves the head at each
//! commit; waits poll with backoff while it is down, and it reconnects.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::AsyncMessage;

use super::{log, PostgresStore};
use crate::store::live::{backoff, Head, POLL_MAX, POLL_START};
use crate::StoreError;

/// The longest pause between two attempts to connect the listener again.
const RECONNECT_MAX: Duration = Duration::from_secs(2);

/// The listening task of a store and its clones, started by the first wait and stopped with the last clone.
#[derive(Debug, Default)]
pub(super) struct Listener {
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Whether the task is listening now: then waits look at the log only every [`POLL_MAX`], for a watermark that
    /// a transaction notifying nothing held back.
    live: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().unwrap_or_else(PoisonError::into_inner).take() {
            task.abort();
        }
    }
}

impl Listener {
    /// Starts the listening task unless it runs; outside a tokio runtime waits only poll.
    fn ensure_started(&self, store: &PostgresStore) {
        let mut task = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if task.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        // A task that ended (its runtime shut down) may have left the flag set.
        self.live.store(false, Ordering::Release);
        let shared = &store.shared;
        // The task holds what it needs, not the store, so that dropping the store's last clone stops it.
        let mut config = shared.options.config.clone();
        // Named, so that people (and tests) looking at the server's sessions can tell it from the pool's.
        config.application_name(format!("factum listener {}", shared.options.schema));
        let listening = Listening {
            config,
            channel: shared.sql.channel.clone(),
            readable_head: shared.sql.readable_head.clone(),
            head: shared.head.clone(),
            live: Arc::clone(&self.live),
        };
        *task = Some(runtime.spawn(listening.run()));
    }

    fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }
}

/// What the listening task needs.
struct Listening {
    config: tokio_postgres::Config,
    channel: String,
    readable_head: String,
    head: Head,
    live: Arc<AtomicBool>,
}

impl Listening {
    /// Listens, and connects again after a pause that doubles up to [`RECONNECT_MAX`] whenever the connection ends.
    async fn run(self) {
        let mut pause = POLL_START;
        loop {
            if self.listen().await.is_ok() {
                pause = POLL_START;
            }
            self.live.store(false, Ordering::Release);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(RECONNECT_MAX);
        }
    }

    /// Connects, listens, and moves the head to the readable end of the log at each notification, until the
    /// connection ends (the error says why).
    async fn listen(&self) -> Result<(), tokio_postgres::Error> {
        let (client, mut connection) = self.config.connect(tokio_postgres::NoTls).await?;
        let (notified, mut notifications) = tokio::sync::mpsc::unbounded_channel();
        // The connection is driven here, and its notifications handed on; it ends when the client is dropped.
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |context| connection.poll_message(context));
            while let Some(Ok(message)) = messages.next().await {
                if let AsyncMessage::Notification(_) = message {
                    if notified.send(()).is_err() {
                        break;
                    }
                }
            }
        });
        client.batch_execute(&format!("LISTEN {}", self.channel)).await?;
        self.live.store(true, Ordering::Release);
        // Commits before the LISTEN notified no one here: one look at the log catches up with them.
        self.head.advance(self.readable(&client).await?);
        while notifications.recv().await.is_some() {
            // Notifications that arrived meanwhile are answered by the same look.
            while notifications.try_recv().is_ok() {}
            self.head.advance(self.readable(&client).await?);
        }
        Ok(())
    }

    async fn readable(&self, client: &tokio_postgres::Client) -> Result<u64, tokio_postgres::Error> {
        let row = client.query_one(&self.readable_head, &[]).await?;
        Ok(super::rows::stored_position(row.get(0)))
    }
}

/// Waits until the readable log reaches `from_position` (see [`crate::EventStore::wait_for_events`]): woken by the
/// listener at commits, and looking at the log itself after [`POLL_START`], at pauses doubling up to [`POLL_MAX`]
/// while the listener is down, and every [`POLL_MAX`] while it listens.
pub(super) async fn wait_for_events(store: &PostgresStore, from_position: u64) -> Result<u64, StoreError> {
    let from_position = from_position.max(1);
    let shared = &store.shared;
    shared.listener.ensure_started(store);
    let mut receiver = shared.head.subscribe();
    if *receiver.borrow_and_update() < from_position {
        // One look first, so that a wait for what is already there returns at once.
        shared.head.advance(log::readable_head(store).await?);
    }
    let mut pause = POLL_START;
    loop {
        let head = *receiver.borrow_and_update();
        if head >= from_position {
            return Ok(head);
        }
        let timeout = if shared.listener.is_live() { POLL_MAX } else { pause };
        match tokio::time::timeout(timeout, receiver.changed()).await {
            Ok(Ok(())) => continue,
            // The head lives in the store, which outlives this wait; were it gone, looking at the log still works.
            Ok(Err(_)) | Err(_) => {
                shared.head.advance(log::readable_head(store).await?);
                pause = backoff(pause);
            }
        }
    }
}
