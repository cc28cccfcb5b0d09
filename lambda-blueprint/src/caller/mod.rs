//! Calling algorithms: the trait the dispatcher sends inputs through, and its implementation
//! over the Algorithmia API.

pub(crate) mod rotation;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(doc)]
use algorithmia_client::Algorithm;
use algorithmia_client::{AlgoInput, AlgoOutput, AlgoRef, Client, Error, Raw, Void};
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

/// A successful call: its output, and the request id the API gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Called {
    /// What the algorithm returned.
    pub output: CallOutput,
    /// The API's request id for the call, when it sent one.
    pub request_id: Option<String>,
}

impl From<CallOutput> for Called {
    fn from(output: CallOutput) -> Called {
        let request_id = match &output {
            CallOutput::Void(id) => id.clone(),
            _ => None,
        };
        Called { output, request_id }
    }
}

/// One call: which algorithm, in which output mode, with what input and time.
#[derive(Debug, Clone)]
pub struct CallRequest<'a> {
    /// The algorithm (the route's).
    pub algorithm: &'a AlgoRef,
    /// The output mode (the route's).
    pub output: OutputMode,
    /// The input.
    pub input: Payload,
    /// How long the algorithm may run.
    pub timeout: Duration,
    /// When the call, retries included, must be over (the invocation's deadline less the time
    /// kept back for answering Lambda; none when the invocation has no deadline).
    pub deadline: Option<Instant>,
}

/// Calls an algorithm with one input. [`ApiCaller`] does it over the Algorithmia API; tests
/// may use their own, as [`Blueprint::with_caller`](crate::Blueprint::with_caller) takes any.
///
/// ```
/// use lambda_blueprint::{AlgorithmCaller, CallOutput, CallRequest, Called};
///
/// /// Answers every input with itself.
/// struct Echo;
///
/// impl AlgorithmCaller for Echo {
///     async fn call(
///         &self,
///         request: CallRequest<'_>,
///     ) -> Result<Called, algorithmia_client::Error> {
///         Ok(CallOutput::Json(request.input.to_json()).into())
///     }
/// }
/// ```
pub trait AlgorithmCaller: Send + Sync {
    /// Call `request.algorithm` with `request.input`, letting it run for at most
    /// `request.timeout`, and be done, retries included, by `request.deadline`.
    fn call(&self, request: CallRequest<'_>) -> impl Future<Output = Result<Called, Error>> + Send;
}

/// Algorithms on the Algorithmia API, called through the SDK.
///
/// When the key comes from SSM or Secrets Manager
/// ([`Blueprint::with_key_stores`](crate::Blueprint::with_key_stores)), a call the API refuses
/// with 401 makes the key be read again once, for every record of the execution environment; if
/// the key changed, the call is sent again with it.
#[derive(Clone)]
pub struct ApiCaller {
    handle: Handle,
}

#[derive(Clone)]
enum Handle {
    /// A key that stays as it is.
    Fixed(Client),
    /// A key that is read again when the API refuses it.
    Rotating(Arc<Rotating<Client>>),
}

impl fmt::Debug for ApiCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ApiCaller");
        match &self.handle {
            Handle::Fixed(client) => s.field("client", client),
            Handle::Rotating(rotating) => s.field("rotating", rotating),
        };
        s.finish()
    }
}

impl ApiCaller {
    /// Calls through `client`.
    pub fn new(client: Client) -> ApiCaller {
        ApiCaller {
            handle: Handle::Fixed(client),
        }
    }

    /// Calls through a client whose key is read again when the API refuses it.
    pub(crate) fn rotating(rotating: Rotating<Client>) -> ApiCaller {
        ApiCaller {
            handle: Handle::Rotating(Arc::new(rotating)),
        }
    }

    async fn call_with(
        client: &Client,
        request: &CallRequest<'_>,
        timeout: Duration,
    ) -> Result<Called, Error> {
        let input = match request.input.clone() {
            Payload::Json(v) => AlgoInput::Json(v),
            Payload::Text(s) => AlgoInput::Text(s),
            Payload::Binary(b) => AlgoInput::Binary(b),
        };
        let mut algorithm = client.algo(request.algorithm).timeout(timeout);
        if let Some(deadline) = request.deadline {
            algorithm = algorithm.deadline(deadline);
        }
        Ok(match request.output {
            OutputMode::Default => {
                let response = algorithm.pipe(input).await?;
                let request_id = response.request_id().map(str::to_owned);
                let output = match response.into_output() {
                    AlgoOutput::Json(v) => CallOutput::Json(v),
                    AlgoOutput::Text(s) => CallOutput::Text(s),
                    AlgoOutput::Binary(b) => CallOutput::Binary(b),
                    AlgoOutput::Void => CallOutput::Void(None),
                };
                Called { output, request_id }
            }
            OutputMode::Raw => {
                let raw = algorithm.output(Raw).pipe(input).await?;
                CallOutput::Raw(raw.body, raw.content_type).into()
            }
            OutputMode::Void => {
                let id = algorithm.output(Void).pipe(input).await?.request_id;
                CallOutput::Void(Some(id)).into()
            }
        })
    }
}

impl AlgorithmCaller for ApiCaller {
    /// The SDK call, with the request's deadline as its [`Algorithm::deadline`]: no attempt or
    /// retry of it (nor the call again after a key rotation) outlives the invocation, and a 429
    /// it has no time to wait for comes back as the 429.
    async fn call(&self, request: CallRequest<'_>) -> Result<Called, Error> {
        let rotating = match &self.handle {
            Handle::Fixed(client) => {
                return ApiCaller::call_with(client, &request, request.timeout).await;
            }
            Handle::Rotating(rotating) => rotating,
        };
        let started = Instant::now();
        let (client, generation) = rotating.current().await;
        match ApiCaller::call_with(&client, &request, request.timeout).await {
            // Once: a second refusal, with the new key, is the record's failure.
            Err(Error::Api(refused)) if refused.status == 401 => {
                match rotating.after_refusal(generation).await {
                    Some(client) => {
                        // The refusal and the read took some of the call's time (whole seconds,
                        // as the API takes them).
                        let left = request
                            .timeout
                            .saturating_sub(started.elapsed())
                            .as_secs()
                            .max(1);
                        ApiCaller::call_with(&client, &request, Duration::from_secs(left)).await
                    }
                    None => Err(Error::Api(refused)),
                }
            }
            other => other,
        }
    }
}
