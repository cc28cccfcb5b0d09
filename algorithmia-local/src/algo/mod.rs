//! Hosted algorithms: what they receive, what they return, and how versions resolve.

pub(crate) mod adk;
pub(crate) mod builtins;
pub(crate) mod hosted;
pub(crate) mod pool;
#[cfg(feature = "workflow-algorithms")]
mod predict;
mod registry;
#[cfg(feature = "workflow-algorithms")]
mod thumbnail;
mod worker;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::context::Context;
use crate::error::AlgoError;

pub use adk::{AdkAlgorithm, FIFO_PATH};
pub use registry::{AlgorithmDef, PublishedVersion, Visibility};
pub(crate) use registry::{Registry, ResolveError, Resolved};

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

/// What an algorithm's handler returns.
pub type AlgoResult = Result<Output, AlgoError>;

/// A boxed handler future.
pub type BoxFuture = Pin<Box<dyn Future<Output = AlgoResult> + Send + 'static>>;

/// The handler of a hosted algorithm.
pub(crate) type Handler = Arc<dyn Fn(Input, Context) -> BoxFuture + Send + Sync>;
