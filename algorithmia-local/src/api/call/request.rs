//! Reading an algorithm call: the algorithm from the path, the options from the query, the
//! input from the body's media type, and the request id from its header.

use std::time::Duration;

use algorithmia_client::AlgoRef;
use algorithmia_client::wire::{self, MAX_ALGO_TIMEOUT_SECS};
use axum::http::{HeaderMap, header};
use percent_encoding::percent_decode_str;

use crate::algo::Input;
use crate::error::AppError;

/// How the caller wants the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutputMode {
    /// The JSON envelope with the result and its metadata.
    Envelope,
    /// The bare result (`output=raw`).
    Raw,
    /// Nothing but the request id; the call runs on (`output=void`).
    Void,
}

/// The options of one call, from the query string.
#[derive(Debug)]
pub(super) struct CallOptions {
    /// How long the algorithm may run.
    pub(super) timeout: Duration,
    /// Whether to return the algorithm's stdout in the metadata.
    pub(super) stdout: bool,
    pub(super) output: OutputMode,
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

/// The options of a call from its query string; unknown parameters are ignored.
pub(super) fn parse_options(
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
pub(super) fn reference_from_path(path: &str) -> Result<AlgoRef, AppError> {
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
pub(super) fn input_from(headers: &HeaderMap, body: bytes::Bytes) -> Result<Input, AppError> {
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
pub(super) fn request_id_of(headers: &HeaderMap) -> String {
    headers
        .get(wire::HEADER_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| format!("req-{}", uuid::Uuid::new_v4()), str::to_owned)
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

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
