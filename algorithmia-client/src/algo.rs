//! Calling algorithms: the [`Algorithm`] handle, its options and output modes.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;
use url::Url;

use crate::algo_ref::{AlgoRef, AlgoRefError, IntoAlgoRef};
use crate::client::{Client, check_algo_timeout};
use crate::error::{Error, Result};
use crate::input::AlgoInput;
use crate::request::{Body, RequestSpec, collect_body, new_request_id};
use crate::response::{AlgoResponse, AsyncResponse, DecodeContext, RawResponse};
use crate::retry::RetryClass;
use crate::wire;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Envelope {}
    impl Sealed for super::Raw {}
    impl Sealed for super::Void {}
}

/// How the API returns a call's result, chosen with [`Algorithm::output`]. The mode fixes the
/// type that `pipe` returns.
pub trait OutputMode: sealed::Sealed + Copy + Send + Sync + fmt::Debug + 'static {
    /// What `pipe` returns in this mode.
    type Response: Send + 'static;
    #[doc(hidden)]
    fn query_value() -> Option<&'static str>;
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn decode(context: DecodeContext<'_>) -> Result<Self::Response>;
}

/// The default mode: the JSON envelope with result and metadata, decoded into [`AlgoResponse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Envelope;

/// `output=raw`: the algorithm's output with no envelope, as [`RawResponse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Raw;

/// `output=void`: start the call and return at once with its request id, as [`AsyncResponse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Void;

impl OutputMode for Envelope {
    type Response = AlgoResponse;
    fn query_value() -> Option<&'static str> {
        None
    }
    #[allow(private_interfaces)]
    fn decode(context: DecodeContext<'_>) -> Result<AlgoResponse> {
        context.into_algo_response()
    }
}

impl OutputMode for Raw {
    type Response = RawResponse;
    fn query_value() -> Option<&'static str> {
        Some("raw")
    }
    #[allow(private_interfaces)]
    fn decode(context: DecodeContext<'_>) -> Result<RawResponse> {
        context.into_raw_response()
    }
}

impl OutputMode for Void {
    type Response = AsyncResponse;
    fn query_value() -> Option<&'static str> {
        Some("void")
    }
    #[allow(private_interfaces)]
    fn decode(context: DecodeContext<'_>) -> Result<AsyncResponse> {
        context.into_async_response()
    }
}

/// A handle's options. They are checked when a call is made, so the last setting of each wins.
#[derive(Debug, Clone, Default)]
struct Options {
    timeout: Option<Duration>,
    /// When the whole call, retries included, must be over. Not part of the URL.
    deadline: Option<Instant>,
    stdout: Option<bool>,
    /// Extra query parameters, in the order first set; setting a key again replaces its value.
    query: Vec<(String, String)>,
}

impl Options {
    /// Why a call with these options cannot be made, if it cannot.
    fn check(&self) -> Result<()> {
        if let Some(timeout) = self.timeout {
            check_algo_timeout(timeout)?;
        }
        if let Some((key, _)) = self.query.iter().find(|(k, _)| is_reserved(k)) {
            return Err(Error::config(format!(
                "set the `{key}` option with its own method, not option()"
            )));
        }
        Ok(())
    }
}

/// Options that have methods of their own.
fn is_reserved(key: &str) -> bool {
    matches!(key, "timeout" | "stdout" | "output")
}

impl Client {
    /// A handle to an algorithm. The reference is parsed now; a bad one makes every call on the
    /// handle fail with [`Error::InvalidAlgoRef`] before anything is sent.
    pub fn algo(&self, reference: impl IntoAlgoRef) -> Algorithm {
        Algorithm::new(self.clone(), reference.into_algo_ref())
    }
}

