//! One store type for every backend, chosen at run time from a URL (`memory:`, `sqlite:events.db`,
//! `postgres://host/database`).

use super::memory::MemoryStore;
#[cfg(feature = "postgres")]
use super::postgres::PostgresStore;
#[cfg(feature = "sqlite")]
use super::sqlite::{Durability, SqliteOptions, SqliteStore};
use super::{
    AppendOutcome, CheckpointStore, EventStore, ExpectedVersion, LogFold, LogQuery, Snapshot, SnapshotStore,
    StreamAppend, StreamQuery,
};
use crate::{LogEventRef, NewEvent, RecordedEvent, RecordedEventRef, StoreError};

/// An event store of any backend this build has, opened from a URL.
///
/// | URL | store |
/// | --- | --- |
/// | `memory:` | a fresh [`MemoryStore`] |
/// | `sqlite:PATH` (or `sqlite://PATH`) | [`SqliteStore::open`] on the file at `PATH`, created if missing |
/// | `sqlite::memory:` | [`SqliteStore::open_in_memory`] |
/// | `sqlite:PATH?durability=relaxed` | [`SqliteStore::open_with`] a relaxed [`Durability`](super::sqlite::Durability) (`full`, the default, may be named too) |
/// | `sqlite:PATH?readers=8` | [`SqliteStore::open_with`] 8 read connections kept open ([`SqliteOptions::readers`], a whole number, 4 unless given) |
/// | `sqlite:PATH?durability=relaxed&readers=8` | both |
/// | `postgres://USER@HOST:PORT/DATABASE?schema=NAME` (or `postgresql://`) | `PostgresStore::connect` (feature `postgres`), through [`AnyStore::connect`] only; `schema` defaults to `factum` |
///
/// [`AnyStore::open`] opens the stores of a file or of memory; [`AnyStore::connect`], which awaits, opens those and
/// the stores on a server.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use factum::store::{AnyStore, LogQuery};
/// use factum::{EventStore, ExpectedVersion, NewEvent};
///
/// let store = AnyStore::open("memory:")?;
/// store.append("Order-1", ExpectedVersion::NoStream, vec![NewEvent::new("OrderCreated", 1, "{}")]).await?;
/// assert_eq!(store.read_all(&LogQuery::all()).await?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyStore {
    /// A store in memory.
    Memory(MemoryStore),
    /// An SQLite store.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    /// A PostgreSQL store.
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

/// A store URL that could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreUrlError {
    /// The URL has no scheme (`memory:`, `sqlite:`).
    #[error("`{url}` is not a store URL: expected `memory:`, `sqlite:PATH` or `sqlite::memory:`")]
    NoScheme {
        /// The URL given.
        url: String,
    },
    /// No backend of this build has the URL's scheme.
    #[error("unknown store scheme `{scheme}` in `{url}`: this build knows {known}")]
    UnknownScheme {
        /// The scheme found.
        scheme: String,
        /// The URL given.
        url: String,
        /// The schemes this build knows, e.g. `` `memory:`, `sqlite:` ``.
        known: &'static str,
    },
    /// A `memory:` URL with something after the colon.
    #[error("`{url}`: a memory store takes nothing after `memory:`")]
    MemoryWithPath {
        /// The URL given.
        url: String,
    },
    /// An `sqlite:` URL without a file.
    #[error("`{url}` names no database file: write `sqlite:PATH` or `sqlite::memory:`")]
    MissingPath {
        /// The URL given.
        url: String,
    },
    /// A URL option (after `?`) that the store does not know, or whose value it does not know.
    #[error("`{url}`: unknown store option `{option}`: {expected}")]
    UnknownOption {
        /// The URL given.
        url: String,
        /// The option as written (`name=value`).
        option: String,
        /// What the store accepts there.
        expected: &'static str,
    },
    /// A URL of a store on a server, given to [`AnyStore::open`], which does not await.
    #[error("`{url}` names a store on a server: open it with `AnyStore::connect`, which awaits the connection")]
    NeedsConnect {
        /// The URL given.
        url: String,
    },
    /// The backend failed to open the store.
    #[error("cannot open the store `{url}`: {source}")]
    Open {
        /// The URL given.
        url: String,
        /// What the backend said.
        #[source]
        source: StoreError,
    },
}

#[cfg(all(feature = "sqlite", feature = "postgres"))]
const KNOWN: &str = "`memory:`, `sqlite:` and `postgres:`";
#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
const KNOWN: &str = "`memory:` and `sqlite:` (`postgres:` needs the `postgres` feature)";
#[cfg(all(not(feature = "sqlite"), feature = "postgres"))]
const KNOWN: &str = "`memory:` and `postgres:` (`sqlite:` needs the `sqlite` feature)";
#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
const KNOWN: &str = "`memory:` (`sqlite:` and `postgres:` need the `sqlite` and `postgres` features)";

/// Whether a URL's scheme is PostgreSQL's.
#[cfg(feature = "postgres")]
fn is_postgres(scheme: &str) -> bool {
    matches!(scheme, "postgres" | "postgresql")
}

impl AnyStore {
    /// Opens the store a URL names, any backend of this build: a store on a server is connected to (see the table
    /// above).
    pub async fn connect(url: &str) -> Result<Self, StoreUrlError> {
        #[cfg(feature = "postgres")]
        if url.split_once(':').is_some_and(|(scheme, _)| is_postgres(scheme)) {
            return PostgresStore::connect(url)
                .await
                .map(AnyStore::Postgres)
                .map_err(|source| StoreUrlError::Open { url: url.to_owned(), source });
        }
        AnyStore::open(url)
    }

