//! The event store conformance suite: the rules every [`EventStore`] keeps, one async function per rule, and the
//! [`store_conformance_tests!`](crate::store_conformance_tests) macro that turns them into one test per rule.
//!
//! A backend runs the whole suite with one line in a test file. Each test gets a store of its own from the factory,
//! so the factory must return an empty store every time it is called:
//!
//! ```
//! mod memory_store {
//!     factum_testkit::store_conformance_tests!(|| async { factum::store::memory::MemoryStore::new() });
//! }
//! # fn main() {}
//! ```
//!
//! The suite holds stores to the contract every backend can meet (see [`EventStore`]): positions strictly increase
//! in commit order, but may have gaps. A store that also promises dense positions (both stores of the runtime do)
//! runs [`positions_have_no_gaps`] beside the suite.
//!
//! The cases panic on the first broken rule, with a message naming it: they are tests, and panicking is how a test
//! fails.

use std::future::Future;

mod batch;
mod bounds;

pub use crate::live::{
    following_the_log_sees_every_commit_once, wait_for_events_returns_when_the_log_is_there,
    wait_for_events_wakes_at_the_commit_it_waits_for,
};
pub use batch::{
    append_batch_writes_in_batch_order, append_batch_writes_nothing_on_any_error, concurrent_batches_are_all_or_nothing,
};
pub use bounds::{fold_stream_query_cuts_at_a_version_and_a_time, log_reads_cut_at_a_position_and_a_time};

use factum::store::{LogFold, LogQuery};
use factum::{
    AppendOutcome, ConflictError, EventStore, ExpectedVersion, LogEventRef, Metadata, NewEvent, RecordedEvent,
    RecordedEventRef, StoreError,
};

/// Expands into one `#[test]` per conformance case, each running against a fresh store from the factory.
///
/// The argument is a closure returning a future of the store: `|| async { MemoryStore::new() }`. The store type must
/// be `Clone + 'static` (clones sharing one log), because the concurrency cases hand clones to spawned tasks. Invoke
/// the macro once per module; to run the suite on two configurations of a backend, use two modules. The tests run
/// on a multi-threaded tokio runtime that the macro builds, so the test crate does not need tokio itself.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make_store:expr) => {
        $crate::store_conformance_tests!(@cases $make_store;
            empty_store_reads_empty,
            append_and_read_round_trip,
            read_stream_from_version,
            streams_are_independent,
            positions_follow_commit_order,
            read_all_from_position_with_limit,
            read_all_filters_by_name_and_aggregate_type,
            fold_all_lends_what_read_all_reads,
            fold_all_continues_without_skipping,
            fold_all_stops_at_the_first_error,
            event_ids_are_kept,
            event_ids_are_unique,
            recorded_at_is_given_or_stamped,
            expect_any,
            expect_no_stream,
            expect_stream_exists,
            expect_exact,
            rejected_append_writes_nothing,
            empty_append_only_checks_expectation,
            concurrent_appends_have_one_winner,
            concurrent_appends_lose_nothing,
            clones_share_one_log,
            recorded_at_is_set_and_non_decreasing,
            unicode_round_trips,
            large_append_round_trips,
            fold_stream_sees_what_read_stream_reads,
            fold_stream_stops_at_the_first_error,
            fold_stream_visitor_may_borrow,
            fold_stream_query_cuts_at_a_version_and_a_time,
            log_reads_cut_at_a_position_and_a_time,
            append_batch_writes_in_batch_order,
            append_batch_writes_nothing_on_any_error,
            concurrent_batches_are_all_or_nothing,
            wait_for_events_returns_when_the_log_is_there,
            wait_for_events_wakes_at_the_commit_it_waits_for,
            following_the_log_sees_every_commit_once,
        );
    };
    (@cases $make_store:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::block_on(async {
                    let store = ($make_store)().await;
                    $crate::conformance::$case(store).await;
                });
            }
        )*
    };
}

/// Runs a conformance case on a fresh multi-threaded runtime, so that concurrent cases really run in parallel.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the conformance suite needs a tokio runtime")
        .block_on(future)
}

/// An event with a JSON payload and no metadata.
fn event(name: &str, payload: &str) -> NewEvent {
    NewEvent::new(name, 1, payload)
}

/// `count` events named `name`, each with its index as payload.
fn events(name: &str, count: usize) -> Vec<NewEvent> {
    (0..count).map(|index| event(name, &index.to_string())).collect()
}

/// Unwraps a store result, naming the operation when it failed.
#[track_caller]
fn ok<T>(result: Result<T, StoreError>, operation: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{operation} failed: {error}"),
    }
}

/// Unwraps a conflict, naming the operation when the append did not conflict.
#[track_caller]
fn conflict(result: Result<AppendOutcome, StoreError>, operation: &str) -> ConflictError {
    match result {
        Err(StoreError::Conflict(conflict)) => conflict,
        other => panic!("{operation} should conflict, but returned {other:?}"),
    }
}

/// The whole global log.
async fn everything<S: EventStore>(store: &S) -> Vec<RecordedEvent> {
    ok(store.read_all(&LogQuery::all()).await, "read_all")
}

