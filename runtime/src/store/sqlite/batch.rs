//! Appends to several streams in one write transaction.

use rusqlite::{Connection, TransactionBehavior};

use super::write_append;
use crate::store::StreamAppend;
use crate::{AppendOutcome, StoreError};

/// Writes every append of the batch in order inside one `IMMEDIATE` transaction; the first error drops the
/// transaction, which rolls back every append before it.
pub(super) fn append_batch(
    connection: &mut Connection,
    appends: &[StreamAppend],
) -> Result<Vec<AppendOutcome>, StoreError> {
    let transaction =
        connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(super::sqlite_error)?;
    let outcomes = appends
        .iter()
        .map(|append| write_append(&transaction, &append.stream_id, append.expected, &append.events))
        .collect::<Result<Vec<_>, _>>()?;
    transaction.commit().map_err(super::sqlite_error)?;
    Ok(outcomes)
}
