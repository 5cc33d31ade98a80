//! Event buses: publishing a store's committed events to other processes, and consuming them there.
//!
//! [`nats`] (feature `nats`) is the NATS JetStream bus: an outbox relay that publishes the store's log in commit
//! order, and a typed, durable consumer.

pub mod nats;