fn stream_versions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|event| event.envelope.stream_version).collect()
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|event| event.envelope.position).collect()
}

fn payloads(events: &[RecordedEvent]) -> Vec<String> {
    events.iter().map(|event| String::from_utf8_lossy(&event.payload).into_owned()).collect()
}

/// An empty store has no streams and an empty log.
pub async fn empty_store_reads_empty<S: EventStore>(store: S) {
    assert!(ok(store.read_stream("Order-1", 1).await, "read_stream").is_empty());
    assert!(ok(store.read_stream("Order-1", 0).await, "read_stream").is_empty());
    assert!(ok(store.read_all(&LogQuery::from_position(1).limit(100)).await, "read_all").is_empty());
    assert!(ok(store.read_all(&LogQuery::from_position(0)).await, "read_all").is_empty());
    assert_eq!(ok(store.stream_version("Order-1").await, "stream_version"), 0);
}

/// Appended events read back in order, at versions 1..=n and increasing positions, with their ids, names, versions,
/// aggregate types, payloads (any bytes, even empty or not UTF-8) and metadata unchanged.
pub async fn append_and_read_round_trip<S: EventStore>(store: S) {
    let metadata = Metadata::correlated(uuid::Uuid::from_u128(0x1234))
        .caused_by(uuid::Uuid::from_u128(0x5678))
        .with_header("tenant", "acme")
        .with_header("user", "ada");
    let appended = vec![
        NewEvent::new("OrderCreated", 1, br#"{"customer":"ada","lines":[1,2,3]}"#.to_vec())
            .with_metadata(metadata.clone())
            .with_aggregate_type("Order"),
        NewEvent::new("OrderPaid", 2, vec![0, 159, 146, 150, 255]).with_metadata(metadata),
        NewEvent::new("OrderShipped", u32::MAX, Vec::new()).with_aggregate_type("Commande-注文"),
    ];
    let outcome = ok(store.append("Order-1", ExpectedVersion::NoStream, appended.clone()).await, "append");
    assert_eq!(ok(store.stream_version("Order-1").await, "stream_version"), 3);

    let read = ok(store.read_stream("Order-1", 1).await, "read_stream");
    assert_eq!(stream_versions(&read), [1, 2, 3]);
    assert_increasing(&positions(&read));
    assert_eq!(outcome, AppendOutcome { stream_version: 3, position: read[2].envelope.position });
    for (recorded, new) in read.iter().zip(&appended) {
        assert_eq!(recorded.envelope.stream_id, "Order-1");
        assert_eq!(recorded.envelope.event_id, new.event_id);
        assert_eq!(recorded.envelope.aggregate_type, new.aggregate_type);
        assert_eq!(recorded.envelope.event_name, new.event_name);
        assert_eq!(recorded.envelope.event_version, new.event_version);
        assert_eq!(recorded.envelope.metadata, new.metadata);
        assert_eq!(recorded.payload, new.payload);
    }
    assert_eq!(everything(&store).await, read, "the log and the stream disagree");
}

/// Reading a stream from version `v` returns its events from `v` on; 0 reads from the start, and a version past the
/// end reads nothing.
pub async fn read_stream_from_version<S: EventStore>(store: S) {
    ok(store.append("Order-1", ExpectedVersion::Any, events("Step", 5)).await, "append");
    let cases: &[(u64, &[u64])] =
        &[(0, &[1, 2, 3, 4, 5]), (1, &[1, 2, 3, 4, 5]), (3, &[3, 4, 5]), (5, &[5]), (6, &[]), (u64::MAX, &[])];
    for &(from_version, expected) in cases {
        let read = ok(store.read_stream("Order-1", from_version).await, "read_stream");
        assert_eq!(stream_versions(&read), expected, "read_stream from version {from_version}");
    }
}

/// Streams do not see each other's events or versions, even when one id is a prefix of another or differs only in
/// case.
pub async fn streams_are_independent<S: EventStore>(store: S) {
    let ids = ["Order-1", "Order-10", "order-1", "Order-1 ", "Order"];
    for (round, count) in [(0, 2), (1, 1), (2, 3)] {
        for (index, id) in ids.iter().enumerate() {
            let payload = format!("{id}/{round}");
            let appended = (0..count + index).map(|_| event("Step", &payload)).collect();
            ok(store.append(id, ExpectedVersion::Any, appended).await, "append");
        }
    }
    for (index, id) in ids.iter().enumerate() {
        let read = ok(store.read_stream(id, 1).await, "read_stream");
        let length = (2 + index) + (1 + index) + (3 + index);
        assert_eq!(stream_versions(&read), (1..=length as u64).collect::<Vec<_>>(), "versions of `{id}`");
        assert!(read.iter().all(|event| event.envelope.stream_id == *id), "`{id}` holds another stream's event");
        assert!(payloads(&read).iter().all(|payload| payload.starts_with(&format!("{id}/"))), "`{id}` mixed up");
        assert_eq!(ok(store.stream_version(id).await, "stream_version"), length as u64);
    }
    assert_eq!(ok(store.stream_version("Order-2").await, "stream_version"), 0);
}

/// Global positions are at least 1 and strictly increase in commit order across streams; an append reports the
/// position of its last event.
pub async fn positions_follow_commit_order<S: EventStore>(store: S) {
    let first = ok(store.append("A", ExpectedVersion::NoStream, events("A", 2)).await, "append");
    let second = ok(store.append("B", ExpectedVersion::NoStream, events("B", 1)).await, "append");
    let third = ok(store.append("A", ExpectedVersion::Exact(2), events("A", 1)).await, "append");

    let log = everything(&store).await;
    let places: Vec<(&str, u64)> =
        log.iter().map(|event| (event.envelope.stream_id.as_str(), event.envelope.stream_version)).collect();
    assert_eq!(places, [("A", 1), ("A", 2), ("B", 1), ("A", 3)]);
    let positions = positions(&log);
    assert!(positions[0] >= 1, "positions start at 1 or later, not {}", positions[0]);
    assert_increasing(&positions);
    let outcomes = [first, second, third];
    let expected = [(2, positions[1]), (1, positions[2]), (3, positions[3])];
    for (outcome, (stream_version, position)) in outcomes.iter().zip(expected) {
        assert_eq!(*outcome, AppendOutcome { stream_version, position });
    }
}

/// Positions have no gaps: 1, 2, 3, ... in commit order, even after rejected appends. Not part of the contract every
/// store meets (a store on a database sequence may leave gaps); a store that promises it runs this beside the suite.
pub async fn positions_have_no_gaps<S: EventStore>(store: S) {
    ok(store.append("A", ExpectedVersion::NoStream, events("A", 2)).await, "append");
    conflict(store.append("A", ExpectedVersion::NoStream, events("A", 3)).await, "NoStream on `A`");
    ok(store.append("B", ExpectedVersion::NoStream, events("B", 1)).await, "append");
    let outcome = ok(store.append("A", ExpectedVersion::Exact(2), events("A", 1)).await, "append");
    assert_eq!(outcome, AppendOutcome { stream_version: 3, position: 4 });
    assert_eq!(positions(&everything(&store).await), [1, 2, 3, 4]);
}

#[track_caller]
fn assert_increasing(positions: &[u64]) {
    for pair in positions.windows(2) {
        assert!(pair[0] < pair[1], "positions do not strictly increase: {positions:?}");
    }
}

/// A read of the log returns at most `limit` events with positions in its range, in order; 0 reads from the start.
pub async fn read_all_from_position_with_limit<S: EventStore>(store: S) {
    for stream in ["A", "B"] {
        ok(store.append(stream, ExpectedVersion::Any, events(stream, 5)).await, "append");
    }
    // Positions may have gaps, so the cases speak of the log's events by index: `p[i]` is the position of the i-th.
    let p = positions(&everything(&store).await);
    assert_eq!(p.len(), 10);
    let cases: Vec<(LogQuery, Vec<u64>)> = vec![
        (LogQuery::from_position(p[0]).limit(3), p[..3].to_vec()),
        (LogQuery::from_position(0).limit(2), p[..2].to_vec()),
        (LogQuery::from_position(p[3]).limit(3), p[3..6].to_vec()),
        (LogQuery::from_position(p[8]).limit(10), p[8..].to_vec()),
        (LogQuery::from_position(p[9]).limit(1), p[9..].to_vec()),
        (LogQuery::from_position(p[9] + 1).limit(10), vec![]),
        (LogQuery::from_position(u64::MAX).limit(10), vec![]),
        (LogQuery::from_position(p[0]).limit(0), vec![]),
        (LogQuery::from_position(p[4]), p[4..].to_vec()),
        (LogQuery::from_position(p[2]).to_position(p[5]), p[2..=5].to_vec()),
        (LogQuery::from_position(p[2]).to_position(p[5] - 1), p[2..5].to_vec()),
        (LogQuery::from_position(p[2]).to_position(p[5]).limit(2), p[2..4].to_vec()),
        (LogQuery::from_position(p[5]).to_position(p[2]), vec![]),
    ];
    for (query, expected) in cases {
        let read = ok(store.read_all(&query).await, "read_all");
        assert_eq!(positions(&read), expected, "{query:?}");
    }
}

/// A read of the log selects events by name and by aggregate type; an event appended without an aggregate type is
/// selected only by reads that do not ask for one.
pub async fn read_all_filters_by_name_and_aggregate_type<S: EventStore>(store: S) {
    let appended = [
        ("Order-1", NewEvent::new("OrderCreated", 1, "1").with_aggregate_type("Order")),
        ("Order-1", NewEvent::new("OrderPaid", 1, "2").with_aggregate_type("Order")),
        ("Invoice-1", NewEvent::new("InvoiceSent", 1, "3").with_aggregate_type("Invoice")),
        ("Loose", NewEvent::new("OrderPaid", 1, "4")),
        ("Order-2", NewEvent::new("OrderCreated", 1, "5").with_aggregate_type("Order")),
        ("Invoice-1", NewEvent::new("OrderPaid", 1, "6").with_aggregate_type("Invoice")),
    ];
    for (stream_id, event) in appended {
        ok(store.append(stream_id, ExpectedVersion::Any, vec![event]).await, "append");
    }
    let p = positions(&everything(&store).await);
    let cases: Vec<(LogQuery, &[&str])> = vec![
        (LogQuery::all(), &["1", "2", "3", "4", "5", "6"]),
        (LogQuery::all().events(["OrderPaid"]), &["2", "4", "6"]),
        (LogQuery::all().events(["OrderCreated", "InvoiceSent"]), &["1", "3", "5"]),
        (LogQuery::all().events(["Missing"]), &[]),
        (LogQuery::all().events(Vec::<String>::new()), &[]),
        (LogQuery::all().aggregate_type("Order"), &["1", "2", "5"]),
        (LogQuery::all().aggregate_type("Invoice").events(["OrderPaid"]), &["6"]),
        (LogQuery::all().aggregate_type("order"), &[]),
        (LogQuery::all().events(["OrderPaid", "OrderCreated"]).limit(2), &["1", "2"]),
        (LogQuery::from_position(p[2]).events(["OrderPaid", "OrderCreated"]).limit(2), &["4", "5"]),
        (LogQuery::from_position(p[1]).to_position(p[4]).events(["OrderCreated"]), &["5"]),
    ];
    for (query, expected) in cases {
        let read = ok(store.read_all(&query).await, "read_all");
        assert_eq!(payloads(&read), expected, "{query:?}");
    }
}

/// What a lent log event holds, copied so that it can be compared.
fn lent_log(event: LogEventRef<'_>) -> RecordedEvent {
    ok(event.to_recorded(), "copying a lent log event")
}

/// `fold_all` lends exactly the events `read_all` returns, in the same order, and its next position is past them.
pub async fn fold_all_lends_what_read_all_reads<S: EventStore>(store: S) {
    for (round, stream) in ["A", "B", "A", "C"].into_iter().enumerate() {
        let appended = (0..=round).map(|index| {
            let name = if index % 2 == 0 { "Even" } else { "Odd" };
            NewEvent::new(name, 1, format!("{stream}/{round}/{index}")).with_aggregate_type(stream)
        });
        ok(store.append(stream, ExpectedVersion::Any, appended.collect()).await, "append");
    }
    let p = positions(&everything(&store).await);
    let queries = [
        LogQuery::all(),
        LogQuery::all().limit(3),
        LogQuery::from_position(p[4]),
        LogQuery::all().events(["Odd"]),
        LogQuery::all().events(["Odd"]).limit(2),
        LogQuery::all().aggregate_type("A"),
        LogQuery::from_position(p[1]).to_position(p[6]).events(["Even"]),
        LogQuery::all().limit(0),
        LogQuery::from_position(u64::MAX),
    ];
    for query in queries {
        let read = ok(store.read_all(&query).await, "read_all");
        let folded: Result<LogFold<Vec<RecordedEvent>>, StoreError> = store
            .fold_all(&query, Vec::new(), |folded, event| {
                folded.push(lent_log(event));
                Ok(())
            })
            .await;
        let LogFold { accumulator, next_position } = ok(folded, "fold_all");
        assert_eq!(accumulator, read, "fold_all of {query:?}");
        if let Some(last) = read.last() {
            assert!(
                next_position > last.envelope.position,
                "{query:?} continues at {next_position}, not past {last:?}"
            );
        }
        assert!(next_position >= query.from_position, "{query:?} continues before its start, at {next_position}");
    }
}

/// Following the log with `fold_all`, continuing each time from the position it returned, visits every selected
/// event exactly once, however the reads and appends interleave.
pub async fn fold_all_continues_without_skipping<S: EventStore>(store: S) {
    async fn follow<S: EventStore>(store: &S, next: &mut u64, seen: &mut Vec<String>) {
        loop {
            let query = LogQuery::from_position(*next).limit(2).events(["Kept"]);
            let folded: Result<LogFold<usize>, StoreError> = store
                .fold_all(&query, 0, |count, event| {
                    seen.push(String::from_utf8_lossy(event.payload).into_owned());
                    *count += 1;
                    Ok(())
                })
                .await;
            let LogFold { accumulator, next_position } = ok(folded, "fold_all");
            assert!(next_position >= *next, "fold_all went back from {next} to {next_position}");
            *next = next_position;
            if accumulator < 2 {
                return;
            }
        }
    }
    let (mut next, mut seen, mut expected) = (0, Vec::new(), Vec::new());
    for round in 0..6 {
        let appended: Vec<NewEvent> = (0..round)
            .map(|index| {
                let name = if index % 3 == 1 { "Passed" } else { "Kept" };
                event(name, &format!("{round}.{index}"))
            })
            .collect();
        expected.extend(
            appended
                .iter()
                .filter(|event| event.event_name == "Kept")
                .map(|event| String::from_utf8_lossy(&event.payload).into_owned()),
        );
        ok(store.append(&format!("S-{}", round % 2), ExpectedVersion::Any, appended).await, "append");
        follow(&store, &mut next, &mut seen).await;
        assert_eq!(seen, expected, "after round {round}");
    }
}

/// The first error `visit` returns ends `fold_all` with that error; no later event is visited.
pub async fn fold_all_stops_at_the_first_error<S: EventStore>(store: S) {
    /// The visitor's own error, beside the store's.
    #[derive(Debug)]
    enum Stopped {
        Store(StoreError),
        GaveUpAt(u64),
    }
    impl From<StoreError> for Stopped {
        fn from(error: StoreError) -> Self {
            Stopped::Store(error)
        }
    }
    ok(store.append("A", ExpectedVersion::Any, events("A", 5)).await, "append");
    let mut visited = Vec::new();
    let result = store
        .fold_all(&LogQuery::all(), (), |_, event| {
            visited.push(event.stream_version);
            match event.stream_version {
                3 => Err(Stopped::GaveUpAt(3)),
                _ => Ok(()),
            }
        })
        .await;
    match result {
        Err(Stopped::GaveUpAt(3)) => {}
        Err(Stopped::Store(error)) => panic!("fold_all failed: {error}"),
        other => panic!("fold_all should return the visitor's error, but returned {other:?}"),
    }
    assert_eq!(visited, [1, 2, 3], "events were visited after the error");
}

/// Every event keeps the id it was appended with, in every read; ids that were not chosen are fresh and distinct.
pub async fn event_ids_are_kept<S: EventStore>(store: S) {
    let chosen = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
    let appended = vec![event("A", "1").with_id(chosen), event("A", "2"), event("A", "3")];
    let ids: Vec<uuid::Uuid> = appended.iter().map(|event| event.event_id).collect();
    ok(store.append("A", ExpectedVersion::NoStream, appended).await, "append");
    ok(store.append("B", ExpectedVersion::NoStream, events("B", 20)).await, "append");
    let in_stream: Vec<uuid::Uuid> =
        ok(store.read_stream("A", 1).await, "read_stream").iter().map(|event| event.envelope.event_id).collect();
    assert_eq!(in_stream, ids);
    let log = everything(&store).await;
    let in_log: Vec<uuid::Uuid> = log.iter().map(|event| event.envelope.event_id).collect();
    assert_eq!(in_log[..3], ids);
    let unique: std::collections::BTreeSet<_> = in_log.iter().collect();
    assert_eq!(unique.len(), in_log.len(), "ids repeat: {in_log:?}");
    assert_eq!(everything(&store).await, log, "a second read gave other ids");
    let folded: Result<LogFold<Vec<uuid::Uuid>>, StoreError> = store
        .fold_all(&LogQuery::all(), Vec::new(), |ids, event| {
            ids.push(event.event_id);
            Ok(())
        })
        .await;
    assert_eq!(ok(folded, "fold_all").accumulator, in_log);
}

/// An append of an id already stored, or of one id twice, is refused with the id and writes nothing: one id is one
/// event, so importing the same events twice cannot record them twice.
pub async fn event_ids_are_unique<S: EventStore>(store: S) {
    let taken = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
    ok(store.append("A", ExpectedVersion::NoStream, vec![event("A", "1").with_id(taken)]).await, "append");
    let before = everything(&store).await;
    let again = vec![event("B", "1"), event("B", "2").with_id(taken)];
    let twice = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0003);
    let doubled = vec![event("C", "1").with_id(twice), event("C", "2").with_id(twice)];
    for (stream, events, id) in [("B", again, taken), ("C", doubled, twice)] {
        match store.append(stream, ExpectedVersion::Any, events).await {
            Err(StoreError::DuplicateEventId(duplicate)) => {
                assert_eq!((duplicate.stream_id.as_str(), duplicate.event_id), (stream, id));
            }
            other => panic!("appending id {id} again to `{stream}` gave {other:?}, not a duplicate id error"),
        }
        assert_eq!(everything(&store).await, before, "a refused append to `{stream}` changed the log");
        assert_eq!(ok(store.stream_version(stream).await, "stream_version"), 0);
    }
    let next = ok(store.append("B", ExpectedVersion::NoStream, vec![event("B", "1")]).await, "a fresh id");
    assert_eq!(next.stream_version, 1);
}

