//! The PostgreSQL store's statements, written once per store with its schema name in them.

use super::OFFSET_BITS;

/// Every column of an event a read hands out, in the order of [`Columns`].
const SELECTED: &str =
    "stream_version, position, event_name, event_version, payload, metadata, recorded_at, event_id, aggregate_type, \
     stream_id";

/// The column indexes of a row of [`SELECTED`] columns.
pub(super) struct Columns;

impl Columns {
    pub(super) const STREAM_VERSION: usize = 0;
    pub(super) const POSITION: usize = 1;
    pub(super) const EVENT_NAME: usize = 2;
    pub(super) const EVENT_VERSION: usize = 3;
    pub(super) const PAYLOAD: usize = 4;
    pub(super) const METADATA: usize = 5;
    pub(super) const RECORDED_AT: usize = 6;
    pub(super) const EVENT_ID: usize = 7;
    pub(super) const AGGREGATE_TYPE: usize = 8;
    pub(super) const STREAM_ID: usize = 9;
}

/// The statements of one store, its schema name in each.
#[derive(Debug)]
pub(super) struct Statements {
    /// Moves a stream's version on by `$2` events (creating the stream at `$2`), locking its row until the
    /// transaction ends; returns the new version and the transaction's id.
    pub(super) advance_stream: String,
    /// Appends the events of one stream in one statement, so in one round trip and one transaction of its own: moves
    /// the stream `$1` on by `$2` events when its version is within `$3..=$4` (creating it, since 0 is within),
    /// locking its row, and inserts the events given as arrays (`$5`..`$11`) after it, stamped as
    /// [`Statements::insert`] does. Returns the new version and the transaction's id; no row when the version was
    /// outside the range, and then nothing was written.
    pub(super) append_stream: String,
    /// [`Statements::append_stream`] for a range that does not hold 0: a stream that does not exist is not created.
    pub(super) append_existing_stream: String,
    /// A stream's version (no row: 0).
    pub(super) stream_version: String,
    /// Inserts events given as arrays, stamping those without a time with the server's clock, never earlier than the
    /// last event of the log.
    pub(super) insert: String,
    /// Which of the ids `$1` are stored.
    pub(super) taken_ids: String,
    /// A stream's events from a version on.
    pub(super) read_stream: String,
    /// A stream's events in a range of versions, recorded before an instant when `$4` is not NULL.
    pub(super) read_stream_query: String,
    /// The events of a range of positions, below a bound, selected by names, aggregate type and time when those
    /// parameters are not NULL, at most `$7` of them.
    pub(super) read_log: String,
    /// The visibility watermark (the oldest transaction still running, as a position) and the log's last committed
    /// position.
    pub(super) watermark_and_head: String,
    /// The last position below the watermark: the end of the log every reader may read.
    pub(super) readable_head: String,
    /// The last position of the log, committed.
    pub(super) head: String,
    pub(super) checkpoint_read: String,
    pub(super) checkpoint_write: String,
    pub(super) checkpoint_delete: String,
    pub(super) snapshot_read: String,
    pub(super) snapshot_write: String,
    /// The channel the store's trigger notifies at each commit of events.
    pub(super) channel: String,
}

