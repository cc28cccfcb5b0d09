//! The algorithm handle: get, exists, create, update, delete, compile, publish, retries.

use algorithmia_client::Error;
use algorithmia_client::manage::{
    AlgorithmUpdate, Callability, NewAlgorithm, Publish, VersionType,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{body_of, client, json, requests};

fn algorithm_object() -> serde_json::Value {
    json!({
        "id": "0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f",
        "name": "Hello",
        "details": {"label": "Hello", "summary": "hi", "badge": "new"},
        "settings": {"language": "python3-1", "environment": "cpu", "pipeline_enabled": false,
                     "future_setting": 7},
        "version_info": {"git_hash": "abc123", "semantic_version": "0.1.0"},
        "source": {"scm": {"id": "internal"}, "repository_name": "Hello"},
        "compilation": {"successful": true, "output": ""},
        "build": {"build_id": "b1", "status": "succeeded"},
        "self_link": "http://x/v1/algorithms/demo/Hello",
        "resource_type": "algorithm",
        "brand_new_field": {"nested": [1, 2]}
    })
}

#[tokio::test]
async fn get_decodes_typed_fields_and_keeps_unknown_ones() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/algorithms/demo/Hello"))
        .and(header("authorization", "Simple simTESTKEY"))
        .respond_with(json(200, algorithm_object()))
        .expect(1)
        .mount(&server)
        .await;
    let info = client(&server).algorithm("demo/Hello").get().await.unwrap();
    assert_eq!(
        info.id.as_deref(),
        Some("0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f")
    );
    assert_eq!(info.details.as_ref().unwrap().extra["badge"], "new");
    let settings = info.settings.as_ref().unwrap();
    assert_eq!(settings.language.as_deref(), Some("python3-1"));
    assert_eq!(settings.extra["future_setting"], 7);
    assert_eq!(
        info.version_info.unwrap().git_hash.as_deref(),
        Some("abc123")
    );
    assert_eq!(info.compilation.unwrap().successful, Some(true));
    assert_eq!(info.resource_type.as_deref(), Some("algorithm"));
    assert_eq!(info.extra["brand_new_field"]["nested"][1], 2);
    // Unknown fields survive a round trip.
    let back = serde_json::to_value(&info.extra).unwrap();
    assert_eq!(back["brand_new_field"], json!({"nested": [1, 2]}));
}

