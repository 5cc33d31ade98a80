//! The PostgreSQL store's layout and its embedded, versioned migrations, applied on connect under a lock so that
//! several processes may connect to a new schema at once.

use super::{pg_error, Client};
use crate::StoreError;

/// The version of the layout this build reads and writes, kept in the schema's `factum_migrations` table (one row
/// per applied migration). A schema at a higher version is refused rather than misread.
///
/// - 1: `streams` (each stream's version, the row an append locks), `events` (the log, keyed by `position`),
///   `projection_checkpoints`, `snapshots`, and the statement trigger that notifies live followers at commit.
pub const SCHEMA_VERSION: i64 = 1;

/// The migrations, in order: migration `n` (1-based) takes a schema from layout `n - 1` to `n`. `{schema}` is
/// replaced by the store's checked schema name.
///
/// `events.position` is the writing transaction's id shifted left by [`super::OFFSET_BITS`], plus the event's
/// offset in its transaction (see the module documentation of `postgres`). `payload` and `metadata` are bytes,
/// kept exactly as appended (`metadata` NULL when empty). `event_version` is a `bigint` since event versions are
/// unsigned 32-bit numbers. The unique constraint on `(stream_id, stream_version)` is the last line of defence
/// behind the `streams` row lock; `event_id` is unique, one id one event.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE {schema}.streams (
        stream_id text   PRIMARY KEY,
        version   bigint NOT NULL
    );
    CREATE TABLE {schema}.events (
        position       bigint      PRIMARY KEY,
        stream_id      text        NOT NULL,
        stream_version bigint      NOT NULL,
        event_name     text        NOT NULL,
        aggregate_type text,
        event_version  bigint      NOT NULL,
        event_id       uuid        NOT NULL,
        recorded_at    timestamptz NOT NULL,
        metadata       bytea,
        payload        bytea       NOT NULL,
        CONSTRAINT events_stream_version UNIQUE (stream_id, stream_version),
        CONSTRAINT events_event_id UNIQUE (event_id)
    );
    CREATE TABLE {schema}.projection_checkpoints (
        projection    text        PRIMARY KEY,
        next_position bigint      NOT NULL,
        updated_at    timestamptz NOT NULL
    );
    CREATE TABLE {schema}.snapshots (
        stream_id      text        PRIMARY KEY,
        stream_version bigint      NOT NULL,
        fingerprint    text        NOT NULL,
        state          bytea       NOT NULL,
        taken_at       timestamptz NOT NULL
    );
    CREATE FUNCTION {schema}.notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('factum_events_{schema}', '');
        RETURN NULL;
    END
    $$;
    CREATE TRIGGER events_notify AFTER INSERT ON {schema}.events
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_events();
"];

/// A schema whose layout is newer than this build's.
#[derive(Debug, thiserror::Error)]
#[error(
    "the schema `{schema}` has layout version {found}, newer than this build of factum reads ({supported}): \
     upgrade factum, or use another schema"
)]
pub struct UnsupportedSchemaVersion {
    /// The schema.
    pub schema: String,
    /// The version found.
    pub found: i64,
    /// The newest version this build reads ([`SCHEMA_VERSION`]).
    pub supported: i64,
}

/// Brings `schema` to [`SCHEMA_VERSION`]: creates it if missing and applies every migration it lacks, in one
/// transaction holding an advisory lock on the schema's name, so that processes connecting at once take turns and
/// each migration runs once.
pub(super) async fn migrate(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    let transaction = client.transaction().await.map_err(pg_error)?;
    transaction
        .execute("SELECT pg_advisory_xact_lock(hashtext('factum migrations ' || $1::text))", &[&schema])
        .await
        .map_err(pg_error)?;
    let setup = format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}; \
         CREATE TABLE IF NOT EXISTS {schema}.factum_migrations (\
             version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    );
    transaction.batch_execute(&setup).await.map_err(pg_error)?;
    let found: Option<i32> = transaction
        .query_one(&format!("SELECT max(version) FROM {schema}.factum_migrations"), &[])
        .await
        .map_err(pg_error)?
        .get(0);
    let found = i64::from(found.unwrap_or(0));
    if found > SCHEMA_VERSION {
        return Err(StoreError::backend(UnsupportedSchemaVersion {
            schema: schema.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        }));
    }
    for (version, migration) in (1i32..).zip(MIGRATIONS).skip(found as usize) {
        transaction.batch_execute(&migration.replace("{schema}", schema)).await.map_err(pg_error)?;
        transaction
            .execute(&format!("INSERT INTO {schema}.factum_migrations (version) VALUES ($1)"), &[&version])
            .await
            .map_err(pg_error)?;
    }
    transaction.commit().await.map_err(pg_error)
}
