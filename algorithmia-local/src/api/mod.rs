//! API v1 over HTTP: the router, the state its handlers share, and the handlers.
//!
//! Handlers that need a user take [`auth::Caller`], so a request without a valid key is refused
//! before any of them runs.

mod auth;
mod call;
mod data;
mod manage;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{any, get, post};
use tower_http::trace::TraceLayer;

use crate::algo::Registry;
use crate::data::Storage;
use crate::error::AppError;
use crate::faults::{self, FaultPlan};
use crate::platform::{BuildQueue, Launcher};
use crate::store::Store;
pub use auth::DEFAULT_USER;
pub(crate) use auth::Keys;
pub(crate) use call::Executions;

/// What every request handler shares: the accepted keys, the hosted algorithms, the storage,
/// the limits, and the fault plan and execution counts when they are on.
///
/// Built by [`LocalServerBuilder::build_state`](crate::LocalServerBuilder::build_state) (or
/// inside [`start`](crate::LocalServerBuilder::start)); served by [`app`].
pub struct AppState {
    pub(crate) keys: Keys,
    pub(crate) registry: Registry,
    pub(crate) storage: Arc<Storage>,
    /// Entries per directory listing page.
    pub(crate) page_size: usize,
    /// Algorithm timeout when a call names none.
    pub(crate) default_timeout: Duration,
    /// Largest algorithm input.
    pub(crate) max_input_bytes: usize,
    /// How long an algorithm call's body may take to arrive.
    pub(crate) body_timeout: Duration,
    /// Executions per request id, when counted.
    pub(crate) executions: Option<Arc<Executions>>,
    /// Faults to inject, when asked for.
    pub(crate) faults: Option<Arc<FaultPlan>>,
    /// Accounts, algorithms, builds, secrets, errors and insights (`state.db`).
    pub(crate) store: Arc<Store>,
    /// Runs algorithms created through the management API.
    pub(crate) launcher: Arc<dyn Launcher>,
    /// Builds them.
    pub(crate) builds: Arc<dyn BuildQueue>,
    /// The algorithms' git repositories over HTTP, when the server hosts them.
    pub(crate) git: Option<Router>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("keys", &self.keys)
            .field("storage", &self.storage)
            .field("store", &self.store)
            .field("page_size", &self.page_size)
            .field("counts_executions", &self.executions.is_some())
            .field("injects_faults", &self.faults.is_some())
            .finish_non_exhaustive()
    }
}

/// The whole API v1 surface this server speaks, as an axum router over `state`.
///
/// [`LocalServerBuilder::start`](crate::LocalServerBuilder::start) serves it on a socket; tests
/// can also drive it directly, request by request, with `tower::ServiceExt::oneshot`.
///
/// ```
/// let state = algorithmia_local::LocalServer::builder()
///     .api_key("simAlice", "alice")
///     .build_state()?;
/// let router: axum::Router = algorithmia_local::app(state);
/// # drop(router);
/// # Ok::<(), algorithmia_local::StartError>(())
/// ```
pub fn app(mut state: AppState) -> Router {
    let faults = state.faults.clone();
    let git = state.git.take();
    let router = Router::new()
        .route("/v1/algo/{*rest}", post(call::call))
        .route("/v1/algorithms/{*rest}", any(manage::algorithms))
        .route("/v1/users/{name}", get(manage::user))
        .route("/v1/users/{name}/algorithms", get(manage::user_algorithms))
        .route("/v1/users/{name}/errors", get(manage::user_errors))
        .route("/v1/organizations/{org}", get(manage::organization))
        .route(
            "/v1/organizations/{org}/members",
            get(manage::organization_members),
        )
        .route("/v1/secret-provider", get(manage::secret_providers))
        .route("/v1/insights", post(manage::post_insights))
        .route("/v1/local/insights", get(manage::list_insights))
        .route(
            "/v1/algorithm-environments/edge/languages",
            get(manage::languages),
        )
        .route(
            "/v1/algorithm-environments/edge/languages/{language}/environments",
            get(manage::environments),
        )
        .route(
            "/v1/algorithm-environments/edge/environment-specifications/{id}/template",
            get(manage::template),
        )
        .route("/v1/connector/{*rest}", any(data::handle))
        .route("/v1/data", any(data::handle))
        .route("/v1/data/", any(data::handle))
        .route("/v1/data/{*rest}", any(data::handle))
        .fallback(|| async { AppError::new(StatusCode::NOT_FOUND, "no such route in API v1") })
        .route("/v1/local/executions/{request_id}", get(call::executions));
    // Faults sit inside the trace layer, so injected answers are logged like real ones.
    let router = match faults {
        Some(plan) => router.layer(axum::middleware::from_fn_with_state(plan, faults::inject)),
        None => router,
    };
    let router = router.with_state(Arc::new(state));
    let router = match git {
        Some(git) => router.merge(git),
        None => router,
    };
    router.layer(TraceLayer::new_for_http())
}
