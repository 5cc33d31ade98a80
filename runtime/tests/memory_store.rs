//! The store conformance suite, run on the in-memory store.

use factum::store::memory::MemoryStore;

factum::store_conformance_tests!(|| async { MemoryStore::new() });
