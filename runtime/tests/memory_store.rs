//! The store conformance suite, run on the in-memory store, and the promise it makes beyond the contract: positions
//! without gaps. The suite also runs on a store that implements only the required methods, so that the trait's
//! default folds and its polling `wait_for_events` are held to the same rules.

use factum::store::memory::MemoryStore;
use factum::store::{LogQuery, StreamAppend};
use factum::{AppendOutcome, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError};

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
