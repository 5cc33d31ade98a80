//! The stress invariants on PostgreSQL, against the real server (`FACTUM_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`), in a schema of the test's own that is dropped afterwards: several
//! processes reserving seats of one conference at once never give up and never reserve a seat too many or too few,
//! and the `SeatAvailability` table, brought up to date by the binary's `availability`, agrees with the aggregate.
//! The test fails when the server cannot be reached.

mod common;

use factum::types::Uuid;
use factum_testkit::postgres::ScratchSchema;

#[test]
fn several_processes_fill_one_conference_exactly_on_postgres() {
    let schema = ScratchSchema::new(format!("test_conference_{}", std::process::id()));
    let url = schema.url();
    let conference = Uuid::new_v4();
    let loaded = common::fill_from_processes(&url, conference, 3, 60, 100);

    // Two processes bring the projection up to date at once: they take turns, and the table agrees with the
    // aggregate, every event applied once.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_conference-example"))
                .args(["--store", &url, "availability"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("the example binary runs")
        })
        .collect();
    let expected = serde_json::to_string(&common::agreeing(conference, &loaded.state)).unwrap();
    for reader in readers {
        let output = reader.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("{expected}\n"));
    }
}
