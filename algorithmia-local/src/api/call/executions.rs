//! How many times each request id ran an algorithm, so a test can tell a safe retry from a call
//! that ran twice; and `GET /v1/local/executions/{request_id}`, which reads the count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::api::auth::Caller;
use crate::error::AppError;

/// How many times each request id ran an algorithm.
#[derive(Debug, Default)]
pub(crate) struct Executions {
    counts: Mutex<HashMap<String, u64>>,
}

impl Executions {
    /// Count one run of the call with this request id.
    pub(crate) fn record(&self, request_id: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(request_id.to_owned()).or_insert(0) += 1;
    }

    /// How many times the call with this request id ran.
    pub(crate) fn of(&self, request_id: &str) -> u64 {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(request_id).copied().unwrap_or(0)
    }

    /// Every counted request id with its count.
    pub(crate) fn snapshot(&self) -> HashMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// `GET /v1/local/executions/{request_id}` (this server only): how many times that call ran.
pub(crate) async fn executions(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    Path(request_id): Path<String>,
) -> Result<Response, AppError> {
    let Some(executions) = &state.executions else {
        return Err(AppError::not_found(
            "execution counting is off (start the server with faults or count_executions)",
        ));
    };
    Ok(axum::Json(serde_json::json!({
        "request_id": request_id,
        "executions": executions.of(&request_id),
    }))
    .into_response())
}
