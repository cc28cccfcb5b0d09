//! The one error type of this crate.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::algo_ref::AlgoRefError;
use crate::data_uri::DataUriError;
use crate::wire::{self, ErrorEnvelope, Metadata};

/// A boxed error from a lower layer (HTTP stack, JSON, I/O), kept as a `source` so that other
/// crates' types never appear in this crate's public API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when talking to the API.
///
/// Match on the variant to tell an algorithm's own failure from the platform refusing the call,
/// a network problem, or a mistake caught before sending. Every variant's `Display` says what was
/// attempted, on what, and what came back; none of them contains the API key.
///
/// ```
/// use algorithmia_client::{Client, Error};
///
/// # async fn run(client: Client) {
/// match client.algo("demo/Hello").pipe("world").await {
///     Ok(response) => println!("{}", response.as_text().unwrap_or_default()),
///     Err(Error::Algorithm(e)) => eprintln!("the algorithm failed: {} ({:?})", e.message, e.error_type),
///     Err(e) if e.is_timeout() => eprintln!("gave up waiting: {e}"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The algorithm ran and raised an error.
    #[error(transparent)]
    Algorithm(Box<AlgorithmError>),
    /// The API refused or failed the request (an HTTP error status).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request did not complete: connect failure, timeout, broken connection.
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// A response arrived but its body was not what the API sends.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The algorithm reference does not parse.
    #[error(transparent)]
    InvalidAlgoRef(#[from] AlgoRefError),
    /// A setting of the client or of a call is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The input is larger than the API accepts; nothing was sent.
    #[error("input of {size} bytes is larger than the limit of {limit} bytes; nothing was sent")]
    InputTooLarge {
        /// Size of the encoded input.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A local file could not be read or written.
    #[error("could not read or write {path}")]
    Io {
        /// The local path.
        path: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A data URI does not parse.
    #[error(transparent)]
    InvalidDataUri(#[from] DataUriError),
    /// A data path is a directory where a file was expected, or the other way round.
    #[error("{uri} is a {found}, not a {expected}")]
    WrongType {
        /// The URI.
        uri: String,
        /// What the operation needs: `file` or `directory`.
        expected: &'static str,
        /// What the server says it is.
        found: String,
    },
    /// The input could not be serialised to JSON; nothing was sent.
    #[error("could not serialise the input as JSON")]
    Serialize {
        /// What serde reported.
        #[source]
        source: BoxError,
    },
    /// A forced directory delete removed some files and then failed: the API answered
    /// `{"error": {"deleted": N}}`.
    #[error("deleting {uri} stopped after {deleted} files: {message}")]
    PartialDelete {
        /// The directory.
        uri: String,
        /// How many files were removed before it stopped.
        deleted: u64,
        /// The API's message, or a description when it sent none.
        message: String,
    },
    /// The path exists neither as the API answered for it nor in its parent's listing.
    #[error("{uri} was not found")]
    NotFound {
        /// The data URI.
        uri: String,
    },
}

/// Shorthand for `Result<T, algorithmia_client::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Algorithm(e) => Some(e.status),
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => e.status,
            _ => None,
        }
    }

    /// Whether the request timed out on the client side, or the algorithm hit its server-side
    /// timeout (`error_type` `TimeoutError`).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) => e.kind == TransportKind::Timeout,
            Error::Algorithm(e) => e.error_type.as_deref() == Some("TimeoutError"),
            _ => false,
        }
    }

    /// Whether the connection could not be established (nothing reached the server).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportKind::Connect)
    }

    /// Whether the API answered 404, or the path was found missing some other way.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. }) || self.status() == Some(404)
    }

    /// The algorithm's error, when the algorithm itself failed.
    pub fn algorithm_error(&self) -> Option<&AlgorithmError> {
        match self {
            Error::Algorithm(e) => Some(e),
            _ => None,
        }
    }

    /// The API's error, when the platform refused the request.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }

    pub(crate) fn serialize(source: impl Into<BoxError>) -> Self {
        Error::Serialize {
            source: source.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A failure of one attempt at a request, with no request id.
    pub(crate) fn transport(
        method: &Method,
        url: &Url,
        kind: TransportKind,
        source: BoxError,
    ) -> Self {
        Error::Transport(Box::new(TransportError::new(method, url, kind, source)))
    }

    /// The HTTP stack's failure after `attempts` attempts at a request sent with `request_id`.
    pub(crate) fn transport_failure(
        method: &Method,
        url: &Url,
        error: reqwest::Error,
        attempts: u32,
        request_id: Option<&HeaderValue>,
    ) -> Self {
        let mut failure =
            TransportError::new(method, url, TransportKind::of(&error), Box::new(error));
        failure.attempts = attempts;
        failure.request_id = request_id.and_then(|v| v.to_str().ok()).map(str::to_owned);
        Error::Transport(Box::new(failure))
    }

    /// A non-success answer as [`Error::Api`], its message taken from an `{"error":{...}}` body,
    /// the `X-Error-Message` header, or the status line, in that order.
    pub(crate) fn api(
        method: &Method,
        url: &Url,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let mut error = ApiError {
            method: method.to_string(),
            path: url.path().to_owned(),
            status: status.as_u16(),
            message: String::new(),
            error_type: None,
            code: None,
            id: None,
            body_snippet: None,
        };
        if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(body) {
            error.message = envelope.error.message;
            error.error_type = envelope.error.error_type;
            error.code = envelope.error.code;
            error.id = envelope.error.id;
        } else if !body.is_empty() {
            error.body_snippet = Some(snippet(body, 200));
        }
        if error.message.is_empty() {
            error.message = headers
                .get(wire::HEADER_ERROR_MESSAGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    status
                        .canonical_reason()
                        .unwrap_or("unknown status")
                        .to_owned()
                });
        }
        Error::Api(Box::new(error))
    }

    /// A body that did not decode as `what`.
    pub(crate) fn decode(
        what: impl Into<String>,
        path: impl Into<String>,
        status: Option<u16>,
        snippet: String,
        source: BoxError,
    ) -> Self {
        Error::Decode(Box::new(DecodeError {
            what: what.into(),
            path: path.into(),
            status,
            snippet,
            source,
        }))
    }
}

