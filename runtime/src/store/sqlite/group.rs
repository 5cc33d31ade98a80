//! Group commit: appends made concurrently through one store (and its clones) are committed together, in one
//! transaction, so that they share one sync to disk.
//!
//! Each append joins a queue and waits for its answer. One writer at a time (started by the append that finds none at
//! work) drains the queue and writes everything in it in one `IMMEDIATE` transaction, each append inside its own
//! savepoint with its own expected-version check: an append that fails on its own terms (a conflict, a taken event
//! id, an event that cannot be encoded) is rolled back to its savepoint and fails alone, and the others commit. The
//! appends that arrive while a group commits queue up behind it and form the next group, so the busier the store, the
//! larger the groups; an append alone is a group of one, committed at once.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::{sqlite_error, write_append, SqliteStore};
use crate::store::live::Head;
use crate::{AppendOutcome, ExpectedVersion, NewEvent, StoreError};

/// The appends waiting for the writer, shared by a store and its clones.
pub(super) type Queue = Arc<Mutex<Waiting>>;

/// What the queue holds: the appends not yet taken, and whether a writer is at work (and will take them).
#[derive(Debug, Default)]
pub(super) struct Waiting {
    appends: Vec<Pending>,
    writing: bool,
}

/// One append waiting in the queue, with where to send its outcome.
pub(super) struct Pending {
    stream_id: String,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Pending")
            .field("stream_id", &self.stream_id)
            .field("expected", &self.expected)
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

/// An append whose group failed as a whole: every append of the group but the first is told with a copy of the
/// first's error, made from its message when the error cannot be copied.
#[derive(Debug, thiserror::Error)]
enum GroupError {
    /// The group's failure, as its message.
    #[error("{0}")]
    Shared(String),
    /// The writer that took this append stopped (panicked) before it answered; whether the append committed is not
    /// known to this caller, as after a lost connection.
    #[error("the writer committing this append stopped before it answered")]
    Unanswered,
}

/// Appends `events` to `stream_id` through `store`, committed together with the appends that are waiting beside it.
///
/// The append joins the queue; if no writer is at work, it starts one on the blocking thread pool, which writes
/// groups until it finds the queue empty. Either way the caller waits for its own answer only, so a busy store costs
/// one hop to a blocking thread per group rather than per append.
pub(super) async fn append(
    store: &SqliteStore,
    stream_id: &str,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<AppendOutcome, StoreError> {
    let (reply, outcome) = oneshot::channel();
    let pending = Pending { stream_id: stream_id.to_owned(), expected, events, reply };
    let start_writer = {
        let mut waiting = store.queue.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.appends.push(pending);
        !std::mem::replace(&mut waiting.writing, true)
    };
    if start_writer {
        let (connection, queue, head) = (Arc::clone(&store.connection), Arc::clone(&store.queue), store.head.clone());
        // The writer runs to its end even if this caller stops waiting: it holds other callers' appends too.
        drop(tokio::task::spawn_blocking(move || write_while_queued(&connection, &queue, &head)));
    }
    outcome.await.unwrap_or_else(|_| Err(StoreError::backend(GroupError::Unanswered)))
}

/// The writer: takes every waiting append as one group, commits it, answers each, and starts over until the queue is
/// empty. The connection is let go between groups, so that reads take their turns.
fn write_while_queued(connection: &Mutex<Connection>, queue: &Mutex<Waiting>, head: &Head) {
    let _stopped = StopGuard(queue);
    loop {
        let group = {
            let mut waiting = queue.lock().unwrap_or_else(PoisonError::into_inner);
            if waiting.appends.is_empty() {
                // Under the queue's lock, so that an append pushed after this sees no writer and starts one.
                waiting.writing = false;
                return;
            }
            std::mem::take(&mut waiting.appends)
        };
        // A panic while the lock was held rolled its transaction back as it unwound, so the connection is fine.
        let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        commit_group(&mut connection, group, head);
    }
}

/// Leaves the queue usable if the writer panics: the appends still waiting are dropped, so that their callers are
/// answered ([`GroupError::Unanswered`]) rather than left waiting, and the next append starts a new writer.
struct StopGuard<'queue>(&'queue Mutex<Waiting>);

impl Drop for StopGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut waiting = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            waiting.appends.clear();
            waiting.writing = false;
        }
    }
}

/// Commits `group` in one transaction and answers each of its appends.
fn commit_group(connection: &mut Connection, group: Vec<Pending>, head: &Head) {
    let outcomes = write_group(connection, &group);
    // Followers are woken once, for the whole group, as soon as it is committed.
    if let Some(last) =
        outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).map(|outcome| outcome.position).max()
    {
        head.advance(last);
    }
    for (pending, outcome) in group.into_iter().zip(outcomes) {
        // A caller that stopped waiting (its future was dropped) needs no answer; its append is committed anyway,
        // as it would have been had it been alone.
        let _ = pending.reply.send(outcome);
    }
}

