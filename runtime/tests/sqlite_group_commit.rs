//! Group commit in the SQLite store: appends made at once from many tasks are committed together, and each keeps its
//! own atomicity and expected-version check (a conflicting append fails alone; ids stay unique; positions no gaps).
#![cfg(feature = "sqlite")]

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use factum::store::sqlite::{Durability, SqliteOptions, SqliteStore};
use factum::store::LogQuery;
use factum::{AppendOutcome, EventStore, ExpectedVersion, NewEvent, StoreError};
use uuid::Uuid;

/// One append of a case: its stream, its expectation and its events.
struct Append {
    stream_id: String,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
}

/// How an append ended, as the checks compare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ended {
    Committed,
    Conflict,
    DuplicateEventId,
}

/// `count` events for the append numbered `task`, each payload naming the task and the event's place in the append.
fn events(task: usize, count: usize) -> Vec<NewEvent> {
    (0..count).map(|index| NewEvent::new("Happened", 1, format!(r#"{{"task":{task},"index":{index}}}"#))).collect()
}

/// Runs every append of `appends` from its own task on a multi-threaded runtime, all released at once, on a fresh
/// store file of `durability`; then checks the log against the outcomes and how many appends ended each way.
fn check(durability: Durability, appends: Vec<Append>, expected: &[(Ended, usize)]) {
    let directory = tempfile::tempdir().unwrap();
    let options = SqliteOptions::default().durability(durability);
    let store = SqliteStore::open_with(directory.path().join("events.db"), options).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).build().unwrap();
    let appends = Arc::new(appends);
    let outcomes: Vec<Result<AppendOutcome, StoreError>> = runtime.block_on(async {
        let start = Arc::new(tokio::sync::Barrier::new(appends.len()));
        let tasks: Vec<_> = (0..appends.len())
            .map(|index| {
                let (store, appends, start) = (store.clone(), Arc::clone(&appends), Arc::clone(&start));
                tokio::spawn(async move {
                    let append = &appends[index];
                    start.wait().await;
                    store.append(&append.stream_id, append.expected, append.events.clone()).await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    });
    let log = runtime.block_on(store.read_all(&LogQuery::all())).unwrap();

    // Positions have no gaps, event ids are unique, and every event in the log belongs to a committed append.
    let positions: Vec<u64> = log.iter().map(|event| event.envelope.position).collect();
    assert_eq!(positions, (1..=log.len() as u64).collect::<Vec<_>>(), "positions have gaps");
    let ids: HashSet<Uuid> = log.iter().map(|event| event.envelope.event_id).collect();
    assert_eq!(ids.len(), log.len(), "event ids repeat");
    let by_id: BTreeMap<Uuid, _> = log.iter().map(|event| (event.envelope.event_id, event)).collect();

    let mut ended: BTreeMap<Ended, usize> = BTreeMap::new();
    let mut committed_events = 0;
    for (append, outcome) in appends.iter().zip(&outcomes) {
        let kind = match outcome {
            Ok(outcome) => {
                // The append is whole: its events are in the log, in order, at consecutive positions ending at the
                // one reported, with consecutive versions of its stream ending at the version reported.
                let count = append.events.len() as u64;
                for (offset, event) in (0..count).rev().zip(&append.events) {
                    let stored = by_id.get(&event.event_id).expect("a committed event is in the log");
                    assert_eq!(stored.envelope.stream_id, append.stream_id);
                    assert_eq!(stored.envelope.position, outcome.position - offset);
                    assert_eq!(stored.envelope.stream_version, outcome.stream_version - offset);
                    assert_eq!(stored.payload, event.payload);
                }
                committed_events += append.events.len();
                Ended::Committed
            }
            Err(error) => {
                // A failed append left nothing behind, though its group committed (its ids may be taken by the
                // committed append it collided with, so it is the payload that must be absent).
                let kind = match error {
                    StoreError::Conflict(_) => Ended::Conflict,
                    StoreError::DuplicateEventId(_) => Ended::DuplicateEventId,
                    other => panic!("an append failed with {other:?}"),
                };
                for event in &append.events {
                    assert!(log.iter().all(|stored| stored.payload != event.payload), "a failed append left an event");
                }
                kind
            }
        };
        *ended.entry(kind).or_default() += 1;
    }
    assert_eq!(committed_events, log.len());
    let expected: BTreeMap<Ended, usize> = expected.iter().copied().filter(|(_, count)| *count > 0).collect();
    assert_eq!(ended, expected);
}

#[test]
fn appends_to_distinct_streams_all_commit() {
    let appends = (0..64)
        .map(|task| Append {
            stream_id: format!("S-{task}"),
            expected: ExpectedVersion::NoStream,
            events: events(task, 1),
        })
        .collect();
    check(Durability::Full, appends, &[(Ended::Committed, 64)]);
}

#[test]
fn conflicting_appends_fail_alone() {
    // Eight tasks race to create each of eight streams: one per stream wins, the others conflict.
    let appends = (0..64)
        .map(|task| Append {
            stream_id: format!("S-{}", task % 8),
            expected: ExpectedVersion::NoStream,
            events: events(task, 3),
        })
        .collect();
    check(Durability::Relaxed, appends, &[(Ended::Committed, 8), (Ended::Conflict, 56)]);
}

#[test]
fn appends_to_one_stream_stay_whole() {
    let appends = (0..64)
        .map(|task| Append { stream_id: "Shared".to_owned(), expected: ExpectedVersion::Any, events: events(task, 2) })
        .collect();
    check(Durability::Relaxed, appends, &[(Ended::Committed, 64)]);
}

#[test]
fn an_append_whose_event_id_is_taken_fails_alone() {
    let taken = Uuid::now_v7();
    let appends = (0..32)
        .map(|task| {
            let mut events = events(task, 2);
            if task < 2 {
                events[1].event_id = taken;
            }
            Append { stream_id: format!("S-{task}"), expected: ExpectedVersion::NoStream, events }
        })
        .collect();
    check(Durability::Relaxed, appends, &[(Ended::Committed, 31), (Ended::DuplicateEventId, 1)]);
}
