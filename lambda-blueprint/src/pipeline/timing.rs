//! Time: how long a call may run, and when it must be over, from the invocation's deadline.

use std::time::{Duration, Instant, SystemTime};

use algorithmia_client::wire::{DEFAULT_ALGO_TIMEOUT_SECS, MAX_ALGO_TIMEOUT_SECS};

/// Time kept back from the deadline for settling the records (delivering results, writing marks)
/// and answering Lambda.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(1000);
/// A call is not started with less time than this left (after the margin).
pub const MIN_CALL_TIME: Duration = Duration::from_secs(1);
/// The algorithm timeout when neither the configuration nor a deadline sets one: the API's.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(DEFAULT_ALGO_TIMEOUT_SECS);

/// The algorithm timeout for a call starting now: the configured one, bounded by the time left
/// before the deadline less a margin, in whole seconds (so the HTTP request, which gets the
/// algorithm timeout plus a small margin, still ends before Lambda's deadline).
pub(crate) fn call_timeout(
    configured: Option<Duration>,
    deadline: Option<Instant>,
) -> Result<Duration, String> {
    let left = deadline.map(|d| {
        d.saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN)
    });
    if let Some(left) = left
        && left < MIN_CALL_TIME
    {
        return Err(format!(
            "not sent: the invocation had {} ms left, too little for a call",
            left.as_millis()
        ));
    }
    let wanted = configured.unwrap_or(DEFAULT_TIMEOUT);
    let bounded = left.map_or(wanted, |left| wanted.min(left));
    Ok(Duration::from_secs(
        bounded.as_secs().clamp(1, MAX_ALGO_TIMEOUT_SECS),
    ))
}

/// When a call, retries included, must be over: the invocation's deadline less the margin kept
/// for answering Lambda.
pub(crate) fn call_deadline(deadline: Option<Instant>) -> Option<Instant> {
    deadline.map(|d| d.checked_sub(DEADLINE_MARGIN).unwrap_or(d))
}

/// Time kept back from the deadline for answering Lambda once records are settled.
const ANSWER_MARGIN: Duration = Duration::from_millis(250);

/// When delivering results and writing marks must be over: the deadline less the time kept
/// back for answering Lambda (calls end [`DEADLINE_MARGIN`] before the deadline, leaving the
/// difference for settling).
pub(crate) fn settle_deadline(deadline: Option<Instant>) -> Option<Instant> {
    deadline.map(|d| d.checked_sub(ANSWER_MARGIN).unwrap_or(d))
}

/// How long an idempotency lock outlives the invocation's deadline, so a record is never run
/// twice at once however late the invocation answers.
const LOCK_PAST_DEADLINE: Duration = Duration::from_secs(10);

/// The lock's lifetime when the invocation has no deadline: Lambda's longest timeout.
const LOCK_WITHOUT_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// Until when a record's idempotency lock holds: past the invocation's deadline by a margin,
/// so a crashed invocation frees its records soon after it would have ended.
pub(crate) fn lock_until(deadline: Option<Instant>) -> SystemTime {
    let left = deadline.map_or(LOCK_WITHOUT_DEADLINE, |d| {
        d.saturating_duration_since(Instant::now()) + LOCK_PAST_DEADLINE
    });
    SystemTime::now() + left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_timeouts_respect_the_deadline_and_the_configuration() {
        assert_eq!(call_timeout(None, None).unwrap(), DEFAULT_TIMEOUT);
        assert_eq!(
            call_timeout(Some(Duration::from_secs(20)), None).unwrap(),
            Duration::from_secs(20)
        );
        let soon = Instant::now() + Duration::from_millis(10_500);
        let t = call_timeout(None, Some(soon)).unwrap();
        assert!(
            t == Duration::from_secs(9) || t == Duration::from_secs(8),
            "{t:?}"
        );
        assert_eq!(
            call_timeout(Some(Duration::from_secs(3)), Some(soon)).unwrap(),
            Duration::from_secs(3)
        );
        let err =
            call_timeout(None, Some(Instant::now() + Duration::from_millis(1500))).unwrap_err();
        assert!(err.contains("too little"), "{err}");
        assert!(call_timeout(None, Some(Instant::now())).is_err());
    }

    #[test]
    fn locks_outlive_the_invocation_by_a_margin() {
        let now = SystemTime::now();
        let soon = lock_until(Some(Instant::now() + Duration::from_secs(5)));
        let lifetime = soon.duration_since(now).unwrap();
        assert!(
            lifetime > Duration::from_secs(14) && lifetime <= Duration::from_secs(16),
            "{lifetime:?}"
        );
        let open = lock_until(None).duration_since(now).unwrap();
        assert!(open >= LOCK_WITHOUT_DEADLINE, "{open:?}");
    }

    #[test]
    fn a_call_ends_a_margin_before_the_invocation() {
        assert_eq!(call_deadline(None), None);
        let end = Instant::now() + Duration::from_secs(10);
        assert_eq!(call_deadline(Some(end)), Some(end - DEADLINE_MARGIN));
    }
}
