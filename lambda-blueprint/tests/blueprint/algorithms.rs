//! Algorithms for the handler tests, without a server: each records the inputs it is called
//! with and answers by a rule of its input, as `algorithmia-local`'s built-ins do.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use algorithmia_client::{AlgorithmError, ApiError, Client, Error, Metadata, RetryPolicy};
use lambda_blueprint::events::Payload;
use lambda_blueprint::{AlgorithmCaller, CallOutput, CallRequest, Called};
use serde_json::Value;

/// How an algorithm answers one input.
pub enum Answer {
    /// A result.
    Output(CallOutput),
    /// The algorithm raises an error of this type (`InputError`, `AlgorithmError`, ...).
    Raise(String, String),
    /// The API refuses the call with this status and message.
    Refuse(u16, String),
    /// Nothing listens: the SDK's own transport error, from a call to a closed port.
    Unreachable,
    /// The algorithm runs this long first; past the call's timeout it raises `TimeoutError`.
    After(Duration, Box<Answer>),
}

impl Answer {
    /// The input itself, in its own content type.
    pub fn echo(input: &Payload) -> Answer {
        Answer::Output(match input {
            Payload::Json(v) => CallOutput::Json(v.clone()),
            Payload::Text(s) => CallOutput::Text(s.clone()),
            Payload::Binary(b) => CallOutput::Binary(b.clone()),
        })
    }

    /// An error the algorithm raises.
    pub fn raise(error_type: &str, message: impl Into<String>) -> Answer {
        Answer::Raise(error_type.to_owned(), message.into())
    }
}

type Rule = dyn Fn(&Payload) -> Answer + Send + Sync;

/// An algorithm that answers each input by a rule, and records the inputs (as JSON) in the
/// order its calls started.
#[derive(Clone)]
pub struct FakeAlgorithm {
    name: String,
    rule: Arc<Rule>,
    inputs: Arc<Mutex<Vec<Value>>>,
    deadlines: Arc<Mutex<Vec<Option<Instant>>>>,
    algorithms: Arc<Mutex<Vec<String>>>,
    /// Calls running now, and the most that ever ran at once.
    running: Arc<Gauge>,
}

impl FakeAlgorithm {
    /// `name` answering by `rule`.
    pub fn new(name: &str, rule: impl Fn(&Payload) -> Answer + Send + Sync + 'static) -> Self {
        FakeAlgorithm {
            name: name.to_owned(),
            rule: Arc::new(rule),
            inputs: Arc::default(),
            deadlines: Arc::default(),
            algorithms: Arc::default(),
            running: Arc::default(),
        }
    }

    /// `util/Echo`: its input, in its own content type.
    pub fn echo() -> Self {
        FakeAlgorithm::new("util/Echo", Answer::echo)
    }

    /// `util/Fail`: `{"message": ..., "error_type": ...}` raises that error (`AlgorithmError`
    /// when no type is given); any other input is echoed.
    pub fn fail() -> Self {
        FakeAlgorithm::new("util/Fail", |input| {
            let field = |name: &str| match input {
                Payload::Json(v) => v.get(name).and_then(Value::as_str).map(str::to_owned),
                _ => None,
            };
            match (field("message"), field("error_type")) {
                (None, None) => Answer::echo(input),
                (message, error_type) => Answer::raise(
                    error_type.as_deref().unwrap_or("AlgorithmError"),
                    message.unwrap_or_else(|| "util/Fail was asked to fail".into()),
                ),
            }
        })
    }

    /// `util/Delay`: `{"ms": N, "result": ...}` waits N ms, then returns `result`.
    pub fn delay() -> Self {
        FakeAlgorithm::new("util/Delay", |input| {
            let Payload::Json(v) = input else {
                return Answer::raise("InputError", "util/Delay takes JSON");
            };
            let ms = v.get("ms").and_then(Value::as_u64).unwrap_or(0);
            let result = v.get("result").cloned().unwrap_or(Value::Null);
            Answer::After(
                Duration::from_millis(ms),
                Box::new(Answer::Output(CallOutput::Json(result))),
            )
        })
    }

    /// `demo/Hello`: text in, `Hello <input>` out.
    pub fn hello() -> Self {
        FakeAlgorithm::new("demo/Hello", |input| match input {
            Payload::Text(name) => Answer::Output(CallOutput::Text(format!("Hello {name}"))),
            _ => Answer::raise("InputError", "demo/Hello takes text"),
        })
    }