#[tokio::test]
async fn exists_is_true_false_or_an_error() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/algorithms/demo/Here"))
        .respond_with(json(200, algorithm_object()))
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Gone"))
        .respond_with(json(
            404,
            json!({"error": {"code": 1000, "message": "not found"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Coded"))
        .respond_with(json(
            400,
            json!({"error": {"code": 1000, "message": "no such algorithm"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Denied"))
        .respond_with(json(
            403,
            json!({"error": {"code": 2001, "message": "not authorized"}}),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(client.algorithm("demo/Here").exists().await.unwrap());
    assert!(!client.algorithm("demo/Gone").exists().await.unwrap());
    assert!(!client.algorithm("demo/Coded").exists().await.unwrap());
    let err = client.algorithm("demo/Denied").exists().await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!((api.status, api.code), (403, Some(2001)));
}

#[tokio::test]
async fn bad_references_fail_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server);
    for bad in ["demo", "demo/Hello/1.0.0", "demo/He llo"] {
        let err = client.algorithm(bad).get().await.unwrap_err();
        assert!(matches!(err, Error::InvalidAlgoRef(_)), "{bad}: {err}");
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn create_sends_details_settings_and_cautious_defaults() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/algorithms/demo"))
        .respond_with(json(201, algorithm_object()))
        .expect(1)
        .mount(&server)
        .await;
    let new = NewAlgorithm::new("Hello", "Hello world")
        .summary("Says hello")
        .tagline("hi")
        .algorithm_environment("env-1")
        .license("mit")
        .insights_enabled(true)
        .sample_input("\"world\"");
    let info = client(&server).create_algorithm("demo", new).await.unwrap();
    assert_eq!(info.name.as_deref(), Some("Hello"));
    assert_eq!(
        body_of(&server, 0).await,
        json!({
            "name": "Hello",
            "details": {"label": "Hello world", "summary": "Says hello", "tagline": "hi"},
            "settings": {"algorithm_environment": "env-1", "environment": "cpu", "license": "mit",
                         "network_access": "isolated", "pipeline_enabled": false,
                         "source_visibility": "closed", "insights_enabled": true},
            "version_info": {"sample_input": "\"world\""}
        })
    );
    // Without a language or an environment, nothing is sent.
    let err = client(&server)
        .algorithms()
        .create("demo", NewAlgorithm::new("Other", "Other"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn update_puts_only_what_changed_and_delete_deletes() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/algorithms/demo/Hello"))
        .and(body_json(
            json!({"details": {"label": "New"}, "settings": {"network_access": "full"}}),
        ))
        .respond_with(json(200, algorithm_object()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/algorithms/demo/Hello"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let algo = client(&server).algorithm("demo/Hello");
    algo.update(AlgorithmUpdate::new().label("New").network_access("full"))
        .await
        .unwrap();
    algo.delete().await.unwrap();
}

#[tokio::test]
async fn compile_and_publish_are_not_retried_on_a_5xx_but_reads_are() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(500, json!({"error": {"message": "boom"}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(502, json!({"error": {"message": "bad gateway"}})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(200, algorithm_object()))
        .mount(&server)
        .await;
    let algo = client(&server).algorithm("demo/Hello");
    assert_eq!(algo.compile().await.unwrap_err().status(), Some(500));
    let err = algo
        .publish(Publish::new(VersionType::Minor))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    algo.get().await.unwrap();
    assert_eq!(
        requests(&server).await,
        [
            "POST /v1/algorithms/demo/Hello/compile",
            "POST /v1/algorithms/demo/Hello/versions",
            "GET /v1/algorithms/demo/Hello",
            "GET /v1/algorithms/demo/Hello",
        ]
    );
}

#[tokio::test]
async fn publish_sends_revision_and_reads_a_nested_version() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/algorithms/demo/Hello/versions"))
        .respond_with(json(
            200,
            json!({
                "version_info": {"semantic_version": "0.1.1", "git_hash": "abc",
                                 "version_type": "patch"},
                "settings": {"algorithm_callability": "public"},
                "resource_type": "algorithm"
            }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let version_type: VersionType = "patch".parse().unwrap();
    let version = client(&server)
        .algorithm("demo/Hello")
        .publish(
            Publish::new(version_type)
                .release_notes("fixes")
                .sample_output("\"hello world\"")
                .callability(Callability::Public)
                .insights_enabled(false),
        )
        .await
        .unwrap();
    assert_eq!(version.semantic_version.as_deref(), Some("0.1.1"));
    assert_eq!(version.extra["version_type"], "patch");
    assert_eq!(
        body_of(&server, 0).await,
        json!({
            "settings": {"algorithm_callability": "public", "insights_enabled": false},
            "version_info": {"version_type": "revision", "release_notes": "fixes",
                             "sample_output": "\"hello world\""}
        })
    );
}

#[tokio::test]
async fn version_scm_status_and_error_logs() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/algorithms/demo/Hello/versions/abc"))
        .respond_with(json(200, json!({"version_info": {"git_hash": "abc"}})))
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Hello/scm/status"))
        .respond_with(json(
            200,
            json!({"scm_connection_status": "active",
                                       "repository_webhook_secret": "w"}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Hello/errors"))
        .respond_with(json(
            200,
            json!([{"created_at": 1700000000000i64, "request_id": "req-1",
                                        "error": "boom", "worker": "w1"}]),
        ))
        .mount(&server)
        .await;
    let algo = client(&server).algorithm("demo/Hello");
    assert_eq!(
        algo.version("abc").await.unwrap().git_hash.as_deref(),
        Some("abc")
    );
    let scm = algo.scm_status().await.unwrap();
    assert_eq!(scm.scm_connection_status.as_deref(), Some("active"));
    assert_eq!(scm.extra["repository_webhook_secret"], "w");
    let log = algo.errors().await.unwrap();
    assert_eq!(log[0].request_id.as_deref(), Some("req-1"));
    assert_eq!(log[0].extra["worker"], "w1");
}

#[tokio::test]
async fn a_compile_outlasts_the_data_timeout_that_bounds_other_requests() {
    use std::time::Duration;
    let server = MockServer::start().await;
    let slow = json(200, algorithm_object()).set_delay(Duration::from_millis(400));
    Mock::given(method("POST"))
        .and(path("/v1/algorithms/demo/Hello/compile"))
        .respond_with(slow.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(slow)
        .mount(&server)
        .await;
    let client = crate::builder(&server)
        .data_timeout(Duration::from_millis(150))
        .retry(algorithmia_client::RetryPolicy::none())
        .build()
        .unwrap();
    let algo = client.algorithm("demo/Hello");
    let compiled = algo.compile().await.unwrap();
    assert_eq!(
        compiled.version_info.unwrap().git_hash.as_deref(),
        Some("abc123")
    );
    assert!(algo.get().await.unwrap_err().is_timeout());
}