/// An event appended with a time keeps it (to the microsecond); one without gets the store's clock at the append.
pub async fn recorded_at_is_given_or_stamped<S: EventStore>(store: S) {
    let given = factum::Timestamp::from_timestamp_micros(1_500_000_000_123_456).expect("a valid time");
    let slack = chrono::Duration::seconds(1);
    let before = chrono::Utc::now();
    let appended = vec![event("Imported", "1").recorded_at(given), event("New", "2")];
    ok(store.append("A", ExpectedVersion::NoStream, appended).await, "append");
    ok(store.append("B", ExpectedVersion::NoStream, vec![event("Imported", "3").recorded_at(given)]).await, "append");
    let after = chrono::Utc::now();
    let log = everything(&store).await;
    let times: Vec<factum::Timestamp> = log.iter().map(|event| event.envelope.recorded_at).collect();
    assert_eq!(times[0], given);
    assert!(before - slack <= times[1] && times[1] <= after + slack, "{} is not the time of the append", times[1]);
    assert_eq!(times[2], given);
}

/// `Any` appends to a missing stream and to an existing one.
pub async fn expect_any<S: EventStore>(store: S) {
    let created = ok(store.append("A", ExpectedVersion::Any, events("A", 2)).await, "append to a missing stream");
    assert_eq!(created.stream_version, 2);
    let extended = ok(store.append("A", ExpectedVersion::Any, events("A", 1)).await, "append to an existing stream");
    assert_eq!(extended.stream_version, 3);
}

