//! The store conformance suite, run on the in-memory store, and the promise it makes beyond the contract: positions
//! without gaps. The suite also runs on a store that implements only the required methods, so that the trait's
//! default folds and its polling `wait_for_events` are held to the same rules. Then what the store keeps beside
//! each payload: the event as a fold first decoded it, lent to later folds.

mod common;

use std::borrow::Cow;

use common::*;
use factum::store::memory::MemoryStore;
use factum::store::{LogQuery, StreamAppend};
use factum::{
    load, AppendOutcome, DecodeErrorKind, EventSet, EventStore, ExpectedVersion, Metadata, NewEvent, RecordedEvent,
    StoreError,
};

factum_testkit::store_conformance_tests!(|| async { MemoryStore::new() });

#[test]
fn positions_have_no_gaps() {
    factum_testkit::conformance::block_on(factum_testkit::conformance::positions_have_no_gaps(MemoryStore::new()));
}

/// A store with the required methods alone: everything else is the trait's default.
#[derive(Debug, Clone, Default)]
struct RequiredOnly(MemoryStore);

impl EventStore for RequiredOnly {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.0.append(stream_id, expected, events).await
    }

    async fn append_batch(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        self.0.append_batch(appends).await
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.read_stream(stream_id, from_version).await
    }

    async fn read_all(&self, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.read_all(query).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        self.0.stream_version(stream_id).await
    }
}

mod defaults {
    factum_testkit::store_conformance_tests!(|| async { super::RequiredOnly::default() });
}

/// Another set over the account's events, which keeps only each event's name: a reader that is not the aggregate
/// (a projection's own set, say) reading the same stream.
#[derive(Debug, Clone, PartialEq)]
struct NameOnly(&'static str);

impl EventSet for NameOnly {
    const NAMES: &'static [&'static str] = AccountEvent::NAMES;

    fn name(&self) -> &'static str {
        self.0
    }

    fn version(&self) -> u32 {
        1
    }

    fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        Ok(b"{}".to_vec())
    }

    fn decode(name: &str, version: u32, payload: &[u8]) -> Result<Self, DecodeErrorKind> {
        AccountEvent::decode(name, version, payload).map(|event| NameOnly(event.name()))
    }
}

/// How a fold got each event of a stream: lent by the store, or decoded for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Got {
    Lent,
    Decoded,
}

/// Folds `stream_id` reading each event as `E`: the events, and how each was got.
async fn fold_as<E: EventSet>(store: &MemoryStore, stream_id: &str) -> Result<Vec<(E, Got)>, StoreError> {
    store
        .fold_stream(stream_id, 1, Vec::new(), |read, recorded| {
            let got = match recorded.decoded::<E>()? {
                Cow::Borrowed(event) => (event.clone(), Got::Lent),
                Cow::Owned(event) => (event, Got::Decoded),
            };
            read.push(got);
            Ok(())
        })
        .await
}

/// Appends `events` to a fresh stream of a fresh store.
async fn store_with(stream_id: &str, events: &[AccountEvent]) -> MemoryStore {
    let store = MemoryStore::new();
    let encoded = events.iter().map(|event| NewEvent::encode(event, Metadata::default()).unwrap()).collect();
    store.append(stream_id, ExpectedVersion::NoStream, encoded).await.unwrap();
    store
}

/// Folds a stream as `sets` say in turn (`true`: as the aggregate's set, `false`: as the name-only set) and checks
/// each fold read the events right and got them as `expected` says, one `Got` per fold (the same for every event).
fn check(sets: &[bool], expected: &[Got]) {
    factum_testkit::conformance::block_on(async {
        let events = vec![opened("ada"), deposited(100), withdrawn(30), deposited(5), closed()];
        let store = store_with("Account-1", &events).await;
        let names: Vec<NameOnly> = events.iter().map(|event| NameOnly(event.name())).collect();
        let mut got = Vec::new();
        for &as_aggregate in sets {
            let how: Vec<Got> = if as_aggregate {
                let read = fold_as::<AccountEvent>(&store, "Account-1").await.unwrap();
                assert_eq!(read.iter().map(|(event, _)| event.clone()).collect::<Vec<_>>(), events);
                read.into_iter().map(|(_, how)| how).collect()
            } else {
                let read = fold_as::<NameOnly>(&store, "Account-1").await.unwrap();
                assert_eq!(read.iter().map(|(event, _)| event.clone()).collect::<Vec<_>>(), names);
                read.into_iter().map(|(_, how)| how).collect()
            };
            assert!(how.windows(2).all(|pair| pair[0] == pair[1]), "one fold got events in two ways: {how:?}");
            got.push(how[0]);
        }
        assert_eq!(got, expected, "folds as the aggregate's set (true) or another (false): {sets:?}");
    });
}