/// An algorithm ran and raised an error.
#[derive(Debug, Clone)]
pub struct AlgorithmError {
    /// The algorithm that was called, as `owner/name[/version]`.
    pub algorithm: String,
    /// The algorithm's message.
    pub message: String,
    /// The error class: `InputError`, `AlgorithmError`, `TimeoutError`, ...
    pub error_type: Option<String>,
    /// The stack trace, when the caller may see the source.
    pub stacktrace: Option<String>,
    /// Metadata sent with the error (duration, stdout, request id).
    pub metadata: Option<Metadata>,
    /// The HTTP status it arrived with (200 for the classic envelope, 400 for raw output).
    pub status: u16,
}

impl fmt::Display for AlgorithmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "algorithm {} raised {}: {}",
            self.algorithm,
            self.error_type.as_deref().unwrap_or("an error"),
            if self.message.is_empty() {
                "(no message)"
            } else {
                &self.message
            }
        )?;
        if let Some(id) = self.metadata.as_ref().and_then(|m| m.request_id.as_deref()) {
            write!(f, " (request {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AlgorithmError {}

/// The API refused or failed a request.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP method of the request.
    pub method: String,
    /// The request path, such as `/v1/algo/demo/Hello`.
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The message: from the `{"error":{"message"}}` body, the `X-Error-Message` header, or the
    /// status line, in that order.
    pub message: String,
    /// The error class, when the body named one.
    pub error_type: Option<String>,
    /// The numeric error code, when the body carried one (e.g. 2002 unknown API key).
    pub code: Option<i64>,
    /// The error instance id, when the body carried one.
    pub id: Option<String>,
    /// The start of the body when it was not an error object, to help diagnose proxies and the like.
    pub body_snippet: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} failed with HTTP {}: {}",
            self.method, self.path, self.status, self.message
        )?;
        if let Some(code) = self.code {
            write!(f, " (code {code})")?;
        }
        if let Some(snippet) = &self.body_snippet {
            write!(f, "; body: {snippet}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be made; the request never reached the server.
    Connect,
    /// The client-side timeout elapsed.
    Timeout,
    /// The connection broke while sending or receiving.
    Other,
}

/// The request did not complete.
#[derive(Debug)]
pub struct TransportError {
    /// The HTTP method of the request.
    pub method: String,
    /// The request path.
    pub path: String,
    /// What kind of failure.
    pub kind: TransportKind,
    /// How many attempts were made.
    pub attempts: u32,
    /// For an algorithm call, the `X-Request-Id` it was sent with (the same on every attempt):
    /// when the connection broke after the request went out, the call may have run, and this is
    /// the id to ask the server about.
    pub request_id: Option<String>,
    pub(crate) source: BoxError,
}

impl TransportKind {
    /// What kind of failure the HTTP stack reported.
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            TransportKind::Timeout
        } else if error.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        }
    }
}

impl TransportError {
    /// A failure of one attempt, with no request id.
    pub(crate) fn new(method: &Method, url: &Url, kind: TransportKind, source: BoxError) -> Self {
        TransportError {
            method: method.to_string(),
            path: url.path().to_owned(),
            kind,
            attempts: 1,
            request_id: None,
            source,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Other => "failed",
        };
        write!(f, "{} {} {what}", self.method, self.path)?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        // The cause is the `source()`, not repeated here: error reporters print the chain.
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// A response whose body does not decode.
#[derive(Debug)]
pub struct DecodeError {
    /// What was being decoded, such as `algorithm response` or `void response`.
    pub what: String,
    /// The request path.
    pub path: String,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The first part of the body, for diagnosis.
    pub snippet: String,
    pub(crate) source: BoxError,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not decode the {} from {}", self.what, self.path)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if !self.snippet.is_empty() {
            write!(f, "; body starts {:?}", self.snippet)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The first `max` characters of a body, for error messages.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max || body.len() > max * 4 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snippet of any body is at most `max` characters and an ellipsis.
    #[test]
    fn snippets_are_bounded() {
        use proptest::prelude::*;
        use testkit::hostile::{bounded, config};

        bounded(std::time::Duration::from_secs(60), || {
            proptest!(config(1000), |(
                bytes in prop::collection::vec(any::<u8>(), 0..1200),
                max in 0usize..300,
            )| {
                let s = snippet(&bytes, max);
                prop_assert!(s.chars().count() <= max + 1);
            });
        });
        assert_eq!(snippet(b"abcdef", 3), "abc\u{2026}");
    }
}
