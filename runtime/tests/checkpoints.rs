//! Every store keeps projections' checkpoints by name: saved ones read back (from a reopened store where the store
//! is a file), reset ones and unknown ones read as 1.

use factum::store::memory::MemoryStore;
use factum::store::sqlite::SqliteStore;
use factum::store::AnyStore;
use factum::CheckpointStore;

/// One step on the checkpoints of projections `a` and `b`.
#[derive(Debug, Clone, Copy)]
enum Step {
    Save(&'static str, u64),
    Reset(&'static str),
}

/// The steps, each with the checkpoints of `a` and `b` after it.
const STEPS: [(&[Step], u64, u64); 4] = [
    (&[], 1, 1),
    (&[Step::Save("a", 7)], 7, 1),
    (&[Step::Save("a", 9), Step::Save("b", 3)], 9, 3),
    (&[Step::Reset("a"), Step::Reset("c")], 1, 3),
];

/// Runs [`STEPS`] on `store`, reading the checkpoints back through `reopen` after each.
fn check<S: CheckpointStore>(store: &S, reopen: impl Fn() -> S) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime");
    for (steps, a, b) in STEPS {
        for step in steps {
            match *step {
                Step::Save(name, next) => runtime.block_on(store.save_checkpoint(name, next)).unwrap(),
                Step::Reset(name) => runtime.block_on(store.reset_checkpoint(name)).unwrap(),
            }
        }
        let reopened = reopen();
        let found =
            (runtime.block_on(reopened.checkpoint("a")).unwrap(), runtime.block_on(reopened.checkpoint("b")).unwrap());
        assert_eq!(found, (a, b), "after {steps:?}");
    }
}

#[test]
fn the_memory_store_keeps_checkpoints_for_its_clones() {
    let store = MemoryStore::new();
    check(&store, || store.clone());
}

#[test]
fn the_sqlite_store_keeps_checkpoints_in_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    check(&SqliteStore::open(&path).unwrap(), || SqliteStore::open(&path).unwrap());
}

#[test]
fn any_store_keeps_the_checkpoints_of_its_backend() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("events.sqlite").display());
    check(&AnyStore::open(&url).unwrap(), || AnyStore::open(&url).unwrap());
    let memory = AnyStore::open("memory:").unwrap();
    check(&memory, || memory.clone());
}
