//! The blocking facade's algorithm calls, made on the calling thread.
//!
//! A call through the async runtime crosses threads twice (the calling thread hands the request to
//! the runtime's thread, which hands the answer back), and on a busy machine those hand-overs cost
//! more than the call itself. So algorithm calls go through a synchronous HTTP/1.1 client
//! ([`ureq`]) with its own keep-alive pool: the calling thread writes the request and reads the
//! answer itself. Everything else about a call is shared with the async client: the checks, the
//! URL, the `X-Request-Id`, the retry rules ([`Attempts`]), the errors and the decoding. The Data
//! and management APIs stay on the runtime: their transfers stream, and their cost is the bytes.

use std::collections::HashMap;
use std::fmt;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};

use crate::algo::{Algorithm, OutputMode, decode_call};
use crate::client::{ConnectionSettings, ProxySetting};
use crate::error::{Error, Result, TransportKind};
use crate::request::{Attempts, Body, Failure, Next, RequestSpec, request_span};
use crate::wire;

/// How long an idle connection is kept, as the async client keeps its own.
const IDLE_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// Idle connections kept: enough for one per calling thread of a busy process.
const IDLE_CONNECTIONS: usize = 1024;

/// The synchronous HTTP stack of one blocking client; clones share its pool.
#[derive(Clone)]
pub(super) struct Transport {
    agent: ureq::Agent,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The agent's settings may hold a proxy's credentials: nothing of them is shown.
        f.write_str("Transport")
    }
}

impl Transport {
    /// The stack for `client`'s calls, or none when its calls should stay on the runtime: when
    /// a proxy carries plain-HTTP calls. ureq tunnels everything through a proxy with
    /// `CONNECT`, which proxies commonly allow only to port 443, while reqwest forwards plain
    /// HTTP in absolute form, as proxies expect.
    pub(super) fn for_calls(client: &crate::Client) -> Result<Option<Transport>> {
        let settings = &client.inner.connection;
        let base = client.base_url();
        if base.scheme() == "http" {
            let proxied = match proxy(&settings.proxy)? {
                None => false,
                Some(proxy) => {
                    http::Uri::try_from(base.as_str()).map_or(true, |uri| !proxy.is_no_proxy(&uri))
                }
            };
            if proxied {
                return Ok(None);
            }
        }
        Transport::new(settings).map(Some)
    }

    /// A stack that connects as the async client does: the same user agent, connect timeout,
    /// proxy and trusted roots, with rustls on the same crypto provider.
    pub(super) fn new(settings: &ConnectionSettings) -> Result<Transport> {
        let proxy = proxy(&settings.proxy)?;
        let user_agent = settings
            .user_agent
            .to_str()
            .map_err(|_| Error::config("the user agent is not a valid HTTP header value"))?;
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .root_certs(root_certs(&settings.root_certificates)?)
            .build();
        let config = ureq::Agent::config_builder()
            // Every status is an answer for the retry rules and the decoder to judge.
            .http_status_as_error(false)
            .user_agent(user_agent)
            .timeout_connect(Some(settings.connect_timeout))
            .proxy(proxy)
            .tls_config(tls)
            .max_idle_connections(IDLE_CONNECTIONS)
            .max_idle_connections_per_host(IDLE_CONNECTIONS)
            .max_idle_age(IDLE_CONNECTION_AGE)
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            Resolver::default(),
        );
        Ok(Transport { agent })
    }

    /// Call the algorithm with `body`, retrying as the async client would.
    pub(super) fn call<M: OutputMode>(
        &self,
        algorithm: &Algorithm<M>,
        body: Bytes,
        content_type: &'static str,
    ) -> Result<M::Response> {
        let call = algorithm.prepare(body, content_type)?;
        let request = &call.request;
        let span = request_span(request);
        let _entered = span.enter();
        let auth = algorithm.client().inner.auth_header.as_ref();
        let uri = http::Uri::try_from(request.url.as_str())
            .map_err(|e| Error::config(format!("the call URL is not a valid URI: {e}")))?;
        let mut attempts: Attempts<'_, http::Response<ureq::Body>> =
            Attempts::new(request, &algorithm.client().inner.retry);
        let (head, body) = loop {
            let timeout = match attempts.start() {
                Ok(timeout) => timeout,
                Err(done) => break done?.into_parts(),
            };
            let outcome = self.send_once(request, &uri, auth, timeout);
            match attempts.judge(outcome) {
                Next::Done(done) => break done?.into_parts(),
                Next::Pause(delay) => std::thread::sleep(delay),
            }
        };
        let body = read_body(body, &head.headers).map_err(|e| {
            Error::transport_failure(
                &request.method,
                &request.url,
                e,
                1,
                request.request_id.as_ref(),
            )
        })?;
        decode_call::<M>(call.reference, call.url, head.status, &head.headers, body)
    }

    /// One attempt, given `timeout` in all (none: no limit but the connect timeout).
    fn send_once(
        &self,
        request: &RequestSpec,
        uri: &http::Uri,
        auth: Option<&HeaderValue>,
        timeout: Option<Duration>,
    ) -> Result<http::Response<ureq::Body>, UreqFailure> {
        let Body::Bytes(body, content_type) = &request.body else {
            // Algorithm calls carry their input in memory; nothing else is sent here.
            return Err(UreqFailure(ureq::Error::Other(
                "only in-memory bodies are sent by the blocking transport".into(),
            )));
        };
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(uri.clone())
            .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(auth) = auth {
            builder = builder.header(header::AUTHORIZATION, auth.clone());
        }
        if let Some(id) = &request.request_id {
            builder = builder.header(wire::HEADER_REQUEST_ID, id.clone());
        }
        let http_request = builder
            .body(&body[..])
            .map_err(|e| UreqFailure(ureq::Error::Http(e)))?;
        let http_request = self
            .agent
            .configure_request(http_request)
            .timeout_global(timeout)
            .build();
        self.agent.run(http_request).map_err(UreqFailure)
    }
}

