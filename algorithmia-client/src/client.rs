//! The client: its configuration, the connection pool it shares, and the builder that checks both.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;

use crate::auth::{ApiKey, Auth};
use crate::error::{Error, Result};
use crate::profile::{ConfigFile, Profile};
use crate::retry::RetryPolicy;
use crate::wire;

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
    pub(crate) http: reqwest::Client,
    base: Url,
    auth: Auth,
    pub(crate) auth_header: Option<HeaderValue>,
    pub(crate) default_algo_timeout: Option<Duration>,
    pub(crate) timeout_margin: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_input_bytes: usize,
    pub(crate) data_timeout: Duration,
    pub(crate) transfer_idle_timeout: Duration,
    /// How connections are made; the blocking facade's HTTP stack is built from it.
    #[cfg_attr(not(feature = "blocking"), allow(dead_code))]
    pub(crate) connection: ConnectionSettings,
    /// Algorithm calls' own connections, for plain-HTTP servers reached without a proxy.
    pub(crate) calls: Option<crate::direct::CallPool>,
}

/// How connections are made: what the HTTP client was built with, kept so that another HTTP
/// stack (the blocking facade's) connects the same way.
#[cfg_attr(not(feature = "blocking"), allow(dead_code))]
pub(crate) struct ConnectionSettings {
    pub(crate) user_agent: HeaderValue,
    pub(crate) connect_timeout: Duration,
    pub(crate) proxy: ProxySetting,
    /// Extra trusted roots (PEM bundles, already checked), beside the platform's.
    pub(crate) root_certificates: Vec<Vec<u8>>,
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

    /// A client for the profile `name` of the official CLI's config file
    /// (`~/.algorithmia/config`), resolved as the official clients resolve it: the profile's
    /// values win, and `ALGORITHMIA_API_KEY` (else `ALGORITHMIA_BEARER_TOKEN`),
    /// `ALGORITHMIA_API` and `REQUESTS_CA_BUNDLE` fill what it leaves empty. See
    /// [`crate::profile`] and [`ClientBuilder::profile`].
    ///
    /// ```no_run
    /// use algorithmia_client::Client;
    ///
    /// # async fn run() -> Result<(), algorithmia_client::Error> {
    /// let client = Client::from_profile("default")?;
    /// let hello = client.algo("demo/Hello").pipe("world").await?;
    /// # Ok(()) }
    /// ```
    pub fn from_profile(name: &str) -> Result<Client> {
        Client::builder().profile(name).build()
    }

    /// A builder for every other setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to, normalised to end with `/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
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
}

/// How requests reach the network: the system's proxy settings, none, or one given proxy.
#[derive(Debug, Clone, Default)]
pub(crate) enum ProxySetting {
    #[default]
    System,
    Disabled,
    Url(String),
}

/// Where the builder's profile comes from.
#[derive(Debug, Default)]
struct ProfileSettings {
    /// The profile's name, read from the config file at `build()`.
    name: Option<String>,
    /// The config file; the official CLI's location when `None`.
    file: Option<std::path::PathBuf>,
    /// Settings given outright, which win over a named profile.
    given: Option<Profile>,
}