    /// Opens the store of a file or of memory that a URL names (see the table above); a store on a server is
    /// [`StoreUrlError::NeedsConnect`], since connecting to it awaits: use [`AnyStore::connect`].
    pub fn open(url: &str) -> Result<Self, StoreUrlError> {
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(StoreUrlError::NoScheme { url: url.to_owned() });
        };
        match scheme {
            "memory" if rest.is_empty() => Ok(AnyStore::Memory(MemoryStore::new())),
            "memory" => Err(StoreUrlError::MemoryWithPath { url: url.to_owned() }),
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                let (path, options) = match rest.split_once('?') {
                    Some((path, query)) => (path, sqlite_options(url, query)?),
                    None => (rest, SqliteOptions::default()),
                };
                let opened = match path {
                    "" => return Err(StoreUrlError::MissingPath { url: url.to_owned() }),
                    // A database in memory has nothing to sync: the durability does not apply, but is accepted.
                    ":memory:" => SqliteStore::open_in_memory(),
                    path => SqliteStore::open_with(path, options),
                };
                opened.map(AnyStore::Sqlite).map_err(|source| StoreUrlError::Open { url: url.to_owned(), source })
            }
            #[cfg(feature = "postgres")]
            scheme if is_postgres(scheme) => Err(StoreUrlError::NeedsConnect { url: url.to_owned() }),
            _ => Err(StoreUrlError::UnknownScheme { scheme: scheme.to_owned(), url: url.to_owned(), known: KNOWN }),
        }
    }
}

/// Reads the options of an `sqlite:` URL, `name=value` pairs joined by `&`.
#[cfg(feature = "sqlite")]
fn sqlite_options(url: &str, query: &str) -> Result<SqliteOptions, StoreUrlError> {
    let refused = |option: &str, expected: &'static str| StoreUrlError::UnknownOption {
        url: url.to_owned(),
        option: option.to_owned(),
        expected,
    };
    let mut options = SqliteOptions::default();
    for option in query.split('&').filter(|option| !option.is_empty()) {
        match option.split_once('=') {
            Some(("durability", name)) => match Durability::from_name(name) {
                Some(durability) => options = options.durability(durability),
                None => return Err(refused(option, "`durability` is `full` or `relaxed`")),
            },
            // Digits only: `usize::from_str` would take a leading `+` too, which no one means in a URL.
            Some(("readers", count)) if !count.is_empty() && count.bytes().all(|byte| byte.is_ascii_digit()) => {
                match count.parse() {
                    Ok(readers) => options = options.readers(readers),
                    Err(_) => {
                        return Err(refused(option, "`readers` is a number of connections, and this is too many"))
                    }
                }
            }
            Some(("readers", _)) => {
                return Err(refused(option, "`readers` is a whole number of connections, e.g. `readers=8`"))
            }
            _ => return Err(refused(option, "an `sqlite:` URL takes `durability=full|relaxed` and `readers=N`")),
        }
    }
    Ok(options)
}

impl std::str::FromStr for AnyStore {
    type Err = StoreUrlError;

    fn from_str(url: &str) -> Result<Self, StoreUrlError> {
        AnyStore::open(url)
    }
}

/// Runs the same expression on whichever store `self` is.
macro_rules! dispatch {
    ($self:expr, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Memory($store) => $call,
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite($store) => $call,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($store) => $call,
        }
    };
}

impl EventStore for AnyStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        dispatch!(self, store => store.append(stream_id, expected, events).await)
    }

    async fn append_batch(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendOutcome>, StoreError> {
        dispatch!(self, store => store.append_batch(appends).await)
    }

    async fn read_stream(&self, stream_id: &str, from_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        dispatch!(self, store => store.read_stream(stream_id, from_version).await)
    }

    async fn read_all(&self, query: &LogQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        dispatch!(self, store => store.read_all(query).await)
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        dispatch!(self, store => store.stream_version(stream_id).await)
    }

    async fn wait_for_events(&self, from_position: u64) -> Result<u64, StoreError> {
        dispatch!(self, store => store.wait_for_events(from_position).await)
    }

    async fn fold_stream<T, F>(&self, stream_id: &str, from_version: u64, init: T, visit: F) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        dispatch!(self, store => store.fold_stream(stream_id, from_version, init, visit).await)
    }

    async fn fold_stream_query<T, F>(
        &self,
        stream_id: &str,
        query: &StreamQuery,
        init: T,
        visit: F,
    ) -> Result<T, StoreError>
    where
        T: Send,
        F: FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError> + Send,
    {
        dispatch!(self, store => store.fold_stream_query(stream_id, query, init, visit).await)
    }

    async fn fold_all<T, E, F>(&self, query: &LogQuery, init: T, visit: F) -> Result<LogFold<T>, E>
    where
        T: Send,
        E: From<StoreError> + Send,
        F: FnMut(&mut T, LogEventRef<'_>) -> Result<(), E> + Send,
    {
        dispatch!(self, store => store.fold_all(query, init, visit).await)
    }
}

impl CheckpointStore for AnyStore {
    async fn checkpoint(&self, projection: &str) -> Result<u64, StoreError> {
        dispatch!(self, store => store.checkpoint(projection).await)
    }

    async fn save_checkpoint(&self, projection: &str, next_position: u64) -> Result<(), StoreError> {
        dispatch!(self, store => store.save_checkpoint(projection, next_position).await)
    }

    async fn reset_checkpoint(&self, projection: &str) -> Result<(), StoreError> {
        dispatch!(self, store => store.reset_checkpoint(projection).await)
    }
}

impl SnapshotStore for AnyStore {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        dispatch!(self, store => store.load_snapshot(stream_id).await)
    }

    async fn save_snapshot(&self, stream_id: &str, snapshot: Snapshot) -> Result<(), StoreError> {
        dispatch!(self, store => store.save_snapshot(stream_id, snapshot).await)
    }
}
