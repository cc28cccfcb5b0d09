//! What running algorithms report: an algorithm's errors log, and insights
//! (`POST /v1/insights`, listed by `GET /v1/local/insights`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Found, Request, db, objects};
use crate::api::AppState;
use crate::api::auth::{Caller, caller_of};
use crate::error::AppError;

/// The most insights one report may carry.
pub(crate) const MAX_INSIGHTS: usize = 25;
/// The largest insights report, in bytes.
pub(crate) const MAX_INSIGHTS_BYTES: usize = 25 * 1024;

/// `GET .../errors`: the algorithm's runtime errors, newest first (at most 200).
pub(super) async fn algorithm_errors(
    request: &Request,
    found: Found,
) -> Result<Response, AppError> {
    found.require_manager("read the errors of")?;
    let id = found.algorithm.id.clone();
    let errors = request
        .db(move |store| store.errors_of_algorithm(&id))
        .await?;
    let results: Vec<Value> = errors.iter().map(objects::error).collect();
    Ok(axum::Json(results).into_response())
}

/// The insights of a report: a JSON array of `{insight_key, insight_value}`, at most 25.
fn parse_insights(body: &[u8]) -> Result<Vec<(String, Value)>, AppError> {
    if body.len() > MAX_INSIGHTS_BYTES {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("an insights report is at most {MAX_INSIGHTS_BYTES} bytes"),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request(format!("insights must be a JSON array: {e}")))?;
    let Value::Array(items) = value else {
        return Err(AppError::bad_request("insights must be a JSON array"));
    };
    if items.len() > MAX_INSIGHTS {
        return Err(AppError::bad_request(format!(
            "{} insights in one report: at most {MAX_INSIGHTS}",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let key = item
                .get("insight_key")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| {
                    AppError::bad_request(format!("insight {i} needs a non-empty `insight_key`"))
                })?;
            let value = item.get("insight_value").cloned().unwrap_or(Value::Null);
            Ok((key.to_owned(), value))
        })
        .collect()
}

/// `POST /v1/insights`: store a report. The official clients send it from inside an algorithm,
/// without a key, so a key is optional (and names the user when it is valid).
pub(in crate::api) async fn post_insights(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let insights = parse_insights(&body)?;
    let count = insights.len();
    let user = if headers.contains_key(axum::http::header::AUTHORIZATION) {
        let state = Arc::clone(&state);
        tokio::task::spawn_blocking(move || caller_of(&state, &headers).ok())
            .await
            .map_err(AppError::internal)?
    } else {
        None
    };
    db(&state, move |store| {
        store.record_insights(user.as_deref(), None, &insights)
    })
    .await?;
    Ok(axum::Json(json!({"result": "ok", "stored": count})).into_response())
}

/// `GET /v1/local/insights`: every stored insight, oldest first (this server's own route).
pub(in crate::api) async fn list_insights(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
) -> Result<Response, AppError> {
    let insights = db(&state, |store| store.insights()).await?;
    let results: Vec<Value> = insights
        .iter()
        .map(|i| {
            json!({
                "created": i.created,
                "username": i.username,
                "algorithm": i.algorithm,
                "insight_key": i.key,
                "insight_value": i.value,
            })
        })
        .collect();
    Ok(axum::Json(json!({"results": results})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_checked() {
        let ok = parse_insights(br#"[{"insight_key":"cats","insight_value":4}]"#).unwrap();
        assert_eq!(ok, [("cats".to_owned(), json!(4))]);
        assert!(parse_insights(b"{}").is_err());
        assert!(parse_insights(br#"[{"insight_value":4}]"#).is_err());
        let many = format!("[{}]", vec![r#"{"insight_key":"k"}"#; 26].join(","));
        assert!(parse_insights(many.as_bytes()).is_err());
    }
}
