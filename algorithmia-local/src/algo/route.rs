//! `POST /v1/algo/{owner}/{name}[/{version}]`: run a hosted algorithm.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use algorithmia_client::AlgoRef;
use algorithmia_client::wire::{
    self, AsyncEnvelope, AsyncProtocol, ContentType, ErrorBody, ErrorEnvelope,
    MAX_ALGO_TIMEOUT_SECS, Metadata, SuccessEnvelope,
};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http_body_util::BodyExt;
use percent_encoding::percent_decode_str;

use super::registry::ResolveError;
use super::{AlgoError, Context, Input, Output};
use crate::data::DataApi;
use crate::error::AppError;
use crate::state::AppState;

/// How the caller wants the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputMode {
    Envelope,
    Raw,
    Void,
}

/// The options of one call, from the query string.
#[derive(Debug)]
struct CallOptions {
    timeout: Duration,
    stdout: bool,
    output: OutputMode,
}

/// Booleans arrive as `true`, `True`, `TRUE`, `1` (and their opposites).
fn parse_bool(name: &str, value: &str) -> Result<bool, AppError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" | "" => Ok(false),
        _ => Err(AppError::bad_request(format!(
            "query parameter {name}={value:?} is not a boolean"
        ))),
    }
}

fn parse_options(
    query: &[(String, String)],
    default_timeout: Duration,
) -> Result<CallOptions, AppError> {
    let mut options = CallOptions {
        timeout: default_timeout,
        stdout: false,
        output: OutputMode::Envelope,
    };
    for (name, value) in query {
        match name.as_str() {
            "timeout" => {
                let secs: f64 = value.trim().parse().map_err(|_| {
                    AppError::bad_request(format!("timeout={value:?} is not a number of seconds"))
                })?;
                if !(secs > 0.0 && secs <= MAX_ALGO_TIMEOUT_SECS as f64) {
                    return Err(AppError::bad_request(format!(
                        "timeout must be more than 0 and at most {MAX_ALGO_TIMEOUT_SECS} seconds, not {value}"
                    )));
                }
                options.timeout = Duration::from_secs_f64(secs);
            }
            "stdout" => options.stdout = parse_bool(name, value)?,
            // `default` and unknown values mean the normal envelope, as clients send them.
            "output" => {
                options.output = match value.to_ascii_lowercase().as_str() {
                    "raw" => OutputMode::Raw,
                    "void" => OutputMode::Void,
                    _ => OutputMode::Envelope,
                }
            }
            _ => {}
        }
    }
    Ok(options)
}

/// The algorithm named by the path after `/v1/algo/`.
fn reference_from_path(path: &str) -> Result<AlgoRef, AppError> {
    let rest = path.strip_prefix("/v1/algo/").unwrap_or_default();
    let decoded = percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| AppError::bad_request("the algorithm path is not valid UTF-8"))?;
    let trimmed = decoded.strip_suffix('/').unwrap_or(&decoded);
    if !trimmed.contains('/') {
        return Err(
            AppError::not_found(format!("algorithm algo://{trimmed} not found")).code(1000),
        );
    }
    trimmed
        .parse::<AlgoRef>()
        .map_err(|e| AppError::bad_request(e.to_string()))
}

/// The input, by the request's media type (parameters ignored).
fn input_from(headers: &HeaderMap, body: bytes::Bytes) -> Result<Input, AppError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let parsing = |message: String| AppError::bad_request(message).error_type("ParsingError");
    match media.as_str() {
        "application/json" => serde_json::from_slice(&body)
            .map(Input::Json)
            .map_err(|e| parsing(format!("the input is not valid JSON: {e}"))),
        "text/plain" | "application/text" => String::from_utf8(body.to_vec())
            .map(Input::Text)
            .map_err(|_| parsing("the text input is not valid UTF-8".into())),
        // application/octet-stream, and anything else or nothing: bytes as they came.
        _ => Ok(Input::Binary(body)),
    }
}

/// The caller's request id when it sent a usable one (1 to 128 visible ASCII characters),
/// otherwise a new one.
fn request_id_of(headers: &HeaderMap) -> String {
    headers
        .get(wire::HEADER_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| format!("req-{}", uuid::Uuid::new_v4()), str::to_owned)
}

/// `GET /v1/local/executions/{request_id}` (this server only): how many times that call ran.
pub(crate) async fn executions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::extract::Path(request_id): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    state.keys.authenticate(&headers)?;
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

