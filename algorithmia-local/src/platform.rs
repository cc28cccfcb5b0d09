//! The seams where a real platform plugs in: a [`Launcher`] runs built algorithms, a
//! [`BuildQueue`] builds them. Until they are wired, the defaults answer 503 with a message that
//! says what is missing.

use axum::http::StatusCode;

use crate::algo::Handler;
use crate::error::AppError;
use crate::store::{AlgorithmRecord, BuildRecord};

/// Runs an algorithm created through the management API, at one built commit.
pub(crate) trait Launcher: Send + Sync {
    /// The handler that runs `algorithm` as built from `git_hash` (a full, lower-case hash).
    fn runner(&self, algorithm: &AlgorithmRecord, git_hash: &str) -> Result<Handler, AppError>;

    /// The algorithm's secrets changed (after the change is stored): runners made from now on
    /// must see the new values. Nothing to do without runtimes.
    fn secrets_changed(&self, _algorithm_id: &str) {}
}

/// The launcher of a server without runtimes: every call is a 503.
#[derive(Debug, Default)]
pub(crate) struct NoRuntime;

impl Launcher for NoRuntime {
    fn runner(&self, algorithm: &AlgorithmRecord, git_hash: &str) -> Result<Handler, AppError> {
        Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "algorithm {}/{}/{git_hash} has no runtime in this server",
                algorithm.owner, algorithm.name
            ),
        ))
    }
}

/// Starts builds: `POST .../compile` hands it the algorithm and answers with the build it
/// started. An implementation records the build with `Store::create_build`, builds in the
/// background, and ends with `Store::finish_build`. Called on a blocking thread, inside the
/// server's runtime (so it may `tokio::spawn`).
pub(crate) trait BuildQueue: Send + Sync {
    /// Start building the algorithm's latest commit.
    fn start(&self, algorithm: &AlgorithmRecord) -> Result<BuildRecord, AppError>;

    /// The algorithm was just created (and is in the store): make what it needs, such as its
    /// repository. An error undoes the creation.
    fn created(&self, _algorithm: &AlgorithmRecord) -> Result<(), AppError> {
        Ok(())
    }

    /// The algorithm was just deleted from the store: remove what was made for it.
    fn deleted(&self, _algorithm: &AlgorithmRecord) -> Result<(), AppError> {
        Ok(())
    }
}

/// The build queue of a server without a builder: every compile is a 503.
#[derive(Debug, Default)]
pub(crate) struct NoBuilder;

impl BuildQueue for NoBuilder {
    fn start(&self, algorithm: &AlgorithmRecord) -> Result<BuildRecord, AppError> {
        Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "algorithm {}/{} cannot be compiled: this server has no builder",
                algorithm.owner, algorithm.name
            ),
        ))
    }
}
