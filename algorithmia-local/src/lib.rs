//! A local server that speaks the Algorithmia API v1 and hosts real algorithms.
//!
//! Embed it in tests, examples and benchmarks, or run the `algorithmia-local` binary. It serves
//! algorithm calls (`/v1/algo`) and the Data API (`/v1/connector`, `/v1/data`) well enough for
//! the official Python and Node clients to work against it unchanged.
//!
//! ```
//! use algorithmia_local::{AlgorithmDef, AlgoError, LocalServer, Output};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = LocalServer::builder()
//!     .algorithm(
//!         AlgorithmDef::new("demo/Upper").version("1.0.0").handler(|input, ctx| async move {
//!             let text = input.as_text().ok_or_else(|| AlgoError::input("send text"))?;
//!             ctx.print("upper-casing\n");
//!             Ok(Output::Text(text.to_uppercase()))
//!         }),
//!     )
//!     .start()?;
//!
//! let client = algorithmia_client::Client::builder()
//!     .base_url(server.base_url())
//!     .api_key(server.api_key())
//!     .build()?;
//! let response = client.algo("demo/Upper").pipe("quiet").await?;
//! assert_eq!(response.as_text(), Some("QUIET"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod algo;
mod app;
mod auth;
mod conn;
mod data;
mod error;
pub mod faults;
mod state;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use algorithmia_client::wire;
use tokio::sync::oneshot;

pub use algo::{
    AdkAlgorithm, AlgoError, AlgoResult, AlgorithmDef, BoxFuture, Context, FIFO_PATH, Input,
    Output, PublishedVersion, Visibility,
};
pub use auth::DEFAULT_USER;
pub use data::{ACL_MY_ALGORITHMS, ACL_PUBLIC, DataApi, DataEntry, DataError};
pub use faults::{FaultKind, FaultSpec, FaultSpecError, FaultStats};

// The workspace README's examples compile here, where both crates are in scope.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// The port the binary listens on when `--bind` names only an address.
pub const DEFAULT_PORT: u16 = 9000;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The data directory could not be prepared.
    #[error("could not prepare the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// An option is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The server's runtime could not start.
    #[error("could not start the server runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Entry point: [`LocalServer::builder`].
#[derive(Debug)]
pub struct LocalServer;

impl LocalServer {
    /// A builder with the defaults: `127.0.0.1:0`, a temporary data directory, any key accepted,
    /// built-in algorithms registered, 1000 entries per listing page.
    pub fn builder() -> LocalServerBuilder {
        LocalServerBuilder {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            keys: Vec::new(),
            connectors: Vec::new(),
            s3_credentials: None,
            page_size: wire::DEFAULT_PAGE_SIZE,
            builtins: true,
            algorithms: Vec::new(),
            adk: Vec::new(),
            max_upload_bytes: 64 * 1024 * 1024 * 1024,
            upload_idle_timeout: Duration::from_secs(30),
            worker_threads: 2,
            faults: None,
            count_executions: false,
        }
    }
}

/// Configures and starts a server.
#[must_use]
pub struct LocalServerBuilder {
    bind: SocketAddr,
    data_dir: Option<PathBuf>,
    keys: Vec<(String, String)>,
    connectors: Vec<(String, String)>,
    s3_credentials: Option<(String, String)>,
    page_size: usize,
    builtins: bool,
    algorithms: Vec<AlgorithmDef>,
    adk: Vec<AdkAlgorithm>,
    max_upload_bytes: u64,
    upload_idle_timeout: Duration,
    worker_threads: usize,
    faults: Option<FaultSpec>,
    count_executions: bool,
}

