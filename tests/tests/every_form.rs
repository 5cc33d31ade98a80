//! The code generated for every type and `emits` form: decide flattens each slot into events in order, evolve
//! folds them, every value round-trips through its stored form, and projections see their events only.

use std::convert::Infallible;

use every_form::*;
use factum::{
    store::{memory::MemoryStore, LogQuery},
    testing::AggregateTest,
    types::Bytes,
    AsyncProjectionRunner, CheckpointStore, CommandService, EventContext, EventSet, EventStore, ProjectionRunner,
};

/// The code generated from `schemas/every_form.factum` by `build.rs`.
pub mod every_form {
    factum::include_schema!("every_form");
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the ledger is closed")]
/// The only rejection: closing a closed ledger.
pub struct LedgerClosed;

impl LedgerDecide for Ledger {
    type Error = LedgerClosed;

    fn open(&self, _: &LedgerState, command: Open) -> Result<Opened, LedgerClosed> {
        Ok(Opened { scalars: command.scalars })
    }

    fn note(&self, state: &LedgerState, command: Note) -> Result<Option<Noted>, LedgerClosed> {
        // Only an open ledger takes notes; on a new one the note is dropped.
        Ok(state.opened.then_some(Noted { containers: command.containers }))
    }

    fn flag(&self, _: &LedgerState, command: Flag) -> Result<FlagOutcome, LedgerClosed> {
        Ok(match command.level {
            Level::High => Flagged { level: Level::High }.into(),
            Level::Low => Cleared {}.into(),
        })
    }

    fn close(
        &self,
        state: &LedgerState,
        command: Close,
    ) -> Result<(CloseOutcome, Option<Noted>, Closed), LedgerClosed> {
        if state.closed {
            return Err(LedgerClosed);
        }
        let last_note = (state.notes == 0).then(|| Noted { containers: containers() });
        Ok((Cleared {}.into(), last_note, Closed { reason: command.reason }))
    }
}

impl LedgerEvolve for LedgerState {
    fn opened(&mut self, _: &Opened) {
        self.opened = true;
    }
    fn noted(&mut self, _: &Noted) {
        self.notes += 1;
    }
    fn flagged(&mut self, event: &Flagged) {
        self.level = Some(event.level);
    }
    fn cleared(&mut self, _: &Cleared) {
        self.level = None;
    }
    fn closed(&mut self, _: &Closed) {
        self.closed = true;
    }
}

fn scalars() -> Scalars {
    Scalars {
        flag: true,
        small: -7,
        large: i64::MIN,
        count: u32::MAX,
        total: u64::MAX,
        ratio: 0.25,
        text: "héllo \"world\"".into(),
        blob: Bytes(vec![0, 159, 255]),
        id: "6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5".parse().unwrap(),
        at: "2026-11-25T18:00:00.123456Z".parse().unwrap(),
        day: "2026-02-28".parse().unwrap(),
    }
}

fn containers() -> Containers {
    Containers {
        tags: vec!["a".into(), "b".into()],
        maybe: None,
        maybe_list: Some(vec![Some(1), None, Some(3)]),
        by_name: [("all".to_owned(), vec![scalars(), Scalars::default()])].into(),
        by_level: [(Level::High, 2), (Level::Low, 1)].into(),
    }
}

#[test]
fn one_slot_records_one_event() {
    AggregateTest::<Ledger>::given_no_events()
        .when(Open { scalars: scalars() })
        .then(vec![Opened { scalars: scalars() }.into()])
        .then_state(|state| assert!(state.opened));
}

#[test]
fn an_optional_slot_records_zero_or_one_event() {
    AggregateTest::<Ledger>::given_no_events().when(Note { containers: containers() }).then(vec![]);
    AggregateTest::<Ledger>::given([Opened { scalars: scalars() }.into()])
        .when(Note { containers: containers() })
        .then(vec![Noted { containers: containers() }.into()])
        .then_state(|state| assert_eq!(state.notes, 1));
}

#[test]
fn a_one_of_slot_records_the_chosen_event() {
    AggregateTest::<Ledger>::given_no_events()
        .when(Flag { level: Level::High })
        .then(vec![Flagged { level: Level::High }.into()])
        .then_state(|state| assert_eq!(state.level, Some(Level::High)));
    AggregateTest::<Ledger>::given([Flagged { level: Level::High }.into()])
        .when(Flag { level: Level::Low })
        .then(vec![Cleared {}.into()])
        .then_state(|state| assert_eq!(state.level, None));
}

#[test]
fn several_slots_record_their_events_in_order() {
    AggregateTest::<Ledger>::given_no_events().when(Close { reason: Some("done".into()) }).then(vec![
        Cleared {}.into(),
        Noted { containers: containers() }.into(),
        Closed { reason: Some("done".into()) }.into(),
    ]);
    AggregateTest::<Ledger>::given([Noted { containers: containers() }.into()])
        .when(Close { reason: None })
        .then(vec![Cleared {}.into(), Closed { reason: None }.into()]);
    AggregateTest::<Ledger>::given([Closed { reason: None }.into()])
        .when(Close { reason: None })
        .then_error(LedgerClosed);
}

#[test]
fn stored_form_of_every_type_is_stable() {
    let event = LedgerEvent::from(Noted { containers: containers() });
    let stored: serde_json::Value = serde_json::from_slice(&event.encode().unwrap()).unwrap();
    insta::assert_json_snapshot!(stored);
    let decoded = LedgerEvent::decode(event.name(), event.version(), &event.encode().unwrap()).unwrap();
    assert_eq!(decoded, event);
}

#[derive(Debug, Default)]
struct Log(Vec<String>);

impl LedgerLogHandler for Log {
    type Error = Infallible;
    fn reset(&mut self, _: &()) -> Result<(), Infallible> {
        self.0.clear();
        Ok(())
    }
    fn opened(&mut self, _: &Opened, context: &EventContext<'_, String>) -> Result<(), Infallible> {
        self.0.push(format!("opened {} (id {})", context.envelope.stream_id, context.id));
        Ok(())
    }
    fn closed(&mut self, event: &Closed, context: &EventContext<'_, String>) -> Result<(), Infallible> {
        let envelope = context.envelope;
        self.0
            .push(format!("closed {} at version {} ({:?})", envelope.stream_id, envelope.stream_version, event.reason));
        Ok(())
    }
    fn flagged(&mut self, event: &Flagged, _: &EventContext<'_, String>) -> Result<(), Infallible> {
        self.0.push(format!("flagged {:?}", event.level));
        Ok(())
    }
}

#[tokio::test]
async fn a_projection_sees_only_its_events_in_log_order() {
    let service = CommandService::<Ledger, _>::new(MemoryStore::new());
    let id = "main".to_owned();
    service.handle(&id, Open { scalars: scalars() }.into()).await.unwrap();
    service.handle(&id, Flag { level: Level::High }.into()).await.unwrap();
    service.handle(&id, Note { containers: containers() }.into()).await.unwrap();
    service.handle(&id, Close { reason: Some("done".into()) }.into()).await.unwrap();

    let mut runner = ProjectionRunner::held(service.store(), LedgerLog(Log::default()));
    let next = runner.catch_up().await.unwrap();
    assert_eq!(next, 6, "five events were read");
    assert_eq!(
        runner.projection().0 .0,
        ["opened Ledger-main (id main)", "flagged High", "closed Ledger-main at version 5 (Some(\"done\"))"]
    );
}

#[test]
fn fixture_samples_of_every_type_read_back() {
    factum_tests::check_samples::<LedgerEvent>("every_form.factum");
}

/// The log of the async handler below: what it saw, and the event it refuses once.
#[derive(Debug, Default)]
struct Outbox {
    sent: Vec<String>,
    /// Fails the first `Closed` it is handed, as a broker that is down would.
    refuse_close: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("the broker is down")]
struct BrokerDown;

impl Outbox {
    fn send(&mut self, context: &EventContext<'_, String>) {
        self.sent.push(format!("{} of {} at {}", context.envelope.event_name, context.id, context.position()));
    }
}

impl LedgerLogAsyncHandler for Outbox {
    type Error = BrokerDown;

