//! A synchronous facade over the async client, for code without an async runtime.
//!
//! Algorithm calls are made on the calling thread, through a synchronous HTTP/1.1 client with its
//! own keep-alive pool: handing each call to a runtime thread and back cost more than the call
//! (`BENCHMARKS.md` at the repository root has the figures). They share everything else with the
//! async client: the checks, the URL, the request id, the retry rules, the errors and the
//! decoding. Plain-HTTP calls through a proxy, and the Data and management APIs, run the async
//! implementation on a small runtime the facade owns. Calling it from inside an async runtime is an [`Error::Config`], not a panic.
//!
//! ```no_run
//! use algorithmia_client::blocking::Client;
//!
//! let client = Client::new("simYourApiKey")?;
//! let response = client.algo("demo/Hello").pipe("world")?;
//! println!("{}", response.as_text().unwrap_or_default());
//! # Ok::<(), algorithmia_client::Error>(())
//! ```

mod data;
pub mod manage;
mod transport;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::algo::{Envelope, OutputMode};
use crate::algo_ref::{AlgoRef, AlgoRefError, IntoAlgoRef};
use crate::auth::ApiKey;
use crate::error::{Error, Result};
use crate::input::AlgoInput;
use crate::wire;
use transport::Transport;

pub use data::{DataDir, DataFile};

struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        // Shutting down in the background never blocks and never panics, even when the last
        // handle is dropped inside some other async runtime.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Blocking inside an async runtime would panic (or stall its thread); every blocking call checks.
fn outside_runtime() -> Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::config(
            "the blocking client was called inside an async runtime; use the async Client there",
        ));
    }
    Ok(())
}

impl Runtime {
    fn block_on<F: Future>(&self, future: F) -> Result<F::Output> {
        outside_runtime()?;
        match &self.0 {
            Some(runtime) => Ok(runtime.block_on(future)),
            None => Err(Error::config("the blocking client's runtime has shut down")),
        }
    }

    fn handle(&self) -> Result<tokio::runtime::Handle> {
        self.0
            .as_ref()
            .map(|r| r.handle().clone())
            .ok_or_else(|| Error::config("the blocking client's runtime has shut down"))
    }
}

/// The blocking counterpart of [`crate::Client`]. Cheap to clone; clones share the connection
/// pool and the runtime.
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    runtime: Arc<Runtime>,
    transport: Option<Transport>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

impl Client {
    /// See [`crate::Client::new`].
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Client> {
        Client::from_async(crate::Client::new(api_key)?)
    }

    /// See [`crate::Client::from_env`].
    pub fn from_env() -> Result<Client> {
        Client::from_async(crate::Client::from_env()?)
    }

    /// See [`crate::Client::from_profile`].
    pub fn from_profile(name: &str) -> Result<Client> {
        Client::from_async(crate::Client::from_profile(name)?)
    }

    /// Wrap an async client built with [`crate::Client::builder`].
    ///
    /// Its runtime (for the Data and management APIs) has two threads, or one when the process
    /// may run on one CPU only (pinned with `taskset`, or a one-CPU container): two threads
    /// taking turns on one CPU cost every request a hand-over between them. Algorithm calls get
    /// a connection pool of their own, set up like the async client's (user agent, connect
    /// timeout, proxy, trusted roots).
    pub fn from_async(client: crate::Client) -> Result<Client> {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cpus.min(2))
            .thread_name("algorithmia-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("could not start the blocking runtime: {e}")))?;
        let transport = Transport::for_calls(&client)?;
        Ok(Client {
            inner: client,
            runtime: Arc::new(Runtime(Some(runtime))),
            transport,
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// A handle to an algorithm; see [`crate::Client::algo`].
    pub fn algo(&self, reference: impl IntoAlgoRef) -> Algorithm {
        Algorithm {
            inner: self.inner.algo(reference),
            runtime: Arc::clone(&self.runtime),
            transport: self.transport.clone(),
        }
    }
}

/// The blocking counterpart of [`crate::Algorithm`].
#[must_use]
pub struct Algorithm<M: OutputMode = Envelope> {
    inner: crate::Algorithm<M>,
    runtime: Arc<Runtime>,
    /// Calls are made on the calling thread, through this; without it, on the runtime.
    transport: Option<Transport>,
}

impl<M: OutputMode> Clone for Algorithm<M> {
    fn clone(&self) -> Self {
        Algorithm {
            inner: self.inner.clone(),
            runtime: Arc::clone(&self.runtime),
            transport: self.transport.clone(),
        }
    }
}

impl<M: OutputMode> fmt::Debug for Algorithm<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Algorithm")
            .field(&self.inner)
            .finish()
    }
}

impl<M: OutputMode> Algorithm<M> {
    fn map<N: OutputMode>(
        self,
        f: impl FnOnce(crate::Algorithm<M>) -> crate::Algorithm<N>,
    ) -> Algorithm<N> {
        Algorithm {
            inner: f(self.inner),
            runtime: self.runtime,
            transport: self.transport,
        }
    }

    /// See [`crate::Algorithm::reference`].
    pub fn reference(&self) -> Result<&AlgoRef, &AlgoRefError> {
        self.inner.reference()
    }

    /// See [`crate::Algorithm::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|a| a.timeout(timeout))
    }

    /// See [`crate::Algorithm::deadline`].
    pub fn deadline(self, deadline: std::time::Instant) -> Self {
        self.map(|a| a.deadline(deadline))
    }

    /// See [`crate::Algorithm::stdout`].
    pub fn stdout(self, stdout: bool) -> Self {
        self.map(|a| a.stdout(stdout))
    }

    /// See [`crate::Algorithm::output`].
    pub fn output<N: OutputMode>(self, mode: N) -> Algorithm<N> {
        self.map(|a| a.output(mode))
    }

    /// See [`crate::Algorithm::option`].
    pub fn option(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.map(|a| a.option(key, value))
    }

    /// Make the call on this thread, or, when the client has no transport of its own for
    /// calls, on the runtime.
    fn send(&self, body: bytes::Bytes, content_type: &'static str) -> Result<M::Response> {
        match &self.transport {
            Some(transport) => transport.call(&self.inner, body, content_type),
            None => self.runtime.block_on(self.inner.send(body, content_type))?,
        }
    }

    /// See [`crate::Algorithm::pipe`].
    pub fn pipe(&self, input: impl Into<AlgoInput>) -> Result<M::Response> {
        outside_runtime()?;
        let (body, content_type) = input.into().encode()?;
        self.send(body, content_type)
    }

    /// See [`crate::Algorithm::pipe_json`].
    pub fn pipe_json<T: Serialize + ?Sized>(&self, input: &T) -> Result<M::Response> {
        outside_runtime()?;
        let body = serde_json::to_vec(input).map_err(Error::serialize)?;
        self.send(body.into(), wire::CONTENT_TYPE_JSON)
    }

    /// See [`crate::Algorithm::pipe_json_text`].
    pub fn pipe_json_text(&self, json: impl Into<String>) -> Result<M::Response> {
        self.pipe(AlgoInput::JsonText(json.into()))
    }
}
