//! The client: configuration, the connection pool, and the one path every request takes.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt as _;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tracing::Instrument;
use url::Url;

use crate::algo::Algorithm;
use crate::algo_ref::IntoAlgoRef;
use crate::auth::{ApiKey, Auth};
use crate::error::{ApiError, BoxError, Error, Result, TransportError, TransportKind, snippet};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::wire::{self, ErrorEnvelope};

/// Extra time the HTTP request is given beyond the algorithm's own timeout, so that the server's
/// `TimeoutError` arrives before the client gives up.
pub const DEFAULT_TIMEOUT_MARGIN: Duration = Duration::from_secs(10);
/// Default overall limit of a Data API metadata operation, and idle limit of a transfer.
pub const DEFAULT_DATA_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for the Algorithmia API.
///
/// Cheap to clone: clones share one connection pool and configuration. `Send + Sync`, so one
/// client serves a whole program.
///
/// ```no_run
/// use algorithmia_client::Client;
///
/// # async fn run() -> Result<(), algorithmia_client::Error> {
/// let client = Client::new("simYourApiKey")?;
/// let response = client.algo("demo/Hello/0.1.1").pipe("world").await?;
/// assert_eq!(response.as_text(), Some("Hello world"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    auth_header: Option<HeaderValue>,
    pub(crate) default_algo_timeout: Option<Duration>,
    pub(crate) timeout_margin: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_input_bytes: usize,
    pub(crate) data_timeout: Duration,
    pub(crate) transfer_idle_timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .field("default_algo_timeout", &self.inner.default_algo_timeout)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the public API (`https://api.algorithmia.com`) that authenticates with
    /// `Simple <api_key>`.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Client> {
        Client::builder().api_key(api_key).build()
    }

    /// A client configured the way the official clients read the environment:
    /// `ALGORITHMIA_API_KEY` (else `ALGORITHMIA_BEARER_TOKEN`, else no authentication, for code
    /// running on the platform) and `ALGORITHMIA_API` for the base URL.
    pub fn from_env() -> Result<Client> {
        Client::builder().from_env().build()
    }

    /// A builder for every other setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to, normalised to end with `/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// A handle to an algorithm. The reference is parsed now; a bad one makes every call on the
    /// handle fail with [`Error::InvalidAlgoRef`] before anything is sent.
    pub fn algo(&self, reference: impl IntoAlgoRef) -> Algorithm {
        Algorithm::new(self.clone(), reference.into_algo_ref())
    }

    /// The URL for `segments` below the base, each segment percent-encoded.
    pub(crate) fn url<'a, I, S>(&self, segments: I) -> Url
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str> + 'a,
    {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Send a request, retrying as `class` allows, and return the response with its status
    /// unchecked. Every attempt gets a tracing span; the key and the body are never logged.
    pub(crate) async fn execute(&self, request: RequestSpec) -> Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "algorithmia.request",
            method = %request.method,
            path = %request.url.path(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        self.execute_with_retries(request).instrument(span).await
    }

    async fn execute_with_retries(&self, request: RequestSpec) -> Result<reqwest::Response> {
        let span = tracing::Span::current();
        let policy = &self.inner.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            if let Some(progress) = &request.progress {
                progress.touch();
            }
            let started = Instant::now();
            let outcome = self.send_once(&request).await;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            span.record("duration_ms", elapsed_ms);
            let last_attempt = attempt >= policy.attempts() || !request.body.replayable();
            let delay = match outcome {
                Ok(SendOutcome::LocalIo(path, e)) => return Err(Error::io(&path, e)),
                Ok(SendOutcome::Response(response)) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    if !request.class.retries_status(status) || last_attempt {
                        tracing::debug!(status = status.as_u16(), attempt, elapsed_ms, "response");
                        return Ok(response);
                    }
                    let retry_after = response
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    // A longer pause than the policy allows: report the server's answer.
                    let Some(delay) = policy.delay(attempt, retry_after) else {
                        return Ok(response);
                    };
                    tracing::debug!(
                        status = status.as_u16(),
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        "retrying"
                    );
                    delay
                }
                Err(error) => {
                    let kind = transport_kind(&error);
                    if !request.class.retries_transport(kind) || last_attempt {
                        tracing::debug!(attempt, elapsed_ms, error = %error, "request failed");
                        return Err(request.failure(error, attempt));
                    }
                    let delay = policy.backoff(attempt);
                    tracing::debug!(
                        error = %error,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        "request failed; retrying"
                    );
                    delay
                }
            };
            if let Some(progress) = &request.progress {
                progress.touch_at(Instant::now() + delay);
            }
            tokio::time::sleep(delay).await;
        }
    }

    async fn send_once(&self, request: &RequestSpec) -> reqwest::Result<SendOutcome> {
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
                let progress = request.progress.clone();
                let stream = tokio_util::io::ReaderStream::with_capacity(file, CHUNK_BYTES)
                    .inspect(move |_| {
                        if let Some(p) = &progress {
                            p.touch();
                        }
                    });
                builder = builder
                    .header(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(wire::CONTENT_TYPE_BINARY),
                    )
                    .header(header::CONTENT_LENGTH, length)
                    .body(reqwest::Body::wrap_stream(stream));
            }
            Body::Stream(slot) => {
                let stream = slot.lock().ok().and_then(|mut b| b.take());
                if let Some(stream) = stream {
                    let progress = request.progress.clone();
                    let stream = stream.inspect(move |_| {
                        if let Some(p) = &progress {
                            p.touch();
                        }
                    });
                    builder = builder
                        .header(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static(wire::CONTENT_TYPE_BINARY),
                        )
                        .body(reqwest::Body::wrap_stream(stream));
                }
            }
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        builder.send().await.map(SendOutcome::Response)
    }
}

