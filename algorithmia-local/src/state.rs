//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use crate::algo::Registry;
use crate::auth::Keys;
use crate::data::Storage;

/// The server's shared state, behind an `Arc`.
pub(crate) struct AppState {
    pub(crate) keys: Keys,
    pub(crate) registry: Registry,
    pub(crate) storage: Arc<Storage>,
    /// Entries per directory listing page.
    pub(crate) page_size: usize,
    /// Algorithm timeout when a call names none.
    pub(crate) default_timeout: Duration,
    /// Largest algorithm input.
    pub(crate) max_input_bytes: usize,
    /// How long an algorithm call's body may take to arrive.
    pub(crate) body_timeout: Duration,
    /// Executions per request id, when counted.
    pub(crate) executions: Option<Arc<crate::faults::Executions>>,
}