/// The proxy of a setting, as ureq takes it.
fn proxy(setting: &ProxySetting) -> Result<Option<ureq::Proxy>> {
    Ok(match setting {
        ProxySetting::System => ureq::Proxy::try_from_env(),
        ProxySetting::Disabled => None,
        // The URL was accepted by the async client; it is not repeated in the error, as it may
        // carry credentials.
        ProxySetting::Url(url) => Some(ureq::Proxy::new(url).map_err(|e| {
            Error::config(format!(
                "the proxy URL cannot be used by the blocking client: {e}"
            ))
        })?),
    })
}

/// How long a resolved host name is kept.
const RESOLVED_FOR: Duration = Duration::from_secs(5);

/// Host names kept at most; a client talks to one or two.
const RESOLVED_HOSTS: usize = 64;

/// Finds the addresses of a call's host. ureq asks before every call, a pooled connection or
/// not, and with a timeout its own resolver asks the system on a thread of its own each time,
/// which cost more than the call. So an IP address is taken as it is, and a name is resolved
/// by ureq's resolver (within the call's timeout) and kept for a few seconds.
#[derive(Debug, Default)]
struct Resolver {
    system: ureq::unversioned::resolver::DefaultResolver,
    resolved: Mutex<HashMap<String, (Instant, Vec<SocketAddr>)>>,
}

impl ureq::unversioned::resolver::Resolver for Resolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return self.system.resolve(uri, config, timeout);
        };
        let Some(host_port) =
            ureq::unversioned::resolver::DefaultResolver::host_and_port(scheme, authority)
        else {
            return self.system.resolve(uri, config, timeout);
        };
        let mut addrs = self.empty();
        if let Ok(addr) = host_port.parse::<SocketAddr>() {
            addrs.push(addr);
            return Ok(addrs);
        }
        let now = Instant::now();
        let lock = || self.resolved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, known)) = lock().get(&host_port)
            && now.duration_since(*at) < RESOLVED_FOR
        {
            for addr in known {
                addrs.push(*addr);
            }
            return Ok(addrs);
        }
        let fresh = self.system.resolve(uri, config, timeout)?;
        let mut resolved = lock();
        if resolved.len() >= RESOLVED_HOSTS {
            resolved.clear();
        }
        resolved.insert(host_port, (now, fresh.iter().copied().collect()));
        Ok(fresh)
    }
}

/// The whole body of an answer; a body cut short or late is an error of the call.
fn read_body(body: ureq::Body, headers: &http::HeaderMap) -> Result<Bytes, UreqFailure> {
    // Reserve what the answer announces, up to a bound a lying header cannot push past.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut bytes = Vec::with_capacity(announced.min(wire::MAX_INPUT_BYTES));
    body.into_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| UreqFailure(ureq::Error::Io(e)))?;
    Ok(Bytes::from(bytes))
}

/// The trusted roots: the platform's verifier, or, with extra roots, the platform's roots and
/// the extra ones (as the async client merges them).
fn root_certs(extra: &[Vec<u8>]) -> Result<ureq::tls::RootCerts> {
    if extra.is_empty() {
        return Ok(ureq::tls::RootCerts::PlatformVerifier);
    }
    let mut roots = Vec::new();
    // The platform's roots; a platform without any leaves only the extra ones.
    for der in rustls_native_certs::load_native_certs().certs {
        roots.push(ureq::tls::Certificate::from_der(der.as_ref()).to_owned());
    }
    for pem in extra {
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => roots.push(cert),
                Ok(_) => {}
                Err(e) => {
                    return Err(Error::config(format!("invalid PEM root certificate: {e}")));
                }
            }
        }
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&roots))
}

/// A failed attempt of the synchronous stack.
#[derive(Debug)]
pub(super) struct UreqFailure(ureq::Error);

impl fmt::Display for UreqFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for UreqFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl Failure for UreqFailure {
    /// `Connect` only when the request cannot have reached the server: no connection was made
    /// (refused, unreachable, no such host, the proxy or TLS handshake failed).
    fn kind(&self) -> TransportKind {
        use std::io::ErrorKind;
        match &self.0 {
            ureq::Error::Timeout(_) => TransportKind::Timeout,
            ureq::Error::Io(e) if e.kind() == ErrorKind::TimedOut => TransportKind::Timeout,
            ureq::Error::Io(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionRefused
                        | ErrorKind::AddrNotAvailable
                        | ErrorKind::HostUnreachable
                        | ErrorKind::NetworkUnreachable
                ) =>
            {
                TransportKind::Connect
            }
            ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_)
            | ureq::Error::Tls(_) => TransportKind::Connect,
            // A rustls error may come after the handshake, once the call went out: it is not
            // taken for a failure to connect, so a call that may have run is not retried.
            _ => TransportKind::Other,
        }
    }
}
