//! Calling the algorithm: the trait the dispatcher sends inputs through, and its implementation
//! over the Algorithmia API.

use std::future::Future;
use std::time::{Duration, Instant};

use algorithmia_client::{AlgoInput, AlgoOutput, Algorithm, Error, Raw, Void};
use bytes::Bytes;
use serde_json::Value;

use crate::config::OutputMode;
use crate::encoding::to_base64;
use crate::events::Payload;

/// What a successful call returned.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutput {
    /// A JSON result.
    Json(Value),
    /// A text result.
    Text(String),
    /// A binary result.
    Binary(Bytes),
    /// No result (void content, or `output=void`, with its request id).
    Void(Option<String>),
    /// `output=raw`: the body and its content type.
    Raw(Bytes, Option<String>),
}

impl CallOutput {
    /// The output as JSON, for a direct invocation's result (bytes as base64).
    pub fn to_json(&self) -> Value {
        match self {
            CallOutput::Json(v) => v.clone(),
            CallOutput::Text(s) => Value::String(s.clone()),
            CallOutput::Binary(b) => Value::String(to_base64(b)),
            CallOutput::Void(_) => Value::Null,
            CallOutput::Raw(body, _) => Payload::sniff(body.clone()).to_json(),
        }
    }
}

/// Calls the configured algorithm with one input. [`ApiCaller`] does it over the Algorithmia
/// API; tests may use their own, as [`Blueprint::with_caller`](crate::Blueprint::with_caller)
/// takes any.
///
/// ```
/// use std::time::{Duration, Instant};
/// use lambda_blueprint::{AlgorithmCaller, CallOutput};
/// use lambda_blueprint::events::Payload;
///
/// /// Answers every input with itself.
/// struct Echo;
///
/// impl AlgorithmCaller for Echo {
///     async fn call(
///         &self,
///         input: Payload,
///         _timeout: Duration,
///         _deadline: Option<Instant>,
///     ) -> Result<CallOutput, algorithmia_client::Error> {
///         Ok(CallOutput::Json(input.to_json()))
///     }
/// }
/// ```
pub trait AlgorithmCaller: Send + Sync {
    /// Call the algorithm with `input`, letting it run for at most `timeout`, and be done,
    /// retries included, by `deadline` (the invocation's deadline less the time kept back for
    /// answering Lambda; none when the invocation has no deadline).
    fn call(
        &self,
        input: Payload,
        timeout: Duration,
        deadline: Option<Instant>,
    ) -> impl Future<Output = Result<CallOutput, Error>> + Send;
}

/// The algorithm on the Algorithmia API, called through the SDK in the configured output mode.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    algorithm: Algorithm,
    output: OutputMode,
}

impl ApiCaller {
    /// Calls of `algorithm` (a handle from [`algorithmia_client::Client::algo`]) in `output` mode.
    pub fn new(algorithm: Algorithm, output: OutputMode) -> ApiCaller {
        ApiCaller { algorithm, output }
    }
}

impl AlgorithmCaller for ApiCaller {
    /// The SDK call, with `deadline` as its [`Algorithm::deadline`]: no attempt or retry of it
    /// outlives the invocation, and a 429 it has no time to wait for comes back as the 429.
    async fn call(
        &self,
        input: Payload,
        timeout: Duration,
        deadline: Option<Instant>,
    ) -> Result<CallOutput, Error> {
        let input = match input {
            Payload::Json(v) => AlgoInput::Json(v),
            Payload::Text(s) => AlgoInput::Text(s),
            Payload::Binary(b) => AlgoInput::Binary(b),
        };
        let mut algorithm = self.algorithm.clone().timeout(timeout);
        if let Some(deadline) = deadline {
            algorithm = algorithm.deadline(deadline);
        }
        Ok(match self.output {
            OutputMode::Default => match algorithm.pipe(input).await?.into_output() {
                AlgoOutput::Json(v) => CallOutput::Json(v),
                AlgoOutput::Text(s) => CallOutput::Text(s),
                AlgoOutput::Binary(b) => CallOutput::Binary(b),
                AlgoOutput::Void => CallOutput::Void(None),
            },
            OutputMode::Raw => {
                let raw = algorithm.output(Raw).pipe(input).await?;
                CallOutput::Raw(raw.body, raw.content_type)
            }
            OutputMode::Void => {
                CallOutput::Void(Some(algorithm.output(Void).pipe(input).await?.request_id))
            }
        })
    }
}