impl std::fmt::Debug for LocalServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys and secrets are counted, never shown.
        f.debug_struct("LocalServerBuilder")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("api_keys", &self.keys.len())
            .field("connectors", &self.connectors)
            .field(
                "s3_credentials",
                &self.s3_credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("page_size", &self.page_size)
            .field("builtins", &self.builtins)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl LocalServerBuilder {
    /// The address to listen on; port 0 picks a free port.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Keep hosted data and local connectors in this directory (created if missing). Without it a
    /// temporary directory is used and removed when the server stops.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Accept `key` as `user`. Once any key is given, only given keys are accepted.
    pub fn api_key(mut self, key: impl Into<String>, user: impl Into<String>) -> Self {
        self.keys.push((key.into(), user.into()));
        self
    }

    /// Back connector `name` (`s3` or `s3+label`) with an S3-compatible endpoint such as
    /// `http://127.0.0.1:5000`; credentials and region come from the usual AWS environment
    /// variables. Connectors not named here are directories under the data directory.
    pub fn connector(mut self, name: impl Into<String>, target: impl Into<String>) -> Self {
        self.connectors.push((name.into(), target.into()));
        self
    }

    /// Credentials for the S3-backed connectors, instead of the AWS environment variables.
    pub fn s3_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.s3_credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// Entries per page of a directory listing (default 1000).
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size;
        self
    }

    /// Whether to register the built-in algorithms (default yes).
    pub fn builtins(mut self, on: bool) -> Self {
        self.builtins = on;
        self
    }

    /// Host an algorithm.
    pub fn algorithm(mut self, def: AlgorithmDef) -> Self {
        self.algorithms.push(def);
        self
    }

    /// Host an algorithm written with the official Python ADK: `command` runs it (with `sh -c`),
    /// with `ALGORITHMIA_API` and `ALGORITHMIA_API_KEY` set to this server. It is started with the
    /// server, so a missing interpreter or package fails `start()`.
    pub fn adk_algorithm(mut self, algorithm: AdkAlgorithm) -> Self {
        self.adk.push(algorithm);
        self
    }

    /// The largest file upload accepted (default 64 GiB; uploads stream to disk).
    pub fn max_upload_bytes(mut self, limit: u64) -> Self {
        self.max_upload_bytes = limit;
        self
    }

    /// How long an upload may stall before it is abandoned (default 30 s).
    pub fn upload_idle_timeout(mut self, timeout: Duration) -> Self {
        self.upload_idle_timeout = timeout;
        self
    }

    /// Threads of the server's own runtime (default 2).
    pub fn worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = threads.max(1);
        self
    }

    /// Inject faults as `spec` says (see [`faults`]). Turns on
    /// [`count_executions`](Self::count_executions).
    pub fn faults(mut self, spec: FaultSpec) -> Self {
        self.faults = Some(spec);
        self.count_executions = true;
        self
    }

    /// Count how many times each request id ran an algorithm (see
    /// [`ServerHandle::executions`]). A call's request id is its `X-Request-Id` header when it
    /// sends one, so the retries of one call share it. Off by default: the counts grow with
    /// every call.
    pub fn count_executions(mut self, on: bool) -> Self {
        self.count_executions = on;
        self
    }

    /// Bind, start serving on a thread of the server's own, and return once connections are
    /// accepted. Works from async and from plain code alike.
    pub fn start(self) -> Result<ServerHandle, StartError> {
        if self.page_size == 0 {
            return Err(StartError::Config(
                "the page size must be at least 1".into(),
            ));
        }
        let listener = TcpListener::bind(self.bind).map_err(|source| StartError::Bind {
            addr: self.bind,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.bind,
            source,
        })?;
        let mut registry = algo::Registry::default();
        let builtins = if self.builtins {
            algo::builtins::all()
        } else {
            Vec::new()
        };
        for def in builtins.into_iter().chain(self.algorithms) {
            registry
                .insert(def)
                .map_err(|e| StartError::Config(e.to_string()))?;
        }
        let mut keys = auth::Keys::default();
        for (key, user) in &self.keys {
            if key.is_empty() || user.is_empty() {
                return Err(StartError::Config(
                    "API keys and users cannot be empty".into(),
                ));
            }
            keys.insert(key.clone(), user.clone());
        }
        let (temp, root) = match &self.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("algorithmia-local-")
                    .tempdir()
                    .map_err(|source| StartError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let root = temp.path().to_path_buf();
                (Some(temp), root)
            }
        };
        let mut backed = Vec::new();
        for (name, target) in &self.connectors {
            let uri = algorithmia_client::DataUri::new(name, "")
                .map_err(|e| StartError::Config(format!("connector {name:?}: {}", e.reason)))?;
            if name == "data" {
                return Err(StartError::Config(
                    "the data connector cannot be redirected".into(),
                ));
            }
            if !(target.starts_with("http://") || target.starts_with("https://")) {
                return Err(StartError::Config(format!(
                    "connector {name:?}: the target must be an http(s) endpoint URL, not {target:?}"
                )));
            }
            if uri.connector_type() != "s3" {
                return Err(StartError::Config(format!(
                    "connector {name:?}: only s3 connectors can be backed by an endpoint"
                )));
            }
            backed.push((name.clone(), target.clone()));
        }
        let storage = data::Storage::new(
            root.clone(),
            &backed,
            self.s3_credentials
                .as_ref()
                .map(|(id, secret)| data::store::S3Credentials {
                    access_key_id: id.clone(),
                    secret_access_key: secret.clone(),
                }),
            data::store::UploadLimits {
                max_bytes: self.max_upload_bytes,
                idle_timeout: self.upload_idle_timeout,
            },
        )
        .map_err(|source| StartError::DataDir {
            path: root.clone(),
            source,
        })?;

        let (api_key, user) = match keys.first_key() {
            Some((key, user)) => (key.to_owned(), user.to_owned()),
            None => {
                tracing::warn!(
                    "no API key configured: any non-empty key is accepted as user `{DEFAULT_USER}`"
                );
                (
                    format!("simLocal{}", uuid::Uuid::new_v4().simple()),
                    DEFAULT_USER.to_owned(),
                )
            }
        };
        let mut runners = Vec::new();
        for spec in &self.adk {
            let env = vec![
                ("ALGORITHMIA_API".to_owned(), format!("http://{addr}")),
                ("ALGORITHMIA_API_KEY".to_owned(), api_key.clone()),
            ];
            let shim = root.join(".adk");
            let runner = Arc::new(
                algo::adk::AdkRunner::new(spec.clone(), env, &shim)
                    .map_err(|source| StartError::DataDir { path: shim, source })?,
            );
            registry
                .insert(algo::adk::definition(spec, Arc::clone(&runner)))
                .map_err(|e| StartError::Config(e.to_string()))?;
            runners.push((spec.name.clone(), runner));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.worker_threads)
            .thread_name("algorithmia-local")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let executions = self
            .count_executions
            .then(|| Arc::new(faults::Executions::default()));
        let fault_plan = self
            .faults
            .map(|spec| Arc::new(faults::FaultPlan::new(spec)));
        let state = Arc::new(state::AppState {
            keys,
            registry,
            storage: Arc::new(storage),
            page_size: self.page_size,
            default_timeout: Duration::from_secs(wire::DEFAULT_ALGO_TIMEOUT_SECS),
            max_input_bytes: wire::MAX_INPUT_BYTES,
            body_timeout: Duration::from_secs(120),
            executions: executions.clone(),
        });

        listener
            .set_nonblocking(true)
            .map_err(|source| StartError::Bind { addr, source })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready, is_ready) = std::sync::mpsc::channel::<Result<(), StartError>>();
        let router = app::app(state, fault_plan.clone());
        let thread = std::thread::Builder::new()
            .name("algorithmia-local".into())
            .spawn(move || {
                runtime.block_on(async move {
                    // ADK processes start first, so a missing interpreter or package fails start().
                    for (name, runner) in &runners {
                        if let Err(e) = runner.start().await {
                            let _ = ready
                                .send(Err(StartError::Config(format!("algorithm {name}: {e}"))));
                            return;
                        }
                    }
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready.send(Err(StartError::Runtime(e)));
                            return;
                        }
                    };
                    let _ = ready.send(Ok(()));
                    let listener = conn::ServerListener::new(listener);
                    let service = router.into_make_service_with_connect_info::<conn::ConnInfo>();
                    let serve = axum::serve(listener, service).with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    });
                    if let Err(e) = serve.await {
                        tracing::error!(error = %e, "server failed");
                    }
                });
                // In-flight work gets a moment to finish; then the runtime goes.
                runtime.shutdown_timeout(Duration::from_secs(5));
                drop(temp);
            })
            .map_err(StartError::Runtime)?;
        is_ready
            .recv()
            .map_err(|_| StartError::Runtime(std::io::Error::other("the server thread died")))??;
        tracing::info!(%addr, "listening");
        Ok(ServerHandle {
            base_url: format!("http://{addr}"),
            addr,
            api_key: algorithmia_client::ApiKey::new(api_key),
            user,
            data_dir: root,
            stop: Some(stop),
            thread: Some(thread),
            executions,
            faults: fault_plan,
        })
    }
}

