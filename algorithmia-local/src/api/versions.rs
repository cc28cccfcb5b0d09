//! `GET /v1/algorithms/{owner}/{name}/versions`: an algorithm's published versions.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::Caller;
use crate::algo::Visibility;
use crate::error::AppError;

/// `GET /v1/algorithms/{owner}/{name}/versions`: the published versions, newest first, in the
/// management API's paged shape (one page; `marker` and `next_link` are null).
pub(super) async fn versions(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let versions = state.registry.versions(&owner, &name).ok_or_else(|| {
        AppError::not_found(format!("algorithm algo://{owner}/{name} not found")).code(1000)
    })?;
    let results: Vec<serde_json::Value> = versions
        .iter()
        .rev()
        .map(|v| {
            serde_json::json!({
                "version_info": {
                    "semantic_version": v.version_string(),
                    "git_hash": v.git_hash,
                },
                "settings": {
                    "algorithm_callability": match v.visibility {
                        Visibility::Public => "public",
                        Visibility::Private => "private",
                    },
                },
                "resource_type": "algorithm",
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({
        "marker": null,
        "next_link": null,
        "results": results,
    }))
    .into_response())
}
