//! Every error shape becomes the right variant, with a message that says what happened.

use algorithmia_client::{Error, Raw, Void};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, json_fixture};

async fn call_with(response: ResponseTemplate) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .mount(&server)
        .await;
    client(&server)
        .algo("demo/Hello/1.0.0")
        .pipe("x")
        .await
        .unwrap_err()
}

#[tokio::test]
async fn algorithm_error_keeps_message_type_stacktrace_and_metadata() {
    let err = call_with(json_fixture(200, "algo_failure.json")).await;
    let e = err.algorithm_error().expect("an algorithm error");
    assert_eq!(e.message, "apply() functions do not match input data");
    assert_eq!(e.error_type.as_deref(), Some("InputError"));
    assert!(e.stacktrace.as_deref().unwrap().contains("ValueError"));
    let metadata = e.metadata.as_ref().unwrap();
    assert_eq!(metadata.duration, Some(0.046542354));
    assert_eq!(metadata.stdout.as_deref(), Some("partial output\n"));
    assert_eq!(e.algorithm, "demo/Hello/1.0.0");
    assert_eq!(err.status(), Some(200));
    let text = err.to_string();
    assert_eq!(
        text,
        "algorithm demo/Hello/1.0.0 raised InputError: apply() functions do not match input data (request req-fail-1)"
    );
}

#[tokio::test]
async fn algorithm_error_on_an_error_status_is_still_an_algorithm_error() {
    // Some deployments send algorithm failures with 4xx/5xx; the metadata shows it ran.
    let err = call_with(json_fixture(500, "algo_failure.json")).await;
    assert!(matches!(err, Error::Algorithm(_)), "{err:?}");
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn api_error_with_body() {
    let err = call_with(json_fixture(404, "api_error_not_found.json")).await;
    let e = err.api_error().expect("an API error");
    assert_eq!(e.status, 404);
    assert_eq!(e.message, "algorithm algo://demo/DoesNotExist not found");
    assert_eq!(e.code, Some(1000));
    assert_eq!(e.id.as_deref(), Some("0f8a6b7c"));
    assert!(err.is_not_found());
    assert_eq!(
        err.to_string(),
        "POST /v1/algo/demo/Hello/1.0.0 failed with HTTP 404: algorithm algo://demo/DoesNotExist not found (code 1000)"
    );

    let err = call_with(json_fixture(401, "api_error_unauthorized.json")).await;
    assert_eq!(err.api_error().unwrap().code, Some(2002));
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn api_error_with_a_string_error_field() {
    let err = call_with(json_fixture(404, "api_error_string.json")).await;
    assert_eq!(err.api_error().unwrap().message, "No such algorithm");
}

#[tokio::test]
async fn api_error_without_body_uses_the_status_line() {
    let err = call_with(ResponseTemplate::new(403)).await;
    let e = err.api_error().unwrap();
    assert_eq!((e.status, e.message.as_str()), (403, "Forbidden"));
    assert!(e.body_snippet.is_none());
}

#[tokio::test]
async fn api_error_from_the_x_error_message_header() {
    let err =
        call_with(ResponseTemplate::new(400).insert_header("X-Error-Message", "bad things")).await;
    assert_eq!(err.api_error().unwrap().message, "bad things");
}

#[tokio::test]
async fn server_error_with_an_html_body_keeps_a_snippet() {
    let err = call_with(ResponseTemplate::new(502).set_body_raw(
        "<html><body>Bad gateway from nginx</body></html>",
        "text/html",
    ))
    .await;
    let e = err.api_error().unwrap();
    assert_eq!((e.status, e.message.as_str()), (502, "Bad Gateway"));
    assert!(e.body_snippet.as_deref().unwrap().contains("nginx"));
    assert!(err.to_string().contains("nginx"));
}

#[tokio::test]
async fn undecodable_success_bodies_are_decode_errors_with_a_snippet() {
    for (body, needle) in [
        ("<html>proxy login</html>", "proxy login"),
        (r#"{"result": 1}"#, "neither `error` nor `metadata`"),
        (
            r#"{"result": 5, "metadata": {"content_type": "text"}}"#,
            "expected a string",
        ),
        (
            r#"{"result": "!!!", "metadata": {"content_type": "binary"}}"#,
            "binary result",
        ),
        ("", "EOF"),
    ] {
        let err =
            call_with(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        assert!(matches!(err, Error::Decode(_)), "{body}: {err:?}");
        assert_eq!(err.status(), Some(200));
        let text = crate::report(&err);
        assert!(text.contains(needle), "{body}: {text}");
        assert!(text.contains("/v1/algo/demo/Hello/1.0.0"), "{text}");
    }
}

#[tokio::test]
async fn raw_output_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(400, "algo_failure.json"))
        .mount(&server)
        .await;
    let err = client(&server)
        .algo("a/b")
        .output(Raw)
        .pipe("x")
        .await
        .unwrap_err();
    assert_eq!(
        err.algorithm_error().unwrap().error_type.as_deref(),
        Some("InputError")
    );
    assert_eq!(err.status(), Some(400));

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_raw("internal", "text/plain"))
        .mount(&server)
        .await;
    let err = client(&server)
        .algo("a/b")
        .output(Raw)
        .pipe("x")
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().status, 500);
}

#[tokio::test]
async fn void_output_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(404, "api_error_not_found.json"))
        .mount(&server)
        .await;
    let err = client(&server)
        .algo("a/b")
        .output(Void)
        .pipe("x")
        .await
        .unwrap_err();
    assert!(err.is_not_found());

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(&server)
        .await;
    let err = client(&server)
        .algo("a/b")
        .output(Void)
        .pipe("x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}