    /// `test/Recorder`: runs 5 ms, raises an `InputError` on `{"fail": true}`, else echoes.
    pub fn recorder() -> Self {
        FakeAlgorithm::new("test/Recorder", |input| {
            let fail =
                matches!(input, Payload::Json(v) if v.get("fail") == Some(&Value::Bool(true)));
            let answer = if fail {
                Answer::raise("InputError", "asked to fail")
            } else {
                Answer::echo(input)
            };
            Answer::After(Duration::from_millis(5), Box::new(answer))
        })
    }

    /// The algorithm's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The inputs so far, in the order the calls started.
    pub fn inputs(&self) -> Vec<Value> {
        self.inputs.lock().unwrap().clone()
    }

    /// The deadlines the calls so far were given, in the order the calls started.
    pub fn deadlines(&self) -> Vec<Option<Instant>> {
        self.deadlines.lock().unwrap().clone()
    }

    /// The algorithms the calls so far named, in the order the calls started.
    pub fn algorithms(&self) -> Vec<String> {
        self.algorithms.lock().unwrap().clone()
    }

    /// The most calls that ever ran at once.
    pub fn peak_concurrency(&self) -> usize {
        self.running.peak.load(Ordering::SeqCst)
    }

    /// Forget the inputs (and deadlines and algorithms) so far.
    pub fn clear(&self) {
        self.inputs.lock().unwrap().clear();
        self.deadlines.lock().unwrap().clear();
        self.algorithms.lock().unwrap().clear();
    }

    fn raised(&self, error_type: &str, message: String) -> Error {
        let calls = self.inputs.lock().unwrap().len();
        Error::Algorithm(Box::new(AlgorithmError {
            algorithm: self.name.clone(),
            message,
            error_type: Some(error_type.to_owned()),
            stacktrace: None,
            metadata: Some(Metadata {
                request_id: Some(format!("req-fake-{calls}")),
                ..Metadata::default()
            }),
            status: 200,
        }))
    }
}

/// The SDK's error for a call to a port nobody listens on.
async fn connection_refused() -> Error {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    Client::builder()
        .api_key("simUnused")
        .base_url(closed)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .algo("util/Echo")
        .pipe(Value::Null)
        .await
        .unwrap_err()
}

impl AlgorithmCaller for FakeAlgorithm {
    async fn call(&self, request: CallRequest<'_>) -> Result<Called, Error> {
        let (input, timeout, deadline) = (request.input, request.timeout, request.deadline);
        self.algorithms
            .lock()
            .unwrap()
            .push(request.algorithm.to_string());
        self.inputs.lock().unwrap().push(input.to_json());
        self.deadlines.lock().unwrap().push(deadline);
        let _running = self.running.enter();
        self.answer(&input, timeout).await
    }
}

/// A count of calls running, and its peak.
#[derive(Debug, Default)]
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    /// Count a call in until the guard is dropped (also when the call is dropped mid-way).
    fn enter(&self) -> impl Drop + '_ {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Leave(self)
    }
}

/// Counts a call out of its [`Gauge`] when dropped.
struct Leave<'a>(&'a Gauge);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FakeAlgorithm {
    /// The rule's answer to `input`, after its wait.
    async fn answer(&self, input: &Payload, timeout: Duration) -> Result<Called, Error> {
        let mut answer = (self.rule)(input);
        let mut ran = Duration::ZERO;
        while let Answer::After(wait, then) = answer {
            if ran + wait > timeout {
                tokio::time::sleep(timeout.saturating_sub(ran)).await;
                let message = format!("the algorithm ran past its {} s timeout", timeout.as_secs());
                return Err(self.raised("TimeoutError", message));
            }
            tokio::time::sleep(wait).await;
            ran += wait;
            answer = *then;
        }
        match answer {
            Answer::Output(output) => Ok(output.into()),
            Answer::Raise(error_type, message) => Err(self.raised(&error_type, message)),
            Answer::Refuse(status, message) => Err(Error::Api(Box::new(ApiError {
                method: "POST".into(),
                path: format!("/v1/algo/{}", self.name),
                status,
                message,
                error_type: None,
                code: None,
                id: None,
                body_snippet: None,
            }))),
            Answer::Unreachable => Err(connection_refused().await),
            Answer::After(..) => unreachable!("waited out above"),
        }
    }
}
