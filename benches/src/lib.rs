//! Factum's benchmarks: the workloads, the hand-written rusqlite baselines they are measured against, and the ratio
//! table printed at the end of a run.
//!
//! The criterion harnesses are `benches/store.rs` and `benches/upcast.rs` (`cargo bench -p factum-benches`). Every benchmark of Factum is
//! paired with a baseline that does the same work with no runtime in between, measured in the same process, so that
//! the report is a ratio that does not depend on the machine it ran on.

pub mod fixtures;
pub mod raw;
pub mod report;
pub mod schemas;
pub mod value_upcaster;
