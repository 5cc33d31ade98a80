//! Tests of `ProjectionRunner` (at least once, checkpoint in the store or held by the runner): it passes over events
//! it does not subscribe to, stops at a subscribed event it cannot read or whose handler fails (naming it, with the
//! checkpoint at it), resumes from the checkpoint, and rebuilds from the start reporting progress.

mod common;

use std::collections::BTreeMap;

use common::*;
use factum::store::memory::MemoryStore;
use factum::{
    ApplyError, CheckpointStore, DecodeErrorKind, Envelope, EventSet, EventStore, ExpectedVersion, Metadata, NewEvent,
    Progress, Projection, ProjectionError, ProjectionRunner, PROJECTION_BATCH,
};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime").block_on(future)
}

/// The events the balance projection subscribes to: money in and out, not opening or closing.
#[derive(Debug, Clone, PartialEq)]
enum MoneyEvent {
    Deposited(Deposited),
    Withdrawn(Withdrawn),
}

impl EventSet for MoneyEvent {
    const NAMES: &'static [&'static str] = &["Deposited", "Withdrawn"];

    fn name(&self) -> &'static str {
        match self {
            MoneyEvent::Deposited(_) => "Deposited",
            MoneyEvent::Withdrawn(_) => "Withdrawn",
        }
    }

    fn version(&self) -> u32 {
        1
    }

    fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            MoneyEvent::Deposited(event) => factum::encode_payload(event),
            MoneyEvent::Withdrawn(event) => factum::encode_payload(event),
        }
    }

    fn decode(name: &str, version: u32, payload: &[u8]) -> Result<Self, DecodeErrorKind> {
        // The account's own decoding, narrowed to the subscribed events.
        match AccountEvent::decode(name, version, payload)? {
            AccountEvent::Deposited(event) => Ok(MoneyEvent::Deposited(event)),
            AccountEvent::Withdrawn(event) => Ok(MoneyEvent::Withdrawn(event)),
            _ => Err(DecodeErrorKind::UnknownEvent { name: name.into() }),
        }
    }
}

/// Balances per stream, and the positions of the events applied.
#[derive(Debug, Default)]
struct Balances {
    balances: BTreeMap<String, i64>,
    applied: Vec<u64>,
    /// The handler fails for a withdrawal of this amount.
    refuse_withdrawal_of: Option<i64>,
    /// The handler fails once for the event at each of these positions, as a flaky downstream system would.
    fail_once_at: std::collections::BTreeSet<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error("refused to apply a withdrawal of {0}")]
struct Refused(i64);

impl Projection for Balances {
    const NAME: &'static str = "Balances";
    type Event = MoneyEvent;
    type Error = Refused;

    fn setup(&mut self, _: &()) -> Result<(), Refused> {
        Ok(())
    }

    fn reset(&mut self, _: &()) -> Result<(), Refused> {
        self.balances.clear();
        self.applied.clear();
        Ok(())
    }

    fn apply(&mut self, _: &(), event: &MoneyEvent, envelope: &Envelope) -> Result<(), ApplyError<Refused>> {
        let change = match event {
            MoneyEvent::Deposited(deposited) => deposited.amount,
            MoneyEvent::Withdrawn(withdrawn) if Some(withdrawn.amount) == self.refuse_withdrawal_of => {
                return Err(ApplyError::Handler(Refused(withdrawn.amount)))
            }
            MoneyEvent::Withdrawn(withdrawn) => -withdrawn.amount,
        };
        if self.fail_once_at.remove(&envelope.position) {
            return Err(ApplyError::Handler(Refused(change)));
        }
        *self.balances.entry(envelope.stream_id.clone()).or_default() += change;
        self.applied.push(envelope.position);
        Ok(())
    }
}

fn new_event(event: &AccountEvent) -> NewEvent {
    NewEvent::encode(event, Metadata::default()).expect("account events encode")
}

fn raw_event(name: &str, version: u32, payload: &str) -> NewEvent {
    NewEvent::new(name, version, payload)
}

async fn append(store: &MemoryStore, stream_id: &str, events: Vec<NewEvent>) {
    store.append(stream_id, ExpectedVersion::Any, events).await.unwrap();
}

