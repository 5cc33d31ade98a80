//! The read connections of a store in a file: reads take one of a few read-only connections of their own, so that a
//! load never queues behind the writer's appends.
//!
//! In WAL mode SQLite lets any number of readers work beside the one writer: each read transaction sees the file as
//! of the last commit before it began, never a partial commit. A store in memory has no file for a second connection
//! to open, so it reads on its one connection.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags};

use super::schema::{OpenError, BUSY_TIMEOUT};
use crate::StoreError;

/// A small pool of read-only connections to one database file.
///
/// It keeps up to `kept` idle connections for the next reads ([`super::SqliteOptions::readers`]). More reads than
/// that at once open connections of their own, closed when they are done: opening one costs a file open and parsing
/// the schema, so the common case (a few tasks loading at once) reuses the kept ones.
#[derive(Debug)]
pub(super) struct Readers {
    path: PathBuf,
    kept: usize,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// A pool for the file at `path`, which the store's write connection has already opened, put in WAL mode and
    /// migrated, keeping up to `kept` idle connections; no connection is opened until the first read.
    pub(super) fn new(path: &Path, kept: usize) -> Self {
        Readers { path: path.to_owned(), kept, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `work` on a read connection, here on the calling thread, and keeps the connection for the next read.
    ///
    /// If `work` panics the connection is dropped, which rolls back any transaction it left open.
    pub(super) fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.with_connection(work)?
    }

    /// Runs `work` on a read connection, failing only if no connection could be had; `work`'s own result, of any
    /// error type, is handed back as it is.
    pub(super) fn with_connection<T>(&self, work: impl FnOnce(&mut Connection) -> T) -> Result<T, StoreError> {
        let mut connection = self.take()?;
        let result = work(&mut connection);
        // A read that left its transaction open (an error between begin and commit) must not lend it to the next one.
        if connection.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.kept {
                idle.push(connection);
            }
        }
        Ok(result)
    }

    /// An idle connection, or a new one.
    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(connection) = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop() {
            return Ok(connection);
        }
        let opened = || -> rusqlite::Result<Connection> {
            // Read-only: nothing read through the pool can write the file by mistake. The write connection keeps the
            // WAL and its index open, which a read-only connection needs.
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
            let connection = Connection::open_with_flags(&self.path, flags)?;
            // A reader waits only in rare moments (another process recovering the WAL after a crash, or
            // checkpointing it from scratch), as long as a writer would.
            connection.busy_timeout(BUSY_TIMEOUT)?;
            Ok(connection)
        };
        opened().map_err(|source| StoreError::backend(OpenError { path: self.path.clone(), source }))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use crate::store::sqlite::SqliteStore;
    use crate::{EventStore, ExpectedVersion, NewEvent};

    fn event(name: &str) -> NewEvent {
        NewEvent::new(name, 1, b"{}".to_vec())
    }

    /// Checks that `load` finishes while the store's writer is stuck: another connection holds the file's write lock
    /// (`BEGIN IMMEDIATE`), an append through the store waits for it holding the write connection, and the load
    /// must neither wait for that append nor see anything of it; then the lock is let go and the append commits.
    async fn check(load: impl AsyncFnOnce(&SqliteStore) -> Vec<String>, expected: &[&str]) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("events.db");
        let store = SqliteStore::open(&path).unwrap();
        store.append("order-1", ExpectedVersion::NoStream, vec![event("Placed"), event("Paid")]).await.unwrap();

        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let writer = store.clone();
        let append =
            tokio::spawn(
                async move { writer.append("order-1", ExpectedVersion::Exact(2), vec![event("Shipped")]).await },
            );
        // The append has reached SQLite once it holds the write connection, waiting there for the other lock.
        while store.connection.try_lock().is_ok() {
            tokio::task::yield_now().await;
        }

        let loaded = load(&store).await;
        assert_eq!(loaded, expected);
        assert!(!append.is_finished(), "the append waited for the other connection's lock");

        holder.execute_batch("ROLLBACK").unwrap();
        assert_eq!(append.await.unwrap().unwrap().stream_version, 3);
    }

    /// Opens `nested` read connections at once (each read inside the one before) from a pool keeping `kept`, and
    /// checks how many stay open for the next reads.
    fn check_kept(kept: usize, nested: usize, expected_idle: usize) {
        fn read_nested(readers: &super::Readers, depth: usize) {
            if depth > 0 {
                readers.with_connection(|_| read_nested(readers, depth - 1)).unwrap();
            }
        }
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("events.db");
        let _store = SqliteStore::open(&path).unwrap();
        let readers = super::Readers::new(&path, kept);
        read_nested(&readers, nested);
        assert_eq!(readers.idle.lock().unwrap().len(), expected_idle, "kept {kept}, {nested} at once");
        // Reads that find kept connections take them, and give them back.
        read_nested(&readers, nested);
        assert_eq!(readers.idle.lock().unwrap().len(), expected_idle, "kept {kept}, {nested} at once, again");
    }

    #[test]
    fn the_pool_keeps_as_many_connections_as_it_is_told() {
        check_kept(4, 1, 1);
        check_kept(4, 3, 3);
        check_kept(2, 3, 2);
        check_kept(1, 5, 1);
        check_kept(0, 2, 0);
    }

    #[test]
    fn loads_proceed_beside_a_writer_waiting_for_the_file() {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(loads());
    }

    async fn loads() {
        let names =
            |events: Vec<crate::RecordedEvent>| events.into_iter().map(|event| event.envelope.event_name).collect();
        check(async |store| names(store.read_stream("order-1", 1).await.unwrap()), &["Placed", "Paid"]).await;
        check(
            async |store| {
                let visit = |names: &mut Vec<String>, event: crate::RecordedEventRef<'_>| {
                    names.push(event.event_name.to_owned());
                    Ok(())
                };
                store.fold_stream("order-1", 1, Vec::new(), visit).await.unwrap()
            },
            &["Placed", "Paid"],
        )
        .await;
        check(async |store| vec![store.stream_version("order-1").await.unwrap().to_string()], &["2"]).await;
        check(
            async |store| names(store.read_all(&crate::store::LogQuery::default()).await.unwrap()),
            &["Placed", "Paid"],
        )
        .await;
    }
}
