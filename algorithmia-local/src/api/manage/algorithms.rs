//! `/v1/algorithms/{owner}` and `/v1/algorithms/{owner}/{name}`: create, read, update,
//! delete, compile, and the repository's status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::environments::PYTHON3_ENVIRONMENT_ID;
use super::{Found, Request, not_authorized, objects};
use crate::error::AppError;
use crate::store::{AlgorithmRecord, NewAlgorithm};

/// The longest algorithm name accepted.
const MAX_NAME_LEN: usize = 64;

/// Whether `name` is an algorithm name: `[A-Za-z][A-Za-z0-9_]*`, at most 64 characters.
pub(super) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A field of the body that must be an object when present.
fn object_field(body: &Value, field: &str) -> Result<Map<String, Value>, AppError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(AppError::bad_request(format!(
            "`{field}` must be a JSON object"
        ))),
    }
}

/// The settings a new algorithm gets when the body leaves them out.
fn default_settings(mut settings: Map<String, Value>) -> Value {
    let defaults = [
        ("language", json!("python3")),
        ("algorithm_environment", json!(PYTHON3_ENVIRONMENT_ID)),
        ("source_visibility", json!("closed")),
        ("license", json!("apl")),
        ("network_access", json!("full")),
        ("pipeline_enabled", json!(false)),
    ];
    for (key, value) in defaults {
        settings.entry(key).or_insert(value);
    }
    Value::Object(settings)
}

/// The algorithm object for `algorithm`, with its latest build and published version.
pub(super) async fn object_of(
    request: &Request,
    algorithm: AlgorithmRecord,
) -> Result<Value, AppError> {
    let id = algorithm.id.clone();
    let (build, published) = request
        .db(move |store| {
            let (builds, _) = store.builds(&id, 0, 1)?;
            let published = store
                .all_versions(&id)?
                .into_iter()
                .filter(|v| v.semantic_version.is_some())
                .max_by_key(|v| v.semantic_version);
            Ok((builds.into_iter().next(), published))
        })
        .await?;
    Ok(objects::algorithm(
        &request.base_url(),
        &algorithm,
        build.as_ref(),
        published.as_ref(),
    ))
}

/// `POST /v1/algorithms/{owner}`: 201 and the new algorithm.
pub(super) async fn create(request: &Request, owner: &str) -> Result<Response, AppError> {
    let body = request.json()?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| AppError::bad_request("the body needs a `name`"))?
        .to_owned();
    if !valid_name(&name) {
        return Err(AppError::bad_request(format!(
            "invalid algorithm name {name:?}: start with a letter, then letters, digits or _ \
             (at most {MAX_NAME_LEN} characters)"
        )));
    }
    let mut details = object_field(&body, "details")?;
    details.entry("label").or_insert_with(|| json!(name));
    let new = NewAlgorithm {
        owner: owner.to_owned(),
        name,
        details: Value::Object(details),
        settings: default_settings(object_field(&body, "settings")?),
        version_info: Value::Object(object_field(&body, "version_info")?),
        source: Value::Object(object_field(&body, "source")?),
    };
    let user = request.user.clone();
    let owner_name = owner.to_owned();
    let created = request
        .db(move |store| {
            if !store.acts_for(&user, &owner_name)? {
                return Ok(None);
            }
            store.create_algorithm(new).map(Some)
        })
        .await?
        .ok_or_else(|| not_authorized(&format!("create algorithms for {owner}")))?;
    let state = std::sync::Arc::clone(&request.state);
    let record = created.clone();
    let made = tokio::task::spawn_blocking(move || state.builds.created(&record))
        .await
        .map_err(AppError::internal)?;
    if let Err(e) = made {
        // No algorithm without its repository: undo the creation.
        let id = created.id.clone();
        request.db(move |store| store.delete_algorithm(&id)).await?;
        return Err(e);
    }
    let object = object_of(request, created).await?;
    Ok((StatusCode::CREATED, axum::Json(object)).into_response())
}

/// `GET /v1/algorithms/{owner}/{name}`.
pub(super) async fn get(request: &Request, found: Found) -> Result<Response, AppError> {
    let object = object_of(request, found.algorithm).await?;
    Ok(axum::Json(object).into_response())
}

/// Merge the body's non-empty objects into the algorithm's fields, one level deep.
fn merge(target: &mut Value, patch: Map<String, Value>) {
    if patch.is_empty() {
        return;
    }
    let mut merged = target.as_object().cloned().unwrap_or_default();
    merged.extend(patch);
    *target = Value::Object(merged);
}

/// `PUT /v1/algorithms/{owner}/{name}`: the updated algorithm.
pub(super) async fn update(request: &Request, found: Found) -> Result<Response, AppError> {
    found.require_manager("update")?;
    let mut algorithm = found.algorithm;
    if request.is_form() {
        // The Python client's `update` sends its dictionaries form-encoded, which loses
        // their contents: nothing can be read from it, so nothing changes.
        tracing::warn!(algorithm = %algorithm.name, "update sent as a form: nothing to change");
    } else {
        let body = request.json()?;
        if !body.is_object() {
            return Err(AppError::bad_request("the body must be a JSON object"));
        }
        merge(&mut algorithm.details, object_field(&body, "details")?);
        merge(&mut algorithm.settings, object_field(&body, "settings")?);
        merge(
            &mut algorithm.version_info,
            object_field(&body, "version_info")?,
        );
        merge(&mut algorithm.source, object_field(&body, "source")?);
    }
    let updated = request
        .db(move |store| store.update_algorithm(&algorithm))
        .await?;
    let object = object_of(request, updated).await?;
    Ok(axum::Json(object).into_response())
}

/// `DELETE /v1/algorithms/{owner}/{name}`: 204.
pub(super) async fn delete(request: &Request, found: Found) -> Result<Response, AppError> {
    found.require_manager("delete")?;
    let id = found.algorithm.id.clone();
    request.db(move |store| store.delete_algorithm(&id)).await?;
    let state = std::sync::Arc::clone(&request.state);
    let algorithm = found.algorithm;
    let removed = tokio::task::spawn_blocking(move || state.builds.deleted(&algorithm)).await;
    if !matches!(removed, Ok(Ok(()))) {
        // The algorithm is gone; what is left on disk is replaced if the name is used again.
        tracing::warn!("could not remove everything of a deleted algorithm");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v1/algorithms/{owner}/{name}/compile`: start a build; the algorithm object with it.
pub(super) async fn compile(request: &Request, found: Found) -> Result<Response, AppError> {
    found.require_manager("compile")?;
    let state = std::sync::Arc::clone(&request.state);
    let algorithm = found.algorithm.clone();
    let build = tokio::task::spawn_blocking(move || state.builds.start(&algorithm))
        .await
        .map_err(AppError::internal)??;
    let mut object = object_of(request, found.algorithm).await?;
    object["build"] = objects::build(&build);
    object["version_info"]["git_hash"] = json!(build.commit_sha);
    Ok(axum::Json(object).into_response())
}

/// `GET /v1/algorithms/{owner}/{name}/scm/status`: the repository is always connected here.
pub(super) fn scm_status(found: Found) -> Result<Response, AppError> {
    found.require_manager("read the repository status of")?;
    Ok(axum::Json(json!({"scm_connection_status": "active"})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_platform_pattern() {
        for good in ["A", "hello", "Hello_World2", "x_"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "1a", "_a", "a-b", "a b", "ä", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
