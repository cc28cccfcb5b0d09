//! Secrets: both list shapes, the create flow, and values that never show.

use algorithmia_client::manage::SecretValue;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{body_of, client, json, requests};

const ID: &str = "0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f";
const VALUE: &str = "s3cr3t-Value-9000";

async fn serve_algorithm_and_providers(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/algorithms/demo/Hello"))
        .respond_with(json(200, json!({"id": ID, "name": "Hello"})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/secret-provider"))
        .respond_with(json(
            200,
            json!([
                {"id": "p-first", "name": "vault", "isDefault": false},
                {"id": "p-default", "name": "kms", "isDefault": true}
            ]),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn secrets_are_listed_from_results_or_secrets() {
    for key in ["results", "secrets"] {
        let server = MockServer::start().await;
        serve_algorithm_and_providers(&server).await;
        Mock::given(method("GET"))
            .and(path(format!("/v1/algorithms/{ID}/secrets")))
            .respond_with(json(
                200,
                json!({key: [
                    {"id": "s1", "short_name": "DB", "secret_key": "DB", "owner_type": "algorithm",
                     "provider_id": "p-default", "rotation": "never"}
                ]}),
            ))
            .mount(&server)
            .await;
        let list = client(&server)
            .algorithm("demo/Hello")
            .secrets()
            .list()
            .await
            .unwrap();
        assert_eq!(list.len(), 1, "{key}");
        assert_eq!(list[0].short_name.as_deref(), Some("DB"));
        assert_eq!(list[0].extra["rotation"], "never");
    }
}

#[tokio::test]
async fn set_asks_for_the_id_and_the_default_provider_then_posts_once() {
    let server = MockServer::start().await;
    serve_algorithm_and_providers(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/algorithms/{ID}/secrets")))
        .respond_with(json(201, json!({"id": "s1", "short_name": "DB"})))
        .expect(1)
        .mount(&server)
        .await;
    let created = client(&server)
        .algorithm("demo/Hello")
        .secrets()
        .set("DB", SecretValue::new(VALUE), Some("the database"))
        .await
        .unwrap();
    assert_eq!(created.id, "s1");
    assert_eq!(
        requests(&server).await,
        [
            "GET /v1/algorithms/demo/Hello".to_owned(),
            "GET /v1/secret-provider".to_owned(),
            format!("POST /v1/algorithms/{ID}/secrets"),
        ]
    );
    assert_eq!(
        body_of(&server, 2).await,
        json!({"owner_type": "algorithm", "owner_id": ID, "short_name": "DB",
               "provider_id": "p-default", "secret_key": "DB", "secret_value": VALUE,
               "description": "the database"})
    );
}

#[tokio::test]
async fn update_and_delete_address_the_secret_by_id() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("/v1/algorithms/{ID}/secrets/s1")))
        .and(body_json(json!({"secret_value": VALUE})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/algorithms/{ID}/secrets/s1")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // A handle by UUID needs no lookup.
    let secrets = client(&server).algorithm(ID).secrets();
    secrets
        .update("s1", SecretValue::new(VALUE), None)
        .await
        .unwrap();
    secrets.delete("s1").await.unwrap();
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn no_provider_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/secret-provider"))
        .respond_with(json(200, json!({"results": []})))
        .mount(&server)
        .await;
    let err = client(&server)
        .algorithm(ID)
        .secrets()
        .set("DB", SecretValue::new(VALUE), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, algorithmia_client::Error::NoSecretProvider { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_value_is_in_no_debug_and_no_error_even_when_the_server_echoes_it() {
    let value = SecretValue::new(VALUE);
    assert!(!format!("{value:?}").contains(VALUE));
    assert!(!format!("{:#?}", Some(&value)).contains(VALUE));

    let server = MockServer::start().await;
    serve_algorithm_and_providers(&server).await;
    Mock::given(method("POST"))
        .respond_with(json(
            400,
            json!({"error": {"message": format!("bad value {VALUE}")}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(500).set_body_string(format!("echo: {VALUE}")))
        .mount(&server)
        .await;
    let secrets = client(&server).algorithm("demo/Hello").secrets();
    assert!(!format!("{secrets:?}").contains(VALUE));
    let err = secrets.set("DB", value.clone(), None).await.unwrap_err();
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(VALUE), "{text}");
        assert!(text.contains("***"), "{text}");
    }
    let err = secrets.update("s1", value, None).await.unwrap_err();
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(VALUE), "{text}");
    }
}
