//! The `SeatAvailability` table on a real SQLite file: after any sequence of commands it holds what the aggregates
//! say, whether caught up step by step or rebuilt; an event of a conference it has no row for stops it, named; and a
//! `memory:` store is refused.

use conference_example::schema::{
    AddSeats, CancelReservation, Conference, ConferenceCommand, ConferenceEvent, CreateConference, ReserveSeats,
    SeatsReserved,
};
use conference_example::{availability::availability, available, Availability, AvailabilityError, SeatTable};
use factum::store::sqlite::SqliteStore;
use factum::store::AnyStore;
use factum::types::Uuid;
use factum::{CommandError, CommandService, EventStore, ExpectedVersion, Metadata, NewEvent};

fn create(capacity: u32) -> ConferenceCommand {
    CreateConference { name: "conf".into(), capacity }.into()
}

fn reserve(reservation: u128, seats: u32) -> ConferenceCommand {
    ReserveSeats { reservation_id: Uuid::from_u128(reservation), seats }.into()
}

fn cancel(reservation: u128) -> ConferenceCommand {
    CancelReservation { reservation_id: Uuid::from_u128(reservation) }.into()
}

fn add(seats: u32) -> ConferenceCommand {
    AddSeats { seats }.into()
}

/// Runs `steps` (the conference's number, a command) on a fresh SQLite file, catching the projection up after each,
/// and checks that its rows are `expected` (capacity, reserved, available per conference, in id order), that they
/// agree with the aggregates, and that a rebuild gives the same rows.
fn check(steps: Vec<(u128, ConferenceCommand)>, expected: &[(u128, u32, u32, u32)]) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("conference.sqlite")).unwrap();
    runtime.block_on(async {
        let service = CommandService::<Conference, _>::new(store.clone());
        let mut runner = SeatTable::runner(store.clone()).batch_size(2);
        // Before any event, so that the table exists however few steps follow.
        runner.catch_up().await.unwrap();
        for (conference, command) in steps {
            match service.handle(&Uuid::from_u128(conference), command).await {
                Ok(_) | Err(CommandError::Rejected(_)) => {}
                Err(error) => panic!("{error}"),
            }
            runner.catch_up().await.unwrap();
        }
        let rows = store.read_tables(SeatTable::read).await.unwrap();
        let expected: Vec<Availability> = expected
            .iter()
            .map(|&(conference, capacity, reserved, available)| Availability {
                conference: Uuid::from_u128(conference),
                capacity,
                reserved,
                available,
            })
            .collect();
        assert_eq!(rows, expected);
        for row in &rows {
            let state = service.load(&row.conference).await.unwrap().state;
            assert_eq!(
                (state.capacity, state.reserved, available(&state)),
                (row.capacity, row.reserved, row.available)
            );
        }
        runner.rebuild(|_| {}).await.unwrap();
        assert_eq!(store.read_tables(SeatTable::read).await.unwrap(), rows, "a rebuild gives the same rows");
    });
}

#[test]
fn the_table_follows_the_seats_of_every_conference() {
    check(vec![], &[]);
    check(vec![(1, create(5))], &[(1, 5, 0, 5)]);
    // Reserved, rejected (3 > 2 left), seats added, then the rejected size fits.
    check(
        vec![(1, create(5)), (1, reserve(10, 3)), (1, reserve(11, 3)), (1, add(2)), (1, reserve(11, 3))],
        &[(1, 7, 6, 1)],
    );
    // A cancellation releases its seats; cancelling twice is rejected and changes nothing.
    check(vec![(1, create(4)), (1, reserve(10, 4)), (1, cancel(10)), (1, cancel(10))], &[(1, 4, 0, 4)]);
    // Commands on a conference never created are rejected and leave no row.
    check(vec![(2, reserve(10, 1)), (2, add(3))], &[]);
    // Several conferences, in id order whatever order they were created in.
    check(
        vec![(3, create(2)), (1, create(10)), (3, reserve(10, 2)), (1, reserve(11, 4)), (2, create(0))],
        &[(1, 10, 4, 6), (2, 0, 0, 0), (3, 2, 2, 0)],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_of_a_conference_without_a_row_stops_the_projection_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("conference.sqlite")).unwrap();
    let conference = Uuid::from_u128(7);
    // Written past the aggregate's rules, as a faulty import could.
    let reserved = ConferenceEvent::SeatsReserved(SeatsReserved { reservation_id: Uuid::from_u128(1), seats: 2 });
    let event = NewEvent::encode(&reserved, Metadata::default()).unwrap();
    store.append(&format!("Conference-{conference}"), ExpectedVersion::NoStream, vec![event]).await.unwrap();
    let error = SeatTable::runner(store.clone()).catch_up().await.unwrap_err();
    assert_eq!(error.event().map(|event| event.position), Some(1));
    let message =
        format!("{error}: {}", std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default());
    assert!(message.contains(&format!("`SeatsReserved` for the conference {conference}")), "{message}");
    let checkpoint = factum::CheckpointStore::checkpoint(&store, "SeatAvailability").await.unwrap();
    assert_eq!(checkpoint, 1, "nothing applied");
}

#[tokio::test]
async fn a_memory_store_is_refused() {
    let store = AnyStore::open("memory:").unwrap();
    let refused = availability(&store).await.unwrap_err();
    assert!(matches!(refused, AvailabilityError::NotSqlite), "{refused}");
}
