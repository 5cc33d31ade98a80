//! The projections' checkpoints and the aggregates' snapshots, in the store's schema.

use super::rows::stored_position;
use super::{sql_integer, PostgresStore};
use crate::store::{CheckpointStore, Snapshot, SnapshotStore};
use crate::StoreError;

impl CheckpointStore for PostgresStore {
    async fn checkpoint(&self, projection: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let lost = client.lost.clone();
        let statement =
            client.prepare_cached(&self.shared.sql.checkpoint_read).await.map_err(|error| lost.fail(error))?;
        let row = client.query_opt(&statement, &[&projection]).await.map_err(|error| lost.fail(error))?;
        Ok(row.map_or(1, |row| stored_position(Some(row.get(0))).max(1)))
    }

    async fn save_checkpoint(&self, projection: &str, next_position: u64) -> Result<(), StoreError> {
        let client = self.client().await?;
        let lost = client.lost.clone();
        let statement =
            client.prepare_cached(&self.shared.sql.checkpoint_write).await.map_err(|error| lost.fail(error))?;
        let next_position = sql_integer(next_position.max(1));
        client.execute(&statement, &[&projection, &next_position]).await.map_err(|error| lost.fail(error))?;
        Ok(())
    }

    async fn reset_checkpoint(&self, projection: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        let lost = client.lost.clone();
        let statement =
            client.prepare_cached(&self.shared.sql.checkpoint_delete).await.map_err(|error| lost.fail(error))?;
        client.execute(&statement, &[&projection]).await.map_err(|error| lost.fail(error))?;
        Ok(())
    }
}

impl SnapshotStore for PostgresStore {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let client = self.client().await?;
        let lost = client.lost.clone();
        let statement =
            client.prepare_cached(&self.shared.sql.snapshot_read).await.map_err(|error| lost.fail(error))?;
        let Some(row) = client.query_opt(&statement, &[&stream_id]).await.map_err(|error| lost.fail(error))? else {
            return Ok(None);
        };
        let corrupt = |message: String| StoreError::Corrupt {
            stream_id: stream_id.to_owned(),
            stream_version: 0,
            message: format!("snapshot: {message}"),
        };
        let stream_version: i64 = row.try_get(0).map_err(|error| corrupt(error.to_string()))?;
        if stream_version < 1 {
            return Err(corrupt(format!("stream version {stream_version} is not positive")));
        }
        Ok(Some(Snapshot {
            stream_version: stream_version as u64,
            fingerprint: row.try_get(1).map_err(|error| corrupt(error.to_string()))?,
            state: row.try_get(2).map_err(|error| corrupt(error.to_string()))?,
            taken_at: row.try_get(3).map_err(|error| corrupt(error.to_string()))?,
        }))
    }

    async fn save_snapshot(&self, stream_id: &str, snapshot: Snapshot) -> Result<(), StoreError> {
        let client = self.client().await?;
        let lost = client.lost.clone();
        let statement =
            client.prepare_cached(&self.shared.sql.snapshot_write).await.map_err(|error| lost.fail(error))?;
        let stream_version = sql_integer(snapshot.stream_version);
        client
            .execute(
                &statement,
                &[&stream_id, &stream_version, &snapshot.fingerprint, &snapshot.state, &snapshot.taken_at],
            )
            .await
            .map_err(|error| lost.fail(error))?;
        Ok(())
    }
}
