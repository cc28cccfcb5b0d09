//! Publishing a build as a version: the version type, who may call it, and the request body.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which part of the semantic version a publish raises.
///
/// The API has spelt the last one `patch` and `revision`; both parse as
/// [`VersionType::Revision`], which is sent as `revision`.
///
/// ```
/// use algorithmia_client::manage::VersionType;
///
/// assert_eq!("patch".parse::<VersionType>()?, VersionType::Revision);
/// assert_eq!(serde_json::from_str::<VersionType>(r#""patch""#).unwrap(), VersionType::Revision);
/// assert_eq!(serde_json::to_string(&VersionType::Revision).unwrap(), r#""revision""#);
/// # Ok::<(), algorithmia_client::manage::UnknownVersionType>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionType {
    /// `X.0.0`.
    Major,
    /// `x.Y.0`.
    Minor,
    /// `x.y.Z` (`revision`, also read as `patch`).
    Revision,
}

impl VersionType {
    /// The spelling sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionType::Major => "major",
            VersionType::Minor => "minor",
            VersionType::Revision => "revision",
        }
    }
}

impl fmt::Display for VersionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version type that is not `major`, `minor`, `revision` or `patch`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown version type {0:?}: expected major, minor, revision or patch")]
pub struct UnknownVersionType(pub String);

impl FromStr for VersionType {
    type Err = UnknownVersionType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "major" => Ok(VersionType::Major),
            "minor" => Ok(VersionType::Minor),
            "revision" | "patch" => Ok(VersionType::Revision),
            _ => Err(UnknownVersionType(s.to_owned())),
        }
    }
}

impl Serialize for VersionType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for VersionType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Who may call a published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Callability {
    /// Anyone with an API key.
    Public,
    /// Only the owner (and its organisation); the default.
    #[default]
    Private,
}

/// What to publish: the version type, notes, samples and who may call it. Serialised as the
/// body of `POST /v1/algorithms/{owner}/{name}/versions`.
///
/// ```
/// use algorithmia_client::manage::{Callability, Publish, VersionType};
///
/// let publish = Publish::new(VersionType::Revision)
///     .release_notes("faster")
///     .sample_input("\"world\"")
///     .callability(Callability::Public);
/// let body = serde_json::to_value(&publish).unwrap();
/// assert_eq!(body["version_info"]["version_type"], "revision");
/// assert_eq!(body["settings"]["algorithm_callability"], "public");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[must_use]
pub struct Publish {
    settings: PublishSettings,
    version_info: PublishVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<PublishDetails>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct PublishSettings {
    algorithm_callability: Callability,
    #[serde(skip_serializing_if = "Option::is_none")]
    insights_enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct PublishVersion {
    version_type: VersionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    release_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sample_input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sample_output: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct PublishDetails {
    label: String,
}

impl Publish {
    /// Publish a version of this type, private unless [`Publish::callability`] says otherwise.
    pub fn new(version_type: VersionType) -> Self {
        Publish {
            settings: PublishSettings {
                algorithm_callability: Callability::Private,
                insights_enabled: None,
            },
            version_info: PublishVersion {
                version_type,
                release_notes: None,
                sample_input: None,
                sample_output: None,
            },
            details: None,
        }
    }

    /// Release notes.
    pub fn release_notes(mut self, notes: impl Into<String>) -> Self {
        self.version_info.release_notes = Some(notes.into());
        self
    }

    /// A sample input, shown on the algorithm's page.
    pub fn sample_input(mut self, input: impl Into<String>) -> Self {
        self.version_info.sample_input = Some(input.into());
        self
    }

    /// A sample output.
    pub fn sample_output(mut self, output: impl Into<String>) -> Self {
        self.version_info.sample_output = Some(output.into());
        self
    }

    /// Who may call the version (private by default).
    pub fn callability(mut self, callability: Callability) -> Self {
        self.settings.algorithm_callability = callability;
        self
    }

    /// Report insights for calls of this version.
    pub fn insights_enabled(mut self, enabled: bool) -> Self {
        self.settings.insights_enabled = Some(enabled);
        self
    }

    /// A new display label with the version.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.details = Some(PublishDetails {
            label: label.into(),
        });
        self
    }

    /// The version type.
    pub fn version_type(&self) -> VersionType {
        self.version_info.version_type
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_minimal_publish_is_private_and_sends_only_what_was_set() {
        let body = serde_json::to_value(Publish::new(VersionType::Major)).unwrap();
        assert_eq!(
            body,
            json!({
                "settings": {"algorithm_callability": "private"},
                "version_info": {"version_type": "major"}
            })
        );
        assert!("Patch".parse::<VersionType>().is_ok());
        assert!("micro".parse::<VersionType>().is_err());
    }
}
