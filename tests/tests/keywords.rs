//! Names that are Rust keywords: a field called `type`, a command called `Return` (whose method is `r#return`), an
//! event called `Match`. The generated code uses raw identifiers, and the stored payloads keep the names as written.

use std::convert::Infallible;

use factum::{
    store::memory::MemoryStore, testing::AggregateTest, CommandService, EventContext, EventSet, ProjectionRunner,
};
use keywords::*;

/// The code generated from `schemas/keywords.factum` by `build.rs`.
pub mod keywords {
    factum::include_schema!("keywords");
}

impl LoanDecide for Loan {
    type Error = Infallible;

    fn lend(&self, _: &LoanState, command: Lend) -> Result<Lent, Infallible> {
        Ok(Lent { r#type: command.r#type, r#for: command.r#for, items: command.items })
    }

    fn r#return(&self, _: &LoanState, command: Return) -> Result<Loop, Infallible> {
        Ok(Loop { r#where: command.r#where, r#in: command.r#in, r#async: None })
    }

    fn play(&self, state: &LoanState, command: Play) -> Result<Option<Match>, Infallible> {
        Ok((state.r#type == Some(Kind::Match)).then_some(Match { r#where: command.r#where }))
    }
}

impl LoanEvolve for LoanState {
    fn lent(&mut self, event: &Lent) {
        self.r#type = Some(event.r#type);
    }
    fn r#loop(&mut self, event: &Loop) {
        self.r#in += event.r#in;
    }
    fn r#match(&mut self, _: &Match) {}
}

fn lent() -> Lent {
    Lent { r#type: Kind::Match, r#for: "ada".into(), items: vec![Item { r#type: Kind::Book, r#ref: "b-1".into() }] }
}

#[test]
fn keyword_commands_and_events_decide_and_fold() {
    AggregateTest::<Loan>::given([lent().into()])
        .when(Return { r#where: "desk".into(), r#in: 3 })
        .then(vec![Loop { r#where: "desk".into(), r#in: 3, r#async: None }.into()])
        .then_state(|state| assert_eq!(state.r#in, 3));
    AggregateTest::<Loan>::given([lent().into()])
        .when(Play { r#where: "hall".into() })
        .then(vec![Match { r#where: "hall".into() }.into()]);
}

#[test]
fn payloads_keep_the_names_as_written() {
    let event = LoanEvent::from(lent());
    let stored: serde_json::Value = serde_json::from_slice(&event.encode().unwrap()).unwrap();
    assert_eq!(
        stored,
        serde_json::json!({ "type": "Match", "for": "ada", "items": [{ "type": "Book", "ref": "b-1" }] })
    );
    assert_eq!(LoanEvent::decode("Lent", 1, &event.encode().unwrap()).unwrap(), event);
}

#[test]
fn a_declarative_step_renames_and_defaults_keyword_fields() {
    let stored = br#"{ "for": "shelf 3", "in": 12 }"#;
    let event = LoanEvent::decode("Loop", 1, stored).unwrap();
    assert_eq!(event, Loop { r#where: "shelf 3".into(), r#in: 12, r#async: None }.into());
}

#[derive(Debug, Default)]
struct Seen(Vec<String>);

impl LedgerHandler for Seen {
    type Error = Infallible;
    fn reset(&mut self, _: &()) -> Result<(), Infallible> {
        self.0.clear();
        Ok(())
    }
    fn lent(&mut self, event: &Lent, _: &EventContext<'_, String>) -> Result<(), Infallible> {
        self.0.push(format!("lent to {}", event.r#for));
        Ok(())
    }
    fn r#loop(&mut self, event: &Loop, _: &EventContext<'_, String>) -> Result<(), Infallible> {
        self.0.push(format!("back at {} after {} days", event.r#where, event.r#in));
        Ok(())
    }
    fn r#match(&mut self, event: &Match, _: &EventContext<'_, String>) -> Result<(), Infallible> {
        self.0.push(format!("match in the {}", event.r#where));
        Ok(())
    }
}

#[tokio::test]
async fn a_projection_handles_keyword_events() {
    let service = CommandService::<Loan, _>::new(MemoryStore::new());
    let id = "loan-1".to_owned();
    let lend = Lend { r#type: Kind::Match, r#for: "ada".into(), items: vec![] };
    service.handle(&id, lend.into()).await.unwrap();
    service.handle(&id, Play { r#where: "hall".into() }.into()).await.unwrap();
    service.handle(&id, Return { r#where: "desk".into(), r#in: 2 }.into()).await.unwrap();

    let mut runner = ProjectionRunner::held(service.store(), Ledger(Seen::default()));
    runner.catch_up().await.unwrap();
    assert_eq!(runner.projection().0 .0, ["lent to ada", "match in the hall", "back at desk after 2 days"]);
}

#[test]
fn fixture_samples_of_keyword_fields_read_back() {
    factum_tests::check_samples::<LoanEvent>("keywords.factum");
}

#[test]
fn commands_are_named_as_the_schema_declares_them() {
    let commands: Vec<(LoanCommand, &str)> = vec![
        (Lend { r#type: Kind::Book, r#for: "ada".into(), items: Vec::new() }.into(), "Lend"),
        (Return { r#where: "desk".into(), r#in: 3 }.into(), "Return"),
        (Play { r#where: "hall".into() }.into(), "Play"),
    ];
    for (command, expected) in commands {
        assert_eq!(command.name(), expected);
        // The runtime asks through its trait, for the command service's spans.
        assert_eq!(factum::CommandSet::name(&command), expected);
    }
}