#[test]
fn the_first_fold_decodes_and_later_folds_as_the_same_set_are_lent_its_decoding() {
    // The first fold decodes and keeps what it decoded: it is lent to that same fold.
    check(&[true], &[Got::Lent]);
    check(&[true, true, true], &[Got::Lent, Got::Lent, Got::Lent]);
    // Another set never gets the aggregate's decoding: it decodes, and reads the same events.
    check(&[true, false, true, false], &[Got::Lent, Got::Decoded, Got::Lent, Got::Decoded]);
    // Whichever set reads an event first keeps it.
    check(&[false, true, false], &[Got::Lent, Got::Decoded, Got::Lent]);
}

#[test]
fn loads_that_are_lent_decoded_events_equal_the_fold_of_the_events() {
    factum_testkit::conformance::block_on(async {
        let events = vec![opened("ada"), deposited(100), withdrawn(30), deposited(5)];
        let store = store_with("Account-7", &events).await;
        let expected = <Account as factum::Aggregate>::fold(&events);
        for _ in 0..3 {
            let loaded = load::<Account, _>(&store, "Account-7").await.unwrap();
            assert_eq!((loaded.state, loaded.version), (expected.clone(), 4));
        }
        // An event appended after the stream was read is decoded by the next load, then lent.
        let more = vec![NewEvent::encode(&closed(), Metadata::default()).unwrap()];
        store.append("Account-7", ExpectedVersion::Exact(4), more).await.unwrap();
        for _ in 0..2 {
            let loaded = load::<Account, _>(&store, "Account-7").await.unwrap();
            assert!(loaded.state.closed);
            assert_eq!(loaded.version, 5);
        }
        // Readers of the log and of the stream still get the payloads as appended.
        let read = store.read_stream("Account-7", 1).await.unwrap();
        let payloads: Vec<Vec<u8>> = read.into_iter().map(|recorded| recorded.payload).collect();
        let appended: Vec<Vec<u8>> = events.iter().chain([&closed()]).map(|event| event.encode().unwrap()).collect();
        assert_eq!(payloads, appended);
    });
}

#[test]
fn an_event_that_cannot_be_decoded_fails_every_load_and_keeps_nothing() {
    factum_testkit::conformance::block_on(async {
        let store = store_with("Account-9", &[opened("ada")]).await;
        let unreadable = NewEvent::new("Deposited", 1, br#"{"amount":"a lot"}"#.to_vec());
        store.append("Account-9", ExpectedVersion::Exact(1), vec![unreadable]).await.unwrap();
        for _ in 0..2 {
            match load::<Account, _>(&store, "Account-9").await {
                Err(StoreError::Decode(error)) => {
                    assert_eq!((error.stream_version, error.position, error.event_name.as_str()), (2, 2, "Deposited"));
                    assert!(matches!(error.kind, DecodeErrorKind::MalformedPayload { .. }), "{:?}", error.kind);
                }
                other => panic!("expected a decode error, got {other:?}"),
            }
        }
        // The readable event before it was kept by the failed loads, and is lent.
        let first_lent = store
            .fold_stream("Account-9", 1, false, |first_lent, recorded| {
                if recorded.stream_version == 1 {
                    *first_lent = matches!(recorded.decoded::<AccountEvent>()?, Cow::Borrowed(_));
                }
                Ok(())
            })
            .await
            .unwrap();
        assert!(first_lent);
    });
}

#[test]
fn concurrent_first_loads_all_read_the_same_state() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).build().unwrap();
    runtime.block_on(async {
        let mut events = vec![opened("ada")];
        events.extend((1..=500).map(deposited));
        let store = store_with("Account-3", &events).await;
        let expected = <Account as factum::Aggregate>::fold(&events);
        let loads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { load::<Account, _>(&store, "Account-3").await.unwrap() })
            })
            .collect();
        for handle in loads {
            let loaded = handle.await.unwrap();
            assert_eq!((loaded.state, loaded.version), (expected.clone(), 501));
        }
    });
}

proptest::proptest! {
    /// However appends and loads interleave, every load (lent what earlier loads decoded, decoding what they did not
    /// read) equals the fold of the events appended so far.
    #[test]
    fn interleaved_appends_and_loads_equal_the_fold(
        chunks in proptest::collection::vec(proptest::collection::vec(-50i64..50, 0..6), 1..8),
    ) {
        factum_testkit::conformance::block_on(async {
            let store = MemoryStore::new();
            let mut appended = vec![opened("ada")];
            let first = vec![NewEvent::encode(&appended[0], Metadata::default()).unwrap()];
            store.append("Account-5", ExpectedVersion::NoStream, first).await.unwrap();
            for chunk in chunks {
                let events: Vec<AccountEvent> =
                    chunk.into_iter().map(|amount| if amount >= 0 { deposited(amount) } else { withdrawn(-amount) }).collect();
                let encoded = events.iter().map(|event| NewEvent::encode(event, Metadata::default()).unwrap()).collect();
                store.append("Account-5", ExpectedVersion::Exact(appended.len() as u64), encoded).await.unwrap();
                appended.extend(events);
                let loaded = load::<Account, _>(&store, "Account-5").await.unwrap();
                assert_eq!(loaded.state, <Account as factum::Aggregate>::fold(&appended));
                assert_eq!(loaded.version, appended.len() as u64);
            }
        });
    }
}
