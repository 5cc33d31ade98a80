//! The PostgreSQL server tests run against, and schemas of a test's own on it (feature `postgres`).
//!
//! The server is `FACTUM_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`). Tests that need it fail
//! when it cannot be reached, naming the URL: they never skip.

/// The default server of the tests.
pub const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server the tests use: `FACTUM_TEST_POSTGRES`, or [`DEFAULT_SERVER`].
pub fn server_url() -> String {
    std::env::var("FACTUM_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// A schema of a test's own on the test server, dropped with everything in it when this is dropped, so that tests
/// running at once (in one process or several) never see each other's events or tables.
#[derive(Debug)]
pub struct ScratchSchema {
    name: String,
}

impl ScratchSchema {
    /// The schema `name`: unique to the test (a tag, the process id, a counter), and a valid store schema name
    /// (lowercase letters, digits and `_`). The store creates it when it connects.
    pub fn new(name: impl Into<String>) -> Self {
        ScratchSchema { name: name.into() }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's URL with this schema as the store's (`schema=NAME`).
    pub fn url(&self) -> String {
        let server = server_url();
        let separator = if server.contains('?') { '&' } else { '?' };
        format!("{server}{separator}schema={}", self.name)
    }
}

impl Drop for ScratchSchema {
    /// Drops the schema from a thread of its own, with a runtime of its own, since this may be dropped inside a
    /// runtime; a failure is printed, never a panic.
    fn drop(&mut self) {
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime
                .block_on(async {
                    let (client, connection) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls).await?;
                    tokio::spawn(connection);
                    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await
                })
                .map_err(std::io::Error::other)
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("could not drop the test schema `{}`: {error}", self.name),
            Err(_) => eprintln!("could not drop the test schema `{}`: the dropping thread panicked", self.name),
        }
    }
}