/// `NoStream` appends only to a stream without events; the conflict carries the expectation and the actual version.
pub async fn expect_no_stream<S: EventStore>(store: S) {
    ok(store.append("A", ExpectedVersion::NoStream, events("A", 2)).await, "append to a missing stream");
    let conflict = conflict(store.append("A", ExpectedVersion::NoStream, events("A", 1)).await, "NoStream on `A`");
    assert_eq!(conflict, ConflictError { stream_id: "A".into(), expected: ExpectedVersion::NoStream, actual: 2 });
}

/// `StreamExists` appends only to a stream with events.
pub async fn expect_stream_exists<S: EventStore>(store: S) {
    let missing = conflict(store.append("A", ExpectedVersion::StreamExists, events("A", 1)).await, "StreamExists");
    assert_eq!(missing, ConflictError { stream_id: "A".into(), expected: ExpectedVersion::StreamExists, actual: 0 });
    ok(store.append("A", ExpectedVersion::Any, events("A", 1)).await, "append");
    let outcome = ok(store.append("A", ExpectedVersion::StreamExists, events("A", 1)).await, "StreamExists");
    assert_eq!(outcome.stream_version, 2);
}

/// `Exact(n)` appends only to a stream at version `n`, and `Exact(0)` only to a missing stream.
pub async fn expect_exact<S: EventStore>(store: S) {
    ok(store.append("A", ExpectedVersion::Exact(0), events("A", 2)).await, "Exact(0) on a missing stream");
    for wrong in [0, 1, 3, u64::MAX] {
        let expected = ExpectedVersion::Exact(wrong);
        let conflict = conflict(store.append("A", expected, events("A", 1)).await, &format!("Exact({wrong})"));
        assert_eq!(conflict, ConflictError { stream_id: "A".into(), expected, actual: 2 });
    }
    let outcome = ok(store.append("A", ExpectedVersion::Exact(2), events("A", 1)).await, "Exact(2)");
    assert_eq!(outcome.stream_version, 3);
    let missing = conflict(store.append("B", ExpectedVersion::Exact(1), events("B", 1)).await, "Exact(1) on `B`");
    assert_eq!(missing.actual, 0);
}

