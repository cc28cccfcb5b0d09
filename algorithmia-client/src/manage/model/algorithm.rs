//! The algorithm object and its parts, as management routes send them.
//!
//! Every field is optional (servers leave some out) and every object keeps the fields this crate
//! does not know in `extra`, so nothing the server said is lost.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::build::Build;

/// An algorithm, as `GET /v1/algorithms/{owner}/{name}` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmInfo {
    /// The algorithm's immutable UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its name (the last part of `owner/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Label, summary, tagline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
    /// Language, environment, licence, network access, visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    /// The version this object describes (the latest build, or a published version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_info: Option<VersionInfo>,
    /// Where the source lives (SCM and repository).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The outcome of the last compile, on the answer to a compile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compilation: Option<Compilation>,
    /// The build this object describes, when the server names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// The object's own URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
    /// `algorithm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The human-facing description of an algorithm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A longer description (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// A one-line description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How an algorithm is built and run. Values are kept as the server spells them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The language (`python3-1`, `java`, `rust`, ...), for algorithms without an environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The id of the build environment (see [`crate::Client::environments`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_environment: Option<String>,
    /// The package set of older algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_set: Option<String>,
    /// `cpu` or `gpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// `apl`, `apache2`, `gpl3` or `mit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// `full` or `isolated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_access: Option<String>,
    /// Whether the algorithm may call other algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_enabled: Option<bool>,
    /// `open` or `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_visibility: Option<String>,
    /// Whether insights are reported for calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights_enabled: Option<bool>,
    /// `public` or `private`, on published versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_callability: Option<String>,
    /// Royalty per call, in microcredits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub royalty_microcredits: Option<u64>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One version of an algorithm: what `versions()`, `version(hash)` and `publish()` return, and
/// the `version_info` inside an algorithm or a build.
///
/// Servers send either the bare `version_info` object or a whole version object that nests it
/// (`{"version_info": {...}, "settings": {...}, "build": {...}}`); both decode, the nested fields
/// lifted to the top.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VersionInfo {
    /// The semantic version (`1.2.3`); absent on an unpublished build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    /// The commit the version was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_hash: Option<String>,
    /// The version's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_uuid: Option<String>,
    /// Release notes given at publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_notes: Option<String>,
    /// Sample input given at publish or create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_input: Option<String>,
    /// Sample output given at publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_output: Option<String>,
    /// The settings of this version, on a whole version object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    /// The details of this version, on a whole version object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
    /// The build of this version, on a whole version object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Box<Build>>,
    /// The object's own URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fields [`VersionInfo`] decodes, before the nested form is lifted.
#[derive(Deserialize)]
struct VersionWire {
    #[serde(default)]
    semantic_version: Option<String>,
    #[serde(default)]
    git_hash: Option<String>,
    #[serde(default)]
    version_uuid: Option<String>,
    #[serde(default)]
    release_notes: Option<String>,
    #[serde(default)]
    sample_input: Option<Value>,
    #[serde(default)]
    sample_output: Option<Value>,
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(default)]
    details: Option<Details>,
    #[serde(default)]
    build: Option<Box<Build>>,
    #[serde(default)]
    self_link: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// A sample sent as a string or as JSON; JSON is kept as its text.
fn sample(value: Option<Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

impl<'de> Deserialize<'de> for VersionInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::deserialize(d)?;
        // A whole version object: lift the nested `version_info` fields to the top.
        if let Some(Value::Object(nested)) = map.remove("version_info") {
            for (key, value) in nested {
                map.entry(key).or_insert(value);
            }
        }
        let wire: VersionWire =
            serde_json::from_value(Value::Object(map)).map_err(serde::de::Error::custom)?;
        Ok(VersionInfo {
            semantic_version: wire.semantic_version,
            git_hash: wire.git_hash,
            version_uuid: wire.version_uuid,
            release_notes: wire.release_notes,
            sample_input: sample(wire.sample_input),
            sample_output: sample(wire.sample_output),
            settings: wire.settings,
            details: wire.details,
            build: wire.build,
            self_link: wire.self_link,
            extra: wire.extra,
        })
    }
}

/// Where an algorithm's source lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The source control system: an id string or an object (`{"id": "github", ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scm: Option<Value>,
    /// The repository's name at the SCM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_name: Option<String>,
    /// The repository's owner at the SCM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_owner: Option<String>,
    /// The repository's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The outcome of a compile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Compilation {
    /// Whether it compiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful: Option<bool>,
    /// The compiler's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Every other field, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The state of an algorithm's source repository connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScmStatus {
    /// `active`, `deploy_key_error` or `provider_internal_error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scm_connection_status: Option<String>,
    /// The deploy key to add to the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_public_deploy_key: Option<String>,
    /// The URL the repository's webhook must call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_webhook_url: Option<String>,
    /// Every other field (the webhook secret among them), kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One failed call from an error log (`errors()` and `user_errors()`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmErrorLog {
    /// When, in milliseconds since the epoch (sent as a number or a numeric string).
    #[serde(
        default,
        deserialize_with = "lenient_millis",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<i64>,
    /// The call's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Who called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The algorithm's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algoname: Option<String>,
    /// The version called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algoversion: Option<String>,
    /// The input, as the log holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// The error, as the log holds it (a message or an error object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// The error class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Every other field (`billable_to`, `worker`, ...), kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn lenient_millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_version_decodes_bare_and_nested() {
        let bare: VersionInfo =
            serde_json::from_value(json!({"semantic_version": "1.0.0", "git_hash": "abc"}))
                .unwrap();
        assert_eq!(bare.semantic_version.as_deref(), Some("1.0.0"));
        let nested: VersionInfo = serde_json::from_value(json!({
            "version_info": {"semantic_version": "2.0.0", "sample_input": {"a": 1}},
            "settings": {"algorithm_callability": "private"},
            "resource_type": "algorithm"
        }))
        .unwrap();
        assert_eq!(nested.semantic_version.as_deref(), Some("2.0.0"));
        assert_eq!(nested.sample_input.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(
            nested.settings.unwrap().algorithm_callability.as_deref(),
            Some("private")
        );
        assert_eq!(nested.extra["resource_type"], "algorithm");
    }

    #[test]
    fn error_log_times_are_lenient() {
        let log: Vec<AlgorithmErrorLog> = serde_json::from_value(json!([
            {"created_at": 1700000000000i64, "worker": "w1"},
            {"created_at": "17"},
            {"created_at": "soon"}
        ]))
        .unwrap();
        assert_eq!(log[0].created_at, Some(1_700_000_000_000));
        assert_eq!(log[0].extra["worker"], "w1");
        assert_eq!(log[1].created_at, Some(17));
        assert_eq!(log[2].created_at, None);
    }
}
