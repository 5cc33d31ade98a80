//! The conformance cases of batches: appends to several streams that commit together, or not at all.

use factum::store::StreamAppend;
use factum::{AppendOutcome, EventStore, ExpectedVersion, Metadata, NewEvent, StoreError, Timestamp};

use super::{event, events, everything, ok, payloads, positions};

/// The appends of a batch take positions in the batch's order, interleaving streams as given; every event keeps its
/// id, name, version, payload, metadata, aggregate type and time; each append reports its own outcome.
pub async fn append_batch_writes_in_batch_order<S: EventStore>(store: S) {
    ok(store.append("A", ExpectedVersion::NoStream, vec![event("Old", "a0")]).await, "append");
    let time = Timestamp::from_timestamp_micros(1_612_141_200_000_001).expect("a valid time");
    let metadata = Metadata::correlated(uuid::Uuid::from_u128(7)).with_header("source", "import");
    let kept = NewEvent::new("Kept", 3, "b1")
        .with_id(uuid::Uuid::from_u128(0xb1))
        .with_metadata(metadata)
        .with_aggregate_type("Thing")
        .recorded_at(time);
    let batch = vec![
        StreamAppend::new("A", ExpectedVersion::Exact(1), vec![event("New", "a1")]),
        StreamAppend::new("B", ExpectedVersion::NoStream, vec![kept.clone()]),
        StreamAppend::new("A", ExpectedVersion::Exact(2), vec![event("New", "a2"), event("New", "a3")]),
        StreamAppend::new("B", ExpectedVersion::Exact(1), Vec::new()),
        StreamAppend::new("C", ExpectedVersion::Any, vec![event("New", "c1")]),
    ];
    let outcomes = ok(store.append_batch(batch).await, "append_batch");
    let log = everything(&store).await;
    assert_eq!(payloads(&log), ["a0", "a1", "b1", "a2", "a3", "c1"]);
    let p = positions(&log);
    let expected = [(2, p[1]), (1, p[2]), (4, p[4]), (1, p[4]), (1, p[5])];
    let expected: Vec<AppendOutcome> =
        expected.into_iter().map(|(stream_version, position)| AppendOutcome { stream_version, position }).collect();
    assert_eq!(outcomes, expected);
    let stored = &log[2];
    assert_eq!(stored.envelope.stream_id, "B");
    assert_eq!(stored.envelope.stream_version, 1);
    assert_eq!(stored.envelope.event_id, kept.event_id);
    assert_eq!(stored.envelope.event_name, kept.event_name);
    assert_eq!(stored.envelope.event_version, kept.event_version);
    assert_eq!(stored.envelope.metadata, kept.metadata);
    assert_eq!(stored.envelope.aggregate_type, kept.aggregate_type);
    assert_eq!(stored.envelope.recorded_at, time);
    assert_eq!(stored.payload, kept.payload);
    assert_eq!(ok(store.stream_version("A").await, "stream_version"), 4);
    assert!(ok(store.append_batch(Vec::new()).await, "an empty batch").is_empty());
}

