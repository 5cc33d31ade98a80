//! What the stress tests on SQLite and on PostgreSQL share: several processes of the binary's `stress` filling one
//! conference on the store at a URL, and the projection row the aggregate's state says it must have.
#![allow(dead_code, unreachable_pub)] // Each test file uses a part of the helpers.

use conference_example::schema::{Conference, ConferenceState};
use conference_example::stress::StressReport;
use conference_example::{available, Availability};
use factum::store::AnyStore;
use factum::types::Uuid;
use factum::{CommandService, Loaded};

/// The projection's row of `conference`, as the aggregate's state says it must be.
pub fn agreeing(conference: Uuid, state: &ConferenceState) -> Availability {
    Availability { conference, capacity: state.capacity, reserved: state.reserved, available: available(state) }
}

/// Runs `processes` processes of the binary's `stress` (8 tasks each, `requests` one-seat requests each) on the
/// store at `url`, against `conference` of `capacity` seats; checks that none gave up, that every request was
/// answered, that exactly `capacity` were accepted in all, and that the aggregate agrees; returns it as loaded.
pub fn fill_from_processes(
    url: &str,
    conference: Uuid,
    processes: u32,
    requests: u32,
    capacity: u32,
) -> Loaded<Conference> {
    let children: Vec<_> = (0..processes)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_conference-example"))
                .args(["--store", url, "stress", "--tasks", "8"])
                .args(["--capacity", &capacity.to_string(), "--requests", &requests.to_string()])
                .args(["--conference", &conference.to_string()])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the example binary starts")
        })
        .collect();
    let mut accepted = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "a stress process failed on `{url}`: {output:?}");
        let report: StressReport = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report.gave_up, 0, "{report:?}");
        assert_eq!(report.accepted + report.rejected, u64::from(requests));
        accepted += report.accepted;
    }
    let total = u64::from(processes * requests);
    assert_eq!(accepted, u64::from(capacity));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let loaded = runtime.block_on(async {
        let store = AnyStore::connect(url).await.unwrap();
        CommandService::<Conference, _>::new(store).load(&conference).await.unwrap()
    });
    assert_eq!(loaded.state.reserved, capacity);
    assert_eq!(loaded.state.reservations.len() as u64, accepted);
    assert_eq!(loaded.version, total + 1, "the creation (once) and one event per request");
    loaded
}
