//! The blocking facade called inside an async runtime. Its calls against a real server are
//! checked by the conformance suite (`tests/src/conformance/blocking.rs`).

use algorithmia_client::{Error, blocking};

#[tokio::test]
async fn calling_it_inside_an_async_runtime_is_an_error_not_a_panic() {
    let client = blocking::Client::from_async(
        algorithmia_client::Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.algo("a/b").pipe("x").unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    // Dropping it here must not panic either.
    drop(client);
}

#[test]
fn a_blocking_call_with_no_time_left_fails_as_a_timeout() {
    // Nothing listens on port 9; the call must not even try.
    let client = blocking::Client::from_async(
        algorithmia_client::Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client
        .algo("a/b")
        .deadline(std::time::Instant::now())
        .pipe("x")
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(!err.is_connect(), "{err:?}");
}
