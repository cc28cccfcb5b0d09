//! A minimal Lambda Runtime API served here, and one run of the release `bootstrap` under it:
//! time from process start to the first `/next`, the wall time of one batch and the CPU time the
//! bootstrap spent on it, peak memory.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::proc::{Server, cpu_ns, peak_rss_kib, sibling};

/// The function's name (`AWS_LAMBDA_FUNCTION_NAME`), which KMS's `auto` encryption context uses.
pub(crate) const FUNCTION_NAME: &str = "bench";

#[derive(Default)]
struct Fake {
    event: Option<Vec<u8>>,
    /// The bootstrap's process id, once started.
    pid: Option<u32>,
    /// Its CPU time (ns) when the event was sent, and when its answer came.
    cpu_at_event: Option<u64>,
    cpu_at_answer: Option<u64>,
    first_next: Option<Instant>,
    event_sent: Option<Instant>,
    answered: Option<(Instant, Value)>,
}

type Shared = (Arc<Mutex<Fake>>, Arc<Notify>);

async fn next(State((state, _)): State<Shared>) -> impl IntoResponse {
    let event = {
        let mut fake = state.lock().unwrap_or_else(|e| e.into_inner());
        fake.first_next.get_or_insert_with(Instant::now);
        fake.event.take()
    };
    let Some(event) = event else {
        // One invocation per run: later polls wait until the process is stopped.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64 + 900_000)
        .unwrap_or(0);
    let mut headers = HeaderMap::new();
    headers.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_static("bench-1"),
    );
    headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:us-east-1:000000000000:function:bench"),
    );
    let mut fake = state.lock().unwrap_or_else(|e| e.into_inner());
    fake.cpu_at_event = fake.pid.and_then(cpu_ns);
    fake.event_sent = Some(Instant::now());
    (StatusCode::OK, headers, event)
}

async fn respond(State((state, done)): State<Shared>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    let mut fake = state.lock().unwrap_or_else(|e| e.into_inner());
    fake.cpu_at_answer = fake.pid.and_then(cpu_ns);
    fake.answered = Some((now, serde_json::from_slice(&body).unwrap_or(Value::Null)));
    drop(fake);
    done.notify_one();
    StatusCode::ACCEPTED
}

async fn error(State((state, done)): State<Shared>, body: Bytes) -> StatusCode {
    let text = String::from_utf8_lossy(&body).into_owned();
    state.lock().unwrap_or_else(|e| e.into_inner()).answered =
        Some((Instant::now(), json!({"error": text})));
    done.notify_one();
    StatusCode::ACCEPTED
}

/// One run's figures.
#[derive(Debug, Serialize, Clone, Copy)]
pub(crate) struct BootstrapRun {
    pub(crate) start_to_first_next_ms: f64,
    pub(crate) batch_ms: f64,
    /// The bootstrap's CPU time from the event's sending to its answer, all threads.
    pub(crate) batch_cpu_ms: f64,
    pub(crate) peak_rss_mib: f64,
}

/// A Kinesis batch of `n` records, each with its own partition key, carrying `data`.
pub(crate) fn kinesis_batch(n: usize, data: &Value) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data.to_string());
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "eventSource": "aws:kinesis",
                "eventID": format!("shardId-000:{i}"),
                "eventSourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/bench",
                "kinesis": {
                    "partitionKey": format!("key-{i}"),
                    "sequenceNumber": format!("{:020}", i),
                    "data": encoded,
                    "approximateArrivalTimestamp": 1428537600.0,
                    "kinesisSchemaVersion": "1.0",
                },
            })
        })
        .collect();
    json!({"Records": records}).to_string().into_bytes()
}

/// The plaintext key source, `ALGORITHMIA_API_KEY` with the key `algorithmia-local` accepts.
pub(crate) fn plain_key() -> (&'static str, String) {
    ("ALGORITHMIA_API_KEY", crate::data::KEY.to_owned())
}

/// Run the release `bootstrap` once against `server` with one event, with `env` (its key source,
/// and any AWS settings) on top of the Lambda variables; the caller's own `ALGORITHMIA_*` and
/// `AWS_*` variables are not passed on. An error unless every record of the batch succeeded.
pub(crate) async fn run_once(
    server: &Server,
    algorithm: &str,
    concurrency: u32,
    event: Vec<u8>,
    env: &[(&str, String)],
) -> Result<BootstrapRun, String> {
    let state = Arc::new(Mutex::new(Fake {
        event: Some(event),
        ..Fake::default()
    }));
    let done = Arc::new(Notify::new());
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .with_state((Arc::clone(&state), Arc::clone(&done)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let serving = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut command = Command::new(sibling("algorithmia-blueprint")?);
    for (var, _) in std::env::vars() {
        if var.starts_with("ALGORITHMIA_") || var.starts_with("AWS_") {
            command.env_remove(var);
        }
    }
    command
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("ALGORITHMIA_ALGORITHM", algorithm)
        .env("ALGORITHMIA_API", &server.base_url)
        .env("ALGORITHMIA_CONCURRENCY", concurrency.to_string())
        .env("RUST_LOG", "warn");
    for (var, value) in env {
        command.env(var, value);
    }
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start the bootstrap: {e}"))?;
    state.lock().unwrap_or_else(|e| e.into_inner()).pid = Some(child.id());
    let waited = tokio::time::timeout(Duration::from_secs(120), done.notified()).await;
    let peak = peak_rss_kib(child.id()).unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    serving.abort();
    waited.map_err(|_| "the bootstrap did not answer within 120 s".to_owned())?;
    let fake = state.lock().unwrap_or_else(|e| e.into_inner());
    let (answered, answer) = fake.answered.clone().ok_or("no answer")?;
    if answer != json!({"batchItemFailures": []}) {
        return Err(format!("the batch did not fully succeed: {answer}"));
    }
    let first_next = fake.first_next.ok_or("no /next")?;
    let sent = fake.event_sent.ok_or("no event sent")?;
    let (Some(cpu_before), Some(cpu_after)) = (fake.cpu_at_event, fake.cpu_at_answer) else {
        return Err("the bootstrap's CPU time could not be read from /proc".to_owned());
    };
    Ok(BootstrapRun {
        start_to_first_next_ms: (first_next - started).as_secs_f64() * 1000.0,
        batch_ms: (answered - sent).as_secs_f64() * 1000.0,
        batch_cpu_ms: cpu_after.saturating_sub(cpu_before) as f64 / 1e6,
        peak_rss_mib: peak as f64 / 1024.0,
    })
}
