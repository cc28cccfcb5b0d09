//! The one path every request takes: a [`RequestSpec`], its [`Body`], the retry loop, reading the
//! answer, and the watchdog that ends a transfer on which nothing moves.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt as _;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode};
use tracing::Instrument;
use url::Url;

use crate::client::Client;
use crate::error::{BoxError, Error, Result, TransportKind};
use crate::retry::{RetryClass, RetryPolicy, parse_retry_after};
use crate::wire;

/// The size of the chunks files are read and uploaded in.
pub(crate) const CHUNK_BYTES: usize = 256 * 1024;

/// A stream of upload chunks.
pub(crate) type ChunkStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// A request body, and whether it can be sent again.
pub(crate) enum Body {
    /// No body.
    Empty,
    /// Bytes in memory with their content type; cheap to resend.
    Bytes(Bytes, &'static str),
    /// A local file, reopened and streamed on every attempt.
    File(std::path::PathBuf),
    /// A one-shot stream, taken by the first attempt; never retried.
    Stream(Mutex<Option<ChunkStream>>),
}

impl Body {
    /// A one-shot stream body.
    pub(crate) fn stream(chunks: ChunkStream) -> Self {
        Body::Stream(Mutex::new(Some(chunks)))
    }

    fn replayable(&self) -> bool {
        !matches!(self, Body::Stream(_))
    }
}

/// One request, ready to be sent (and re-sent).
pub(crate) struct RequestSpec {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Body,
    pub(crate) timeout: Option<Duration>,
    pub(crate) class: RetryClass,
    /// Sent as `X-Request-Id` on every attempt, so the server can tell a retry from a new call.
    pub(crate) request_id: Option<HeaderValue>,
    /// For transfers: touched as the upload moves, watched against the idle timeout.
    pub(crate) progress: Option<Liveness>,
    /// When every attempt and pause must be over: attempts' timeouts are capped at the time
    /// left, and a retry that could not start before it is not made.
    pub(crate) deadline: Option<Instant>,
}

impl RequestSpec {
    /// A request without a body.
    pub(crate) fn new(method: Method, url: Url, class: RetryClass) -> Self {
        RequestSpec {
            method,
            url,
            body: Body::Empty,
            timeout: None,
            class,
            request_id: None,
            progress: None,
            deadline: None,
        }
    }

