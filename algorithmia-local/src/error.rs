//! The errors the server's parts share: [`AlgoError`], what an algorithm raises, and `AppError`,
//! every failure the server answers with, written as the API's error JSON.

use std::fmt;

use algorithmia_client::wire::{ErrorBody, ErrorEnvelope, HEADER_ERROR_MESSAGE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The error type of a call refused for lack of capacity (HTTP 503).
pub(crate) const CAPACITY_ERROR: &str = "CapacityError";

/// An error an algorithm raises: a message and an error type (`AlgorithmError` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgoError {
    /// What went wrong.
    pub message: String,
    /// The class: `InputError`, `AlgorithmError`, `EntityNotFoundError`, ...
    pub error_type: String,
    /// A stack trace, if the algorithm has one to show.
    pub stacktrace: Option<String>,
    /// Set by the server, never by an algorithm: the call did not run because the algorithm has
    /// no capacity left (its workers and queue are full), so the API answers 503.
    pub(crate) unavailable: bool,
}

impl AlgoError {
    /// An `AlgorithmError`.
    pub fn new(message: impl Into<String>) -> Self {
        AlgoError::with_type("AlgorithmError", message)
    }

    /// An `InputError`: the caller's input is wrong.
    pub fn input(message: impl Into<String>) -> Self {
        AlgoError::with_type("InputError", message)
    }

    /// An error of any type.
    pub fn with_type(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        AlgoError {
            message: message.into(),
            error_type: error_type.into(),
            stacktrace: None,
            unavailable: false,
        }
    }

    /// The call was not run: no capacity (answered as HTTP 503, which clients may retry).
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        AlgoError {
            unavailable: true,
            ..AlgoError::with_type(CAPACITY_ERROR, message)
        }
    }
}

impl fmt::Display for AlgoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for AlgoError {}

/// An error response: a status and an `{"error": {...}}` body, with the message repeated in
/// `X-Error-Message` for HEAD requests, which have no body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AppError {
    pub(crate) status: StatusCode,
    pub(crate) body: Box<ErrorBody>,
}

impl AppError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        AppError {
            status,
            body: Box::new(ErrorBody::new(message)),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        AppError::new(StatusCode::NOT_FOUND, message)
    }

    /// An unexpected failure: the detail goes to the log, the caller gets a generic message.
    pub(crate) fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }

    pub(crate) fn code(mut self, code: i64) -> Self {
        self.body.code = Some(code);
        self
    }

    pub(crate) fn error_type(mut self, error_type: &str) -> Self {
        self.body.error_type = Some(error_type.to_owned());
        self
    }
}

/// A header-safe copy of a message: visible ASCII and spaces only.
pub(crate) fn header_text(message: &str) -> HeaderValue {
    let clean: String = message
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .take(1024)
        .collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let header = header_text(&self.body.message);
        let mut response = (
            self.status,
            axum::Json(ErrorEnvelope {
                error: *self.body,
                metadata: None,
            }),
        )
            .into_response();
        response.headers_mut().insert(HEADER_ERROR_MESSAGE, header);
        response
    }
}
