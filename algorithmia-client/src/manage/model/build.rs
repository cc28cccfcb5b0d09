//! Builds: one compile of an algorithm's source, and its status.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::algorithm::VersionInfo;

/// One build of an algorithm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Build {
    /// The build's id.
    #[serde(default)]
    pub build_id: String,
    /// The commit that was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_sha: Option<String>,
    /// When it started (as the server formats it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it finished; absent while in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Where it stands.
    #[serde(default)]
    pub status: BuildStatus,
    /// The version it produced (`semantic_version` once published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_info: Option<VersionInfo>,
    /// `algorithm_build`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where a build stands.
///
/// ```
/// use algorithmia_client::manage::BuildStatus;
///
/// let s: BuildStatus = serde_json::from_str(r#""in-progress""#)?;
/// assert_eq!(s, BuildStatus::InProgress);
/// assert!(!s.is_finished());
/// assert_eq!(serde_json::to_string(&BuildStatus::Succeeded)?, r#""succeeded""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BuildStatus {
    /// Still building (`in-progress`).
    InProgress,
    /// Built (`succeeded`).
    Succeeded,
    /// Failed (`failed`).
    Failed,
    /// A status this crate does not know, kept as received (empty when none was sent).
    Other(String),
}

impl Default for BuildStatus {
    fn default() -> Self {
        BuildStatus::Other(String::new())
    }
}

impl BuildStatus {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            BuildStatus::InProgress => "in-progress",
            BuildStatus::Succeeded => "succeeded",
            BuildStatus::Failed => "failed",
            BuildStatus::Other(s) => s,
        }
    }

    /// Whether the build is over, well or badly. An unknown status counts as not over, unless
    /// it reads like an end (`error`, `cancelled`, `success`, ...).
    pub fn is_finished(&self) -> bool {
        match self {
            BuildStatus::InProgress => false,
            BuildStatus::Succeeded | BuildStatus::Failed => true,
            BuildStatus::Other(s) => matches!(
                s.to_ascii_lowercase().as_str(),
                "error" | "errored" | "cancelled" | "canceled" | "aborted" | "timeout"
            ),
        }
    }
}

impl From<&str> for BuildStatus {
    fn from(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "in-progress" | "inprogress" | "running" | "pending" | "queued" | "started" => {
                BuildStatus::InProgress
            }
            "succeeded" | "success" | "successful" | "complete" | "completed" => {
                BuildStatus::Succeeded
            }
            "failed" | "failure" => BuildStatus::Failed,
            _ => BuildStatus::Other(s.to_owned()),
        }
    }
}

impl fmt::Display for BuildStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for BuildStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BuildStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => BuildStatus::from(s.as_str()),
            Value::Null => BuildStatus::default(),
            other => BuildStatus::Other(other.to_string()),
        })
    }
}

/// `{"logs": "..."}`: a finished build's log.
#[derive(Debug, Deserialize)]
pub(crate) struct BuildLogs {
    #[serde(default)]
    pub(crate) logs: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_in_every_spelling() {
        for (text, want) in [
            ("in-progress", BuildStatus::InProgress),
            ("in_progress", BuildStatus::InProgress),
            ("succeeded", BuildStatus::Succeeded),
            ("SUCCESS", BuildStatus::Succeeded),
            ("failed", BuildStatus::Failed),
        ] {
            assert_eq!(BuildStatus::from(text), want, "{text}");
        }
        assert_eq!(
            BuildStatus::from("paused"),
            BuildStatus::Other("paused".into())
        );
        let b: Build = serde_json::from_str(r#"{"build_id":"b","status":null,"x":1}"#).unwrap();
        assert_eq!(b.status, BuildStatus::default());
        assert_eq!(b.extra["x"], 1);
    }
}
