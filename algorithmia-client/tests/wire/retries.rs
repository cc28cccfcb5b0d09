//! Retries happen only where the call cannot have run.

use std::time::{Duration, Instant};

use algorithmia_client::{Error, RetryPolicy};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{answer_once_then_succeed, builder, client, json_fixture, requests};

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    answer_once_then_succeed(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
    )
    .await;
    let started = Instant::now();
    let r = client(&server).algo("a/b").pipe("x").await.unwrap();
    assert_eq!(r.as_text(), Some("Hello world"));
    assert_eq!(requests(&server).await, 2);
    // The server's one second was honoured, not the policy's 5-20 ms backoff.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_503_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(&server)
        .await;
    client(&server).algo("a/b").pipe("x").await.unwrap();
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn errors_after_the_algorithm_may_have_run_are_not_retried() {
    for status in [500u16, 502, 504] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let err = client(&server).algo("a/b").pipe("x").await.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert_eq!(
            requests(&server).await,
            1,
            "HTTP {status} must not be retried"
        );
    }
}

#[tokio::test]
async fn retries_stop_at_the_configured_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_raw(r#"{"error":{"message":"overloaded"}}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry(
            RetryPolicy::default()
                .max_attempts(4)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client.algo("a/b").pipe("x").await.unwrap_err();
    assert_eq!(err.api_error().unwrap().message, "overloaded");
    assert_eq!(requests(&server).await, 4);

    let client = builder(&server).retry(RetryPolicy::none()).build().unwrap();
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    client.algo("a/b").pipe("x").await.unwrap_err();
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_returns_the_429() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client(&server).algo("a/b").pipe("x").await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(requests(&server).await, 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = algorithmia_client::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .no_proxy()
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let err = client.algo("a/b").pipe("x").await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    match &err {
        Error::Transport(t) => assert_eq!(t.attempts, 3),
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with("POST /v1/algo/a/b could not connect after 3 attempts"),
        "{text}"
    );
}