/// What one attempt produced, besides a transport error.
enum SendOutcome {
    Response(reqwest::Response),
    /// The local file to upload could not be read; not retried.
    LocalIo(std::path::PathBuf, std::io::Error),
}

pub(crate) fn transport_kind(error: &reqwest::Error) -> TransportKind {
    if error.is_timeout() {
        TransportKind::Timeout
    } else if error.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
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
    fn retries_transport(self, kind: TransportKind) -> bool {
        match kind {
            TransportKind::Connect => true,
            TransportKind::Other => self == RetryClass::Idempotent,
            TransportKind::Timeout => false,
        }
    }

    fn retries_status(self, status: StatusCode) -> bool {
        match status.as_u16() {
            429 | 503 => true,
            500 | 502 | 504 => self == RetryClass::Idempotent,
            _ => false,
        }
    }
}

/// A stream of upload chunks.
pub(crate) type ChunkStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = std::result::Result<Bytes, BoxError>> + Send>,
>;

/// When a transfer last made progress. A transfer has no overall deadline; a watchdog ends it
/// when nothing moved (no chunk sent, no answer) for the idle timeout.
#[derive(Debug, Clone)]
pub(crate) struct Liveness(Arc<std::sync::Mutex<Instant>>);

impl Liveness {
    pub(crate) fn new() -> Self {
        Liveness(Arc::new(std::sync::Mutex::new(Instant::now())))
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
    ) -> std::result::Result<T, Duration> {
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

/// A request body, and whether it can be sent again.
pub(crate) enum Body {
    /// No body.
    Empty,
    /// Bytes in memory with their content type; cheap to resend.
    Bytes(Bytes, &'static str),
    /// A local file, reopened and streamed on every attempt.
    File(std::path::PathBuf),
    /// A one-shot stream, taken by the first attempt; never retried.
    Stream(std::sync::Mutex<Option<ChunkStream>>),
}

impl Body {
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
        }
    }

    /// The error for a failed attempt, the last one made.
    fn failure(&self, error: reqwest::Error, attempts: u32) -> Error {
        let mut failure = TransportError::new(
            &self.method,
            &self.url,
            transport_kind(&error),
            Box::new(error),
        );
        failure.attempts = attempts;
        failure.request_id = id_text(self.request_id.as_ref());
        Error::Transport(Box::new(failure))
    }
}

/// The size of the chunks files are read and uploaded in.
pub(crate) const CHUNK_BYTES: usize = 256 * 1024;

/// A fresh request id: 128 random bits in hex.
pub(crate) fn new_request_id() -> HeaderValue {
    let id = format!("{:032x}", fastrand::u128(..));
    // Hex digits are always a valid header value.
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Turn a non-success response into [`Error::Api`], taking the message from an
/// `{"error":{...}}` body, the `X-Error-Message` header, or the status line.
pub(crate) fn api_error(
    method: &Method,
    url: &Url,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let mut error = ApiError {
        method: method.to_string(),
        path: url.path().to_owned(),
        status: status.as_u16(),
        message: String::new(),
        error_type: None,
        code: None,
        id: None,
        body_snippet: None,
    };
    if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(body) {
        error.message = envelope.error.message;
        error.error_type = envelope.error.error_type;
        error.code = envelope.error.code;
        error.id = envelope.error.id;
    } else if !body.is_empty() {
        error.body_snippet = Some(snippet(body, 200));
    }
    if error.message.is_empty() {
        error.message = headers
            .get(wire::HEADER_ERROR_MESSAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("unknown status")
                    .to_owned()
            });
    }
    Error::Api(Box::new(error))
}

/// How requests reach the network: the system's proxy settings, none, or one given proxy.
#[derive(Debug, Clone, Default)]
enum ProxySetting {
    #[default]
    System,
    Disabled,
    Url(String),
}

/// Builds a [`Client`]. Settings are checked in [`ClientBuilder::build`], which reports the first
/// invalid one.
///
/// ```
/// use std::time::Duration;
/// use algorithmia_client::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .base_url("http://127.0.0.1:8080/prefix")
///     .api_key("simExampleKey")
///     .user_agent("my-app/1.0")
///     .connect_timeout(Duration::from_secs(3))
///     .default_algo_timeout(Duration::from_secs(60))
///     .retry(RetryPolicy::default().max_attempts(5))
///     .no_proxy()
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "http://127.0.0.1:8080/prefix/");
/// # Ok::<(), algorithmia_client::Error>(())
/// ```
#[must_use]
#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    auth: Auth,
    user_agent: Option<String>,
    connect_timeout: Option<Duration>,
    default_algo_timeout: Option<Duration>,
    timeout_margin: Option<Duration>,
    root_certificates: Vec<Vec<u8>>,
    proxy: ProxySetting,
    retry: RetryPolicy,
    max_input_bytes: Option<usize>,
    data_timeout: Option<Duration>,
    transfer_idle_timeout: Option<Duration>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("default_algo_timeout", &self.default_algo_timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API's base URL, with or without a trailing slash; a path prefix is kept.
    /// Defaults to `https://api.algorithmia.com`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Authenticate with `Authorization: Simple <key>`.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.auth = Auth::Simple(key.into());
        self
    }

    /// Authenticate with `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: impl Into<ApiKey>) -> Self {
        self.auth = Auth::Bearer(token.into());
        self
    }

    /// Set the authentication outright; [`Auth::None`] sends no `Authorization` header.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Read `ALGORITHMIA_API_KEY`, `ALGORITHMIA_BEARER_TOKEN` and `ALGORITHMIA_API`, with the
    /// official clients' precedence: a key wins over a token; empty values count as unset.
    pub fn from_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        self.auth = match (var("ALGORITHMIA_API_KEY"), var("ALGORITHMIA_BEARER_TOKEN")) {
            (Some(key), _) => Auth::Simple(ApiKey::new(key)),
            (None, Some(token)) => Auth::Bearer(ApiKey::new(token)),
            (None, None) => Auth::None,
        };
        if let Some(api) = var("ALGORITHMIA_API") {
            self.base_url = Some(api);
        }
        self
    }

    /// The `User-Agent` header. Defaults to `algorithmia-client-rust/<version>`.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// How long opening a connection may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The algorithm timeout sent with calls that set none. Without it, no `timeout` is sent and
    /// the API's default of 300 s applies.
    pub fn default_algo_timeout(mut self, timeout: Duration) -> Self {
        self.default_algo_timeout = Some(timeout);
        self
    }

    /// How much longer than the algorithm's timeout the HTTP request may take (default 10 s).
    pub fn timeout_margin(mut self, margin: Duration) -> Self {
        self.timeout_margin = Some(margin);
        self
    }

    /// Trust an extra root certificate (PEM, one or more certificates), besides the system's.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Send every request through this proxy (`http://`, `https://` or `socks5://`).
    /// By default the system's proxy settings (`HTTPS_PROXY`, `NO_PROXY`, ...) are honoured.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Ignore the system's proxy settings and connect directly.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySetting::Disabled;
        self
    }

    /// How failed requests are retried (see [`RetryPolicy`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest algorithm input sent; larger inputs fail before sending (default 10 MiB, the
    /// API's own limit).
    pub fn max_input_bytes(mut self, limit: usize) -> Self {
        self.max_input_bytes = Some(limit);
        self
    }

    /// How long a Data API metadata operation (HEAD, listing, create, delete, ACL) may take in
    /// all (default 60 s). File transfers have no overall limit; see
    /// [`ClientBuilder::transfer_idle_timeout`].
    pub fn data_timeout(mut self, timeout: Duration) -> Self {
        self.data_timeout = Some(timeout);
        self
    }

    /// How long a file download may go without receiving data before it fails (default 60 s).
    pub fn transfer_idle_timeout(mut self, timeout: Duration) -> Self {
        self.transfer_idle_timeout = Some(timeout);
        self
    }

    /// Check the settings and build the client.
    pub fn build(self) -> Result<Client> {
        let base = normalise_base_url(self.base_url.as_deref().unwrap_or(wire::DEFAULT_API_BASE))?;
        let auth_header = self.auth.header_value()?;
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("algorithmia-client-rust/{}", env!("CARGO_PKG_VERSION")));
        let user_agent = HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::config("the user agent is not a valid HTTP header value"))?;
        let mut http = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true);
        // No overall timeout on the client: each request gets its own, derived from what it does,
        // so that a long algorithm call is never cut off by a hidden default.
        http = match &self.proxy {
            ProxySetting::System => http,
            ProxySetting::Disabled => http.no_proxy(),
            ProxySetting::Url(url) => http.proxy(
                reqwest::Proxy::all(url.as_str())
                    .map_err(|e| Error::config(format!("invalid proxy URL {url:?}: {e}")))?,
            ),
        };
        let mut certificates = Vec::new();
        for pem in &self.root_certificates {
            let bundle = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::config(format!("invalid PEM root certificate: {e}")))?;
            if bundle.is_empty() {
                return Err(Error::config("a root certificate PEM holds no certificate"));
            }
            certificates.extend(bundle);
        }
        if !certificates.is_empty() {
            http = http.tls_certs_merge(certificates);
        }
        let http = http.build().map_err(|e| {
            Error::config(format!("could not set up the HTTP client: {}", chain(&e)))
        })?;
        if let Some(timeout) = self.default_algo_timeout {
            crate::algo::check_algo_timeout(timeout)?;
        }
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                auth: self.auth,
                auth_header,
                default_algo_timeout: self.default_algo_timeout,
                timeout_margin: self.timeout_margin.unwrap_or(DEFAULT_TIMEOUT_MARGIN),
                retry: self.retry,
                max_input_bytes: self.max_input_bytes.unwrap_or(wire::MAX_INPUT_BYTES),
                data_timeout: self.data_timeout.unwrap_or(DEFAULT_DATA_TIMEOUT),
                transfer_idle_timeout: self.transfer_idle_timeout.unwrap_or(DEFAULT_DATA_TIMEOUT),
            }),
        })
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Parse and normalise a base URL: http or https, no query or fragment, path ending in `/`.
fn normalise_base_url(input: &str) -> Result<Url> {
    let mut url = Url::parse(input.trim())
        .map_err(|e| Error::config(format!("invalid base URL {input:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::config(format!(
            "invalid base URL {input:?}: the scheme must be http or https"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "invalid base URL {input:?}: a base URL has no query or fragment"
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
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
        Err(e) => {
            let mut failure = TransportError::new(method, url, transport_kind(&e), Box::new(e));
            failure.request_id = id_text(request_id);
            Err(Error::Transport(Box::new(failure)))
        }
    }
}

/// A request id header as text.
fn id_text(id: Option<&HeaderValue>) -> Option<String> {
    id.and_then(|v| v.to_str().ok()).map(str::to_owned)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        for (input, want) in [
            (
                "https://api.algorithmia.com",
                "https://api.algorithmia.com/",
            ),
            (
                "https://api.algorithmia.com/",
                "https://api.algorithmia.com/",
            ),
            (
                "http://127.0.0.1:9000/prefix",
                "http://127.0.0.1:9000/prefix/",
            ),
            (
                "http://127.0.0.1:9000/prefix/",
                "http://127.0.0.1:9000/prefix/",
            ),
        ] {
            assert_eq!(normalise_base_url(input).unwrap().as_str(), want);
        }
        for bad in [
            "",
            "api.algorithmia.com",
            "ftp://x/",
            "mailto:a@b",
            "http://x/?a=1",
        ] {
            assert!(
                matches!(normalise_base_url(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn urls_keep_the_prefix_and_encode_segments() {
        let client = Client::builder()
            .base_url("http://h/prefix")
            .build()
            .unwrap();
        let url = client.url(["v1", "algo", "o w", "n#?/x"]);
        assert_eq!(url.as_str(), "http://h/prefix/v1/algo/o%20w/n%23%3F%2Fx");
    }

    #[test]
    fn client_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Client>();
    }
}
