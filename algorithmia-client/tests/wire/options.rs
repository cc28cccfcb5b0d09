//! Options become query parameters; versions become path segments; auth becomes a header.

use std::time::Duration;

use algorithmia_client::{Auth, Raw, Void};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request};

use crate::{builder, client, json_fixture};

async fn last_request(server: &MockServer) -> Request {
    server.received_requests().await.unwrap().pop().unwrap()
}

#[tokio::test]
async fn timeout_stdout_output_and_extra_options_are_query_parameters() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(&server)
        .await;
    let algo = client(&server).algo("demo/Hello");

    algo.pipe("x").await.unwrap();
    assert_eq!(last_request(&server).await.url.query(), None);

    algo.clone()
        .timeout(Duration::from_millis(1500))
        .stdout(true)
        .option("pipeline", "on")
        .pipe("x")
        .await
        .unwrap();
    let url = last_request(&server).await.url;
    assert_eq!(url.query(), Some("timeout=2&stdout=true&pipeline=on"));

    algo.clone().stdout(false).pipe("x").await.unwrap();
    assert_eq!(
        last_request(&server).await.url.query(),
        Some("stdout=false")
    );

    // The original handle is unchanged by the option methods.
    algo.pipe("x").await.unwrap();
    assert_eq!(last_request(&server).await.url.query(), None);
}

#[tokio::test]
async fn output_modes_set_the_output_parameter() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(query_param("output", "raw"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw("41", "text/plain"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(query_param("output", "void"))
        .respond_with(json_fixture(200, "algo_async_void.json"))
        .expect(1)
        .mount(&server)
        .await;
    let algo = client(&server).algo("demo/AddOne");
    let raw = algo
        .clone()
        .output(Raw)
        .pipe(serde_json::json!(40))
        .await
        .unwrap();
    assert_eq!(raw.as_text(), Some("41"));
    let void = algo.output(Void).pipe("x").await.unwrap();
    assert_eq!(void.request_id, "req-abcd-efgh");
}

#[tokio::test]
async fn the_client_default_timeout_is_sent_and_can_be_overridden() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(&server)
        .await;
    let client = builder(&server)
        .default_algo_timeout(Duration::from_secs(42))
        .build()
        .unwrap();
    client.algo("demo/Hello").pipe("x").await.unwrap();
    assert_eq!(last_request(&server).await.url.query(), Some("timeout=42"));
    client
        .algo("demo/Hello")
        .timeout(Duration::from_secs(7))
        .pipe("x")
        .await
        .unwrap();
    assert_eq!(last_request(&server).await.url.query(), Some("timeout=7"));
}

#[tokio::test]
async fn every_version_form_reaches_the_right_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(&server)
        .await;
    let client = client(&server);
    let hash = "06147a5f7726757845d04d5b24b6e2b1c797fc74";
    let cases = [
        ("demo/Hello".to_owned(), "/v1/algo/demo/Hello".to_owned()),
        ("/demo/Hello".into(), "/v1/algo/demo/Hello".into()),
        ("algo://demo/Hello/".into(), "/v1/algo/demo/Hello".into()),
        (
            "demo/Hello/1.2.3".into(),
            "/v1/algo/demo/Hello/1.2.3".into(),
        ),
        (
            "demo/Hello/1.2.*".into(),
            "/v1/algo/demo/Hello/1.2.*".into(),
        ),
        ("demo/Hello/1.*".into(), "/v1/algo/demo/Hello/1.*".into()),
        ("demo/Hello/1.2".into(), "/v1/algo/demo/Hello/1.2".into()),
        (
            "demo/Hello/latestPrivate".into(),
            "/v1/algo/demo/Hello/latestPrivate".into(),
        ),
        (
            format!("demo/Hello/{hash}"),
            format!("/v1/algo/demo/Hello/{hash}"),
        ),
        // Segments are percent-encoded.
        ("démo/Héllo".into(), "/v1/algo/d%C3%A9mo/H%C3%A9llo".into()),
    ];
    for (reference, want) in cases {
        client.algo(reference.as_str()).pipe("x").await.unwrap();
        assert_eq!(last_request(&server).await.url.path(), want, "{reference}");
    }
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept_with_or_without_a_slash() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/proxy/api/v1/algo/demo/Hello"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .expect(2)
        .mount(&server)
        .await;
    for base in [
        format!("{}/proxy/api", server.uri()),
        format!("{}/proxy/api/", server.uri()),
    ] {
        let client = builder(&server).base_url(base).build().unwrap();
        client.algo("demo/Hello").pipe("x").await.unwrap();
    }
}

#[tokio::test]
async fn auth_header_forms() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Simple simKEY"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer jwt.token.here"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .expect(1)
        .mount(&server)
        .await;
    builder(&server)
        .api_key("simKEY")
        .build()
        .unwrap()
        .algo("a/b")
        .pipe("x")
        .await
        .unwrap();
    builder(&server)
        .bearer_token("jwt.token.here")
        .build()
        .unwrap()
        .algo("a/b")
        .pipe("x")
        .await
        .unwrap();
    server.verify().await;

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(&server)
        .await;
    builder(&server)
        .auth(Auth::None)
        .build()
        .unwrap()
        .algo("a/b")
        .pipe("x")
        .await
        .unwrap();
    assert!(
        !last_request(&server)
            .await
            .headers
            .contains_key("authorization")
    );
    let agent = last_request(&server).await.headers["user-agent"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(agent.starts_with("algorithmia-client-rust/"), "{agent}");
}
