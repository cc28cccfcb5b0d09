//! Algorithm calls over plain HTTP/1.1 connections of our own, on hyper's connection API.
//!
//! An algorithm call is one small POST and one answer, many times over. Through reqwest each
//! call also pays for a general-purpose client: the URL turned into a URI, a header map built,
//! the request passed through its layers and hyper-util's pool, a timer. Here a call writes its
//! pre-built head on a kept-alive connection of the client's own pool and reads the answer;
//! measured on `util/Echo` with 8 and 64 concurrent calls on one core, that is about 1.5 times
//! the calls per second (BENCHMARKS.md, goal 1).
//!
//! It is used for `http://` API servers reached without a proxy (an `algorithmia-local` on the
//! same host or network). HTTPS keeps reqwest: TLS, HTTP/2 and the platform's trust store are its
//! job, and encryption outweighs what this path saves. The checks, the retry rules
//! ([`Attempts`]), the errors and the decoding are the same either way.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::uri::{Authority, PathAndQuery};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tracing::Instrument as _;
use url::Url;

use crate::client::{Client, ProxySetting};
use crate::error::{Result, TransportKind};
use crate::request::{Attempts, Body, Failure, Next, RequestSpec, request_span};
use crate::wire;

/// Idle connections kept; more concurrent calls open more, and those beyond are closed.
const IDLE_CONNECTIONS: usize = 256;

/// How long an idle connection is kept, as reqwest's pool keeps its own.
const IDLE_FOR: Duration = Duration::from_secs(60);

/// A connection waiting for a call, and since when.
type Idle = (Instant, SendRequest<Full<Bytes>>);

/// The connections of one client to its API server, and what every call's head carries.
pub(crate) struct CallPool {
    /// `host:port`, to connect to.
    address: String,
    /// The head every call starts from: host, user agent, accept and authorization.
    head: HeaderMap,
    connect_timeout: Duration,
    idle: Mutex<Vec<Idle>>,
}

