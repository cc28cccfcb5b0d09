//! Errors the function reports to Lambda.

use lambda_runtime::Diagnostic;

use crate::config::ConfigError;
use crate::dispatch::RecordFailure;
use crate::key::KeyError;

/// What the function reports as an error. No variant carries the key or a payload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlueprintError {
    /// Bad configuration, found at start.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key could not be resolved, found at start.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The SDK client could not be built.
    #[error("could not set up the Algorithmia client: {0}")]
    Client(String),
    /// Some records of an S3, SNS or EventBridge invocation failed: Lambda retries the invocation.
    #[error("{} of {total} records failed: {}", failures.len(), summary(failures))]
    RecordsFailed {
        /// How many records the invocation had.
        total: usize,
        /// The failed ones.
        failures: Vec<RecordFailure>,
    },
    /// The one record of a direct invocation failed.
    #[error("{}: {}", .0.kind.error_type(), .0.message)]
    Record(RecordFailure),
    /// An internal failure.
    #[error("internal error: {0}")]
    Internal(String),
}

fn summary(failures: &[RecordFailure]) -> String {
    let shown: Vec<String> = failures
        .iter()
        .take(10)
        .map(|f| format!("{} ({})", f.id, f.message))
        .collect();
    let more = failures.len().saturating_sub(10);
    if more > 0 {
        format!("{}; and {more} more", shown.join("; "))
    } else {
        shown.join("; ")
    }
}

impl BlueprintError {
    /// The `errorType` Lambda shows.
    pub fn error_type(&self) -> &'static str {
        match self {
            BlueprintError::Config(_) => "Runtime.ConfigError",
            BlueprintError::Key(_) => "Runtime.KeyError",
            BlueprintError::Client(_) => "Runtime.ClientError",
            BlueprintError::RecordsFailed { .. } => "RecordsFailed",
            BlueprintError::Record(f) => f.kind.error_type(),
            BlueprintError::Internal(_) => "Runtime.InternalError",
        }
    }
}

impl From<BlueprintError> for Diagnostic {
    fn from(e: BlueprintError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type().to_owned(),
            error_message: e.to_string(),
        }
    }
}
