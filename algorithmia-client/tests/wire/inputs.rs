//! Each input kind is sent with its own content type and the exact bytes.

use algorithmia_client::AlgoInput;
use bytes::Bytes;
use serde_json::json;
use wiremock::matchers::{body_bytes, header, method, path};
use wiremock::{Mock, MockServer};

use crate::{client, json_fixture};

async fn expect_body(server: &MockServer, content_type: &str, body: &[u8]) {
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/v1/algo/demo/Hello"))
        .and(header("content-type", content_type))
        .and(body_bytes(body.to_vec()))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn text_is_sent_as_text_plain() {
    let server = MockServer::start().await;
    let algo = client(&server).algo("demo/Hello");
    for input in [
        AlgoInput::from("HAL 9000"),
        AlgoInput::from(String::from("HAL 9000")),
    ] {
        expect_body(&server, "text/plain", b"HAL 9000").await;
        algo.pipe(input).await.unwrap();
        server.verify().await;
    }
}

#[tokio::test]
async fn bytes_are_sent_as_octet_stream() {
    let server = MockServer::start().await;
    let algo = client(&server).algo("demo/Hello");
    let raw = [0u8, 159, 146, 150, 255];
    expect_body(&server, "application/octet-stream", &raw).await;
    algo.pipe(raw.to_vec()).await.unwrap();
    server.verify().await;
    expect_body(&server, "application/octet-stream", &raw).await;
    algo.pipe(&raw[..]).await.unwrap();
    server.verify().await;
    expect_body(&server, "application/octet-stream", &raw).await;
    algo.pipe(Bytes::copy_from_slice(&raw)).await.unwrap();
    server.verify().await;
}

#[tokio::test]
async fn json_values_and_typed_values_are_sent_as_json() {
    let server = MockServer::start().await;
    let algo = client(&server).algo("demo/Hello");

    expect_body(&server, "application/json", br#"{"a":[1,2]}"#).await;
    algo.pipe(json!({"a": [1, 2]})).await.unwrap();
    server.verify().await;

    #[derive(serde::Serialize)]
    struct Request<'a> {
        image: &'a str,
        width: u32,
    }
    expect_body(
        &server,
        "application/json",
        br#"{"image":"data://a/b.png","width":200}"#,
    )
    .await;
    algo.pipe_json(&Request {
        image: "data://a/b.png",
        width: 200,
    })
    .await
    .unwrap();
    server.verify().await;

    // A string sent with pipe_json is a JSON string, as asked.
    expect_body(&server, "application/json", br#""text""#).await;
    algo.pipe_json("text").await.unwrap();
    server.verify().await;

    expect_body(&server, "application/json", b"null").await;
    algo.pipe(serde_json::Value::Null).await.unwrap();
    server.verify().await;

    expect_body(&server, "application/json", br#"[1, 2,3]"#).await;
    algo.pipe_json_text("[1, 2,3]").await.unwrap();
    server.verify().await;
}

#[tokio::test]
async fn serialisation_failure_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    let algo = client(&server).algo("demo/Hello");
    // A map with non-string keys cannot be JSON.
    let mut map = std::collections::HashMap::new();
    map.insert(vec![1u8], 1);
    let err = algo.pipe_json(&map).await.unwrap_err();
    assert!(
        matches!(err, algorithmia_client::Error::Serialize { .. }),
        "{err}"
    );
    let err = algo
        .pipe_json_text("{\"unterminated\": ")
        .await
        .unwrap_err();
    assert!(
        matches!(err, algorithmia_client::Error::Serialize { .. }),
        "{err}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