/// A running server. Dropping it stops the server (and removes a temporary data directory).
#[derive(Debug)]
pub struct ServerHandle {
    base_url: String,
    addr: SocketAddr,
    /// Redacted in `Debug`.
    api_key: algorithmia_client::ApiKey,
    user: String,
    data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    executions: Option<Arc<faults::Executions>>,
    faults: Option<Arc<faults::FaultPlan>>,
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A key the server accepts: the first configured one, or a generated one when any key is
    /// accepted.
    pub fn api_key(&self) -> &str {
        self.api_key.expose()
    }

    /// The user that [`ServerHandle::api_key`] belongs to.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Where hosted data lives.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// How many times the call with this request id ran its algorithm (0 when execution
    /// counting is off; see [`LocalServerBuilder::count_executions`]).
    pub fn executions(&self, request_id: &str) -> u64 {
        self.executions.as_ref().map_or(0, |e| e.of(request_id))
    }

    /// Every counted request id with its number of executions.
    pub fn all_executions(&self) -> std::collections::HashMap<String, u64> {
        self.executions
            .as_ref()
            .map(|e| e.snapshot())
            .unwrap_or_default()
    }

    /// The fault each attempt of the call with this request id met, in order (`None`: it was
    /// answered, possibly late). Empty without [`LocalServerBuilder::faults`] or when the call
    /// sent no `X-Request-Id`.
    pub fn fault_log(&self, request_id: &str) -> Vec<Option<FaultKind>> {
        self.faults
            .as_ref()
            .map(|f| f.attempts_of(request_id))
            .unwrap_or_default()
    }

    /// What the fault layer has done so far (all zero without [`LocalServerBuilder::faults`]).
    pub fn fault_stats(&self) -> FaultStats {
        self.faults.as_ref().map(|f| f.stats()).unwrap_or_default()
    }

    /// Stop accepting connections, let running requests finish (up to a few seconds), and wait
    /// until the server is gone.
    pub fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        // Signal only: joining here could block an async caller's executor.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
