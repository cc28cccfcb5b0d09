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
