//! Tests of `run_projection`: it passes over events it does not subscribe to, stops at a subscribed event it cannot
//! read (saying where), and resumes from the position it returned.

mod common;

use std::collections::BTreeMap;

use common::*;
use factum::store::memory::MemoryStore;
use factum::{
    run_projection, DecodeErrorKind, Envelope, EventSet, EventStore, ExpectedVersion, Metadata, NewEvent, Projection,
    ProjectionError, PROJECTION_BATCH,
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
}

#[derive(Debug, thiserror::Error)]
#[error("refused to apply a withdrawal of {0}")]
struct Refused(i64);

impl Projection for Balances {
    type Event = MoneyEvent;
    type Error = Refused;

    fn apply(&mut self, event: &MoneyEvent, envelope: &Envelope) -> Result<(), Refused> {
        let change = match event {
            MoneyEvent::Deposited(deposited) => deposited.amount,
            MoneyEvent::Withdrawn(withdrawn) if Some(withdrawn.amount) == self.refuse_withdrawal_of => {
                return Err(Refused(withdrawn.amount))
            }
            MoneyEvent::Withdrawn(withdrawn) => -withdrawn.amount,
        };
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

        let mut balances = Balances::default();
        let next = run_projection(&store, &mut balances, 0).await.unwrap();
        assert_eq!(next, 8);
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

            let mut balances = Balances::default();
            match run_projection(&store, &mut balances, 1).await {
                Err(ProjectionError::Decode(error)) => {
                    assert_eq!(error.kind, kind);
                    assert_eq!((error.stream_id.as_str(), error.stream_version, error.position), ("Account-2", 2, 4));
                    assert_eq!(
                        (error.event_name, error.event_version),
                        (unreadable.event_name, unreadable.event_version)
                    );
                }
                other => panic!("expected a decode error, got {other:?}"),
            }
            assert_eq!(balances.applied, [2, 3], "events before the unreadable one are applied, none after");
        });
    }
}

#[test]
fn a_failing_handler_stops_the_run_at_its_position() {
    block_on(async {
        let store = MemoryStore::new();
        let events = [opened("ada"), deposited(10), withdrawn(3), withdrawn(4)];
        append(&store, "Account-1", events.iter().map(new_event).collect()).await;
        let mut balances = Balances { refuse_withdrawal_of: Some(3), ..Balances::default() };
        match run_projection(&store, &mut balances, 1).await {
            Err(ProjectionError::Handler { position, source }) => assert_eq!((position, source.0), (3, 3)),
            other => panic!("expected a handler error, got {other:?}"),
        }
        assert_eq!(balances.applied, [2]);
    });
}

#[test]
fn a_run_resumes_from_the_position_it_returned() {
    block_on(async {
        let store = MemoryStore::new();
        let mut balances = Balances::default();
        assert_eq!(run_projection(&store, &mut balances, 0).await.unwrap(), 1, "an empty log");

        // More than one batch, so the run has to page through the log.
        let first_run = PROJECTION_BATCH * 2 + 10;
        append(&store, "Account-1", (0..first_run).map(|_| new_event(&deposited(1))).collect()).await;
        let next = run_projection(&store, &mut balances, 1).await.unwrap();
        assert_eq!(next, first_run as u64 + 1);
        assert_eq!(balances.applied, (1..=first_run as u64).collect::<Vec<_>>());

        assert_eq!(run_projection(&store, &mut balances, next).await.unwrap(), next, "nothing new");
        append(&store, "Account-2", vec![new_event(&opened("bob")), new_event(&deposited(7))]).await;
        let after = run_projection(&store, &mut balances, next).await.unwrap();
        assert_eq!(after, next + 2);
        assert_eq!(balances.applied.len(), first_run + 1, "only the new deposit is applied");
        assert_eq!(
            balances.balances,
            BTreeMap::from([("Account-1".into(), first_run as i64), ("Account-2".into(), 7)])
        );
    });
}
