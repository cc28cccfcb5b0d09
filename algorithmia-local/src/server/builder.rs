//! `LocalServerBuilder`: the server's settings, and the two ways to use them: [`start`] a
//! server, or [`build_state`] for [`app`](crate::app) alone.
//!
//! [`start`]: LocalServerBuilder::start
//! [`build_state`]: LocalServerBuilder::build_state

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use algorithmia_client::wire;

use super::serve::ConnTimeouts;
use super::{ServerHandle, StartError, handle};
use crate::algo::{AdkAlgorithm, AlgorithmDef};
use crate::api::AppState;
use crate::faults::FaultSpec;
use crate::platform::{BuildQueue, Launcher};

/// How long a connection may take to send a request head, unless set
/// ([`LocalServerBuilder::header_read_timeout`]).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Entry point: [`LocalServer::builder`].
#[derive(Debug)]
pub struct LocalServer;

impl LocalServer {
    /// A builder with the defaults: `127.0.0.1:0`, a temporary data directory, any key accepted,
    /// built-in algorithms registered, 1000 entries per listing page, 30 s to send a request head.
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
            adk_workers: None,
            adk_queue: None,
            adk_queue_timeout: None,
            max_upload_bytes: 64 * 1024 * 1024 * 1024,
            upload_idle_timeout: Duration::from_secs(30),
            worker_threads: 2,
            faults: None,
            count_executions: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            organizations: Vec::new(),
            platform: true,
            launcher: None,
            build_queue: None,
        }
    }
}

/// Configures and starts a server.
#[must_use]
pub struct LocalServerBuilder {
    pub(super) bind: SocketAddr,
    pub(super) data_dir: Option<PathBuf>,
    pub(super) keys: Vec<(String, String)>,
    pub(super) connectors: Vec<(String, String)>,
    pub(super) s3_credentials: Option<(String, String)>,
    pub(super) page_size: usize,
    pub(super) builtins: bool,
    pub(super) algorithms: Vec<AlgorithmDef>,
    pub(super) adk: Vec<AdkAlgorithm>,
    pub(super) adk_workers: Option<usize>,
    pub(super) adk_queue: Option<usize>,
    pub(super) adk_queue_timeout: Option<Duration>,
    pub(super) max_upload_bytes: u64,
    pub(super) upload_idle_timeout: Duration,
    pub(super) worker_threads: usize,
    pub(super) faults: Option<FaultSpec>,
    pub(super) count_executions: bool,
    pub(super) header_read_timeout: Duration,
    pub(super) organizations: Vec<(String, Vec<String>)>,
    pub(super) platform: bool,
    pub(super) launcher: Option<Arc<dyn Launcher>>,
    pub(super) build_queue: Option<Arc<dyn BuildQueue>>,
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
            .field("header_read_timeout", &self.header_read_timeout)
            .field("organizations", &self.organizations)
            .field("platform", &self.platform)
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

    /// Create organisation `org` (in the state database, if missing) with these members (users
    /// created as needed): they may manage the algorithms the organisation owns.
    pub fn organization<I, S>(mut self, org: impl Into<String>, members: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.organizations
            .push((org.into(), members.into_iter().map(Into::into).collect()));
        self
    }

    /// Whether to host the algorithms created through the management API (default yes): each
    /// gets a git repository at `/git/OWNER/NAME.git` (under `<data>/git`), a push to `master`
    /// or a compile builds it with `python3` (under `<data>/builds`), and its built versions
    /// run on pools of [`adk_workers`](Self::adk_workers) processes each, with its secrets as
    /// environment variables. Off, there are no repositories, a compile answers 503 (no
    /// builder) and so does a call of a stored version (no runtime).
    pub fn platform(mut self, on: bool) -> Self {
        self.platform = on;
        self
    }

    /// Run algorithms created through the management API with `launcher` instead of the
    /// platform's worker pools.
    #[allow(dead_code)] // A seam for tests and other runtimes.
    pub(crate) fn launcher(mut self, launcher: Arc<dyn Launcher>) -> Self {
        self.launcher = Some(launcher);
        self
    }

