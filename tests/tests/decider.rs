//! Decisions that need more than the state and the command (a clock, an id generator) get it from the decider the
//! command service or the test harness hands them to, not from the command.

use std::sync::atomic::{AtomicU64, Ordering};

use factum::{store::memory::MemoryStore, testing::AggregateTest, types::Timestamp, types::Uuid, CommandService};

/// The code generated from `schemas/journal.factum`.
pub mod journal {
    factum::schema!("schemas/journal.factum");
}

use journal::*;

/// Why a note is refused.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("a note needs text")]
pub struct EmptyNote;

/// The decisions with what they consult: a clock and a source of entry ids.
struct Desk {
    now: Timestamp,
    next_entry: AtomicU64,
}

impl Desk {
    fn at(now: &str) -> Self {
        Desk { now: now.parse().unwrap(), next_entry: AtomicU64::new(1) }
    }
}

impl JournalDecide for Desk {
    type Error = EmptyNote;
    fn write_note(&self, _: &JournalState, command: WriteNote) -> Result<NoteWritten, EmptyNote> {
        if command.text.is_empty() {
            return Err(EmptyNote);
        }
        let entry = Uuid::from_u128(u128::from(self.next_entry.fetch_add(1, Ordering::Relaxed)));
        Ok(NoteWritten { entry, at: self.now, text: command.text })
    }
}

/// The marker's own decisions are pure: without a clock at hand, they stamp the epoch and a nil id.
impl JournalDecide for Journal {
    type Error = EmptyNote;
    fn write_note(&self, _: &JournalState, command: WriteNote) -> Result<NoteWritten, EmptyNote> {
        Ok(NoteWritten { entry: Uuid::nil(), at: Timestamp::default(), text: command.text })
    }
}

impl JournalEvolve for JournalState {
    fn note_written(&mut self, _: &NoteWritten) {
        self.entries += 1;
    }
}

fn written(entry: u128, at: &str, text: &str) -> JournalEvent {
    NoteWritten { entry: Uuid::from_u128(entry), at: at.parse().unwrap(), text: text.into() }.into()
}

#[tokio::test]
async fn the_service_hands_every_decision_to_its_decider() {
    let service = CommandService::<Journal, _, _>::with_decider(MemoryStore::new(), Desk::at("2026-12-01T09:00:00Z"));
    let id = "kitchen".to_owned();
    let mut events = Vec::new();
    for text in ["eggs", "flour"] {
        events.extend(service.handle(&id, WriteNote { text: text.into() }.into()).await.unwrap().events);
    }
    assert_eq!(events, [written(1, "2026-12-01T09:00:00Z", "eggs"), written(2, "2026-12-01T09:00:00Z", "flour")]);
    let rejected = service.handle(&id, WriteNote { text: String::new() }.into()).await;
    assert!(matches!(rejected, Err(factum::CommandError::Rejected(EmptyNote))), "{rejected:?}");
    assert_eq!(service.load(&id).await.unwrap().state.entries, 2, "the stream holds what was decided, folded");
}

#[tokio::test]
async fn a_service_built_with_new_decides_with_the_marker() {
    let service = CommandService::<Journal, _>::new(MemoryStore::new());
    let handled = service.handle(&"attic".to_owned(), WriteNote { text: "boxes".into() }.into()).await.unwrap();
    assert_eq!(handled.events, [written(0, "1970-01-01T00:00:00Z", "boxes")]);
}

#[test]
fn the_test_harness_takes_a_decider_too() {
    AggregateTest::<Journal>::given([written(7, "2026-01-01T00:00:00Z", "old")])
        .decided_by(Desk::at("2026-12-01T10:30:00Z"))
        .when(WriteNote { text: "new".into() })
        .then(vec![written(1, "2026-12-01T10:30:00Z", "new")])
        .then_state(|state| assert_eq!(state.entries, 2));
    AggregateTest::<Journal>::given_no_events()
        .decided_by(Desk::at("2026-12-01T10:30:00Z"))
        .when(WriteNote { text: String::new() })
        .then_error(EmptyNote);
}
