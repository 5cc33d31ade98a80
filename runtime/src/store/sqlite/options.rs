//! How an SQLite store is opened: how durable an acknowledged append is, and how many read connections it keeps.

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
/// let options = SqliteOptions::default().durability(Durability::Relaxed).readers(8);
/// assert_eq!((options.durability, options.readers), (Durability::Relaxed, 8));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How durable an acknowledged append is; [`Durability::Full`] unless set.
    pub durability: Durability,
    /// How many read connections a store on a file keeps open between reads; [`SqliteOptions::DEFAULT_READERS`]
    /// unless set.
    ///
    /// Reads (loads, folds, log reads) take a read-only connection of their own, beside the write connection. More
    /// reads at once than this open connections of their own, closed when they are done: opening one costs a file
    /// open and parsing the schema. Set it to how many tasks load at once, commonly; 0 keeps none, so every read opens
    /// a connection (for a process that must hold few files open). A store in memory reads on its one connection and
    /// ignores the setting.
    pub readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { durability: Durability::default(), readers: SqliteOptions::DEFAULT_READERS }
    }
}

impl SqliteOptions {
    /// How many read connections a store keeps open unless told otherwise: enough for the common case of a few tasks
    /// loading at once.
    pub const DEFAULT_READERS: usize = 4;

    /// These options with `durability`.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// These options keeping `readers` read connections open between reads (see [`SqliteOptions::readers`]).
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }
}