    /// Build algorithms with `queue` instead of the platform's builder.
    #[allow(dead_code)] // A seam for tests and other builders.
    pub(crate) fn build_queue(mut self, queue: Arc<dyn BuildQueue>) -> Self {
        self.build_queue = Some(queue);
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
    /// with `ALGORITHMIA_API` and `ALGORITHMIA_API_KEY` set to this server, on a pool of up to
    /// [`adk_workers`](Self::adk_workers) processes. Its first process is started with the
    /// server, so a missing interpreter or package fails `start()`.
    pub fn adk_algorithm(mut self, algorithm: AdkAlgorithm) -> Self {
        self.adk.push(algorithm);
        self
    }

    /// How many processes each ADK algorithm may run at once, unless its
    /// [`AdkAlgorithm::workers`] says otherwise (default: the number of cores). Workers start
    /// as calls need them; calls beyond them wait in a queue of 64 per worker, for up to a
    /// minute, and are then refused with HTTP 503.
    pub fn adk_workers(mut self, workers: usize) -> Self {
        self.adk_workers = Some(workers);
        self
    }

    /// How many calls of each ADK algorithm may wait for a worker (default 64 per worker); one
    /// more is refused at once with HTTP 503.
    pub fn adk_queue(mut self, calls: usize) -> Self {
        self.adk_queue = Some(calls);
        self
    }

    /// How long a call of an ADK algorithm may wait for a worker before it is refused with HTTP
    /// 503 (default a minute).
    pub fn adk_queue_timeout(mut self, timeout: Duration) -> Self {
        self.adk_queue_timeout = Some(timeout);
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

    /// Inject faults as `spec` says (see [`faults`](crate::faults)). Turns on
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

    /// How long a connection may take to send a request head (default 30 s; at least 1 ms).
    ///
    /// The clock starts when the server begins to wait for a head: at accept for the first
    /// request, and when the previous answer has been sent on a kept-alive connection. So this
    /// also closes keep-alive connections that sit idle that long, and a client that sends half
    /// a head and stops is cut off instead of holding its connection for ever. The clock stops
    /// once the head is in: bodies have their own limit
    /// ([`upload_idle_timeout`](Self::upload_idle_timeout)), calls their own timeout.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Bind, start serving on a thread of the server's own, and return once connections are
    /// accepted. Works from async and from plain code alike.
    pub fn start(self) -> Result<ServerHandle, StartError> {
        self.check()?;
        let listener = TcpListener::bind(self.bind).map_err(|source| StartError::Bind {
            addr: self.bind,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.bind,
            source,
        })?;
        let worker_threads = self.worker_threads;
        let timeouts = ConnTimeouts {
            header_read: self.header_read_timeout,
        };
        let setup = self.setup(Some(addr))?;
        handle::spawn(listener, addr, setup, worker_threads, timeouts)
    }

    /// Build the state the server's handlers share, without listening anywhere: for
    /// [`app`](crate::app), to drive the API in-process (with `tower::ServiceExt::oneshot`, say).
    /// A temporary data directory lives as long as the state.
    ///
    /// Algorithms written with the ADK call back into a listening server, so they are refused
    /// here: use [`start`](Self::start).
    pub fn build_state(self) -> Result<AppState, StartError> {
        self.check()?;
        if !self.adk.is_empty() {
            return Err(StartError::Config(
                "ADK algorithms need a listening server: use start(), not build_state()".into(),
            ));
        }
        Ok(self.setup(None)?.state)
    }

    /// The settings that are wrong on their own, before anything is bound or created.
    fn check(&self) -> Result<(), StartError> {
        if self.page_size == 0 {
            return Err(StartError::Config(
                "the page size must be at least 1".into(),
            ));
        }
        if self.header_read_timeout < Duration::from_millis(1) {
            return Err(StartError::Config(
                "the header read timeout must be at least 1 ms".into(),
            ));
        }
        Ok(())
    }
}
