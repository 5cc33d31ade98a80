//! Snapshots across a change of the state block: a snapshot taken by one build (`schemas/tally_v1.factum`) is
//! ignored by the next (`schemas/tally_v2.factum`, whose state has another shape), which folds the stream from its
//! start and replaces the snapshot with one of its own.

use factum::store::memory::MemoryStore;
use factum::store::SnapshotStore;
use factum::{load, Aggregate, CommandService, SnapshotPolicy};

/// The first build.
pub mod v1 {
    factum::include_schema!("tally_v1");

    impl TallyDecide for Tally {
        type Error = std::convert::Infallible;
        fn count(&self, _: &TallyState, command: Count) -> Result<Counted, Self::Error> {
            Ok(Counted { by: command.by })
        }
    }

    impl TallyEvolve for TallyState {
        fn counted(&mut self, event: &Counted) {
            self.total += event.by;
        }
    }
}

/// The next build: its state counts in tens, so a first-build state read as its own would be off.
pub mod v2 {
    factum::include_schema!("tally_v2");

    impl TallyDecide for Tally {
        type Error = std::convert::Infallible;
        fn count(&self, _: &TallyState, command: Count) -> Result<Counted, Self::Error> {
            Ok(Counted { by: command.by })
        }
    }

    impl TallyEvolve for TallyState {
        fn counted(&mut self, event: &Counted) {
            self.total += u64::from(event.by) * 10;
        }
    }
}

#[tokio::test]
async fn a_changed_state_block_ignores_old_snapshots_and_replaces_them() {
    assert_ne!(v1::Tally::STATE_FINGERPRINT, v2::Tally::STATE_FINGERPRINT);
    let store = MemoryStore::new();
    let id = "t".to_owned();
    let stream_id = v1::Tally::stream_id(&id);

    let first = CommandService::<v1::Tally, _>::new(store.clone()).with_snapshots(SnapshotPolicy::Every(2));
    for by in [1, 2, 3] {
        first.handle(&id, v1::Count { by }.into()).await.unwrap();
    }
    let kept = store.load_snapshot(&stream_id).await.unwrap().expect("the first build's snapshot");
    assert_eq!((kept.stream_version, kept.fingerprint.as_str()), (2, v1::Tally::STATE_FINGERPRINT));
    assert_eq!(first.load(&id).await.unwrap().state.total, 6);

    let next = CommandService::<v2::Tally, _>::new(store.clone()).with_snapshots(SnapshotPolicy::Every(2));
    let loaded = next.load(&id).await.unwrap();
    // Read as its own, the first build's snapshot (a total of 3 at version 2) would make 3 + 30.
    assert_eq!((loaded.state.total, loaded.version), (60, 3));
    let handled = next.handle(&id, v2::Count { by: 4 }.into()).await.unwrap();
    assert_eq!((handled.state.total, handled.stream_version), (100, 4));
    let kept = store.load_snapshot(&stream_id).await.unwrap().expect("the next build's snapshot");
    assert_eq!((kept.stream_version, kept.fingerprint.as_str()), (4, v2::Tally::STATE_FINGERPRINT));
    assert_eq!(next.load(&id).await.unwrap().state, load::<v2::Tally, _>(&store, &stream_id).await.unwrap().state);
}
