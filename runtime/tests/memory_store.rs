//! The store conformance suite, run on the in-memory store, and the promise it makes beyond the contract: positions
//! without gaps. The suite also runs on a store that keeps the trait's default folds, so that those meet the contract
//! a store gets for free.

use factum::store::memory::MemoryStore;
use factum::store::{LogQuery, StreamAppend};
use factum::{AppendOutcome, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError};

factum_testkit::store_conformance_tests!(|| async { MemoryStore::new() });

#[test]
fn positions_have_no_gaps() {
    factum_testkit::conformance::block_on(factum_testkit::conformance::positions_have_no_gaps(MemoryStore::new()));
}

/// A memory store seen only through the methods a store must write: every fold is the trait's default.
#[derive(Clone, Default)]
struct DefaultFolds(MemoryStore);

impl EventStore for DefaultFolds {
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

mod default_folds {
    factum_testkit::store_conformance_tests!(|| async { super::DefaultFolds::default() });
}
