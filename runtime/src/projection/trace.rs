//! What projection runners tell `tracing`: a span per run (catch-up, rebuild, follow) naming the projection, and an
//! event per batch with the checkpoint, the head of the log and the lag between them.

/// The span of one run of the projection `projection`; `run` is `catch_up`, `rebuild` or `follow` (a follow's
/// catch-ups are spans inside its own).
pub(crate) fn run_span(projection: &'static str, run: &'static str) -> tracing::Span {
    tracing::info_span!("projection", projection, run)
}

/// Tells that a batch of `applied` events was applied and the checkpoint moved to `checkpoint` (the position the
/// projection continues from), while the log's last event was at `head`.
///
/// The lag is how many positions of the log lie past the last one the projection has seen: `head` minus the
/// checkpoint's last seen position (`checkpoint - 1`), 0 once caught up.
pub(crate) fn batch_applied(applied: usize, checkpoint: u64, head: u64) {
    let lag = head.saturating_sub(checkpoint.saturating_sub(1));
    tracing::debug!(applied, checkpoint, head, lag, "projection batch applied");
}

/// The position of the log's last event after a batch of `applied` events (of at most `batch`) that moved the
/// checkpoint to `next`, for [`batch_applied`].
///
/// A batch short of its limit read to the end of the log, so the head is the checkpoint's last seen position. A full
/// batch ended at an event (at `next - 1`), so waiting for the log to reach that event returns at once, with the head
/// as the store knows it (of a store in a file, the last commit this process made or saw). Nobody listening, no
/// question asked.
pub(crate) async fn head_after<S: crate::EventStore>(
    store: &S,
    applied: usize,
    batch: usize,
    next: u64,
) -> Result<u64, crate::StoreError> {
    let seen = next.saturating_sub(1);
    if applied < batch || seen == 0 || !tracing::enabled!(tracing::Level::DEBUG) {
        return Ok(seen);
    }
    store.wait_for_events(seen).await
}
