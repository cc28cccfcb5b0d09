//! HTTP routes of the Data API: `/v1/connector/{connector}/{path}` and `/v1/data/{path}`.

mod listing;
mod path;

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use algorithmia_client::wire::{AclWire, HEADER_DATA_TYPE, ResultEnvelope};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use http_body_util::BodyExt;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use crate::data::{DataApi, DataError, Kind, Target};
use crate::error::AppError;
use listing::page;
use path::uri_from_path;

/// The data API's errors as HTTP answers; storage failures are logged, not shown.
impl From<DataError> for AppError {
    fn from(e: DataError) -> Self {
        let status = match &e {
            DataError::Invalid(_)
            | DataError::AlreadyExists(_)
            | DataError::NotEmpty(_)
            | DataError::IsADirectory(_)
            | DataError::NotADirectory(_)
            | DataError::Broken(_) => StatusCode::BAD_REQUEST,
            DataError::NotFound(_) => StatusCode::NOT_FOUND,
            DataError::PermissionDenied(_) => StatusCode::FORBIDDEN,
            DataError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            DataError::Stalled(_) => StatusCode::REQUEST_TIMEOUT,
            DataError::Storage { .. } => return AppError::internal(&e),
        };
        AppError::new(status, e.to_string())
    }
}

fn flag(query: &HashMap<String, String>, name: &str) -> bool {
    query
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn data_type(kind: &str) -> (axum::http::HeaderName, HeaderValue) {
    (
        axum::http::HeaderName::from_static(HEADER_DATA_TYPE),
        HeaderValue::from_static(if kind == "file" { "file" } else { "directory" }),
    )
}

/// A file's bytes are sent as stored; the `Content-Type` follows the caller's `Accept` where
/// it asks for text or JSON (the Node client decodes the body by it), else octet-stream.
fn file_content_type(accept: Option<&str>) -> HeaderValue {
    match accept.map(|a| a.split(';').next().unwrap_or("").trim()) {
        Some("text/plain") => HeaderValue::from_static("text/plain; charset=utf-8"),
        Some("application/json") => HeaderValue::from_static("application/json"),
        _ => HeaderValue::from_static("application/octet-stream"),
    }
}

/// `{"name": ..., "acl": ...}`, the body of a directory creation; other fields are ignored.
#[derive(Deserialize)]
struct CreateDir {
    name: String,
    #[serde(default)]
    acl: Option<AclWire>,
}

/// `{"acl": {...}}`, the body of an ACL update.
#[derive(Deserialize)]
struct UpdateAcl {
    acl: AclWire,
}

/// Small JSON bodies (directory creation, ACL update) are read whole, up to this size.
const MAX_JSON_BODY: usize = 64 * 1024;

async fn json_body<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, AppError> {
    let bytes = http_body_util::Limited::new(body, MAX_JSON_BODY)
        .collect()
        .await
        .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "the JSON body is too large"))?
        .to_bytes();
    serde_json::from_slice(&bytes)
        .map_err(|e| AppError::bad_request(format!("invalid JSON body: {e}")))
}

/// Every method on every data path.
pub(super) async fn handle(
    State(state): State<Arc<AppState>>,
    Caller { user }: Caller,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Response, AppError> {
    let data_uri = uri_from_path(uri.path())?;
    let api = DataApi::new(Arc::clone(&state.storage), user, None);
    let target = api.resolve(&data_uri)?;
    match method {
        Method::GET | Method::HEAD => {
            let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
            read(
                &state,
                &api,
                &target,
                &query,
                method == Method::HEAD,
                accept,
            )
            .await
        }
        Method::PUT => {
            let stream =
                TryStreamExt::map_err(body.into_data_stream(), |e| io::Error::other(e.to_string()));
            api.write_stream(&target, Box::pin(stream)).await?;
            Ok(axum::Json(ResultEnvelope {
                result: target.uri.to_string(),
            })
            .into_response())
        }
        Method::POST => {
            let request: CreateDir = json_body(body).await?;
            let created = api
                .create_dir(&target, &request.name, request.acl.as_ref())
                .await?;
            Ok(axum::Json(ResultEnvelope {
                result: created.to_string(),
            })
            .into_response())
        }
        Method::PATCH => {
            let request: UpdateAcl = json_body(body).await?;
            api.update_acl(&target, &request.acl).await?;
            Ok(StatusCode::OK.into_response())
        }
        Method::DELETE => {
            let deleted = api.delete(&target, flag(&query, "force")).await?;
            Ok(axum::Json(ResultEnvelope {
                result: algorithmia_client::wire::Deleted { deleted },
            })
            .into_response())
        }
        _ => Err(AppError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not a data API method"),
        )),
    }
}

async fn read(
    state: &AppState,
    api: &DataApi,
    target: &Target,
    query: &HashMap<String, String>,
    head: bool,
    accept: Option<&str>,
) -> Result<Response, AppError> {
    match api.stat(target).await? {
        None => Err(DataError::NotFound(target.uri.to_string()).into()),
        Some(Kind::Dir) if head => Ok(([data_type("directory")], StatusCode::OK).into_response()),
        Some(Kind::Dir) => {
            let entries = api.list_entries(target).await?;
            let mut listing = page(
                entries,
                query.get("marker").map(String::as_str),
                state.page_size,
            )?;
            if flag(query, "acl") {
                listing.acl = api.acl(target).await?.map(|acl| acl.to_wire());
            }
            Ok(([data_type("directory")], axum::Json(listing)).into_response())
        }
        Some(Kind::File { .. }) => {
            let (stream, kind) = api.open(target).await?;
            let Kind::File { size, modified } = kind else {
                return Err(AppError::internal("a file turned into a directory"));
            };
            let body = if head {
                Body::empty()
            } else {
                Body::from_stream(stream)
            };
            let mut response = Response::new(body);
            let headers = response.headers_mut();
            let (name, value) = data_type("file");
            headers.insert(name, value);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            headers.insert(header::CONTENT_TYPE, file_content_type(accept));
            if let Some(modified) = modified
                && let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(modified))
            {
                headers.insert(header::LAST_MODIFIED, value);
            }
            Ok(response)
        }
    }
}
