//! The router: which path goes to which handler.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{any, get, post};
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;

/// The whole API v1 surface this server speaks.
pub(crate) fn app(state: Arc<AppState>) -> Router {
    Router::new()
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
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
