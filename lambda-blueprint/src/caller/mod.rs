//! Calling the algorithm: the trait the dispatcher sends inputs through, and its implementation
//! over the Algorithmia API.

pub(crate) mod rotation;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use algorithmia_client::{AlgoInput, AlgoOutput, Algorithm, Error, Raw, Void};
use bytes::Bytes;
use serde_json::Value;

use crate::config::OutputMode;
use crate::encoding::to_base64;
use crate::events::Payload;
use rotation::Rotating;

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
///
/// When the key comes from SSM or Secrets Manager
/// ([`Blueprint::with_key_stores`](crate::Blueprint::with_key_stores)), a call the API refuses
/// with 401 makes the key be read again once, for every record of the execution environment; if
/// the key changed, the call is sent again with it.
#[derive(Clone)]
pub struct ApiCaller {
    handle: Handle,
    output: OutputMode,
}

#[derive(Clone)]
enum Handle {
    /// A key that stays as it is.
    Fixed(Algorithm),
    /// A key that is read again when the API refuses it.
    Rotating(Arc<Rotating<Algorithm>>),
}

impl fmt::Debug for ApiCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ApiCaller");
        match &self.handle {
            Handle::Fixed(algorithm) => s.field("algorithm", algorithm),
            Handle::Rotating(rotating) => s.field("rotating", rotating),
        };
        s.field("output", &self.output).finish()
    }
}

impl ApiCaller {
    /// Calls of `algorithm` (a handle from [`algorithmia_client::Client::algo`]) in `output` mode.
    pub fn new(algorithm: Algorithm, output: OutputMode) -> ApiCaller {
        ApiCaller {
            handle: Handle::Fixed(algorithm),
            output,
        }
    }

    /// Calls through a handle whose key is read again when the API refuses it.
    pub(crate) fn rotating(rotating: Rotating<Algorithm>, output: OutputMode) -> ApiCaller {
        ApiCaller {
            handle: Handle::Rotating(Arc::new(rotating)),
            output,
        }
    }

    async fn call_with(
        &self,
        algorithm: &Algorithm,
        input: Payload,
        timeout: Duration,
        deadline: Option<Instant>,
    ) -> Result<CallOutput, Error> {
        let input = match input {
            Payload::Json(v) => AlgoInput::Json(v),
            Payload::Text(s) => AlgoInput::Text(s),
            Payload::Binary(b) => AlgoInput::Binary(b),
        };
        let mut algorithm = algorithm.clone().timeout(timeout);
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

impl AlgorithmCaller for ApiCaller {
    /// The SDK call, with `deadline` as its [`Algorithm::deadline`]: no attempt or retry of it
    /// (nor the call again after a key rotation) outlives the invocation, and a 429 it has no time
    /// to wait for comes back as the 429.
    async fn call(
        &self,
        input: Payload,
        timeout: Duration,
        deadline: Option<Instant>,
    ) -> Result<CallOutput, Error> {
        let rotating = match &self.handle {
            Handle::Fixed(algorithm) => {
                return self.call_with(algorithm, input, timeout, deadline).await;
            }
            Handle::Rotating(rotating) => rotating,
        };
        let started = Instant::now();
        let (algorithm, generation) = rotating.current().await;
        match self
            .call_with(&algorithm, input.clone(), timeout, deadline)
            .await
        {
            // Once: a second refusal, with the new key, is the record's failure.
            Err(Error::Api(refused)) if refused.status == 401 => {
                match rotating.after_refusal(generation).await {
                    Some(algorithm) => {
                        // The refusal and the read took some of the call's time (whole seconds,
                        // as the API takes them).
                        let left = timeout.saturating_sub(started.elapsed()).as_secs().max(1);
                        self.call_with(&algorithm, input, Duration::from_secs(left), deadline)
                            .await
                    }
                    None => Err(Error::Api(refused)),
                }
            }
            other => other,
        }
    }
}