/// Run a call to completion or its timeout; a panic is an algorithm error, not a lost worker.
async fn run(
    handler: super::Handler,
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

/// Every `POST /v1/algo/...`.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    body: Body,
) -> Result<Response, AppError> {
    let user = state.keys.authenticate(&headers)?;
    let reference = reference_from_path(uri.path())?;
    let options = parse_options(&query, state.default_timeout)?;
    let limit = state.max_input_bytes;
    let body = match tokio::time::timeout(
        state.body_timeout,
        http_body_util::Limited::new(body, limit).collect(),
    )
    .await
    {
        Err(_) => {
            return Err(AppError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request body was not received in time",
            ));
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the input is larger than the limit of {limit} bytes"),
            )
            .error_type("TooLargeError"));
        }
        Ok(Err(e)) => {
            return Err(AppError::bad_request(format!(
                "the request body broke off: {e}"
            )));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let input = input_from(&headers, body)?;
    let resolved = state.registry.resolve(&reference).map_err(|e| {
        let algorithm = reference.clone().with_version(None);
        match e {
            ResolveError::UnknownAlgorithm => {
                AppError::not_found(format!("algorithm algo://{algorithm} not found")).code(1000)
            }
            ResolveError::UnknownVersion(version) => AppError::not_found(format!(
                "algorithm algo://{algorithm} has no version {version}"
            ))
            .code(1000),
        }
    })?;
    let request_id = request_id_of(&headers);
    if let Some(executions) = &state.executions {
        executions.record(&request_id);
    }
    let data = DataApi::new(
        Arc::clone(&state.storage),
        user.clone(),
        // A resolved reference always names its algorithm.
        Some((
            resolved.reference.owner().unwrap_or_default().to_owned(),
            resolved.reference.name().unwrap_or_default().to_owned(),
        )),
    );
    let context = Context {
        user,
        request_id: request_id.clone(),
        algorithm: resolved.reference.clone(),
        data,
        stdout: Arc::new(Mutex::new(String::new())),
    };
    tracing::info!(algorithm = %resolved.reference, %request_id, "call");

    if options.output == OutputMode::Void {
        tokio::spawn(run(resolved.handler, input, context, options.timeout));
        return Ok(axum::Json(AsyncEnvelope {
            async_protocol: AsyncProtocol::Name("void".into()),
            request_id,
        })
        .into_response());
    }

    let started = Instant::now();
    let result = run(resolved.handler, input, context.clone(), options.timeout).await;
    let metadata = Metadata {
        duration: Some(started.elapsed().as_secs_f64()),
        stdout: options.stdout.then(|| context.take_stdout()),
        request_id: Some(request_id.clone()),
        ..Metadata::default()
    };
    let mut response = match (options.output, result) {
        (OutputMode::Raw, Ok(output)) => raw_response(output),
        (_, Ok(output)) => envelope_response(output, metadata, &request_id),
        (mode, Err(error)) => {
            let status = if mode == OutputMode::Raw {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            let body = ErrorEnvelope {
                error: ErrorBody {
                    message: error.message,
                    error_type: Some(error.error_type),
                    stacktrace: error.stacktrace,
                    ..ErrorBody::default()
                },
                metadata: Some(metadata),
            };
            (status, axum::Json(body)).into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(wire::HEADER_REQUEST_ID, value);
    }
    Ok(response)
}

/// `GET /v1/algorithms/{owner}/{name}/versions`: the published versions, newest first, in the
/// management API's paged shape (one page; `marker` and `next_link` are null).
pub(crate) async fn versions(
    State(state): State<Arc<AppState>>,
    axum::extract::Path((owner, name)): axum::extract::Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    state.keys.authenticate(&headers)?;
    let versions = state.registry.versions(&owner, &name).ok_or_else(|| {
        AppError::not_found(format!("algorithm algo://{owner}/{name} not found")).code(1000)
    })?;
    let results: Vec<serde_json::Value> = versions
        .iter()
        .rev()
        .map(|v| {
            serde_json::json!({
                "version_info": {
                    "semantic_version": v.version_string(),
                    "git_hash": v.git_hash,
                },
                "settings": {
                    "algorithm_callability": match v.visibility {
                        super::Visibility::Public => "public",
                        super::Visibility::Private => "private",
                    },
                },
                "resource_type": "algorithm",
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({
        "marker": null,
        "next_link": null,
        "results": results,
    }))
    .into_response())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    }

    #[test]
    fn options_accept_every_client_spelling() {
        let d = Duration::from_secs(300);
        let o = parse_options(
            &q(&[
                ("stdout", "True"),
                ("output", "default"),
                ("timeout", "2.5"),
            ]),
            d,
        )
        .unwrap();
        assert!(o.stdout);
        assert_eq!(o.output, OutputMode::Envelope);
        assert_eq!(o.timeout, Duration::from_millis(2500));
        assert!(!parse_options(&q(&[("stdout", "FALSE")]), d).unwrap().stdout);
        assert_eq!(
            parse_options(&q(&[("output", "RAW")]), d).unwrap().output,
            OutputMode::Raw
        );
        assert_eq!(
            parse_options(&q(&[("output", "void")]), d).unwrap().output,
            OutputMode::Void
        );
        assert_eq!(
            parse_options(&q(&[("output", "weird")]), d).unwrap().output,
            OutputMode::Envelope
        );
        for bad in [
            ("timeout", "0"),
            ("timeout", "3001"),
            ("timeout", "x"),
            ("timeout", "NaN"),
            ("stdout", "maybe"),
        ] {
            assert!(parse_options(&q(&[bad]), d).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn references_from_paths() {
        assert_eq!(
            reference_from_path("/v1/algo/demo/Hello/")
                .unwrap()
                .to_string(),
            "demo/Hello"
        );
        assert_eq!(
            reference_from_path("/v1/algo/demo/Hello/1.2.*")
                .unwrap()
                .to_string(),
            "demo/Hello/1.2.*"
        );
        assert_eq!(
            reference_from_path("/v1/algo/demo").unwrap_err().status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            reference_from_path("/v1/algo/demo/Hello/1.x")
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn inputs_by_content_type() {
        let h = |ct: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            h
        };
        let b = |s: &str| bytes::Bytes::from(s.to_owned());
        assert_eq!(
            input_from(&h("application/json; charset=UTF-8"), b("[1]")).unwrap(),
            Input::Json(serde_json::json!([1]))
        );
        assert_eq!(
            input_from(&h("text/plain; charset=UTF-8"), b("hi")).unwrap(),
            Input::Text("hi".into())
        );
        assert_eq!(
            input_from(&h("application/text"), b("hi")).unwrap(),
            Input::Text("hi".into())
        );
        assert_eq!(
            input_from(&h("application/octet-stream"), b("hi")).unwrap(),
            Input::Binary(b("hi"))
        );
        assert_eq!(
            input_from(&HeaderMap::new(), b("hi")).unwrap(),
            Input::Binary(b("hi"))
        );
        assert_eq!(
            input_from(&h("application/json"), b("{"))
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
    }
}