/// A rejected append writes nothing.
pub async fn rejected_append_writes_nothing<S: EventStore>(store: S) {
    ok(store.append("A", ExpectedVersion::Any, events("A", 2)).await, "append");
    ok(store.append("B", ExpectedVersion::Any, events("B", 1)).await, "append");
    let before = everything(&store).await;
    for expected in [ExpectedVersion::NoStream, ExpectedVersion::Exact(1), ExpectedVersion::Exact(5)] {
        conflict(store.append("A", expected, events("Rejected", 3)).await, &format!("{expected} on `A`"));
    }
    conflict(store.append("C", ExpectedVersion::StreamExists, events("Rejected", 2)).await, "StreamExists on `C`");
    assert_eq!(everything(&store).await, before, "a rejected append changed the log");
    assert_eq!(ok(store.stream_version("A").await, "stream_version"), 2);
    assert_eq!(ok(store.stream_version("C").await, "stream_version"), 0);
    let next = ok(store.append("A", ExpectedVersion::Exact(2), events("A", 1)).await, "append");
    assert_eq!(next.stream_version, 3);
    assert!(next.position > before[2].envelope.position, "{next:?} is not after {:?}", before[2]);
}

/// Appending no events checks the expectation and writes nothing; it reports the stream's version and the position
/// of the store's last event.
pub async fn empty_append_only_checks_expectation<S: EventStore>(store: S) {
    let empty = ok(store.append("A", ExpectedVersion::NoStream, Vec::new()).await, "empty append");
    assert_eq!(empty, AppendOutcome { stream_version: 0, position: 0 });
    assert_eq!(ok(store.stream_version("A").await, "stream_version"), 0, "an empty append created the stream");
    assert!(everything(&store).await.is_empty());

    ok(store.append("A", ExpectedVersion::NoStream, events("A", 2)).await, "append");
    ok(store.append("B", ExpectedVersion::NoStream, events("B", 1)).await, "append");
    let before = everything(&store).await;
    let empty = ok(store.append("A", ExpectedVersion::Exact(2), Vec::new()).await, "empty append");
    assert_eq!(empty, AppendOutcome { stream_version: 2, position: before[2].envelope.position });
    let rejected = conflict(store.append("A", ExpectedVersion::NoStream, Vec::new()).await, "empty NoStream on `A`");
    assert_eq!(rejected.actual, 2);
    conflict(store.append("C", ExpectedVersion::StreamExists, Vec::new()).await, "empty StreamExists on `C`");
    assert_eq!(everything(&store).await, before, "an empty append changed the log");
}

