//! What an algorithm call returns, for each output mode.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{AlgorithmError, BoxError, Error, Result, snippet};
use crate::wire::{self, AsyncProtocol, ContentType, ErrorBody, Metadata};

/// The result of an algorithm call, decoded according to `metadata.content_type`.
#[derive(Debug, Clone, PartialEq)]
pub enum AlgoOutput {
    /// A JSON value (also used for content types this crate does not know).
    Json(Value),
    /// Text.
    Text(String),
    /// Bytes, decoded from the wire's base64.
    Binary(Bytes),
    /// Nothing.
    Void,
}

/// A successful algorithm call: the output and its metadata.
///
/// ```
/// # use algorithmia_client::AlgoResponse;
/// # fn show(response: AlgoResponse) -> Result<(), algorithmia_client::Error> {
/// #[derive(serde::Deserialize)]
/// struct Sentiment { score: f64 }
///
/// let typed: Vec<Sentiment> = response.decode()?;
/// println!("took {:?}, request {:?}", response.duration(), response.request_id());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AlgoResponse {
    algorithm: String,
    output: AlgoOutput,
    metadata: Metadata,
}

impl AlgoResponse {
    /// The output.
    pub fn output(&self) -> &AlgoOutput {
        &self.output
    }

    /// The output, by value.
    pub fn into_output(self) -> AlgoOutput {
        self.output
    }

    /// All metadata, unknown fields included.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// What the algorithm returned.
    pub fn content_type(&self) -> Option<&ContentType> {
        self.metadata.content_type.as_ref()
    }

    /// How long the call ran on the server.
    pub fn duration(&self) -> Option<Duration> {
        self.metadata
            .duration
            .and_then(|d| Duration::try_from_secs_f64(d).ok())
    }

    /// The algorithm's standard output, when it was asked for and returned.
    pub fn stdout(&self) -> Option<&str> {
        self.metadata.stdout.as_deref()
    }

    /// API alerts sent with the result.
    pub fn alerts(&self) -> &[String] {
        &self.metadata.alerts
    }

    /// The request id, from the top level or from `metadata`.
    pub fn request_id(&self) -> Option<&str> {
        self.metadata.request_id.as_deref()
    }

