//! The HTTP timeout follows the algorithm timeout: a slow call is not cut short, a stuck one ends.
//!
//! The real numbers (a 301 s call given 311 s) are checked in the unit tests of `algo.rs`; here a
//! short configured equivalent runs over a real socket: a 1 s algorithm timeout with a 1 s margin.

use std::time::{Duration, Instant};

use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

use crate::{builder, json_fixture};

#[tokio::test]
async fn a_call_longer_than_its_algorithm_timeout_is_not_cut_by_the_client() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            json_fixture(200, "algo_success_text.json").set_delay(Duration::from_millis(1500)),
        )
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout_margin(Duration::from_secs(1))
        .build()
        .unwrap();
    let r = client
        .algo("a/b")
        .timeout(Duration::from_secs(1))
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(r.as_text(), Some("Hello world"));
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_a_timeout_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            json_fixture(200, "algo_success_text.json").set_delay(Duration::from_secs(10)),
        )
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout_margin(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .algo("a/b")
        .timeout(Duration::from_secs(1))
        .pipe("x")
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(!err.is_connect());
    // 1 s + 0.5 s, within 10%; and a timeout is never retried.
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_millis(1650),
        "{elapsed:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(err.to_string().contains("timed out"), "{err}");
}