/// Of concurrent appends expecting the same version, exactly one wins; the others conflict and write nothing.
pub async fn concurrent_appends_have_one_winner<S: EventStore + Clone + 'static>(store: S) {
    const WRITERS: usize = 8;
    ok(store.append("Contested", ExpectedVersion::NoStream, events("Start", 1)).await, "append");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                let appended = vec![event("Won", &format!("{writer}")), event("Won", &format!("{writer}"))];
                barrier.wait().await;
                (writer, store.append("Contested", ExpectedVersion::Exact(1), appended).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for writer in writers {
        let (writer, result) = writer.await.expect("a writer task panicked");
        match result {
            Ok(outcome) => {
                assert_eq!(outcome.stream_version, 3);
                winners.push((writer, outcome.position));
            }
            Err(StoreError::Conflict(conflict)) => assert_eq!(
                conflict,
                ConflictError { stream_id: "Contested".into(), expected: ExpectedVersion::Exact(1), actual: 3 }
            ),
            Err(error) => panic!("writer {writer} failed: {error}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer must win, these did: {winners:?}");
    let read = ok(store.read_stream("Contested", 1).await, "read_stream");
    let (winner, position) = winners[0];
    assert_eq!(payloads(&read), ["0".to_owned(), winner.to_string(), winner.to_string()]);
    assert_eq!(positions(&everything(&store).await), positions(&read));
    assert_eq!(position, read[2].envelope.position);
}

/// Concurrent appends to many streams lose no event and duplicate no position; within a stream, positions follow
/// versions.
pub async fn concurrent_appends_lose_nothing<S: EventStore + Clone + 'static>(store: S) {
    const WRITERS: u64 = 8;
    const APPENDS: u64 = 10;
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for round in 0..APPENDS {
                    let own = format!("Writer-{writer}");
                    let appended = vec![event("Own", &round.to_string()), event("Own", &round.to_string())];
                    ok(store.append(&own, ExpectedVersion::Exact(round * 2), appended).await, "append to own stream");
                    ok(store.append("Shared", ExpectedVersion::Any, events("Shared", 1)).await, "append to shared");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("a writer task panicked");
    }
    let log = everything(&store).await;
    let total = WRITERS * APPENDS * 3;
    assert_eq!(log.len() as u64, total, "events were lost");
    assert_increasing(&positions(&log));
    let mut streams: std::collections::BTreeMap<&str, Vec<u64>> = std::collections::BTreeMap::new();
    for event in &log {
        streams.entry(&event.envelope.stream_id).or_default().push(event.envelope.stream_version);
    }
    for (stream_id, versions) in streams {
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, expected, "versions of `{stream_id}` in position order");
    }
    assert_eq!(ok(store.stream_version("Shared").await, "stream_version"), WRITERS * APPENDS);
}

