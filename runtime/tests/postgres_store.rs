//! The store conformance suite, run on the PostgreSQL store against the real server (each case in a schema of its
//! own), and the rules only that store has: schemas are checked and migrated, checkpoints and snapshots are kept for
//! every process, a server that is down is a typed error.
#![cfg(feature = "postgres")]

mod postgres_support;

use postgres_support::{reconnect, test_store, unique_schema, ScratchSchema};

mod conformance {
    factum_testkit::store_conformance_tests!(|| async { super::test_store("conformance").await });
}

use factum::store::postgres::{tokio_postgres, PostgresStore, UnsupportedSchemaVersion, SCHEMA_VERSION};
use factum::store::{Snapshot, SnapshotStore};
use factum::{CheckpointStore, EventStore, ExpectedVersion, NewEvent, StoreError, Timestamp};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(future)
}

/// A plain connection to the test server, for looking at what the store wrote.
async fn raw_client() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&postgres_support::url(), tokio_postgres::NoTls)
        .await
        .expect("the PostgreSQL tests need the server at FACTUM_TEST_POSTGRES");
    tokio::spawn(connection);
    client
}

#[test]
fn processes_connecting_at_once_migrate_the_schema_once() {
    block_on(async {
        let scratch = ScratchSchema::new(unique_schema("migrate"));
        let schema = scratch.name();
        let connecting: Vec<_> = (0..4)
            .map(|_| {
                let url = scratch.url();
                tokio::spawn(async move { PostgresStore::connect(&url).await })
            })
            .collect();
        for connected in connecting {
            connected.await.unwrap().expect("every connection migrates or finds the schema migrated");
        }
        let client = raw_client().await;
        let rows = client.query(&format!("SELECT version FROM {schema}.factum_migrations"), &[]).await.unwrap();
        let versions: Vec<i32> = rows.iter().map(|row| row.get(0)).collect();
        assert_eq!(versions, (1..=SCHEMA_VERSION as i32).collect::<Vec<_>>());
    });
}

#[test]
fn a_schema_of_a_newer_layout_is_refused() {
    block_on(async {
        let store = test_store("newer").await;
        let schema = store.guard.name();
        let client = raw_client().await;
        client.execute(&format!("INSERT INTO {schema}.factum_migrations (version) VALUES (99)"), &[]).await.unwrap();
        let refused = PostgresStore::connect(&store.guard.url()).await.expect_err("a newer layout is refused");
        let StoreError::Backend(source) = &refused else { panic!("not a backend error: {refused:?}") };
        let newer = source.downcast_ref::<UnsupportedSchemaVersion>().expect("an unsupported schema version");
        assert_eq!((newer.found, newer.supported), (99, SCHEMA_VERSION));
    });
}

#[test]
fn a_server_that_cannot_be_reached_is_a_transient_error() {
    block_on(async {
        // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
        let refused = PostgresStore::connect("postgres://postgres@127.0.0.1:1/test").await;
        assert!(matches!(refused, Err(StoreError::Transient(_))), "{refused:?}");
        // The message names the server, so that a user sees which one is down.
        let message = std::error::Error::source(&refused.expect_err("refused")).expect("a cause").to_string();
        assert!(message.starts_with("cannot connect to the PostgreSQL server at 127.0.0.1:1: "), "{message}");
        // A database the server does not have is refused, not busy: no retry makes it appear.
        let missing = PostgresStore::connect(&format!("{}_missing", postgres_support::url())).await;
        let missing = missing.expect_err("no such database");
        assert!(matches!(missing, StoreError::Backend(_)), "{missing:?}");
        let message = std::error::Error::source(&missing).expect("a cause").to_string();
        assert!(message.starts_with("cannot connect to the PostgreSQL server at "), "{message}");
        let bad_schema = PostgresStore::connect("postgres://postgres@127.0.0.1:1/test?schema=No").await;
        assert!(matches!(bad_schema, Err(StoreError::Backend(_))), "{bad_schema:?}");
    });
}

fn snapshot(stream_version: u64, fingerprint: &str) -> Snapshot {
    Snapshot {
        stream_version,
        fingerprint: fingerprint.to_owned(),
        state: format!("{{\"v\":{stream_version}}}").into_bytes(),
        taken_at: Timestamp::from_timestamp_micros(1_700_000_000_000_000).unwrap(),
    }
}

#[test]
fn checkpoints_and_snapshots_are_kept_for_every_connection() {
    block_on(async {
        let store = test_store("tables").await;
        let events = (0..5).map(|index| NewEvent::new("Counted", 1, index.to_string())).collect();
        store.append("Counter-1", ExpectedVersion::NoStream, events).await.unwrap();
        store.save_checkpoint("a", 7).await.unwrap();
        store.save_checkpoint("b", 3).await.unwrap();
        store.reset_checkpoint("b").await.unwrap();
        store.save_snapshot("Counter-1", snapshot(4, "f1")).await.unwrap();
        // An older snapshot of the same shape never replaces a newer one; one past the stream's end is not handed out.
        store.save_snapshot("Counter-1", snapshot(2, "f1")).await.unwrap();
        store.save_snapshot("Counter-2", snapshot(3, "f1")).await.unwrap();

        let other = reconnect(&store).await;
        let checkpoints = (other.checkpoint("a").await.unwrap(), other.checkpoint("b").await.unwrap());
        assert_eq!(checkpoints, (7, 1));
        assert_eq!(other.load_snapshot("Counter-1").await.unwrap(), Some(snapshot(4, "f1")));
        assert_eq!(other.load_snapshot("Counter-2").await.unwrap(), None);
        // A snapshot of another shape replaces it, whatever its version.
        other.save_snapshot("Counter-1", snapshot(1, "f2")).await.unwrap();
        assert_eq!(store.load_snapshot("Counter-1").await.unwrap(), Some(snapshot(1, "f2")));
    });
}

#[test]
fn postgres_urls_connect_through_any_store() {
    use factum::store::{AnyStore, StoreUrlError};
    block_on(async {
        let scratch = ScratchSchema::new(unique_schema("any"));
        let (schema, url) = (scratch.name(), scratch.url());
        let store = AnyStore::connect(&url).await.expect("a postgres URL connects");
        let AnyStore::Postgres(postgres) = &store else { panic!("not a PostgreSQL store: {store:?}") };
        assert_eq!(postgres.schema(), schema);
        store.append("A", ExpectedVersion::NoStream, vec![NewEvent::new("E", 1, "{}")]).await.unwrap();
        store.save_checkpoint("p", 2).await.unwrap();
        let other = AnyStore::connect(&url.replacen("postgres://", "postgresql://", 1)).await.unwrap();
        assert_eq!((other.stream_version("A").await.unwrap(), other.checkpoint("p").await.unwrap()), (1, 2));

        let not_awaited = AnyStore::open(&url).expect_err("`open` does not connect");
        assert!(matches!(not_awaited, StoreUrlError::NeedsConnect { .. }), "{not_awaited}");
        let bad = AnyStore::connect("postgres://127.0.0.1/test?schema=Bad").await.expect_err("a bad schema name");
        assert!(bad.to_string().contains("`Bad` is not a schema name the store accepts"), "{bad}");
    });
}
