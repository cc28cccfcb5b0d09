//! The server's state in SQLite (`state.db` in the data directory): accounts and keys,
//! algorithms, versions, builds, secrets, runtime errors and insights.
//!
//! One connection behind a mutex: every operation is a short statement or transaction, so
//! handlers may call the store directly or, for longer work, through
//! [`tokio::task::spawn_blocking`]. The schema is migrated at open (see `schema`).

mod accounts;
mod activity;
mod algorithms;
mod builds;
mod records;
mod schema;
mod secrets;

pub(crate) use activity::truncate_utf8;
pub(crate) use secrets::{NewSecret, is_env_name};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

pub(crate) use algorithms::{Bump, PublishRefusal, VersionFilter, VersionPublish};
pub(crate) use records::{
    AccountRecord, AlgorithmRecord, BuildRecord, BuildStatus, Callability, ErrorRecord,
    InsightRecord, NewAlgorithm, SecretRecord, SecretValue, VersionRecord,
};

/// The database file's name in the data directory.
pub(crate) const STATE_FILE: &str = "state.db";

/// The most of a failed call's input the errors log keeps.
pub(crate) const MAX_ERROR_INPUT: usize = 4 * 1024;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// SQLite failed (I/O, corruption, a broken constraint we did not expect).
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer server.
    #[error(
        "the state database has schema version {found}, newer than this server knows ({known}): \
         use a newer algorithmia-local or another data directory"
    )]
    NewerSchema { found: i64, known: i64 },
    /// A unique name is taken.
    #[error("{0}")]
    Conflict(String),
    /// A stored JSON column does not parse.
    #[error("state database holds invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The state database.
pub(crate) struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open (or create) `state.db` in `dir` and migrate it.
    pub(crate) fn open_in(dir: &Path) -> Result<Store, StoreError> {
        Store::open(&dir.join(STATE_FILE))
    }

    /// Open (or create) the database at `path` and migrate it.
    pub(crate) fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        // journal_mode answers with a row, so it is read rather than executed.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// The connection; a panic while it was held leaves SQLite consistent, so poison is ignored.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Now, as the store writes times: RFC 3339 in UTC with milliseconds.
pub(crate) fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Whether a SQLite error is a broken UNIQUE or PRIMARY KEY constraint.
fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

#[cfg(test)]
mod tests;
