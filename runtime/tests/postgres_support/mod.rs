//! What the PostgreSQL tests share: the server's URL, and stores in fresh schemas of their own, dropped with the
//! store's last clone, so that tests running at once (in this process or others) never see each other's events.
//!
//! The server is `FACTUM_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`). A test that cannot
//! reach it fails, naming the URL: these tests never skip.
#![allow(dead_code, unreachable_pub)] // Each test file uses a part of the helpers.

use std::sync::atomic::{AtomicU64, Ordering};

use factum::store::postgres::PostgresStore;
use factum_testkit::Guarded;

/// The server the tests use.
pub fn url() -> String {
    std::env::var("FACTUM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema name no other test, run or process uses: the test's tag, the process id, a counter and the time.
pub fn unique_schema(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("test_{tag}_{}_{count}_{nanos}", std::process::id())
}

/// The URL of the test server with `schema` as the store's schema.
pub fn schema_url(schema: &str) -> String {
    let url = url();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}schema={schema}")
}

/// Drops its schema when dropped (on a thread of its own, since it may be dropped inside a runtime).
#[derive(Debug)]
pub struct Scratch {
    pub schema: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let schema = self.schema.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await
            })
        });
        if let Ok(Err(error)) = dropped.join() {
            eprintln!("could not drop the test schema `{}`: {error}", self.schema);
        }
    }
}

/// A store in a fresh schema, dropped with its last clone (the guard, `scratch`).
pub type TestStore = Guarded<PostgresStore, Scratch>;

/// A store in a fresh schema named after `tag`; fails the test when the server cannot be reached.
pub async fn test_store(tag: &str) -> TestStore {
    let schema = unique_schema(tag);
    let scratch = Scratch { schema: schema.clone() };
    let store = PostgresStore::connect(&schema_url(&schema)).await.unwrap_or_else(|error| {
        panic!("the PostgreSQL tests need a server at `{}` (set FACTUM_TEST_POSTGRES): {error}", url())
    });
    Guarded::new(store, scratch)
}

/// Another store on the schema of `store`, as another process would connect.
pub async fn reconnect(store: &TestStore) -> PostgresStore {
    PostgresStore::connect(&schema_url(&store.guard.schema)).await.expect("the schema reconnects")
}