/// Clones of a store share one log.
pub async fn clones_share_one_log<S: EventStore + Clone + 'static>(store: S) {
    let clone = store.clone();
    ok(clone.append("A", ExpectedVersion::NoStream, events("A", 1)).await, "append through a clone");
    assert_eq!(ok(store.stream_version("A").await, "stream_version"), 1);
    let from_task = tokio::spawn(async move { clone.read_all(&LogQuery::all()).await.map(|events| events.len()) });
    ok(store.append("A", ExpectedVersion::Exact(1), events("A", 1)).await, "append");
    let seen = ok(from_task.await.expect("the reader task panicked"), "read_all in a task");
    assert!(seen == 1 || seen == 2, "a clone saw {seen} events");
}

/// Every event gets the time it was recorded, and those times never decrease along the log.
pub async fn recorded_at_is_set_and_non_decreasing<S: EventStore>(store: S) {
    // Stores may keep less than nanosecond precision, so the window has some slack.
    let slack = chrono::Duration::seconds(1);
    let before = chrono::Utc::now();
    for round in 0..5 {
        for stream in ["A", "B"] {
            ok(store.append(stream, ExpectedVersion::Any, events(stream, round + 1)).await, "append");
        }
    }
    let after = chrono::Utc::now();
    let log = everything(&store).await;
    for event in &log {
        let recorded_at = event.envelope.recorded_at;
        assert!(
            before - slack <= recorded_at && recorded_at <= after + slack,
            "event at position {} was recorded at {recorded_at}, outside [{before}, {after}]",
            event.envelope.position
        );
    }
    for pair in log.windows(2) {
        assert!(
            pair[0].envelope.recorded_at <= pair[1].envelope.recorded_at,
            "recorded_at decreases from position {} to {}",
            pair[0].envelope.position,
            pair[1].envelope.position
        );
    }
}

