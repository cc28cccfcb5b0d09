//! Retry policy: exponential backoff with full jitter, and `Retry-After`.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

use crate::error::TransportKind;

/// How failed requests are retried.
///
/// What is retried depends on the request. An algorithm call is retried only when it cannot have
/// run: the connection was refused before anything was sent, or the API answered 429 or 503.
/// Idempotent data requests are also retried on 500, 502 and 504. A request is never retried after
/// a client-side timeout.
///
/// ```
/// use std::time::Duration;
/// use algorithmia_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(50));
/// assert_eq!(policy.attempts(), 5);
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts in all, backoff from 100 ms up to 5 s, and a `Retry-After` of up to 60 s honoured.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once.
    pub fn none() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Total attempts, the first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The ceiling of the first backoff; each later one doubles, up to `max_backoff`.
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff between two attempts.
    #[must_use]
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` that is waited for; a server asking for more gets its error returned.
    #[must_use]
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Total attempts, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before attempt `attempt + 1`, after `attempt` (1-based) failed.
    ///
    /// With a `Retry-After` it is that value, or `None` when it is longer than allowed. Without one
    /// it is a random duration up to `initial_backoff * 2^(attempt-1)`, capped at `max_backoff`
    /// ("full jitter"), so that many clients do not retry in lockstep.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(wait) => (wait <= self.max_retry_after).then_some(wait),
            None => Some(self.backoff(attempt)),
        }
    }

    /// The jittered exponential wait after `attempt` failed, when the server named none.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let ceiling = exp.min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// Which failures a request may be retried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryClass {
    /// May have side effects (an algorithm call): retried only when it cannot have run.
    RunsOnce,
    /// GET, HEAD, DELETE and whole-body PUT: also retried on 500, 502 and 504.
    Idempotent,
}

impl RetryClass {
    /// A call that may have side effects is retried only when it cannot have reached the
    /// server; an idempotent one also when the connection broke (not when it timed out: the
    /// caller's time is spent).
    pub(crate) fn retries_transport(self, kind: TransportKind) -> bool {
        match kind {
            TransportKind::Connect => true,
            TransportKind::Other => self == RetryClass::Idempotent,
            TransportKind::Timeout => false,
        }
    }

    /// 429 and 503 say the request was not run; 500, 502 and 504 may hide a run.
    pub(crate) fn retries_status(self, status: StatusCode) -> bool {
        match status.as_u16() {
            429 | 503 => true,
            500 | 502 | 504 => self == RetryClass::Idempotent,
            _ => false,
        }
    }
}

/// Parse a `Retry-After` header: delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        // Longer than a Duration holds is as good as forever.
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(250));
        for _ in 0..200 {
            assert!(p.delay(1, None).unwrap() <= Duration::from_millis(100));
            assert!(p.delay(2, None).unwrap() <= Duration::from_millis(200));
            assert!(p.delay(40, None).unwrap() <= Duration::from_millis(250));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_limit() {
        let p = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(11))), None);
    }

    #[test]
    fn classes_retry_what_cannot_have_run() {
        use RetryClass::{Idempotent, RunsOnce};
        for class in [RunsOnce, Idempotent] {
            assert!(class.retries_transport(TransportKind::Connect));
            assert!(!class.retries_transport(TransportKind::Timeout));
            assert!(class.retries_status(StatusCode::TOO_MANY_REQUESTS));
            assert!(class.retries_status(StatusCode::SERVICE_UNAVAILABLE));
            assert!(!class.retries_status(StatusCode::NOT_FOUND));
        }
        assert!(!RunsOnce.retries_transport(TransportKind::Other));
        assert!(Idempotent.retries_transport(TransportKind::Other));
        assert!(!RunsOnce.retries_status(StatusCode::BAD_GATEWAY));
        assert!(Idempotent.retries_status(StatusCode::BAD_GATEWAY));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    /// Whatever a server puts in `Retry-After`, reading it does not panic.
    #[test]
    fn retry_after_never_panics() {
        use proptest::prelude::*;
        use testkit::hostile::{bounded, config, time_text};

        bounded(Duration::from_secs(60), || {
            proptest!(config(1000), |(text in time_text())| {
                let _ = parse_retry_after(&text, SystemTime::now());
            });
        });
        // It used to be `Duration::from_secs_f64`, which panics past u64::MAX seconds.
        assert_eq!(
            parse_retry_after("1e300", SystemTime::UNIX_EPOCH),
            Some(Duration::MAX)
        );
    }
}