    async fn reset(&mut self) -> Result<(), BrokerDown> {
        self.sent.clear();
        Ok(())
    }

    async fn opened(&mut self, _: &Opened, context: &EventContext<'_, String>) -> Result<(), BrokerDown> {
        // An await between reading the event and writing it out, as a real send has.
        tokio::task::yield_now().await;
        self.send(context);
        Ok(())
    }

    async fn closed(&mut self, _: &Closed, context: &EventContext<'_, String>) -> Result<(), BrokerDown> {
        tokio::task::yield_now().await;
        if std::mem::take(&mut self.refuse_close) {
            return Err(BrokerDown);
        }
        self.send(context);
        Ok(())
    }

    async fn flagged(&mut self, _: &Flagged, context: &EventContext<'_, String>) -> Result<(), BrokerDown> {
        self.send(context);
        Ok(())
    }
}

#[tokio::test]
async fn an_async_projection_stops_at_a_failing_handler_and_resumes_there() {
    let service = CommandService::<Ledger, _>::new(MemoryStore::new());
    let id = "main".to_owned();
    service.handle(&id, Open { scalars: scalars() }.into()).await.unwrap();
    service.handle(&id, Flag { level: Level::High }.into()).await.unwrap();
    service.handle(&id, Close { reason: None }.into()).await.unwrap();
    let log = service.store().read_all(&LogQuery::all()).await.unwrap();
    let expected: Vec<String> = log
        .iter()
        .filter(|recorded| LedgerLogEvent::contains(&recorded.envelope.event_name))
        .map(|recorded| format!("{} of main at {}", recorded.envelope.event_name, recorded.envelope.position))
        .collect();
    let closed = log.last().map(|recorded| recorded.envelope.position).unwrap();
    assert_eq!(expected.last().map(String::as_str), Some(format!("Closed of main at {closed}").as_str()));

    let outbox = Outbox { refuse_close: true, ..Outbox::default() };
    let mut runner = AsyncProjectionRunner::new(service.store(), LedgerLog(outbox));
    let error = runner.catch_up().await.unwrap_err();
    assert_eq!(error.event().map(|event| (event.position, event.event_name.as_str())), Some((closed, "Closed")));
    assert_eq!(runner.checkpoint().await.unwrap(), closed, "the checkpoint is at the failed event");
    assert_eq!(runner.projection().0.sent, expected[..expected.len() - 1], "everything before it was sent, once");
    assert_eq!(runner.catch_up().await.unwrap(), closed + 1);
    assert_eq!(runner.projection().0.sent, expected, "the restart sent the failed event, and nothing twice");
    assert_eq!(service.store().checkpoint("LedgerLog").await.unwrap(), closed + 1);
}
