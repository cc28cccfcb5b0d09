//! What the store holds, row by row, as plain types the API turns into JSON.

use std::fmt;

use serde_json::Value;

/// A user or an organisation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AccountRecord {
    pub(crate) name: String,
    /// `user` or `org`.
    pub(crate) kind: String,
    pub(crate) email: Option<String>,
    pub(crate) fullname: Option<String>,
    pub(crate) created: String,
}

/// An algorithm created through the management API.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlgorithmRecord {
    /// Its immutable UUID.
    pub(crate) id: String,
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) details: Value,
    pub(crate) settings: Value,
    pub(crate) version_info: Value,
    pub(crate) source: Value,
    pub(crate) created: String,
    pub(crate) updated: String,
}

/// What a new algorithm starts with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewAlgorithm {
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) details: Value,
    pub(crate) settings: Value,
    pub(crate) version_info: Value,
    pub(crate) source: Value,
}

/// Who may call a published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Callability {
    Public,
    Private,
}

impl Callability {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Callability::Public => "public",
            Callability::Private => "private",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "public" => Some(Callability::Public),
            "private" => Some(Callability::Private),
            _ => None,
        }
    }
}

/// One built version of an algorithm: callable by its git hash by its owner, and by a
/// semantic version once published.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VersionRecord {
    pub(crate) algorithm_id: String,
    pub(crate) git_hash: String,
    /// `major.minor.patch` once published.
    pub(crate) semantic_version: Option<(u64, u64, u64)>,
    pub(crate) callability: Callability,
    pub(crate) release_notes: Option<String>,
    pub(crate) sample_input: Option<String>,
    pub(crate) sample_output: Option<String>,
    pub(crate) created: String,
    pub(crate) published_at: Option<String>,
    pub(crate) build_id: Option<String>,
}

impl VersionRecord {
    /// `major.minor.patch`, when published.
    pub(crate) fn version_string(&self) -> Option<String> {
        self.semantic_version
            .map(|(a, b, c)| format!("{a}.{b}.{c}"))
    }
}

/// The state of a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildStatus {
    InProgress,
    Succeeded,
    Failed,
}

impl BuildStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BuildStatus::InProgress => "in-progress",
            BuildStatus::Succeeded => "succeeded",
            BuildStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "in-progress" => Some(BuildStatus::InProgress),
            "succeeded" => Some(BuildStatus::Succeeded),
            "failed" => Some(BuildStatus::Failed),
            _ => None,
        }
    }
}

/// One build of an algorithm's repository at a commit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BuildRecord {
    pub(crate) build_id: String,
    pub(crate) algorithm_id: String,
    pub(crate) commit_sha: String,
    pub(crate) status: BuildStatus,
    pub(crate) log: String,
    pub(crate) started_at: String,
    pub(crate) finished_at: Option<String>,
    pub(crate) semantic_version: Option<String>,
}

/// A secret's description; its value is never part of it (see `Store::secret_values`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SecretRecord {
    pub(crate) id: String,
    pub(crate) algorithm_id: String,
    pub(crate) short_name: String,
    pub(crate) description: String,
    pub(crate) provider_id: String,
    pub(crate) secret_key: String,
    pub(crate) created: String,
    pub(crate) modified: String,
}

/// A secret's value, for a runtime to inject; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretValue {
    /// The environment variable name.
    pub(crate) secret_key: String,
    pub(crate) value: String,
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretValue")
            .field("secret_key", &self.secret_key)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// An algorithm's runtime exception, as the errors log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorRecord {
    pub(crate) algorithm_id: String,
    /// Milliseconds since the Unix epoch.
    pub(crate) created_at: i64,
    pub(crate) request_id: String,
    pub(crate) username: String,
    pub(crate) algoname: String,
    pub(crate) algoversion: String,
    /// The call's input, cut to [`MAX_ERROR_INPUT`](super::MAX_ERROR_INPUT) bytes.
    pub(crate) input: String,
    pub(crate) error: String,
    pub(crate) error_type: String,
    pub(crate) worker: String,
}

/// One reported insight.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InsightRecord {
    pub(crate) created: String,
    pub(crate) username: Option<String>,
    pub(crate) algorithm: Option<String>,
    pub(crate) key: String,
    pub(crate) value: Value,
}