#[test]
fn unsubscribed_events_are_passed_over() {
    block_on(async {
        let store = MemoryStore::new();
        append(&store, "Account-1", vec![new_event(&opened("ada")), new_event(&deposited(10))]).await;
        // An event no one here knows, not even with a readable payload: not subscribed, so never decoded.
        append(&store, "Audit", vec![raw_event("Audited", 7, "not json")]).await;
        append(&store, "Account-2", vec![new_event(&opened("bob")), new_event(&deposited(5))]).await;
        append(&store, "Account-1", vec![new_event(&withdrawn(4)), new_event(&closed())]).await;

        let mut runner = ProjectionRunner::new(&store, Balances::default());
        assert_eq!(runner.catch_up().await.unwrap(), 8);
        assert_eq!(store.checkpoint("Balances").await.unwrap(), 8, "the checkpoint is kept in the store");
        let balances = runner.into_projection();
        assert_eq!(balances.applied, [2, 5, 6]);
        assert_eq!(balances.balances, BTreeMap::from([("Account-1".into(), 6), ("Account-2".into(), 5)]));
    });
}

#[test]
fn an_unreadable_subscribed_event_stops_the_run_where_it_is() {
    let cases: Vec<(NewEvent, DecodeErrorKind)> = vec![
        (
            raw_event("Deposited", 1, r#"{"amount":true}"#),
            DecodeErrorKind::MalformedPayload {
                message: "invalid type: boolean `true`, expected i64 at line 1 column 14".into(),
            },
        ),
        (
            raw_event("Withdrawn", 3, r#"{"amount":1}"#),
            DecodeErrorKind::UnknownVersion { name: "Withdrawn".into(), version: 3, known: "v1".into() },
        ),
    ];
    for (unreadable, kind) in cases {
        block_on(async {
            let store = MemoryStore::new();
            append(&store, "Account-1", vec![new_event(&opened("ada")), new_event(&deposited(10))]).await;
            append(&store, "Account-2", vec![new_event(&deposited(3)), unreadable.clone(), new_event(&deposited(1))])
                .await;

            let mut runner = ProjectionRunner::new(&store, Balances::default());
            for run in ["the first run", "a restart"] {
                match runner.catch_up().await {
                    Err(ProjectionError::Decode { projection, event, kind: found }) => {
                        assert_eq!((projection, found), ("Balances", kind.clone()));
                        assert_eq!(
                            (event.stream_id.as_str(), event.stream_version, event.position),
                            ("Account-2", 2, 4)
                        );
                        assert_eq!(event.event_id, unreadable.event_id);
                        assert_eq!(
                            (event.event_name, event.event_version),
                            (unreadable.event_name.clone(), unreadable.event_version)
                        );
                    }
                    other => panic!("{run}: expected a decode error, got {other:?}"),
                }
                assert_eq!(store.checkpoint("Balances").await.unwrap(), 4, "{run}: the checkpoint is at the event");
                assert_eq!(runner.projection().applied, [2, 3], "{run}: before it applied once, none after");
            }
        });
    }
}

#[test]
fn a_failing_handler_stops_the_run_and_a_restart_resumes_at_the_event() {
    block_on(async {
        let store = MemoryStore::new();
        let events = [opened("ada"), deposited(10), deposited(1), withdrawn(3), withdrawn(4)];
        append(&store, "Account-1", events.iter().map(new_event).collect()).await;
        let balances = Balances { refuse_withdrawal_of: Some(3), ..Balances::default() };
        let mut runner = ProjectionRunner::new(&store, balances).batch_size(2);
        let error = runner.catch_up().await.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "projection `Balances` failed to handle event `Withdrawn` v1 at global position 4 (id {}, stream \
                 `Account-1` version 4): refused to apply a withdrawal of 3",
                error.event().unwrap().event_id
            )
        );
        assert!(matches!(error, ProjectionError::Handler { source: Refused(3), .. }));
        assert_eq!(runner.projection().applied, [2, 3]);
        assert_eq!(runner.checkpoint().await.unwrap(), 4);

        // The handler is fixed; the restart starts at the failed event and applies each event once.
        runner.projection_mut().refuse_withdrawal_of = None;
        assert_eq!(runner.catch_up().await.unwrap(), 6);
        assert_eq!(runner.projection().applied, [2, 3, 4, 5]);
        assert_eq!(runner.projection().balances["Account-1"], 4);
    });
}

