//! The middleware that carries out each request's drawn fate: delays, error answers, resets
//! and stalls.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt as _;

use super::plan::FaultPlan;
use super::spec::FaultKind;
use crate::conn::{ConnControl, ConnInfo};
use crate::error::AppError;

/// The largest request body that takes part in the fault draw.
const HASHED_BODY_LIMIT: u64 = 64 * 1024;

/// The middleware: draws each request's fate and carries it out.
pub(crate) async fn inject(
    State(plan): State<Arc<FaultPlan>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    if !plan.covers(path) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let small = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n <= HASHED_BODY_LIMIT);
    let (body, digest) = if small {
        match axum::body::to_bytes(body, HASHED_BODY_LIMIT as usize).await {
            Ok(bytes) => (Body::from(bytes.clone()), bytes),
            Err(e) => {
                return AppError::bad_request(format!("the request body broke off: {e}"))
                    .into_response();
            }
        }
    } else {
        (body, Bytes::new())
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |pq| pq.as_str());
    let decision = plan.decide(parts.method.as_str(), path, target, &digest);
    if let Some(id) = parts
        .headers
        .get(algorithmia_client::wire::HEADER_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
    {
        // Latency alone still answers.
        plan.log(id, decision.fault.map(|(kind, _)| kind));
    }
    let control = parts
        .extensions
        .get::<ConnInfo>()
        .map(|info| Arc::clone(&info.control));
    let request = Request::from_parts(parts, body);
    if let Some(delay) = decision.latency {
        tokio::time::sleep(delay).await;
    }
    let Some((kind, duration)) = decision.fault else {
        return next.run(request).await;
    };
    tracing::debug!(fault = %kind, "injecting a fault");
    match kind {
        FaultKind::Latency => next.run(request).await,
        FaultKind::TooManyRequests => {
            let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
            let mut response = AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests (injected fault)",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            response
        }
        FaultKind::InternalError => AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error (injected fault)",
        )
        .into_response(),
        FaultKind::Unavailable => AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable (injected fault)",
        )
        .into_response(),
        FaultKind::ResetBefore => {
            drop(request);
            cut(control)
        }
        FaultKind::ResetAfter => {
            let response = next.run(request).await;
            drop(response);
            cut(control)
        }
        FaultKind::Stall => {
            let response = next.run(request).await;
            stall(response, duration, control)
        }
    }
}

/// Reset the connection instead of answering.
fn cut(control: Option<Arc<ConnControl>>) -> Response {
    if let Some(control) = &control {
        control.kill();
    }
    // Writing this fails on a killed connection; without one, the failing body still makes
    // hyper drop the connection mid-answer.
    Response::new(Body::from_stream(futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("connection cut by a fault"))
    })))
}

/// Send the head and half of the first chunk, then nothing for `pause`, then reset.
fn stall(response: Response, pause: Duration, control: Option<Arc<ConnControl>>) -> Response {
    let (parts, body) = response.into_parts();
    let inner = body.into_data_stream();
    let stream = futures_util::stream::unfold((0u8, inner), move |(stage, mut inner)| {
        let control = control.clone();
        async move {
            match stage {
                0 => {
                    let half = match inner.next().await {
                        Some(Ok(chunk)) => chunk.slice(..chunk.len() / 2),
                        _ => Bytes::new(),
                    };
                    Some((Ok::<Bytes, std::io::Error>(half), (1, inner)))
                }
                1 => {
                    tokio::time::sleep(pause).await;
                    if let Some(control) = &control {
                        control.kill();
                    }
                    let cut = std::io::Error::other("stalled answer cut by a fault");
                    Some((Err(cut), (2, inner)))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
