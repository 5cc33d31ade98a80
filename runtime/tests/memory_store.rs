//! The store conformance suite, run on the in-memory store, and the promise it makes beyond the contract: positions
//! without gaps.

use factum::store::memory::MemoryStore;

factum_testkit::store_conformance_tests!(|| async { MemoryStore::new() });

#[test]
fn positions_have_no_gaps() {
    factum_testkit::conformance::block_on(factum_testkit::conformance::positions_have_no_gaps(MemoryStore::new()));
}
