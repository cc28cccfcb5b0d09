//! Calls of algorithms created through the management API: resolution after the registered
//! algorithms, and the errors log their failures go to.

use std::sync::Arc;

use algorithmia_client::AlgoRef;

use crate::algo::hosted::{self, HostedError};
use crate::algo::{ResolveError, Resolved};
use crate::api::AppState;
use crate::error::{AlgoError, AppError};

fn not_found(reference: &AlgoRef, version: Option<String>) -> AppError {
    let algorithm = reference.clone().with_version(None);
    let message = match version {
        None => format!("algorithm algo://{algorithm} not found"),
        Some(version) => format!("algorithm algo://{algorithm} has no version {version}"),
    };
    AppError::not_found(message).code(1000)
}

/// The algorithm a call names: a registered one, or else one in the store that `user` may call.
pub(super) async fn resolve(
    state: &Arc<AppState>,
    user: &str,
    reference: &AlgoRef,
) -> Result<Resolved, AppError> {
    match state.registry.resolve(reference) {
        Ok(resolved) => return Ok(resolved),
        Err(ResolveError::UnknownVersion(version)) => {
            return Err(not_found(reference, Some(version)));
        }
        Err(ResolveError::UnknownAlgorithm) => {}
    }
    let state = Arc::clone(state);
    let (user, reference) = (user.to_owned(), reference.clone());
    tokio::task::spawn_blocking(move || {
        hosted::resolve(&state.store, &*state.launcher, &user, &reference).map_err(|e| match e {
            HostedError::UnknownAlgorithm => not_found(&reference, None),
            HostedError::UnknownVersion(version) => not_found(&reference, Some(version)),
            HostedError::Store(e) => AppError::internal(e),
            HostedError::Launch(e) => e,
        })
    })
    .await
    .map_err(AppError::internal)?
}

/// What the errors log needs of a call, taken before the input is handed to the algorithm.
pub(super) struct FailureLog {
    state: Arc<AppState>,
    algorithm_id: String,
    reference: AlgoRef,
    user: String,
    request_id: String,
    input: String,
}

impl FailureLog {
    /// A log for a stored algorithm's call; `None` for a registered algorithm.
    pub(super) fn new(
        state: &Arc<AppState>,
        resolved: &Resolved,
        user: &str,
        request_id: &str,
        input: &crate::algo::Input,
    ) -> Option<FailureLog> {
        Some(FailureLog {
            state: Arc::clone(state),
            algorithm_id: resolved.algorithm_id.clone()?,
            reference: resolved.reference.clone(),
            user: user.to_owned(),
            request_id: request_id.to_owned(),
            input: hosted::input_preview(input),
        })
    }

    /// Record `error` in the errors log; a failure to record is logged, not answered.
    pub(super) async fn record(self, error: &AlgoError) {
        let record = hosted::error_record(
            &self.algorithm_id,
            &self.reference,
            &self.user,
            &self.request_id,
            self.input,
            error,
        );
        let state = self.state;
        let done = tokio::task::spawn_blocking(move || state.store.record_error(&record)).await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "could not log an algorithm's error"),
            Err(e) => tracing::error!(error = %e, "could not log an algorithm's error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use crate::algo::Handler;
    use crate::error::{AlgoError, AppError};
    use crate::platform::Launcher;
    use crate::store::AlgorithmRecord;

    /// A runtime whose algorithm always raises.
    struct Failing;

    impl Launcher for Failing {
        fn runner(&self, _: &AlgorithmRecord, git_hash: &str) -> Result<Handler, AppError> {
            let hash = git_hash.to_owned();
            Ok(Arc::new(move |_input, _ctx| {
                let hash = hash.clone();
                Box::pin(async move { Err(AlgoError::input(format!("bad input for {hash}"))) })
            }))
        }
    }

    async fn send(app: &axum::Router, method: &str, path: &str, body: Value) -> (u16, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("Authorization", "Simple simA")
            .header("Content-Type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_stored_algorithms_exception_goes_to_its_errors_log() {
        let dir = tempfile::tempdir().unwrap();
        let state = crate::LocalServer::builder()
            .data_dir(dir.path())
            .api_key("simA", "alice")
            .launcher(Arc::new(Failing))
            .build_state()
            .unwrap();
        let store = Arc::clone(&state.store);
        let app = crate::app(state);
        let (status, created) = send(
            &app,
            "POST",
            "/v1/algorithms/alice",
            json!({"name": "Fails"}),
        )
        .await;
        assert_eq!(status, 201);
        let id = created["id"].as_str().unwrap().to_owned();
        let commit = "ab".repeat(20);
        let build = store.create_build(&id, &commit).unwrap();
        store
            .finish_build(&build.build_id, crate::store::BuildStatus::Succeeded, "")
            .unwrap();

        let long_input = "x".repeat(10_000);
        let (status, answer) = send(
            &app,
            "POST",
            &format!("/v1/algo/alice/Fails/{commit}"),
            json!(long_input),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(answer["error"]["error_type"], "InputError");

        let (status, errors) = send(
            &app,
            "GET",
            "/v1/algorithms/alice/Fails/errors",
            json!(null),
        )
        .await;
        assert_eq!(status, 200);
        let entry = &errors[0];
        assert_eq!(entry["error"], format!("bad input for {commit}"));
        assert_eq!(entry["error_type"], "InputError");
        assert_eq!(entry["username"], "alice");
        assert_eq!(entry["algoname"], "alice/Fails");
        assert_eq!(entry["algoversion"], commit);
        assert_eq!(entry["request_id"], answer["metadata"]["request_id"]);
        assert_eq!(
            entry["input"].as_str().unwrap().len(),
            crate::store::MAX_ERROR_INPUT
        );
        let (_, by_user) = send(&app, "GET", "/v1/users/alice/errors", json!(null)).await;
        assert_eq!(by_user.as_array().unwrap().len(), 1);
    }
}
