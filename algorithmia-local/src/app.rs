//! The router: which path goes to which handler.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{any, get, post};
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::faults::FaultPlan;
use crate::state::AppState;

/// The whole API v1 surface this server speaks.
pub(crate) fn app(state: Arc<AppState>, faults: Option<Arc<FaultPlan>>) -> Router {
    let router = Router::new()
        .route("/v1/algo/{*rest}", post(crate::algo::route::handle))
        .route(
            "/v1/algorithms/{owner}/{name}/versions",
            get(crate::algo::route::versions),
        )
        .route("/v1/connector/{*rest}", any(crate::data::route::handle))
        .route("/v1/data", any(crate::data::route::handle))
        .route("/v1/data/", any(crate::data::route::handle))
        .route("/v1/data/{*rest}", any(crate::data::route::handle))
        .fallback(|| async { AppError::new(StatusCode::NOT_FOUND, "no such route in API v1") })
        .route(
            "/v1/local/executions/{request_id}",
            get(crate::algo::route::executions),
        );
    // Faults sit inside the trace layer, so injected answers are logged like real ones.
    let router = match faults {
        Some(plan) => router.layer(axum::middleware::from_fn_with_state(
            plan,
            crate::faults::inject,
        )),
        None => router,
    };
    router.layer(TraceLayer::new_for_http()).with_state(state)
}