/// Stream ids, event names, payloads and headers outside ASCII round-trip unchanged.
pub async fn unicode_round_trips<S: EventStore>(store: S) {
    let stream_id = "Commande-été-注文-🚀";
    let appended = NewEvent::new("CommandeCréée", 1, r#"{"client":"Zoë Ångström","note":"日本語 ✓ 🎉","rtl":"שלום"}"#)
        .with_metadata(Metadata::default().with_header("région", "Île-de-France 🇫🇷"))
        .with_aggregate_type("Commande");
    ok(store.append(stream_id, ExpectedVersion::NoStream, vec![appended.clone()]).await, "append");
    ok(store.append("Commande-ete-注文-🚀", ExpectedVersion::NoStream, events("Other", 1)).await, "append");
    let read = ok(store.read_stream(stream_id, 1).await, "read_stream");
    assert_eq!(read.len(), 1, "a stream id differing only in an accent is another stream");
    assert_eq!(read[0].envelope.stream_id, stream_id);
    assert_eq!(read[0].envelope.event_name, appended.event_name);
    assert_eq!(read[0].envelope.metadata, appended.metadata);
    assert_eq!(read[0].payload, appended.payload);
    assert_eq!(everything(&store).await[0], read[0]);
}

/// A thousand events appended at once read back whole, in pages of the log as well as from the stream.
pub async fn large_append_round_trips<S: EventStore>(store: S) {
    const COUNT: usize = 1000;
    let outcome = ok(store.append("Big", ExpectedVersion::NoStream, events("Step", COUNT)).await, "append");
    assert_eq!(outcome.stream_version, COUNT as u64);
    let read = ok(store.read_stream("Big", 1).await, "read_stream");
    assert_eq!(payloads(&read), (0..COUNT).map(|index| index.to_string()).collect::<Vec<_>>());
    let mut paged = Vec::new();
    let mut next = 1;
    loop {
        let page = ok(store.read_all(&LogQuery::from_position(next).limit(128)).await, "read_all");
        let Some(last) = page.last() else { break };
        next = last.envelope.position + 1;
        paged.extend(page);
    }
    assert_eq!(paged, read, "paging through the log does not give back the stream");
}

/// What a folded event lends, copied so that it can be compared.
type Lent = (String, u64, u64, String, u32, Vec<u8>);

fn lent(event: RecordedEventRef<'_>) -> Lent {
    let position = ok(event.position(), "looking up the position of a lent event");
    let RecordedEventRef { stream_id, stream_version, event_name, event_version, payload, .. } = event;
    (stream_id.to_owned(), stream_version, position, event_name.to_owned(), event_version, payload.to_vec())
}

/// `fold_stream` lends exactly the events `read_stream` returns, in the same order, from any version.
pub async fn fold_stream_sees_what_read_stream_reads<S: EventStore>(store: S) {
    for round in 0..3 {
        for stream in ["A", "B"] {
            ok(store.append(stream, ExpectedVersion::Any, events(stream, round + 1)).await, "append");
        }
    }
    for stream in ["A", "B", "Missing"] {
        for from_version in [0, 1, 3, 6, 7, u64::MAX] {
            let read = ok(store.read_stream(stream, from_version).await, "read_stream");
            let expected: Vec<Lent> = read.iter().map(|event| lent(RecordedEventRef::from(event))).collect();
            let folded = store.fold_stream(stream, from_version, Vec::new(), |folded: &mut Vec<Lent>, event| {
                folded.push(lent(event));
                Ok(())
            });
            let folded = ok(folded.await, "fold_stream");
            assert_eq!(folded, expected, "fold_stream of `{stream}` from version {from_version}");
        }
    }
}

/// The first error `visit` returns ends `fold_stream` with that error; no later event is visited.
pub async fn fold_stream_stops_at_the_first_error<S: EventStore>(store: S) {
    ok(store.append("A", ExpectedVersion::Any, events("A", 5)).await, "append");
    let visited = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = visited.clone();
    let result = store
        .fold_stream("A", 1, (), move |_, event| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if event.stream_version == 3 {
                let message = "the visitor gave up".to_owned();
                return Err(StoreError::Corrupt { stream_id: event.stream_id.to_owned(), stream_version: 3, message });
            }
            Ok(())
        })
        .await;
    match result {
        Err(StoreError::Corrupt { stream_id, stream_version: 3, message }) => {
            assert_eq!((stream_id.as_str(), message.as_str()), ("A", "the visitor gave up"))
        }
        other => panic!("fold_stream should return the visitor's error, but returned {other:?}"),
    }
    assert_eq!(visited.load(std::sync::atomic::Ordering::SeqCst), 3, "events were visited after the error");
}

/// A visitor may borrow from its caller: `fold_stream` asks for neither a `'static` visitor nor a `'static`
/// accumulator, so a store that needs them cannot meet the contract.
pub async fn fold_stream_visitor_may_borrow<S: EventStore>(store: S) {
    ok(store.append("A", ExpectedVersion::Any, events("A", 3)).await, "append");
    let mut versions = Vec::new();
    let accumulator = &mut versions;
    let result = store
        .fold_stream("A", 1, accumulator, |versions, event| {
            versions.push(event.stream_version);
            Ok(())
        })
        .await;
    ok(result, "fold_stream");
    assert_eq!(versions, [1, 2, 3]);
}
