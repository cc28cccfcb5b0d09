//! `/v1/algorithms/{owner}/{name}/builds`: the builds (paged), one build, and its logs.

use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::paging::{page_of, paged};
use super::{Found, Request, objects};
use crate::error::AppError;
use crate::store::{BuildRecord, BuildStatus};

/// `GET .../builds?limit&marker`: newest first.
pub(super) async fn list(request: &Request, found: Found) -> Result<Response, AppError> {
    found.require_manager("read the builds of")?;
    let page = page_of(&request.query)?;
    let id = found.algorithm.id.clone();
    let (builds, more) = request
        .db(move |store| store.builds(&id, page.offset, page.limit))
        .await?;
    let results = builds.iter().map(objects::build).collect();
    let link = format!(
        "{}/builds",
        objects::algorithm_link(&request.base_url(), &found.algorithm)
    );
    Ok(axum::Json(paged(results, page, more, &link, &[])).into_response())
}

async fn find(request: &Request, found: &Found, build_id: &str) -> Result<BuildRecord, AppError> {
    found.require_manager("read the builds of")?;
    let id = found.algorithm.id.clone();
    let wanted = build_id.to_owned();
    request
        .db(move |store| store.build(&id, &wanted))
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "algorithm {}/{} has no build {build_id}",
                found.algorithm.owner, found.algorithm.name
            ))
        })
}

/// `GET .../builds/{build_id}`.
pub(super) async fn one(
    request: &Request,
    found: Found,
    build_id: &str,
) -> Result<Response, AppError> {
    let build = find(request, &found, build_id).await?;
    Ok(axum::Json(objects::build(&build)).into_response())
}

/// `GET .../builds/{build_id}/logs`: `{"logs": ...}`, 404 while the build runs.
pub(super) async fn logs(
    request: &Request,
    found: Found,
    build_id: &str,
) -> Result<Response, AppError> {
    let build = find(request, &found, build_id).await?;
    if build.status == BuildStatus::InProgress {
        return Err(AppError::not_found(format!(
            "build {build_id} is still in progress: its logs are ready when it finishes"
        )));
    }
    Ok(axum::Json(json!({"logs": build.log})).into_response())
}
