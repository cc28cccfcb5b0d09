//! A call's deadline bounds every attempt and every pause between them: a `Retry-After` that
//! would end past it is not waited for, backoffs stop at it, and an attempt's timeout is capped
//! at the time left.

use std::time::{Duration, Instant};

use algorithmia_client::{Client, Error, RetryPolicy, TransportKind};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{answer_once_then_succeed, builder, client, json_fixture, report, requests};

/// Many attempts with backoffs of up to 200 ms: only the deadline can end the retries early.
fn patient() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(1000)
        .initial_backoff(Duration::from_millis(200))
        .max_backoff(Duration::from_millis(200))
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_returns_the_429_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_raw(r#"{"error":{"message":"slow down"}}"#, "application/json"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client(&server)
        .algo("a/b")
        .deadline(started + Duration::from_secs(10))
        .pipe("x")
        .await
        .unwrap_err();
    // Neither the 30 s asked for nor the 10 s left were waited for (the bound is loose for slow
    // machines: a wait would take 10 s or more).
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The answer that was not retried, as it is: a 429 the caller can treat as transient.
    match &err {
        Error::Api(api) => {
            assert_eq!(api.status, 429);
            assert_eq!(api.message, "slow down");
        }
        other => panic!("expected the 429, got {other:?}"),
    }
    assert_eq!(requests(&server).await, 1);

    // With time enough, the same 429 is waited for and retried.
    let server = MockServer::start().await;
    answer_once_then_succeed(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
    )
    .await;
    let r = client(&server)
        .algo("a/b")
        .deadline(Instant::now() + Duration::from_secs(5))
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(r.as_text(), Some("Hello world"));
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn backoffs_stop_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = builder(&server).retry(patient()).build().unwrap();
    let budget = Duration::from_millis(1500);
    let started = Instant::now();
    let err = client
        .algo("a/b")
        .deadline(started + budget)
        .pipe("x")
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.status(), Some(503), "{err:?}");
    // Retried while there was time (a pause is at most 200 ms), and over by the deadline.
    assert!(requests(&server).await >= 2);
    assert!(elapsed < budget + Duration::from_millis(300), "{elapsed:?}");
}

#[tokio::test]
async fn connect_retries_stop_at_the_deadline() {
    // A port nothing listens on: every attempt is refused, and refused calls are retried.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .api_key("simTESTKEY")
        .no_proxy()
        .retry(patient())
        .build()
        .unwrap();
    let budget = Duration::from_millis(1500);
    let started = Instant::now();
    let err = client
        .algo("a/b")
        .deadline(started + budget)
        .pipe("x")
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_connect(), "{err:?}");
    match &err {
        Error::Transport(t) => assert!(t.attempts >= 2, "{}", t.attempts),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(elapsed < budget + Duration::from_millis(300), "{elapsed:?}");
}

#[tokio::test]
async fn an_attempt_timeout_is_capped_at_the_time_left() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            json_fixture(200, "algo_success_text.json").set_delay(Duration::from_secs(10)),
        )
        .mount(&server)
        .await;
    // The algorithm's 60 s plus the client's margin would let the request wait over a minute.
    let started = Instant::now();
    let err = client(&server)
        .algo("a/b")
        .timeout(Duration::from_secs(60))
        .deadline(started + Duration::from_millis(500))
        .pipe("x")
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        elapsed >= Duration::from_millis(450) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_call_with_no_time_left_fails_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(&server)
        .await;
    let algo = client(&server).algo("demo/Hello");
    let err = algo
        .clone()
        .deadline(Instant::now())
        .pipe("x")
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    match &err {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportKind::Timeout);
            assert_eq!(t.attempts, 0);
            assert!(t.request_id.is_some());
        }
        other => panic!("expected a transport timeout, got {other:?}"),
    }
    let text = report(&err);
    assert!(
        text.starts_with("POST /v1/algo/demo/Hello timed out before it was sent"),
        "{text}"
    );
    assert!(text.contains("deadline had passed"), "{text}");
    assert_eq!(requests(&server).await, 0);

    // The last deadline set wins: a later one makes the same handle usable again.
    let r = algo
        .deadline(Instant::now())
        .deadline(Instant::now() + Duration::from_secs(5))
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(r.as_text(), Some("Hello world"));
    assert_eq!(requests(&server).await, 1);
}
