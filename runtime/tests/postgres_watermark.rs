//! The PostgreSQL store's positions are safe for followers without a global write lock: while appends hold their
//! transactions open (blocked at their insert by another session, after they took their transaction ids) and
//! other appends commit past them with higher positions, a follower reading with `fold_all` and waiting with
//! `wait_for_events` sees every event exactly once, in position order. A naive follower that reads past the last
//! position it saw, without the watermark, skips the late commits: the test checks that too, so that it proves the
//! race happened.
#![cfg(feature = "postgres")]

mod postgres_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use factum::store::postgres::tokio_postgres;
use factum::store::LogQuery;
use factum::{EventStore, ExpectedVersion, NewEvent, StoreError};
use postgres_support::test_store;

/// Streams whose appends are held, and streams whose appends commit freely, per round.
const HELD: usize = 6;
const FREE: usize = 12;
/// How long each round holds its appends: shorter than a read's settling, and longer (a read then returns what is
/// final without them).
const HOLDS: [Duration; 3] = [Duration::from_millis(50), Duration::from_millis(300), Duration::from_millis(1300)];

async fn connect() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&postgres_support::url(), tokio_postgres::NoTls)
        .await
        .expect("the PostgreSQL tests need the server at FACTUM_TEST_POSTGRES");
    tokio::spawn(connection);
    client
}

fn two_events(name: &str) -> Vec<NewEvent> {
    vec![NewEvent::new(name, 1, "{}"), NewEvent::new(name, 1, "{}")]
}

#[test]
fn a_follower_sees_late_commits_with_lower_positions_once_and_in_order() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    runtime.block_on(async {
        let store = test_store("watermark").await;
        let schema = store.guard.name().to_owned();
        for held in 0..HELD {
            store.append(&format!("Held-{held}"), ExpectedVersion::NoStream, two_events("Opened")).await.unwrap();
        }
        let expected = HELD * 2 + HOLDS.len() * (HELD + FREE) * 2;

        // The follower under test, and a naive one polling the table past the last position it saw.
        let follower = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut seen: Vec<u64> = Vec::new();
                let mut next_position = 1;
                while seen.len() < expected {
                    let query = LogQuery::from_position(next_position).limit(5);
                    let folded = store
                        .fold_all(&query, (), |(), event| {
                            seen.push(event.position);
                            Ok::<_, StoreError>(())
                        })
                        .await
                        .expect("the follower reads");
                    if folded.next_position == next_position {
                        store.wait_for_events(next_position).await.expect("the follower waits");
                    }
                    next_position = folded.next_position;
                }
                seen
            })
        };
        let naive_seen = Arc::new(Mutex::new(Vec::<i64>::new()));
        let naive = {
            let (naive_seen, schema) = (Arc::clone(&naive_seen), schema.clone());
            tokio::spawn(async move {
                let client = connect().await;
                let sql = format!("SELECT position FROM {schema}.events WHERE position > $1 ORDER BY position");
                let mut last = 0i64;
                loop {
                    for row in client.query(&sql, &[&last]).await.unwrap() {
                        last = row.get(0);
                        naive_seen.lock().unwrap().push(last);
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        };

        let mut overtaken = 0;
        for (round, hold) in HOLDS.into_iter().enumerate() {
            // Another session inserts, and keeps uncommitted, rows with the ids the held appends' events will have:
            // each held append moves its stream on (taking its transaction id, so its positions), then waits at its
            // insert for that session to end. The session then rolls back, and the held appends commit.
            let mut locker = connect().await;
            let lock = locker.transaction().await.unwrap();
            let held_ids: Vec<(String, Vec<uuid::Uuid>)> = (0..HELD)
                .map(|held| (format!("Held-{held}"), vec![uuid::Uuid::now_v7(), uuid::Uuid::now_v7()]))
                .collect();
            let ids: Vec<uuid::Uuid> = held_ids.iter().flat_map(|(_, ids)| ids.iter().copied()).collect();
            let positions: Vec<i64> = (1..=ids.len() as i64).map(|index| -index).collect();
            lock.execute(
                &format!(
                    "INSERT INTO {schema}.events (position, stream_id, stream_version, event_name, event_version, \
                     event_id, recorded_at, payload) \
                     SELECT p, 'Locker', -p, 'Lock', 1, id, now(), '' FROM unnest($1::bigint[], $2::uuid[]) AS t(p, id)"
                ),
                &[&positions, &ids],
            )
            .await
            .unwrap();
            let held: Vec<_> = held_ids
                .into_iter()
                .map(|(stream_id, ids)| {
                    let store = store.clone();
                    let events = two_events("Late").into_iter().zip(ids).map(|(event, id)| event.with_id(id)).collect();
                    tokio::spawn(async move { store.append(&stream_id, ExpectedVersion::Any, events).await })
                })
                .collect();
            // Give the held appends time to take their ids and block, then commit the free ones past them.
            tokio::time::sleep(Duration::from_millis(30)).await;
            let mut free_positions = Vec::new();
            for free in 0..FREE {
                let stream_id = format!("Free-{round}-{free}");
                let outcome = store.append(&stream_id, ExpectedVersion::NoStream, two_events("Early")).await.unwrap();
                free_positions.push(outcome.position);
            }
            tokio::time::sleep(hold).await;
            lock.rollback().await.unwrap();
            for append in held {
                let outcome = append.await.unwrap().expect("a held append commits once released");
                overtaken += free_positions.iter().filter(|free| **free > outcome.position).count();
            }
        }
        let seen =
            tokio::time::timeout(Duration::from_secs(15), follower).await.expect("the follower finishes").unwrap();
        naive.abort();

        assert!(
            overtaken > 0,
            "no held append committed with a lower position than a free one: the race did not happen"
        );
        assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "the follower saw positions out of order: {seen:?}");
        let log: Vec<u64> =
            store.read_all(&LogQuery::all()).await.unwrap().iter().map(|event| event.envelope.position).collect();
        assert_eq!(log.len(), expected);
        assert_eq!(seen, log, "the follower must see every event once");
        let naive_seen = naive_seen.lock().unwrap().len();
        assert!(naive_seen < expected, "the naive follower saw all {naive_seen} events: nothing committed late");
    });
}
