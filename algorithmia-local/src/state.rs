//! [`StateStore`]: the server's state database opened from outside the server, for tools and
//! tests that record builds the way a builder does.

use std::fmt;
use std::path::Path;

use crate::store::{BuildStatus, Store, StoreError};

/// Why a [`StateStore`] operation failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StateError {
    message: String,
}

impl StateError {
    fn new(message: impl Into<String>) -> Self {
        StateError {
            message: message.into(),
        }
    }
}

impl From<StoreError> for StateError {
    fn from(e: StoreError) -> Self {
        StateError::new(e.to_string())
    }
}

/// The state database (`state.db`) of a server's data directory. It may be open while the
/// server runs (SQLite in WAL mode takes both).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let state = algorithmia_local::StateStore::open(dir.path())?;
/// // An algorithm created through the API can now be given builds:
/// assert!(state.create_build("alice", "Missing", &"a".repeat(40)).is_err());
/// # Ok(()) }
/// ```
pub struct StateStore {
    store: Store,
}

impl fmt::Debug for StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateStore")
            .field("store", &self.store)
            .finish()
    }
}

impl StateStore {
    /// Open (creating and migrating as needed) the state database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<StateStore, StateError> {
        Ok(StateStore {
            store: Store::open_in(data_dir)?,
        })
    }

    /// Record a build of `owner/name` at `commit` (a 40-character git hash), in progress, and
    /// return its id.
    pub fn create_build(
        &self,
        owner: &str,
        name: &str,
        commit: &str,
    ) -> Result<String, StateError> {
        if commit.len() != 40 || !commit.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StateError::new(format!(
                "{commit:?} is not a 40-character git hash"
            )));
        }
        let algorithm = self
            .store
            .algorithm(owner, name)?
            .ok_or_else(|| StateError::new(format!("algorithm {owner}/{name} not found")))?;
        Ok(self.store.create_build(&algorithm.id, commit)?.build_id)
    }

    /// Finish a build: succeeded (its commit becomes callable by its owner, and publishable)
    /// or failed, with its log.
    pub fn finish_build(
        &self,
        build_id: &str,
        succeeded: bool,
        log: &str,
    ) -> Result<(), StateError> {
        let status = if succeeded {
            BuildStatus::Succeeded
        } else {
            BuildStatus::Failed
        };
        self.store
            .finish_build(build_id, status, log)?
            .map(|_| ())
            .ok_or_else(|| StateError::new(format!("build {build_id} not found")))
    }
}