    /// The same request with a body.
    pub(crate) fn with_body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
}

/// A fresh request id: 128 random bits in hex.
pub(crate) fn new_request_id() -> HeaderValue {
    let id = format!("{:032x}", fastrand::u128(..));
    // Hex digits are always a valid header value.
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The tracing span of a request, whichever path sends it: its method and path, and the
/// fields the retry loop records (attempt, status, duration). The key and the body are never in
/// it.
pub(crate) fn request_span(request: &RequestSpec) -> tracing::Span {
    tracing::debug_span!(
        "algorithmia.request",
        method = %request.method,
        path = %request.url.path(),
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    )
}

/// What one attempt produced, besides a transport error.
enum SendOutcome {
    Response(reqwest::Response),
    /// The local file to upload could not be read; not retried.
    LocalIo(std::path::PathBuf, std::io::Error),
}

impl Client {
    /// Send a request, retrying as its class allows, and return the response with its status
    /// unchecked. Every request gets a tracing span; the key and the body are never logged.
    pub(crate) async fn execute(&self, request: RequestSpec) -> Result<reqwest::Response> {
        let span = request_span(&request);
        self.execute_with_retries(request).instrument(span).await
    }

    async fn execute_with_retries(&self, request: RequestSpec) -> Result<reqwest::Response> {
        let mut attempts = Attempts::new(&request, &self.inner.retry);
        loop {
            let timeout = match attempts.start() {
                Ok(timeout) => timeout,
                Err(done) => return done,
            };
            let outcome = match self.send_once(&request, timeout).await {
                Ok(SendOutcome::LocalIo(path, e)) => return Err(Error::io(&path, e)),
                Ok(SendOutcome::Response(response)) => Ok(response),
                Err(error) => Err(error),
            };
            match attempts.judge(outcome) {
                Next::Done(done) => return done,
                Next::Pause(delay) => tokio::time::sleep(delay).await,
            }
        }
    }

    /// One attempt, given `timeout` in all (none: the client's).
    async fn send_once(
        &self,
        request: &RequestSpec,
        timeout: Option<Duration>,
    ) -> reqwest::Result<SendOutcome> {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url.clone());
        if let Some(auth) = &self.inner.auth_header {
            builder = builder.header(header::AUTHORIZATION, auth.clone());
        }
        if let Some(id) = &request.request_id {
            builder = builder.header(wire::HEADER_REQUEST_ID, id.clone());
        }
        let binary = HeaderValue::from_static(wire::CONTENT_TYPE_BINARY);
        match &request.body {
            Body::Empty => {}
            Body::Bytes(body, content_type) => {
                builder = builder
                    .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
                    .body(body.clone());
            }
            Body::File(path) => {
                let file = match tokio::fs::File::open(path).await {
                    Ok(file) => file,
                    Err(e) => return Ok(SendOutcome::LocalIo(path.clone(), e)),
                };
                let length = match file.metadata().await {
                    Ok(meta) => meta.len(),
                    Err(e) => return Ok(SendOutcome::LocalIo(path.clone(), e)),
                };
                let chunks = tokio_util::io::ReaderStream::with_capacity(file, CHUNK_BYTES);
                builder = builder
                    .header(header::CONTENT_TYPE, binary)
                    .header(header::CONTENT_LENGTH, length)
                    .body(reqwest::Body::wrap_stream(touching(
                        chunks,
                        &request.progress,
                    )));
            }
            Body::Stream(slot) => {
                let stream = slot.lock().ok().and_then(|mut b| b.take());
                if let Some(stream) = stream {
                    builder = builder.header(header::CONTENT_TYPE, binary).body(
                        reqwest::Body::wrap_stream(touching(stream, &request.progress)),
                    );
                }
            }
        }
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        builder.send().await.map(SendOutcome::Response)
    }
}

/// What the retry rules need to know of an answer, whichever HTTP stack produced it.
pub(crate) trait Answer {
    /// The answer's status.
    fn status(&self) -> StatusCode;
    /// Its `Retry-After` header, if any.
    fn retry_after(&self) -> Option<&HeaderValue>;
}

impl Answer for reqwest::Response {
    fn status(&self) -> StatusCode {
        reqwest::Response::status(self)
    }
    fn retry_after(&self) -> Option<&HeaderValue> {
        self.headers().get(header::RETRY_AFTER)
    }
}

impl<B> Answer for http::Response<B> {
    fn status(&self) -> StatusCode {
        http::Response::status(self)
    }
    fn retry_after(&self) -> Option<&HeaderValue> {
        self.headers().get(header::RETRY_AFTER)
    }
}

/// A failed attempt, as an HTTP stack reports it.
pub(crate) trait Failure: std::error::Error + Send + Sync + 'static {
    /// What kind of failure it was.
    fn kind(&self) -> TransportKind;
}

impl Failure for reqwest::Error {
    fn kind(&self) -> TransportKind {
        TransportKind::of(self)
    }
}

/// What to do after an attempt.
pub(crate) enum Next<R> {
    /// Return this to the caller.
    Done(Result<R>),
    /// Pause this long, then make the next attempt.
    Pause(Duration),
}

/// The retry rules of one request, attempt by attempt, for any HTTP stack and either way of
/// waiting (the async client sleeps on its runtime, the blocking one on its thread): the
/// attempts' timeouts under the deadline, what is retried, the pauses, and what the caller gets
/// when the retries end. Every attempt is recorded on the current tracing span.
pub(crate) struct Attempts<'a, R> {
    request: &'a RequestSpec,
    policy: &'a RetryPolicy,
    span: tracing::Span,
    attempt: u32,
    started: Instant,
    /// The last retried outcome (the server's answer or the transport failure): what the
    /// caller gets when the deadline cuts the retries short, rather than a bare timeout.
    last_outcome: Option<Result<R>>,
}

