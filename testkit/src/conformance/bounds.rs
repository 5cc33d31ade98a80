//! The conformance cases of bounded reads: a stream cut at a version or a time, the log cut at a position or a time.

use factum::store::{LogQuery, StreamQuery};
use factum::{EventStore, ExpectedVersion, NewEvent, RecordedEventRef, Timestamp};

use super::{everything, ok, payloads, positions};

/// A time `seconds` after a fixed instant, to the microsecond as every store keeps times.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_timestamp(1_600_000_000 + seconds, 0).expect("a valid time")
}

/// An event named after its payload, recorded at `at(seconds)`.
fn recorded(payload: &str, seconds: i64) -> NewEvent {
    NewEvent::new("Step", 1, payload).recorded_at(at(seconds))
}

/// The payloads `fold_stream_query` lends for `query`, checked to be what `read_stream` reads, cut the same way.
async fn fold_payloads<S: EventStore>(store: &S, stream_id: &str, query: &StreamQuery) -> Vec<String> {
    let folded = store.fold_stream_query(stream_id, query, Vec::new(), |folded, event: RecordedEventRef<'_>| {
        folded.push((event.stream_version, String::from_utf8_lossy(event.payload).into_owned()));
        Ok(())
    });
    let folded = ok(folded.await, "fold_stream_query");
    let read = ok(store.read_stream(stream_id, 0).await, "read_stream");
    let cut: Vec<(u64, String)> = read
        .iter()
        .filter(|event| query.selects(event.envelope.stream_version, event.envelope.recorded_at))
        .map(|event| (event.envelope.stream_version, String::from_utf8_lossy(&event.payload).into_owned()))
        .collect();
    assert_eq!(folded, cut, "fold_stream_query of `{stream_id}` with {query:?} is not the stream cut the same way");
    folded.into_iter().map(|(_, payload)| payload).collect()
}

/// `fold_stream_query` lends a stream's events between two versions, recorded strictly before an instant: the
/// stream's own events only, in order, selected by each event's own time (a stream whose times go back included).
pub async fn fold_stream_query_cuts_at_a_version_and_a_time<S: EventStore>(store: S) {
    // Stream `A` holds a1..a5 at seconds 10, 20, 30, 40 and, imported out of order, 25; `B` shares the times.
    let stream_a = vec![recorded("a1", 10), recorded("a2", 20), recorded("a3", 30), recorded("a4", 40)];
    ok(store.append("A", ExpectedVersion::NoStream, stream_a).await, "append");
    ok(store.append("B", ExpectedVersion::NoStream, vec![recorded("b1", 5), recorded("b2", 35)]).await, "append");
    ok(store.append("A", ExpectedVersion::Exact(4), vec![recorded("a5", 25)]).await, "append");
    let sub_micro = at(30) + chrono::Duration::nanoseconds(1);
    let cases: Vec<(&str, StreamQuery, &[&str])> = vec![
        ("A", StreamQuery::all(), &["a1", "a2", "a3", "a4", "a5"]),
        ("A", StreamQuery::from_version(0), &["a1", "a2", "a3", "a4", "a5"]),
        ("A", StreamQuery::all().to_version(0), &[]),
        ("A", StreamQuery::all().to_version(3), &["a1", "a2", "a3"]),
        ("A", StreamQuery::from_version(2).to_version(4), &["a2", "a3", "a4"]),
        ("A", StreamQuery::from_version(4).to_version(2), &[]),
        ("A", StreamQuery::all().to_version(99), &["a1", "a2", "a3", "a4", "a5"]),
        ("A", StreamQuery::all().recorded_before(at(10)), &[]),
        ("A", StreamQuery::all().recorded_before(at(11)), &["a1"]),
        ("A", StreamQuery::all().recorded_before(at(30)), &["a1", "a2", "a5"]),
        ("A", StreamQuery::all().recorded_before(sub_micro), &["a1", "a2", "a3", "a5"]),
        ("A", StreamQuery::all().recorded_before(at(30) - chrono::Duration::microseconds(1)), &["a1", "a2", "a5"]),
        ("A", StreamQuery::all().recorded_before(at(99)), &["a1", "a2", "a3", "a4", "a5"]),
        ("A", StreamQuery::all().to_version(4).recorded_before(at(30)), &["a1", "a2"]),
        ("A", StreamQuery::from_version(3).recorded_before(at(41)), &["a3", "a4", "a5"]),
        ("B", StreamQuery::all().recorded_before(at(30)), &["b1"]),
        ("Missing", StreamQuery::all().recorded_before(at(99)), &[]),
    ];
    for (stream_id, query, expected) in cases {
        assert_eq!(fold_payloads(&store, stream_id, &query).await, expected, "`{stream_id}` with {query:?}");
    }
}

/// The log read up to a position and before an instant: `read_all` and `fold_all` select by both bounds, together
/// with names and limits, and events imported with past times after newer ones are selected by their own time.
pub async fn log_reads_cut_at_a_position_and_a_time<S: EventStore>(store: S) {
    let appended = [
        ("A", NewEvent::new("Created", 1, "1").recorded_at(at(10))),
        ("B", NewEvent::new("Created", 1, "2").recorded_at(at(20))),
        ("A", NewEvent::new("Changed", 1, "3").recorded_at(at(30))),
        ("C", NewEvent::new("Created", 1, "4").recorded_at(at(15))),
        ("B", NewEvent::new("Changed", 1, "5").recorded_at(at(40))),
    ];
    for (stream_id, event) in appended {
        ok(store.append(stream_id, ExpectedVersion::Any, vec![event]).await, "append");
    }
    let p = positions(&everything(&store).await);
    let cases: Vec<(LogQuery, &[&str])> = vec![
        (LogQuery::all().to_position(p[2]), &["1", "2", "3"]),
        (LogQuery::all().to_position(0), &[]),
        (LogQuery::all().recorded_before(at(10)), &[]),
        (LogQuery::all().recorded_before(at(20)), &["1", "4"]),
        (LogQuery::all().recorded_before(at(20) + chrono::Duration::nanoseconds(1)), &["1", "2", "4"]),
        (LogQuery::all().recorded_before(at(41)), &["1", "2", "3", "4", "5"]),
        (LogQuery::all().recorded_before(at(35)).to_position(p[2]), &["1", "2", "3"]),
        (LogQuery::all().recorded_before(at(25)).events(["Created"]), &["1", "2", "4"]),
        (LogQuery::all().recorded_before(at(35)).events(["Changed"]), &["3"]),
        (LogQuery::from_position(p[1]).recorded_before(at(35)).limit(2), &["2", "3"]),
    ];
    for (query, expected) in cases {
        let read = ok(store.read_all(&query).await, "read_all");
        assert_eq!(payloads(&read), expected, "read_all {query:?}");
        let folded = store.fold_all(&query, Vec::new(), |folded: &mut Vec<String>, event| {
            folded.push(String::from_utf8_lossy(event.payload).into_owned());
            Ok::<_, factum::StoreError>(())
        });
        assert_eq!(ok(folded.await, "fold_all").accumulator, expected, "fold_all {query:?}");
    }
}