#[test]
fn a_run_resumes_from_the_checkpoint() {
    block_on(async {
        let store = MemoryStore::new();
        let mut runner = ProjectionRunner::new(&store, Balances::default());
        assert_eq!(runner.catch_up().await.unwrap(), 1, "an empty log");

        // More than one batch, so the run has to page through the log.
        let first_run = PROJECTION_BATCH * 2 + 10;
        append(&store, "Account-1", (0..first_run).map(|_| new_event(&deposited(1))).collect()).await;
        let next = runner.catch_up().await.unwrap();
        assert_eq!(next, first_run as u64 + 1);
        assert_eq!(runner.projection().applied, (1..=first_run as u64).collect::<Vec<_>>());

        assert_eq!(runner.catch_up().await.unwrap(), next, "nothing new");
        append(&store, "Account-2", vec![new_event(&opened("bob")), new_event(&deposited(7))]).await;
        // A new runner (a restart) continues from the stored checkpoint, with what the old one built.
        let mut restarted = ProjectionRunner::new(&store, runner.into_projection());
        assert_eq!(restarted.catch_up().await.unwrap(), next + 2);
        let balances = restarted.into_projection();
        assert_eq!(balances.applied.len(), first_run + 1, "only the new deposit is applied");
        assert_eq!(
            balances.balances,
            BTreeMap::from([("Account-1".into(), first_run as i64), ("Account-2".into(), 7)])
        );
    });
}

#[test]
fn a_held_checkpoint_leaves_the_store_alone() {
    block_on(async {
        let store = MemoryStore::new();
        append(&store, "Account-1", vec![new_event(&deposited(2))]).await;
        store.save_checkpoint("Balances", 100).await.unwrap();
        let mut runner = ProjectionRunner::held(&store, Balances::default());
        assert_eq!(runner.catch_up().await.unwrap(), 2, "a held checkpoint starts at the beginning");
        assert_eq!(runner.projection().applied, [1]);
        assert_eq!(store.checkpoint("Balances").await.unwrap(), 100);
    });
}

#[test]
fn a_rebuild_resets_and_replays_reporting_progress() {
    block_on(async {
        let store = MemoryStore::new();
        append(&store, "Account-1", (0..10).map(|_| new_event(&deposited(1))).collect()).await;
        append(&store, "Account-1", vec![new_event(&closed())]).await;
        let mut runner = ProjectionRunner::new(&store, Balances::default()).batch_size(4);
        runner.catch_up().await.unwrap();
        let mut reports: Vec<Progress> = Vec::new();
        assert_eq!(runner.rebuild(|progress| reports.push(*progress)).await.unwrap(), 12);
        let done: Vec<(u64, u64, u64)> =
            reports.iter().map(|progress| (progress.done, progress.total, progress.next_position)).collect();
        assert_eq!(done, [(4, 10, 5), (8, 10, 9), (10, 10, 12)]);
        assert_eq!(reports.last().unwrap().fraction(), 1.0);
        assert_eq!(runner.projection().applied, (1..=10).collect::<Vec<_>>(), "each event once, after the reset");
        assert_eq!(runner.projection().balances["Account-1"], 10);
    });
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// However the log is batched and wherever handlers fail (each failure followed by a restart), the runner ends
    /// where a clean run ends, having applied every event exactly once and in order.
    #[test]
    fn failures_and_restarts_end_where_a_clean_run_ends(
        amounts in proptest::collection::vec((0usize..3, -20i64..20), 0..60),
        batch in 1usize..9,
        failures in proptest::collection::btree_set(1u64..80, 0..8),
    ) {
        block_on(async {
            let store = MemoryStore::new();
            for (account, amount) in &amounts {
                let event = if *amount >= 0 { deposited(*amount) } else { withdrawn(-*amount) };
                append(&store, &format!("Account-{account}"), vec![new_event(&event)]).await;
            }
            let mut clean = ProjectionRunner::held(&store, Balances::default());
            let end = clean.catch_up().await.unwrap();

            let flaky = Balances { fail_once_at: failures.clone(), ..Balances::default() };
            let mut runner = ProjectionRunner::new(&store, flaky).batch_size(batch);
            let mut restarts = 0;
            let reached = loop {
                match runner.catch_up().await {
                    Ok(next) => break next,
                    Err(ProjectionError::Handler { event, .. }) => {
                        assert!(failures.contains(&event.position));
                        assert_eq!(runner.checkpoint().await.unwrap(), event.position);
                        restarts += 1;
                    }
                    Err(other) => panic!("unexpected error: {other}"),
                }
            };
            assert_eq!(reached, end);
            assert_eq!(restarts, failures.iter().filter(|position| **position < end).count());
            let (flaky, clean) = (runner.into_projection(), clean.into_projection());
            assert_eq!(flaky.applied, clean.applied, "every event once, in order");
            assert_eq!(flaky.balances, clean.balances);
        });
    }
}
