//! What the PostgreSQL tests share: the server's URL, and stores in fresh schemas of their own, dropped with the
//! store's last clone, so that tests running at once (in this process or others) never see each other's events.
//!
//! The server is `FACTUM_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`). A test that cannot
//! reach it fails, naming the URL: these tests never skip.
#![allow(dead_code, unreachable_pub)] // Each test file uses a part of the helpers.

use std::sync::atomic::{AtomicU64, Ordering};

use factum::store::postgres::PostgresStore;
use factum_testkit::Guarded;

pub use factum_testkit::postgres::{server_url as url, ScratchSchema};

/// A schema name no other test, run or process uses: the test's tag, the process id, a counter and the time.
pub fn unique_schema(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("test_{tag}_{}_{count}_{nanos}", std::process::id())
}

/// A store in a fresh schema, dropped with its last clone (the guard).
pub type TestStore = Guarded<PostgresStore, ScratchSchema>;

/// A store in a fresh schema named after `tag`; fails the test when the server cannot be reached.
pub async fn test_store(tag: &str) -> TestStore {
    let scratch = ScratchSchema::new(unique_schema(tag));
    let store = PostgresStore::connect(&scratch.url()).await.unwrap_or_else(|error| {
        panic!("the PostgreSQL tests need a server at `{}` (set FACTUM_TEST_POSTGRES): {error}", url())
    });
    Guarded::new(store, scratch)
}

/// Another store on the schema of `store`, as another process would connect.
pub async fn reconnect(store: &TestStore) -> PostgresStore {
    PostgresStore::connect(&store.guard.url()).await.expect("the schema reconnects")
}