/// The settings read from the environment.
#[derive(Debug, Default)]
struct EnvSettings {
    base_url: Option<String>,
    auth: Option<Auth>,
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
    auth: Option<Auth>,
    /// What [`ClientBuilder::from_env`] found; explicit settings win over it, whatever the order.
    env: EnvSettings,
    /// What [`ClientBuilder::profile`] and friends chose; explicit settings win over it.
    profile: ProfileSettings,
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
            .field("env", &self.env)
            .field("profile", &self.profile)
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
        self.auth = Some(Auth::Simple(key.into()));
        self
    }

    /// Authenticate with `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: impl Into<ApiKey>) -> Self {
        self.auth = Some(Auth::Bearer(token.into()));
        self
    }

    /// Set the authentication outright; [`Auth::None`] sends no `Authorization` header.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Read `ALGORITHMIA_API_KEY`, `ALGORITHMIA_BEARER_TOKEN` and `ALGORITHMIA_API`, with the
    /// official clients' precedence: a key wins over a token; empty values count as unset; with
    /// neither, requests go unauthenticated (as code running on the platform does).
    ///
    /// Settings made explicitly on the builder win over the environment, whether they are made
    /// before or after this call.
    pub fn from_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        self.env.auth = Some(
            match (var("ALGORITHMIA_API_KEY"), var("ALGORITHMIA_BEARER_TOKEN")) {
                (Some(key), _) => Auth::Simple(ApiKey::new(key)),
                (None, Some(token)) => Auth::Bearer(ApiKey::new(token)),
                (None, None) => Auth::None,
            },
        );
        self.env.base_url = var("ALGORITHMIA_API");
        self
    }

    /// Take the settings of the profile `name` from the config file when the client is built,
    /// resolved as [`Client::from_profile`] resolves them. Settings made explicitly on the
    /// builder win over the profile, which wins over [`ClientBuilder::from_env`].
    ///
    /// The file is the official CLI's (`~/.algorithmia/config`) unless
    /// [`ClientBuilder::config_file`] names another. A missing file, or a missing `default`
    /// profile, means nothing is configured; another missing profile, a malformed file or an
    /// unreadable CA certificate fail [`build`](ClientBuilder::build) with [`Error::Config`].
    ///
    /// ```no_run
    /// use algorithmia_client::Client;
    ///
    /// let client = Client::builder()
    ///     .config_file("/etc/algorithmia/config")
    ///     .profile("staging")
    ///     .user_agent("nightly-job/1.0")
    ///     .build()?;
    /// # Ok::<(), algorithmia_client::Error>(())
    /// ```
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile.name = Some(name.into());
        self
    }

    /// The config file [`ClientBuilder::profile`] reads, instead of the official CLI's location.
    pub fn config_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.profile.file = Some(path.into());
        self
    }

    /// Use these profile settings as they are (no file is read and the environment is not
    /// consulted; see [`Profile::with_env`]). They win over a named
    /// [`profile`](ClientBuilder::profile); explicit settings win over them. A `ca_cert` is read
    /// when the client is built.
    pub fn profile_settings(mut self, profile: Profile) -> Self {
        self.profile.given = Some(profile);
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
        let profile = match (self.profile.given, &self.profile.name) {
            (Some(given), _) => Some(given),
            (None, Some(name)) => {
                let config = match &self.profile.file {
                    Some(path) => ConfigFile::load(path.clone())?,
                    None => ConfigFile::load_default()?,
                };
                Some(config.profile(name)?.with_env())
            }
            (None, None) => None,
        };
        // Each PEM with where it came from, so a bad profile certificate is named.
        let mut root_certificates: Vec<(Option<String>, Vec<u8>)> = self
            .root_certificates
            .into_iter()
            .map(|pem| (None, pem))
            .collect();
        let (profile_base, profile_auth) = match profile {
            Some(profile) => {
                if let Some(path) = &profile.ca_cert {
                    let pem = std::fs::read(path).map_err(|e| {
                        Error::config(format!(
                            "could not read the CA certificate {}: {e}",
                            path.display()
                        ))
                    })?;
                    root_certificates.push((Some(path.display().to_string()), pem));
                }
                let auth = profile.has_credentials().then(|| profile.auth());
                (profile.api_server, auth)
            }
            None => (None, None),
        };
        let base_url = self.base_url.or(profile_base).or(self.env.base_url);
        let base = normalise_base_url(base_url.as_deref().unwrap_or(wire::DEFAULT_API_BASE))?;
        let auth = self
            .auth
            .or(profile_auth)
            .or(self.env.auth)
            .unwrap_or_default();
        let auth_header = auth.header_value()?;
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("algorithmia-client-rust/{}", env!("CARGO_PKG_VERSION")));
        let user_agent = HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::config("the user agent is not a valid HTTP header value"))?;
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let mut http = reqwest::Client::builder()
            .user_agent(user_agent.clone())
            .connect_timeout(connect_timeout)
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
        for (source, pem) in &root_certificates {
            let name = source
                .as_ref()
                .map_or_else(String::new, |path| format!(" {path}"));
            let bundle = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::config(format!("invalid PEM root certificate{name}: {e}")))?;
            if bundle.is_empty() {
                return Err(Error::config(format!(
                    "a root certificate PEM{name} holds no certificate"
                )));
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
            check_algo_timeout(timeout)?;
        }
        let calls = crate::direct::CallPool::for_base(
            &base,
            &self.proxy,
            &user_agent,
            auth_header.as_ref(),
            connect_timeout,
        );
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                calls,
                base,
                auth,
                auth_header,
                default_algo_timeout: self.default_algo_timeout,
                timeout_margin: self.timeout_margin.unwrap_or(DEFAULT_TIMEOUT_MARGIN),
                retry: self.retry,
                max_input_bytes: self.max_input_bytes.unwrap_or(wire::MAX_INPUT_BYTES),
                data_timeout: self.data_timeout.unwrap_or(DEFAULT_DATA_TIMEOUT),
                transfer_idle_timeout: self.transfer_idle_timeout.unwrap_or(DEFAULT_DATA_TIMEOUT),
                connection: ConnectionSettings {
                    user_agent,
                    connect_timeout,
                    proxy: self.proxy,
                    root_certificates: root_certificates.into_iter().map(|(_, pem)| pem).collect(),
                },
            }),
        })
    }
}

/// Check a timeout against the API's range: more than zero, at most 3000 s.
pub(crate) fn check_algo_timeout(timeout: Duration) -> Result<()> {
    if timeout.is_zero() || timeout > Duration::from_secs(wire::MAX_ALGO_TIMEOUT_SECS) {
        return Err(Error::config(format!(
            "an algorithm timeout must be more than 0 and at most {} s, not {timeout:?}",
            wire::MAX_ALGO_TIMEOUT_SECS
        )));
    }
    Ok(())
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
