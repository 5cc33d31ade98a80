//! The conformance cases of the live log: [`EventStore::wait_for_events`] returns once the log reaches the position
//! waited for, never before, wakes every waiter, and a follower that reads and waits in turn sees every commit once.
//!
//! No case measures how fast a waiter wakes (that is `benches/benches/live.rs`); each wait is bounded by
//! [`GUARD`] only so that a store that never wakes fails instead of hanging the test run.

use std::future::Future;
use std::time::Duration;

use factum::store::LogQuery;
use factum::{EventStore, ExpectedVersion, NewEvent};

/// How long a wait that should end may take before the case fails: far beyond any store's latency, even polling.
pub const GUARD: Duration = Duration::from_secs(10);

/// How long a wait that should not end yet is given to end wrongly before the case checks it has not.
const PENDING: Duration = Duration::from_millis(30);

/// Awaits `future`, failing the case with `what` when it takes longer than [`GUARD`].
#[track_caller]
fn within<F: Future>(future: F, what: &'static str) -> impl Future<Output = F::Output> {
    let caller = std::panic::Location::caller();
    async move {
        match tokio::time::timeout(GUARD, future).await {
            Ok(output) => output,
            Err(_) => panic!("{what}: still waiting after {GUARD:?} ({caller})"),
        }
    }
}

/// Appends `count` events named `name` to a stream of their own.
async fn append<S: EventStore>(store: &S, stream_id: &str, count: usize) -> u64 {
    let events = (0..count).map(|index| NewEvent::new("Live", 1, index.to_string())).collect();
    match store.append(stream_id, ExpectedVersion::Any, events).await {
        Ok(outcome) => outcome.position,
        Err(error) => panic!("append to {stream_id} failed: {error}"),
    }
}

/// Spawns a wait for `from_position` on a clone of `store`.
fn spawn_wait<S: EventStore + Clone + 'static>(
    store: &S,
    from_position: u64,
) -> tokio::task::JoinHandle<Result<u64, factum::StoreError>> {
    let store = store.clone();
    tokio::spawn(async move { store.wait_for_events(from_position).await })
}

/// A wait for a position the log has reached returns at once, with a position at least that far.
pub async fn wait_for_events_returns_when_the_log_is_there<S: EventStore>(store: S) {
    let last = append(&store, "Live-1", 3).await;
    for from_position in [0, 1, 2, last] {
        let reached = within(store.wait_for_events(from_position), "a wait for a committed position").await;
        let reached = reached.unwrap_or_else(|error| panic!("wait_for_events({from_position}) failed: {error}"));
        assert!(reached >= from_position.max(1), "wait_for_events({from_position}) returned {reached}");
    }
}

/// A wait for a position past the log's end returns only once an event there is committed, by any clone of the
/// store, and every waiter is woken by the commit that reaches its position.
pub async fn wait_for_events_wakes_at_the_commit_it_waits_for<S: EventStore + Clone + 'static>(store: S) {
    let empty = spawn_wait(&store, 0);
    tokio::time::sleep(PENDING).await;
    assert!(!empty.is_finished(), "a wait on an empty log returned before anything was appended");
    let first = append(&store.clone(), "Live-1", 1).await;
    let reached = within(empty, "a wait woken by the first append").await.expect("the wait task ran");
    assert!(reached.expect("the wait succeeds") >= first);

    let next = spawn_wait(&store, first + 1);
    let also_next = spawn_wait(&store, first + 1);
    tokio::time::sleep(PENDING).await;
    assert!(!next.is_finished() && !also_next.is_finished(), "a wait returned before its position was committed");
    let second = append(&store.clone(), "Live-2", 1).await;
    // Positions may have gaps, so the next commit after `second` is waited for from just past it.
    let after_next = spawn_wait(&store, second + 1);
    for waiter in [next, also_next] {
        let reached = within(waiter, "a wait woken by the append it waited for").await.expect("the wait task ran");
        assert!(reached.expect("the wait succeeds") >= second);
    }
    tokio::time::sleep(PENDING).await;
    assert!(!after_next.is_finished(), "a wait for a later position returned at an earlier commit");
    let third = append(&store, "Live-1", 1).await;
    let reached = within(after_next, "a wait woken by a later append").await.expect("the wait task ran");
    assert!(reached.expect("the wait succeeds") >= third);
}

/// A follower that reads the log with `fold_all` and, when it has read everything, waits from the position the
/// read returned, sees every event exactly once, in position order, while writers append concurrently.
pub async fn following_the_log_sees_every_commit_once<S: EventStore + Clone + 'static>(store: S) {
    const WRITERS: usize = 4;
    const APPENDS: usize = 25;
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for round in 0..APPENDS {
                    // Batches of one to three events, so that reads end inside and between appends.
                    append(&store, &format!("Writer-{writer}"), round % 3 + 1).await;
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let expected: usize = WRITERS * (0..APPENDS).map(|round| round % 3 + 1).sum::<usize>();

    let mut seen: Vec<(u64, String, u64)> = Vec::with_capacity(expected);
    let mut next_position = 1;
    while seen.len() < expected {
        let query = LogQuery::from_position(next_position).limit(7);
        let read = store.fold_all(&query, (), |(), event| {
            seen.push((event.position, event.stream_id.to_owned(), event.stream_version));
            Ok::<_, factum::StoreError>(())
        });
        let folded = within(read, "a read of the log").await.expect("the read succeeds");
        if folded.next_position == next_position {
            within(store.wait_for_events(next_position), "a wait for events the writers append")
                .await
                .expect("the wait succeeds");
        }
        next_position = folded.next_position;
    }
    for writer in writers {
        writer.await.expect("the writer ran");
    }
    let positions: Vec<u64> = seen.iter().map(|(position, ..)| *position).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "the follower saw {positions:?}");
    let everything = store.read_all(&LogQuery::all()).await.expect("read_all succeeds");
    let logged: Vec<(u64, String, u64)> = everything
        .iter()
        .map(|event| (event.envelope.position, event.envelope.stream_id.clone(), event.envelope.stream_version))
        .collect();
    assert_eq!(seen, logged, "the follower must see the whole log, each event once");
}
