//! The management API: algorithms, versions, builds, secrets, errors, insights, environments,
//! users and organisations, kept in the state database.
//!
//! Everything under `/v1/algorithms/` goes through one dispatcher, because an algorithm is
//! addressed two ways, `{owner}/{name}/...` and `{uuid}/...`, and the two overlap as routes.
//!
//! Authorization: anyone with a key may read an algorithm's object and its published public
//! versions; everything else about it (updating, deleting, compiling, publishing, builds, logs,
//! secrets, errors, private and unpublished versions) is for its owner, or the members of the
//! organisation that owns it: others get 403 with code 2001. An unknown algorithm is 404 with
//! code 1000, for everyone.

mod accounts;
mod activity;
mod algorithms;
mod builds;
mod environments;
mod objects;
mod paging;
mod secrets;
mod versions;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use crate::error::AppError;
use crate::store::{AlgorithmRecord, Store, StoreError};

pub(super) use accounts::{organization, organization_members, user, user_algorithms, user_errors};
pub(super) use activity::{list_insights, post_insights};
pub(super) use environments::{environments, languages, template};
pub(super) use secrets::providers as secret_providers;

/// One management request, as its handlers see it.
pub(super) struct Request {
    pub(super) state: Arc<AppState>,
    pub(super) user: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

impl Request {
    /// `http://host` as the caller reached this server, for `self_link` and `next_link`.
    pub(super) fn base_url(&self) -> String {
        base_url(&self.headers)
    }

    /// The body as a JSON value; an empty body is `{}`.
    pub(super) fn json(&self) -> Result<Value, AppError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| AppError::bad_request(format!("the request body is not valid JSON: {e}")))
    }

    /// Whether the body is an HTML form rather than JSON (the Python client's `update` sends
    /// its dictionary that way).
    pub(super) fn is_form(&self) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
    }

    /// Run `f` on the store on a blocking thread.
    pub(super) async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        db(&self.state, f).await
    }
}

/// `http://host` from a request's `Host` header.
pub(super) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Run `f` on the store on a blocking thread, with store errors as API errors.
pub(super) async fn db<T, F>(state: &Arc<AppState>, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
{
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || f(&state.store))
        .await
        .map_err(AppError::internal)?
        .map_err(store_error)
}

/// A store error as an answer: a taken name is 409, the rest internal.
pub(super) fn store_error(error: StoreError) -> AppError {
    match error {
        StoreError::Conflict(message) => AppError::new(StatusCode::CONFLICT, message),
        other => AppError::internal(other),
    }
}

/// 404, code 1000. The official Python client's `exists()` looks for "No such algorithm".
pub(super) fn unknown_algorithm(what: &str) -> AppError {
    AppError::not_found(format!("No such algorithm: {what}")).code(1000)
}

/// 403, code 2001.
pub(super) fn not_authorized(what: &str) -> AppError {
    AppError::new(StatusCode::FORBIDDEN, format!("not authorized to {what}")).code(2001)
}

/// An algorithm found for a request, and whether the caller manages it.
pub(super) struct Found {
    pub(super) algorithm: AlgorithmRecord,
    pub(super) manages: bool,
}

impl Found {
    /// Refuse a caller who does not manage the algorithm.
    pub(super) fn require_manager(&self, action: &str) -> Result<(), AppError> {
        if self.manages {
            Ok(())
        } else {
            Err(not_authorized(&format!(
                "{action} algorithm {}/{}",
                self.algorithm.owner, self.algorithm.name
            )))
        }
    }
}

/// How a path names an algorithm.
enum Locator {
    Id(String),
    Name(String, String),
}

/// The algorithm `locator` names, with the caller's rights on it.
async fn find(request: &Request, locator: Locator) -> Result<Found, AppError> {
    let user = request.user.clone();
    request
        .db(move |store| {
            let algorithm = match &locator {
                Locator::Id(id) => store.algorithm_by_id(id)?,
                Locator::Name(owner, name) => store.algorithm(owner, name)?,
            };
            let Some(algorithm) = algorithm else {
                return Ok(Err(match locator {
                    Locator::Id(id) => unknown_algorithm(&id),
                    Locator::Name(owner, name) => unknown_algorithm(&format!("{owner}/{name}")),
                }));
            };
            let manages = store.acts_for(&user, &algorithm.owner)?;
            Ok(Ok(Found { algorithm, manages }))
        })
        .await?
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::parse_str(text).is_ok()
}

/// Every request under `/v1/algorithms/`.
pub(super) async fn algorithms(
    State(state): State<Arc<AppState>>,
    Caller { user }: Caller,
    method: Method,
    Path(rest): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let request = Request {
        state,
        user,
        query,
        headers,
        body,
    };
    let (locator, tail) = match segments.as_slice() {
        [owner] if !is_uuid(owner) => {
            return match method {
                Method::POST => algorithms::create(&request, owner).await,
                _ => Err(no_route()),
            };
        }
        [id, tail @ ..] if is_uuid(id) => (Locator::Id((*id).to_owned()), tail),
        [owner, name, tail @ ..] => (Locator::Name((*owner).to_owned(), (*name).to_owned()), tail),
        _ => return Err(no_route()),
    };
    // Built-in algorithms have versions but no management record.
    if let (Locator::Name(owner, name), ["versions"], &Method::GET) = (&locator, tail, &method)
        && request.state.registry.versions(owner, name).is_some()
    {
        return Ok(versions::registered(&request, owner, name));
    }
    let found = find(&request, locator).await?;
    match (&method, tail) {
        (&Method::GET, []) => algorithms::get(&request, found).await,
        (&Method::PUT, []) => algorithms::update(&request, found).await,
        (&Method::DELETE, []) => algorithms::delete(&request, found).await,
        (&Method::POST, ["compile"]) => algorithms::compile(&request, found).await,
        (&Method::GET, ["scm", "status"]) => algorithms::scm_status(found),
        (&Method::GET, ["versions"]) => versions::list(&request, found).await,
        (&Method::POST, ["versions" | "version"]) => versions::publish(&request, found).await,
        (&Method::GET, ["versions", hash]) => versions::one(&request, found, hash).await,
        (&Method::GET, ["builds"]) => builds::list(&request, found).await,
        (&Method::GET, ["builds", id]) => builds::one(&request, found, id).await,
        (&Method::GET, ["builds", id, "logs"]) => builds::logs(&request, found, id).await,
        (&Method::GET, ["errors"]) => activity::algorithm_errors(&request, found).await,
        (&Method::GET, ["secrets"]) => secrets::list(&request, found).await,
        (&Method::POST, ["secrets"]) => secrets::create(&request, found).await,
        (&Method::PUT, ["secrets", id]) => secrets::update(&request, found, id).await,
        (&Method::DELETE, ["secrets", id]) => secrets::delete(&request, found, id).await,
        _ => Err(no_route()),
    }
}

fn no_route() -> AppError {
    AppError::not_found("no such route in API v1")
}
