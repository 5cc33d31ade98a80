//! The conference rules: the typed decide methods for each command and the evolve methods for each event.

use crate::schema::{
    AddSeats, CancelReservation, Conference, ConferenceCreated, ConferenceDecide, ConferenceEvolve, ConferenceState,
    CreateConference, ReservationRejected, ReserveSeats, ReserveSeatsOutcome, SeatsAdded, SeatsReleased, SeatsReserved,
};

/// Why the conference aggregate rejects a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConferenceError {
    /// `CreateConference` on a conference that exists.
    #[error("the conference already exists")]
    AlreadyCreated,
    /// Any other command on a conference that was never created.
    #[error("there is no such conference")]
    NotFound,
    /// `AddSeats` or `ReserveSeats` for no seats.
    #[error("the number of seats must be at least 1")]
    NoSeats,
    /// `AddSeats` past the largest capacity a conference can have.
    #[error("a conference cannot have more than {} seats", u32::MAX)]
    TooManySeats,
    /// `ReserveSeats` with the id of a reservation that holds seats.
    #[error("the reservation already holds seats")]
    AlreadyReserved,
    /// `CancelReservation` of a reservation that holds no seats (never made, rejected, or cancelled).
    #[error("no reservation of this id holds seats")]
    UnknownReservation,
}

/// How many seats of a conference are still free.
pub fn available(state: &ConferenceState) -> u32 {
    state.capacity.saturating_sub(state.reserved)
}

impl ConferenceDecide for Conference {
    type Error = ConferenceError;

    fn create_conference(
        &self,
        state: &ConferenceState,
        command: CreateConference,
    ) -> Result<ConferenceCreated, ConferenceError> {
        if state.created {
            return Err(ConferenceError::AlreadyCreated);
        }
        Ok(ConferenceCreated { name: command.name, capacity: command.capacity })
    }

    fn add_seats(&self, state: &ConferenceState, command: AddSeats) -> Result<SeatsAdded, ConferenceError> {
        if !state.created {
            return Err(ConferenceError::NotFound);
        }
        if command.seats == 0 {
            return Err(ConferenceError::NoSeats);
        }
        if state.capacity.checked_add(command.seats).is_none() {
            return Err(ConferenceError::TooManySeats);
        }
        Ok(SeatsAdded { seats: command.seats })
    }

    fn reserve_seats(
        &self,
        state: &ConferenceState,
        command: ReserveSeats,
    ) -> Result<ReserveSeatsOutcome, ConferenceError> {
        if !state.created {
            return Err(ConferenceError::NotFound);
        }
        if command.seats == 0 {
            return Err(ConferenceError::NoSeats);
        }
        if state.reservations.contains_key(&command.reservation_id) {
            return Err(ConferenceError::AlreadyReserved);
        }
        let available = available(state);
        if command.seats > available {
            return Ok(
                ReservationRejected { reservation_id: command.reservation_id, seats: command.seats, available }.into()
            );
        }
        Ok(SeatsReserved { reservation_id: command.reservation_id, seats: command.seats }.into())
    }

    fn cancel_reservation(
        &self,
        state: &ConferenceState,
        command: CancelReservation,
    ) -> Result<SeatsReleased, ConferenceError> {
        if !state.created {
            return Err(ConferenceError::NotFound);
        }
        match state.reservations.get(&command.reservation_id) {
            Some(&seats) => Ok(SeatsReleased { reservation_id: command.reservation_id, seats }),
            None => Err(ConferenceError::UnknownReservation),
        }
    }
}

// Folds saturate: they must not panic on what is stored, whatever wrote it.
impl ConferenceEvolve for ConferenceState {
    fn conference_created(&mut self, event: &ConferenceCreated) {
        self.created = true;
        self.name.clone_from(&event.name);
        self.capacity = event.capacity;
    }

    fn seats_added(&mut self, event: &SeatsAdded) {
        self.capacity = self.capacity.saturating_add(event.seats);
    }

    fn seats_reserved(&mut self, event: &SeatsReserved) {
        self.reserved = self.reserved.saturating_add(event.seats);
        self.reservations.insert(event.reservation_id, event.seats);
    }

    fn reservation_rejected(&mut self, _event: &ReservationRejected) {
        // A rejected reservation is on record, but holds no seats.
    }

    fn seats_released(&mut self, event: &SeatsReleased) {
        if let Some(seats) = self.reservations.remove(&event.reservation_id) {
            self.reserved = self.reserved.saturating_sub(seats);
        }
    }
}
