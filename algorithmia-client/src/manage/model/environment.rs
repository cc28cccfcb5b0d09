//! Build environments: the languages and the environments of each.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A language algorithms can be written in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Language {
    /// The name environments are listed by (`python3`, `java`, ...).
    #[serde(default)]
    pub name: String,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The language's build configuration, as the server sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Value>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A build environment of a language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// The id that goes into `settings.algorithm_environment`.
    #[serde(default)]
    pub id: String,
    /// The id of its specification, which names its template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_specification_id: Option<String>,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it was created (as the server formats it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Its language, as the server sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Value>,
    /// `CPU` or `GPU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_type: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
