//! The router alone, request by request with `tower::ServiceExt::oneshot`: no socket, no thread.

use algorithmia_client::wire::{HEADER_DATA_TYPE, HEADER_ERROR_MESSAGE, HEADER_REQUEST_ID};
use algorithmia_local::app;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::{ALICE, BOB, builder};

/// The router over a fresh state with alice and bob.
fn router() -> Router {
    app(builder().build_state().unwrap())
}

fn request(method: Method, path: &str, key: Option<&str>) -> axum::http::request::Builder {
    let request = Request::builder().method(method).uri(path);
    match key {
        Some(key) => request.header(header::AUTHORIZATION, format!("Simple {key}")),
        None => request,
    }
}

/// Send one request; the status, the headers and the whole body.
async fn send(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, body)
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(body)))
}

#[tokio::test]
async fn a_refused_key_is_a_401_with_the_api_error_and_code_2002_on_every_route() {
    let router = router();
    for (method, path) in [
        (Method::POST, "/v1/algo/util/Echo"),
        (Method::GET, "/v1/algorithms/util/Echo/versions"),
        (Method::GET, "/v1/data/.my"),
        (Method::PUT, "/v1/connector/data/.my/photos/a.txt"),
        (Method::GET, "/v1/local/executions/req-1"),
    ] {
        for key in [Some("simNobodysKey"), None] {
            let what = format!("{method} {path} with {key:?}");
            let (status, headers, body) = send(
                &router,
                request(method.clone(), path, key)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("\"hi\""))
                    .unwrap(),
            )
            .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
            let error = &json_of(&body)["error"];
            assert_eq!(error["code"], 2002, "{what}: {error}");
            let message = error["message"].as_str().unwrap();
            assert!(!message.is_empty(), "{what}");
            assert_eq!(
                headers[HEADER_ERROR_MESSAGE].to_str().unwrap(),
                message,
                "{what}"
            );
        }
    }
}

#[tokio::test]
async fn an_algorithm_call_answers_with_the_envelope() {
    let router = router();
    let (status, headers, body) = send(
        &router,
        request(Method::POST, "/v1/algo/util/Echo/1.0.0", Some(ALICE))
            .header(header::CONTENT_TYPE, "application/json")
            .header(HEADER_REQUEST_ID, "req-oneshot")
            .body(Body::from(r#"{"a": [1, 2]}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[HEADER_REQUEST_ID], "req-oneshot");
    let envelope = json_of(&body);
    assert_eq!(envelope["result"], json!({"a": [1, 2]}));
    assert_eq!(envelope["metadata"]["content_type"], "json");
    assert_eq!(envelope["metadata"]["request_id"], "req-oneshot");

    let (status, _, body) = send(
        &router,
        request(Method::POST, "/v1/algo/demo/Hello", Some(BOB))
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("bob"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["result"], "Hello bob");
}

#[tokio::test]
async fn a_file_put_is_read_back_and_guarded_by_its_collection_acl() {
    let router = router();
    let (status, _, body) = send(
        &router,
        request(Method::POST, "/v1/connector/data/.my", Some(ALICE))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"name": "photos"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["result"], "data://.my/photos");

    let contents = b"\x00bytes as they are\xff".to_vec();
    let (status, _, body) = send(
        &router,
        request(
            Method::PUT,
            "/v1/connector/data/.my/photos/a.bin",
            Some(ALICE),
        )
        .body(Body::from(contents.clone()))
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["result"], "data://.my/photos/a.bin");

    let (status, headers, body) = send(
        &router,
        request(Method::GET, "/v1/data/alice/photos/a.bin", Some(ALICE))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, contents);
    assert_eq!(headers[HEADER_DATA_TYPE], "file");
    assert_eq!(
        headers[header::CONTENT_LENGTH],
        contents.len().to_string().as_str()
    );

    // A new collection is readable by its owner's algorithms only, not by another user.
    let (status, _, body) = send(
        &router,
        request(Method::GET, "/v1/data/alice/photos/a.bin", Some(BOB))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(json_of(&body)["error"]["message"].is_string());
}

#[test]
fn build_state_refuses_what_start_refuses_and_adk_algorithms() {
    let bad = builder().page_size(0).build_state().unwrap_err();
    assert!(bad.to_string().contains("page size"), "{bad}");
    let adk = algorithmia_local::AdkAlgorithm::parse("demo/Adk=python3 algorithm.py").unwrap();
    let err = builder().adk_algorithm(adk).build_state().unwrap_err();
    assert!(err.to_string().contains("start()"), "{err}");
}
