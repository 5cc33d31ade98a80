//! Choosing a store at run time from a URL: each scheme opens its backend, the suite passes through the one type,
//! and a URL that names no store is a clear error.

use factum::store::{AnyStore, LogQuery, StoreUrlError};
use factum::{EventStore, ExpectedVersion, NewEvent};

mod memory {
    factum_testkit::store_conformance_tests!(|| async { factum::store::AnyStore::open("memory:").unwrap() });
}

#[cfg(feature = "sqlite")]
mod sqlite_in_memory {
    factum_testkit::store_conformance_tests!(|| async { factum::store::AnyStore::open("sqlite::memory:").unwrap() });
}

/// Opens `url` and says which backend it is (an SQLite file with the options not left at their defaults), or the
/// error's message.
fn check(url: &str, expected: &str) {
    let opened = match AnyStore::open(url) {
        Ok(AnyStore::Memory(_)) => "memory".to_owned(),
        #[cfg(feature = "sqlite")]
        Ok(AnyStore::Sqlite(store)) => {
            let options = store.options();
            let mut described = "sqlite".to_owned();
            if options.durability != factum::store::sqlite::Durability::Full {
                described += &format!(", {:?}", options.durability);
            }
            if options.readers != factum::store::sqlite::SqliteOptions::DEFAULT_READERS {
                described += &format!(", {} readers", options.readers);
            }
            described
        }
        Ok(other) => format!("another store: {other:?}"),
        Err(error) => error.to_string(),
    };
    assert_eq!(opened, expected, "{url}");
}

#[test]
fn urls_open_their_backend_or_say_what_is_wrong() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("events.db");
    let missing_folder = directory.path().join("missing").join("events.db");
    let cases: Vec<(String, String)> = vec![
        ("memory:".into(), "memory".into()),
        (format!("sqlite:{}", file.display()), "sqlite".into()),
        (format!("sqlite://{}", file.display()), "sqlite".into()),
        ("sqlite::memory:".into(), "sqlite".into()),
        (format!("sqlite:{}?durability=relaxed", file.display()), "sqlite, Relaxed".into()),
        (format!("sqlite://{}?durability=full", file.display()), "sqlite".into()),
        ("sqlite::memory:?durability=relaxed".into(), "sqlite".into()),
        (format!("sqlite:{}?readers=8", file.display()), "sqlite, 8 readers".into()),
        (format!("sqlite:{}?readers=0", file.display()), "sqlite, 0 readers".into()),
        (format!("sqlite:{}?readers=4", file.display()), "sqlite".into()),
        (format!("sqlite:{}?durability=relaxed&readers=16", file.display()), "sqlite, Relaxed, 16 readers".into()),
        (format!("sqlite:{}?readers=2&durability=relaxed", file.display()), "sqlite, Relaxed, 2 readers".into()),
        // The last of an option given twice counts, as in most URL readers.
        (format!("sqlite:{}?readers=2&readers=3", file.display()), "sqlite, 3 readers".into()),
        ("sqlite::memory:?readers=2".into(), "sqlite".into()),
        (
            format!("sqlite:{}?durability=fast", file.display()),
            format!(
                "`sqlite:{}?durability=fast`: unknown store option `durability=fast`: `durability` is `full` or \
                 `relaxed`",
                file.display()
            ),
        ),
        (
            "sqlite:events.db?cache=shared".into(),
            "`sqlite:events.db?cache=shared`: unknown store option `cache=shared`: an `sqlite:` URL takes \
             `durability=full|relaxed` and `readers=N`"
                .into(),
        ),
        (
            "sqlite:events.db?readers".into(),
            "`sqlite:events.db?readers`: unknown store option `readers`: an `sqlite:` URL takes \
             `durability=full|relaxed` and `readers=N`"
                .into(),
        ),
        (
            "sqlite:events.db?readers=many".into(),
            "`sqlite:events.db?readers=many`: unknown store option `readers=many`: `readers` is a whole number of \
             connections, e.g. `readers=8`"
                .into(),
        ),
        (
            "sqlite:events.db?readers=-1".into(),
            "`sqlite:events.db?readers=-1`: unknown store option `readers=-1`: `readers` is a whole number of \
             connections, e.g. `readers=8`"
                .into(),
        ),
        (
            "sqlite:events.db?readers=+2".into(),
            "`sqlite:events.db?readers=+2`: unknown store option `readers=+2`: `readers` is a whole number of \
             connections, e.g. `readers=8`"
                .into(),
        ),
        (
            "sqlite:events.db?readers=".into(),
            "`sqlite:events.db?readers=`: unknown store option `readers=`: `readers` is a whole number of \
             connections, e.g. `readers=8`"
                .into(),
        ),
        (
            "sqlite:events.db?readers=99999999999999999999999".into(),
            "`sqlite:events.db?readers=99999999999999999999999`: unknown store option \
             `readers=99999999999999999999999`: `readers` is a number of connections, and this is too many"
                .into(),
        ),
        (
            "events.db".into(),
            "`events.db` is not a store URL: expected `memory:`, `sqlite:PATH` or `sqlite::memory:`".into(),
        ),
        ("memory:now".into(), "`memory:now`: a memory store takes nothing after `memory:`".into()),
        ("sqlite:".into(), "`sqlite:` names no database file: write `sqlite:PATH` or `sqlite::memory:`".into()),
        ("sqlite://".into(), "`sqlite://` names no database file: write `sqlite:PATH` or `sqlite::memory:`".into()),
        (
            "postgres://localhost/events".into(),
            if cfg!(feature = "postgres") {
                "`postgres://localhost/events` names a store on a server: open it with `AnyStore::connect`, which \
                 awaits the connection"
            } else {
                "unknown store scheme `postgres` in `postgres://localhost/events`: this build knows `memory:` and \
                 `sqlite:` (`postgres:` needs the `postgres` feature)"
            }
            .into(),
        ),
        (
            "nats://localhost".into(),
            if cfg!(feature = "postgres") {
                "unknown store scheme `nats` in `nats://localhost`: this build knows `memory:`, `sqlite:` and `postgres:`"
            } else {
                "unknown store scheme `nats` in `nats://localhost`: this build knows `memory:` and `sqlite:` \
                 (`postgres:` needs the `postgres` feature)"
            }
            .into(),
        ),
        (
            format!("sqlite:{}", missing_folder.display()),
            format!(
                "cannot open the store `sqlite:{0}`: event store backend failed: cannot open the SQLite event store \
                 `{0}`: unable to open database file: {0}",
                missing_folder.display()
            ),
        ),
    ];
    for (url, expected) in cases {
        check(&url, &expected);
    }
}

#[test]
fn a_sqlite_url_opens_the_same_file_each_time() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", directory.path().join("events.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let first = AnyStore::open(&url).unwrap();
        first.append("A", ExpectedVersion::NoStream, vec![NewEvent::new("Created", 1, "{}")]).await.unwrap();
        let second: AnyStore = url.parse().unwrap();
        assert_eq!(second.read_all(&LogQuery::all()).await.unwrap().len(), 1);
    });
    assert!(matches!(AnyStore::open("nope"), Err(StoreUrlError::NoScheme { .. })));
}
