//! Bounded reads of one stream: up to a version, recorded before an instant, selected in SQL.

use rusqlite::Connection;

use super::{fold_stream_rows, micros_bound, sql_integer};
use crate::store::StreamQuery;
use crate::{RecordedEventRef, StoreError};

/// The columns of `FOLD_STREAM`, cut at a version.
const UP_TO_VERSION: &str = "SELECT stream_version, event_name, event_version, payload FROM events \
                             WHERE stream_id = ?1 AND stream_version >= ?2 AND stream_version <= ?3 \
                             ORDER BY stream_version";
/// The columns of `FOLD_STREAM`, cut at a version and at a time. The stream's rows are found through the index on
/// `(stream_id, stream_version)`; the time is tested on each of them.
const RECORDED_BEFORE: &str = "SELECT stream_version, event_name, event_version, payload FROM events \
                               WHERE stream_id = ?1 AND stream_version >= ?2 AND stream_version <= ?3 \
                               AND recorded_at < ?4 ORDER BY stream_version";

pub(super) fn fold_stream_query<T>(
    connection: &mut Connection,
    stream_id: &str,
    query: &StreamQuery,
    accumulator: T,
    visit: impl FnMut(&mut T, RecordedEventRef<'_>) -> Result<(), StoreError>,
) -> Result<T, StoreError> {
    let (from, to) = (sql_integer(query.from_version), sql_integer(query.to_version));
    match query.recorded_before {
        None => {
            let parameters = rusqlite::params![stream_id, from, to];
            fold_stream_rows(connection, stream_id, UP_TO_VERSION, parameters, accumulator, visit)
        }
        Some(instant) => {
            let parameters = rusqlite::params![stream_id, from, to, micros_bound(instant)];
            fold_stream_rows(connection, stream_id, RECORDED_BEFORE, parameters, accumulator, visit)
        }
    }
}