impl<'a, R: Answer> Attempts<'a, R> {
    pub(crate) fn new(request: &'a RequestSpec, policy: &'a RetryPolicy) -> Self {
        Attempts {
            request,
            policy,
            span: tracing::Span::current(),
            attempt: 0,
            started: Instant::now(),
            last_outcome: None,
        }
    }

    /// Begin the next attempt: its timeout (`None`: the client's), or, when no time is left
    /// before the deadline, what the caller gets instead.
    pub(crate) fn start(&mut self) -> Result<Option<Duration>, Result<R>> {
        let request = self.request;
        self.attempt += 1;
        self.span.record("attempt", self.attempt);
        if let Some(progress) = &request.progress {
            progress.touch();
        }
        self.started = Instant::now();
        match attempt_timeout(request.timeout, request.deadline, self.started) {
            Some(timeout) => Ok(timeout),
            None => {
                tracing::debug!(attempt = self.attempt, "no time left before the deadline");
                Err(self.last_outcome.take().unwrap_or_else(|| {
                    Err(Error::deadline_passed(
                        &request.method,
                        &request.url,
                        self.attempt - 1,
                        request.request_id.as_ref(),
                    ))
                }))
            }
        }
    }

    /// Judge the attempt just made: return its outcome, or pause and try again.
    pub(crate) fn judge<E: Failure>(&mut self, outcome: Result<R, E>) -> Next<R> {
        let (request, policy, attempt) = (self.request, self.policy, self.attempt);
        let elapsed_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        self.span.record("duration_ms", elapsed_ms);
        let last_attempt = attempt >= policy.attempts() || !request.body.replayable();
        let delay = match outcome {
            Ok(response) => {
                let status = response.status();
                self.span.record("status", status.as_u16());
                if !request.class.retries_status(status) || last_attempt {
                    tracing::debug!(status = status.as_u16(), attempt, elapsed_ms, "response");
                    return Next::Done(Ok(response));
                }
                let retry_after = response
                    .retry_after()
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                // A longer pause than the policy or the deadline allows: report the
                // server's answer.
                let Some(delay) = policy
                    .delay(attempt, retry_after)
                    .filter(|delay| ends_in_time(*delay, request.deadline))
                else {
                    tracing::debug!(status = status.as_u16(), attempt, "not retried: no time");
                    return Next::Done(Ok(response));
                };
                tracing::debug!(
                    status = status.as_u16(),
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    "retrying"
                );
                self.last_outcome = Some(Ok(response));
                delay
            }
            Err(error) => {
                let kind = error.kind();
                let out_of_time = request.deadline.is_some_and(|d| Instant::now() >= d);
                if kind == TransportKind::Timeout
                    && out_of_time
                    && let Some(outcome) = self.last_outcome.take()
                {
                    tracing::debug!(attempt, "cut by the deadline; the last outcome stands");
                    return Next::Done(outcome);
                }
                let delay = policy.backoff(attempt);
                let failure = |error| {
                    Error::transport_failure(
                        &request.method,
                        &request.url,
                        error,
                        attempt,
                        request.request_id.as_ref(),
                    )
                };
                if !request.class.retries_transport(kind)
                    || last_attempt
                    || !ends_in_time(delay, request.deadline)
                {
                    tracing::debug!(attempt, elapsed_ms, error = %error, "request failed");
                    return Next::Done(Err(failure(error)));
                }
                tracing::debug!(
                    error = %error,
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    "request failed; retrying"
                );
                self.last_outcome = Some(Err(failure(error)));
                delay
            }
        };
        if let Some(progress) = &request.progress {
            progress.touch_at(Instant::now() + delay);
        }
        Next::Pause(delay)
    }
}

/// The timeout of an attempt starting at `now`: the request's, capped at the time left before
/// the deadline. `None` when the deadline has passed; `Some(None)` leaves the client's timeout.
fn attempt_timeout(
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    now: Instant,
) -> Option<Option<Duration>> {
    let Some(deadline) = deadline else {
        return Some(timeout);
    };
    let left = deadline.saturating_duration_since(now);
    if left.is_zero() {
        return None;
    }
    Some(Some(timeout.map_or(left, |t| t.min(left))))
}

