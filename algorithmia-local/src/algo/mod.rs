//! Hosted algorithms: what they receive, what they return, and how versions resolve.

pub(crate) mod adk;
pub(crate) mod builtins;
mod predict;
mod registry;
pub(crate) mod route;
mod thumbnail;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use algorithmia_client::AlgoRef;
use bytes::Bytes;
use serde_json::Value;

use crate::data::DataApi;

pub use adk::{AdkAlgorithm, FIFO_PATH};
pub(crate) use registry::Registry;
pub use registry::{AlgorithmDef, PublishedVersion, Visibility};

/// An algorithm's input, decided by the request's `Content-Type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `application/json`.
    Json(Value),
    /// `text/plain` or `application/text`.
    Text(String),
    /// `application/octet-stream` (and anything unrecognised).
    Binary(Bytes),
}

impl Input {
    /// The JSON value, for JSON input.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Input::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The text, for text input, or for JSON input that is a string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Input::Text(s) => Some(s),
            Input::Json(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The bytes, for binary input.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Input::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The name of the kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Json(_) => "JSON",
            Input::Text(_) => "text",
            Input::Binary(_) => "binary",
        }
    }
}

/// What an algorithm returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A JSON value.
    Json(Value),
    /// Text.
    Text(String),
    /// Bytes (sent base64-encoded in the envelope, raw with `output=raw`).
    Binary(Bytes),
    /// Nothing.
    Void,
}

impl From<Input> for Output {
    fn from(input: Input) -> Self {
        match input {
            Input::Json(v) => Output::Json(v),
            Input::Text(s) => Output::Text(s),
            Input::Binary(b) => Output::Binary(b),
        }
    }
}

/// An error an algorithm raises: a message and an error type (`AlgorithmError` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgoError {
    /// What went wrong.
    pub message: String,
    /// The class: `InputError`, `AlgorithmError`, `EntityNotFoundError`, ...
    pub error_type: String,
    /// A stack trace, if the algorithm has one to show.
    pub stacktrace: Option<String>,
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
        }
    }
}

impl fmt::Display for AlgoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for AlgoError {}

/// What an algorithm's handler returns.
pub type AlgoResult = Result<Output, AlgoError>;

/// A boxed handler future.
pub type BoxFuture = Pin<Box<dyn Future<Output = AlgoResult> + Send + 'static>>;

/// The handler of a hosted algorithm.
pub(crate) type Handler = Arc<dyn Fn(Input, Context) -> BoxFuture + Send + Sync>;

/// What a running algorithm knows about its call.
#[derive(Clone)]
pub struct Context {
    pub(crate) user: String,
    pub(crate) request_id: String,
    pub(crate) algorithm: AlgoRef,
    pub(crate) data: DataApi,
    pub(crate) stdout: Arc<Mutex<String>>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("user", &self.user)
            .field("request_id", &self.request_id)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The user who called the algorithm.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The request id (`req-<uuid>`), also returned to the caller.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The algorithm being run, at its resolved version.
    pub fn algorithm(&self) -> &AlgoRef {
        &self.algorithm
    }

    /// The server's data API, acting as the caller with this algorithm's rights: `data://`,
    /// `data://.my/...` (the caller's), `data://.algo/...` and connector URIs.
    pub fn data(&self) -> &DataApi {
        &self.data
    }

    /// Append to the algorithm's standard output (returned as `metadata.stdout` when asked for).
    pub fn print(&self, text: &str) {
        if let Ok(mut out) = self.stdout.lock() {
            out.push_str(text);
        }
    }

    pub(crate) fn take_stdout(&self) -> String {
        self.stdout
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}
