//! The stress invariants on PostgreSQL, against the real server (`FACTUM_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`), in a schema of the test's own that is dropped afterwards: several
//! processes reserving seats of one conference at once never give up and never reserve a seat too many or too few,
//! and the `SeatAvailability` table, brought up to date by the binary's `availability`, agrees with the aggregate.
//! The test fails when the server cannot be reached.

mod common;

use factum::store::postgres::tokio_postgres;
use factum::types::Uuid;

fn postgres_url() -> String {
    std::env::var("FACTUM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Drops the test's schema when dropped.
struct Schema(String);

impl Drop for Schema {
    fn drop(&mut self) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dropped = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0)).await
        });
        if let Err(error) = dropped {
            eprintln!("could not drop the test schema `{}`: {error}", self.0);
        }
    }
}

#[test]
fn several_processes_fill_one_conference_exactly_on_postgres() {
    let schema = Schema(format!("test_conference_{}", std::process::id()));
    let separator = if postgres_url().contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}schema={}", postgres_url(), schema.0);
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
