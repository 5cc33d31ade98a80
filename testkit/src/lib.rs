//! Factum's test kit for event stores: the conformance suite every [`factum::EventStore`] passes.
//!
//! A backend's tests depend on this crate as a dev-dependency and run the suite with
//! [`store_conformance_tests!`]; see [`conformance`] (and [`live`], the cases of the live log). Nothing here is a
//! production dependency.

pub mod conformance;
mod guarded;
pub mod live;
#[cfg(feature = "postgres")]
pub mod postgres;

pub use guarded::Guarded;
