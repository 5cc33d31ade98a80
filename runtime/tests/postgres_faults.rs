//! The PostgreSQL store when the server drops its connections: an append whose connection is killed mid-way is a
//! typed transient error and writes nothing, the pool replaces the dead connections, and live followers keep waking
//! while their listening connection is killed and comes back.
#![cfg(feature = "postgres")]

mod postgres_support;

use std::time::Duration;

use factum::store::postgres::tokio_postgres;
use factum::store::{LogQuery, StreamAppend};
use factum::{EventStore, ExpectedVersion, NewEvent, StoreError};
use postgres_support::{reconnect, test_store};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(future)
}

async fn connect() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&postgres_support::url(), tokio_postgres::NoTls)
        .await
        .expect("the PostgreSQL tests need the server at FACTUM_TEST_POSTGRES");
    tokio::spawn(connection);
    client
}

/// Kills every other backend whose last statement matches `pattern` (a `LIKE` pattern) and is in `states`; returns
/// how many.
async fn terminate(client: &tokio_postgres::Client, pattern: &str, states: &[&str]) -> usize {
    let states: Vec<String> = states.iter().map(|state| (*state).to_owned()).collect();
    let rows = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND query LIKE $1 AND state = ANY($2)",
            &[&pattern, &states],
        )
        .await
        .unwrap();
    rows.len()
}

/// Kills the listening connection of the store on `schema`; returns how many connections were killed.
async fn terminate_listener(client: &tokio_postgres::Client, schema: &str) -> usize {
    let name = format!("factum listener {schema}");
    let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1";
    client.query(sql, &[&name]).await.unwrap().len()
}

fn events(name: &str, count: usize) -> Vec<NewEvent> {
    (0..count).map(|index| NewEvent::new(name, 1, index.to_string())).collect()
}

#[test]
fn an_append_whose_connection_is_killed_is_transient_writes_nothing_and_the_pool_recovers() {
    // One stream's append is one statement; a batch of two streams, a transaction of several.
    killed_append(false);
    killed_append(true);
}

fn killed_append(batch: bool) {
    block_on(async {
        let store = test_store(if batch { "killed_batch" } else { "killed" }).await;
        let schema = store.guard.name().to_owned();
        store.append("Account-1", ExpectedVersion::NoStream, events("Opened", 1)).await.unwrap();

        // Another session keeps uncommitted a row with the id of the append's second event: the append moves its
        // stream on, then waits at its insert, where its connection is killed.
        let mut admin = connect().await;
        let lock = admin.transaction().await.unwrap();
        let appended = events("Deposited", 2);
        let blocking_id = appended[1].event_id;
        lock.execute(
            &format!(
                "INSERT INTO {schema}.events (position, stream_id, stream_version, event_name, event_version, \
                 event_id, recorded_at, payload) VALUES (-1, 'Locker', 1, 'Lock', 1, $1, now(), '')"
            ),
            &[&blocking_id],
        )
        .await
        .unwrap();
        let append = {
            let store = store.clone();
            tokio::spawn(async move {
                if batch {
                    let appends = vec![
                        StreamAppend::new("Other-1", ExpectedVersion::NoStream, events("Opened", 1)),
                        StreamAppend::new("Account-1", ExpectedVersion::Exact(1), appended),
                    ];
                    store.append_batch(appends).await.map(|_| ())
                } else {
                    store.append("Account-1", ExpectedVersion::Exact(1), appended).await.map(|_| ())
                }
            })
        };
        let observer = connect().await;
        let pattern = format!("%INSERT INTO {schema}.events%");
        let mut killed = 0;
        for _ in 0..200 {
            killed = terminate(&observer, &pattern, &["active"]).await;
            if killed > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(killed, 1, "the append's connection (batch: {batch}) was never seen waiting at its insert");
        let failed = append.await.unwrap();
        assert!(matches!(failed, Err(StoreError::Transient(_))), "a killed connection is transient: {failed:?}");
        lock.rollback().await.unwrap();

        // Nothing of the append is there: the stream is at version 1, the log holds the one event.
        assert_eq!(store.stream_version("Account-1").await.unwrap(), 1);
        assert_eq!(store.stream_version("Other-1").await.unwrap(), 0);
        assert_eq!(store.read_all(&LogQuery::all()).await.unwrap().len(), 1);

        // Every idle connection of the pool is killed too; the next appends get new ones.
        terminate(&observer, &format!("%{schema}%"), &["idle"]).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        for version in 1..4 {
            store.append("Account-1", ExpectedVersion::Exact(version), events("Deposited", 1)).await.unwrap();
        }
        assert_eq!(store.stream_version("Account-1").await.unwrap(), 4);
    });
}

#[test]
fn followers_keep_waking_while_the_listening_connection_is_killed_and_comes_back() {
    block_on(async {
        let store = test_store("listener").await;
        let schema = store.guard.name().to_owned();
        // Commits by another connection of the same schema, as another process would make them.
        let writer = reconnect(&store).await;
        let observer = connect().await;
        let mut next = 1;
        for round in 0..4 {
            let waiter = {
                let store = store.clone();
                tokio::spawn(async move { store.wait_for_events(next).await })
            };
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!waiter.is_finished(), "round {round}: a wait returned before anything was committed");
            if round % 2 == 1 {
                let killed = terminate_listener(&observer, &schema).await;
                assert_eq!(killed, 1, "round {round}: the listening connection is there to be killed");
            }
            let outcome = writer.append(&format!("Stream-{round}"), ExpectedVersion::NoStream, events("E", 1)).await;
            let position = outcome.unwrap().position;
            let woken = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("the wait wakes");
            assert!(woken.unwrap().unwrap() >= position);
            next = position + 1;
            // The listener connects again (its pauses start at a millisecond).
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}
