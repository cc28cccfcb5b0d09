//! The blocking facade of the management API: one test per handle.

use algorithmia_client::blocking::Client;
use algorithmia_client::manage::{NewAlgorithm, SecretValue, WaitOptions};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

use crate::json;

const ID: &str = "0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f";

/// A mock server on its own runtime, and a blocking client pointed at it.
fn serve(
    mount: impl FnOnce(&MockServer) -> futures_util::future::BoxFuture<'_, ()>,
) -> (tokio::runtime::Runtime, MockServer, Client) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        mount(&server).await;
        server
    });
    let client = Client::from_async(crate::client(&server)).unwrap();
    (runtime, server, client)
}

#[test]
fn the_blocking_client_reads_environments_users_and_creates() {
    let (_rt, _server, client) = serve(|s| {
        Box::pin(async move {
            Mock::given(path("/v1/algorithm-environments/edge/languages"))
                .respond_with(json(200, json!([{"name": "python3"}])))
                .mount(s)
                .await;
            Mock::given(path("/v1/users/ann"))
                .respond_with(json(200, json!({"username": "ann"})))
                .mount(s)
                .await;
            Mock::given(method("POST"))
                .and(path("/v1/algorithms/ann"))
                .respond_with(json(201, json!({"name": "Hello"})))
                .mount(s)
                .await;
        })
    });
    assert_eq!(client.languages().unwrap()[0].name, "python3");
    assert_eq!(client.user("ann").unwrap().username.as_deref(), Some("ann"));
    let new = NewAlgorithm::new("Hello", "Hello").language("python3-1");
    assert_eq!(
        client.create_algorithm("ann", new).unwrap().name.as_deref(),
        Some("Hello")
    );
}

#[test]
fn the_blocking_algorithm_handle_gets_iterates_versions_and_waits() {
    let (_rt, _server, client) = serve(|s| {
        Box::pin(async move {
            Mock::given(path("/v1/algorithms/demo/Hello"))
                .respond_with(json(200, json!({"id": ID, "name": "Hello"})))
                .mount(s)
                .await;
            Mock::given(path("/v1/algorithms/demo/Hello/versions"))
                .and(query_param_is_missing("marker"))
                .respond_with(json(
                    200,
                    json!({"marker": "m", "results": [{"semantic_version": "1.0.0"}]}),
                ))
                .mount(s)
                .await;
            Mock::given(path("/v1/algorithms/demo/Hello/versions"))
                .and(query_param("marker", "m"))
                .respond_with(json(
                    200,
                    json!({"marker": null, "results": [{"semantic_version": "0.9.0"}]}),
                ))
                .mount(s)
                .await;
            Mock::given(path("/v1/algorithms/demo/Hello/builds/b1"))
                .respond_with(json(200, json!({"build_id": "b1", "status": "succeeded"})))
                .mount(s)
                .await;
        })
    });
    let algo = client.algorithm("demo/Hello");
    assert!(algo.exists().unwrap());
    let versions: Vec<_> = algo
        .versions()
        .published(true)
        .iter()
        .map(|v| v.unwrap().semantic_version.unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "0.9.0"]);
    let build = algo.wait_for_build("b1", WaitOptions::default()).unwrap();
    assert_eq!(build.status.as_str(), "succeeded");
}

#[test]
fn the_blocking_algorithms_and_secrets_handles() {
    let (_rt, _server, client) = serve(|s| {
        Box::pin(async move {
            Mock::given(path("/v1/users/demo/algorithms"))
                .respond_with(json(
                    200,
                    json!({"marker": null, "results": [{"name": "A"}, {"name": "B"}]}),
                ))
                .mount(s)
                .await;
            Mock::given(path(format!("/v1/algorithms/{ID}/secrets")))
                .respond_with(json(
                    200,
                    json!({"secrets": [{"id": "s1", "short_name": "DB"}]}),
                ))
                .mount(s)
                .await;
            Mock::given(method("DELETE"))
                .and(path(format!("/v1/algorithms/{ID}/secrets/s1")))
                .respond_with(wiremock::ResponseTemplate::new(204))
                .mount(s)
                .await;
            Mock::given(method("PUT"))
                .and(path(format!("/v1/algorithms/{ID}/secrets/s1")))
                .respond_with(wiremock::ResponseTemplate::new(200))
                .mount(s)
                .await;
        })
    });
    let names: Vec<_> = client
        .algorithms()
        .list("demo")
        .page_size(2)
        .iter()
        .map(|a| a.unwrap().name.unwrap())
        .collect();
    assert_eq!(names, ["A", "B"]);
    let secrets = client.algorithm(ID).secrets();
    assert_eq!(secrets.list().unwrap()[0].id, "s1");
    secrets
        .update("s1", SecretValue::new("v"), Some("d"))
        .unwrap();
    secrets.delete("s1").unwrap();
}
