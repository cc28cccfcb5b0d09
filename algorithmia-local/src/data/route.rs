//! HTTP routes of the Data API: `/v1/connector/{connector}/{path}` and `/v1/data/{path}`.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use algorithmia_client::DataUri;
use algorithmia_client::wire::{
    AclWire, DirListing, FileEntry, FolderEntry, HEADER_DATA_TYPE, ResultEnvelope,
};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::TryStreamExt;
use http_body_util::BodyExt;
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use super::store::{Entry, Kind};
use super::{DataApi, DataError, Target};
use crate::error::AppError;
use crate::state::AppState;

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

/// Percent-decode a request path, refusing what is not UTF-8.
fn decode(raw: &str) -> Result<String, AppError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| AppError::bad_request("the path is not valid UTF-8 once percent-decoded"))
}

fn parse_uri(connector: &str, path: &str) -> Result<DataUri, AppError> {
    DataUri::new(connector, path).map_err(|e| AppError::bad_request(e.to_string()))
}

/// The data URI a request path names. `..`, `.`, empty segments (absolute paths), NUL and
/// backslashes are refused after decoding, so `%2e%2e%2f` is no way around the check.
pub(crate) fn uri_from_path(path: &str) -> Result<DataUri, AppError> {
    if let Some(rest) = path.strip_prefix("/v1/connector/") {
        let (connector, rest) = rest.split_once('/').unwrap_or((rest, ""));
        return parse_uri(&decode(connector)?, &decode(rest)?);
    }
    let rest = path
        .strip_prefix("/v1/data")
        .ok_or_else(|| AppError::not_found("no such route"))?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    // The Java client form-encodes the whole path (`/` as %2F, space as `+`): a path that does
    // that is read the same way.
    let form_encoded = rest.contains("%2F") || rest.contains("%2f");
    let rest = if form_encoded {
        rest.replace('+', " ")
    } else {
        rest.to_owned()
    };
    let decoded = decode(&rest)?;
    match decoded.split_once("://") {
        Some((connector, inner)) => {
            if inner.starts_with('/') {
                return Err(AppError::bad_request(format!(
                    "invalid data URI {decoded:?}: the path after :// starts with /"
                )));
            }
            parse_uri(connector, inner)
        }
        None => parse_uri("data", &decoded),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.000Z`, the form every official client parses.
pub(crate) fn listing_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

fn marker_key(entry: &Entry) -> String {
    let tag = if entry.kind == Kind::Dir { 'd' } else { 'f' };
    format!("{tag}/{}", entry.name)
}

fn encode_marker(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn decode_marker(marker: &str) -> Result<String, AppError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|k| k.starts_with("d/") || k.starts_with("f/"))
        .ok_or_else(|| AppError::bad_request("invalid marker").code(5002))
}

/// One page of a directory: folders first, then files, each by name.
fn page(
    mut entries: Vec<Entry>,
    marker: Option<&str>,
    size: usize,
) -> Result<DirListing, AppError> {
    entries.sort_by(|a, b| {
        (b.kind == Kind::Dir)
            .cmp(&(a.kind == Kind::Dir))
            .then_with(|| a.name.cmp(&b.name))
    });
    let start = match marker {
        None => 0,
        Some(marker) => {
            let after = decode_marker(marker)?;
            entries
                .iter()
                .position(|e| {
                    let key = marker_key(e);
                    // Folders sort before files; within a kind, by name.
                    (key.starts_with('f') && after.starts_with('d'))
                        || (key[..1] == after[..1] && key > after)
                })
                .unwrap_or(entries.len())
        }
    };
    let end = (start + size.max(1)).min(entries.len());
    let mut listing = DirListing::default();
    for entry in &entries[start..end] {
        match entry.kind {
            Kind::Dir => listing.folders.push(FolderEntry {
                name: entry.name.clone(),
            }),
            Kind::File { size, modified } => listing.files.push(FileEntry {
                filename: entry.name.clone(),
                last_modified: Some(listing_time(modified.unwrap_or(SystemTime::UNIX_EPOCH))),
                size,
            }),
        }
    }
    if end < entries.len() && end > start {
        listing.marker = Some(encode_marker(&marker_key(&entries[end - 1])));
    }
    Ok(listing)
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
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Response, AppError> {
    let user = state.keys.authenticate(&headers)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_map_to_uris() {
        for (path, want) in [
            (
                "/v1/connector/data/.my/coll/file.txt",
                "data://.my/coll/file.txt",
            ),
            ("/v1/connector/data/.my/coll/", "data://.my/coll"),
            (
                "/v1/connector/s3+lbl/bucket/a%20b%23c%3F.txt",
                "s3+lbl://bucket/a b#c?.txt",
            ),
            ("/v1/connector/dropbox/f%C3%B6", "dropbox://fö"),
            ("/v1/data/.my/coll/x", "data://.my/coll/x"),
            ("/v1/data/", "data://"),
            ("/v1/data", "data://"),
            ("/v1/data/dropbox://somefolder", "dropbox://somefolder"),
            ("/v1/data/data://.my/x", "data://.my/x"),
            ("/v1/data/.my%2Fcoll%2Fa+b.txt", "data://.my/coll/a b.txt"),
            ("/v1/data/s3%3A%2F%2Fbucket%2Fk", "s3://bucket/k"),
        ] {
            assert_eq!(uri_from_path(path).unwrap().to_string(), want, "{path}");
        }
    }

    #[test]
    fn traversal_and_odd_bytes_are_refused() {
        for path in [
            "/v1/connector/data/.my/../etc/passwd",
            "/v1/connector/data/.my/%2e%2e/x",
            "/v1/connector/data/.my/%2e%2e%2fx",
            "/v1/data/.my%2F..%2F..%2Fetc",
            "/v1/data//etc/passwd",
            "/v1/data/%2Fetc%2Fpasswd",
            "/v1/connector/data/.my/a%00b",
            "/v1/connector/data/.my/a%5Cb",
            "/v1/connector/data/.my/%FF",
            "/v1/connector/ftp/x",
            "/v1/data/s3:///x",
        ] {
            let err = uri_from_path(path).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{path}");
        }
    }

    fn entries(names: &[(&str, bool)]) -> Vec<Entry> {
        names
            .iter()
            .map(|(n, dir)| Entry {
                name: (*n).to_owned(),
                kind: if *dir {
                    Kind::Dir
                } else {
                    Kind::File {
                        size: 1,
                        modified: None,
                    }
                },
            })
            .collect()
    }

    #[test]
    fn pages_cover_every_entry_once_and_end_without_a_marker() {
        let all = entries(&[
            ("b", false),
            ("z", true),
            ("a", false),
            ("c", false),
            ("y", true),
        ]);
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let listing = page(all.clone(), marker.as_deref(), 2).unwrap();
            seen.extend(listing.folders.iter().map(|f| format!("d:{}", f.name)));
            seen.extend(listing.files.iter().map(|f| format!("f:{}", f.filename)));
            match listing.marker {
                Some(m) => {
                    assert!(!m.is_empty());
                    marker = Some(m);
                }
                None => break,
            }
        }
        assert_eq!(seen, ["d:y", "d:z", "f:a", "f:b", "f:c"]);
        assert!(page(all, Some("bogus!"), 2).is_err());
    }

    #[test]
    fn listing_time_format() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_452_041_554_632);
        assert_eq!(listing_time(t), "2016-01-06T00:52:34.000Z");
    }
}
