//! Types written by hand, with the impls generated for them alone: `build.rs` compiles
//! `schemas/handwritten.factum` with `Items::Impls`, as a derive front end would for types its user wrote. The impls
//! compile against these definitions, and the aggregate, its upcasting chain and its projection run on them.

use std::convert::Infallible;

use factum::{
    store::memory::MemoryStore, testing::AggregateTest, CommandService, EventContext, EventSet, ProjectionRunner,
};
/// The till: the types below are written here, the impls come from `build.rs`.
// The types stand for a user's own, in the shapes the schema gives them; docs would only repeat their names.
#[allow(missing_docs)]
pub mod till {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Currency {
        Eur,
        Usd,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Money {
        pub cents: u64,
        pub currency: Currency,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct PaidV1 {
        pub cents: u32,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct PaidV2 {
        pub cents: u64,
        pub currency: Currency,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct PaidV3 {
        pub amount: Money,
    }

    pub type Paid = PaidV3;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct RefusedV1 {
        pub reason: String,
    }

    pub type Refused = RefusedV1;

    #[derive(Debug, Clone, Copy, Default)]
    pub struct Till;

    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    pub struct TillState {
        pub total: u64,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Pay {
        pub amount: Money,
    }

    #[derive(Debug, Clone, PartialEq)]
    pub enum TillCommand {
        Pay(Pay),
    }

    #[derive(Debug, Clone, PartialEq)]
    pub enum PayOutcome {
        Paid(Paid),
        Refused(Refused),
    }

    #[derive(Debug, Clone, PartialEq)]
    pub enum TillEvent {
        Paid(Paid),
        Refused(Refused),
    }

    #[derive(Debug, Clone, PartialEq)]
    pub enum TakingsEvent {
        Paid(Paid),
    }

    factum::include_schema!("handwritten");
}

use till::*;

impl PaidUpcasts for Paid {
    fn v2_to_v3(event: PaidV2) -> PaidV3 {
        PaidV3 { amount: Money { cents: event.cents, currency: event.currency } }
    }
}

impl TillDecide for Till {
    type Error = Infallible;

    fn pay(&self, _: &TillState, command: Pay) -> Result<PayOutcome, Infallible> {
        if command.amount.cents == 0 {
            return Ok(PayOutcome::Refused(Refused { reason: "nothing to pay".into() }));
        }
        Ok(PayOutcome::Paid(Paid { amount: command.amount }))
    }
}

impl TillEvolve for TillState {
    fn paid(&mut self, event: &Paid) {
        self.total += event.amount.cents;
    }
    fn refused(&mut self, _: &Refused) {}
}

fn eur(cents: u64) -> Money {
    Money { cents, currency: Currency::Eur }
}

#[test]
fn the_generated_decide_and_evolve_glue_runs_on_hand_written_types() {
    AggregateTest::<Till>::given([Paid { amount: eur(5) }.into()])
        .when(Pay { amount: eur(7) })
        .then(vec![Paid { amount: eur(7) }.into()])
        .then_state(|state| assert_eq!(state.total, 12));
    AggregateTest::<Till>::given([])
        .when(TillCommand::Pay(Pay { amount: eur(0) }))
        .then(vec![Refused { reason: "nothing to pay".into() }.into()]);
}

/// A stored `Paid` of each older version reads as the latest through the generated chain: the declarative step
/// defaults the currency, the custom step written above wraps the amount.
#[test]
fn stored_versions_upcast_through_the_generated_chain_into_hand_written_types() {
    let check = |version: u32, payload: &str, expected: Paid| {
        let event = TillEvent::decode("Paid", version, payload.as_bytes()).unwrap();
        assert_eq!(event, TillEvent::Paid(expected), "v{version}: {payload}");
    };
    check(1, r#"{"cents":3}"#, Paid { amount: eur(3) });
    check(2, r#"{"cents":4,"currency":"Usd"}"#, Paid { amount: Money { cents: 4, currency: Currency::Usd } });
    check(3, r#"{"amount":{"cents":5,"currency":"Eur"}}"#, Paid { amount: eur(5) });
}

/// What the projection below gathers.
#[derive(Debug, Default)]
struct Takings {
    cents: u64,
}

impl TakingsHandler for Takings {
    type Error = Infallible;

    fn reset(&mut self, _: &()) -> Result<(), Infallible> {
        self.cents = 0;
        Ok(())
    }

    fn paid(&mut self, event: &Paid, _: &EventContext<'_, String>) -> Result<(), Infallible> {
        self.cents += event.amount.cents;
        Ok(())
    }
}

#[tokio::test]
async fn commands_and_the_projection_run_on_hand_written_types() {
    let service = CommandService::<Till, _>::new(MemoryStore::new());
    for cents in [2, 0, 3] {
        service.handle(&"till-1".to_owned(), Pay { amount: eur(cents) }.into()).await.unwrap();
    }
    let mut runner = ProjectionRunner::held(service.store(), till::Takings(Takings::default()));
    runner.catch_up().await.unwrap();
    assert_eq!(runner.projection().0.cents, 5);
}
