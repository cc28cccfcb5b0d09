//! `Context`: what a running algorithm knows about its call, and the data API it acts through.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use algorithmia_client::AlgoRef;

use crate::data::{DataApi, Storage};

/// What a running algorithm knows about its call.
#[derive(Clone)]
pub struct Context {
    pub(crate) user: String,
    pub(crate) request_id: String,
    pub(crate) algorithm: AlgoRef,
    pub(crate) data: DataApi,
    /// What the call gathers as it runs: its prints, and where a pooled call spent its time.
    pub(crate) gathered: Arc<Mutex<Gathered>>,
}

/// What a call gathers while it runs, read when it is answered.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    /// The algorithm's standard output.
    pub(crate) stdout: String,
    /// For a call run on a worker pool: its time waiting for a worker and on the worker.
    pub(crate) pool: Option<PoolTiming>,
}

/// Where a call on a worker pool spent its time: in the queue until a worker was free, then on
/// the worker (the request line written, the algorithm run, its response line read back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolTiming {
    pub(crate) queue: Duration,
    pub(crate) worker: Duration,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("user", &self.user)
            .field("request_id", &self.request_id)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The context of one call of `algorithm` by `user`: its data API acts as that user, with
    /// this algorithm's rights.
    pub(crate) fn new(
        storage: Arc<Storage>,
        user: String,
        request_id: String,
        algorithm: AlgoRef,
    ) -> Self {
        // A resolved reference always names its algorithm by owner and name.
        let acting = Some((
            algorithm.owner().unwrap_or_default().to_owned(),
            algorithm.name().unwrap_or_default().to_owned(),
        ));
        Context {
            data: DataApi::new(storage, user.clone(), acting),
            user,
            request_id,
            algorithm,
            gathered: Arc::default(),
        }
    }

    /// The user who called the algorithm.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The request id (`req-<uuid>`), also returned to the caller.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The algorithm being run, at its resolved version.
    pub fn algorithm(&self) -> &AlgoRef {
        &self.algorithm
    }

    /// The server's data API, acting as the caller with this algorithm's rights: `data://`,
    /// `data://.my/...` (the caller's), `data://.algo/...` and connector URIs.
    pub fn data(&self) -> &DataApi {
        &self.data
    }

    /// Append to the algorithm's standard output (returned as `metadata.stdout` when asked for).
    pub fn print(&self, text: &str) {
        self.gathered().stdout.push_str(text);
    }

    pub(crate) fn take_stdout(&self) -> String {
        std::mem::take(&mut self.gathered().stdout)
    }

    /// Record where a call on a worker pool spent its time.
    pub(crate) fn record_pool_timing(&self, timing: PoolTiming) {
        self.gathered().pool = Some(timing);
    }

    /// Where the call spent its time on a worker pool, if it ran on one.
    pub(crate) fn pool_timing(&self) -> Option<PoolTiming> {
        self.gathered().pool
    }

    fn gathered(&self) -> std::sync::MutexGuard<'_, Gathered> {
        self.gathered.lock().unwrap_or_else(|e| e.into_inner())
    }
}
