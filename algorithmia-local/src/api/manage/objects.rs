//! The management API's JSON objects, built from store records: one place for their shapes.

use serde_json::{Map, Value, json};

use crate::store::{
    AlgorithmRecord, BuildRecord, BuildStatus, ErrorRecord, SecretRecord, VersionRecord,
};

/// `{base}/v1/algorithms/{owner}/{name}`.
pub(super) fn algorithm_link(base: &str, algorithm: &AlgorithmRecord) -> String {
    format!(
        "{base}/v1/algorithms/{}/{}",
        algorithm.owner, algorithm.name
    )
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// The algorithm object: its stored fields, the latest build as `build` and `compilation`, and
/// the latest build's hash and latest published version in `version_info`.
pub(super) fn algorithm(
    base: &str,
    algorithm: &AlgorithmRecord,
    latest_build: Option<&BuildRecord>,
    latest_published: Option<&VersionRecord>,
) -> Value {
    let mut version_info = object(&algorithm.version_info);
    if let Some(version) = latest_published.and_then(VersionRecord::version_string) {
        version_info.insert("semantic_version".into(), json!(version));
    }
    let mut out = json!({
        "id": algorithm.id,
        "name": algorithm.name,
        "details": algorithm.details,
        "settings": algorithm.settings,
        "source": algorithm.source,
        "self_link": algorithm_link(base, algorithm),
        "resource_type": "algorithm",
    });
    if let Some(build) = latest_build {
        version_info.insert("git_hash".into(), json!(build.commit_sha));
        out["build"] = build_object(build);
        if build.status != BuildStatus::InProgress {
            out["compilation"] = json!({
                "successful": build.status == BuildStatus::Succeeded,
                "output": build.log,
            });
        }
    }
    out["version_info"] = Value::Object(version_info);
    out
}

/// A version object: the algorithm with this version's settings and version info.
pub(super) fn version(base: &str, algorithm: &AlgorithmRecord, version: &VersionRecord) -> Value {
    let mut settings = object(&algorithm.settings);
    settings.insert(
        "algorithm_callability".into(),
        json!(version.callability.as_str()),
    );
    json!({
        "id": algorithm.id,
        "name": algorithm.name,
        "details": algorithm.details,
        "settings": settings,
        "version_info": {
            "semantic_version": version.version_string(),
            "git_hash": version.git_hash,
            "release_notes": version.release_notes,
            "sample_input": version.sample_input,
            "sample_output": version.sample_output,
        },
        "source": algorithm.source,
        "compilation": {"successful": true, "output": ""},
        "build": {"build_id": version.build_id},
        "created_at": version.created,
        "published_at": version.published_at,
        "self_link": format!("{}/versions/{}", algorithm_link(base, algorithm), version.git_hash),
        "resource_type": "algorithm",
    })
}

fn build_object(build: &BuildRecord) -> Value {
    json!({
        "build_id": build.build_id,
        "commit_sha": build.commit_sha,
        "started_at": build.started_at,
        "finished_at": build.finished_at,
        "status": build.status.as_str(),
        "version_info": {"semantic_version": build.semantic_version},
        "resource_type": "algorithm_build",
    })
}

/// A build object.
pub(super) fn build(build: &BuildRecord) -> Value {
    build_object(build)
}

/// A secret object; there is no value to show, by construction.
pub(super) fn secret(secret: &SecretRecord) -> Value {
    json!({
        "id": secret.id,
        "short_name": secret.short_name,
        "description": secret.description,
        "secret_key": secret.secret_key,
        "owner_type": "algorithm",
        "owner_id": secret.algorithm_id,
        "provider_id": secret.provider_id,
        "created": secret.created,
        "modified": secret.modified,
    })
}

/// An errors-log entry.
pub(super) fn error(error: &ErrorRecord) -> Value {
    json!({
        "created_at": error.created_at,
        "request_id": error.request_id,
        "username": error.username,
        "algoname": error.algoname,
        "algoversion": error.algoversion,
        "input": error.input,
        "error": error.error,
        "error_type": error.error_type,
        "billable_to": error.username,
        "worker": error.worker,
    })
}
