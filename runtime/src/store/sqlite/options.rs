//! How an SQLite store is opened: how durable an acknowledged append is.

/// How durable an acknowledged append is, against a crash of the process and against a loss of power (or an
/// operating system crash).
///
/// Both settings keep the database file consistent whatever happens; they differ in what a power loss may take back.
/// The file is in WAL mode either way.
///
/// | setting | SQLite | crash of the process | power loss |
/// | --- | --- | --- | --- |
/// | [`Durability::Full`] (default) | `synchronous=FULL` | every acknowledged append kept | every acknowledged append kept |
/// | [`Durability::Relaxed`] | `synchronous=NORMAL` | every acknowledged append kept | the last acknowledged appends may be lost |
///
/// Under `Full` every commit waits for the write-ahead log to reach the disk (an fsync); appends made concurrently
/// through one store share a commit (see [`SqliteStore`](super::SqliteStore)), so they share that wait too.
/// `Relaxed` skips the wait and syncs at checkpoints only: faster single appends, for data that can be rebuilt.
/// A store in memory has nothing to sync and ignores the setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// Every acknowledged append survives a power loss (`synchronous=FULL`).
    #[default]
    Full,
    /// Every acknowledged append survives a crash of the process; a power loss may lose the last ones, never the
    /// file's consistency (`synchronous=NORMAL`).
    Relaxed,
}

impl Durability {
    /// The value of SQLite's `synchronous` pragma that gives this durability in WAL mode.
    pub fn synchronous(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Relaxed => "NORMAL",
        }
    }

    /// The setting named `name` in a store URL (`full` or `relaxed`), if it is one.
    pub fn from_name(name: &str) -> Option<Durability> {
        match name {
            "full" => Some(Durability::Full),
            "relaxed" => Some(Durability::Relaxed),
            _ => None,
        }
    }
}

/// The settings [`SqliteStore::open_with`](super::SqliteStore::open_with) opens a file with; `Default` gives what
/// [`SqliteStore::open`](super::SqliteStore::open) uses.
///
/// ```
/// use factum::store::sqlite::{Durability, SqliteOptions};
///
/// let options = SqliteOptions::default().durability(Durability::Relaxed);
/// assert_eq!(options.durability, Durability::Relaxed);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How durable an acknowledged append is; [`Durability::Full`] unless set.
    pub durability: Durability,
}

impl SqliteOptions {
    /// These options with `durability`.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }
}