    /// The text, for a text result.
    pub fn as_text(&self) -> Option<&str> {
        match &self.output {
            AlgoOutput::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The JSON value, for a JSON result.
    pub fn as_json(&self) -> Option<&Value> {
        match &self.output {
            AlgoOutput::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The bytes, for a binary result.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.output {
            AlgoOutput::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// Whether the algorithm returned nothing.
    pub fn is_void(&self) -> bool {
        matches!(self.output, AlgoOutput::Void)
    }

    /// Decode a JSON (or text, or void) result into `T`. The error names the failing field.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        let value;
        let source = match &self.output {
            AlgoOutput::Json(v) => v,
            AlgoOutput::Text(s) => {
                value = Value::String(s.clone());
                &value
            }
            AlgoOutput::Void => &Value::Null,
            AlgoOutput::Binary(_) => {
                return Err(self.decode_error::<T>(
                    "the result is binary; use as_bytes()".into(),
                    String::new(),
                ));
            }
        };
        serde_path_to_error::deserialize(source).map_err(|e| {
            let text = source.to_string();
            self.decode_error::<T>(e.to_string().into(), snippet(text.as_bytes(), 120))
        })
    }

    fn decode_error<T>(&self, source: BoxError, snippet: String) -> Error {
        Error::decode(
            format!("result as {}", std::any::type_name::<T>()),
            self.algorithm.clone(),
            None,
            snippet,
            source,
        )
    }
}

/// The answer to an `output=raw` call: the algorithm's output with no envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    /// The body, as received.
    pub body: Bytes,
    /// The response's `Content-Type`, if any.
    pub content_type: Option<String>,
}

impl RawResponse {
    /// The body as UTF-8 text, if it is.
    pub fn as_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

/// The answer to an `output=void` call: the call was started and will not be waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncResponse {
    /// The protocol the API names (`"void"`, or a boolean on some servers).
    pub async_protocol: AsyncProtocol,
    /// The id of the started request.
    pub request_id: String,
}

/// What a decoder needs to know besides the body.
pub(crate) struct DecodeContext<'a> {
    pub(crate) algorithm: &'a str,
    pub(crate) method: &'a reqwest::Method,
    pub(crate) url: &'a url::Url,
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: Bytes,
}

/// Any response of `/v1/algo`, read once; which parts are present decides what it is. Each field
/// is read on its own, so one of an unexpected type never hides the others, above all `error`.
struct AnyEnvelope {
    /// `Some(Null)` for `"result": null`, `None` for no `result` at all.
    result: Option<Value>,
    error: Option<ErrorBody>,
    metadata: Option<Metadata>,
    request_id: Option<String>,
    async_protocol: Option<AsyncProtocol>,
}

impl AnyEnvelope {
    /// The envelope of a body, or `None` when the body is not a JSON object.
    fn parse(body: &[u8]) -> Option<AnyEnvelope> {
        let mut map = wire::json_object(body)?;
        Some(AnyEnvelope {
            result: map.remove("result"),
            error: map.remove("error").and_then(wire::lenient_error),
            metadata: match map.remove("metadata") {
                Some(Value::Object(m)) => Some(Metadata::from_map(m)),
                _ => None,
            },
            request_id: map.get("request_id").and_then(wire::lenient_request_id),
            async_protocol: match map.remove("async") {
                Some(Value::String(s)) => Some(AsyncProtocol::Name(s)),
                Some(Value::Bool(b)) => Some(AsyncProtocol::Flag(b)),
                _ => None,
            },
        })
    }
}

impl DecodeContext<'_> {
    fn decode_error(&self, what: &str, source: BoxError) -> Error {
        Error::decode(
            what,
            self.url.path(),
            Some(self.status.as_u16()),
            snippet(&self.body, 200),
            source,
        )
    }

    fn algorithm_error(&self, body: ErrorBody, metadata: Option<Metadata>) -> Error {
        Error::Algorithm(Box::new(AlgorithmError {
            algorithm: self.algorithm.to_owned(),
            message: body.message,
            error_type: body.error_type,
            stacktrace: body.stacktrace,
            metadata,
            status: self.status.as_u16(),
        }))
    }

    fn api_error(&self) -> Error {
        Error::api(self.method, self.url, self.status, self.headers, &self.body)
    }

    /// Parse the body and turn an `error` key, on any status, into the matching error. Returns the
    /// parsed envelope otherwise, or `None` when the body is not a JSON object.
    fn envelope(&self) -> Result<Option<AnyEnvelope>> {
        let Some(mut envelope) = AnyEnvelope::parse(&self.body) else {
            return Ok(None);
        };
        if let Some(error) = envelope.error.take() {
            let metadata = envelope.metadata.take().map(|mut m| {
                if m.request_id.is_none() {
                    m.request_id = envelope.request_id.take();
                }
                m
            });
            // An error that came with metadata, or on a success status, came from running the
            // algorithm; anything else is the platform refusing the request.
            return Err(if self.status.is_success() || metadata.is_some() {
                self.algorithm_error(error, metadata)
            } else {
                self.api_error()
            });
        }
        Ok(Some(envelope))
    }

    /// Decode the default envelope.
    pub(crate) fn into_algo_response(self) -> Result<AlgoResponse> {
        let envelope = self.envelope()?;
        if !self.status.is_success() {
            return Err(self.api_error());
        }
        let Some(envelope) = envelope else {
            let source = serde_json::from_slice::<Value>(&self.body)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "not a JSON object".into());
            return Err(self.decode_error("algorithm response", source.into()));
        };
        let Some(mut metadata) = envelope.metadata else {
            return Err(self.decode_error(
                "algorithm response",
                "the response has neither `error` nor `metadata`".into(),
            ));
        };
        if metadata.request_id.is_none() {
            metadata.request_id = envelope.request_id;
        }
        let result = envelope.result.unwrap_or(Value::Null);
        let output = match (&metadata.content_type, result) {
            (Some(ContentType::Text), Value::String(s)) => AlgoOutput::Text(s),
            (Some(ContentType::Text), other) => {
                return Err(self.decode_error(
                    "text result",
                    format!("expected a string, got {}", kind_of(&other)).into(),
                ));
            }
            (Some(ContentType::Binary), Value::String(s)) => AlgoOutput::Binary(Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_err(|e| self.decode_error("binary result", Box::new(e)))?,
            )),
            (Some(ContentType::Binary), other) => {
                return Err(self.decode_error(
                    "binary result",
                    format!("expected a base64 string, got {}", kind_of(&other)).into(),
                ));
            }
            (Some(ContentType::Void), _) => AlgoOutput::Void,
            (None, Value::Null) => AlgoOutput::Void,
            (_, value) => AlgoOutput::Json(value),
        };
        Ok(AlgoResponse {
            algorithm: self.algorithm.to_owned(),
            output,
            metadata,
        })
    }

    /// Decode an `output=void` answer.
    pub(crate) fn into_async_response(self) -> Result<AsyncResponse> {
        let envelope = self.envelope()?;
        if !self.status.is_success() {
            return Err(self.api_error());
        }
        match envelope {
            Some(AnyEnvelope {
                async_protocol: Some(async_protocol),
                request_id: Some(request_id),
                ..
            }) => Ok(AsyncResponse {
                async_protocol,
                request_id,
            }),
            Some(AnyEnvelope {
                metadata: Some(metadata),
                request_id,
                ..
            }) if metadata.request_id.is_some() || request_id.is_some() => Ok(AsyncResponse {
                // A server that ran the call anyway: keep its request id.
                async_protocol: AsyncProtocol::Name("void".into()),
                request_id: request_id.or(metadata.request_id).unwrap_or_default(),
            }),
            _ => Err(self.decode_error(
                "void response",
                "expected {\"async\": ..., \"request_id\": ...}".into(),
            )),
        }
    }

    /// Decode an `output=raw` answer. A 2xx body is returned untouched, even if it looks like an
    /// error object, since it is the algorithm's own output.
    pub(crate) fn into_raw_response(self) -> Result<RawResponse> {
        if self.status.is_success() {
            return Ok(RawResponse {
                content_type: self
                    .headers
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: self.body,
            });
        }
        if self.status == StatusCode::BAD_REQUEST
            && let Some(envelope) = AnyEnvelope::parse(&self.body)
            && let Some(error) = envelope.error
        {
            // Raw output reports an algorithm's failure as 400 with the error object.
            return Err(self.algorithm_error(error, envelope.metadata));
        }
        self.envelope()?;
        Err(self.api_error())
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
