//! Tests of the retry policy's arithmetic: the window each pause is drawn from, and when a command is given up on.

use std::time::Duration;

use factum::RetryPolicy;

const MS: Duration = Duration::from_millis(1);

/// Checks the pause after `failed` failed attempts and `elapsed` time, drawn at `unit` in its window.
fn check(policy: RetryPolicy, failed: u32, elapsed: Duration, unit: f64, expected: Option<Duration>) {
    assert_eq!(
        policy.backoff(failed, elapsed, unit),
        expected,
        "{policy:?} after {failed} failures, {elapsed:?}, {unit}"
    );
}

#[test]
fn pauses_grow_exponentially_up_to_the_cap() {
    let policy = RetryPolicy::new().with_backoff(2 * MS, 100 * MS);
    // (failed attempts, expected window): the top of the window, drawn with a unit just under 1.
    let cases = [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 64), (7, 100), (40, 100), (999, 100)];
    for (failed, window) in cases {
        check(policy, failed, Duration::ZERO, 1.0, Some(window * MS));
        check(policy, failed, Duration::ZERO, 0.5, Some(window * MS / 2));
        check(policy, failed, Duration::ZERO, 0.0, Some(Duration::ZERO));
    }
}

#[test]
fn commands_are_given_up_on_by_attempts_or_by_time() {
    let policy = RetryPolicy::new().with_max_attempts(3).with_max_elapsed(50 * MS).with_backoff(10 * MS, 10 * MS);
    check(policy, 1, Duration::ZERO, 1.0, Some(10 * MS));
    check(policy, 2, Duration::ZERO, 1.0, Some(10 * MS));
    check(policy, 3, Duration::ZERO, 0.0, None);
    check(policy, 1, 40 * MS, 1.0, Some(10 * MS));
    check(policy, 1, 41 * MS, 1.0, None);
    check(policy, 1, 41 * MS, 0.5, Some(5 * MS));
    check(RetryPolicy::never(), 1, Duration::ZERO, 0.0, None);
}

#[test]
fn the_defaults_hold_under_heavy_contention() {
    let policy = RetryPolicy::default();
    assert_eq!(policy, RetryPolicy::new());
    assert_eq!(policy.max_attempts(), RetryPolicy::DEFAULT_MAX_ATTEMPTS);
    assert_eq!(policy.max_elapsed(), RetryPolicy::DEFAULT_MAX_ELAPSED);
    assert_eq!((policy.initial_backoff(), policy.max_backoff()), (2 * MS, 100 * MS));
    // A maximum below the initial pause is raised to it.
    assert_eq!(RetryPolicy::new().with_backoff(5 * MS, MS).max_backoff(), 5 * MS);
}
