//! The conference rules, given/when/then: given these events, when this command, then these events or this error.

use conference_example::{
    available,
    schema::{
        AddSeats, CancelReservation, Conference, ConferenceCreated, ConferenceEvent, CreateConference,
        ReservationRejected, ReserveSeats, SeatsAdded, SeatsReleased, SeatsReserved,
    },
    ConferenceError,
};
use factum::{testing::AggregateTest, types::Uuid};

fn created(capacity: u32) -> ConferenceEvent {
    ConferenceCreated { name: "EventConf".into(), capacity }.into()
}

fn reservation(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn reserved(n: u128, seats: u32) -> ConferenceEvent {
    SeatsReserved { reservation_id: reservation(n), seats }.into()
}

fn released(n: u128, seats: u32) -> ConferenceEvent {
    SeatsReleased { reservation_id: reservation(n), seats }.into()
}

fn rejected(n: u128, seats: u32, available: u32) -> ConferenceEvent {
    ReservationRejected { reservation_id: reservation(n), seats, available }.into()
}

fn reserve(n: u128, seats: u32) -> ReserveSeats {
    ReserveSeats { reservation_id: reservation(n), seats }
}

fn given(events: Vec<ConferenceEvent>) -> AggregateTest<Conference> {
    AggregateTest::given(events)
}

#[test]
fn a_conference_is_created_once() {
    let create = CreateConference { name: "EventConf".into(), capacity: 10 };
    given(vec![]).when(create.clone()).then(vec![created(10)]);
    given(vec![created(10)]).when(create).then_error(ConferenceError::AlreadyCreated);
}

#[test]
fn commands_need_a_conference() {
    given(vec![]).when(reserve(1, 1)).then_error(ConferenceError::NotFound);
    given(vec![]).when(AddSeats { seats: 1 }).then_error(ConferenceError::NotFound);
    given(vec![]).when(CancelReservation { reservation_id: reservation(1) }).then_error(ConferenceError::NotFound);
}

#[test]
fn reservations_are_accepted_while_seats_are_left_and_rejected_on_the_record_after() {
    // (given, seats asked, expected)
    let cases: Vec<(Vec<ConferenceEvent>, u32, Result<ConferenceEvent, ConferenceError>)> = vec![
        (vec![created(3)], 3, Ok(reserved(9, 3))),
        (vec![created(3)], 4, Ok(rejected(9, 4, 3))),
        (vec![created(3), reserved(1, 2)], 1, Ok(reserved(9, 1))),
        (vec![created(3), reserved(1, 2)], 2, Ok(rejected(9, 2, 1))),
        (vec![created(3), reserved(1, 3)], 1, Ok(rejected(9, 1, 0))),
        // Released seats and added seats can be reserved again.
        (vec![created(3), reserved(1, 3), released(1, 3)], 3, Ok(reserved(9, 3))),
        (vec![created(3), reserved(1, 3), SeatsAdded { seats: 2 }.into()], 2, Ok(reserved(9, 2))),
        // A rejected reservation holds nothing.
        (vec![created(3), rejected(1, 5, 3)], 3, Ok(reserved(9, 3))),
        (vec![created(3)], 0, Err(ConferenceError::NoSeats)),
    ];
    for (events, seats, expected) in cases {
        let outcome = given(events).when(reserve(9, seats));
        match expected {
            Ok(event) => outcome.then(vec![event]),
            Err(error) => outcome.then_error(error),
        };
    }
}

#[test]
fn a_reservation_that_holds_seats_cannot_be_made_again() {
    given(vec![created(10), reserved(1, 2)]).when(reserve(1, 2)).then_error(ConferenceError::AlreadyReserved);
    // Once cancelled, its id holds nothing.
    given(vec![created(10), reserved(1, 2), released(1, 2)]).when(reserve(1, 2)).then(vec![reserved(1, 2)]);
}

#[test]
fn cancelling_releases_the_seats_the_reservation_holds() {
    let cancel = || CancelReservation { reservation_id: reservation(1) };
    given(vec![created(10), reserved(1, 4)])
        .when(cancel())
        .then(vec![released(1, 4)])
        .then_state(|state| assert_eq!((state.reserved, available(state)), (0, 10)));
    given(vec![created(10)]).when(cancel()).then_error(ConferenceError::UnknownReservation);
    given(vec![created(10), rejected(1, 20, 10)]).when(cancel()).then_error(ConferenceError::UnknownReservation);
    given(vec![created(10), reserved(1, 4), released(1, 4)])
        .when(cancel())
        .then_error(ConferenceError::UnknownReservation);
}

#[test]
fn seats_are_added_up_to_the_largest_capacity() {
    given(vec![created(10)]).when(AddSeats { seats: 5 }).then(vec![SeatsAdded { seats: 5 }.into()]);
    given(vec![created(10)]).when(AddSeats { seats: 0 }).then_error(ConferenceError::NoSeats);
    given(vec![created(u32::MAX - 1)]).when(AddSeats { seats: 2 }).then_error(ConferenceError::TooManySeats);
}

#[test]
fn the_state_follows_the_events() {
    let events = vec![
        created(10),
        reserved(1, 4),
        reserved(2, 3),
        rejected(3, 9, 3),
        released(1, 4),
        SeatsAdded { seats: 5 }.into(),
    ];
    let test = given(events);
    let state = test.state();
    assert_eq!((state.capacity, state.reserved, available(state)), (15, 3, 12));
    assert_eq!(state.reservations.iter().map(|(id, seats)| (*id, *seats)).collect::<Vec<_>>(), [(reservation(2), 3)]);
}
