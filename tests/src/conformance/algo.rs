//! Algorithm calls: every content type in and out, raw output, and the server's timeout.

use std::time::{Duration, Instant};

use algorithmia_client::Raw;
use serde_json::{Value, json};

use super::Target;

/// Text, JSON and binary input come back in kind; durations and request ids are reported;
/// an algorithm's own error keeps its message, type and metadata.
pub async fn builtins_answer_in_every_content_type(target: &Target) {
    let c = target.client();
    let names = &target.algorithms;
    let hello = c.algo(&names.hello).pipe("world").await.unwrap();
    assert_eq!(hello.as_text(), Some("Hello world"));
    assert!(hello.duration().is_some());
    // Our client names each call (X-Request-Id); the server answers with that id.
    assert_eq!(hello.request_id().unwrap().len(), 32);

    let echo = c.algo(&names.echo);
    let json = echo.pipe(json!({"a": [1, 2, {"b": null}]})).await.unwrap();
    assert_eq!(json.as_json(), Some(&json!({"a": [1, 2, {"b": null}]})));
    let text = echo.pipe("plain text ✓").await.unwrap();
    assert_eq!(text.as_text(), Some("plain text ✓"));
    let bytes: Vec<u8> = (0..=255).collect();
    let binary = echo.pipe(bytes.clone()).await.unwrap();
    assert_eq!(binary.as_bytes(), Some(&bytes[..]));

    let delayed = c
        .algo(&names.delay)
        .pipe(json!({"ms": 50, "result": {"done": true}}))
        .await
        .unwrap();
    assert_eq!(delayed.decode::<Value>().unwrap(), json!({"done": true}));
    assert!(delayed.duration().unwrap() >= Duration::from_millis(50));

    let err = c
        .algo(&names.fail)
        .pipe(json!({"message": "nope", "error_type": "InputError"}))
        .await
        .unwrap_err();
    let Some(e) = err.algorithm_error() else {
        panic!("an algorithm error, not {err:?}")
    };
    assert_eq!(
        (e.message.as_str(), e.error_type.as_deref()),
        ("nope", Some("InputError"))
    );
    assert!(e.metadata.as_ref().unwrap().duration.is_some());
    assert!(e.metadata.as_ref().unwrap().request_id.is_some());

    let err = c.algo(&names.hello).pipe(vec![1u8]).await.unwrap_err();
    let Some(e) = err.algorithm_error() else {
        panic!("an algorithm error, not {err:?}")
    };
    assert_eq!(e.error_type.as_deref(), Some("InputError"));
}

/// `output=raw` returns the algorithm's output as the body, with its content type; an
/// algorithm's error is still an algorithm error, with the HTTP status.
pub async fn raw_output_returns_bodies_and_algorithm_errors(target: &Target) {
    let c = target.client();
    let raw = c.algo(&target.algorithms.echo).output(Raw);
    let text = raw.pipe("hello raw").await.unwrap();
    assert_eq!(text.as_text(), Some("hello raw"));
    assert!(text.content_type.unwrap().starts_with("text/plain"));
    let json = raw.pipe(json!({"k": [1]})).await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&json.body).unwrap(),
        json!({"k": [1]})
    );
    let bytes = raw.pipe(vec![0u8, 255, 7]).await.unwrap();
    assert_eq!(&bytes.body[..], &[0, 255, 7]);
    let err = c
        .algo(&target.algorithms.fail)
        .output(Raw)
        .pipe(json!({"message": "raw fail"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let Some(e) = err.algorithm_error() else {
        panic!("an algorithm error, not {err:?}")
    };
    assert_eq!(e.message, "raw fail");
}

/// A call that outlives its `timeout` ends with the server's `TimeoutError`, which the client
/// reports as an algorithm error that `is_timeout()`, soon after the timeout.
pub async fn an_algorithm_timeout_is_a_timeout_error(target: &Target) {
    let started = Instant::now();
    let err = target
        .client()
        .algo(&target.algorithms.delay)
        .timeout(Duration::from_secs(1))
        .pipe(json!({"ms": 5000, "result": "too late"}))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    let e = err
        .algorithm_error()
        .unwrap_or_else(|| panic!("the server's timeout is an algorithm error: {err:?}"));
    assert_eq!(e.error_type.as_deref(), Some("TimeoutError"), "{err}");
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
}
