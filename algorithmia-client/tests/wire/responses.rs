//! Every success shape decodes, with its metadata, from golden fixtures.

use std::time::Duration;

use algorithmia_client::{AlgoOutput, AsyncProtocol, ContentType, Raw, Void};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, json_fixture};

async fn serve(server: &MockServer, response: ResponseTemplate) {
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn text_result() {
    let server = MockServer::start().await;
    serve(&server, json_fixture(200, "algo_success_text.json")).await;
    let r = client(&server)
        .algo("demo/Hello")
        .pipe("world")
        .await
        .unwrap();
    assert_eq!(r.as_text(), Some("Hello world"));
    assert_eq!(r.content_type(), Some(&ContentType::Text));
    assert_eq!(r.duration(), Some(Duration::from_secs_f64(0.0002127)));
    assert_eq!(r.decode::<String>().unwrap(), "Hello world");
    assert!(r.as_json().is_none() && r.as_bytes().is_none() && !r.is_void());
}

#[tokio::test]
async fn json_result_with_alerts_request_id_and_unknown_metadata() {
    let server = MockServer::start().await;
    serve(&server, json_fixture(200, "algo_success_json.json")).await;
    let r = client(&server).algo("a/b").pipe("x").await.unwrap();
    assert_eq!(r.decode::<Vec<u32>>().unwrap(), vec![2, 2, 2, 3, 3]);
    assert_eq!(r.alerts(), ["Your balance is low"]);
    assert_eq!(
        r.request_id(),
        Some("req-55c0480d-0e2b-4d35-8a07-f4a4d7bbbb54")
    );
    assert_eq!(r.metadata().extra["billing"]["credits"], 2);
    assert_eq!(r.content_type(), Some(&ContentType::Json));
}

#[tokio::test]
async fn typed_decode_and_top_level_request_id() {
    let server = MockServer::start().await;
    serve(&server, json_fixture(200, "algo_success_json_object.json")).await;
    let r = client(&server).algo("a/b").pipe("x").await.unwrap();
    #[derive(serde::Deserialize, Debug)]
    struct Labels {
        score: f64,
        labels: Vec<String>,
    }
    let labels: Labels = r.decode().unwrap();
    assert_eq!(labels.score, 0.75);
    assert_eq!(labels.labels, ["cat", "dog"]);
    assert_eq!(r.request_id(), Some("req-top-level-id"));

    // A decode failure names the field that failed.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Wrong {
        labels: Vec<u32>,
    }
    let err = crate::report(&r.decode::<Wrong>().unwrap_err());
    assert!(err.contains("labels[0]"), "{err}");
}

#[tokio::test]
async fn binary_result_is_base64_decoded() {
    let server = MockServer::start().await;
    serve(&server, json_fixture(200, "algo_success_binary.json")).await;
    let r = client(&server).algo("a/b").pipe(vec![1u8]).await.unwrap();
    assert_eq!(r.as_bytes(), Some(&[0u8, 1, 2, 3, 255][..]));
    assert!(r.decode::<serde_json::Value>().is_err());
    assert_eq!(
        r.into_output(),
        AlgoOutput::Binary(vec![0u8, 1, 2, 3, 255].into())
    );
}

#[tokio::test]
async fn void_result() {
    let server = MockServer::start().await;
    serve(&server, json_fixture(200, "algo_success_void.json")).await;
    let r = client(&server).algo("a/b").pipe("x").await.unwrap();
    assert!(r.is_void());
    assert_eq!(r.decode::<Option<u8>>().unwrap(), None);
}

#[tokio::test]
async fn stdout_is_returned() {
    let server = MockServer::start().await;
    serve(&server, json_fixture(200, "algo_success_stdout.json")).await;
    let r = client(&server)
        .algo("a/b")
        .stdout(true)
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(r.stdout(), Some("loading model\nready\n"));
}

#[tokio::test]
async fn raw_output_returns_the_body_and_content_type() {
    let server = MockServer::start().await;
    let png = vec![0x89u8, b'P', b'N', b'G', 0, 255];
    serve(
        &server,
        ResponseTemplate::new(200).set_body_raw(png.clone(), "image/png"),
    )
    .await;
    let r = client(&server)
        .algo("a/b")
        .output(Raw)
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(&r.body[..], &png[..]);
    assert_eq!(r.content_type.as_deref(), Some("image/png"));

    // A raw body that happens to be an object with an `error` key is the algorithm's output.
    serve(
        &server,
        ResponseTemplate::new(200).set_body_raw(r#"{"error":"none"}"#, "application/json"),
    )
    .await;
    let r = client(&server)
        .algo("a/b")
        .output(Raw)
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(r.as_text(), Some(r#"{"error":"none"}"#));
}

#[tokio::test]
async fn void_output_accepts_string_and_boolean_async() {
    let server = MockServer::start().await;
    serve(&server, json_fixture(200, "algo_async_void.json")).await;
    let r = client(&server)
        .algo("a/b")
        .output(Void)
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(r.async_protocol, AsyncProtocol::Name("void".into()));
    assert_eq!(r.request_id, "req-abcd-efgh");

    serve(&server, json_fixture(200, "algo_async_bool.json")).await;
    let r = client(&server)
        .algo("a/b")
        .output(Void)
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(r.async_protocol, AsyncProtocol::Flag(true));
    assert_eq!(r.request_id, "req-1234");
}

#[tokio::test]
async fn unknown_content_type_is_kept_as_json() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"result":{"x":1},"metadata":{"content_type":"tensor","duration":1}}"#,
            "application/json",
        ),
    )
    .await;
    let r = client(&server).algo("a/b").pipe("x").await.unwrap();
    assert_eq!(r.content_type(), Some(&ContentType::Other("tensor".into())));
    assert_eq!(r.as_json().unwrap()["x"], 1);
}
