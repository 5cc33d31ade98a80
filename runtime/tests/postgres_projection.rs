//! Tests of the PostgreSQL `TransactionalRunner` against the real server: the read model's tables and the checkpoint
//! commit together, a failing handler rolls its batch back and names the event with the events before it applied
//! once, a restart resumes from the checkpoint, runners of one projection in two connections (as two processes) take
//! turns while writers append, a rebuild starts over, and `follow` applies commits live.
#![cfg(feature = "postgres")]

mod common;
mod postgres_support;

use std::time::Duration;

use common::*;
use factum::store::postgres::{tokio_postgres, ProjectionTransaction, TransactionalRunner};
use factum::{
    Aggregate, ApplyError, Envelope, EventStore, ExpectedVersion, Metadata, NewEvent, Projection, ProjectionError,
};
use postgres_support::{reconnect, test_store, TestStore};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(future)
}

/// Balances per account in a table, and every applied position in another, whose primary key refuses an event
/// applied twice.
#[derive(Debug, Default)]
struct Balances {
    /// The handler fails for a withdrawal of this amount, after writing its update.
    refuse_withdrawal_of: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
enum BalanceError {
    #[error("refused to apply a withdrawal of {0}")]
    Refused(i64),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

impl Projection<ProjectionTransaction> for Balances {
    const NAME: &'static str = "Balances";
    type Event = AccountEvent;
    type Error = BalanceError;

    fn setup(&mut self, db: &ProjectionTransaction) -> Result<(), BalanceError> {
        db.batch_execute(
            "CREATE TABLE IF NOT EXISTS balances (account bigint PRIMARY KEY, balance bigint NOT NULL);
             CREATE TABLE IF NOT EXISTS applied (position bigint PRIMARY KEY);",
        )?;
        Ok(())
    }

    fn reset(&mut self, db: &ProjectionTransaction) -> Result<(), BalanceError> {
        db.batch_execute("DROP TABLE IF EXISTS balances; DROP TABLE IF EXISTS applied;")?;
        Ok(())
    }

