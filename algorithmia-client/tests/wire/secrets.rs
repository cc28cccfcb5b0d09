//! The API key appears in no `Debug` output, no error, and no log line, at any level.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use algorithmia_client::{Client, RetryPolicy};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::json_fixture;

const SECRET: &str = "simSuperSecretKey42";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_is_absent_from_debug_errors_and_captured_logs() {
    // Forward the `log` records of the HTTP stack too, and capture everything at TRACE.
    let _ = tracing_log::LogTracer::init();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/algo/ok/Algo"))
        .and(header("authorization", format!("Simple {SECRET}").as_str()))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/algo/denied/Algo"))
        .respond_with(json_fixture(401, "api_error_unauthorized.json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/algo/failing/Algo"))
        .respond_with(json_fixture(200, "algo_failure.json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/algo/busy/Algo"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;

    let builder = Client::builder()
        .base_url(server.uri())
        .api_key(SECRET)
        .no_proxy()
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)));
    let mut seen = vec![format!("{builder:?}")];
    let client = builder.build().unwrap();
    seen.push(format!("{client:?}"));
    seen.push(format!("{:?}", client.algo("ok/Algo")));

    client.algo("ok/Algo").pipe("hello").await.unwrap();
    for name in ["denied/Algo", "failing/Algo", "busy/Algo"] {
        let err = client.algo(name).pipe("hello").await.unwrap_err();
        seen.push(format!("{err:?}"));
        seen.push(crate::report(&err));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .api_key(SECRET)
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = unreachable.algo("a/b").pipe("x").await.unwrap_err();
    seen.push(format!("{err:?}"));
    seen.push(crate::report(&err));
    server.verify().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The capture works: the request spans and the HTTP stack's own records are in it.
    assert!(logs.contains("algorithmia.request"), "{logs}");
    assert!(logs.contains("/v1/algo/failing/Algo"), "{logs}");
    assert!(logs.contains("status=503"), "{logs}");
    let secret_part = &SECRET[3..];
    for text in seen.iter().chain(std::iter::once(&logs)) {
        assert!(!text.contains(secret_part), "the key leaked into: {text}");
    }
    // The input payload is not logged either.
    assert!(!logs.contains("hello"), "the payload leaked into the logs");
}