/// A handle to one algorithm, with the options its calls are made with.
///
/// Cheap to clone and immutable: each option method returns a new handle, so a configured handle
/// can be shared between tasks.
///
/// ```no_run
/// use std::time::Duration;
/// use algorithmia_client::{Client, Raw};
///
/// # async fn run(client: Client) -> Result<(), algorithmia_client::Error> {
/// let hello = client.algo("demo/Hello/0.1.*").timeout(Duration::from_secs(30));
/// let text = hello.pipe("world").await?;            // text in, AlgoResponse out
/// let raw = hello.output(Raw).pipe("world").await?; // the bare result bytes
/// # Ok(()) }
/// ```
#[must_use]
pub struct Algorithm<M: OutputMode = Envelope> {
    client: Client,
    reference: Arc<Result<AlgoRef, AlgoRefError>>,
    options: Options,
    mode: M,
    /// The call URL, built on first use (it depends only on the reference and the options).
    url: OnceLock<Url>,
}

impl<M: OutputMode> Clone for Algorithm<M> {
    fn clone(&self) -> Self {
        Algorithm {
            client: self.client.clone(),
            reference: Arc::clone(&self.reference),
            options: self.options.clone(),
            mode: self.mode,
            url: self.url.clone(),
        }
    }
}

impl<M: OutputMode> fmt::Debug for Algorithm<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Algorithm")
            .field("reference", &self.reference)
            .field("options", &self.options)
            .field("mode", &self.mode)
            .finish()
    }
}

/// The `timeout` query value: whole seconds, rounded up so the algorithm gets at least what was asked.
fn timeout_secs(timeout: Duration) -> u64 {
    timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0)
}

/// The HTTP timeout of a call: the algorithm's timeout (or the API's default) plus the margin.
pub(crate) fn http_timeout(algo_timeout: Option<Duration>, margin: Duration) -> Duration {
    let secs = algo_timeout
        .map(timeout_secs)
        .unwrap_or(wire::DEFAULT_ALGO_TIMEOUT_SECS);
    Duration::from_secs(secs) + margin
}

impl Algorithm<Envelope> {
    pub(crate) fn new(client: Client, reference: Result<AlgoRef, AlgoRefError>) -> Self {
        Algorithm {
            client,
            reference: Arc::new(reference),
            options: Options::default(),
            mode: Envelope,
            url: OnceLock::new(),
        }
    }
}

impl<M: OutputMode> Algorithm<M> {
    /// The algorithm reference, or why it did not parse.
    pub fn reference(&self) -> Result<&AlgoRef, &AlgoRefError> {
        self.reference.as_ref().as_ref()
    }