impl fmt::Debug for CallPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The head holds the key: only the address is shown.
        f.debug_struct("CallPool")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl CallPool {
    /// The pool for calls to `base`, or none when they must go through reqwest: HTTPS, or a
    /// proxy that may apply.
    pub(crate) fn for_base(
        base: &Url,
        proxy: &ProxySetting,
        user_agent: &HeaderValue,
        auth: Option<&HeaderValue>,
        connect_timeout: Duration,
    ) -> Option<CallPool> {
        if base.scheme() != "http" || proxy_may_apply(proxy) {
            return None;
        }
        let host = base.host_str()?;
        let port = base.port_or_known_default()?;
        let address = match base.host()? {
            url::Host::Ipv6(ip) => format!("[{ip}]:{port}"),
            _ => format!("{host}:{port}"),
        };
        // The Host header: the authority as the URL spells it (no port when it is the default).
        let authority = match base.port() {
            Some(port) => format!("{}:{port}", base.host()?),
            None => base.host()?.to_string(),
        };
        let authority = Authority::try_from(authority.as_str()).ok()?;
        let mut head = HeaderMap::new();
        head.insert(
            header::HOST,
            HeaderValue::from_str(authority.as_str()).ok()?,
        );
        head.insert(header::USER_AGENT, user_agent.clone());
        head.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        if let Some(auth) = auth {
            let mut auth = auth.clone();
            auth.set_sensitive(true);
            head.insert(header::AUTHORIZATION, auth);
        }
        Some(CallPool {
            address,
            head,
            connect_timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection ready for a request: an idle one, or a new one. The flag says whether it
    /// was reused (a reused connection may have been closed by the server meanwhile).
    async fn checkout(&self) -> Result<(SendRequest<Full<Bytes>>, bool), DirectFailure> {
        loop {
            // The most recently used first: the others age out.
            let Some((since, mut sender)) = self.idle().pop() else {
                break;
            };
            if sender.is_closed() || since.elapsed() >= IDLE_FOR {
                continue;
            }
            if sender.ready().await.is_ok() {
                return Ok((sender, true));
            }
        }
        Ok((self.connect().await?, false))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, DirectFailure> {
        let connect = async {
            let stream = tokio::net::TcpStream::connect(&self.address)
                .await
                .map_err(DirectFailure::Connect)?;
            stream.set_nodelay(true).map_err(DirectFailure::Connect)?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(DirectFailure::Http)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "an algorithm-call connection ended");
                }
            });
            Ok(sender)
        };
        match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(connected) => connected,
            Err(_) => Err(DirectFailure::ConnectTimeout),
        }
    }

    /// Keep a connection whose answer was read whole, for the next call.
    fn checkin(&self, sender: SendRequest<Full<Bytes>>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle();
        // The oldest are at the front (connections come back in time order): those idle too
        // long are dropped, closing them, as others come back.
        let stale = idle
            .iter()
            .take_while(|(since, _)| now.duration_since(*since) >= IDLE_FOR)
            .count();
        idle.drain(..stale);
        if idle.len() < IDLE_CONNECTIONS {
            idle.push((now, sender));
        }
    }

    /// One attempt: the request on a pooled connection, and its whole answer. A request that a
    /// reused connection could not take (the server had closed it, nothing was sent) is made
    /// once more on a new connection; it never reached the server.
    async fn attempt(
        &self,
        request: &RequestSpec,
        target: &PathAndQuery,
    ) -> Result<http::Response<Bytes>, DirectFailure> {
        let (mut sender, mut reused) = self.checkout().await?;
        let mut http_request = self.build(request, target)?;
        let response = loop {
            match sender.try_send_request(http_request).await {
                Ok(response) => break response,
                Err(mut e) => match e.take_message() {
                    Some(unsent) if reused => {
                        tracing::debug!(error = %e.error(), "a pooled connection was closed");
                        http_request = unsent;
                        sender = self.connect().await?;
                        reused = false;
                    }
                    _ => return Err(DirectFailure::Http(e.into_error())),
                },
            }
        };
        let (head, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(DirectFailure::Http)?
            .to_bytes();
        self.checkin(sender);
        Ok(http::Response::from_parts(head, body))
    }

    fn build(
        &self,
        request: &RequestSpec,
        target: &PathAndQuery,
    ) -> Result<http::Request<Full<Bytes>>, DirectFailure> {
        let Body::Bytes(body, content_type) = &request.body else {
            return Err(DirectFailure::Unsupported);
        };
        let mut headers = self.head.clone();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(id) = &request.request_id {
            headers.insert(wire::HEADER_REQUEST_ID, id.clone());
        }
        let mut http_request = http::Request::new(Full::new(body.clone()));
        *http_request.method_mut() = request.method.clone();
        *http_request.uri_mut() = http::Uri::from(target.clone());
        *http_request.headers_mut() = headers;
        Ok(http_request)
    }
}

/// Whether a proxy may carry plain-HTTP requests: one is set, or the environment names one
/// (then reqwest, which reads it as the system's setting, decides), or the platform has proxy
/// settings besides the environment (macOS, Windows).
fn proxy_may_apply(proxy: &ProxySetting) -> bool {
    match proxy {
        ProxySetting::Disabled => false,
        ProxySetting::Url(_) => true,
        ProxySetting::System => {
            !cfg!(target_os = "linux")
                || ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
                    .iter()
                    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
        }
    }
}