/// Writes `group` in one transaction, each append in its own savepoint; returns each append's outcome, in order.
fn write_group(connection: &mut Connection, group: &[Pending]) -> Vec<Result<AppendOutcome, StoreError>> {
    let mut transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(error) => return fail_all(group.len(), sqlite_error(error)),
    };
    let mut outcomes = Vec::with_capacity(group.len());
    for pending in group {
        match write_one(&mut transaction, pending) {
            Ok(outcome) => outcomes.push(outcome),
            // The transaction is dropped, which rolls back every append of the group: none was acknowledged yet.
            Err(error) => return fail_all(group.len(), error),
        }
    }
    match transaction.commit() {
        Ok(()) => outcomes,
        Err(error) => {
            // Nothing of the group was written; appends that failed alone keep their own error.
            let error = sqlite_error(error);
            outcomes.into_iter().map(|outcome| outcome.and_then(|_| Err(share(&error)))).collect()
        }
    }
}

/// Writes one append inside a savepoint of `transaction`. The inner result is the append's own outcome (an error
/// there was rolled back to the savepoint, and fails this append alone); the outer error fails the whole group (the
/// database failed, and the transaction may no longer be whole).
fn write_one(
    transaction: &mut rusqlite::Transaction<'_>,
    pending: &Pending,
) -> Result<Result<AppendOutcome, StoreError>, StoreError> {
    let mut savepoint = transaction.savepoint().map_err(sqlite_error)?;
    match write_append(&savepoint, &pending.stream_id, pending.expected, &pending.events) {
        Ok(outcome) => {
            savepoint.commit().map_err(sqlite_error)?;
            Ok(Ok(outcome))
        }
        Err(error) if fails_alone(&error) => {
            // Rolled back and released here rather than on drop, where a failure would go unseen.
            savepoint.rollback().map_err(sqlite_error)?;
            savepoint.commit().map_err(sqlite_error)?;
            Ok(Err(error))
        }
        Err(error) => Err(error),
    }
}

/// Whether an append's error is its own (its expected version, its events), leaving the database and the rest of
/// its group sound.
fn fails_alone(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Conflict(_)
            | StoreError::DuplicateEventId(_)
            | StoreError::Encode { .. }
            | StoreError::NonFiniteFloat(_)
    )
}

/// The outcomes of a group that failed as a whole with `error`: the first append gets it, the others copies.
fn fail_all(count: usize, error: StoreError) -> Vec<Result<AppendOutcome, StoreError>> {
    let mut outcomes: Vec<_> = (1..count).map(|_| Err(share(&error))).collect();
    outcomes.insert(0, Err(error));
    outcomes
}

/// A copy of a group's failure for another append of the group, of the same kind: an SQLite failure is copied as
/// itself, so that its code stays readable; anything else by its message.
fn share(error: &StoreError) -> StoreError {
    let copy = |source: &(dyn std::error::Error + Send + Sync + 'static)| -> Box<dyn std::error::Error + Send + Sync> {
        match source.downcast_ref::<rusqlite::Error>() {
            Some(rusqlite::Error::SqliteFailure(failure, message)) => {
                Box::new(rusqlite::Error::SqliteFailure(*failure, message.clone()))
            }
            _ => Box::new(GroupError::Shared(source.to_string())),
        }
    };
    match error {
        StoreError::Transient(source) => StoreError::Transient(copy(source.as_ref())),
        StoreError::Backend(source) => StoreError::Backend(copy(source.as_ref())),
        other => StoreError::backend(GroupError::Shared(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `group` (stream, expectation, event count) as one group on a fresh store in which stream `Old` has one
    /// event, and checks each append's outcome (`v<version> p<position>` or the error's kind) and the log's length.
    fn check(group: &[(&str, ExpectedVersion, usize)], expected: &[&str], log_length: u64) {
        let store = SqliteStore::open_in_memory().unwrap();
        let mut connection = store.connection.lock().unwrap();
        let old = [NewEvent::new("Created", 1, "{}")];
        write_append(&connection, "Old", ExpectedVersion::NoStream, &old).unwrap();
        let group: Vec<Pending> = group
            .iter()
            .map(|&(stream_id, expected, count)| Pending {
                stream_id: stream_id.to_owned(),
                expected,
                events: (0..count).map(|_| NewEvent::new("Happened", 1, "{}")).collect(),
                reply: oneshot::channel().0,
            })
            .collect();
        let outcomes: Vec<String> = write_group(&mut connection, &group)
            .into_iter()
            .map(|outcome| match outcome {
                Ok(outcome) => format!("v{} p{}", outcome.stream_version, outcome.position),
                Err(StoreError::Conflict(_)) => "conflict".to_owned(),
                Err(other) => format!("{other:?}"),
            })
            .collect();
        assert_eq!(outcomes, expected);
        assert_eq!(super::super::head(&connection).unwrap(), log_length);
    }

    #[test]
    fn each_append_of_a_group_keeps_its_own_check() {
        use ExpectedVersion::{Exact, NoStream};
        check(&[("A", NoStream, 2), ("B", NoStream, 1)], &["v2 p3", "v1 p4"], 4);
        // A conflict in the middle rolls back to its savepoint: the appends after it take the positions it would have.
        check(&[("A", NoStream, 1), ("Old", NoStream, 3), ("B", NoStream, 1)], &["v1 p2", "conflict", "v1 p3"], 3);
        // Later appends of a group see the earlier ones: the second create of `A` conflicts, the follow-up does not.
        check(&[("A", NoStream, 1), ("A", NoStream, 1), ("A", Exact(1), 1)], &["v1 p2", "conflict", "v2 p3"], 3);
        check(&[("Old", Exact(7), 1)], &["conflict"], 1);
    }
}