/// A batch with a conflict anywhere, or an id already stored or given twice, writes nothing at all, and the error
/// names the stream; the store takes the next append as if the batch had never been tried.
pub async fn append_batch_writes_nothing_on_any_error<S: EventStore>(store: S) {
    let taken = NewEvent::new("Taken", 1, "t").with_id(uuid::Uuid::from_u128(0x7a));
    ok(store.append("A", ExpectedVersion::NoStream, vec![taken.clone(), event("Old", "a2")]).await, "append");
    let before = everything(&store).await;
    let twice = NewEvent::new("Twice", 1, "x").with_id(uuid::Uuid::from_u128(0x2));
    let fine = || StreamAppend::new("B", ExpectedVersion::NoStream, events("New", 3));
    let cases: Vec<(Vec<StreamAppend>, &str)> = vec![
        (vec![fine(), StreamAppend::new("A", ExpectedVersion::Exact(1), events("New", 1))], "conflict on `A`"),
        (vec![fine(), StreamAppend::new("B", ExpectedVersion::NoStream, events("New", 1))], "conflict on `B`"),
        (vec![fine(), StreamAppend::new("C", ExpectedVersion::StreamExists, Vec::new())], "conflict on `C`"),
        (vec![fine(), StreamAppend::new("C", ExpectedVersion::Any, vec![taken.clone()])], "id taken in `C`"),
        (
            vec![
                StreamAppend::new("C", ExpectedVersion::Any, vec![twice.clone()]),
                fine(),
                StreamAppend::new("D", ExpectedVersion::Any, vec![twice.clone()]),
            ],
            "id taken in `D`",
        ),
    ];
    for (batch, expected) in cases {
        let described = match store.append_batch(batch).await {
            Err(StoreError::Conflict(conflict)) => format!("conflict on `{}`", conflict.stream_id),
            Err(StoreError::DuplicateEventId(duplicate)) => format!("id taken in `{}`", duplicate.stream_id),
            other => format!("{other:?}"),
        };
        assert_eq!(described, expected);
        assert_eq!(everything(&store).await, before, "a refused batch ({expected}) changed the log");
        for stream_id in ["B", "C", "D"] {
            assert_eq!(ok(store.stream_version(stream_id).await, "stream_version"), 0, "{expected}: `{stream_id}`");
        }
    }
    let batch = vec![fine(), StreamAppend::new("C", ExpectedVersion::NoStream, vec![twice])];
    let outcomes = ok(store.append_batch(batch).await, "append_batch after refused ones");
    assert_eq!(outcomes.iter().map(|outcome| outcome.stream_version).collect::<Vec<_>>(), [3, 1]);
    assert!(outcomes[0].position > before[1].envelope.position);
}

/// Of concurrent batches that each write a stream every batch writes (`Shared`, expecting it new) and a stream of
/// their own first, exactly one commits, whole; the others conflict on `Shared` and leave no trace in their own
/// stream, even while plain appends go on beside them.
pub async fn concurrent_batches_are_all_or_nothing<S: EventStore + Clone + 'static>(store: S) {
    const WRITERS: usize = 8;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(WRITERS + 1));
    let batches: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (store, barrier) = (store.clone(), std::sync::Arc::clone(&barrier));
            tokio::spawn(async move {
                let batch = vec![
                    StreamAppend::new(format!("Own-{writer}"), ExpectedVersion::NoStream, events("Own", 2)),
                    StreamAppend::new("Shared", ExpectedVersion::NoStream, vec![event("Shared", &writer.to_string())]),
                ];
                barrier.wait().await;
                store.append_batch(batch).await
            })
        })
        .collect();
    let bystander = {
        let (store, barrier) = (store.clone(), std::sync::Arc::clone(&barrier));
        tokio::spawn(async move {
            barrier.wait().await;
            for _ in 0..10 {
                ok(store.append("Bystander", ExpectedVersion::Any, events("Beside", 1)).await, "a plain append");
            }
        })
    };
    let mut winners = Vec::new();
    for (writer, batch) in batches.into_iter().enumerate() {
        match batch.await.expect("a writer task panicked") {
            Ok(outcomes) => winners.push((writer, outcomes)),
            Err(StoreError::Conflict(conflict)) => assert_eq!(conflict.stream_id, "Shared", "writer {writer}"),
            Err(error) => panic!("writer {writer} failed: {error}"),
        }
    }
    bystander.await.expect("the bystander task panicked");
    assert_eq!(winners.len(), 1, "exactly one batch must commit, these did: {winners:?}");
    let (winner, _) = winners[0];
    assert_eq!(payloads(&ok(store.read_stream("Shared", 1).await, "read_stream")), [winner.to_string()]);
    for writer in 0..WRITERS {
        let expected = if writer == winner { 2 } else { 0 };
        assert_eq!(ok(store.stream_version(&format!("Own-{writer}")).await, "stream_version"), expected);
    }
    assert_eq!(everything(&store).await.len(), 2 + 1 + 10, "the log holds the winning batch and the plain appends");
}
