//! The stress invariants on a real SQLite file: many concurrent reservations, from tasks of one process and from
//! several processes, never give up and never reserve a seat too many or too few; and afterwards the
//! `SeatAvailability` projection, caught up, agrees with the aggregate.

mod common;

use common::agreeing;
use conference_example::schema::Conference;
use conference_example::stress::{self, Stress, StressReport};
use conference_example::SeatTable;
use factum::store::sqlite::SqliteStore;
use factum::types::Uuid;
use factum::{CommandService, RetryPolicy};

/// Checks a run of `requests` requests of `seats` seats against `capacity`, from `tasks` tasks.
fn check(report: &StressReport, capacity: u32, requests: u32, seats: u32) {
    let requested = u64::from(requests) * u64::from(seats);
    // The largest number of seats that requests of `seats` seats can fill.
    let fillable = u64::from(capacity) / u64::from(seats) * u64::from(seats);
    let expected_reserved = requested.min(fillable);
    assert_eq!(report.gave_up, 0, "{report:?}");
    assert_eq!(u64::from(report.reserved_seats), expected_reserved, "{report:?}");
    assert_eq!(report.accepted * u64::from(seats), expected_reserved, "{report:?}");
    assert_eq!(report.accepted + report.rejected, u64::from(requests), "{report:?}");
    assert_eq!((report.events, report.stream_version), (u64::from(requests) + 1, u64::from(requests) + 1));
    assert_eq!((report.capacity, report.requested_seats), (capacity, requested));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tasks_fill_the_conference_exactly() {
    // (tasks, capacity, requests, seats)
    let cases = [(16, 100, 150, 1), (16, 300, 150, 1), (8, 100, 60, 3), (32, 0, 40, 1)];
    for (tasks, capacity, requests, seats) in cases {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("conference.sqlite")).unwrap();
        let stress = Stress { conference: Uuid::new_v4(), tasks, capacity, requests, seats };
        let report = stress::run(store.clone(), &stress, RetryPolicy::default()).await.unwrap();
        check(&report, capacity, requests, seats);

        SeatTable::runner(store.clone()).catch_up().await.unwrap();
        let rows = store.read_tables(SeatTable::read).await.unwrap();
        let state = CommandService::<Conference, _>::new(store).load(&stress.conference).await.unwrap().state;
        assert_eq!(rows, [agreeing(stress.conference, &state)]);
        assert_eq!(u64::from(rows[0].reserved), u64::from(report.reserved_seats));
    }
}

#[test]
fn several_processes_fill_one_conference_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conference.sqlite");
    let url = format!("sqlite:{}", path.display());
    let conference = Uuid::new_v4();
    let capacity = 100;
    let loaded = common::fill_from_processes(&url, conference, 3, 60, capacity);

    // The projection, brought up to date by the binary's `availability`, agrees with the aggregate.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_conference-example"))
        .args(["--store", &url, "availability"])
        .output()
        .expect("the example binary runs");
    assert!(output.status.success(), "{output:?}");
    let expected = serde_json::to_string(&agreeing(conference, &loaded.state)).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("{expected}\n"));
    assert!(expected.starts_with(&format!("{{\"conference\":\"{conference}\",\"capacity\":{capacity},")));
}