impl Client {
    /// Send an algorithm call on `pool`, retrying as its class allows; the answer is read whole.
    pub(crate) async fn execute_direct(
        &self,
        pool: &CallPool,
        request: &RequestSpec,
    ) -> Result<http::Response<Bytes>> {
        let span = request_span(request);
        async {
            let target = target_of(&request.url);
            let mut attempts = Attempts::new(request, &self.inner.retry);
            loop {
                let timeout = match attempts.start() {
                    Ok(timeout) => timeout,
                    Err(done) => return done,
                };
                let attempt = pool.attempt(request, &target);
                let outcome = match timeout {
                    Some(timeout) => match tokio::time::timeout(timeout, attempt).await {
                        Ok(outcome) => outcome,
                        Err(_) => Err(DirectFailure::Timeout),
                    },
                    None => attempt.await,
                };
                match attempts.judge(outcome) {
                    Next::Done(done) => return done,
                    Next::Pause(delay) => tokio::time::sleep(delay).await,
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// The request target of a call URL: its path and query.
fn target_of(url: &Url) -> PathAndQuery {
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    PathAndQuery::try_from(target).unwrap_or_else(|_| PathAndQuery::from_static("/"))
}

/// A failed attempt on a call connection.
#[derive(Debug)]
pub(crate) enum DirectFailure {
    /// No connection could be made.
    Connect(std::io::Error),
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// The attempt's timeout passed.
    Timeout,
    /// The connection failed while sending or receiving.
    Http(hyper::Error),
    /// A body this path does not send (only in-memory bodies are).
    Unsupported,
}

impl fmt::Display for DirectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectFailure::Connect(e) => write!(f, "could not connect: {e}"),
            DirectFailure::ConnectTimeout => {
                f.write_str("no connection within the connect timeout")
            }
            DirectFailure::Timeout => f.write_str("the request timed out"),
            DirectFailure::Http(e) => write!(f, "{e}"),
            DirectFailure::Unsupported => f.write_str("only in-memory bodies are sent this way"),
        }
    }
}

impl std::error::Error for DirectFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DirectFailure::Connect(e) => Some(e),
            DirectFailure::Http(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

impl Failure for DirectFailure {
    fn kind(&self) -> TransportKind {
        match self {
            DirectFailure::Connect(_) => TransportKind::Connect,
            // As reqwest reports a connect timeout: a timeout first.
            DirectFailure::ConnectTimeout | DirectFailure::Timeout => TransportKind::Timeout,
            DirectFailure::Http(_) | DirectFailure::Unsupported => TransportKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_the_path_and_query() {
        let url = Url::parse("http://h:1/p/v1/algo/a/b?timeout=5&x=%20").unwrap();
        assert_eq!(target_of(&url).as_str(), "/p/v1/algo/a/b?timeout=5&x=%20");
        let url = Url::parse("http://h/v1/algo/a/b").unwrap();
        assert_eq!(target_of(&url).as_str(), "/v1/algo/a/b");
    }

    #[test]
    fn only_plain_http_without_a_proxy_gets_a_pool() {
        let agent = HeaderValue::from_static("ua");
        let second = Duration::from_secs(1);
        let pool = |base: &str, proxy: &ProxySetting| {
            CallPool::for_base(&Url::parse(base).unwrap(), proxy, &agent, None, second)
        };
        let direct = pool("http://127.0.0.1:8080/", &ProxySetting::Disabled).unwrap();
        assert_eq!(direct.address, "127.0.0.1:8080");
        assert_eq!(direct.head[header::HOST], "127.0.0.1:8080");
        let v6 = pool("http://[::1]/", &ProxySetting::Disabled).unwrap();
        assert_eq!(v6.address, "[::1]:80");
        assert_eq!(v6.head[header::HOST], "[::1]");
        assert!(pool("https://api.example.com/", &ProxySetting::Disabled).is_none());
        let proxy = ProxySetting::Url("http://proxy:3128".into());
        assert!(pool("http://127.0.0.1:8080/", &proxy).is_none());
    }

    #[test]
    fn the_key_is_not_in_the_pool_s_debug() {
        let auth = HeaderValue::from_static("Simple simSECRET");
        let pool = CallPool::for_base(
            &Url::parse("http://127.0.0.1:1/").unwrap(),
            &ProxySetting::Disabled,
            &HeaderValue::from_static("ua"),
            Some(&auth),
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(!format!("{pool:?}").contains("SECRET"));
    }
}