    fn apply(
        &mut self,
        db: &ProjectionTransaction,
        event: &AccountEvent,
        envelope: &Envelope,
    ) -> Result<(), ApplyError<BalanceError>> {
        let account = i64::from(Account::parse_stream_id(&envelope.stream_id)?);
        let change = match event {
            AccountEvent::Deposited(deposited) => deposited.amount,
            AccountEvent::Withdrawn(withdrawn) => -withdrawn.amount,
            AccountEvent::Opened(_) | AccountEvent::Closed(_) => 0,
        };
        let sql = "INSERT INTO balances (account, balance) VALUES ($1, $2) \
                   ON CONFLICT (account) DO UPDATE SET balance = balances.balance + excluded.balance";
        let handled = db
            .execute(sql, &[&account, &change])
            .and_then(|_| db.execute("INSERT INTO applied (position) VALUES ($1)", &[&(envelope.position as i64)]));
        handled.map_err(|error| ApplyError::Handler(error.into()))?;
        if self.refuse_withdrawal_of == Some(-change) {
            return Err(ApplyError::Handler(BalanceError::Refused(-change)));
        }
        Ok(())
    }
}

/// The tables, read back: balances by account, and the applied positions in order.
async fn tables(store: &TestStore) -> (Vec<(i64, i64)>, Vec<u64>) {
    let client = store.store.pool().get().await.unwrap();
    let schema = store.guard.name();
    let balances = format!("SELECT account, balance FROM {schema}.balances ORDER BY account");
    let balances = client.query(&balances, &[]).await.unwrap().iter().map(|row| (row.get(0), row.get(1))).collect();
    let applied = format!("SELECT position FROM {schema}.applied ORDER BY position");
    let applied = client.query(&applied, &[]).await.unwrap().iter().map(|row| row.get::<_, i64>(0) as u64).collect();
    (balances, applied)
}

fn new_event(event: &AccountEvent) -> NewEvent {
    NewEvent::encode(event, Metadata::default()).expect("account events encode")
}

/// The positions of the whole log.
async fn positions(store: &TestStore) -> Vec<u64> {
    let log = store.read_all(&factum::LogQuery::all()).await.unwrap();
    log.iter().map(|event| event.envelope.position).collect()
}

#[test]
fn batches_apply_once_a_failure_stops_at_its_event_and_a_restart_resumes() {
    block_on(async {
        let store = test_store("projection").await;
        let events = [opened("ada"), deposited(10), deposited(1), withdrawn(3), withdrawn(4)];
        store.append("Account-1", ExpectedVersion::NoStream, events.iter().map(new_event).collect()).await.unwrap();
        store.append("Account-2", ExpectedVersion::NoStream, vec![new_event(&deposited(5))]).await.unwrap();
        let p = positions(&store).await;

        let refusing = Balances { refuse_withdrawal_of: Some(4) };
        let mut runner = TransactionalRunner::new(store.store.clone(), refusing).batch_size(3);
        let error = runner.catch_up().await.unwrap_err();
        match &error {
            ProjectionError::Handler { event, source: BalanceError::Refused(4), .. } => {
                assert_eq!((event.position, event.stream_version), (p[4], 5));
            }
            other => panic!("expected a handler error, got {other:?}"),
        }
        // The second batch stopped at its second event: the first is applied, once, and the checkpoint is at the
        // failing event.
        assert_eq!(runner.checkpoint().await.unwrap(), p[4]);
        assert_eq!(tables(&store).await, (vec![(1, 8)], p[..4].to_vec()));
        runner.catch_up().await.unwrap_err();
        assert_eq!(tables(&store).await, (vec![(1, 8)], p[..4].to_vec()), "failing again changes nothing");

        // A restart, on another connection as another process would make, continues from the checkpoint.
        drop(runner);
        let mut restarted = TransactionalRunner::new(reconnect(&store).await, Balances::default()).batch_size(2);
        let next = restarted.catch_up().await.unwrap();
        assert!(next > p[5], "the checkpoint {next} is past the last event");
        // Nothing new: nothing is applied (the checkpoint may move on with the watermark, never back).
        assert!(restarted.catch_up().await.unwrap() >= next);
        assert_eq!(tables(&store).await, (vec![(1, 4), (2, 5)], p.clone()));

        // A rebuild starts over, and ends where a catch-up would.
        let mut reported = Vec::new();
        let rebuilt = restarted.rebuild(|progress| reported.push((progress.done, progress.total))).await.unwrap();
        assert!(rebuilt >= next);
        assert_eq!(reported, [(2, 6), (4, 6), (6, 6), (6, 6)]);
        assert_eq!(tables(&store).await, (vec![(1, 4), (2, 5)], p));
    });
}

#[test]
fn runners_in_two_connections_take_turns_while_writers_append_and_follow_applies_live() {
    block_on(async {
        let store = test_store("projection_turns").await;
        let writers: Vec<_> = (1..=4u32)
            .map(|account| {
                let store = store.clone();
                tokio::spawn(async move {
                    let stream = Account::stream_id(&account);
                    store.append(&stream, ExpectedVersion::NoStream, vec![new_event(&opened("x"))]).await.unwrap();
                    for round in 0..15 {
                        let events = vec![new_event(&deposited(1)), new_event(&deposited(2))];
                        store.append(&stream, ExpectedVersion::Exact(1 + round * 2), events).await.unwrap();
                    }
                })
            })
            .collect();
        let mut runners = Vec::new();
        for _ in 0..2 {
            let mut runner = TransactionalRunner::new(reconnect(&store).await, Balances::default()).batch_size(7);
            runners.push(tokio::spawn(async move {
                for _ in 0..20 {
                    runner.catch_up().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
                runner
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
        let mut runners: Vec<_> = futures_join(runners).await;
        runners[0].catch_up().await.unwrap();
        let expected_balances: Vec<(i64, i64)> = (1..=4).map(|account| (account, 45)).collect();
        assert_eq!(tables(&store).await, (expected_balances, positions(&store).await));

        // Following: an append by another connection is applied without a further call.
        let mut follower = runners.pop().unwrap();
        let following = tokio::spawn(async move { follower.follow().await });
        let other = reconnect(&store).await;
        other.append(&Account::stream_id(&9), ExpectedVersion::NoStream, vec![new_event(&deposited(7))]).await.unwrap();
        let mut seen = false;
        for _ in 0..200 {
            if tables(&store).await.0.contains(&(9, 7)) {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        following.abort();
        assert!(seen, "the follower did not apply the new event");
    });
}

/// Awaits every task, in order.
async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut done = Vec::new();
    for task in tasks {
        done.push(task.await.unwrap());
    }
    done
}
