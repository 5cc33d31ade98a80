//! The conference domain on Factum: the types generated from `schemas/conference.factum`, the seat rules written
//! against them, and the stress run that fires many concurrent reservations at one conference.
//!
//! The rules: a conference is created once; seats may be added; a reservation holds seats while enough are left,
//! and is otherwise rejected on the record (`ReservationRejected`), so that the log says who was turned away;
//! cancelling a reservation records that its seats were released (`SeatsReleased`), a compensating event: nothing is
//! ever deleted.

/// The code generated from `schemas/conference.factum` by `build.rs`.
pub mod schema {
    factum::include_schema!("conference");
}

pub mod availability;
mod rules;
pub mod stress;

pub use availability::{Availability, AvailabilityError, SeatTable};
pub use rules::{available, ConferenceError};
