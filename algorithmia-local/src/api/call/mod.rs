//! `POST /v1/algo/{owner}/{name}[/{version}]`: run a hosted algorithm and answer as the API does.

mod executions;
mod hosted;
mod request;

use std::sync::Arc;
use std::time::{Duration, Instant};

use algorithmia_client::wire::{
    self, AsyncEnvelope, AsyncProtocol, ContentType, ErrorBody, ErrorEnvelope, Metadata,
    SuccessEnvelope,
};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;

use super::AppState;
use super::auth::Caller;
use crate::algo::{Handler, Input, Output};
use crate::context::{Context, PoolTiming};
use crate::error::{AlgoError, AppError};
pub(crate) use executions::{Executions, executions};
use hosted::FailureLog;
use request::{OutputMode, input_from, parse_options, reference_from_path, request_id_of};

/// Every `POST /v1/algo/...`.
pub(super) async fn call(
    State(state): State<Arc<AppState>>,
    Caller { user }: Caller,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    body: Body,
) -> Result<Response, AppError> {
    let arrived = Instant::now();
    let reference = reference_from_path(uri.path())?;
    let options = parse_options(&query, state.default_timeout)?;
    let body = read_body(body, state.max_input_bytes, state.body_timeout).await?;
    let input = input_from(&headers, body)?;
    let resolved = hosted::resolve(&state, &user, &reference).await?;
    let request_id = request_id_of(&headers);
    if let Some(executions) = &state.executions {
        executions.record(&request_id);
    }
    let failures = FailureLog::new(&state, &resolved, &user, &request_id, &input);
    let context = Context::new(
        Arc::clone(&state.storage),
        user,
        request_id.clone(),
        resolved.reference.clone(),
    );
    tracing::info!(algorithm = %resolved.reference, %request_id, "call");

    if options.output == OutputMode::Void {
        let work = run(resolved.handler, input, context, options.timeout);
        tokio::spawn(async move {
            if let (Err(error), Some(log)) = (work.await, failures) {
                log.record(&error).await;
            }
        });
        return Ok(axum::Json(AsyncEnvelope {
            async_protocol: AsyncProtocol::Name("void".into()),
            request_id,
        })
        .into_response());
    }

    let started = Instant::now();
    let result = run(resolved.handler, input, context.clone(), options.timeout).await;
    if let (Err(error), Some(log)) = (&result, failures) {
        log.record(error).await;
    }
    let metadata = Metadata {
        duration: Some(started.elapsed().as_secs_f64()),
        stdout: options.stdout.then(|| context.take_stdout()),
        request_id: Some(request_id.clone()),
        ..Metadata::default()
    };
    let mut response = match (options.output, result) {
        (OutputMode::Raw, Ok(output)) => raw_response(output),
        (_, Ok(output)) => envelope_response(output, metadata, &request_id),
        (mode, Err(error)) => error_response(mode, error, metadata),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(wire::HEADER_REQUEST_ID, value);
    }
    if let Some(timing) = context.pool_timing()
        && let Ok(value) = HeaderValue::from_str(&server_timing(timing, arrived.elapsed()))
    {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    Ok(response)
}

/// The W3C `Server-Timing` response header.
const SERVER_TIMING: header::HeaderName = header::HeaderName::from_static("server-timing");

/// A pooled call's `Server-Timing`, in milliseconds: `queue` until a worker took it (waiting,
/// or starting one), `worker` on the worker (request line written, algorithm run, response
/// line read), `total` from the request's head arriving to the answer being built.
fn server_timing(pool: PoolTiming, total: Duration) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "queue;dur={:.3}, worker;dur={:.3}, total;dur={:.3}",
        ms(pool.queue),
        ms(pool.worker),
        ms(total)
    )
}

/// The whole input, at most `limit` bytes, arrived within `timeout`.
async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, AppError> {
    match tokio::time::timeout(timeout, http_body_util::Limited::new(body, limit).collect()).await {
        Err(_) => Err(AppError::new(
            StatusCode::REQUEST_TIMEOUT,
            "the request body was not received in time",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the input is larger than the limit of {limit} bytes"),
        )
        .error_type("TooLargeError")),
        Ok(Err(e)) => Err(AppError::bad_request(format!(
            "the request body broke off: {e}"
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Run a call to completion or its timeout; a panic is an algorithm error, not a lost worker.
async fn run(
    handler: Handler,
    input: Input,
    context: Context,
    timeout: Duration,
) -> Result<Output, AlgoError> {
    let work = tokio::spawn(tokio::time::timeout(timeout, handler(input, context)));
    match work.await {
        Ok(Ok(result)) => result,
        Ok(Err(_elapsed)) => Err(AlgoError::with_type(
            "TimeoutError",
            format!(
                "the algorithm timed out after {} seconds",
                timeout.as_secs_f64()
            ),
        )),
        Err(join) if join.is_panic() => Err(AlgoError::new("the algorithm crashed (panicked)")),
        Err(_) => Err(AlgoError::new("the algorithm was cancelled")),
    }
}

/// An algorithm's error: in the envelope with status 200, or with 400 for `output=raw`; a call
/// refused for lack of capacity with 503 either way, with `Retry-After` (it did not run).
fn error_response(mode: OutputMode, error: AlgoError, metadata: Metadata) -> Response {
    let status = if error.unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else if mode == OutputMode::Raw {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let message = error.message;
    let body = ErrorEnvelope {
        error: ErrorBody {
            message: message.clone(),
            error_type: Some(error.error_type),
            stacktrace: error.stacktrace,
            ..ErrorBody::default()
        },
        metadata: Some(metadata),
    };
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        headers.insert(
            wire::HEADER_ERROR_MESSAGE,
            crate::error::header_text(&message),
        );
    }
    response
}

/// The normal answer: the result in the envelope, with its content type and metadata.
fn envelope_response(output: Output, mut metadata: Metadata, request_id: &str) -> Response {
    let (result, content_type) = match output {
        Output::Json(v) => (v, ContentType::Json),
        Output::Text(s) => (serde_json::Value::String(s), ContentType::Text),
        Output::Binary(b) => (
            serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(&b)),
            ContentType::Binary,
        ),
        Output::Void => (serde_json::Value::Null, ContentType::Void),
    };
    metadata.content_type = Some(content_type);
    axum::Json(SuccessEnvelope {
        result,
        metadata,
        // Sources disagree on where the request id lives; it is sent in both places.
        request_id: Some(request_id.to_owned()),
    })
    .into_response()
}

/// `output=raw`: the bare result. JSON as its text, text as UTF-8, bytes as they are.
fn raw_response(output: Output) -> Response {
    match output {
        Output::Json(v) => {
            ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
        }
        Output::Text(s) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], s).into_response()
        }
        Output::Binary(b) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], b).into_response()
        }
        Output::Void => StatusCode::OK.into_response(),
    }
}
