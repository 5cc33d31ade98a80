//! Factum's benchmarks: the workloads, the hand-written rusqlite baselines they are measured against, and the ratio
//! table printed at the end of a run.
//!
//! The criterion harnesses are `benches/store.rs`, `benches/rebuild.rs`, `benches/time_travel.rs`,
//! `benches/live.rs`, `benches/upcast.rs`, `benches/compile.rs`, `benches/generate.rs` and `benches/postgres.rs`
//! (the PostgreSQL store against raw tokio-postgres, on the test server): `cargo bench -p factum-benches`. Every
//! benchmark of Factum is paired with a baseline measured in the same process (the same work with no runtime in
//! between; for the compiler's scaling, the same work on a quarter of the input; for code
//! generation, parsing alone or formatting alone; for a live subscription, a bare watch round trip), so that the
//! report is a ratio that does not depend on the machine it ran on.

pub mod fixtures;
pub mod raw;
pub mod raw_tables;
pub mod report;
pub mod schemas;
pub mod value_upcaster;

/// The durability the store benchmarks open `SqliteStore` with: `Durability::Relaxed` (`synchronous=NORMAL`), which
/// their hand-written baselines set too, so that both sides do the same work and the ratios measure what Factum adds
/// rather than fsyncs. The group-commit and reads benchmarks measure durable commits (`Durability::Full`).
pub fn store_options() -> factum::store::sqlite::SqliteOptions {
    factum::store::sqlite::SqliteOptions::default().durability(factum::store::sqlite::Durability::Relaxed)
}
