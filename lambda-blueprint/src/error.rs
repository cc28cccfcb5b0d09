//! Errors the function reports to Lambda.

use lambda_runtime::Diagnostic;

use crate::config::ConfigError;
use crate::failure::RecordFailure;
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
    /// The SDK client could not be built; the SDK's error says why.
    #[error("could not set up the Algorithmia client")]
    Client(#[source] Box<algorithmia_client::Error>),
    /// The configuration's key is a KMS ciphertext, an SSM parameter or a secret where a
    /// plaintext key was needed ([`Blueprint::with_plain_key`](crate::Blueprint::with_plain_key)).
    #[error(
        "the key is not in plaintext: use Blueprint::with_key_stores, or resolve_key and Blueprint::new"
    )]
    EncryptedKey,
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
    /// The whole story: this error, then each cause that adds to it, joined by `: `. What Lambda
    /// shows as `errorMessage`, and what a start-up failure logs.
    pub fn message(&self) -> String {
        crate::failure::story(self)
    }

    /// The `errorType` Lambda shows.
    pub fn error_type(&self) -> &'static str {
        match self {
            BlueprintError::Config(_) => "Runtime.ConfigError",
            BlueprintError::Key(_) => "Runtime.KeyError",
            BlueprintError::Client(_) => "Runtime.ClientError",
            BlueprintError::EncryptedKey => "Runtime.KeyError",
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
            error_message: e.message(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_error_is_the_source_and_is_told_once() {
        let sdk = algorithmia_client::Client::builder()
            .api_key("simKey")
            .base_url("not a url")
            .build()
            .unwrap_err();
        let sdk_text = sdk.to_string();
        let error = BlueprintError::Client(Box::new(sdk));
        assert_eq!(error.to_string(), "could not set up the Algorithmia client");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some(sdk_text.as_str()));
        assert_eq!(
            error.message(),
            format!("could not set up the Algorithmia client: {sdk_text}")
        );
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "Runtime.ClientError");
        assert_eq!(
            diagnostic.error_message,
            format!("could not set up the Algorithmia client: {sdk_text}")
        );
        assert_eq!(
            BlueprintError::EncryptedKey.error_type(),
            "Runtime.KeyError"
        );
    }
}
