//! `/v1/algorithms/{owner}/{name}/versions`: list (paged, filtered), one by git hash, and
//! publish (also on the singular `/version`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::paging::{page_of, paged};
use super::{Found, Request, objects};
use crate::algo::Visibility;
use crate::error::AppError;
use crate::store::{Bump, Callability, PublishRefusal, VersionFilter, VersionPublish};

/// A `true`/`false` filter from the query (any case); a malformed one is a 400.
fn bool_filter(request: &Request, name: &str) -> Result<Option<bool>, AppError> {
    let Some((_, value)) = request.query.iter().find(|(k, _)| k == name) else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(AppError::bad_request(format!(
            "`{name}` must be true or false, not {value:?}"
        ))),
    }
}

/// The versions of a registered (built-in) algorithm, newest first, on one page.
pub(super) fn registered(request: &Request, owner: &str, name: &str) -> Response {
    let versions = request
        .state
        .registry
        .versions(owner, name)
        .unwrap_or_default();
    let results: Vec<Value> = versions
        .iter()
        .rev()
        .map(|v| {
            json!({
                "version_info": {"semantic_version": v.version_string(), "git_hash": v.git_hash},
                "settings": {"algorithm_callability": match v.visibility {
                    Visibility::Public => "public",
                    Visibility::Private => "private",
                }},
                "resource_type": "algorithm",
            })
        })
        .collect();
    axum::Json(json!({"marker": null, "next_link": null, "results": results})).into_response()
}

/// `GET .../versions?limit&marker&published&callable`: newest first. Callers who do not manage
/// the algorithm see only its published public versions.
pub(super) async fn list(request: &Request, found: Found) -> Result<Response, AppError> {
    let page = page_of(&request.query)?;
    let mut filter = VersionFilter {
        published: bool_filter(request, "published")?,
        callable: bool_filter(request, "callable")?,
    };
    let mut kept = Vec::new();
    if let Some(p) = filter.published {
        kept.push(("published", p.to_string()));
    }
    if let Some(c) = filter.callable {
        kept.push(("callable", c.to_string()));
    }
    if !found.manages {
        if filter.callable == Some(false) || filter.published == Some(false) {
            return Ok(
                axum::Json(json!({"marker": null, "next_link": null, "results": []}))
                    .into_response(),
            );
        }
        filter.callable = Some(true);
    }
    let id = found.algorithm.id.clone();
    let (versions, more) = request
        .db(move |store| store.versions(&id, filter, page.offset, page.limit))
        .await?;
    let base = request.base_url();
    let results = versions
        .iter()
        .map(|v| objects::version(&base, &found.algorithm, v))
        .collect();
    let link = format!(
        "{}/versions",
        objects::algorithm_link(&base, &found.algorithm)
    );
    Ok(axum::Json(paged(results, page, more, &link, &kept)).into_response())
}

/// `GET .../versions/{git_hash}`: one version; others' private or unpublished ones are 404.
pub(super) async fn one(request: &Request, found: Found, hash: &str) -> Result<Response, AppError> {
    let id = found.algorithm.id.clone();
    let wanted = hash.to_owned();
    let version = request
        .db(move |store| store.version_by_hash(&id, &wanted))
        .await?
        .filter(|v| {
            found.manages || (v.semantic_version.is_some() && v.callability == Callability::Public)
        })
        .ok_or_else(|| {
            AppError::not_found(format!(
                "algorithm {}/{} has no version {hash}",
                found.algorithm.owner, found.algorithm.name
            ))
            .code(1000)
        })?;
    Ok(axum::Json(objects::version(
        &request.base_url(),
        &found.algorithm,
        &version,
    ))
    .into_response())
}

/// A text field of the publish body: a string as is, other JSON as its text.
fn text_field(section: Option<&Value>, field: &str) -> Option<String> {
    match section?.get(field)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// How a publish body asks to bump: `version_info.version_type` (or a top-level `type`):
/// `major`, `minor`, `revision` or `patch` (the same), `default` (minor); minor when absent.
fn bump_of(body: &Value) -> Result<Bump, AppError> {
    let given = body
        .pointer("/version_info/version_type")
        .or_else(|| body.get("type"))
        .filter(|v| !v.is_null());
    let Some(given) = given else {
        return Ok(Bump::Minor);
    };
    match given.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("major") => Ok(Bump::Major),
        Some("minor" | "default") => Ok(Bump::Minor),
        Some("revision" | "patch") => Ok(Bump::Revision),
        _ => Err(AppError::bad_request(format!(
            "invalid version_type {given}: use major, minor, revision or patch"
        ))),
    }
}

/// `POST .../versions` (or `.../version`): publish the latest successful build as the next
/// semantic version. The callability defaults to private.
pub(super) async fn publish(request: &Request, found: Found) -> Result<Response, AppError> {
    found.require_manager("publish")?;
    let body = request.json()?;
    let callability = match body.pointer("/settings/algorithm_callability") {
        None | Some(Value::Null) => Callability::Private,
        Some(value) => value.as_str().and_then(Callability::parse).ok_or_else(|| {
            AppError::bad_request(format!(
                "invalid algorithm_callability {value}: use public or private"
            ))
        })?,
    };
    let version_info = body.get("version_info");
    let publish = VersionPublish {
        bump: bump_of(&body)?,
        callability,
        release_notes: text_field(version_info, "release_notes"),
        sample_input: text_field(version_info, "sample_input"),
        sample_output: text_field(version_info, "sample_output"),
    };
    let id = found.algorithm.id.clone();
    let outcome = request
        .db(move |store| store.publish(&id, &publish))
        .await?;
    let (owner, name) = (&found.algorithm.owner, &found.algorithm.name);
    match outcome {
        Ok(version) => Ok(axum::Json(objects::version(
            &request.base_url(),
            &found.algorithm,
            &version,
        ))
        .into_response()),
        Err(PublishRefusal::AlreadyPublished(version)) => Err(AppError::bad_request(format!(
            "Version already published. Please compile your algorithm. \
             ({owner}/{name}'s latest build is version {version})"
        ))
        .code(1007)),
        Err(PublishRefusal::NoBuild) => Err(AppError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "algorithm {owner}/{name} has no successful build to publish: push to its \
                 repository or compile it first"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_type_spelling_is_read() {
        let bump = |v: Value| bump_of(&v);
        assert_eq!(bump(json!({})).unwrap(), Bump::Minor);
        assert_eq!(
            bump(json!({"version_info": {"version_type": "MAJOR"}})).unwrap(),
            Bump::Major
        );
        assert_eq!(
            bump(json!({"version_info": {"version_type": "patch"}})).unwrap(),
            Bump::Revision
        );
        assert_eq!(
            bump(json!({"version_info": {"version_type": "revision"}})).unwrap(),
            Bump::Revision
        );
        assert_eq!(bump(json!({"type": "default"})).unwrap(), Bump::Minor);
        assert!(bump(json!({"version_info": {"version_type": "huge"}})).is_err());
        assert!(bump(json!({"version_info": {"version_type": 3}})).is_err());
    }
}