    /// The server-side timeout (at most 3000 s, sent in whole seconds, rounded up). The HTTP
    /// request is given this plus the client's margin, so it is never cut off before the server
    /// answers. A timeout out of range fails the calls made with it, not later settings.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with_options(|o| o.timeout = Some(timeout))
    }

    /// The instant by which the whole call, retries and their pauses included, must be over.
    ///
    /// With a deadline, each attempt's HTTP timeout is capped at the time left; a retry whose
    /// pause (backoff or `Retry-After`) would end at or past the deadline is not made, and the
    /// answer or error that would have been retried is returned at once (a 429 stays the
    /// [`Error::Api`] 429 it is). A call made when the deadline has passed fails before anything
    /// is sent with an [`Error::Transport`] of kind
    /// [`TransportKind::Timeout`](crate::TransportKind::Timeout), so
    /// [`Error::is_timeout`] is true. It is a [`std::time::Instant`] (a `tokio::time::Instant`
    /// converts with `into_std()`). It does not change the server-side [`timeout`](Self::timeout).
    ///
    /// ```no_run
    /// use std::time::{Duration, Instant};
    /// # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
    /// // Whatever the retries, this returns within about 10 s.
    /// let answer = client
    ///     .algo("demo/Hello")
    ///     .deadline(Instant::now() + Duration::from_secs(10))
    ///     .pipe("world")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn deadline(mut self, deadline: Instant) -> Self {
        // The URL does not depend on the deadline: it is kept.
        self.options.deadline = Some(deadline);
        self
    }

    /// Ask for the algorithm's standard output in the response metadata (honoured for the owner).
    pub fn stdout(self, stdout: bool) -> Self {
        self.with_options(|o| o.stdout = Some(stdout))
    }

    /// Change the options; the call URL, which depends on them, is built afresh.
    fn with_options(mut self, change: impl FnOnce(&mut Options)) -> Self {
        change(&mut self.options);
        self.url = OnceLock::new();
        self
    }

    /// Choose the output mode: [`Raw`] or [`Void`] (or [`Envelope`], the default).
    pub fn output<N: OutputMode>(self, mode: N) -> Algorithm<N> {
        Algorithm {
            client: self.client,
            reference: self.reference,
            options: self.options,
            mode,
            url: OnceLock::new(),
        }
    }

    /// Add a query parameter the API understands but this crate has no method for.
    /// Setting a key again replaces its value. `timeout`, `stdout` and `output` are set with
    /// their own methods; giving them here fails the calls made with the handle.
    pub fn option(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        self.with_options(|o| match o.query.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => o.query.push((key, value)),
        })
    }

    /// Call the algorithm. Text goes as `text/plain`, bytes as `application/octet-stream`, and a
    /// `serde_json::Value` as `application/json` (see [`AlgoInput`]).
    pub async fn pipe(&self, input: impl Into<AlgoInput>) -> Result<M::Response> {
        let (body, content_type) = input.into().encode()?;
        self.send(body, content_type).await
    }

    /// Call the algorithm with any serialisable value as JSON.
    pub async fn pipe_json<T: Serialize + ?Sized>(&self, input: &T) -> Result<M::Response> {
        let body = serde_json::to_vec(input).map_err(Error::serialize)?;
        self.send(Bytes::from(body), wire::CONTENT_TYPE_JSON).await
    }

    /// Call the algorithm with JSON that is already serialised. Its syntax is checked first.
    pub async fn pipe_json_text(&self, json: impl Into<String>) -> Result<M::Response> {
        self.pipe(AlgoInput::JsonText(json.into())).await
    }

    fn build_url(&self, reference: &AlgoRef, algo_timeout: Option<Duration>) -> Url {
        let mut url = self.client.url(
            ["v1", "algo"]
                .into_iter()
                .map(std::borrow::Cow::Borrowed)
                .chain(reference.path_segments()),
        );
        {
            let mut query = url.query_pairs_mut();
            if let Some(timeout) = algo_timeout {
                query.append_pair("timeout", &timeout_secs(timeout).to_string());
            }
            if let Some(stdout) = self.options.stdout {
                query.append_pair("stdout", if stdout { "true" } else { "false" });
            }
            if let Some(output) = M::query_value() {
                query.append_pair("output", output);
            }
            for (k, v) in &self.options.query {
                query.append_pair(k, v);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }

    /// Check a call and build its request; nothing is sent.
    pub(crate) fn prepare(&self, body: Bytes, content_type: &'static str) -> Result<Call<'_>> {
        let reference = self
            .reference
            .as_ref()
            .as_ref()
            .map_err(|e| Error::InvalidAlgoRef(e.clone()))?;
        self.options.check()?;
        let inner = &self.client.inner;
        if body.len() > inner.max_input_bytes {
            return Err(Error::InputTooLarge {
                size: body.len(),
                limit: inner.max_input_bytes,
            });
        }
        let algo_timeout = self.options.timeout.or(inner.default_algo_timeout);
        let url = self
            .url
            .get_or_init(|| self.build_url(reference, algo_timeout));
        let request_id = new_request_id();
        Ok(Call {
            reference,
            url,
            request: RequestSpec {
                method: Method::POST,
                url: url.clone(),
                body: Body::Bytes(body, content_type),
                timeout: Some(http_timeout(algo_timeout, inner.timeout_margin)),
                class: RetryClass::RunsOnce,
                request_id: Some(request_id),
                progress: None,
                deadline: self.options.deadline,
            },
        })
    }

    pub(crate) async fn send(
        &self,
        body: Bytes,
        content_type: &'static str,
    ) -> Result<M::Response> {
        let call = self.prepare(body, content_type)?;
        if let Some(pool) = &self.client.inner.calls {
            let (head, body) = self
                .client
                .execute_direct(pool, &call.request)
                .await?
                .into_parts();
            return decode_call::<M>(call.reference, call.url, head.status, &head.headers, body);
        }
        let (url, request_id) = (call.url, call.request.request_id.clone());
        let response = self.client.execute(call.request).await?;
        let status = response.status();
        // The head is taken apart, not copied; the body keeps the request's timeout.
        let (head, body) = http::Response::from(response).into_parts();
        let body = collect_body(&Method::POST, url, body, request_id.as_ref()).await?;
        decode_call::<M>(call.reference, url, status, &head.headers, body)
    }

    /// The handle's client.
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }
}

/// An algorithm call checked and ready to send.
pub(crate) struct Call<'a> {
    /// The algorithm called.
    pub(crate) reference: &'a AlgoRef,
    /// The call URL (also in the request).
    pub(crate) url: &'a Url,
    /// The request, with its `X-Request-Id`.
    pub(crate) request: RequestSpec,
}

