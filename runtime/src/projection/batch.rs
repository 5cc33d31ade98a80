//! What the transactional runners (SQLite's and PostgreSQL's) share: how a batch moves the checkpoint, and how a
//! batch that an event stops is applied up to that event.

use super::ProjectionError;

/// What applying a batch in one transaction came to.
pub(crate) struct Batch {
    /// How many events were applied.
    pub(crate) applied: usize,
    /// The new checkpoint.
    pub(crate) next: u64,
    /// The position of the log's last event, read in the batch's transaction.
    pub(crate) head: u64,
}

/// The checkpoint after a batch that started at `from` and applied `applied` events (of at most `batch`), the last
/// at position `last`, while the log readable in its transaction ended at `head`; `before` is the position of the
/// event that stopped an earlier attempt at this batch, when this one applies only the events before it.
///
/// A full batch continues after its last event. A batch short of its limit saw every subscribed event up to the
/// head, so the projection continues after the head (never going back before `from`). A batch cut short by a
/// failing event stops *at* it, so that the next run starts with that event.
pub(crate) fn next_checkpoint(
    from: u64,
    before: Option<u64>,
    last: Option<u64>,
    applied: usize,
    batch: usize,
    head: u64,
) -> u64 {
    match (before, last) {
        (Some(before), _) => before.max(from),
        (None, Some(last)) if applied == batch => last + 1,
        (None, _) => (head + 1).max(from),
    }
}

/// Applies the next batch with `apply_range` (which applies, in one transaction, the batch's events before the
/// position it is given, or all of them, and moves the checkpoint; any error rolls that transaction back). When an
/// event stops the batch, the events before it are applied again in a transaction of their own, which moves the
/// checkpoint up to that event, and the batch's error is returned: the projection stops *at* the event, as the
/// at-least-once runners do, with everything before it applied exactly once.
pub(crate) fn stop_at_failing_event<E: std::error::Error + 'static>(
    mut apply_range: impl FnMut(Option<u64>) -> Result<Batch, ProjectionError<E>>,
) -> Result<Batch, ProjectionError<E>> {
    match apply_range(None) {
        Err(error) => {
            if let Some(stopped_at) = error.event().map(|event| event.position) {
                apply_range(Some(stopped_at))?;
            }
            Err(error)
        }
        applied => applied,
    }
}

#[cfg(test)]
mod tests {
    use super::next_checkpoint;

    /// `(from, before, last, applied, batch, head)` and the checkpoint they make.
    #[test]
    fn the_checkpoint_after_a_batch() {
        let check = |(from, before, last, applied, batch, head): (u64, Option<u64>, Option<u64>, usize, usize, u64),
                     expected: u64| {
            assert_eq!(next_checkpoint(from, before, last, applied, batch, head), expected);
        };
        // A full batch continues after its last event, whatever the head.
        check((1, None, Some(40), 4, 4, 90), 41);
        // A short batch saw everything up to the head.
        check((1, None, Some(40), 3, 4, 90), 91);
        // Nothing subscribed below the head: past it all the same.
        check((12, None, None, 0, 4, 90), 91);
        // A head behind the checkpoint (another runner moved on) never moves it back.
        check((95, None, None, 0, 4, 90), 95);
        // A batch cut at a failing event stops at that event.
        check((1, Some(30), Some(20), 2, 4, 90), 30);
        check((30, Some(30), None, 0, 4, 90), 30);
    }
}
