//! Management error bodies: wrapped, bare, a JSON string, plain text; and a 200 with `error`.

use algorithmia_client::Error;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, json};

async fn error_for(answer: ResponseTemplate) -> Error {
    let server = MockServer::start().await;
    Mock::given(path("/v1/algorithms/demo/Hello"))
        .respond_with(answer)
        .mount(&server)
        .await;
    client(&server)
        .algorithm("demo/Hello")
        .get()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_wrapped_error_object_fills_code_and_id() {
    let err = error_for(json(
        404,
        json!({"error": {"id": "e-1", "code": 1000, "message": "algorithm not found"}}),
    ))
    .await;
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 404);
    assert_eq!(api.code, Some(1000));
    assert_eq!(api.id.as_deref(), Some("e-1"));
    assert_eq!(api.message, "algorithm not found");
    assert!(err.to_string().contains("(code 1000)"), "{err}");
}

#[tokio::test]
async fn a_bare_error_object_fills_code_and_id() {
    let err = error_for(json(
        403,
        json!({"id": "e-2", "code": "2001", "message": "not authorized"}),
    ))
    .await;
    let api = err.api_error().unwrap();
    assert_eq!(
        (
            api.status,
            api.code,
            api.id.as_deref(),
            api.message.as_str()
        ),
        (403, Some(2001), Some("e-2"), "not authorized")
    );
    assert_eq!(api.body_snippet, None);
}

#[tokio::test]
async fn a_json_string_or_plain_text_is_the_message() {
    let err = error_for(json(404, json!("No such algorithm"))).await;
    assert_eq!(err.api_error().unwrap().message, "No such algorithm");
    let err = error_for(json(404, json!({"error": "No such algorithm"}))).await;
    assert_eq!(err.api_error().unwrap().message, "No such algorithm");
    let err = error_for(ResponseTemplate::new(400).set_body_string("limit must be positive")).await;
    let api = err.api_error().unwrap();
    assert_eq!(
        (api.status, api.message.as_str()),
        (400, "limit must be positive")
    );
}

#[tokio::test]
async fn an_error_key_on_a_success_status_is_an_error() {
    let err = error_for(json(
        200,
        json!({"error": {"code": 5002, "message": "invalid marker"}}),
    ))
    .await;
    assert_eq!(err.api_error().unwrap().code, Some(5002));
}

#[tokio::test]
async fn an_undecodable_answer_names_the_field() {
    let err = error_for(json(
        200,
        json!({"settings": {"pipeline_enabled": "maybe"}}),
    ))
    .await;
    let Error::Decode(decode) = &err else {
        panic!("{err:?}")
    };
    let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(text.contains("settings.pipeline_enabled"), "{text}");
    assert_eq!(decode.what, "algorithm");
}
