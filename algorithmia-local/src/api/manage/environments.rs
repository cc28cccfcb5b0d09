//! Build environments: the one language (Python 3, as this machine has it), its one
//! environment, and that environment's template as a tar.gz.

use std::sync::{Arc, OnceLock};

use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::auth::Caller;
use crate::error::AppError;
use crate::template::template_tar_gz;

/// The stable id of the Python 3 environment (what `settings.algorithm_environment` names).
pub(crate) const PYTHON3_ENVIRONMENT_ID: &str = "4f0e6b3a-5b0e-4c5f-9d1b-70c3a1e5c0a1";
/// The id of its specification (the template's address).
const PYTHON3_SPECIFICATION_ID: &str = "a7c9d2e4-1f3b-4e6a-8c5d-2b9e0f1a3c7e";

/// `3.11`, from `python3 --version`, asked once; `3` when there is no python3.
fn python_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let output = std::process::Command::new("python3")
            .arg("--version")
            .output();
        let text = output
            .ok()
            .map(|o| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                )
            })
            .unwrap_or_default();
        text.split_whitespace()
            .nth(1)
            .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "3".to_owned())
    })
}

async fn language() -> Result<Value, AppError> {
    let version = tokio::task::spawn_blocking(python_version)
        .await
        .map_err(AppError::internal)?;
    Ok(json!({
        "name": "python3",
        "display_name": format!("Python {version} (Environments)"),
        "configuration": json!({
            "display_name": format!("Python {version}"),
            "req_files": ["requirements.txt"],
            "artifacts": [{"source": "/opt/algorithm", "destination": "/opt/algorithm/"}],
        })
        .to_string(),
    }))
}

/// `GET /v1/algorithm-environments/edge/languages`.
pub(in crate::api) async fn languages(_caller: Caller) -> Result<Response, AppError> {
    Ok(axum::Json(json!([language().await?])).into_response())
}

/// `GET /v1/algorithm-environments/edge/languages/{language}/environments`.
pub(in crate::api) async fn environments(
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    if name != "python3" {
        return Err(AppError::not_found(format!(
            "language {name} not found: this server builds python3"
        )));
    }
    let language = language().await?;
    Ok(axum::Json(json!({"environments": [{
        "id": PYTHON3_ENVIRONMENT_ID,
        "environment_specification_id": PYTHON3_SPECIFICATION_ID,
        "display_name": language["display_name"],
        "description": "Python 3 with the Algorithmia ADK, built with venv and pip",
        "created_at": "2026-01-01T00:00:00.000Z",
        "language": language,
        "machine_type": "CPU",
    }]}))
    .into_response())
}

/// `GET /v1/algorithm-environments/edge/environment-specifications/{id}/template`: the
/// template as a tar.gz (the environment's id is accepted too). Names come from the query's
/// `username` and `algoname`, defaulting to the caller and `hello`.
pub(in crate::api) async fn template(
    Caller { user }: Caller,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if id != PYTHON3_SPECIFICATION_ID && id != PYTHON3_ENVIRONMENT_ID {
        return Err(AppError::not_found(format!(
            "environment specification {id} not found"
        )));
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let owner = param("username").unwrap_or(user);
    let name = param("algoname").unwrap_or_else(|| "hello".to_owned());
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !safe(&owner) || !safe(&name) {
        return Err(AppError::bad_request(
            "username and algoname must be plain names",
        ));
    }
    let names = Arc::new((owner, name));
    let bytes = tokio::task::spawn_blocking(move || template_tar_gz(&names.0, &names.1))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"template.tar.gz\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