impl Statements {
    /// The statements of a store in `schema`, a checked name.
    pub(super) fn new(schema: &str) -> Self {
        // The watermark: every transaction with an id below the oldest one still running has ended, so every position
        // below it, shifted as positions are, is final.
        let watermark = format!("(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {OFFSET_BITS})");
        Statements {
            advance_stream: format!(
                "INSERT INTO {schema}.streams AS s (stream_id, version) VALUES ($1, $2) ON CONFLICT (stream_id) \
                 DO UPDATE SET version = s.version + excluded.version \
                 RETURNING s.version, pg_current_xact_id()::text::bigint"
            ),
            append_stream: append_stream(
                schema,
                &format!(
                    "INSERT INTO {schema}.streams AS s (stream_id, version) VALUES ($1, $2) \
                     ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version \
                     WHERE s.version BETWEEN $3::bigint AND $4::bigint \
                     RETURNING s.version, pg_current_xact_id()::text::bigint AS xid"
                ),
            ),
            append_existing_stream: append_stream(
                schema,
                &format!(
                    "UPDATE {schema}.streams SET version = version + $2 \
                     WHERE stream_id = $1 AND version BETWEEN $3::bigint AND $4::bigint \
                     RETURNING version, pg_current_xact_id()::text::bigint AS xid"
                ),
            ),
            stream_version: format!("SELECT version FROM {schema}.streams WHERE stream_id = $1"),
            insert: format!(
                "INSERT INTO {schema}.events (position, stream_id, stream_version, event_name, aggregate_type, \
                 event_version, event_id, recorded_at, metadata, payload) \
                 SELECT e.position, e.stream_id, e.stream_version, e.event_name, e.aggregate_type, e.event_version, \
                 e.event_id, coalesce(e.recorded_at, stamp.at), e.metadata, e.payload \
                 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], \
                 $7::uuid[], $8::timestamptz[], $9::bytea[], $10::bytea[]) \
                 AS e(position, stream_id, stream_version, event_name, aggregate_type, event_version, event_id, \
                 recorded_at, metadata, payload), \
                 (SELECT greatest(clock_timestamp(), \
                 (SELECT recorded_at FROM {schema}.events ORDER BY position DESC LIMIT 1)) AS at) AS stamp"
            ),
            taken_ids: format!("SELECT event_id FROM {schema}.events WHERE event_id = ANY($1)"),
            read_stream: format!(
                "SELECT {SELECTED} FROM {schema}.events WHERE stream_id = $1 AND stream_version >= $2 \
                 ORDER BY stream_version"
            ),
            read_stream_query: format!(
                "SELECT {SELECTED} FROM {schema}.events WHERE stream_id = $1 AND stream_version >= $2 \
                 AND stream_version <= $3 AND ($4::timestamptz IS NULL OR recorded_at < $4) ORDER BY stream_version"
            ),
            read_log: format!(
                "SELECT {SELECTED} FROM {schema}.events WHERE position >= $1 AND position <= $2 AND position < $3 \
                 AND ($4::text[] IS NULL OR event_name = ANY($4)) \
                 AND ($5::text IS NULL OR aggregate_type = $5) \
                 AND ($6::timestamptz IS NULL OR recorded_at < $6) \
                 ORDER BY position LIMIT $7"
            ),
            watermark_and_head: format!(
                "SELECT {watermark}, (SELECT position FROM {schema}.events ORDER BY position DESC LIMIT 1)"
            ),
            readable_head: format!(
                "SELECT (SELECT position FROM {schema}.events WHERE position < {watermark} \
                 ORDER BY position DESC LIMIT 1)"
            ),
            head: format!("SELECT (SELECT position FROM {schema}.events ORDER BY position DESC LIMIT 1)"),
            checkpoint_read: format!("SELECT next_position FROM {schema}.projection_checkpoints WHERE projection = $1"),
            checkpoint_write: format!(
                "INSERT INTO {schema}.projection_checkpoints (projection, next_position, updated_at) \
                 VALUES ($1, $2, now()) ON CONFLICT (projection) DO UPDATE \
                 SET next_position = excluded.next_position, updated_at = excluded.updated_at"
            ),
            checkpoint_delete: format!("DELETE FROM {schema}.projection_checkpoints WHERE projection = $1"),
            snapshot_read: format!(
                "SELECT sn.stream_version, sn.fingerprint, sn.state, sn.taken_at FROM {schema}.snapshots sn \
                 JOIN {schema}.streams st ON st.stream_id = sn.stream_id \
                 WHERE sn.stream_id = $1 AND sn.stream_version <= st.version"
            ),
            snapshot_write: format!(
                "INSERT INTO {schema}.snapshots AS s (stream_id, stream_version, fingerprint, state, taken_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream_id) DO UPDATE \
                 SET stream_version = excluded.stream_version, fingerprint = excluded.fingerprint, \
                 state = excluded.state, taken_at = excluded.taken_at \
                 WHERE excluded.fingerprint <> s.fingerprint OR excluded.stream_version >= s.stream_version"
            ),
            channel: format!("factum_events_{schema}"),
        }
    }
}

/// The statement of an append to one stream whose first step, `advance`, moves the stream's version on and returns
/// the new version and the transaction's id (as `version`, `xid`); see [`Statements::append_stream`].
fn append_stream(schema: &str, advance: &str) -> String {
    format!(
        "WITH advanced AS ({advance}), \
         stamp AS (SELECT greatest(clock_timestamp(), \
         (SELECT recorded_at FROM {schema}.events ORDER BY position DESC LIMIT 1)) AS at), \
         inserted AS (\
         INSERT INTO {schema}.events (position, stream_id, stream_version, event_name, aggregate_type, \
         event_version, event_id, recorded_at, metadata, payload) \
         SELECT (a.xid << {OFFSET_BITS}) | (e.ord - 1), $1, a.version - $2 + e.ord, e.event_name, \
         e.aggregate_type, e.event_version, e.event_id, coalesce(e.recorded_at, stamp.at), e.metadata, e.payload \
         FROM advanced AS a, stamp, unnest($5::text[], $6::text[], $7::bigint[], $8::uuid[], \
         $9::timestamptz[], $10::bytea[], $11::bytea[]) WITH ORDINALITY \
         AS e(event_name, aggregate_type, event_version, event_id, recorded_at, metadata, payload, ord)) \
         SELECT version, xid FROM advanced"
    )
}