/// Decode a call's answer in output mode `M`.
pub(crate) fn decode_call<M: OutputMode>(
    reference: &AlgoRef,
    url: &Url,
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: Bytes,
) -> Result<M::Response> {
    let algorithm = reference.to_string();
    M::decode(DecodeContext {
        algorithm: &algorithm,
        method: &Method::POST,
        url,
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_timeout_follows_the_algorithm_timeout() {
        let margin = Duration::from_secs(10);
        // A 301 s call gets 311 s: no hidden 30 s cap.
        assert_eq!(
            http_timeout(Some(Duration::from_secs(301)), margin),
            Duration::from_secs(311)
        );
        assert_eq!(http_timeout(None, margin), Duration::from_secs(310));
        assert_eq!(
            http_timeout(Some(Duration::from_millis(1500)), margin),
            Duration::from_secs(12)
        );
        assert_eq!(
            http_timeout(Some(Duration::from_secs(3000)), margin),
            Duration::from_secs(3010)
        );
    }

    #[test]
    fn the_last_setting_of_an_option_wins() {
        let client = Client::builder().base_url("http://h").build().unwrap();
        let algo = client
            .algo("a/b")
            .timeout(Duration::ZERO)
            .timeout(Duration::from_secs(5))
            .option("k", "1")
            .option("x", "y")
            .option("k", "2");
        algo.options.check().unwrap();
        let reference = algo.reference().unwrap().clone();
        let url = algo.build_url(&reference, algo.options.timeout);
        assert_eq!(url.query(), Some("timeout=5&k=2&x=y"));
        let bad = client
            .algo("a/b")
            .timeout(Duration::from_secs(5))
            .timeout(Duration::ZERO);
        assert!(matches!(bad.options.check(), Err(Error::Config(_))));
        let reserved = client.algo("a/b").option("stdout", "true");
        assert!(matches!(reserved.options.check(), Err(Error::Config(_))));
    }

    #[test]
    fn timeout_range() {
        assert!(check_algo_timeout(Duration::from_secs(3000)).is_ok());
        assert!(check_algo_timeout(Duration::from_millis(1)).is_ok());
        assert!(check_algo_timeout(Duration::ZERO).is_err());
        assert!(check_algo_timeout(Duration::from_secs(3001)).is_err());
        assert_eq!(timeout_secs(Duration::from_millis(1)), 1);
        assert_eq!(timeout_secs(Duration::from_secs(7)), 7);
    }
}
