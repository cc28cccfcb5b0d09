//! What a command can fail with, and the exit code each failure gives.
//!
//! `0` success; `1` the API, an algorithm or a transfer failed; `2` the command was used wrongly
//! (bad arguments, an unknown profile, a malformed config, no credentials, a missing input file).
//! Every message says what was attempted on what; none holds a key or a secret.

use std::fmt;
use std::process::ExitCode;

/// Why a command failed, and so which exit code it ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The API, an algorithm or a transfer failed: exit code 1.
    Api,
    /// The command was used wrongly: exit code 2.
    Usage,
}

impl Failure {
    /// The process exit code for this kind of failure.
    pub fn exit_code(self) -> u8 {
        match self {
            Failure::Api => 1,
            Failure::Usage => 2,
        }
    }
}

/// A failed command: a kind and a message for stderr.
#[derive(Debug)]
pub struct CliError {
    kind: Failure,
    message: String,
}

impl CliError {
    /// The command was used wrongly (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            kind: Failure::Usage,
            message: message.into(),
        }
    }

    /// Something failed while doing the work (exit code 1).
    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            kind: Failure::Api,
            message: message.into(),
        }
    }

    /// An SDK error while doing `what` (e.g. "list data://.my/photos"): exit code 1, or 2 when
    /// the SDK says the client's own configuration is at fault.
    pub fn api(what: impl fmt::Display, error: algorithmia_client::Error) -> Self {
        let kind = if matches!(error, algorithmia_client::Error::Config(_)) {
            Failure::Usage
        } else {
            Failure::Api
        };
        CliError {
            kind,
            message: format!("could not {what}: {}", describe(&error)),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> Failure {
        self.kind
    }

    /// The message printed on stderr.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.exit_code())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// An SDK error said in full: its message, then each underlying cause not already in it (the
/// SDK's I/O errors name the path; the OS's reason is their source).
pub fn describe(error: &algorithmia_client::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A command's result.
pub type CliResult<T = ()> = Result<T, CliError>;