/// Whether a pause of `delay` starting now ends before the deadline (always, without one).
fn ends_in_time(delay: Duration, deadline: Option<Instant>) -> bool {
    deadline.is_none_or(|deadline| Instant::now() + delay < deadline)
}

/// `chunks`, touching `progress` as each one passes.
fn touching<S: futures_util::Stream>(
    chunks: S,
    progress: &Option<Liveness>,
) -> impl futures_util::Stream<Item = S::Item> + use<S> {
    let progress = progress.clone();
    chunks.inspect(move |_| {
        if let Some(p) = &progress {
            p.touch();
        }
    })
}

/// Read a whole response body taken out of its response, mapping failures to transport errors.
/// `request_id` is the call's `X-Request-Id`, named in the error.
pub(crate) async fn collect_body(
    method: &Method,
    url: &Url,
    body: reqwest::Body,
    request_id: Option<&HeaderValue>,
) -> Result<Bytes> {
    use http_body_util::BodyExt as _;
    match body.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(Error::transport_failure(method, url, e, 1, request_id)),
    }
}

/// Read a whole response body, mapping failures to transport errors.
pub(crate) async fn read_body(
    method: &Method,
    url: &Url,
    response: reqwest::Response,
) -> Result<Bytes> {
    collect_body(
        method,
        url,
        http::Response::from(response).into_body(),
        None,
    )
    .await
}

/// When a transfer last made progress. A transfer has no overall deadline; a watchdog ends it
/// when nothing moved (no chunk sent, no answer) for the idle timeout.
#[derive(Debug, Clone)]
pub(crate) struct Liveness(Arc<Mutex<Instant>>);

impl Liveness {
    pub(crate) fn new() -> Self {
        Liveness(Arc::new(Mutex::new(Instant::now())))
    }

    /// Something moved now.
    pub(crate) fn touch(&self) {
        self.touch_at(Instant::now());
    }

    /// Nothing is expected before `at` (a retry's pause).
    fn touch_at(&self, at: Instant) {
        let mut last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *last = (*last).max(at);
    }

    fn last(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `work` until it ends or nothing moved for `idle`; the latter is `Err(elapsed idle)`.
    pub(crate) async fn watch<T>(
        &self,
        idle: Duration,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, Duration> {
        let watchdog = async {
            loop {
                let due = self.last() + idle;
                if Instant::now() >= due {
                    return idle;
                }
                tokio::time::sleep_until(due.into()).await;
            }
        };
        tokio::select! {
            biased;
            done = work => Ok(done),
            idle = watchdog => Err(idle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_timeout_is_capped_at_the_time_left() {
        let now = Instant::now();
        let ten = Duration::from_secs(10);
        // No deadline: the request's timeout, or the client's.
        assert_eq!(attempt_timeout(Some(ten), None, now), Some(Some(ten)));
        assert_eq!(attempt_timeout(None, None, now), Some(None));
        // A deadline 2 s away caps both.
        let soon = now + Duration::from_secs(2);
        assert_eq!(
            attempt_timeout(Some(ten), Some(soon), now),
            Some(Some(Duration::from_secs(2)))
        );
        assert_eq!(
            attempt_timeout(None, Some(soon), now),
            Some(Some(Duration::from_secs(2)))
        );
        // A shorter timeout stays.
        assert_eq!(
            attempt_timeout(Some(Duration::from_secs(1)), Some(soon), now),
            Some(Some(Duration::from_secs(1)))
        );
        // No time left: no attempt.
        assert_eq!(attempt_timeout(Some(ten), Some(now), now), None);
        assert_eq!(attempt_timeout(Some(ten), Some(now), soon), None);
    }

    #[test]
    fn a_pause_must_end_before_the_deadline() {
        let second = Duration::from_secs(1);
        assert!(ends_in_time(Duration::from_secs(3600), None));
        assert!(ends_in_time(second, Some(Instant::now() + 2 * second)));
        assert!(!ends_in_time(3 * second, Some(Instant::now() + 2 * second)));
        assert!(!ends_in_time(Duration::ZERO, Some(Instant::now())));
    }
}
