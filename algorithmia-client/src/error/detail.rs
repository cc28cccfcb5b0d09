//! What each kind of failure carries: the algorithm's error, the API's, the transport's, and
//! an undecodable answer.

use std::fmt;

use reqwest::Method;
use url::Url;

use super::BoxError;
use crate::wire::Metadata;

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
    /// How many attempts were made (0 when the call's deadline had passed before the first).
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
        if self.attempts == 0 {
            f.write_str(" before it was sent")?;
        } else if self.attempts > 1 {
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
