//! `Context`: what a running algorithm knows about its call, and the data API it acts through.

use std::fmt;
use std::sync::{Arc, Mutex};

use algorithmia_client::AlgoRef;

use crate::data::{DataApi, Storage};

/// What a running algorithm knows about its call.
#[derive(Clone)]
pub struct Context {
    pub(crate) user: String,
    pub(crate) request_id: String,
    pub(crate) algorithm: AlgoRef,
    pub(crate) data: DataApi,
    pub(crate) stdout: Arc<Mutex<String>>,
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
            stdout: Arc::new(Mutex::new(String::new())),
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
        if let Ok(mut out) = self.stdout.lock() {
            out.push_str(text);
        }
    }

    pub(crate) fn take_stdout(&self) -> String {
        self.stdout
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}
